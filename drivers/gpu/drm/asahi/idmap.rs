// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Small per-file id allocators: the handles userspace uses for VMs, queues and bound objects.
//!
//! Ids start at 1 (0 means "none" in the uAPI, e.g. `gem_create.vm_id`) and are reused lowest
//! first once freed. A map is bounded so one client cannot make the kernel allocate without
//! limit; the bound is far above what Mesa uses (a handful of VMs and queues per context).

use kernel::prelude::*;

/// A map from small ids to `T`.
///
/// # Invariants
///
/// `slots[i]` holds the value of id `i + 1`; `count` is the number of occupied slots.
pub(crate) struct IdMap<T> {
    slots: KVec<Option<T>>,
    count: usize,
    limit: usize,
}

impl<T> IdMap<T> {
    /// An empty map that holds at most `limit` values.
    pub(crate) const fn new(limit: usize) -> Self {
        Self {
            slots: KVec::new(),
            count: 0,
            limit,
        }
    }

    /// Inserts `value` under the lowest free id and returns the id. Fails with `ENOSPC` when the
    /// map is full and `ENOMEM` when growing it fails; `value` is dropped on failure.
    pub(crate) fn insert(&mut self, value: T) -> Result<u32> {
        let index = match self.slots.iter().position(Option::is_none) {
            Some(i) => {
                self.slots[i] = Some(value);
                i
            }
            None => {
                if self.slots.len() >= self.limit {
                    return Err(ENOSPC);
                }
                self.slots.push(Some(value), GFP_KERNEL)?;
                self.slots.len() - 1
            }
        };
        self.count += 1;
        // CAST: `index < limit`, and limits are far below `u32::MAX`.
        Ok(index as u32 + 1)
    }

    /// The value of `id`, if any.
    pub(crate) fn get(&self, id: u32) -> Option<&T> {
        let index = (id as usize).checked_sub(1)?;
        self.slots.get(index)?.as_ref()
    }

    /// Removes and returns the value of `id`, if any.
    pub(crate) fn remove(&mut self, id: u32) -> Option<T> {
        let index = (id as usize).checked_sub(1)?;
        let value = self.slots.get_mut(index)?.take()?;
        self.count -= 1;
        Some(value)
    }
}

#[cfg(CONFIG_KUNIT)]
mod tests {
    use super::IdMap;
    use crate::kernel_ext::kunit::{expect_eq, expect_true, kunit_suite, Context};
    use kernel::prelude::*;

    fn ids_start_at_one(ctx: &mut Context) {
        let mut map = IdMap::new(8);
        expect_eq!(ctx, map.insert(10), Ok(1));
        expect_eq!(ctx, map.insert(20), Ok(2));
        expect_eq!(ctx, map.insert(30), Ok(3));
        expect_eq!(ctx, map.get(1), Some(&10));
        expect_eq!(ctx, map.get(3), Some(&30));
        expect_eq!(ctx, map.count, 3);
    }

    fn reuses_lowest_free_id(ctx: &mut Context) -> Result {
        let mut map = IdMap::new(8);
        for v in 1..=4 {
            map.insert(v)?;
        }
        expect_eq!(ctx, map.remove(3), Some(3));
        expect_eq!(ctx, map.remove(1), Some(1));
        // Lowest first: 1, then 3, then a new id at the end.
        expect_eq!(ctx, map.insert(100), Ok(1));
        expect_eq!(ctx, map.insert(300), Ok(3));
        expect_eq!(ctx, map.insert(500), Ok(5));
        expect_eq!(ctx, map.get(1), Some(&100));
        expect_eq!(ctx, map.get(2), Some(&2));
        expect_eq!(ctx, map.get(3), Some(&300));
        expect_eq!(ctx, map.count, 5);
        Ok(())
    }

    fn limit_gives_enospc(ctx: &mut Context) {
        let mut map = IdMap::new(2);
        expect_eq!(ctx, map.insert(1), Ok(1));
        expect_eq!(ctx, map.insert(2), Ok(2));
        expect_eq!(ctx, map.insert(3), Err(ENOSPC));
        expect_eq!(ctx, map.count, 2);
        // A freed id makes room again, and the failed insert left nothing behind.
        expect_eq!(ctx, map.remove(1), Some(1));
        expect_eq!(ctx, map.insert(4), Ok(1));
        expect_eq!(ctx, map.insert(5), Err(ENOSPC));
        expect_true!(ctx, map.slots.len() <= 2, "{} slots", map.slots.len());

        let mut empty = IdMap::new(0);
        expect_eq!(ctx, empty.insert(1), Err(ENOSPC));
    }

    fn remove_unknown_and_zero_ids(ctx: &mut Context) {
        let mut map = IdMap::new(8);
        expect_eq!(ctx, map.remove(0), None);
        expect_eq!(ctx, map.remove(1), None);
        expect_eq!(ctx, map.insert(7), Ok(1));
        expect_eq!(ctx, map.remove(0), None);
        expect_eq!(ctx, map.remove(2), None);
        expect_eq!(ctx, map.remove(u32::MAX), None);
        expect_eq!(ctx, map.count, 1);
        expect_eq!(ctx, map.remove(1), Some(7));
        // A second remove of the same id finds nothing and does not underflow the count.
        expect_eq!(ctx, map.remove(1), None);
        expect_eq!(ctx, map.count, 0);
    }

    fn get_after_remove(ctx: &mut Context) -> Result {
        let mut map = IdMap::new(8);
        let a = map.insert(1)?;
        let b = map.insert(2)?;
        expect_eq!(ctx, map.remove(a), Some(1));
        expect_eq!(ctx, map.get(a), None);
        expect_eq!(ctx, map.get(b), Some(&2));
        expect_eq!(ctx, map.get(0), None);
        expect_eq!(ctx, map.get(u32::MAX), None);
        Ok(())
    }

    kunit_suite!(
        asahi_idmap,
        [
            ids_start_at_one,
            reuses_lowest_free_id,
            limit_gives_enospc,
            remove_unknown_and_zero_ids,
            get_after_remove,
        ]
    );
}
