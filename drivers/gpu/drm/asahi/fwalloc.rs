// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Firmware heaps: memory for kernel-owned firmware objects in the kernel half.
//!
//! The [`FwAllocator`] owns the kernel (TTBR1) half of the GPU address space ([`FwMemory`]: its
//! page tables and the timestamp window) and three heaps in it (ranges: the layout `fw::heap`),
//! whose books are kept by the shared, host-tested engine `fw::engine::heap`:
//!
//! | heap | range | firmware mapping | freed memory |
//! |---|---|---|---|
//! | [`HeapKind::Private`] | `0xffffffa0_00000000`, 512 MiB | firmware only, cached | reused only after a firmware cache flush |
//! | [`HeapKind::GpuRo`] | `0xffffffa6_00000000`, 64 MiB | firmware read-write, GPU read-only | reused only after a flush |
//! | [`HeapKind::Shared`] | `0xffffffa8_00000000`, 64 MiB | firmware and CPU, uncached | reused at once |
//!
//! A heap grows one zeroed 16 KiB page at a time, mapped for good (heap pages are freed only
//! with the allocator, so the firmware never sees memory disappear). An allocation is a
//! [`FwAlloc`]; a typed one an [`FwObject<T>`], whose [`GpuPointer`] borrows it: a GPU pointer
//! can only be taken from a live object, and a firmware structure that embeds one must own (or
//! hold a reference to) the object it points to, as the boot structures in [`crate::fwmem`] do.
//!
//! Freed private and GPU read-only memory is *garbage* (the firmware may still hold it in its
//! cache) until the allocator has asked the firmware to flush its caches
//! (a DeviceControl `DestroyContext` for context `0xff`, as downstream, through the
//! device-control channel this allocator also owns), which it does once more than 16 MiB or 2048
//! objects are garbage, or when a range is full.
//!
//! # Lock order
//!
//! A heap's lock → the device-control channel's lock → the backend's locks; a heap's lock → the
//! kernel half's lock ([`FwAllocator::kernel_half`]).
//! Nothing is allocated under the kernel half's lock (the crash snapshot takes it on a fence
//! signalling path): pages and page tables for growth are allocated under the heap lock only.

use crate::backend::{endpoint, Transport};
use crate::channel::TxChannel;
use crate::fw::channels::FwCtlMsg;
use crate::fw::channels::{DOORBELL_DEVCTRL, MSG_FWCTL, MSG_TX_DOORBELL};
use crate::fw::engine::heap::{self as books, Heap, HeapError, HeapStats, PageUse};
use crate::fw::heap;
use crate::fw::job::GpuContextData;
use crate::fw::plain::{self, Plain};
use crate::fw::types::GpuPtr;
use crate::fw::uat::Prot;
use crate::fw::variants::g13_v13_5::DeviceControlMsg;
use crate::fwmem::FwMemory;
use crate::handoff::Handoff;
use crate::pages::{GpuPage, GPU_PAGE_SIZE};
use core::marker::PhantomData;
use core::mem::size_of;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::lock::{mutex::MutexBackend, Guard};
use kernel::sync::{Arc, Mutex};

/// Which heap an object lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HeapKind {
    /// Firmware-private (cached by the firmware).
    Private,
    /// Written by the firmware, read by the GPU.
    GpuRo,
    /// Shared with the CPU (uncached).
    Shared,
}

/// Whether `va` lies in one of the firmware heaps' ranges (memory the driver allocates and
/// owns).
pub(crate) fn is_heap_va(va: u64) -> bool {
    [HeapKind::Private, HeapKind::GpuRo, HeapKind::Shared]
        .iter()
        .any(|k| {
            let (base, size, _, _) = k.range();
            va >= base && va - base < size
        })
}

impl HeapKind {
    const fn range(self) -> (u64, u64, bool, Prot) {
        match self {
            HeapKind::Private => (heap::PRIVATE_BASE, 512 << 20, true, Prot::FW_PRIV_RW),
            HeapKind::GpuRo => (heap::GPU_RO_BASE, 64 << 20, true, Prot::GPU_RO_FW_PRIV_RW),
            HeapKind::Shared => (heap::SHARED_BASE, 64 << 20, false, Prot::FW_SHARED_RW),
        }
    }

    /// Page tables a full heap of this kind needs (one per 32 MiB, plus the level above).
    const fn max_tables(self) -> usize {
        let (_, size, _, _) = self.range();
        // CAST: a few dozen.
        (size / (32 << 20)) as usize + 1
    }
}

/// One heap: its books, the state of every page and the pages themselves.
struct HeapState {
    books: Heap,
    prot: Prot,
    pages: KVec<PageUse>,
    backing: KVec<GpuPage>,
}

/// The kernel half and its heaps.
#[pin_data]
pub(crate) struct FwAllocator {
    #[pin]
    kernel: Mutex<FwMemory>,
    #[pin]
    private: Mutex<HeapState>,
    #[pin]
    gpu_ro: Mutex<HeapState>,
    #[pin]
    shared: Mutex<HeapState>,
    /// The device-control channel, once the boot structures exist.
    #[pin]
    devctrl: Mutex<Option<TxChannel>>,
    /// The FwCtl channel, once the boot structures exist.
    #[pin]
    fwctl: Mutex<Option<TxChannel>>,
    /// The handoff region, whose kernel flush slot announces each range flush (taken alone).
    #[pin]
    handoff: Mutex<Option<Arc<Handoff>>>,
    transport: Arc<dyn Transport>,
    /// Firmware cache flushes asked for so far (debugfs `fw_cache_flushes`).
    flushes: AtomicU64,
    /// Range flushes acknowledged on the FwCtl channel (debugfs `fw_range_flushes`).
    range_flushes: AtomicU64,
    /// Objects allocated and not freed, over all heaps (debugfs `fw_live_objects`).
    live: AtomicU64,
    /// Freed objects waiting for a flush, over all heaps (debugfs `fw_garbage_objects`).
    garbage: AtomicU64,
}

impl FwAllocator {
    /// Creates the kernel half with empty heaps; the firmware behind `transport` is asked to
    /// flush its caches.
    pub(crate) fn new(transport: Arc<dyn Transport>) -> Result<Arc<Self>> {
        let mut kernel = FwMemory::new()?;
        kernel.reserve_table_capacity(
            HeapKind::Private.max_tables()
                + HeapKind::GpuRo.max_tables()
                + HeapKind::Shared.max_tables(),
        )?;
        let state = |kind: HeapKind| {
            let (base, size, deferred, prot) = kind.range();
            HeapState {
                books: Heap::new(base, size, deferred),
                prot,
                pages: KVec::new(),
                backing: KVec::new(),
            }
        };
        Arc::pin_init(
            pin_init!(FwAllocator {
                kernel <- new_mutex!(kernel, "asahi::FwAllocator::kernel"),
                private <- new_mutex!(state(HeapKind::Private), "asahi::FwAllocator::private"),
                gpu_ro <- new_mutex!(state(HeapKind::GpuRo), "asahi::FwAllocator::gpu_ro"),
                shared <- new_mutex!(state(HeapKind::Shared), "asahi::FwAllocator::shared"),
                devctrl <- new_mutex!(None, "asahi::FwAllocator::devctrl"),
                fwctl <- new_mutex!(None, "asahi::FwAllocator::fwctl"),
                handoff <- new_mutex!(None, "asahi::FwAllocator::handoff"),
                transport,
                flushes: AtomicU64::new(0),
                range_flushes: AtomicU64::new(0),
                live: AtomicU64::new(0),
                garbage: AtomicU64::new(0),
            }),
            GFP_KERNEL,
        )
    }

    /// The kernel half (page tables, timestamp window), locked.
    pub(crate) fn kernel_half(&self) -> Guard<'_, FwMemory, MutexBackend> {
        self.kernel.lock()
    }

    fn heap(&self, kind: HeapKind) -> &Mutex<HeapState> {
        match kind {
            HeapKind::Private => &self.private,
            HeapKind::GpuRo => &self.gpu_ro,
            HeapKind::Shared => &self.shared,
        }
    }

    /// Counters for debugfs: cache flushes, live objects, garbage objects, range flushes (each lives as long
    /// as the allocator).
    pub(crate) fn counters(&self) -> [&AtomicU64; 4] {
        [
            &self.flushes,
            &self.live,
            &self.garbage,
            &self.range_flushes,
        ]
    }

    /// The counters of one heap, and the number of cache flushes so far.
    pub(crate) fn stats(&self, kind: HeapKind) -> (HeapStats, u64) {
        let books = self.heap(kind).lock().books.stats();
        (books, self.flushes.load(Ordering::Relaxed))
    }

    /// Allocates `size` zeroed bytes (at most one GPU page) in heap `kind`. Process context.
    pub(crate) fn alloc(self: &Arc<Self>, kind: HeapKind, size: usize) -> Result<FwAlloc> {
        let (va, phys) = self.alloc_raw(kind, size)?;
        Ok(FwAlloc {
            owner: self.clone(),
            kind,
            va,
            phys,
            size,
        })
    }

    /// Allocates `size` zeroed bytes: `(firmware address, physical address)`.
    fn alloc_raw(&self, kind: HeapKind, size: usize) -> Result<(u64, u64)> {
        if size == 0 || size as u64 > GPU_PAGE_SIZE {
            return Err(EINVAL);
        }
        let mut h = self.heap(kind).lock();
        if h.books.wants_flush() {
            self.flush_and_collect(&mut h);
        }
        let mut flushed = false;
        let va = loop {
            let HeapState { books, pages, .. } = &mut *h;
            match books.alloc(pages, size as u64) {
                Ok(va) => break va,
                Err(HeapError::NeedPages(n)) => {
                    for _ in 0..n {
                        self.grow(&mut h)?;
                    }
                }
                Err(HeapError::Full) if !flushed && h.books.has_garbage() => {
                    self.flush_and_collect(&mut h);
                    flushed = true;
                }
                Err(HeapError::Full) => return Err(ENOMEM),
                Err(_) => return Err(EINVAL),
            }
        };
        let index = ((va - h.books.base()) / GPU_PAGE_SIZE) as usize;
        let phys = h.backing.get(index).ok_or(EINVAL)?.phys() + va % GPU_PAGE_SIZE;
        drop(h);
        self.live.fetch_add(1, Ordering::Relaxed);
        // Recycled memory holds what its last owner left there.
        // SAFETY: `phys` starts `size` bytes of a heap page (RAM, directly mapped) that the
        // books just gave to this allocation alone.
        unsafe {
            core::ptr::write_bytes(
                crate::bindings::asahi_helper_phys_to_virt(phys).cast::<u8>(),
                0,
                size,
            )
        };
        Ok((va, phys))
    }

    /// Allocates `size` zeroed bytes (at most one GPU page) in heap `kind` for the GPU's
    /// lifetime (channel rings): never freed, so nothing points back at the allocator.
    /// Returns `(firmware address, physical address)`.
    pub(crate) fn alloc_permanent(&self, kind: HeapKind, size: usize) -> Result<(u64, u64)> {
        self.alloc_raw(kind, size)
    }

    /// Starts using `chan` as the device-control channel (at boot, once the firmware can find
    /// it).
    pub(crate) fn install_device_control(&self, chan: TxChannel) {
        *self.devctrl.lock() = Some(chan);
    }

    /// Sends a device-control message and waits for the firmware to consume it. `ENODEV` if
    /// there is no running firmware (not booted, crashed or shut down), `ETIMEDOUT` if it did not
    /// answer. Process context; sleeps.
    pub(crate) fn device_control(&self, msg: &DeviceControlMsg) -> Result {
        let index = self.queue_device_control(msg)?;
        self.doorbell_device_control()?;
        self.wait_device_control(index)
    }

    /// Rings the device-control doorbell (`0x83 << 48 | 0x11` on the doorbell endpoint).
    fn doorbell_device_control(&self) -> Result {
        self.transport
            .send(endpoint::DOORBELL, MSG_TX_DOORBELL | DOORBELL_DEVCTRL)
    }

    /// Writes `msg` on the device-control channel without ringing its doorbell (at boot, before
    /// the firmware runs); returns its ring index for [`Self::wait_device_control`]. A full ring
    /// (the firmware behind) is waited on, with the doorbell rung, for up to
    /// [`crate::channel::TIMEOUT_MS`]. Process context.
    pub(crate) fn queue_device_control(&self, msg: &DeviceControlMsg) -> Result<u32> {
        let mut guard = self.devctrl.lock();
        let chan = guard.as_mut().ok_or(ENODEV)?;
        let raw = msg.encode();
        let bytes = plain::bytes_of(&raw);
        let mut waited = 0;
        loop {
            match chan.send(bytes) {
                Ok(i) => return Ok(i),
                Err(e) if e == EBUSY && waited < crate::channel::TIMEOUT_MS => {
                    // The ring is full: the firmware is behind; let it catch up.
                    self.doorbell_device_control()?;
                    waited += 1;
                    // SAFETY: Plain sleep in process context.
                    unsafe { crate::bindings::msleep(1) };
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Waits until the firmware has consumed the device-control message at ring index `index`.
    /// Process context.
    pub(crate) fn wait_device_control(&self, index: u32) -> Result {
        let mut guard = self.devctrl.lock();
        let chan = guard.as_mut().ok_or(ENODEV)?;
        chan.wait_consumed(index)
    }

    /// Starts using `chan` as the FwCtl channel (at boot).
    pub(crate) fn install_fwctl(&self, chan: TxChannel) {
        *self.fwctl.lock() = Some(chan);
    }

    /// Starts announcing range flushes in `handoff`'s flush slots (at boot).
    pub(crate) fn install_handoff(&self, handoff: Arc<Handoff>) {
        *self.handoff.lock() = Some(handoff);
    }

    /// Asks the firmware to write back and drop what it cached of `pages` GPU pages of kernel
    /// memory at `va` (a FwCtl message for the kernel's flush slot 64, as downstream sends when it
    /// unmaps kernel memory), and waits until it has. The flush is announced in the handoff
    /// region's slot 64 first (state requested, address, size) and the firmware marks it done
    /// there (m1n1 `handoff.py` `prepare_cacheflush`/`complete_cacheflush`). `ENODEV` without
    /// running firmware. Process context; sleeps.
    pub(crate) fn flush_range(&self, va: u64, pages: u64) -> Result {
        let msg = FwCtlMsg::flush_kernel_range(va, u16::try_from(pages).map_err(|_| EINVAL)?);
        let handoff = self.handoff.lock().clone().ok_or(ENODEV)?;
        let slot = crate::fw::uat::HANDOFF_KERNEL_FLUSH_SLOT;
        let mut guard = self.fwctl.lock();
        let chan = guard.as_mut().ok_or(ENODEV)?;
        handoff.begin_flush(slot, va, pages.saturating_mul(GPU_PAGE_SIZE))?;
        let sent = chan
            .send(plain::bytes_of(&msg))
            .and_then(|index| {
                self.transport.send(endpoint::DOORBELL, MSG_FWCTL)?;
                Ok(index)
            })
            .and_then(|index| chan.wait_consumed(index));
        // The slot goes back to idle whatever happened; a flush the firmware consumed without
        // marking it done is an error.
        let ended = handoff.end_flush(slot, sent.is_ok());
        sent?;
        ended?;
        self.range_flushes.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Makes the firmware forget the context `ctx` (DeviceControl `DestroyContext`): it drops
    /// the context's queued work and finishes what it runs; afterwards it touches nothing of
    /// the context. Process context.
    pub(crate) fn destroy_context(&self, ctx: &FwObject<GpuContextData>) -> Result {
        self.device_control(&DeviceControlMsg::destroy_context(ctx.alloc().va()))
    }

    /// Maps one more page at the end of heap `h`: the page, the books' entry and any page
    /// tables are allocated here, under the heap lock; the kernel half's lock is taken only to
    /// look and to link.
    fn grow(&self, h: &mut HeapState) -> Result {
        let index = h.pages.len() as u64;
        if index >= h.books.max_pages() {
            return Err(ENOMEM);
        }
        let va = h.books.page_va(index);
        let page = GpuPage::alloc()?;
        h.pages.reserve(1, GFP_KERNEL)?;
        h.backing.reserve(1, GFP_KERNEL)?;
        loop {
            let mut k = self.kernel.lock();
            let missing = k.tables_missing(va)?;
            if missing == 0 {
                k.map_heap_page(va, h.prot, page.phys())?;
                break;
            }
            drop(k);
            let mut tables = KVec::with_capacity(missing, GFP_KERNEL)?;
            for _ in 0..missing {
                tables.push(GpuPage::alloc()?, GFP_KERNEL)?;
            }
            // Another heap may take some of these before this one maps: then loop.
            self.kernel.lock().add_tables(&mut tables)?;
        }
        // Within the capacity reserved above.
        h.pages.push(PageUse::default(), GFP_NOWAIT)?;
        h.backing.push(page, GFP_NOWAIT)?;
        Ok(())
    }

    /// Asks the firmware to flush its caches (a `DestroyContext` for no context, all context
    /// bytes 0xff: reference §2), then makes the heap's garbage reusable. Without running
    /// firmware nothing is cached and the garbage is collected at once; if the firmware does
    /// not answer, the garbage stays.
    fn flush_and_collect(&self, h: &mut HeapState) {
        match self.device_control(&DeviceControlMsg::flush_all()) {
            Ok(()) => {
                self.flushes.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) if e == ENODEV => {}
            Err(_) => return,
        }
        let HeapState { books, pages, .. } = h;
        self.garbage
            .fetch_sub(books.stats().garbage_objects, Ordering::Relaxed);
        books.collect(pages);
    }

    fn free(&self, a: &FwAlloc) {
        let mut h = self.heap(a.kind).lock();
        let HeapState { books, pages, .. } = &mut *h;
        // An allocation is freed once, with its own size: the books cannot refuse it.
        if books.free(pages, a.va, a.size as u64).is_ok() {
            self.live.fetch_sub(1, Ordering::Relaxed);
            if books.deferred() {
                self.garbage.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// A firmware allocation: at most one GPU page of physically contiguous memory in the kernel
/// half. Freed on drop (process context).
pub(crate) struct FwAlloc {
    owner: Arc<FwAllocator>,
    kind: HeapKind,
    va: u64,
    phys: u64,
    size: usize,
}

impl FwAlloc {
    /// The firmware (kernel-half) address.
    pub(crate) fn va(&self) -> u64 {
        self.va
    }

    /// The physical address.
    pub(crate) fn phys(&self) -> u64 {
        self.phys
    }

    fn cpu(&self) -> *mut u8 {
        // SAFETY: `phys` is RAM (a heap page) the direct map covers.
        unsafe { crate::bindings::asahi_helper_phys_to_virt(self.phys) }.cast()
    }

    /// Copies `bytes` to offset `offset` (`EINVAL` if out of bounds).
    pub(crate) fn write_bytes(&self, offset: usize, bytes: &[u8]) -> Result {
        let end = offset.checked_add(bytes.len()).ok_or(EINVAL)?;
        if end > self.size {
            return Err(EINVAL);
        }
        // SAFETY: In bounds (checked); the firmware may read concurrently, which for plain
        // bytes it also does on hardware.
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.cpu().add(offset), bytes.len())
        };
        Ok(())
    }

    /// Copies bytes from offset `offset` into `buf` (`EINVAL` if out of bounds).
    pub(crate) fn read_bytes(&self, offset: usize, buf: &mut [u8]) -> Result {
        let end = offset.checked_add(buf.len()).ok_or(EINVAL)?;
        if end > self.size {
            return Err(EINVAL);
        }
        // SAFETY: In bounds (checked); the firmware may write concurrently (shared ring memory),
        // and the reader validates what it gets, as it does on hardware.
        unsafe {
            core::ptr::copy_nonoverlapping(self.cpu().add(offset), buf.as_mut_ptr(), buf.len())
        };
        Ok(())
    }
}

impl FwAlloc {
    /// Stores `value` at `offset` (4-byte aligned) for the firmware to read; any context.
    /// Out-of-bounds or unaligned offsets are ignored (callers use layout constants).
    pub(crate) fn store_u32(&self, offset: usize, value: u32) {
        if offset % 4 != 0 || offset.saturating_add(4) > self.size {
            return;
        }
        // SAFETY: An aligned `u32` inside this live allocation (checked above).
        unsafe { crate::pages::shared_u32(self.phys + offset as u64) }
            .store(value, Ordering::Release);
    }
}

impl FwAlloc {
    /// Loads the `u32` the firmware stored at `offset` (4-byte aligned); any context. Out of
    /// bounds or unaligned offsets read 0.
    pub(crate) fn load_u32(&self, offset: usize) -> u32 {
        if offset % 4 != 0 || offset.saturating_add(4) > self.size {
            return 0;
        }
        // SAFETY: An aligned `u32` inside this live allocation (checked above).
        unsafe { crate::pages::shared_u32(self.phys + offset as u64) }.load(Ordering::Acquire)
    }

    /// Stores `value` at `offset` (8-byte aligned) for the firmware to read; any context.
    /// Out-of-bounds or unaligned offsets are ignored (callers use layout constants).
    pub(crate) fn store_u64(&self, offset: usize, value: u64) {
        if offset % 8 != 0 || offset.saturating_add(8) > self.size {
            return;
        }
        // SAFETY: An aligned `u64` inside this live allocation (checked above).
        unsafe { crate::pages::shared_u64(self.phys + offset as u64) }
            .store(value, Ordering::Release);
    }
}

impl Drop for FwAlloc {
    fn drop(&mut self) {
        self.owner.free(self);
    }
}

/// A firmware structure of type `T` in a firmware heap.
///
/// `T: Plain`: its bytes, copied to the firmware, are all initialised and carry no kernel
/// address or cell.
pub(crate) struct FwObject<T: Plain> {
    alloc: FwAlloc,
    _t: PhantomData<T>,
}

impl<T: Plain> FwObject<T> {
    const FITS: () = assert!(size_of::<T>() > 0 && size_of::<T>() as u64 <= GPU_PAGE_SIZE);

    /// Allocates a `T` in heap `kind` holding `value`.
    pub(crate) fn new(fw: &Arc<FwAllocator>, kind: HeapKind, value: &T) -> Result<Self> {
        let () = Self::FITS;
        let alloc = fw.alloc(kind, size_of::<T>())?;
        alloc.write_bytes(0, plain::bytes_of(value))?;
        Ok(Self {
            alloc,
            _t: PhantomData,
        })
    }

    /// A GPU pointer to the object, valid while the object is borrowed.
    pub(crate) fn gpu_pointer(&self) -> GpuPointer<'_, T> {
        GpuPointer {
            va: self.alloc.va,
            _t: PhantomData,
        }
    }

    /// The allocation.
    pub(crate) fn alloc(&self) -> &FwAlloc {
        &self.alloc
    }
}

/// A GPU pointer to a live [`FwObject<T>`] (it borrows the object).
#[derive(Clone, Copy)]
pub(crate) struct GpuPointer<'a, T> {
    va: u64,
    _t: PhantomData<&'a T>,
}

impl<'a, T> From<GpuPointer<'a, T>> for GpuPtr {
    fn from(p: GpuPointer<'a, T>) -> GpuPtr {
        GpuPtr::new(p.va)
    }
}

#[cfg(CONFIG_KUNIT)]
mod tests {
    use super::*;
    use crate::backend::testing::Recorder;
    use crate::kernel_ext::kunit::{expect_eq, expect_true, kunit_suite, Context};
    use crate::kernel_ext::vec::VecExt;

    fn allocator() -> Result<Arc<FwAllocator>> {
        // No firmware behind it: flushes find nothing cached (`ENODEV`).
        let (_, transport) = Recorder::new()?;
        FwAllocator::new(transport)
    }

    /// The physical address the kernel half's page tables give `va`.
    fn walk(fw: &FwAllocator, va: u64) -> Option<u64> {
        let mut pa = None;
        let page = va & !(GPU_PAGE_SIZE - 1);
        let _ = fw.kernel_half().for_each_mapped(|v, pte| {
            if v == page {
                pa = Some(crate::dumpfmt::pte::pte_paddr(pte) + va % GPU_PAGE_SIZE);
            }
            Ok(())
        });
        pa
    }

    fn objects_are_mapped_where_the_cpu_writes(ctx: &mut Context) -> Result {
        let fw = allocator()?;
        for kind in [HeapKind::Private, HeapKind::GpuRo, HeapKind::Shared] {
            let a = fw.alloc(kind, 0x100)?;
            let (base, _, _, _) = kind.range();
            expect_true!(
                ctx,
                a.va() >= base && a.va() % heap::UNIT == 0,
                "{:#x}",
                a.va()
            );
            expect_eq!(ctx, walk(&fw, a.va()), Some(a.phys()));
        }
        // A second page once the first is full; a page-sized object gets a page of its own.
        let big = fw.alloc(HeapKind::Shared, GPU_PAGE_SIZE as usize)?;
        expect_eq!(ctx, big.va() % GPU_PAGE_SIZE, 0);
        expect_eq!(ctx, walk(&fw, big.va()), Some(big.phys()));
        Ok(())
    }

    fn private_memory_is_reused_only_after_a_flush(ctx: &mut Context) -> Result {
        let fw = allocator()?;
        let a = fw.alloc(HeapKind::Private, 0x80)?;
        let va = a.va();
        drop(a);
        let b = fw.alloc(HeapKind::Private, 0x80)?;
        expect_true!(ctx, b.va() != va, "reused {:#x} before a flush", va);
        expect_eq!(ctx, fw.stats(HeapKind::Private).1, 0);
        // Enough garbage makes the next allocation flush and collect.
        let mut held = KVec::new();
        for _ in 0..=books::FLUSH_GARBAGE_OBJECTS {
            held.push(fw.alloc(HeapKind::Private, 0x80)?, GFP_KERNEL)?;
        }
        while held.pop().is_some() {}
        let (stats, _) = fw.stats(HeapKind::Private);
        expect_true!(
            ctx,
            stats.garbage_objects > books::FLUSH_GARBAGE_OBJECTS,
            "{:?}",
            stats
        );
        expect_eq!(ctx, stats.collections, 0);
        let c = fw.alloc(HeapKind::Private, 0x80)?;
        let (stats, flushes) = fw.stats(HeapKind::Private);
        // No firmware runs (the backend is not booted), so nothing is cached: the garbage is
        // collected without a flush message.
        expect_eq!(ctx, flushes, 0);
        expect_eq!(ctx, stats.collections, 1);
        expect_eq!(ctx, stats.garbage_objects, 0);
        expect_eq!(ctx, c.va(), va);
        Ok(())
    }

    fn shared_memory_is_reused_at_once_and_zeroed(ctx: &mut Context) -> Result {
        let fw = allocator()?;
        let a = fw.alloc(HeapKind::Shared, 0x100)?;
        let va = a.va();
        a.write_bytes(0, &[0xaa; 0x100])?;
        expect_eq!(ctx, a.write_bytes(0xf0, &[0; 0x20]), Err(EINVAL));
        drop(a);
        let b = fw.alloc(HeapKind::Shared, 0x100)?;
        expect_eq!(ctx, b.va(), va);
        // SAFETY: `b` is 0x100 bytes of directly mapped RAM owned by this test.
        let first = unsafe { *crate::bindings::asahi_helper_phys_to_virt(b.phys()).cast::<u8>() };
        expect_eq!(ctx, first, 0);
        expect_eq!(ctx, fw.stats(HeapKind::Shared).1, 0);
        Ok(())
    }

    fn bad_sizes_are_refused(ctx: &mut Context) -> Result {
        let fw = allocator()?;
        expect_eq!(ctx, fw.alloc(HeapKind::Private, 0).err(), Some(EINVAL));
        expect_eq!(
            ctx,
            fw.alloc(HeapKind::Private, GPU_PAGE_SIZE as usize + 1)
                .err(),
            Some(EINVAL)
        );
        expect_eq!(ctx, fw.stats(HeapKind::Private).0.live_objects, 0);
        Ok(())
    }

    kunit_suite!(
        asahi_fwalloc,
        [
            objects_are_mapped_where_the_cpu_writes,
            private_memory_is_reused_only_after_a_flush,
            shared_memory_is_reused_at_once_and_zeroed,
            bad_sizes_are_refused,
        ]
    );
}
