// SPDX-License-Identifier: GPL-2.0 OR MIT

//! A fixed-capacity FIFO whose storage is allocated up front, so pushing and popping never
//! allocate: usable under spinlocks and on the fence-signalling path. Its operations have no
//! panicking paths either (it runs in the interrupt handler).
//!
//! A ring never drops its items: its owner drains it (items may be
//! [`ExplicitDrop`](crate::kernel_ext::explicit_drop::ExplicitDrop) values, which must be
//! released in the right context). Items left in a ring that is dropped are leaked.

use core::mem::MaybeUninit;
use kernel::prelude::*;

/// A bounded first-in first-out queue.
///
/// # Invariants
///
/// `slots.len()` is the capacity; the `len` slots starting at `head` (wrapping around) are
/// initialised, the others are not.
pub(crate) struct Ring<T> {
    slots: KVVec<MaybeUninit<T>>,
    head: usize,
    len: usize,
}

impl<T> Ring<T> {
    /// An empty ring holding at most `capacity` items (allocates now, never later).
    pub(crate) fn new(capacity: usize) -> Result<Self> {
        let mut slots = KVVec::with_capacity(capacity, GFP_KERNEL)?;
        for _ in 0..capacity {
            slots.push(MaybeUninit::uninit(), GFP_KERNEL)?;
        }
        Ok(Self {
            slots,
            head: 0,
            len: 0,
        })
    }

    /// Number of items.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn index(&self, i: usize) -> Option<usize> {
        self.head.wrapping_add(i).checked_rem(self.slots.len())
    }

    /// Appends `value`, or hands it back if the ring is full.
    pub(crate) fn push(&mut self, value: T) -> Result<(), T> {
        if self.len >= self.slots.len() {
            return Err(value);
        }
        let Some(i) = self.index(self.len) else {
            return Err(value);
        };
        match self.slots.get_mut(i) {
            Some(slot) => {
                // INVARIANT: the slot past the last item becomes the new last item.
                slot.write(value);
            }
            None => return Err(value),
        }
        self.len = self.len.wrapping_add(1);
        Ok(())
    }

    /// The oldest item.
    pub(crate) fn front(&self) -> Option<&T> {
        if self.len == 0 {
            return None;
        }
        // SAFETY: With `len > 0` the head slot is initialised (type invariant).
        Some(unsafe { self.slots.get(self.head)?.assume_init_ref() })
    }

    /// Removes and returns the oldest item.
    pub(crate) fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        // SAFETY: The head slot is initialised (type invariant); it is read out once and then
        // counted as uninitialised.
        let v = unsafe { self.slots.get(self.head)?.assume_init_read() };
        self.head = self.index(1).unwrap_or(0);
        self.len = self.len.wrapping_sub(1);
        Some(v)
    }

    /// Iterates from oldest to newest.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        (0..self.len).filter_map(move |i| {
            // SAFETY: The first `len` slots from `head` are initialised (type invariant).
            self.index(i)
                .and_then(|at| self.slots.get(at))
                .map(|s| unsafe { s.assume_init_ref() })
        })
    }
}
