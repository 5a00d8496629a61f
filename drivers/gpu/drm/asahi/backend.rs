// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The transport: what crosses between the driver and an AGX, and nothing else.
//!
//! This is the boundary the silicon has. Everything above it (boot, channels, events, faults,
//! VMs, queues, job tracking, fences) is the same driver code whatever it talks to; it is chosen
//! once, at probe, from the matched device (`driver.rs`), and nothing above it knows which
//! implementation it holds.
//!
//! | device | transport |
//! |---|---|
//! | `apple,agx-*` device-tree node (upstream `apple,agx-g13g`…, downstream `apple,agx-t8103`…) | `rtkit::RtkitTransport` (arm64, `CONFIG_APPLE_RTKIT`): the kernel's `apple_rtkit_*` library over the ASC mailbox, `ioremap` of the `asc`/`sgx` ranges, `tlbi …os` |
//! | `agx-virtual` platform device (created by this module when no AGX node is bound) | [`virtual_agx::VirtualAgx`]: a model of that hardware interface (an RTKit coprocessor, a register file, firmware that reads only what real firmware reads) |
//!
//! What crosses it (shared/reference/firmware-commands.md §6–§7, asahi-driver.md §1):
//! - **RTKit endpoint messages**, both ways, on the GPU firmware's two application endpoints
//!   ([`endpoint::FIRMWARE`] 0x20 and [`endpoint::DOORBELL`] 0x21) with their real encodings
//!   (`crate::fw::channels::msg`): `MSG_INIT` with the InitData address, TX doorbells per pipe
//!   and for device control, the FwCtl doorbell, the kick; from the firmware the RX doorbell
//!   ("poll the rings"), delivered to [`MessageHandler::recv_message`];
//! - the RTKit **crashed** callback with the crash log in RTKit's own format
//!   ([`MessageHandler::crashed`]);
//! - **32-bit MMIO** reads and writes of the `asc` and `sgx` register ranges ([`Mmio`]), and the
//!   64-bit read of the fault register;
//! - the **bootloader's reserved memory** ([`Region`]: `ttbs`, `pagetables`, `handoff`,
//!   `hw-cal-a`, `hw-cal-b`, `globals`), whose physical ranges the driver maps;
//! - **shared memory** in the firmware's real layouts (the driver's firmware heaps, the
//!   bootloader's regions): the firmware reads it through the kernel half's page tables, whose
//!   root and TTBAT the bootloader set up;
//! - **CPU TLB invalidations** (see "TLB invalidation" below);
//! - starting the coprocessor's RTKit and stopping it ([`Transport::start`],
//!   [`Transport::shutdown`]).
//!
//! The device's description (compatible, `apple,firmware-abi`/`-compat`) is read by
//! `driver.rs` through the device property API, the same on a device-tree node and on the
//! virtual device's software node; it is not part of this trait.
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
//! context slot in the TTBAT (slot 0 is the kernel half, `ttb1`); the transport reads the slot a
//! `ttb` is bound to from the TTBAT (`Gpu::bind_vm`, which also invalidates a slot's previous
//! address space when it rebinds the slot) and issues, from the CPU (the GPU's TLB shares the
//! CPU's broadcast invalidations):
//! - range: `tlbi rvae1os` (or `tlbi vae1os` per 16 KiB page for small ranges) with the ASID in
//!   bits 63:48, then `dsb sy`;
//! - whole address space: `tlbi aside1os` with the ASID, then `dsb sy`;
//! - a `ttb` bound to no slot has nothing cached, provided a slot's ASID is invalidated
//!   (`aside1os`) whenever the slot is bound to another root, and everything (`vmalle1os`) at
//!   boot: then there is nothing to do.
//!
//! Both calls may be made in any context, never sleep and never allocate (the driver makes them
//! in process context, under `Vm::inner` or `Gpu::fw`). They are valid before start and after
//! shutdown (then they only drop what is cached).

#[cfg(CONFIG_APPLE_RTKIT)]
pub(crate) mod rtkit;
pub(crate) mod virtual_agx;

use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;

/// The GPU firmware's RTKit application endpoints (downstream `gpu.rs`, firmware-commands.md
/// §7.3).
pub(crate) mod endpoint {
    /// The firmware endpoint: `MSG_INIT` from the driver, the RX doorbell from the firmware.
    pub(crate) const FIRMWARE: u8 = 0x20;
    /// The doorbell endpoint: TX doorbells, FwCtl doorbell, kick.
    pub(crate) const DOORBELL: u8 = 0x21;
}

/// The MMIO register ranges of an AGX (upstream binding `reg-names`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mmio {
    /// `asc`: the GPU coprocessor's control registers (`CPU_CONTROL` at 0x44).
    Asc,
    /// `sgx`: the GPU's registers (ID registers at 0xd04000, core masks, fault registers).
    Sgx,
}

/// The bootloader's reserved memory regions, in the binding's `memory-region-names` order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(usize)]
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
pub(crate) struct RegionInfo {
    /// Physical address (page aligned).
    pub(crate) phys: u64,
    /// Size in bytes.
    pub(crate) size: u64,
}

/// What the driver does with what the firmware sends.
pub(crate) trait MessageHandler: Send + Sync {
    /// A message from the firmware on application endpoint `endpoint`. May be called in hard-IRQ
    /// context (the mailbox interrupt) or from RTKit's workqueue: never sleeps, never allocates.
    fn recv_message(&self, endpoint: u8, msg: u64);
    /// The firmware crashed and is dead; `crashlog` is its crash log in RTKit's format
    /// (`fw::crashlog`). Process context; called at most once.
    fn crashed(&self, crashlog: &[u8]);
    /// Maps `size` bytes of physically contiguous RAM at `phys` (a buffer RTKit gives the
    /// coprocessor: crash log, syslog, ioreport) into the firmware's address space, shared and
    /// read-write, and returns the address the firmware sees it at. `phys` is GPU-page aligned.
    /// Process context (during [`Transport::start`] or later). A handler that serves no such
    /// buffers refuses with `ENODEV` (the default).
    #[cfg_attr(
        not(CONFIG_APPLE_RTKIT),
        allow(dead_code, reason = "only the real transport has RTKit buffers")
    )]
    fn shmem_map(&self, _phys: u64, _size: usize) -> Result<u64> {
        Err(ENODEV)
    }
    /// Undoes a [`MessageHandler::shmem_map`]; the buffer is freed after this returns.
    #[cfg_attr(
        not(CONFIG_APPLE_RTKIT),
        allow(dead_code, reason = "only the real transport has RTKit buffers")
    )]
    fn shmem_unmap(&self, _iova: u64, _size: usize) {}
}

/// A transport to an AGX.
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
    /// Adds the transport's own debug files to the device's debugfs directory `root` (none by
    /// default).
    fn debugfs_init(&self, _root: *mut crate::bindings::dentry) {}
}

/// A transport for the module's KUnit tests: no coprocessor runs behind it (every message is
/// refused with `ENODEV`, registers read as all ones); it records the TLB invalidations it is
/// asked for.
#[cfg(CONFIG_KUNIT)]
pub(crate) mod testing {
    use super::{MessageHandler, Mmio, Region, RegionInfo, Transport};
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
        /// A recorder, and the same as a transport.
        pub(crate) fn new() -> Result<(Arc<Self>, Arc<dyn Transport>)> {
            let r = Arc::new(Self::default(), GFP_KERNEL)?;
            let b: Arc<dyn Transport> = r.clone();
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

    impl Transport for Recorder {
        fn name(&self) -> &'static CStr {
            c_str!("kunit")
        }

        fn region(&self, _region: Region) -> Option<RegionInfo> {
            None
        }

        fn read32(&self, _mmio: Mmio, _offset: usize) -> u32 {
            !0
        }

        fn read64(&self, _mmio: Mmio, _offset: usize) -> u64 {
            !0
        }

        fn write32(&self, _mmio: Mmio, _offset: usize, _value: u32) {}

        fn start(&self, _handler: Arc<dyn MessageHandler>) -> Result {
            Err(ENODEV)
        }

        fn send(&self, _endpoint: u8, _msg: u64) -> Result {
            Err(ENODEV)
        }

        fn shutdown(&self) {}

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

        fn crash(&self) -> Result {
            Err(ENODEV)
        }
    }
}
