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
