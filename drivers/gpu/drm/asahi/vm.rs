// SPDX-License-Identifier: GPL-2.0 OR MIT

//! GPU virtual address spaces (`DRM_IOCTL_ASAHI_VM_CREATE`).
//!
//! A [`Vm`] is one GPU address space of one client: the user half of the GPU's 39-bit address
//! range, with a window userspace chose at creation that belongs to the kernel (for firmware-
//! visible per-queue objects) and which userspace may not bind into. It is reference counted:
//! the file's VM table holds one reference and every queue created on it holds another, so
//! destroying a VM that a queue still uses is safe and takes effect when the queue goes.

use core::ops::Range;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;

/// GPU page size: 16 KiB on every AGX, whatever the CPU's page size.
pub(crate) const GPU_PAGE_SIZE: u64 = 0x4000;

/// The part of the user half that userspace may use.
///
/// Source: downstream drm/asahi `mmu.rs` `IOVA_USER_USABLE_RANGE`, reported to userspace as
/// `vm_start`/`vm_end` (shared/reference/asahi-driver.md §4): the first 16 KiB stay unmapped to
/// catch null pointers and the top 32 KiB of the 2^39 half hold a driver-owned page.
pub(crate) const USER_RANGE: Range<u64> = 0x4000..(1 << 39) - 0x8000;

/// The smallest kernel window userspace may give a VM (512 MiB, as downstream).
pub(crate) const KERNEL_MIN_SIZE: u64 = 0x2000_0000;

/// Source of VM serial numbers: unique for the module's lifetime, never 0.
static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);

/// One client address space.
pub(crate) struct Vm {
    serial: u64,
    #[expect(dead_code, reason = "VM_BIND refuses to map into it")]
    kernel_range: Range<u64>,
}

impl Vm {
    /// Validates `kernel_range` (inside [`USER_RANGE`], at least [`KERNEL_MIN_SIZE`], GPU-page
    /// aligned) and creates the VM. Invalid windows fail with `EINVAL`.
    pub(crate) fn new(kernel_range: Range<u64>) -> Result<Self> {
        let aligned = |x: u64| x % GPU_PAGE_SIZE == 0;
        if kernel_range.start < USER_RANGE.start
            || kernel_range.end > USER_RANGE.end
            || kernel_range.start >= kernel_range.end
            || kernel_range.end - kernel_range.start < KERNEL_MIN_SIZE
            || !aligned(kernel_range.start)
            || !aligned(kernel_range.end)
        {
            return Err(EINVAL);
        }
        Ok(Self {
            serial: NEXT_SERIAL.fetch_add(1, Ordering::Relaxed),
            kernel_range,
        })
    }

    /// A number identifying this VM for the module's lifetime (what `VM_PRIVATE` objects record
    /// instead of a reference, which would make a VM and its objects keep each other alive).
    pub(crate) fn serial(&self) -> u64 {
        self.serial
    }

}
