// SPDX-License-Identifier: GPL-2.0 OR MIT

//! MMIO register ranges (`ioremap`); reserved RAM is mapped by [`super::memremap`].
//!
//! C headers: [`include/linux/io.h`](srctree/include/linux/io.h).
//!
//! [`IoMem`] owns an `ioremap` of a register range and reads and writes 32- and 64-bit
//! registers with bounds and alignment checks: an access outside the range reads all ones and
//! writes nothing, as an unclaimed bus access does. It unmaps on drop and takes no lock, so it
//! may be used in any context.

use crate::bindings;
use core::ptr::NonNull;
use kernel::prelude::*;

/// An `ioremap`ped register range.
///
/// # Invariants
///
/// `base` is the start of a live `ioremap` of `size` bytes, unmapped only in `drop`.
pub(crate) struct IoMem {
    base: NonNull<u8>,
    size: usize,
}

// SAFETY: MMIO accessors may be used from any thread; the mapping itself is immutable.
unsafe impl Send for IoMem {}
// SAFETY: As above: `&IoMem` only does MMIO reads and writes, which the bus serialises.
unsafe impl Sync for IoMem {}

impl IoMem {
    /// Maps `size` bytes of device memory at `phys`. `EINVAL` for an empty or unaddressable
    /// range, `ENOMEM` when the mapping fails.
    pub(crate) fn map(phys: u64, size: u64) -> Result<Self> {
        let size = usize::try_from(size).map_err(|_| EINVAL)?;
        if size == 0 {
            return Err(EINVAL);
        }
        // `phys_addr_t` is `u64` on the 64-bit targets.
        let phys: bindings::phys_addr_t = phys;
        // SAFETY: Mapping a physical range has no precondition; the result is checked.
        let base = unsafe { bindings::asahi_helper_ioremap(phys, size) };
        let base = NonNull::new(base.cast::<u8>()).ok_or(ENOMEM)?;
        // INVARIANT: a live mapping of `size` bytes.
        Ok(Self { base, size })
    }

    /// The register address at `offset` for an access of `width` bytes, if inside the range and
    /// aligned.
    fn reg(&self, offset: usize, width: usize) -> Option<*mut kernel::ffi::c_void> {
        if offset % width != 0 || offset.checked_add(width)? > self.size {
            return None;
        }
        // SAFETY: `offset + width <= size`, so the address is inside the mapping.
        Some(unsafe { self.base.as_ptr().add(offset) }.cast())
    }

    /// Reads the 32-bit register at `offset`; all ones outside the range or misaligned.
    pub(crate) fn read32(&self, offset: usize) -> u32 {
        match self.reg(offset, 4) {
            // SAFETY: `p` is an aligned register inside the live mapping (type invariant).
            Some(p) => unsafe { bindings::asahi_helper_readl(p) },
            None => u32::MAX,
        }
    }

    /// Reads the 64-bit register at `offset`; all ones outside the range or misaligned.
    pub(crate) fn read64(&self, offset: usize) -> u64 {
        match self.reg(offset, 8) {
            // SAFETY: As in `read32`.
            Some(p) => unsafe { bindings::asahi_helper_readq(p) },
            None => u64::MAX,
        }
    }

    /// Writes the 32-bit register at `offset`; dropped outside the range or misaligned.
    pub(crate) fn write32(&self, offset: usize, value: u32) {
        if let Some(p) = self.reg(offset, 4) {
            // SAFETY: As in `read32`.
            unsafe { bindings::asahi_helper_writel(value, p) };
        }
    }
}

impl Drop for IoMem {
    fn drop(&mut self) {
        // SAFETY: `base` is a live `ioremap` (type invariant), unmapped once, here.
        unsafe { bindings::iounmap(self.base.as_ptr().cast()) };
    }
}
