// SPDX-License-Identifier: GPL-2.0 OR MIT

//! KUnit tests of the virtual AGX as hardware: identity from its registers, RTKit refusing to
//! start before its CPU runs, the firmware crashing, with its reason in an RTKit-format crash
//! log, when the init data it boots from is incomplete or the handoff region lacks the driver's
//! magic, the driver refusing a firmware that publishes no magic, and the handoff lock and flush
//! slots as both sides use them.

use super::VirtualAgx;
use crate::backend::{endpoint, MessageHandler, Mmio, Region, Transport};
use crate::fw::channels::init_msg;
use crate::fw::uat::{Handoff as Layout, HANDOFF_KERNEL_FLUSH_SLOT, HANDOFF_MAGIC};
use crate::fwalloc::FwAllocator;
use crate::fwmem::FwBoot;
use crate::hw::regs;
use crate::kernel_ext::kunit::{expect_eq, expect_true, kunit_suite, Context};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

/// A handler that records what it learns of the crash log it gets.
struct Catch {
    crashed: AtomicU32,
    /// The log starts with RTKit's `CLHE` header (a little-endian `u32` 'C' << 24 | ...).
    header: AtomicBool,
    /// The log names the reason expected (`needle`).
    reason: AtomicBool,
    needle: &'static [u8],
}

impl Catch {
    fn new(needle: &'static [u8]) -> Result<Arc<Self>> {
        Ok(Arc::new(
            Self {
                crashed: AtomicU32::new(0),
                header: AtomicBool::new(false),
                reason: AtomicBool::new(false),
                needle,
            },
            GFP_KERNEL,
        )?)
    }

    /// Waits (1 s at most, polled every millisecond) for the crash report's work item.
    fn wait(&self) -> u32 {
        for _ in 0..1000 {
            if self.crashed.load(Ordering::Acquire) != 0 {
                break;
            }
            // SAFETY: Plain sleep in process context.
            unsafe { crate::bindings::msleep(1) };
        }
        self.crashed.load(Ordering::Acquire)
    }
}

impl MessageHandler for Catch {
    fn recv_message(&self, _endpoint: u8, _msg: u64) {}

    fn crashed(&self, crashlog: &[u8]) {
        self.header.store(
            crashlog.starts_with(&0x434c_4845u32.to_le_bytes()),
            Ordering::Relaxed,
        );
        self.reason
            .store(contains(crashlog, self.needle), Ordering::Relaxed);
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
    let h = Catch::new(b"")?;
    let handler: Arc<dyn MessageHandler> = h.clone();
    expect_eq!(ctx, v.start(handler.clone()).err(), Some(ENODEV));
    expect_eq!(
        ctx,
        v.send(endpoint::DOORBELL, (0x83 << 48) | 0x10).err(),
        Some(ENODEV)
    );
    v.write32(Mmio::Asc, regs::CPU_CONTROL, regs::CPU_CONTROL_RUN);
    expect_eq!(ctx, v.start(handler).err(), None);
    // The bootloader's blobs are the t8103's, whole pages each: HwDataB names the chip and
    // the TTBAT, Globals is as big as its layout.
    use crate::fw::variants::g13_v13_5 as fwv;
    let word = |region, off: usize| -> u64 {
        v.region(region)
            .and_then(|r| super::PhysMem::ptr(r.phys + off as u64, 8))
            // SAFETY: `p` is 8 bytes of the bootloader's blob run (RAM, checked), which lives
            // as long as `v`.
            .map_or(0, |p| unsafe { p.cast::<u64>().read_unaligned() })
    };
    expect_eq!(
        ctx,
        word(Region::HwCalB, core::mem::offset_of!(fwv::HwDataB, chip_id)) & 0xffff_ffff,
        0x8103
    );
    expect_eq!(
        ctx,
        word(
            Region::HwCalB,
            core::mem::offset_of!(fwv::HwDataB, uat_ttb_base)
        ),
        v.region(Region::Ttbs).map_or(1, |r| r.phys)
    );
    expect_true!(
        ctx,
        v.region(Region::Globals)
            .is_some_and(|r| r.size >= fwv::GLOBALS_SIZE as u64 && r.size % 0x4000 == 0),
        "globals region holds the layout"
    );
    expect_true!(
        ctx,
        v.region(Region::Pagetables).is_none(),
        "no pagetables region"
    );
    v.shutdown();
    Ok(())
}

/// Init data without its `Globals` pointer: `MSG_INIT` makes the firmware crash, and the crash
/// log (RTKit's format: a `CLHE` header, `Cstr` text) names the reason.
fn missing_initdata_pointer_crashes(ctx: &mut Context) -> Result {
    let v: Arc<dyn Transport> = Arc::new(VirtualAgx::new()?, GFP_KERNEL)?;
    let fw = FwAllocator::new(v.clone())?;
    // The handoff with the firmware needs its CPU running.
    v.write32(Mmio::Asc, regs::CPU_CONTROL, regs::CPU_CONTROL_RUN);
    let boot = FwBoot::new(&fw, &*v)?;
    let globals = core::mem::offset_of!(crate::fw::variants::g13_v13_5::InitData, globals);
    boot.initdata().write_bytes(globals, &0u64.to_le_bytes())?;
    let h = Catch::new(b"InitData")?;
    v.start(h.clone())?;
    v.send(endpoint::FIRMWARE, init_msg(boot.layout().initdata))?;
    // TIMEOUT: the crash report runs on a work item; 1 s, polled every millisecond.
    expect_eq!(ctx, h.wait(), 1);
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

/// A driver whose firmware never publishes its handoff magic (its CPU not started) refuses the
/// device (`EIO`); once the CPU runs the handoff succeeds, after which a corrupted `magic_ap`
/// makes `MSG_INIT` crash the firmware with the handoff named in its crash log.
fn corrupt_handoff_magic_crashes(ctx: &mut Context) -> Result {
    let agx = Arc::new(VirtualAgx::new()?, GFP_KERNEL)?;
    let v: Arc<dyn Transport> = agx.clone();
    let fw = FwAllocator::new(v.clone())?;
    expect_eq!(ctx, FwBoot::new(&fw, &*v).err(), Some(EIO));
    expect_eq!(ctx, agx.fw.handoff.stats().0, 0);
    v.write32(Mmio::Asc, regs::CPU_CONTROL, regs::CPU_CONTROL_RUN);
    // The firmware published its magic under its side of the lock.
    expect_eq!(ctx, agx.fw.handoff.stats().0, 1);
    let fw = FwAllocator::new(v.clone())?;
    let boot = FwBoot::new(&fw, &*v)?;
    let region = boot.handoff().region();
    let word = |off| region.u64_at(off).map_or(0, |w| w.load(Ordering::Acquire));
    expect_eq!(ctx, word(Layout::MAGIC_AP_OFFSET), HANDOFF_MAGIC);
    expect_eq!(ctx, word(Layout::MAGIC_FW_OFFSET), HANDOFF_MAGIC);
    region
        .u64_at(Layout::MAGIC_AP_OFFSET)
        .ok_or(EINVAL)?
        .store(0x4b1d_0000_dead_beef, Ordering::Release);
    let h = Catch::new(b"handoff region's magic_ap")?;
    v.start(h.clone())?;
    v.send(endpoint::FIRMWARE, init_msg(boot.layout().initdata))?;
    expect_eq!(ctx, h.wait(), 1);
    expect_true!(ctx, h.header.load(Ordering::Relaxed), "CLHE header");
    expect_true!(
        ctx,
        h.reason.load(Ordering::Relaxed),
        "the handoff magic named in the crash log"
    );
    v.shutdown();
    drop(boot);
    Ok(())
}

/// The handoff lock as both sides take it: the driver's init and TTBAT slot 0 take it and
/// leave it free with the turn the firmware's; a firmware holding it makes the driver time out
/// (leaving its flag clear) whoever's turn it is; a driver holding it makes the firmware give
/// up; a flush slot goes requested → done → idle, and the firmware refuses to complete a range
/// the driver did not announce.
fn handoff_lock_protocol(ctx: &mut Context) -> Result {
    let agx = Arc::new(VirtualAgx::new()?, GFP_KERNEL)?;
    let v: Arc<dyn Transport> = agx.clone();
    v.write32(Mmio::Asc, regs::CPU_CONTROL, regs::CPU_CONTROL_RUN);
    let fw = FwAllocator::new(v.clone())?;
    let boot = FwBoot::new(&fw, &*v)?;
    let hand = boot.handoff();
    let region = hand.region();
    let flag = |off| {
        region
            .u8_at(off)
            .map_or(0xff, |f| f.load(Ordering::Acquire))
    };
    let turn = || {
        region
            .u32_at(Layout::TURN_OFFSET)
            .map_or(0xff, |t| t.load(Ordering::Acquire))
    };
    // Init (at least one try, then the flush slots) and slot 0: three takes, none waited.
    let (taken, waited) = hand.stats();
    expect_true!(
        ctx,
        taken >= 3,
        "the driver took the lock at init and for slot 0"
    );
    expect_eq!(ctx, waited, 0);
    expect_eq!(ctx, flag(Layout::LOCK_AP_OFFSET), 0);
    expect_eq!(ctx, turn(), 1);
    let fw_flag = region.u8_at(Layout::LOCK_FW_OFFSET).ok_or(EINVAL)?;
    let turn_word = region.u32_at(Layout::TURN_OFFSET).ok_or(EINVAL)?;
    // The firmware holds the lock, its turn and then the driver's: the driver times out.
    fw_flag.store(1, Ordering::Release);
    for t in [1, 0] {
        turn_word.store(t, Ordering::Release);
        expect_eq!(ctx, hand.lock().err(), Some(crate::handoff::etimedout()));
        expect_eq!(ctx, flag(Layout::LOCK_AP_OFFSET), 0);
    }
    fw_flag.store(0, Ordering::Release);
    expect_eq!(ctx, hand.stats().0, taken);
    {
        let _g = hand.lock()?;
        expect_eq!(ctx, flag(Layout::LOCK_AP_OFFSET), 1);
        // The driver holds it: the firmware gives up rather than read under it.
        expect_true!(ctx, agx.fw.handoff.lock().is_none(), "firmware kept out");
        expect_eq!(ctx, flag(Layout::LOCK_FW_OFFSET), 0);
    }
    expect_eq!(ctx, hand.stats().0, taken + 1);
    let fw_taken = agx.fw.handoff.stats().0;
    expect_true!(
        ctx,
        agx.fw.handoff.lock().is_some(),
        "firmware gets it once free"
    );
    expect_eq!(ctx, agx.fw.handoff.stats().0, fw_taken + 1);
    expect_eq!(ctx, turn(), 0);
    expect_eq!(ctx, flag(Layout::LOCK_FW_OFFSET), 0);
    // A flush: announced, completed by the firmware for that range only, ended.
    let slot = HANDOFF_KERNEL_FLUSH_SLOT;
    let va = 0xffff_ffa0_0001_0000;
    expect_true!(
        ctx,
        !agx.fw.handoff.complete_flush(slot, va),
        "nothing announced"
    );
    hand.begin_flush(slot, va, 0x4000)?;
    expect_true!(
        ctx,
        !agx.fw.handoff.complete_flush(slot, va + 0x4000),
        "other range"
    );
    expect_eq!(ctx, hand.end_flush(slot, true).err(), Some(EIO));
    hand.begin_flush(slot, va, 0x4000)?;
    expect_true!(
        ctx,
        agx.fw.handoff.complete_flush(slot, va),
        "announced range"
    );
    expect_eq!(ctx, hand.end_flush(slot, true).err(), None);
    let state = Layout::flush_offset(slot).ok_or(EINVAL)?;
    expect_eq!(
        ctx,
        region
            .u64_at(state)
            .map_or(9, |s| s.load(Ordering::Acquire)),
        0
    );
    v.shutdown();
    drop(boot);
    Ok(())
}

kunit_suite!(
    asahi_virtual_agx,
    [
        identity_and_cpu_start,
        missing_initdata_pointer_crashes,
        corrupt_handoff_magic_crashes,
        handoff_lock_protocol
    ]
);
