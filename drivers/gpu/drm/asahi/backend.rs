// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The backend boundary: the one place the driver learns what kind of AGX it drives.
//!
//! Everything above this trait (DRM device, files, VMs, queues, job tracking, fences) is the
//! same for every backend. A backend provides the transport to the firmware and the SoC's
//! identity; it is chosen once, at probe, from the matched device:
//!
//! | device | backend |
//! |---|---|
//! | `agx-virtual` platform device (created by this module when the device tree has no AGX node) | [`virtual_agx::VirtualAgx`]: an in-kernel model of the firmware |
//! | `apple,agx-t8103`, `t8112`, `t6000`–`t6002`, `t6020`–`t6022` device-tree nodes | real hardware: RTKit mailbox to the ASC coprocessor, MMIO for doorbell and fault registers, CPU TLB invalidation. Not implemented yet: probe fails with `ENODEV` and says so. |
//!
//! What crosses the boundary, and nothing else:
//! - identity: the SoC's [`HwConfig`];
//! - [`Backend::boot`]: where the firmware finds its init data (a GPU address in the kernel
//!   half and that half's page-table root, see [`crate::fwmem`]), the TTBAT (the page-table
//!   roots of the 64 context slots, slot 0 the kernel's; the driver binds a VM to a user slot
//!   while it has jobs, `Gpu::bind_vm`), the shared event page ([`event_page`]), and the handler
//!   its interrupt calls, in hard-IRQ context;
//! - [`Backend::doorbell_pipe`]: the doorbell of one of the 12 pipe channels (vertex, fragment,
//!   compute × 4 priorities), rings in firmware memory carrying `RunWorkQueue` messages that name
//!   a queue's `QueueInfo` and the new write index of its command ring: the firmware reads
//!   messages, queues, rings and commands through the kernel half's page tables, and the memory
//!   a command names through the page tables the TTBAT gives for the command's context slot;
//! - [`Backend::doorbell_device_control`]: the doorbell of the device-control channel, a ring in
//!   firmware memory (`DestroyContext` to forget a queue's context or, for context 0xff, to
//!   flush the firmware's caches; `Initialize` at boot), acknowledged through the ring's read
//!   index (see [`crate::channel`]);
//! - [`Backend::doorbell_fwctl`]: the doorbell of the FwCtl channel (flush a range of kernel
//!   memory from the firmware's caches, before the driver unmaps it), acknowledged the same way;
//! - [`Backend::tlb_invalidate`] and [`Backend::tlb_invalidate_all`]: forget the translations
//!   the GPU cached for part or all of an address space, named by its page-table root, after the
//!   driver removed or changed page-table entries there (see "TLB invalidation" below);
//! - [`Backend::shutdown`]: stop, and never call the handler again;
//! - [`IrqHandler::crashed`]: the firmware died, with its crash log.
//!
//! A real RTKit backend carries the same information in the firmware's own structures (work
//! queue rings, event stamps, the Flag event message) instead of these simplified ones.
//!
//! # TLB invalidation
//!
//! The GPU caches translations (the virtual AGX has a TLB too), so a page-table entry the driver
//! removes or changes may still be used until it is invalidated. Every path that removes or
//! changes entries follows the same order: **entry changed → invalidation (returns when done) →
//! the pages that were mapped may be freed**. [`crate::mmu::PageTables::unmap`] does the first
//! two steps together, one range invalidation per unmapped range (never one per page), and only
//! when something was mapped there (the GPU caches no missing entries); a VM's release
//! invalidates its whole address space before its page tables, whose root page a new VM may get,
//! are freed. Adding entries where there were none needs no invalidation.
//!
//! Address spaces are named by their page-table root (`ttb`) here. On real hardware
//! (shared/reference/asahi-driver.md §5) the TLB is tagged by ASID, which is the address space's
//! context slot in the TTBAT (slot 0 is the kernel half, `ttb1`); the backend reads the slot a
//! `ttb` is bound to from the TTBAT the driver maintains (`Gpu::bind_vm`, which also invalidates
//! a slot's previous address space when it rebinds the slot) and issues, from the CPU (the GPU's
//! TLB shares the CPU's broadcast invalidations):
//! - range: `tlbi rvae1os` (or `tlbi vae1os` per 16 KiB page for small ranges) with the ASID in
//!   bits 63:48, then `dsb sy`;
//! - whole address space: `tlbi aside1os` with the ASID, then `dsb sy`;
//! - a `ttb` bound to no slot has nothing cached, provided the backend invalidates a slot's
//!   ASID (`aside1os`) whenever it binds the slot to another root, and everything
//!   (`vmalle1os`) at boot: then there is nothing to do.
//!
//! Both calls may be made in any context, never sleep and never allocate (the driver makes them
//! in process context, under `Vm::inner` or `Gpu::fw`). They are valid before boot and after
//! shutdown (then they only drop what is cached).

#[cfg(CONFIG_APPLE_RTKIT)]
#[allow(dead_code, reason = "the GPU does not call the transport yet")]
pub(crate) mod rtkit;
pub(crate) mod virtual_agx;

use crate::fwmem::FwLayout;
use crate::hw::HwConfig;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;

/// Layout of the event page the driver shares with the firmware (one 16 KiB GPU page).
///
/// The firmware writes a slot's stamp when work of that slot completes, then sets the slot's
/// bit in `fired` and interrupts; the driver atomically takes and clears `fired`. A fault is
/// reported through the fault mailbox, which the firmware fills only when it is free.
pub(crate) mod event_page {
    /// `u32` completion stamps, one per event slot (128).
    pub(crate) const STAMPS: usize = 0x0;
    /// 128-bit "slot completed work" mask, as four `u32`.
    pub(crate) const FIRED: usize = 0x200;
    /// Fault mailbox: `u32` valid (1 = holds a fault; the driver writes 0 when done).
    pub(crate) const FAULT_VALID: usize = 0x300;
    /// Fault mailbox: `u32` event slot of the faulting work.
    pub(crate) const FAULT_SLOT: usize = 0x304;
    /// Fault mailbox: `u32` stamp value of the faulting work.
    pub(crate) const FAULT_STAMP: usize = 0x308;
    /// Fault mailbox: `u32` what happened: [`FAULT_KIND_FAULT`] or [`FAULT_KIND_TIMEOUT`].
    pub(crate) const FAULT_KIND: usize = 0x30c;
    /// A GPU fault (`FAULT_INFO` says where).
    pub(crate) const FAULT_KIND_FAULT: u32 = 0;
    /// The work ran past the firmware's time limit and was stopped.
    pub(crate) const FAULT_KIND_TIMEOUT: u32 = 1;
    /// Fault mailbox: `u64` fault information, in the fault register's encoding
    /// (`fw::fault::FaultInfo`).
    pub(crate) const FAULT_INFO: usize = 0x310;
}

/// The driver's handlers for what the firmware reports.
pub(crate) trait IrqHandler: Send + Sync {
    /// Handles the firmware's interrupt: completions and faults in the event page. Hard-IRQ
    /// context.
    fn handle_irq(&self);
    /// The firmware crashed and is dead; `crashlog` is its crash log (RTKit's crash message on
    /// real hardware). Process context; called at most once.
    fn crashed(&self, crashlog: &[u8]);
}

/// A transport to AGX firmware and the SoC's identity.
pub(crate) trait Backend: Send + Sync {
    /// A short name for logs ("virtual", "rtkit").
    fn name(&self) -> &'static CStr;
    /// The SoC this backend drives.
    fn hw(&self) -> &'static HwConfig;
    /// Starts the firmware from the init data and page tables in `layout`, with `irq` as its
    /// interrupt handler. Process context.
    fn boot(&self, layout: FwLayout, irq: Arc<dyn IrqHandler>) -> Result;
    /// Rings the doorbell of pipe channel `pipe` (`ChannelId::pipe_index`): the firmware
    /// consumes the `RunWorkQueue` messages on it and runs each named queue's commands up to
    /// the message's write index. Any context; never allocates. `ENODEV` if no firmware runs.
    fn doorbell_pipe(&self, pipe: usize) -> Result;
    /// Stops the firmware: no work runs and the handler is not called after this returns; the
    /// handler reference is dropped. Process context.
    fn shutdown(&self);
    /// Rings the device-control doorbell: the firmware consumes the messages the driver put on
    /// the device-control channel (`RuntimePointers::device_control`) and advances its read
    /// index for each one it has handled (a `DestroyContext` once the context is forgotten).
    /// `ENODEV` if no firmware runs (not booted, crashed, shut down): then nothing will consume
    /// them. Process context.
    fn doorbell_device_control(&self) -> Result;
    /// Rings the FwCtl doorbell: the firmware consumes the messages on the FwCtl channel
    /// (`FwStatus::fwctl_channel`), each asking it to write back and drop what it cached of a
    /// range of kernel memory, and advances its read index for each. `ENODEV` if no firmware
    /// runs. Process context.
    fn doorbell_fwctl(&self) -> Result;
    /// Invalidates the GPU's cached translations of `[va, va + size)` in the address space whose
    /// page-table root is `ttb` (see "TLB invalidation" in the module docs). Returning means the
    /// GPU no longer uses any entry of the range as it was before the call. Any context; never
    /// sleeps or allocates.
    fn tlb_invalidate(&self, ttb: u64, va: u64, size: u64);
    /// Invalidates every cached translation of the address space whose page-table root is
    /// `ttb` (before its page tables are freed: the same root page may name a new address space
    /// later). Any context; never sleeps or allocates.
    fn tlb_invalidate_all(&self, ttb: u64);
    /// Makes the firmware crash (test and debug aid, debugfs `crash_firmware`). The crash is
    /// reported through [`IrqHandler::crashed`]. Any later call does nothing.
    fn crash(&self);
}

// ---------------------------------------------------------------------------------------------
// The transport boundary (replaces `Backend`; see /work/notes/transport.rs, the lead's definitive
// version). Until the GPU is built on it, only the real transport (`rtkit`, arm64) uses it.
// ---------------------------------------------------------------------------------------------

/// The GPU firmware's RTKit application endpoints (downstream `gpu.rs`, firmware-commands.md
/// §7.3).
#[allow(dead_code)]
pub(crate) mod endpoint {
    /// The firmware endpoint: `MSG_INIT` from the driver, the RX doorbell from the firmware.
    pub(crate) const FIRMWARE: u8 = 0x20;
    /// The doorbell endpoint: TX doorbells, FwCtl doorbell, kick.
    pub(crate) const DOORBELL: u8 = 0x21;
}

/// The MMIO register ranges of an AGX (upstream binding `reg-names`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[allow(dead_code, reason = "the GPU does not call the transport yet")]
pub(crate) enum Mmio {
    /// `asc`: the GPU coprocessor's control registers (`CPU_CONTROL` at 0x44).
    Asc,
    /// `sgx`: the GPU's registers (ID registers at 0xd04000, core masks, fault registers).
    Sgx,
}

/// The bootloader's reserved memory regions, in the binding's `memory-region-names` order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(usize)]
#[allow(dead_code, reason = "the GPU does not call the transport yet")]
pub(crate) enum Region {
    /// The TTBAT: the page-table roots of the 64 context slots (slot 0 the kernel half's).
    Ttbs = 0,
    /// The kernel half's top-level page table (the root the firmware was started with).
    Pagetables,
    /// The handoff page: magic words and the lock AP and firmware take around page-table changes.
    Handoff,
    /// Calibration blob A (HwDataA's per-chip values).
    HwCalA,
    /// Calibration blob B (HwDataB's per-chip values).
    HwCalB,
    /// The firmware's `Globals` as the bootloader prepared them.
    Globals,
}

#[allow(dead_code, reason = "the GPU does not call the transport yet")]
impl Region {
    /// Every region, in `memory-region-names` order.
    pub(crate) const ALL: [Region; 6] = [
        Self::Ttbs,
        Self::Pagetables,
        Self::Handoff,
        Self::HwCalA,
        Self::HwCalB,
        Self::Globals,
    ];

    /// The name in `memory-region-names`.
    pub(crate) fn name(self) -> &'static CStr {
        match self {
            Self::Ttbs => kernel::c_str!("ttbs"),
            Self::Pagetables => kernel::c_str!("pagetables"),
            Self::Handoff => kernel::c_str!("handoff"),
            Self::HwCalA => kernel::c_str!("hw-cal-a"),
            Self::HwCalB => kernel::c_str!("hw-cal-b"),
            Self::Globals => kernel::c_str!("globals"),
        }
    }
}

/// A reserved region: physical RAM the bootloader set aside and filled.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[allow(dead_code, reason = "the GPU does not call the transport yet")]
pub(crate) struct RegionInfo {
    /// Physical address (page aligned).
    pub(crate) phys: u64,
    /// Size in bytes.
    pub(crate) size: u64,
}

/// What the driver does with what the firmware sends.
#[allow(dead_code, reason = "the GPU does not call the transport yet")]
pub(crate) trait MessageHandler: Send + Sync {
    /// A message from the firmware on application endpoint `endpoint`. May be called in hard-IRQ
    /// context (the mailbox interrupt) or from RTKit's workqueue: never sleeps, never allocates.
    fn recv_message(&self, endpoint: u8, msg: u64);
    /// The firmware crashed and is dead; `crashlog` is its crash log in RTKit's format
    /// (`fw::crashlog`). Process context; called at most once.
    fn crashed(&self, crashlog: &[u8]);
}

/// A transport to an AGX.
#[allow(dead_code, reason = "the GPU does not call the transport yet")]
pub(crate) trait Transport: Send + Sync {
    /// A short name for logs ("virtual", "rtkit").
    fn name(&self) -> &'static CStr;
    /// The physical range of reserved region `region`, `None` when the device has none.
    fn region(&self, region: Region) -> Option<RegionInfo>;
    /// Reads the 32-bit register at `offset` of range `mmio`. Any context. An offset outside the
    /// range reads all ones (as an unclaimed bus access does).
    fn read32(&self, mmio: Mmio, offset: usize) -> u32;
    /// Reads the 64-bit register at `offset` (the fault register). Any context.
    fn read64(&self, mmio: Mmio, offset: usize) -> u64;
    /// Writes the 32-bit register at `offset` of range `mmio`. Any context. Writes outside the
    /// range are dropped.
    fn write32(&self, mmio: Mmio, offset: usize, value: u32);
    /// Boots the coprocessor's RTKit (the ASC CPU must have been started through
    /// `asc`+`CPU_CONTROL`) and starts both application endpoints; from then on the firmware's
    /// messages go to `handler`. Process context.
    fn start(&self, handler: Arc<dyn MessageHandler>) -> Result;
    /// Sends `msg` on application endpoint `endpoint`. Any context; never sleeps or allocates.
    /// `ENODEV` when the coprocessor is not running (not started, crashed, shut down).
    fn send(&self, endpoint: u8, msg: u64) -> Result;
    /// Invalidates the GPU's cached translations of `[va, va + size)` in the address space whose
    /// page-table root is `ttb` (see "TLB invalidation"). Any context; never sleeps or
    /// allocates.
    fn tlb_invalidate(&self, ttb: u64, va: u64, size: u64);
    /// Invalidates every cached translation of the address space whose root is `ttb`.
    fn tlb_invalidate_all(&self, ttb: u64);
    /// Stops the coprocessor: no message reaches the handler after this returns, and the
    /// handler reference is dropped. Process context.
    fn shutdown(&self);
    /// Makes the firmware crash (test and debug aid, debugfs `crash_firmware`); the crash is
    /// reported through [`MessageHandler::crashed`]. `EOPNOTSUPP` where the transport cannot.
    fn crash(&self) -> Result;
}

/// A backend for the module's KUnit tests: it runs nothing and records the TLB invalidations
/// it is asked for.
#[cfg(CONFIG_KUNIT)]
pub(crate) mod testing {
    use super::{Backend, FwLayout, HwConfig, IrqHandler};
    use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
    use kernel::c_str;
    use kernel::prelude::*;
    use kernel::str::CStr;
    use kernel::sync::Arc;

    /// The last call of each kind and how many there were.
    #[derive(Default)]
    pub(crate) struct Recorder {
        ranges: AtomicU32,
        last_range: [AtomicU64; 3],
        alls: AtomicU32,
        last_all: AtomicU64,
    }

    impl Recorder {
        /// A recorder, and the same as a backend.
        pub(crate) fn new() -> Result<(Arc<Self>, Arc<dyn Backend>)> {
            let r = Arc::new(Self::default(), GFP_KERNEL)?;
            let b: Arc<dyn Backend> = r.clone();
            Ok((r, b))
        }

        /// Range invalidations so far, and the last one's `(ttb, va, size)`.
        pub(crate) fn ranges(&self) -> (u32, [u64; 3]) {
            let l = &self.last_range;
            (
                self.ranges.load(Ordering::Relaxed),
                [0, 1, 2].map(|i| l.get(i).map_or(0, |x| x.load(Ordering::Relaxed))),
            )
        }

        /// Whole-space invalidations so far, and the last one's `ttb`.
        pub(crate) fn alls(&self) -> (u32, u64) {
            (
                self.alls.load(Ordering::Relaxed),
                self.last_all.load(Ordering::Relaxed),
            )
        }
    }

    impl Backend for Recorder {
        fn name(&self) -> &'static CStr {
            c_str!("kunit")
        }

        fn hw(&self) -> &'static HwConfig {
            &crate::hw::t8103::HWCONFIG
        }

        fn boot(&self, _layout: FwLayout, _irq: Arc<dyn IrqHandler>) -> Result {
            Err(ENODEV)
        }

        fn doorbell_pipe(&self, _pipe: usize) -> Result {
            Err(ENODEV)
        }

        fn shutdown(&self) {}

        fn doorbell_device_control(&self) -> Result {
            Err(ENODEV)
        }

        fn doorbell_fwctl(&self) -> Result {
            Err(ENODEV)
        }

        fn tlb_invalidate(&self, ttb: u64, va: u64, size: u64) {
            for (x, v) in self.last_range.iter().zip([ttb, va, size]) {
                x.store(v, Ordering::Relaxed);
            }
            self.ranges.fetch_add(1, Ordering::Relaxed);
        }

        fn tlb_invalidate_all(&self, ttb: u64) {
            self.last_all.store(ttb, Ordering::Relaxed);
            self.alls.fetch_add(1, Ordering::Relaxed);
        }

        fn crash(&self) {}
    }
}
