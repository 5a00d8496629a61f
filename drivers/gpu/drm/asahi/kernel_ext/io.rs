// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Mapped device memory: MMIO register ranges (`ioremap`) and reserved RAM (`memremap`).
//!
//! C headers: [`include/linux/io.h`](srctree/include/linux/io.h).
//!
//! [`IoMem`] owns an `ioremap` of a register range and reads and writes 32- and 64-bit
//! registers with bounds and alignment checks: an access outside the range reads all ones and
//! writes nothing, as an unclaimed bus access does. [`WbMem`] owns a write-back `memremap` of RAM
//! the bootloader reserved, read with 64-bit volatile loads. Both unmap on drop; neither takes
//! locks, so both may be used in any context.

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
        let phys: bindings::phys_addr_t = phys.try_into().map_err(|_| EINVAL)?;
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

/// A write-back `memremap` of reserved RAM, read as 64-bit words.
///
/// # Invariants
///
/// `base` is the start of a live `memremap` of `size` bytes, unmapped only in `drop`.
pub(crate) struct WbMem {
    base: NonNull<u64>,
    size: usize,
}

// SAFETY: Volatile loads may be made from any thread; the mapping itself is immutable.
unsafe impl Send for WbMem {}
// SAFETY: As above.
unsafe impl Sync for WbMem {}

impl WbMem {
    /// Maps `size` bytes of RAM at `phys` (page aligned). `EINVAL` for an empty or
    /// unaddressable range, `ENOMEM` when the mapping fails.
    pub(crate) fn map(phys: u64, size: u64) -> Result<Self> {
        let size = usize::try_from(size).map_err(|_| EINVAL)?;
        if size == 0 || phys % 8 != 0 {
            return Err(EINVAL);
        }
        let phys: bindings::phys_addr_t = phys.try_into().map_err(|_| EINVAL)?;
        // SAFETY: Mapping a physical range has no precondition; the result is checked.
        let base = unsafe { bindings::asahi_helper_memremap_wb(phys, size) };
        let base = NonNull::new(base.cast::<u64>()).ok_or(ENOMEM)?;
        // INVARIANT: a live mapping of `size` bytes.
        Ok(Self { base, size })
    }

    /// The number of whole 64-bit words mapped.
    pub(crate) fn words(&self) -> usize {
        self.size / 8
    }

    /// Reads 64-bit word `index` (another agent may write it concurrently: a single volatile,
    /// aligned load sees either value); `None` past the end.
    pub(crate) fn read_u64(&self, index: usize) -> Option<u64> {
        if index >= self.words() {
            return None;
        }
        // SAFETY: `index < size / 8`: a word inside the live mapping, aligned because `phys` is
        // (checked in `map`) and memremap keeps the offset within the page.
        Some(unsafe { self.base.as_ptr().add(index).read_volatile() })
    }
}

impl Drop for WbMem {
    fn drop(&mut self) {
        // SAFETY: `base` is a live `memremap` (type invariant), unmapped once, here.
        unsafe { bindings::memunmap(self.base.as_ptr().cast()) };
    }
}
