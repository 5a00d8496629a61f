// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The real transport: an AGX behind its ASC coprocessor (arm64, `CONFIG_APPLE_RTKIT`).
//!
//! What it owns, from the matched `apple,agx-*` device-tree node (shared/reference/
//! firmware-commands.md §6.1, §6.3, §7):
//! - `ioremap`s of the `asc` and `sgx` register ranges (`reg-names`), read and written through
//!   [`Transport::read32`]/[`Transport::read64`]/[`Transport::write32`] with bounds checks;
//! - the ranges of the six bootloader regions (`memory-region-names`), and a write-back mapping
//!   of the TTBAT (`ttbs`) to find the context slot (= ASID, asahi-driver.md §5) a page-table
//!   root is bound to when invalidating;
//! - the RTKit client ([`crate::kernel_ext::rtkit::RtKit`]) of the coprocessor behind `mboxes`,
//!   created at probe, booted by [`Transport::start`], freed by [`Transport::shutdown`].
//!
//! RTKit's callbacks go to a [`Dispatch`] (the RTKit cookie's handler), which forwards endpoint
//! messages, the crash and the mapping of the buffers RTKit gives the coprocessor
//! ([`MessageHandler::shmem_map`]) to the current [`MessageHandler`].
//!
//! Locks, in order: `lifecycle` (mutex: start, shutdown) → `Dispatch::handler` (mutex, held while
//! a message is delivered) and `live` (irq-safe spinlock, held while a message is sent; never
//! across anything that sleeps).

use super::{endpoint, MessageHandler, Mmio, Region, RegionInfo, Transport};
use crate::kernel_ext::io::IoMem;
use crate::kernel_ext::memremap::RegionMap;
use crate::kernel_ext::platform;
use crate::kernel_ext::print::{dev_err, dev_info};
use crate::kernel_ext::property::DeviceProps;
use crate::kernel_ext::rtkit::{self, RtKit};
use crate::kernel_ext::spinlock_irq::{lock_class, SpinLockIrq};
use kernel::c_str;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::{Arc, Mutex};

/// RTKit's handler: routes its callbacks to whoever currently listens.
#[pin_data]
struct Dispatch {
    #[pin]
    handler: Mutex<Option<Arc<dyn MessageHandler>>>,
}

impl rtkit::Handler for Dispatch {
    fn recv_message(&self, endpoint: u8, msg: u64) {
        // Held across the delivery: `shutdown` clears the handler under this lock, so no message
        // reaches it once `shutdown` returns.
        if let Some(h) = self.handler.lock().as_ref() {
            h.recv_message(endpoint, msg);
        }
    }

    fn crashed(&self, crashlog: &[u8]) {
        // Not held across the call: the handler may stop the device from its crash path.
        let h = self.handler.lock().clone();
        if let Some(h) = h {
            h.crashed(crashlog);
        }
    }

    fn shmem_map(&self, phys: u64, size: usize) -> Result<u64> {
        // Not held across the call: mapping takes the GPU's page-table locks.
        let h = self.handler.lock().clone();
        h.ok_or(ENODEV)?.shmem_map(phys, size)
    }

    fn shmem_unmap(&self, iova: u64, size: usize) {
        let h = self.handler.lock().clone();
        if let Some(h) = h {
            h.shmem_unmap(iova, size);
        }
    }
}

/// The transport to an AGX on real hardware.
#[pin_data]
pub(crate) struct RtkitTransport {
    asc: IoMem,
    sgx: IoMem,
    regions: [Option<RegionInfo>; 6],
    /// The TTBAT, `None` when it could not be mapped (then invalidations are conservative).
    ttbat: Option<RegionMap>,
    dispatch: Arc<Dispatch>,
    /// The RTKit client; taken (and freed) by `shutdown`.
    #[pin]
    lifecycle: Mutex<Option<Arc<RtKit>>>,
    /// The client while started: what `send` uses.
    #[pin]
    live: SpinLockIrq<Option<Arc<RtKit>>>,
}

/// Size of the TTBAT the transport reads (`fw::uat::TTBAT_SIZE`: 64 slots of `ttb0`, `ttb1`).
const TTBAT_SIZE: u64 = crate::fw::uat::TTBAT_SIZE as u64;

impl RtkitTransport {
    /// Maps the node's register ranges, looks its reserved memory up and creates the RTKit
    /// client over its mailbox. The node must have been checked (`crate::desc::Resources`):
    /// this is where the first MMIO mapping happens. Process context.
    pub(crate) fn new(pdev: &platform::Device) -> Result<Arc<Self>> {
        let props = DeviceProps::new(pdev);
        let map = |name: &'static CStr| -> Result<IoMem> {
            let (start, size) = pdev.mem_resource(name).ok_or(ENODEV)?;
            IoMem::map(start, size).inspect_err(|e| {
                dev_err!(
                    pdev,
                    "cannot map reg \"{}\" ({:#x}+{:#x}): {:?}\n",
                    name,
                    start,
                    size,
                    e
                )
            })
        };
        let asc = map(c_str!("asc"))?;
        let sgx = map(c_str!("sgx"))?;
        let regions = Region::ALL.map(|r| {
            props
                .reserved_memory(r.name())
                .ok()
                .map(|(phys, size)| RegionInfo { phys, size })
        });
        let ttbat = regions[Region::Ttbs as usize]
            .filter(|r| r.size >= TTBAT_SIZE)
            .and_then(|r| RegionMap::new(r.phys, TTBAT_SIZE).ok());
        if ttbat.is_none() {
            dev_err!(
                pdev,
                "cannot map the TTBAT: TLB invalidations flush everything\n"
            );
        }
        let dispatch = Arc::pin_init(
            pin_init!(Dispatch {
                handler <- new_mutex!(None, "asahi::rtkit::handler"),
            }),
            GFP_KERNEL,
        )?;
        let rtk = RtKit::new(pdev, dispatch.clone()).inspect_err(|e| {
            if *e != EPROBE_DEFER {
                dev_err!(pdev, "RTKit over mboxes[0] failed: {:?}\n", e);
            }
        })?;
        let rtk = Arc::new(rtk, GFP_KERNEL)?;
        dev_info!(
            pdev,
            "RTKit transport ready (asc, sgx mapped; mailbox started)\n"
        );
        Arc::pin_init(
            pin_init!(Self {
                asc,
                sgx,
                regions,
                ttbat,
                dispatch,
                lifecycle <- new_mutex!(Some(rtk), "asahi::rtkit::lifecycle"),
                live <- SpinLockIrq::new(None, c_str!("asahi::rtkit::live"), lock_class!()),
            }),
            GFP_KERNEL,
        )
    }

    fn mmio(&self, mmio: Mmio) -> &IoMem {
        match mmio {
            Mmio::Asc => &self.asc,
            Mmio::Sgx => &self.sgx,
        }
    }

    /// The context slot (ASID) page-table root `ttb` is bound to: `Ok(None)` when bound to no
    /// slot, `Err(())` when the TTBAT is unreadable.
    fn asid(&self, ttb: u64) -> core::result::Result<Option<u16>, ()> {
        use crate::fw::uat::{decode_ttbat_entry, NUM_CONTEXTS, TTB_BASE_MASK};
        let ttbat = self.ttbat.as_ref().ok_or(())?;
        let base = ttb & TTB_BASE_MASK;
        for slot in 0..NUM_CONTEXTS {
            for half in 0..2 {
                let Some(entry) = ttbat
                    .u64_at((slot * 2 + half) * 8)
                    .map(|w| w.load(core::sync::atomic::Ordering::Acquire))
                else {
                    return Err(());
                };
                if let Some((b, asid)) = decode_ttbat_entry(entry) {
                    if b == base {
                        // CAST: ASIDs are 16 bits (`decode_ttbat_entry`).
                        return Ok(Some(asid as u16));
                    }
                }
            }
        }
        Ok(None)
    }
}

/// CPU TLB maintenance by broadcast to the outer-shareable domain, which the GPU's TLB belongs
/// to (asahi-driver.md §5). Encoded as `sys` instructions (the `tlbi …os` forms need ARMv8.4
/// assembler support); encodings from the kernel's `arch/arm64/include/asm/sysreg.h`
/// (`OP_TLBI_*`: op1 0, CRn 8, CRm 1, op2 0/1/2).
#[cfg(CONFIG_ARM64)]
mod tlbi {
    use core::arch::asm;

    /// `tlbi vmalle1os; dsb sy`: everything, every ASID.
    pub(super) fn vmalle1os() {
        // SAFETY: TLB maintenance only drops cached translations; it touches no memory.
        unsafe {
            asm!(
                "dsb ishst",
                "sys #0, c8, c1, #0",
                "dsb sy",
                "isb",
                options(nostack)
            )
        };
    }

    /// `tlbi aside1os, asid<<48; dsb sy`: one ASID.
    pub(super) fn aside1os(asid: u16) {
        let arg = u64::from(asid) << 48;
        // SAFETY: As in `vmalle1os`.
        unsafe {
            asm!("dsb ishst", "sys #0, c8, c1, #2, {0}", "dsb sy", "isb", in(reg) arg, options(nostack))
        };
    }

    /// `tlbi vae1os` for each `step`-byte page of `[va, va + size)` in `asid`, then `dsb sy`.
    pub(super) fn vae1os_range(asid: u16, va: u64, size: u64, step: u64) {
        // SAFETY: As in `vmalle1os`.
        unsafe { asm!("dsb ishst", options(nostack)) };
        let end = va.saturating_add(size);
        let mut a = va;
        while a < end {
            // `__TLBI_VADDR`: VA[55:12] in bits 43:0, ASID in 63:48.
            let arg = ((a >> 12) & ((1 << 44) - 1)) | (u64::from(asid) << 48);
            // SAFETY: As in `vmalle1os`.
            unsafe { asm!("sys #0, c8, c1, #1, {0}", in(reg) arg, options(nostack)) };
            let Some(next) = a.checked_add(step) else {
                break;
            };
            a = next;
        }
        // SAFETY: As in `vmalle1os`.
        unsafe { asm!("dsb sy", "isb", options(nostack)) };
    }
}

/// A range invalidation of more pages than this invalidates the whole ASID instead.
const MAX_RANGE_PAGES: u64 = 64;
/// The GPU page size (UAT: 16 KiB).
const GPU_PAGE: u64 = crate::fw::uat::PAGE_SIZE;

impl Transport for RtkitTransport {
    fn name(&self) -> &'static CStr {
        c_str!("rtkit")
    }

    fn region(&self, region: Region) -> Option<RegionInfo> {
        self.regions.get(region as usize).copied().flatten()
    }

    fn read32(&self, mmio: Mmio, offset: usize) -> u32 {
        self.mmio(mmio).read32(offset)
    }

    fn read64(&self, mmio: Mmio, offset: usize) -> u64 {
        self.mmio(mmio).read64(offset)
    }

    fn write32(&self, mmio: Mmio, offset: usize, value: u32) {
        self.mmio(mmio).write32(offset, value)
    }

    fn start(&self, handler: Arc<dyn MessageHandler>) -> Result {
        let lifecycle = self.lifecycle.lock();
        let rtk = lifecycle.as_ref().ok_or(ENODEV)?.clone();
        if self.live.lock().is_some() {
            return Err(EBUSY);
        }
        // Nothing the GPU cached from before this boot may survive (see "TLB invalidation").
        #[cfg(CONFIG_ARM64)]
        tlbi::vmalle1os();
        *self.dispatch.handler.lock() = Some(handler);
        let boot = || -> Result {
            rtk.boot()?;
            rtk.start_ep(endpoint::FIRMWARE)?;
            rtk.start_ep(endpoint::DOORBELL)
        };
        if let Err(e) = boot() {
            *self.dispatch.handler.lock() = None;
            return Err(e);
        }
        *self.live.lock() = Some(rtk);
        Ok(())
    }

    fn send(&self, endpoint: u8, msg: u64) -> Result {
        let live = self.live.lock();
        let rtk = live.as_ref().ok_or(ENODEV)?;
        if rtk.is_crashed() || !rtk.is_running() {
            return Err(ENODEV);
        }
        rtk.send_atomic(endpoint, msg)
    }

    fn tlb_invalidate(&self, ttb: u64, va: u64, size: u64) {
        let pages = size.div_ceil(GPU_PAGE);
        match self.asid(ttb) {
            Ok(None) => {}
            #[cfg(CONFIG_ARM64)]
            Ok(Some(asid)) if pages <= MAX_RANGE_PAGES => {
                tlbi::vae1os_range(asid, va & !(GPU_PAGE - 1), pages * GPU_PAGE, GPU_PAGE)
            }
            #[cfg(CONFIG_ARM64)]
            Ok(Some(asid)) => tlbi::aside1os(asid),
            #[cfg(CONFIG_ARM64)]
            Err(()) => tlbi::vmalle1os(),
            #[cfg(not(CONFIG_ARM64))]
            _ => {
                let _ = (va, pages, MAX_RANGE_PAGES);
            }
        }
    }

    fn tlb_invalidate_all(&self, ttb: u64) {
        match self.asid(ttb) {
            Ok(None) => {}
            #[cfg(CONFIG_ARM64)]
            Ok(Some(asid)) => tlbi::aside1os(asid),
            #[cfg(CONFIG_ARM64)]
            Err(()) => tlbi::vmalle1os(),
            #[cfg(not(CONFIG_ARM64))]
            _ => {}
        }
    }

    fn shutdown(&self) {
        let mut lifecycle = self.lifecycle.lock();
        // Out of the spinlock before anything that sleeps; `lifecycle` still holds a reference,
        // so this drop is never the last.
        let live = self.live.lock().take();
        drop(live);
        if let Some(rtk) = lifecycle.take() {
            // A coprocessor that does not answer is stopped anyway, by freeing the client.
            let _ = rtk.shutdown();
            // The last reference: `apple_rtkit_free` drains RTKit's workqueue.
            drop(rtk);
        }
        *self.dispatch.handler.lock() = None;
    }

    fn crash(&self) -> Result {
        // CAST: errno constants fit `i32`.
        Err(Error::from_errno(-(kernel::bindings::EOPNOTSUPP as i32)))
    }
}
