// SPDX-License-Identifier: GPL-2.0 OR MIT

//! `KVec` operations that 6.12's `kernel::alloc::KVec` lacks (`pop`, `insert`).
//!
//! Insertion only uses capacity reserved beforehand, so it never allocates: the driver reserves
//! up front and then edits without a failure point in the middle.

use kernel::alloc::{Allocator, Vec};
use kernel::prelude::*;

/// Extra vector operations.
pub(crate) trait VecExt<T> {
    /// Removes and returns the last element.
    fn pop(&mut self) -> Option<T>;
    /// Inserts `value` at `index` (shifting later elements up) without allocating; fails with
    /// `ENOMEM` (handing `value` back dropped) if there is no spare capacity, `EINVAL` if
    /// `index > len`.
    fn insert_within_capacity(&mut self, index: usize, value: T) -> Result;
}

impl<T, A: Allocator> VecExt<T> for Vec<T, A> {
    fn pop(&mut self) -> Option<T> {
        let len = self.len();
        let last = len.checked_sub(1)?;
        // SAFETY: `last < len`: the element is initialised; after reading it out, the length
        // excludes it, so it is never dropped or read again.
        unsafe {
            let v = self.as_ptr().add(last).read();
            self.set_len(last);
            Some(v)
        }
    }

    fn insert_within_capacity(&mut self, index: usize, value: T) -> Result {
        let len = self.len();
        if index > len {
            return Err(EINVAL);
        }
        if len == self.capacity() {
            return Err(ENOMEM);
        }
        // SAFETY: `len < capacity`, so there is room for one more element; elements
        // `index..len` move up by one (overlapping copy), the gap at `index` takes `value`, and
        // the new length covers exactly the initialised elements.
        unsafe {
            let p = self.as_mut_ptr().add(index);
            core::ptr::copy(p, p.add(1), len - index);
            p.write(value);
            self.set_len(len + 1);
        }
        Ok(())
    }
}
