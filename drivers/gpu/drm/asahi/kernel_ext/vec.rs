// SPDX-License-Identifier: GPL-2.0 OR MIT

//! `KVec` operations that 6.12's `kernel::alloc::KVec` lacks (`pop`, `insert`), and
//! [`SmallVec`], a vector whose first few elements live inline.
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

/// A vector whose first `N` elements live inline and the rest in a `KVec`: the common short
/// case (a submit's one or two commands, its one output sync) allocates nothing. Elements keep
/// their push order. No `Deref` to a slice (the two parts are not contiguous); iterate instead.
pub(crate) struct SmallVec<T, const N: usize> {
    inline: [Option<T>; N],
    inline_len: usize,
    heap: KVec<T>,
}

impl<T, const N: usize> SmallVec<T, N> {
    /// An empty vector (allocates nothing).
    pub(crate) fn new() -> Self {
        Self {
            inline: [const { None }; N],
            inline_len: 0,
            heap: KVec::new(),
        }
    }

    /// Appends `value`, allocating only once `N` elements are inline already.
    pub(crate) fn push(&mut self, value: T) -> Result {
        match self.inline.get_mut(self.inline_len) {
            Some(slot) => {
                *slot = Some(value);
                self.inline_len += 1;
            }
            None => self.heap.push(value, GFP_KERNEL)?,
        }
        Ok(())
    }

    /// The number of elements.
    pub(crate) fn len(&self) -> usize {
        self.inline_len + self.heap.len()
    }

    /// The elements in push order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        Iterator::chain(self.inline.iter().flatten(), self.heap.iter())
    }

    /// The first element.
    pub(crate) fn first(&self) -> Option<&T> {
        self.iter().next()
    }
}

impl<T, const N: usize> IntoIterator for SmallVec<T, N> {
    type Item = T;
    type IntoIter = core::iter::Chain<
        core::iter::Flatten<core::array::IntoIter<Option<T>, N>>,
        kernel::alloc::IntoIter<T, kernel::alloc::allocator::Kmalloc>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        Iterator::chain(self.inline.into_iter().flatten(), self.heap)
    }
}

#[cfg(CONFIG_KUNIT)]
mod tests {
    use super::SmallVec;
    use crate::kernel_ext::kunit::{expect_eq, kunit_suite, Context};
    use kernel::prelude::*;

    fn keeps_order_across_the_spill(ctx: &mut Context) -> Result {
        let mut v: SmallVec<u32, 2> = SmallVec::new();
        expect_eq!(ctx, v.len(), 0);
        expect_eq!(ctx, v.first(), None);
        for i in 0..5 {
            v.push(i * 10)?;
        }
        expect_eq!(ctx, v.len(), 5);
        expect_eq!(ctx, v.first(), Some(&0));
        let mut seen = KVec::new();
        for x in v.iter() {
            seen.push(*x, GFP_KERNEL)?;
        }
        expect_eq!(ctx, &seen[..], &[0, 10, 20, 30, 40][..]);
        let mut owned = KVec::new();
        for x in v {
            owned.push(x, GFP_KERNEL)?;
        }
        expect_eq!(ctx, &owned[..], &[0, 10, 20, 30, 40][..]);
        Ok(())
    }

    fn drops_every_element(ctx: &mut Context) -> Result {
        use core::sync::atomic::{AtomicUsize, Ordering};
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        struct Counted;
        impl Drop for Counted {
            fn drop(&mut self) {
                DROPS.fetch_add(1, Ordering::Relaxed);
            }
        }
        DROPS.store(0, Ordering::Relaxed);
        let mut v: SmallVec<Counted, 2> = SmallVec::new();
        for _ in 0..4 {
            v.push(Counted)?;
        }
        drop(v);
        expect_eq!(ctx, DROPS.load(Ordering::Relaxed), 4);
        // Partly consumed: the rest still drops.
        DROPS.store(0, Ordering::Relaxed);
        let mut v: SmallVec<Counted, 2> = SmallVec::new();
        for _ in 0..3 {
            v.push(Counted)?;
        }
        let mut it = v.into_iter();
        drop(it.next());
        drop(it);
        expect_eq!(ctx, DROPS.load(Ordering::Relaxed), 3);
        Ok(())
    }

    kunit_suite!(
        asahi_smallvec,
        [keeps_order_across_the_spill, drops_every_element]
    );
}
