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

#[cfg(CONFIG_KUNIT)]
mod tests {
    use super::{Vm, GPU_PAGE_SIZE, KERNEL_MIN_SIZE, USER_RANGE};
    use crate::kernel_ext::kunit::{expect_eq, expect_true, kunit_suite, Context};
    use core::ops::Range;
    use kernel::prelude::*;

    /// The window Mesa asks for: the top 32 GiB of the user range.
    const MESA_WINDOW: Range<u64> = USER_RANGE.end - (32 << 30)..USER_RANGE.end;

    /// `Vm::new`'s verdict on `range`: `Ok(())` or the error.
    fn verdict(range: Range<u64>) -> Result {
        Vm::new(range).map(|_| ())
    }

    fn accepts_mesa_window() -> Result {
        Vm::new(MESA_WINDOW)?;
        Ok(())
    }

    fn accepts_boundaries(ctx: &mut Context) {
        let start = USER_RANGE.start;
        let end = USER_RANGE.end;
        // The smallest window, at either end of the user range, and the whole user range.
        expect_eq!(ctx, verdict(start..start + KERNEL_MIN_SIZE), Ok(()));
        expect_eq!(ctx, verdict(end - KERNEL_MIN_SIZE..end), Ok(()));
        expect_eq!(ctx, verdict(USER_RANGE), Ok(()));
    }

    fn rejects_outside_user_range(ctx: &mut Context) {
        let start = USER_RANGE.start;
        let end = USER_RANGE.end;
        // Below the start: the null-catching first page, and address 0.
        let low = start - GPU_PAGE_SIZE;
        expect_eq!(ctx, verdict(low..low + KERNEL_MIN_SIZE), Err(EINVAL));
        expect_eq!(ctx, verdict(0..KERNEL_MIN_SIZE), Err(EINVAL));
        // Past the end: the driver-owned top page, and beyond the 39-bit half.
        let high = end + GPU_PAGE_SIZE;
        expect_eq!(ctx, verdict(high - KERNEL_MIN_SIZE..high), Err(EINVAL));
        expect_eq!(
            ctx,
            verdict(1 << 39..(1 << 39) + KERNEL_MIN_SIZE),
            Err(EINVAL)
        );
        expect_eq!(ctx, verdict(0..u64::MAX), Err(EINVAL));
    }

    fn rejects_empty_and_reversed(ctx: &mut Context) {
        let mid = MESA_WINDOW.start;
        expect_eq!(ctx, verdict(mid..mid), Err(EINVAL));
        // Reversed: must not underflow computing the size.
        expect_eq!(
            ctx,
            verdict(MESA_WINDOW.end..MESA_WINDOW.start),
            Err(EINVAL)
        );
        expect_eq!(ctx, verdict(mid + GPU_PAGE_SIZE..mid), Err(EINVAL));
    }

    fn rejects_too_small(ctx: &mut Context) {
        let start = MESA_WINDOW.start;
        expect_eq!(ctx, verdict(start..start + GPU_PAGE_SIZE), Err(EINVAL));
        let just_short = start..start + KERNEL_MIN_SIZE - GPU_PAGE_SIZE;
        expect_eq!(ctx, verdict(just_short), Err(EINVAL));
    }

    fn rejects_unaligned(ctx: &mut Context) {
        let Range { start, end } = MESA_WINDOW;
        // Off by a CPU page (4 KiB) and by a byte, at either end; the window stays large enough.
        for off in [0x1000, 1, GPU_PAGE_SIZE - 1] {
            expect_eq!(ctx, verdict(start + off..end), Err(EINVAL), "off {off:#x}");
            expect_eq!(ctx, verdict(start..end - off), Err(EINVAL), "off {off:#x}");
        }
    }

    fn serials_unique_and_nonzero(ctx: &mut Context) -> Result {
        let a = Vm::new(MESA_WINDOW)?;
        let b = Vm::new(MESA_WINDOW)?;
        let c = Vm::new(USER_RANGE)?;
        expect_true!(ctx, a.serial() != 0);
        expect_true!(ctx, b.serial() != 0);
        expect_true!(ctx, c.serial() != 0);
        expect_true!(ctx, a.serial() != b.serial());
        expect_true!(ctx, b.serial() != c.serial());
        expect_true!(ctx, a.serial() != c.serial());
        Ok(())
    }

    kunit_suite!(
        asahi_vm,
        [
            accepts_mesa_window,
            accepts_boundaries,
            rejects_outside_user_range,
            rejects_empty_and_reversed,
            rejects_too_small,
            rejects_unaligned,
            serials_unique_and_nonzero,
        ]
    );
}
