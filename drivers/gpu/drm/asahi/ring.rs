// SPDX-License-Identifier: GPL-2.0 OR MIT

//! A fixed-capacity FIFO whose storage is allocated up front, so pushing and popping never
//! allocate: usable under spinlocks and on the fence-signalling path. Its operations have no
//! panicking paths either (it runs in the interrupt handler).

use kernel::prelude::*;

/// A bounded first-in first-out queue.
///
/// # Invariants
///
/// `slots.len()` is the capacity; the `len` occupied slots start at `head` and wrap around.
pub(crate) struct Ring<T> {
    slots: KVVec<Option<T>>,
    head: usize,
    len: usize,
}

impl<T> Ring<T> {
    /// An empty ring holding at most `capacity` items (allocates now, never later).
    pub(crate) fn new(capacity: usize) -> Result<Self> {
        let mut slots = KVVec::with_capacity(capacity, GFP_KERNEL)?;
        for _ in 0..capacity {
            slots.push(None, GFP_KERNEL)?;
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

    /// Appends `value`, or hands it back if the ring is full.
    pub(crate) fn push(&mut self, value: T) -> Result<(), T> {
        let cap = self.slots.len();
        if self.len >= cap {
            return Err(value);
        }
        // No overflow: both are below `cap`; `cap` is not zero here.
        let i = self.head.wrapping_add(self.len).checked_rem(cap).unwrap_or(0);
        match self.slots.get_mut(i) {
            Some(slot) => *slot = Some(value),
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
        self.slots.get(self.head)?.as_ref()
    }

    /// Removes and returns the oldest item.
    pub(crate) fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let v = self.slots.get_mut(self.head)?.take();
        self.head = self
            .head
            .wrapping_add(1)
            .checked_rem(self.slots.len())
            .unwrap_or(0);
        self.len = self.len.wrapping_sub(1);
        v
    }

    /// Iterates from oldest to newest.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        let cap = self.slots.len();
        (0..self.len).filter_map(move |i| {
            let at = self.head.wrapping_add(i).checked_rem(cap)?;
            self.slots.get(at)?.as_ref()
        })
    }
}
