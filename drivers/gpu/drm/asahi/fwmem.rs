// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The firmware's memory: the kernel (TTBR1) half of the GPU address space and the structures
//! the firmware finds at boot.
//!
//! [`FwMemory`] owns the kernel half's page tables. Kernel-owned firmware objects are allocated
//! in its heaps by [`crate::fwalloc`]; user timestamp buffers are mapped in a window of their
//! own. At boot the driver builds, in those heaps ([`FwBoot`]):
//!
//! | object | heap | contents |
//! |---|---|---|
//! | `InitData` (firmware 13.5, G13 layout) | private | pointers to the rest, UAT geometry |
//! | `RuntimePointers` | private | channel rings |
//! | `FwStatus` | shared | halt/resume flags (a fault halts the firmware until the driver resumes it), the FwCtl channel |
//! | `Globals` (5 pages, [`FwSpan`]) | shared | the firmware's globals; `pending_stamps` says which work a fault or timeout hit |
//! | stamps, firmware stamps (128 × `u32` each) | shared, private | the completion stamp of each event slot, written where each command's `JobMeta` says |
//! | channel states (event; FwLog × 6, KTrace, Stats) | shared | read and write indices |
//! | event channel ring (256 × 0x38 bytes) | shared | Flag messages |
//! | device-control channel state and ring (256 × 0x30 bytes) | shared, kept for good | `Initialize`, `DestroyContext` (see [`crate::channel`]) |
//! | FwCtl channel state and ring (256 × 0x14 bytes) | shared, kept for good | range flushes before kernel memory is unmapped |
//! | 12 pipe channels (vertex/fragment/compute × 4 priorities), states and rings (256 × 0x30 bytes) | shared, kept for good | `RunWorkQueue` messages |
//! | FwLog rings (6 × 256 × 0x38) and payloads (6 × 256 × 0xd8), KTrace ring (512 × 0x38), Stats ring (256 × 0x40) | shared, whole contiguous pages | firmware log, trace, statistics ([`crate::fwlog`]) |
//!
//! The first allocation of the private heap is the init data, so it sits at the start of the
//! private range (`0xffffffa0_00000000`), where downstream's is too. A crash dump
//! ([`crate::crashdump`]) walks every page mapped in the kernel half and copies those the driver
//! owns ([`FwMemory::driver_owns`]: the heaps, never the timestamp window's user pages).
//!
//! Nothing here allocates under the kernel half's lock once the GPU runs: page tables of the
//! timestamp window exist from boot, and heap growth brings its own tables
//! ([`FwMemory::add_tables`]).
//!
//! The timestamp window's addresses are handed out by [`TimestampWindow`], a first-fit allocator
//! over a bitmap of its 4096 GPU pages that lives inside [`FwMemory`] (so it allocates nothing
//! either): a range unmapped after its FwCtl flush is free again, and a bind fails with
//! `ENOSPC` only when the live bindings leave no run of free pages long enough.
//!
//! Locking: [`FwMemory`] sits behind the firmware allocator's kernel-half mutex
//! ([`crate::fwalloc::FwAllocator::kernel_half`]), which the crash path takes while it
//! snapshots; nothing here takes another lock.

mod runtime;
pub(crate) use runtime::StatsPointers;

use crate::backend::{Region, Transport};
use crate::channel::TxChannel;
use crate::fw::channels::{
    ChannelId, ChannelState, FwCtlChannelState, FwCtlMsg, PipeType, NUM_PIPES, NUM_PRIORITIES,
};
use crate::fw::job::ChannelRing;
use crate::fw::plain::Plain;
use crate::fw::types::GpuPtr;
use crate::fw::uat::{Prot, UPPER_HALF_BASE};
use crate::fw::variants::g13_v13_5 as fwv;
use crate::fwalloc::{FwAlloc, FwAllocator, FwObject, HeapKind};
use crate::fwlog::{FwSpan, RxChannels};
use crate::handoff::Handoff;
use crate::kernel_ext::memremap::RegionMap;
use crate::kernel_ext::vec::VecExt;
use crate::mmu::PageTables;
use crate::pages::{GpuPage, GPU_PAGE_SIZE};
use core::mem::size_of;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Start of the window where user timestamp buffers are mapped for the firmware
/// (downstream's timestamp range, shared/reference/asahi-driver.md §2).
pub(crate) const TIMESTAMP_BASE: u64 = 0xffff_ffae_1000_0000;
/// Size of that window (64 MiB: 4096 GPU pages, all of whose page tables exist from boot).
pub(crate) const TIMESTAMP_SIZE: u64 = 0x400_0000;
/// GPU pages of the timestamp window.
// CAST: 4096.
const TIMESTAMP_PAGES: usize = (TIMESTAMP_SIZE / GPU_PAGE_SIZE) as usize;
/// Entries of the event channel ring.
pub(crate) const EVENT_RING_ENTRIES: u32 = 0x100;
/// Entries of the device-control channel ring (0x100, reference §5).
pub(crate) const DEVCTRL_RING_ENTRIES: u32 = 0x100;
/// Entries of each pipe channel ring (0x100, reference §5).
pub(crate) const PIPE_RING_ENTRIES: u32 = 0x100;
/// Entries of the FwCtl channel ring (0x100, reference §5).
pub(crate) const FWCTL_RING_ENTRIES: u32 = 0x100;
// The firmware fixes every ring's size (downstream `channel.rs`).
const _: () = assert!(
    EVENT_RING_ENTRIES == ChannelId::Event.entries()
        && DEVCTRL_RING_ENTRIES == ChannelId::DeviceControl.entries()
        && FWCTL_RING_ENTRIES == ChannelId::FwCtl.entries()
        && PIPE_RING_ENTRIES
            == ChannelId::Pipe {
                pipe: PipeType::Vertex,
                priority: 0
            }
            .entries()
);

/// Where the firmware finds its structures.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FwLayout {
    /// GPU VA of `InitData`.
    pub(crate) initdata: u64,
    /// GPU VA of the stamps (128 × `u32`, one per event slot).
    pub(crate) stamps: u64,
    /// GPU VA of the firmware-private stamps.
    pub(crate) fw_stamps: u64,
    /// Where the commands' microsequences point for statistics.
    pub(crate) stats: StatsPointers,
}

/// The kernel half's page tables.
pub(crate) struct FwMemory {
    pt: PageTables,
    /// Which pages of the timestamp window are bound.
    timestamps: TimestampWindow,
}

/// Which GPU pages of the timestamp window are in use: runs of pages handed out first-fit (the
/// lowest free run long enough), which packs live bindings at the start of the window so that
/// the rest stays in one piece for large ones. A freed range may be handed out at once: its
/// owner freed it only after the firmware flushed it and the TLB forgot it. A fixed bitmap:
/// allocating and freeing allocate no memory.
pub(crate) struct TimestampWindow {
    /// Bit `i % 64` of word `i / 64`: page `i` is in use.
    used: [u64; TIMESTAMP_PAGES / 64],
    /// Pages in use.
    live: usize,
}

impl TimestampWindow {
    /// An empty window.
    pub(crate) const fn new() -> Self {
        Self {
            used: [0; TIMESTAMP_PAGES / 64],
            live: 0,
        }
    }

    fn is_used(&self, page: usize) -> bool {
        self.used
            .get(page / 64)
            .is_some_and(|w| w & (1 << (page % 64)) != 0)
    }

    fn set(&mut self, first: usize, pages: usize, used: bool) {
        for p in first..first + pages {
            if let Some(w) = self.used.get_mut(p / 64) {
                if used {
                    *w |= 1 << (p % 64);
                } else {
                    *w &= !(1 << (p % 64));
                }
            }
        }
    }

    /// The first run of `pages` free pages starting at or after `from`.
    fn find(&self, from: usize, pages: usize) -> Option<usize> {
        let mut start = from;
        let mut p = from;
        while p < TIMESTAMP_PAGES {
            if start + pages > TIMESTAMP_PAGES {
                return None;
            }
            // Skip whole words in use.
            if p % 64 == 0 && self.used.get(p / 64) == Some(&u64::MAX) {
                p += 64;
                start = p;
                continue;
            }
            if self.is_used(p) {
                p += 1;
                start = p;
                continue;
            }
            p += 1;
            if p - start == pages {
                return Some(start);
            }
        }
        None
    }

    /// Takes a run of `pages` pages; returns its first page, or `None` if no free run is long
    /// enough.
    pub(crate) fn alloc(&mut self, pages: usize) -> Option<usize> {
        if pages == 0 || pages > TIMESTAMP_PAGES - self.live {
            return None;
        }
        let first = self.find(0, pages)?;
        self.set(first, pages, true);
        self.live += pages;
        Some(first)
    }

    /// Gives back the run of `pages` pages at `first` taken by [`Self::alloc`].
    pub(crate) fn free(&mut self, first: usize, pages: usize) {
        let end = first.saturating_add(pages).min(TIMESTAMP_PAGES);
        let taken = (first..end).filter(|&p| self.is_used(p)).count();
        self.set(first, end.saturating_sub(first), false);
        self.live -= taken;
    }

    /// Pages in use.
    pub(crate) fn live(&self) -> usize {
        self.live
    }
}

/// An all-zero firmware structure (`T: Plain`, so all-zero is a valid `T`).
pub(crate) fn zeroed<T: Plain>() -> T {
    crate::fw::plain::zeroed()
}

impl FwMemory {
    /// Creates the kernel half, with the timestamp window's page tables.
    pub(crate) fn new() -> Result<Self> {
        let mut fw = Self {
            pt: PageTables::new_kernel()?,
            timestamps: TimestampWindow::new(),
        };
        // The timestamp window's tables exist from the start: mapping a timestamp buffer then
        // allocates nothing under the firmware-memory lock, which the crash path (a fence
        // signalling path) takes.
        fw.pt
            .populate(TIMESTAMP_BASE, TIMESTAMP_SIZE / GPU_PAGE_SIZE)?;
        Ok(fw)
    }

    /// Physical address of the page-table root (TTB1).
    pub(crate) fn ttb1(&self) -> u64 {
        self.pt.root_phys()
    }

    /// Makes room for `n` more tables to be added later by [`Self::add_tables`] without
    /// allocating.
    pub(crate) fn reserve_table_capacity(&mut self, n: usize) -> Result {
        self.pt.reserve_capacity(n)
    }

    /// Tables that mapping one page at `va` needs beyond those reserved.
    pub(crate) fn tables_missing(&self, va: u64) -> Result<usize> {
        Ok(self
            .pt
            .tables_needed(va, 1)?
            .saturating_sub(self.pt.reserved()))
    }

    /// Adds table pages the caller allocated (taking them out of `tables`); allocates nothing.
    pub(crate) fn add_tables(&mut self, tables: &mut KVec<GpuPage>) -> Result {
        while let Some(t) = tables.pop() {
            if self.pt.add_reserve(t).is_err() {
                return Err(ENOMEM);
            }
        }
        Ok(())
    }

    /// Maps the heap page at physical address `phys` at `va`, with tables already reserved.
    pub(crate) fn map_heap_page(&mut self, va: u64, prot: Prot, phys: u64) -> Result {
        if self.tables_missing(va)? != 0 {
            return Err(ENOMEM);
        }
        self.pt.map(va, 1, prot, core::iter::once(phys))
    }

    /// Maps `pages` GPU pages at physical addresses `phys` (a user timestamp buffer) for the
    /// firmware, at free addresses of the timestamp window; returns their GPU address.
    /// `ENOSPC` if the live bindings leave no run of `pages` free pages. The caller keeps the
    /// pages alive until [`Self::unmap_timestamps`].
    pub(crate) fn map_timestamps(
        &mut self,
        pages: u64,
        phys: impl Iterator<Item = u64> + Clone,
    ) -> Result<u64> {
        let n = usize::try_from(pages).map_err(|_| ENOSPC)?;
        let first = self.timestamps.alloc(n).ok_or(ENOSPC)?;
        // CAST: a page index below 4096.
        let va = TIMESTAMP_BASE + first as u64 * GPU_PAGE_SIZE;
        // The window's tables were all made at boot: nothing to allocate here. Mapping is all
        // or nothing, so on failure the range is simply free again.
        let mapped = match self.pt.tables_needed(va, pages) {
            Ok(0) => self.pt.map(va, pages, Prot::FW_SHARED_RW, phys),
            Ok(_) => Err(EINVAL),
            Err(e) => Err(e),
        };
        if let Err(e) = mapped {
            self.timestamps.free(first, n);
            return Err(e);
        }
        Ok(va)
    }

    /// Unmaps a timestamp buffer mapped by [`Self::map_timestamps`] and invalidates it in the
    /// GPU's TLB through `tlb`: afterwards its pages may be freed. Its addresses are reused
    /// only if `reusable`: the caller says so once the firmware flushed what it cached of them
    /// (or no firmware runs); otherwise they stay taken, so that nothing the firmware may
    /// still write back lands in another buffer mapped there later.
    pub(crate) fn unmap_timestamps(
        &mut self,
        va: u64,
        pages: u64,
        tlb: &dyn Transport,
        reusable: bool,
    ) {
        let _ = self.pt.unmap(va, pages, tlb);
        let in_window = va
            .checked_sub(TIMESTAMP_BASE)
            .filter(|off| off % GPU_PAGE_SIZE == 0 && *off < TIMESTAMP_SIZE);
        if let (Some(off), true) = (in_window, reusable) {
            // CAST: below 4096 pages each.
            self.timestamps
                .free((off / GPU_PAGE_SIZE) as usize, pages as usize);
        }
    }

    /// GPU pages of the timestamp window in use.
    pub(crate) fn timestamp_pages_live(&self) -> usize {
        self.timestamps.live()
    }

    /// Whether the kernel-half page at `va` holds memory the driver owns (its firmware heaps),
    /// rather than a user buffer mapped for the firmware (the timestamp window) or anything
    /// else: what a crash dump may copy.
    pub(crate) fn driver_owns(va: u64) -> bool {
        !(TIMESTAMP_BASE..TIMESTAMP_BASE + TIMESTAMP_SIZE).contains(&va)
            && crate::fwalloc::is_heap_va(va)
    }

    /// Calls `f(va, pte)` for every page mapped in the kernel half, in address order.
    pub(crate) fn for_each_mapped(&self, f: impl FnMut(u64, u64) -> Result) -> Result {
        let pages = (u64::MAX - UPPER_HALF_BASE) / GPU_PAGE_SIZE + 1;
        self.pt.for_each_leaf(UPPER_HALF_BASE, pages, f)
    }
}

/// The structures the firmware finds at boot, in the firmware heaps, kept for the GPU's
/// lifetime. The init data points at the rest, so it owns them (fields drop in order, the
/// pointing object first).
pub(crate) struct FwBoot {
    initdata: FwObject<fwv::InitData>,
    _runtime_pointers: FwObject<fwv::RuntimePointers>,
    /// The statistics and unknown buffers the runtime pointers and init data name (after
    /// `_runtime_pointers` and `initdata`, which point at them).
    runtime: runtime::RuntimeBuffers,
    fw_status: FwObject<crate::fw::job::FwStatus>,
    globals: FwSpan,
    /// `HwDataA` and `HwDataB`, copied from the bootloader's `hw-cal-a`/`hw-cal-b` blobs (none
    /// without them; after `_runtime_pointers`, which points at them).
    _hwdata: [Option<FwSpan>; 2],
    event_state: FwObject<ChannelState>,
    /// FwLog, KTrace and Stats (after `_runtime_pointers`, which points at them).
    rx: RxChannels,
    event_ring: FwAlloc,
    stamps: FwAlloc,
    fw_stamps: FwAlloc,
    /// The bootloader's TTBAT (the `ttbs` region): slot 0 (the kernel's) is filled here, user
    /// slots by `Gpu::bind_vm`, each under the handoff lock.
    ttbat: RegionMap,
    /// The handoff region, initialised here (the firmware's magic checked) before the TTBAT
    /// is touched.
    handoff: Arc<Handoff>,
    /// The pipe channels, by `ChannelId::pipe_index`, until the GPU takes them.
    pipes: Option<KVec<TxChannel>>,
}

/// Copies the first `size` bytes of the bootloader's blob `region` into new firmware memory
/// (`None` when the device has no such region; `EINVAL`, with a message, when the region is
/// smaller than the layout).
fn load_blob(
    fw: &Arc<FwAllocator>,
    transport: &dyn Transport,
    region: Region,
    size: usize,
) -> Result<Option<FwSpan>> {
    let Some(r) = transport.region(region) else {
        return Ok(None);
    };
    if r.size < size as u64 {
        pr_err!(
            "reserved region {} is {:#x} bytes, its layout {:#x}\n",
            region.name(),
            r.size,
            size
        );
        return Err(EINVAL);
    }
    let map = RegionMap::new(r.phys, size as u64)?;
    let span = FwSpan::new(fw, size)?;
    for off in (0..size).step_by(4) {
        let word = map.u32_at(off).ok_or(EINVAL)?;
        span.store_u32(off, word.load(core::sync::atomic::Ordering::Relaxed));
    }
    Ok(Some(span))
}

/// Bytes of the stamp arrays: one `u32` per event slot.
const STAMPS_SIZE: usize = crate::fw::event::NUM_EVENTS * 4;

impl FwBoot {
    /// Builds the boot structures in `fw`'s heaps, with the TTBAT in the `ttbs` region that
    /// `transport`'s bootloader reserved (`ENODEV` without one). The coprocessor's CPU must run:
    /// the handoff with its firmware comes first (`EIO` when the firmware does not answer it).
    pub(crate) fn new(fw: &Arc<FwAllocator>, transport: &dyn Transport) -> Result<Self> {
        let region = transport.region(Region::Ttbs).ok_or(ENODEV)?;
        if region.size < (crate::fw::uat::NUM_CONTEXTS * 16) as u64 {
            return Err(EINVAL);
        }
        let ttbat = RegionMap::new(region.phys, region.size)?;
        // Downstream `Uat::new`: the handoff, then slot 0 under its lock.
        let handoff = Handoff::new(transport)?;
        handoff.init()?;
        fw.install_handoff(handoff.clone());
        let ttb1 = fw.kernel_half().ttb1();
        let kernel_entry =
            crate::fw::uat::ttbat_entry(ttb1, crate::fw::uat::KERNEL_CONTEXT).ok_or(EINVAL)?;
        {
            let _g = handoff.lock()?;
            // The kernel slot's `ttb1` is the second word of entry 0.
            ttbat
                .u64_at(8)
                .ok_or(EINVAL)?
                .store(kernel_entry, core::sync::atomic::Ordering::Release);
        }
        // The init data first, so it is at the start of the private range; its pointers are
        // filled in below, once their targets exist.
        let initdata = FwObject::new(fw, HeapKind::Private, &zeroed::<fwv::InitData>())?;
        let zero_state: ChannelState = zeroed();
        let event_state = FwObject::new(fw, HeapKind::Shared, &zero_state)?;
        let ring_size = EVENT_RING_ENTRIES as usize * size_of::<crate::fw::channels::RawEventMsg>();
        let event_ring = fw.alloc(HeapKind::Shared, ring_size)?;
        let stamps = fw.alloc(HeapKind::Shared, STAMPS_SIZE)?;
        let fw_stamps = fw.alloc(HeapKind::Private, STAMPS_SIZE)?;
        // HwDataA, HwDataB and Globals from the bootloader's blobs where it provides them
        // (firmware-commands.md §5.3, downstream `load_hwdata_blob`): each blob's first bytes
        // are the layout; Globals' `pending_submissions` starts at 0.
        let hwdata_a = load_blob(fw, transport, Region::HwCalA, fwv::HWDATA_A_SIZE)?;
        let hwdata_b = load_blob(fw, transport, Region::HwCalB, fwv::HWDATA_B_SIZE)?;
        let globals = match load_blob(fw, transport, Region::Globals, fwv::GLOBALS_SIZE)? {
            Some(g) => g,
            None => FwSpan::new(fw, fwv::GLOBALS_SIZE)?,
        };
        globals.store_u32(fwv::Globals::PENDING_SUBMISSIONS_OFFSET, 0);
        // The FwCtl channel, permanent like the device-control channel; `FwStatus` names it.
        let fwctl_msg = size_of::<FwCtlMsg>();
        let (fwctl_state_va, fwctl_state) =
            fw.alloc_permanent(HeapKind::Shared, size_of::<FwCtlChannelState>())?;
        let (fwctl_ring_va, fwctl_ring) =
            fw.alloc_permanent(HeapKind::Shared, FWCTL_RING_ENTRIES as usize * fwctl_msg)?;
        let mut status: crate::fw::job::FwStatus = zeroed();
        status.fwctl_channel = ChannelRing {
            state: GpuPtr::new(fwctl_state_va),
            ring: GpuPtr::new(fwctl_ring_va),
        };
        // Shared: the firmware sets `halted`, the driver `resume` (firmware-commands.md §5.1).
        let fw_status = FwObject::new(fw, HeapKind::Shared, &status)?;
        // SAFETY: Both were just allocated for the GPU's lifetime, zeroed, sized.
        fw.install_fwctl(unsafe {
            TxChannel::new_fwctl(fwctl_state, fwctl_ring, FWCTL_RING_ENTRIES, fwctl_msg)
        });
        // The device-control channel belongs to the allocator (which flushes through it), so
        // its memory is permanent rather than objects pointing back at the allocator.
        let dc_msg = size_of::<fwv::RawDeviceControlMsg>();
        let (dc_state_va, dc_state) =
            fw.alloc_permanent(HeapKind::Shared, size_of::<ChannelState>())?;
        let (dc_ring_va, dc_ring) =
            fw.alloc_permanent(HeapKind::Shared, DEVCTRL_RING_ENTRIES as usize * dc_msg)?;
        let rx = RxChannels::new(fw)?;

        let mut rp: fwv::RuntimePointers = zeroed();
        // The pipes, permanent like the device-control channel (the GPU owns their driver ends
        // for its lifetime).
        let pipe_msg = size_of::<fwv::RunWorkQueueMsg>();
        let mut pipes = KVec::with_capacity(NUM_PIPES, GFP_KERNEL)?;
        for prio in 0..NUM_PRIORITIES {
            for pipe in PipeType::ALL {
                let (state_va, state) =
                    fw.alloc_permanent(HeapKind::Shared, size_of::<ChannelState>())?;
                let (ring_va, ring) =
                    fw.alloc_permanent(HeapKind::Shared, PIPE_RING_ENTRIES as usize * pipe_msg)?;
                let ring_ptrs = ChannelRing {
                    state: GpuPtr::new(state_va),
                    ring: GpuPtr::new(ring_va),
                };
                // CAST: priorities are below 4.
                let chans = rp.pipes.0.get_mut(prio as usize).ok_or(EINVAL)?;
                match pipe {
                    PipeType::Vertex => chans.vtx = ring_ptrs,
                    PipeType::Fragment => chans.frag = ring_ptrs,
                    PipeType::Compute => chans.comp = ring_ptrs,
                }
                if ChannelId::pipe_index(pipe, prio) != pipes.len() {
                    return Err(EINVAL);
                }
                pipes.push(
                    // SAFETY: Both were just allocated for the GPU's lifetime, zeroed, sized.
                    unsafe { TxChannel::new(state, ring, PIPE_RING_ENTRIES, pipe_msg) },
                    GFP_KERNEL,
                )?;
            }
        }
        rp.event.state = event_state.gpu_pointer().into();
        rp.event.ring = GpuPtr::new(event_ring.va());
        rp.device_control.state = GpuPtr::new(dc_state_va);
        rp.device_control.ring = GpuPtr::new(dc_ring_va);
        rp.fw_log.state = rx.fwlog_state.gpu_pointer().into();
        rp.fw_log.ring = GpuPtr::new(rx.fwlog_ring.va());
        rp.fwlog_buf = GpuPtr::new(rx.fwlog_buf.va());
        rp.ktrace.state = rx.ktrace_state.gpu_pointer().into();
        rp.ktrace.ring = GpuPtr::new(rx.ktrace_ring.va());
        rp.stats.state = rx.stats_state.gpu_pointer().into();
        rp.stats.ring = GpuPtr::new(rx.stats_ring.va());
        let span_ptr = |s: &Option<FwSpan>| GpuPtr::new(s.as_ref().map_or(0, |s| s.va()));
        rp.hwdata_a = span_ptr(&hwdata_a);
        // HwDataB is named twice (reference §5.2: at 0x1a0 and again at 0x1a8).
        rp.hwdata_b = span_ptr(&hwdata_b);
        rp.hwdata_b_2 = span_ptr(&hwdata_b);
        let runtime = runtime::RuntimeBuffers::new(fw)?;
        runtime.fill(&mut rp);
        let runtime_pointers = FwObject::new(fw, HeapKind::Private, &rp)?;

        let mut id: fwv::InitData = zeroed();
        id.runtime_pointers = runtime_pointers.gpu_pointer().into();
        id.unk_buf = GpuPtr::new(runtime.unk_buf());
        id.fw_status = fw_status.gpu_pointer().into();
        id.globals = GpuPtr::new(globals.va());
        id.uat_page_size = GPU_PAGE_SIZE as u16;
        id.uat_page_bits = 14;
        id.uat_num_levels = 3;
        initdata
            .alloc()
            .write_bytes(0, crate::fw::plain::bytes_of(&id))?;
        // SAFETY: Both were just allocated for the GPU's lifetime, zeroed, with these sizes.
        let chan = unsafe { TxChannel::new(dc_state, dc_ring, DEVCTRL_RING_ENTRIES, dc_msg) };
        fw.install_device_control(chan);
        Ok(Self {
            initdata,
            _runtime_pointers: runtime_pointers,
            runtime,
            fw_status,
            globals,
            _hwdata: [hwdata_a, hwdata_b],
            event_state,
            rx,
            event_ring,
            stamps,
            fw_stamps,
            ttbat,
            handoff,
            pipes: Some(pipes),
        })
    }

    /// Where the firmware finds its structures.
    pub(crate) fn layout(&self) -> FwLayout {
        FwLayout {
            initdata: self.initdata.alloc().va(),
            stamps: self.stamps.va(),
            fw_stamps: self.fw_stamps.va(),
            stats: self.runtime.stats(),
        }
    }

    /// The init data.
    pub(crate) fn initdata(&self) -> &FwAlloc {
        self.initdata.alloc()
    }

    /// The TTBAT (the bootloader's `ttbs` region). Entries change under [`Self::handoff`]'s
    /// lock.
    pub(crate) fn ttbat(&self) -> &RegionMap {
        &self.ttbat
    }

    /// The handoff region.
    pub(crate) fn handoff(&self) -> &Handoff {
        &self.handoff
    }

    /// The stamp the firmware last wrote for event slot `slot`. Any context.
    pub(crate) fn stamp(&self, slot: u32) -> u32 {
        self.stamps.load_u32(slot as usize * 4)
    }

    /// The event channel: its state and ring.
    pub(crate) fn event_channel(&self) -> (&FwObject<ChannelState>, &FwAlloc) {
        (&self.event_state, &self.event_ring)
    }

    /// The firmware's `Globals`.
    pub(crate) fn globals(&self) -> &FwSpan {
        &self.globals
    }

    /// The firmware's `FwStatus`.
    pub(crate) fn fw_status(&self) -> &FwAlloc {
        self.fw_status.alloc()
    }

    /// The driver's ends of the pipe channels (once).
    pub(crate) fn take_pipes(&mut self) -> Option<KVec<TxChannel>> {
        self.pipes.take()
    }

    /// The FwLog, KTrace and Stats channels.
    pub(crate) fn rx(&self) -> &RxChannels {
        &self.rx
    }
}

#[cfg(CONFIG_KUNIT)]
mod tests {
    use super::*;
    use crate::backend::testing::Recorder;
    use crate::kernel_ext::kunit::{expect_eq, expect_true, kunit_suite, Context};

    /// Bind + unbind far past the window's 4096 pages, with other bindings live: every bind
    /// succeeds and gets the lowest free run, which is the one just freed.
    fn cycles_reuse_the_window(ctx: &mut Context) {
        let mut w = TimestampWindow::new();
        expect_eq!(ctx, w.alloc(3), Some(0));
        expect_eq!(ctx, w.alloc(1), Some(3));
        for i in 0..5 * TIMESTAMP_PAGES {
            let n = 1 + i % 4;
            let Some(p) = w.alloc(n) else {
                expect_true!(ctx, false, "cycle {i}: no run of {n}");
                return;
            };
            expect_eq!(ctx, p, 4);
            w.free(p, n);
        }
        expect_eq!(ctx, w.live(), 4);
        // A hole is reused by a run that fits it, not by a larger one.
        w.free(0, 3);
        expect_eq!(ctx, w.alloc(4), Some(4));
        expect_eq!(ctx, w.alloc(2), Some(0));
        expect_eq!(ctx, w.live(), 7);
    }

    /// ENOSPC only when the live bindings fill the window; a freed range is found again, and a
    /// run longer than any free one is refused.
    fn full_only_when_live_bindings_fill_it(ctx: &mut Context) {
        let mut w = TimestampWindow::new();
        for i in 0..TIMESTAMP_PAGES {
            expect_eq!(ctx, w.alloc(1), Some(i));
        }
        expect_eq!(ctx, w.alloc(1), None);
        expect_eq!(ctx, w.live(), TIMESTAMP_PAGES);
        w.free(1000, 1);
        w.free(3000, 3);
        expect_eq!(ctx, w.alloc(4), None);
        expect_eq!(ctx, w.alloc(3), Some(3000));
        expect_eq!(ctx, w.alloc(1), Some(1000));
        expect_eq!(ctx, w.alloc(1), None);
        expect_eq!(ctx, w.alloc(0), None);
        expect_eq!(ctx, w.alloc(TIMESTAMP_PAGES + 1), None);
        // The whole window in one run, once empty.
        w.free(0, TIMESTAMP_PAGES);
        expect_eq!(ctx, w.live(), 0);
        expect_eq!(ctx, w.alloc(TIMESTAMP_PAGES), Some(0));
    }

    /// Runs of several sizes, bound and unbound interleaved (deterministic pseudo-random),
    /// against a model: no run overlaps a live one, and a bind fails only when the model has
    /// no free run of that length.
    fn mixed_sizes_never_overlap_and_fail_only_when_full(ctx: &mut Context) -> Result {
        let mut w = TimestampWindow::new();
        let mut model = KVec::<bool>::with_capacity(TIMESTAMP_PAGES, GFP_KERNEL)?;
        for _ in 0..TIMESTAMP_PAGES {
            model.push(false, GFP_KERNEL)?;
        }
        let mut live = KVec::<(usize, usize)>::new();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n) as usize
        };
        let (mut binds, mut refused) = (0, 0);
        for _ in 0..20_000 {
            if !live.is_empty() && (rnd(3) == 0 || live.len() > 200) {
                // Remove a random live run: swap it with the last, then pop.
                let at = rnd(live.len() as u64);
                let last = live.len() - 1;
                live.swap(at, last);
                let (first, n) = live.pop().ok_or(EINVAL)?;
                w.free(first, n);
                for m in model.iter_mut().skip(first).take(n) {
                    *m = false;
                }
                continue;
            }
            let n = [1, 1, 2, 3, 4, 8, 16, 64][rnd(8)];
            let fits = model.windows(n).any(|r| r.iter().all(|u| !u));
            match w.alloc(n) {
                Some(first) => {
                    binds += 1;
                    let run = model.get_mut(first..first + n).ok_or(EINVAL)?;
                    expect_true!(ctx, run.iter().all(|u| !u), "overlap at {first}+{n}");
                    run.iter_mut().for_each(|u| *u = true);
                    live.push((first, n), GFP_KERNEL)?;
                }
                None => {
                    refused += 1;
                    expect_true!(ctx, !fits, "refused {n} pages with a free run");
                }
            }
        }
        expect_true!(ctx, binds > 10_000, "{binds} binds, {refused} refused");
        expect_eq!(ctx, w.live(), live.iter().map(|(_, n)| n).sum::<usize>());
        Ok(())
    }

    /// Through the kernel half's page tables: map and unmap 20000 times, the window is reused
    /// and empty afterwards; a range kept after a failed flush is not handed out again, and
    /// four bindings of a quarter of the window each fill it exactly.
    fn kernel_half_maps_reuse_the_window(ctx: &mut Context) -> Result {
        let (_rec, tlb) = Recorder::new()?;
        let mut fw = FwMemory::new()?;
        let phys = |n: u64| (0..n).map(|i| 0x8000_0000 + i * GPU_PAGE_SIZE);
        for i in 0..20_000u64 {
            let pages = 1 + i % 3;
            let va = fw.map_timestamps(pages, phys(pages))?;
            expect_true!(
                ctx,
                va >= TIMESTAMP_BASE
                    && va + pages * GPU_PAGE_SIZE <= TIMESTAMP_BASE + TIMESTAMP_SIZE,
                "{va:#x}"
            );
            fw.unmap_timestamps(va, pages, &*tlb, true);
        }
        expect_eq!(ctx, fw.timestamp_pages_live(), 0);
        let mut mapped = 0;
        fw.for_each_mapped(|va, _| {
            mapped += usize::from(!FwMemory::driver_owns(va));
            Ok(())
        })?;
        expect_eq!(ctx, mapped, 0);
        // Not reusable (the flush failed): those pages stay taken.
        let va = fw.map_timestamps(2, phys(2))?;
        fw.unmap_timestamps(va, 2, &*tlb, false);
        expect_eq!(ctx, fw.timestamp_pages_live(), 2);
        // A whole-window binding cannot fit any more.
        let whole = TIMESTAMP_PAGES as u64;
        expect_eq!(
            ctx,
            fw.map_timestamps(whole, phys(whole)).err(),
            Some(ENOSPC)
        );
        let va = fw.map_timestamps(1, phys(1))?;
        expect_eq!(ctx, va, TIMESTAMP_BASE + 2 * GPU_PAGE_SIZE);
        fw.unmap_timestamps(va, 1, &*tlb, true);
        // Four bindings of a quarter of the window each fill it: a fifth page does not fit,
        // and a quarter freed in the middle is bound again in its place.
        let mut fresh = FwMemory::new()?;
        let q = whole / 4;
        let mut vas = KVec::new();
        for _ in 0..4 {
            vas.push(fresh.map_timestamps(q, phys(q))?, GFP_KERNEL)?;
        }
        expect_eq!(ctx, fresh.map_timestamps(1, phys(1)).err(), Some(ENOSPC));
        let second = *vas.get(1).ok_or(EINVAL)?;
        fresh.unmap_timestamps(second, q, &*tlb, true);
        expect_eq!(ctx, fresh.map_timestamps(q, phys(q)).ok(), Some(second));
        for va in vas.iter() {
            fresh.unmap_timestamps(*va, q, &*tlb, true);
        }
        expect_eq!(ctx, fresh.timestamp_pages_live(), 0);
        expect_true!(ctx, !FwMemory::driver_owns(TIMESTAMP_BASE));
        expect_true!(ctx, FwMemory::driver_owns(crate::fw::heap::PRIVATE_BASE));
        expect_true!(ctx, !FwMemory::driver_owns(UPPER_HALF_BASE));
        Ok(())
    }

    kunit_suite!(
        asahi_fwmem,
        [
            cycles_reuse_the_window,
            full_only_when_live_bindings_fill_it,
            mixed_sizes_never_overlap_and_fail_only_when_full,
            kernel_half_maps_reuse_the_window,
        ]
    );
}
