// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Firmware crash dumps: a snapshot of the firmware's memory as an ELF core, via devcoredump.
//!
//! When the firmware crashes, [`Snapshot::take`] walks the kernel half of the GPU page tables
//! and copies the pages of memory the driver owns (its firmware heaps, see
//! [`FwMemory::driver_owns`]) that are RAM into newly allocated pages. Pages that are not RAM
//! the kernel may map (no `struct page`, or outside "System RAM" like `no-map` carve-outs) are
//! recorded without data; so is everything the driver does not own, above all user GEM pages
//! mapped in the timestamp window (possibly shared with other devices through PRIME), whose
//! segments carry the format's user-memory flag and never any data. The copies are allocated
//! first, in runs of up to [`RUN_LOG2`]-many contiguous GPU pages (smaller runs when memory is
//! fragmented), because a page allocation costs more than copying the page. Copying, rather than
//! borrowing the live pages, keeps the dump independent of what happens to firmware memory
//! afterwards.
//!
//! The snapshot runs on the fence-signalling path (jobs are failed only after it), so it
//! allocates with `GFP_NOWAIT`: it never enters reclaim, which could wait on those very jobs.
//! Its lists (segments, copy runs) grow in page-sized chunks ([`Chunked`]), never as one large
//! allocation that a fragmented machine could refuse. Any allocation failure abandons the dump;
//! the caller still fails the jobs. The dump format is the crate in `uapi/coredump/` (see its
//! `FORMAT.md`), shared with the decoder `tools/agx-coredump`; every byte of the file is defined.
//!
//! Locking: the caller holds the kernel half ([`FwMemory`], behind the firmware allocator's
//! mutex) across [`Snapshot::take`]; the RAM check takes the kernel's resource-tree read lock
//! (`resource_lock`) inside it. Nothing here sleeps.

use crate::bindings;
use crate::dumpfmt::{
    AgxDumpInfo, Coalescer, Note, PageKind, PageSource, Segment, SegmentList, Writer,
};
use crate::fwmem::FwMemory;
use crate::hw::HwConfig;
use crate::kernel_ext::devcoredump::DumpSource;
use crate::pages::{GpuPageRun, GPU_PAGE_SIZE};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;

/// The firmware version the virtual AGX presents (13.5, as m1n1 reports macOS 13.5 firmware).
const FIRMWARE_VERSION: [u32; 3] = [13, 5, 0];

/// Copies are allocated in runs of up to `1 << RUN_LOG2` GPU pages (256 KiB).
const RUN_LOG2: u32 = 4;

/// A list that grows one page-sized chunk at a time (`GFP_NOWAIT`): every allocation it makes
/// is at most `PAGE_SIZE` bytes, so it never needs a high-order allocation. The directory of
/// chunks is one page-sized allocation made by [`Chunked::new`], which bounds the list to
/// [`Chunked::max_len`] elements.
pub(crate) struct Chunked<T> {
    /// Chunks of capacity [`Self::PER_CHUNK`] each, all full but the last; capacity
    /// [`Self::MAX_CHUNKS`], never grown.
    chunks: KVec<KBox<KVec<T>>>,
    len: usize,
}

impl<T> Chunked<T> {
    /// Elements per chunk: as many as fit in a page.
    const PER_CHUNK: usize = {
        let n = PAGE_SIZE / core::mem::size_of::<T>();
        assert!(n > 0);
        n
    };
    /// Chunks the directory holds: as many pointers as fit in a page.
    const MAX_CHUNKS: usize = PAGE_SIZE / core::mem::size_of::<KBox<KVec<T>>>();

    /// An empty list (allocates its directory, one page).
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            chunks: KVec::with_capacity(Self::MAX_CHUNKS, GFP_NOWAIT)?,
            len: 0,
        })
    }

    /// Most elements the list can hold.
    pub(crate) const fn max_len() -> usize {
        Self::PER_CHUNK * Self::MAX_CHUNKS
    }

    /// Appends `v`, allocating a new chunk (one page) when the last is full; `E2BIG` past
    /// [`Self::max_len`].
    pub(crate) fn push(&mut self, v: T) -> Result {
        if self.len % Self::PER_CHUNK == 0 {
            if self.chunks.len() >= Self::MAX_CHUNKS {
                return Err(E2BIG);
            }
            let chunk = KBox::new(
                KVec::with_capacity(Self::PER_CHUNK, GFP_NOWAIT)?,
                GFP_NOWAIT,
            )?;
            // Within the capacity reserved in `new`: no reallocation.
            self.chunks.push(chunk, GFP_NOWAIT)?;
        }
        let last = self.chunks.last_mut().ok_or(EINVAL)?;
        // Within the chunk's capacity: no reallocation.
        last.push(v, GFP_NOWAIT)?;
        self.len += 1;
        Ok(())
    }

    /// Element `i`.
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        self.chunks
            .get(i / Self::PER_CHUNK)?
            .get(i % Self::PER_CHUNK)
    }

    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The largest allocation the list made: its directory, or one chunk.
    #[cfg(CONFIG_KUNIT)]
    fn largest_allocation(&self) -> usize {
        let dir = self.chunks.capacity() * core::mem::size_of::<KBox<KVec<T>>>();
        let chunk = self.chunks.iter().map(|c| c.capacity()).max().unwrap_or(0);
        dir.max(chunk * core::mem::size_of::<T>())
    }
}

impl SegmentList for Chunked<Segment> {
    fn count(&self) -> usize {
        self.len
    }

    fn segment(&self, index: usize) -> Option<Segment> {
        self.get(index).copied()
    }
}

/// A captured firmware state, ready to be read as an ELF core.
pub(crate) struct Snapshot {
    segments: Chunked<Segment>,
    /// The copies, in walk order: `(index of the run's first page, run)`.
    runs: Chunked<(usize, GpuPageRun)>,
    info: [u8; crate::dumpfmt::info::AGX_INFO_SIZE],
    crashlog: KVec<u8>,
    /// Pages copied (the first `copied` pages of `runs`).
    copied: usize,
    size: usize,
}

/// log2 of the finest granularity of `pfn_valid` (a SPARSEMEM subsection, 2 MiB on every
/// configuration; see `SUBSECTION_SHIFT` in `include/linux/mmzone.h`), also the block the RAM
/// check caches.
const PFN_VALID_SHIFT: u32 = 21;

/// Time the last snapshot spent allocating its copies, in nanoseconds (the benchmark's
/// breakdown, debugfs `bench_alloc_ns`).
pub(crate) static LAST_ALLOC_NS: AtomicU64 = AtomicU64::new(0);

/// Test knob: when non-zero, the `n`-th page copy of the next snapshot fails as if out of
/// memory (set through debugfs `crash_dump_fail_after`).
pub(crate) static FAIL_AFTER: AtomicU32 = AtomicU32::new(0);

/// Whether the GPU page at `pa` is RAM the kernel may read through the direct map: it has a
/// `struct page` (`pfn_valid`) and lies wholly in "System RAM" (what `page_is_ram` checks per
/// page, which on arm64 excludes `no-map` reserved memory that `pfn_valid` accepts).
fn gpu_page_is_ram(pa: u64) -> bool {
    let pfn = pa / PAGE_SIZE as u64;
    // SAFETY: Both only inspect the memory map and the resource tree (under its read lock).
    unsafe {
        bindings::asahi_helper_pfn_valid(pfn as usize)
            && bindings::asahi_helper_is_system_ram(pa, GPU_PAGE_SIZE)
    }
}

/// [`gpu_page_is_ram`] with a cache: `pfn_valid` answers per 2 MiB subsection at the finest
/// and each call is an RCU-sched read section (costly under lockdep), and the resource walk
/// takes a lock, so the last 2 MiB block found wholly RAM is remembered (the heaps' pages come
/// in runs).
struct RamCheck {
    block: u64,
}

impl RamCheck {
    fn new() -> Self {
        Self { block: u64::MAX }
    }

    fn is_ram(&mut self, pa: u64) -> bool {
        let block = pa >> PFN_VALID_SHIFT;
        if block == self.block {
            return true;
        }
        let base = block << PFN_VALID_SHIFT;
        let pfn = base / PAGE_SIZE as u64;
        // SAFETY: As in `gpu_page_is_ram`.
        let whole = unsafe {
            bindings::asahi_helper_pfn_valid(pfn as usize)
                && bindings::asahi_helper_is_system_ram(base, 1 << PFN_VALID_SHIFT)
        };
        if whole {
            self.block = block;
            return true;
        }
        gpu_page_is_ram(pa)
    }
}

impl Snapshot {
    /// Snapshots `fw`'s memory with `crashlog`, for a GPU described by `hw`.
    pub(crate) fn take(
        fw: &FwMemory,
        initdata: u64,
        hw: &HwConfig,
        crashlog: &[u8],
    ) -> Result<KBox<Self>> {
        let fail_after = FAIL_AFTER.swap(0, Ordering::Relaxed);
        let mut ram = RamCheck::new();
        // What the dump holds of each page: only memory the driver owns is ever copied.
        let mut kind_of = |va: u64, pte: u64| {
            if !FwMemory::driver_owns(va) {
                PageKind::User
            } else if ram.is_ram(crate::dumpfmt::pte::pte_paddr(pte)) {
                PageKind::Captured
            } else {
                PageKind::NotCaptured
            }
        };
        // Count the pages to copy (the caller holds the kernel half still), then allocate the
        // copies in as few runs as memory allows.
        let mut total = 0usize;
        fw.for_each_mapped(|va, pte| {
            total += usize::from(kind_of(va, pte) == PageKind::Captured);
            Ok(())
        })?;
        let t0 = kernel::time::Ktime::ktime_get();
        let mut runs = Chunked::new()?;
        let mut log2 = RUN_LOG2;
        let mut have = 0usize;
        while have < total {
            let want = log2.min((total - have).ilog2());
            match GpuPageRun::alloc_nowait(want) {
                Ok(run) => {
                    let n = run.len();
                    runs.push((have, run))?;
                    have += n;
                }
                Err(e) if want == 0 => return Err(e),
                Err(_) => log2 = want - 1,
            }
        }
        // CAST: elapsed time is non-negative.
        LAST_ALLOC_NS.store(
            (kernel::time::Ktime::ktime_get() - t0).to_ns() as u64,
            Ordering::Relaxed,
        );
        let mut segments = Chunked::new()?;
        let mut coalescer = Coalescer::new();
        let mut copied = 0usize;
        let mut run_at = 0usize;
        fw.for_each_mapped(|va, pte| {
            let kind = kind_of(va, pte);
            if kind == PageKind::Captured {
                if fail_after != 0 && copied + 1 >= fail_after as usize {
                    return Err(ENOMEM);
                }
                // Copies fill the runs in order: the next page of the current run, or the first
                // of the next one.
                let offset_in = |at: usize| {
                    let (first, run) = runs.get(at)?;
                    let off = copied.checked_sub(*first).filter(|&o| o < run.len())?;
                    // CAST: an index within a run of at most 16 pages.
                    Some(run.phys() + off as u64 * GPU_PAGE_SIZE)
                };
                let dst = match offset_in(run_at) {
                    Some(d) => d,
                    None => {
                        run_at += 1;
                        offset_in(run_at).ok_or(EINVAL)?
                    }
                };
                let pa = crate::dumpfmt::pte::pte_paddr(pte);
                // SAFETY: `pa` starts a GPU page (16 KiB, physically contiguous: the driver maps
                // only whole GPU pages in the kernel half) of driver-owned heap memory that is
                // RAM with a `struct page`, so directly mapped; `dst` is a page of a run
                // allocated above.
                unsafe {
                    core::ptr::copy_nonoverlapping(
                        bindings::asahi_helper_phys_to_virt(pa).cast::<u8>(),
                        bindings::asahi_helper_phys_to_virt(dst).cast::<u8>(),
                        GPU_PAGE_SIZE as usize,
                    );
                }
                copied += 1;
            }
            if let Some(seg) = coalescer.push_page(va, pte, kind) {
                segments.push(seg)?;
            }
            Ok(())
        })?;
        if let Some(seg) = coalescer.finish() {
            segments.push(seg)?;
        }
        let mut info = AgxDumpInfo {
            initdata_address: initdata,
            chip_id: hw.chip_id,
            gpu_gen: hw.gpu_gen as u32,
            gpu_variant: hw.gpu_variant as u32,
            gpu_rev: hw.gpu_rev,
            total_active_cores: hw.core_masks.iter().map(|m| m.count_ones()).sum(),
            ..Default::default()
        };
        info.set_firmware_version(&FIRMWARE_VERSION);
        let mut log = KVec::with_capacity(crashlog.len(), GFP_NOWAIT)?;
        log.extend_from_slice(crashlog, GFP_NOWAIT)?;
        let mut snap = KBox::new(
            Snapshot {
                segments,
                runs,
                copied,
                info: info.to_bytes(),
                crashlog: log,
                size: 0,
            },
            GFP_NOWAIT,
        )?;
        let size = snap.with_writer(|w| Ok(w.total_size()))?;
        snap.size = usize::try_from(size)?;
        Ok(snap)
    }

    /// The physical address of copy number `index` in `runs`.
    fn copy_phys(runs: &Chunked<(usize, GpuPageRun)>, index: usize) -> Option<u64> {
        // The last run whose first page is at or before `index` (runs are in page order).
        let (mut lo, mut hi) = (0usize, runs.len());
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if runs.get(mid)?.0 <= index {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let (first, run) = runs.get(lo)?;
        let off = index.checked_sub(*first)?;
        // CAST: an index within a run of at most 16 pages.
        (off < run.len()).then(|| run.phys() + off as u64 * GPU_PAGE_SIZE)
    }

    /// Pages copied.
    pub(crate) fn pages_copied(&self) -> usize {
        self.copied
    }

    fn with_writer<R>(
        &self,
        f: impl FnOnce(&Writer<'_, Chunked<Segment>>) -> Result<R>,
    ) -> Result<R> {
        let notes = [Note::agx(&self.info), Note::rtkit(&self.crashlog)];
        let w = Writer::over(&self.segments, &notes).map_err(|_| EINVAL)?;
        f(&w)
    }
}

impl PageSource for Snapshot {
    type Error = Error;

    fn read(&self, index: usize, offset: usize, dst: &mut [u8]) -> Result {
        if index >= self.copied || offset + dst.len() > GPU_PAGE_SIZE as usize {
            return Err(EINVAL);
        }
        let page = Self::copy_phys(&self.runs, index).ok_or(EINVAL)?;
        // SAFETY: The copy page is ours and directly mapped; the range is inside it.
        unsafe {
            core::ptr::copy_nonoverlapping(
                bindings::asahi_helper_phys_to_virt(page)
                    .cast::<u8>()
                    .add(offset),
                dst.as_mut_ptr(),
                dst.len(),
            );
        }
        Ok(())
    }
}

impl DumpSource for Snapshot {
    fn size(&self) -> usize {
        self.size
    }

    fn read_at(&self, offset: usize, buf: &mut [u8]) -> Result<usize> {
        // CAST: offsets fit in u64.
        self.with_writer(|w| w.read_at(self, offset as u64, buf))
    }
}

#[cfg(CONFIG_KUNIT)]
mod tests {
    use super::*;
    use crate::backend::testing::Recorder;
    use crate::dumpfmt::Dump;
    use crate::fwalloc::{FwAllocator, HeapKind};
    use crate::kernel_ext::kunit::{expect_eq, expect_true, kunit_suite, Context};
    use crate::pages::GpuPage;

    const FW_MARK: &[u8; 16] = b"asahi-fw-heap-m!";
    const USER_MARK: &[u8; 16] = b"user-secret-tsb!";

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    /// The dump holds the driver's heap memory and none of a user timestamp buffer's bytes;
    /// the buffer appears as a user-memory segment without data.
    fn dump_has_heap_memory_and_no_user_pages(ctx: &mut Context) -> Result {
        let (_, backend) = Recorder::new()?;
        let fw = FwAllocator::new(backend.clone())?;
        let obj = fw.alloc(HeapKind::Shared, 0x100)?;
        obj.write_bytes(0x40, FW_MARK)?;
        let user = GpuPage::alloc()?;
        for off in (0..GPU_PAGE_SIZE).step_by(0x1000) {
            // SAFETY: `user` is a whole GPU page of directly mapped RAM owned by this test.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    USER_MARK.as_ptr(),
                    bindings::asahi_helper_phys_to_virt(user.phys() + off).cast::<u8>(),
                    USER_MARK.len(),
                );
            }
        }
        let va = fw
            .kernel_half()
            .map_timestamps(1, core::iter::once(user.phys()))?;
        let snap = Snapshot::take(&fw.kernel_half(), 0, &crate::hw::t8103::HWCONFIG, b"kunit");
        fw.kernel_half().unmap_timestamps(va, 1, &*backend, true);
        let snap = snap?;
        let mut bytes = KVec::from_elem(0u8, snap.size(), GFP_KERNEL)?;
        expect_eq!(ctx, snap.read_at(0, &mut bytes), Ok(snap.size()));
        expect_true!(
            ctx,
            contains(&bytes, FW_MARK),
            "heap memory missing from the dump"
        );
        expect_true!(ctx, !contains(&bytes, USER_MARK), "user memory in the dump");
        let dump = Dump::parse(&bytes).map_err(|_| EINVAL)?;
        let seg = dump.segments().find(|s| s.contains(va));
        expect_true!(
            ctx,
            seg.is_some_and(|s| s.is_user() && !s.has_data),
            "timestamp segment {seg:?}"
        );
        expect_true!(
            ctx,
            dump.segments().any(|s| s.contains(obj.va()) && s.has_data)
        );
        // Every captured page is RAM the driver owns.
        expect_true!(
            ctx,
            dump.segments()
                .all(|s| !s.has_data || FwMemory::driver_owns(s.vaddr))
        );
        expect_eq!(
            ctx,
            snap.pages_copied() as u64 * GPU_PAGE_SIZE + dump.data_offset(),
            bytes.len() as u64
        );
        Ok(())
    }

    /// The RAM check: a page from the page allocator is RAM; addresses past any memory, or
    /// ranges that wrap, are not.
    fn ram_check(ctx: &mut Context) -> Result {
        let page = GpuPage::alloc()?;
        expect_true!(ctx, gpu_page_is_ram(page.phys()));
        expect_true!(ctx, RamCheck::new().is_ram(page.phys()));
        expect_true!(ctx, !gpu_page_is_ram(1 << 50));
        expect_true!(ctx, !RamCheck::new().is_ram(1 << 50));
        // SAFETY: Only inspects the resource tree.
        let wraps = unsafe { bindings::asahi_helper_is_system_ram(u64::MAX - 0xfff, 0x2000) };
        expect_true!(ctx, !wraps);
        Ok(())
    }

    /// Chunked lists: every element back in order, and no allocation above a page.
    fn chunked_lists_allocate_pages_only(ctx: &mut Context) -> Result {
        let mut l = Chunked::<(usize, u64)>::new()?;
        let n = Chunked::<(usize, u64)>::PER_CHUNK * 5 + 3;
        for i in 0..n {
            l.push((i, !(i as u64)))?;
        }
        expect_eq!(ctx, l.len(), n);
        expect_true!(ctx, (0..n).all(|i| l.get(i) == Some(&(i, !(i as u64)))));
        expect_eq!(ctx, l.get(n), None);
        expect_true!(
            ctx,
            l.largest_allocation() <= PAGE_SIZE,
            "{}",
            l.largest_allocation()
        );
        expect_true!(
            ctx,
            Chunked::<Segment>::max_len() >= 65533,
            "{}",
            Chunked::<Segment>::max_len()
        );
        let mut segs = Chunked::<Segment>::new()?;
        for i in 0..300u64 {
            segs.push(Segment::of_kind(
                i * 2 * GPU_PAGE_SIZE,
                0,
                1,
                PageKind::NotCaptured,
            ))?;
        }
        expect_true!(ctx, segs.largest_allocation() <= PAGE_SIZE);
        expect_eq!(ctx, segs.count(), 300);
        expect_eq!(
            ctx,
            segs.segment(299).map(|s| s.vaddr),
            Some(598 * GPU_PAGE_SIZE)
        );
        Ok(())
    }

    kunit_suite!(
        asahi_crashdump,
        [
            dump_has_heap_memory_and_no_user_pages,
            ram_check,
            chunked_lists_allocate_pages_only,
        ]
    );
}
