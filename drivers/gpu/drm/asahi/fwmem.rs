// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The firmware's memory: the kernel (TTBR1) half of the GPU address space and the objects the
//! driver shares with the firmware there.
//!
//! At boot the driver builds, in pages it maps into the kernel half:
//!
//! | GPU VA (kernel half) | contents | protection |
//! |---|---|---|
//! | `PRIVATE_BASE` | `InitData` (firmware 13.5, G13 layout) then `RuntimePointers` and `FwStatus` | firmware private |
//! | `SHARED_BASE` | the event page (stamps, fired mask, fault mailbox; see `backend::event_page`) | firmware shared |
//! | `SHARED_BASE + 16K` | channel ring states (event, firmware log) | firmware shared |
//! | `SHARED_BASE + 32K` | the event channel's message ring (256 × 0x38 bytes) | firmware shared |
//!
//! The ranges follow the downstream driver's kernel allocators (shared/reference/asahi-driver.md
//! §2: private at `0xffffffa0_00000000`, shared at `0xffffffa8_00000000`). Pages are kept for the
//! GPU's lifetime. A crash dump ([`crate::crashdump`]) snapshots every page mapped here.

use crate::backend::Backend;
use crate::fw::channels::ChannelState;
use crate::fw::types::GpuPtr;
use crate::fw::uat::{Prot, UPPER_HALF_BASE};
use crate::fw::variants::g13_v13_5 as fwv;
use crate::mmu::PageTables;
use crate::pages::{GpuPage, GPU_PAGE_SIZE};
use core::mem::{offset_of, size_of};
use kernel::prelude::*;

/// Start of the firmware-private range.
pub(crate) const PRIVATE_BASE: u64 = 0xffff_ffa0_0000_0000;
/// Start of the firmware-shared range.
pub(crate) const SHARED_BASE: u64 = 0xffff_ffa8_0000_0000;
/// Start of the window where user timestamp buffers are mapped for the firmware
/// (downstream's timestamp range, shared/reference/asahi-driver.md §2).
pub(crate) const TIMESTAMP_BASE: u64 = 0xffff_ffae_1000_0000;
/// Size of that window (64 MiB: 4096 GPU pages, all of whose page tables exist from boot).
const TIMESTAMP_SIZE: u64 = 0x400_0000;
/// Offset of `RuntimePointers` in the init-data page.
const RUNTIME_POINTERS: u64 = 0x400;
/// Offset of `FwStatus` in the init-data page.
const FW_STATUS: u64 = 0x800;
/// Offsets of the channel states in the ring-state page.
const EVENT_STATE: u64 = 0x0;
const FWLOG_STATE: u64 = 0x100;
/// Entries of the event channel ring.
pub(crate) const EVENT_RING_ENTRIES: u32 = 0x100;

/// Where the firmware finds its structures.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FwLayout {
    /// GPU VA of `InitData`.
    pub(crate) initdata: u64,
    /// GPU VA of the event page.
    pub(crate) event_page: u64,
    /// Physical address of the event page (the driver's own view).
    pub(crate) event_page_phys: u64,
    /// Physical address of the kernel-half page-table root (TTB1).
    pub(crate) ttb1: u64,
}

/// The kernel half and the pages mapped in it.
pub(crate) struct FwMemory {
    pt: PageTables,
    pages: KVec<(u64, GpuPage)>,
    layout: FwLayout,
    /// Next free address of the timestamp window (never reused).
    next_timestamp_va: u64,
}

/// Writes the bytes of `value` at `offset` of `page` (`EINVAL` if it does not fit).
fn put<T>(page: &GpuPage, offset: u64, value: &T) -> Result {
    let size = size_of::<T>();
    if offset as usize + size > GPU_PAGE_SIZE as usize {
        return Err(EINVAL);
    }
    // SAFETY: The page is ours, directly mapped, 16 KiB; the range is inside it (checked). `T`
    // is a plain-data firmware structure.
    unsafe {
        let dst = crate::bindings::asahi_helper_phys_to_virt(page.phys())
            .cast::<u8>()
            .add(offset as usize);
        core::ptr::copy_nonoverlapping((value as *const T).cast::<u8>(), dst, size);
    }
    Ok(())
}

/// An all-zero firmware structure.
fn zeroed<T>() -> T {
    // SAFETY: Only used for `repr(C)` firmware structures made of integers, byte arrays and
    // their wrappers (`U32`, `U64`, `GpuPtr`, `Pad`, `Array`), for which all-zero is valid.
    unsafe { core::mem::zeroed() }
}

impl FwMemory {
    /// Builds the firmware's memory for `hw`.
    pub(crate) fn new() -> Result<Self> {
        let mut fw = Self {
            pt: PageTables::new_kernel()?,
            pages: KVec::new(),
            layout: FwLayout {
                initdata: PRIVATE_BASE,
                event_page: SHARED_BASE,
                event_page_phys: 0,
                ttb1: 0,
            },
            next_timestamp_va: TIMESTAMP_BASE,
        };
        fw.layout.ttb1 = fw.pt.root_phys();
        // The timestamp window's tables exist from the start: mapping a timestamp buffer then
        // allocates nothing under the firmware-memory lock, which the crash path (a fence
        // signalling path) takes.
        fw.pt.populate(TIMESTAMP_BASE, TIMESTAMP_SIZE / GPU_PAGE_SIZE)?;
        let init = fw.map_page(PRIVATE_BASE, Prot::FW_PRIV_RW)?;
        fw.layout.event_page_phys = fw.map_page(SHARED_BASE, Prot::FW_SHARED_RW)?;
        let states_va = SHARED_BASE + GPU_PAGE_SIZE;
        let ring_va = SHARED_BASE + 2 * GPU_PAGE_SIZE;
        fw.map_page(states_va, Prot::FW_SHARED_RW)?;
        fw.map_page(ring_va, Prot::FW_SHARED_RW)?;

        let mut id: fwv::InitData = zeroed();
        id.runtime_pointers = GpuPtr::new(PRIVATE_BASE + RUNTIME_POINTERS);
        id.fw_status = GpuPtr::new(PRIVATE_BASE + FW_STATUS);
        id.uat_page_size = GPU_PAGE_SIZE as u16;
        id.uat_page_bits = 14;
        id.uat_num_levels = 3;
        let mut rp: fwv::RuntimePointers = zeroed();
        rp.event.state = GpuPtr::new(states_va + EVENT_STATE);
        rp.event.ring = GpuPtr::new(ring_va);
        rp.fw_log.state = GpuPtr::new(states_va + FWLOG_STATE);
        let page = fw.page(init).ok_or(EINVAL)?;
        put(page, 0, &id)?;
        put(page, RUNTIME_POINTERS, &rp)?;
        let fws: crate::fw::job::FwStatus = zeroed();
        put(page, FW_STATUS, &fws)?;
        let state: ChannelState = zeroed();
        let states = fw.page_at(states_va).ok_or(EINVAL)?;
        put(states, EVENT_STATE, &state)?;
        put(states, FWLOG_STATE, &state)?;
        Ok(fw)
    }

    fn page(&self, phys: u64) -> Option<&GpuPage> {
        self.pages.iter().map(|(_, p)| p).find(|p| p.phys() == phys)
    }

    fn page_at(&self, va: u64) -> Option<&GpuPage> {
        self.pages.iter().find(|(v, _)| *v == va).map(|(_, p)| p)
    }

    /// Allocates a zeroed page and maps it at `va`; returns its physical address.
    fn map_page(&mut self, va: u64, prot: Prot) -> Result<u64> {
        let page = GpuPage::alloc()?;
        let phys = page.phys();
        self.pages.reserve(1, GFP_KERNEL)?;
        let n = self.pt.tables_needed(va, 1)?;
        self.pt.reserve(n)?;
        self.pt.map(va, 1, prot, core::iter::once(phys))?;
        self.pages.push((va, page), GFP_KERNEL)?;
        Ok(phys)
    }

    /// Physical address of the event channel state.
    pub(crate) fn event_state_phys(&self) -> Option<u64> {
        self.page_at(SHARED_BASE + GPU_PAGE_SIZE)
            .map(|p| p.phys() + EVENT_STATE)
    }

    /// Maps `pages` GPU pages at physical addresses `phys` (a user timestamp buffer) for the
    /// firmware; returns their GPU address. The caller keeps the pages alive until
    /// [`Self::unmap_timestamps`].
    pub(crate) fn map_timestamps(
        &mut self,
        pages: u64,
        phys: impl Iterator<Item = u64> + Clone,
    ) -> Result<u64> {
        let va = self.next_timestamp_va;
        let end = va.checked_add(pages * GPU_PAGE_SIZE).ok_or(ENOSPC)?;
        if end > TIMESTAMP_BASE + TIMESTAMP_SIZE {
            return Err(ENOSPC);
        }
        // The window's tables were all made at boot: nothing to allocate here.
        if self.pt.tables_needed(va, pages)? != 0 {
            return Err(EINVAL);
        }
        self.pt.map(va, pages, Prot::FW_SHARED_RW, phys)?;
        self.next_timestamp_va = end;
        Ok(va)
    }

    /// Unmaps a timestamp buffer mapped by [`Self::map_timestamps`] and invalidates it in the
    /// GPU's TLB through `tlb`: afterwards its pages may be freed.
    pub(crate) fn unmap_timestamps(&mut self, va: u64, pages: u64, tlb: &dyn Backend) {
        let _ = self.pt.unmap(va, pages, tlb);
    }

    /// Where the firmware finds its structures.
    pub(crate) fn layout(&self) -> FwLayout {
        self.layout
    }

    /// Calls `f(va, pte)` for every page mapped in the kernel half, in address order.
    pub(crate) fn for_each_mapped(&self, f: impl FnMut(u64, u64) -> Result) -> Result {
        let pages = (u64::MAX - UPPER_HALF_BASE) / GPU_PAGE_SIZE + 1;
        self.pt.for_each_leaf(UPPER_HALF_BASE, pages, f)
    }
}

/// Byte offsets inside firmware structures the firmware model updates (through the kernel
/// half's page tables).
pub(crate) mod offsets {
    use super::*;

    /// `ChannelState::read_ptr`.
    pub(crate) const STATE_READ_PTR: usize = offset_of!(ChannelState, read_ptr);
    /// `ChannelState::write_ptr`.
    pub(crate) const STATE_WRITE_PTR: usize = offset_of!(ChannelState, write_ptr);
    /// `InitData::runtime_pointers`.
    pub(crate) const INITDATA_RUNTIME_POINTERS: usize = offset_of!(fwv::InitData, runtime_pointers);
    /// `RuntimePointers::event` (a `ChannelRing { state, ring }`).
    pub(crate) const RUNTIME_EVENT: usize = offset_of!(fwv::RuntimePointers, event);
    /// `ChannelRing::ring` (after `state`).
    pub(crate) const RING_RING: usize = offset_of!(crate::fw::job::ChannelRing, ring);
}
