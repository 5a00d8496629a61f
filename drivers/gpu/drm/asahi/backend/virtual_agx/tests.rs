// SPDX-License-Identifier: GPL-2.0 OR MIT

//! KUnit tests of the virtual AGX as hardware: identity from its registers, RTKit refusing to
//! start before its CPU runs, and the firmware crashing, with its reason in an RTKit-format
//! crash log, when the init data it boots from is incomplete.

use super::VirtualAgx;
use crate::backend::{endpoint, MessageHandler, Mmio, Transport};
use crate::fw::channels::init_msg;
use crate::fwalloc::FwAllocator;
use crate::fwmem::FwBoot;
use crate::hw::regs;
use crate::kernel_ext::kunit::{expect_eq, expect_true, kunit_suite, Context};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

/// A handler that records what it learns of the crash log it gets.
#[derive(Default)]
struct Catch {
    crashed: AtomicU32,
    /// The log starts with RTKit's `CLHE` header (a little-endian `u32` 'C' << 24 | ...).
    header: AtomicBool,
    /// The log names the init data as the reason.
    reason: AtomicBool,
}

impl MessageHandler for Catch {
    fn recv_message(&self, _endpoint: u8, _msg: u64) {}

    fn crashed(&self, crashlog: &[u8]) {
        self.header.store(
            crashlog.starts_with(&0x434c_4845u32.to_le_bytes()),
            Ordering::Relaxed,
        );
        self.reason
            .store(contains(crashlog, b"InitData"), Ordering::Relaxed);
        self.crashed.fetch_add(1, Ordering::AcqRel);
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The ID registers say t8103 (G13G, one cluster of eight cores), and RTKit does not start
/// before the driver sets the coprocessor's run bit.
fn identity_and_cpu_start(ctx: &mut Context) -> Result {
    let v: Arc<dyn Transport> = Arc::new(VirtualAgx::new()?, GFP_KERNEL)?;
    let hw = crate::hw::identify(&*v).map_err(|_| EINVAL)?;
    expect_eq!(ctx, hw.chip_id, 0x8103);
    expect_eq!(ctx, v.read32(Mmio::Sgx, regs::ID_VERSION) >> 24, 4);
    expect_eq!(ctx, v.read32(Mmio::Sgx, regs::SGX_SIZE), !0);
    let h = Arc::new(Catch::default(), GFP_KERNEL)?;
    let handler: Arc<dyn MessageHandler> = h.clone();
    expect_eq!(ctx, v.start(handler.clone()).err(), Some(ENODEV));
    expect_eq!(
        ctx,
        v.send(endpoint::DOORBELL, (0x83 << 48) | 0x10).err(),
        Some(ENODEV)
    );
    v.write32(Mmio::Asc, regs::CPU_CONTROL, regs::CPU_CONTROL_RUN);
    expect_eq!(ctx, v.start(handler).err(), None);
    v.shutdown();
    Ok(())
}

/// Init data without its `Globals` pointer: `MSG_INIT` makes the firmware crash, and the crash
/// log (RTKit's format: a `CLHE` header, `Cstr` text) names the reason.
fn missing_initdata_pointer_crashes(ctx: &mut Context) -> Result {
    let v: Arc<dyn Transport> = Arc::new(VirtualAgx::new()?, GFP_KERNEL)?;
    let fw = FwAllocator::new(v.clone())?;
    let boot = FwBoot::new(&fw, &*v)?;
    let globals = core::mem::offset_of!(crate::fw::variants::g13_v13_5::InitData, globals);
    boot.initdata().write_bytes(globals, &0u64.to_le_bytes())?;
    let h = Arc::new(Catch::default(), GFP_KERNEL)?;
    v.write32(Mmio::Asc, regs::CPU_CONTROL, regs::CPU_CONTROL_RUN);
    v.start(h.clone())?;
    v.send(endpoint::FIRMWARE, init_msg(boot.layout().initdata))?;
    // TIMEOUT: the crash report runs on a work item; 1 s, polled every millisecond.
    for _ in 0..1000 {
        if h.crashed.load(Ordering::Acquire) != 0 {
            break;
        }
        // SAFETY: Plain sleep in process context.
        unsafe { crate::bindings::msleep(1) };
    }
    expect_eq!(ctx, h.crashed.load(Ordering::Acquire), 1);
    expect_true!(ctx, h.header.load(Ordering::Relaxed), "CLHE header");
    expect_true!(
        ctx,
        h.reason.load(Ordering::Relaxed),
        "reason in the crash log"
    );
    // After the crash no message is taken.
    expect_eq!(
        ctx,
        v.send(endpoint::DOORBELL, (0x83 << 48) | 0x10).err(),
        Some(ENODEV)
    );
    v.shutdown();
    drop(boot);
    Ok(())
}

kunit_suite!(
    asahi_virtual_agx,
    [identity_and_cpu_start, missing_initdata_pointer_crashes]
);
