// SPDX-License-Identifier: GPL-2.0 OR MIT

//! A mapping of reserved memory: physical RAM the bootloader set aside (a `memory-region` of the
//! device) mapped write-back for the CPU with `memremap` (`include/linux/io.h`, 6.12), as
//! downstream maps the `ttbs`, `pagetables` and `handoff` regions.

use crate::bindings;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicU8};
use kernel::prelude::*;

/// A write-back CPU mapping of `size` bytes of reserved RAM; unmapped on drop.
///
/// # Invariants
///
/// `ptr` is the address `memremap` returned for `size` bytes, mapped until `self` drops.
pub(crate) struct RegionMap {
    ptr: NonNull<u8>,
    size: usize,
}

// SAFETY: The mapping is plain memory with no thread affinity; `&RegionMap` only hands out
// atomics into it.
unsafe impl Send for RegionMap {}
// SAFETY: As above.
unsafe impl Sync for RegionMap {}

impl RegionMap {
    /// Maps `size` bytes of reserved RAM at `phys`. `EINVAL` for an empty or unaligned region,
    /// `ENOMEM` when it cannot be mapped.
    pub(crate) fn new(phys: u64, size: u64) -> Result<Self> {
        let size = usize::try_from(size).map_err(|_| EINVAL)?;
        if size == 0 || phys % 8 != 0 {
            return Err(EINVAL);
        }
        // SAFETY: `memremap` validates the range itself; for RAM in the linear map it returns the
        // linear address, for reserved RAM outside it a new mapping.
        // CAST: `MEMREMAP_WB` is a small flag bit of an anonymous C enum.
        let p = unsafe { bindings::memremap(phys, size, bindings::MEMREMAP_WB as _) };
        // INVARIANT: `memremap` succeeded for `size` bytes.
        Ok(Self {
            ptr: NonNull::new(p.cast()).ok_or(ENOMEM)?,
            size,
        })
    }

    /// The `u64` at byte `offset`, shared with the firmware (`None` if outside or unaligned).
    pub(crate) fn u64_at(&self, offset: usize) -> Option<&AtomicU64> {
        if offset % 8 != 0 || offset.checked_add(8)? > self.size {
            return None;
        }
        // SAFETY: In bounds and aligned (checked), mapped while `self` lives (type invariant);
        // the firmware accesses it only atomically-sized as well.
        Some(unsafe { AtomicU64::from_ptr(self.ptr.as_ptr().add(offset).cast()) })
    }
}

impl RegionMap {
    /// The `u32` at byte `offset`, shared with the firmware (`None` if outside or unaligned).
    pub(crate) fn u32_at(&self, offset: usize) -> Option<&AtomicU32> {
        if offset % 4 != 0 || offset.checked_add(4)? > self.size {
            return None;
        }
        // SAFETY: As for `u64_at`.
        Some(unsafe { AtomicU32::from_ptr(self.ptr.as_ptr().add(offset).cast()) })
    }

    /// The byte at `offset`, shared with the firmware (`None` if outside).
    pub(crate) fn u8_at(&self, offset: usize) -> Option<&AtomicU8> {
        if offset >= self.size {
            return None;
        }
        // SAFETY: In bounds (checked), mapped while `self` lives (type invariant); a byte is
        // always aligned.
        Some(unsafe { AtomicU8::from_ptr(self.ptr.as_ptr().add(offset)) })
    }
}

impl Drop for RegionMap {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from `memremap` and is unmapped once (type invariant).
        unsafe { bindings::memunmap(self.ptr.as_ptr().cast()) };
    }
}
