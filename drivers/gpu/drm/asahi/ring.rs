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

    /// Puts `value` back in front of the oldest item (it becomes the oldest), or hands it back
    /// if the ring is full.
    pub(crate) fn push_front(&mut self, value: T) -> Result<(), T> {
        let cap = self.slots.len();
        if self.len >= cap {
            return Err(value);
        }
        let at = (self.head + cap - 1) % cap;
        match self.slots.get_mut(at) {
            Some(slot) => {
                // INVARIANT: the slot before the head is free (the ring is not full) and
                // becomes the new head.
                slot.write(value);
            }
            None => return Err(value),
        }
        self.head = at;
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
            self.index(i).and_then(|at| self.slots.get(at)).map(|s| {
                // SAFETY: The first `len` slots from `head` are initialised (type invariant).
                unsafe { s.assume_init_ref() }
            })
        })
    }
}

#[cfg(CONFIG_KUNIT)]
mod tests {
    use super::Ring;
    use crate::kernel_ext::kunit::{expect_eq, kunit_suite, Context};
    use kernel::prelude::*;

    fn drain(ring: &mut Ring<u32>) -> KVec<u32> {
        let mut v = KVec::new();
        while let Some(x) = ring.pop() {
            if v.push(x, GFP_KERNEL).is_err() {
                break;
            }
        }
        v
    }

    fn push_front_becomes_oldest(ctx: &mut Context) -> Result {
        let mut ring = Ring::new(4)?;
        expect_eq!(ctx, ring.push(1), Ok(()));
        expect_eq!(ctx, ring.push(2), Ok(()));
        let first = ring.pop();
        expect_eq!(ctx, first, Some(1));
        // Put back what was taken (a job whose message found its pipe full): first again.
        expect_eq!(ctx, ring.push_front(1), Ok(()));
        expect_eq!(ctx, ring.front().copied(), Some(1));
        expect_eq!(ctx, ring.len(), 2);
        expect_eq!(ctx, &drain(&mut ring)[..], &[1, 2][..]);
        Ok(())
    }

    fn push_front_wraps_and_fills(ctx: &mut Context) -> Result {
        let mut ring = Ring::new(3)?;
        // The head at slot 0: the new head wraps to the last slot.
        expect_eq!(ctx, ring.push_front(3), Ok(()));
        expect_eq!(ctx, ring.push_front(2), Ok(()));
        expect_eq!(ctx, ring.push(4), Ok(()));
        // Full: both ends refuse and hand the value back, nothing lost.
        expect_eq!(ctx, ring.push_front(1), Err(1));
        expect_eq!(ctx, ring.push(5), Err(5));
        expect_eq!(ctx, &drain(&mut ring)[..], &[2, 3, 4][..]);
        Ok(())
    }

    kunit_suite!(
        asahi_ring,
        [push_front_becomes_oldest, push_front_wraps_and_fills]
    );
}
