// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Firmware crash dumps: a snapshot of the firmware's memory as an ELF core, via devcoredump.
//!
//! When the firmware crashes, [`Snapshot::take`] walks the kernel half of the GPU page tables
//! and copies every RAM-backed mapped page into newly allocated pages (pages that are not RAM
//! are recorded without data). The copies are allocated first, in runs of up to
//! [`RUN_LOG2`]-many contiguous GPU pages (smaller runs when memory is fragmented), because a
//! page allocation costs more than copying the page. Copying, rather than borrowing the live pages, keeps the dump
//! independent of what happens to firmware memory afterwards.
//!
//! The snapshot runs on the fence-signalling path (jobs are failed only after it), so it
//! allocates with `GFP_NOWAIT`: it never enters reclaim, which could wait on those very jobs.
//! Any allocation failure abandons the dump; the caller still fails the jobs. The dump format is shared with the decoder,
//! `tools/agx-coredump` (see its `FORMAT.md`); every byte of the file is defined.

use crate::bindings;
use crate::dumpfmt::{AgxDumpInfo, Coalescer, Note, PageSource, Segment, Writer};
use crate::fwmem::FwMemory;
use crate::hw::HwConfig;
use crate::kernel_ext::devcoredump::DumpSource;
use crate::pages::{GpuPageRun, GPU_PAGE_SIZE};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::prelude::*;

/// The firmware version the virtual AGX presents (13.5, as m1n1 reports macOS 13.5 firmware).
const FIRMWARE_VERSION: [u32; 3] = [13, 5, 0];

/// Copies are allocated in runs of up to `1 << RUN_LOG2` GPU pages (256 KiB).
const RUN_LOG2: u32 = 4;

/// A captured firmware state, ready to be read as an ELF core.
pub(crate) struct Snapshot {
    segments: KVec<Segment>,
    /// The copies, in walk order: `(index of the run's first page, run)`.
    runs: KVec<(usize, GpuPageRun)>,
    info: [u8; crate::dumpfmt::info::AGX_INFO_SIZE],
    crashlog: KVec<u8>,
    /// Pages copied (the first `copied` pages of `runs`).
    copied: usize,
    size: usize,
}

/// log2 of the finest granularity of `pfn_valid` (a SPARSEMEM subsection, 2 MiB on every
/// configuration; see `SUBSECTION_SHIFT` in `include/linux/mmzone.h`).
const PFN_VALID_SHIFT: u32 = 21;

/// Time the last snapshot spent allocating its copies, in nanoseconds (the benchmark's
/// breakdown, debugfs `bench_alloc_ns`).
pub(crate) static LAST_ALLOC_NS: AtomicU64 = AtomicU64::new(0);

/// Test knob: when non-zero, the `n`-th page copy of the next snapshot fails as if out of
/// memory (set through debugfs `crash_dump_fail_after`).
pub(crate) static FAIL_AFTER: AtomicU32 = AtomicU32::new(0);

impl Snapshot {
    /// Snapshots `fw`'s memory with `crashlog`, for a GPU described by `hw`.
    pub(crate) fn take(
        fw: &FwMemory,
        initdata: u64,
        hw: &HwConfig,
        crashlog: &[u8],
    ) -> Result<KBox<Self>> {
        let fail_after = FAIL_AFTER.swap(0, Ordering::Relaxed);
        let page_size = kernel::page::PAGE_SIZE as u64;
        // `pfn_valid` answers per 2 MiB subsection of the memory map at the finest (SPARSEMEM),
        // and each call is an RCU-sched read section (costly under lockdep): remember the last
        // block found valid, since the heaps' pages come in runs.
        let mut ram_block = u64::MAX;
        let mut is_ram = |pte: u64| {
            let pa = crate::dumpfmt::pte::pte_paddr(pte);
            if pa >> PFN_VALID_SHIFT == ram_block {
                return true;
            }
            // SAFETY: `pfn_valid` only inspects the memory map.
            let valid = unsafe { bindings::asahi_helper_pfn_valid((pa / page_size) as usize) };
            if valid {
                ram_block = pa >> PFN_VALID_SHIFT;
            }
            valid
        };
        // Count the pages to copy (the caller holds the kernel half still), then allocate the
        // copies in as few runs as memory allows.
        let mut total = 0usize;
        fw.for_each_mapped(|_, pte| {
            total += usize::from(is_ram(pte));
            Ok(())
        })?;
        let t0 = kernel::time::Ktime::ktime_get();
        let mut runs = KVec::with_capacity((total >> RUN_LOG2) + 1, GFP_NOWAIT)?;
        let mut log2 = RUN_LOG2;
        let mut have = 0usize;
        while have < total {
            let want = log2.min((total - have).ilog2());
            match GpuPageRun::alloc_nowait(want) {
                Ok(run) => {
                    let n = run.len();
                    runs.push((have, run), GFP_NOWAIT)?;
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
        // At most one segment per page: allocated once, not grown page by page.
        let mut segments = KVec::with_capacity(total.max(1), GFP_NOWAIT)?;
        let mut coalescer = Coalescer::new();
        let mut copied = 0usize;
        let mut run_at = 0usize;
        fw.for_each_mapped(|va, pte| {
            let ram = is_ram(pte);
            if ram {
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
                // SAFETY: `pa` starts a RAM GPU page (16 KiB, physically contiguous: the driver
                // maps only whole GPU pages in the kernel half), directly mapped; `dst` is a
                // page of a run allocated above.
                unsafe {
                    core::ptr::copy_nonoverlapping(
                        bindings::asahi_helper_phys_to_virt(pa).cast::<u8>(),
                        bindings::asahi_helper_phys_to_virt(dst).cast::<u8>(),
                        GPU_PAGE_SIZE as usize,
                    );
                }
                copied += 1;
            }
            if let Some(seg) = coalescer.push(va, pte, ram) {
                segments.push(seg, GFP_NOWAIT)?;
            }
            Ok(())
        })?;
        if let Some(seg) = coalescer.finish() {
            segments.push(seg, GFP_NOWAIT)?;
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
    fn copy_phys(runs: &[(usize, GpuPageRun)], index: usize) -> Option<u64> {
        let at = match runs.binary_search_by_key(&index, |(first, _)| *first) {
            Ok(i) => i,
            Err(i) => i.checked_sub(1)?,
        };
        let (first, run) = runs.get(at)?;
        let off = index - first;
        (off < run.len()).then(|| run.phys() + off as u64 * GPU_PAGE_SIZE)
    }

    /// Pages copied.
    pub(crate) fn pages_copied(&self) -> usize {
        self.copied
    }

    fn with_writer<R>(&self, f: impl FnOnce(&Writer<'_>) -> Result<R>) -> Result<R> {
        let notes = [Note::agx(&self.info), Note::rtkit(&self.crashlog)];
        let w = Writer::new(&self.segments, &notes).map_err(|_| EINVAL)?;
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
