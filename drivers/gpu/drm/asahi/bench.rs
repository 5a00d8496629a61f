// SPDX-License-Identifier: GPL-2.0 OR MIT

//! In-kernel benchmark hooks, each with its in-kernel peer, driven through debugfs by the guest
//! benchmark programs (`tests/guest/src/bin/bench_fw.rs`, see BENCHMARKS.md).
//!
//! Writing a command to the device's debugfs `bench` file runs it in the writer's thread:
//!
//! | command | runs | peer command |
//! |---|---|---|
//! | `fwalloc <count> <size>` | `count` allocations of `size` bytes in the firmware-private heap, freed 64 at a time | `kmalloc <count> <size>`: the same with `kzalloc`/`kfree` |
//! | `snapshot <MiB>` | grows the private heap by `MiB`, then times a crash snapshot of the kernel half | `memcpy <MiB>`: times copying as many 16 KiB pages into pages allocated beforehand as the snapshot allocates them (fresh, uninitialised runs) |
//!
//! The allocation commands are timed by the caller (so that two threads can be timed
//! together); the snapshot and memcpy commands time only the copy and leave the result in
//! nanoseconds in debugfs `bench_ns`. Both are debug aids: debugfs is root-only.

use crate::crashdump::Snapshot;
use crate::fwalloc::{FwAlloc, HeapKind};
use crate::gpu::Gpu;
use crate::kernel_ext::vec::VecExt;
use crate::pages::{GpuPageRun, GPU_PAGE_SIZE};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::time::Ktime;

/// Result of the last timed command, in nanoseconds (debugfs `bench_ns`).
pub(crate) static LAST_NS: AtomicU64 = AtomicU64::new(0);
/// Pages the last timed command copied (debugfs `bench_pages`).
pub(crate) static LAST_PAGES: AtomicU64 = AtomicU64::new(0);
/// Time of one walk of the kernel half's page tables in the last snapshot command (debugfs
/// `bench_walk_ns`): the part of a snapshot that is not copying.
pub(crate) static LAST_WALK_NS: AtomicU64 = AtomicU64::new(0);

/// Objects held at once by the allocation benchmarks.
const BATCH: usize = 64;
/// Largest snapshot benchmark.
const MAX_MIB: u64 = 512;

/// Runs one command line.
pub(crate) fn run(gpu: &Gpu, line: &[u8]) -> Result {
    let line = core::str::from_utf8(line).map_err(|_| EINVAL)?;
    let mut words = line.split_ascii_whitespace();
    let cmd = words.next().ok_or(EINVAL)?;
    let mut num = || -> Result<u64> {
        words
            .next()
            .ok_or(EINVAL)?
            .parse::<u64>()
            .map_err(|_| EINVAL)
    };
    match cmd {
        "fwalloc" => fw_alloc(gpu, num()?, num()?),
        "kmalloc" => kmalloc(num()?, num()?),
        "snapshot" => snapshot(gpu, num()?, false),
        "memcpy" => snapshot(gpu, num()?, true),
        _ => Err(EINVAL),
    }
}

fn fw_alloc(gpu: &Gpu, count: u64, size: u64) -> Result {
    let fw = gpu.fw();
    let mut held: KVec<FwAlloc> = KVec::with_capacity(BATCH, GFP_KERNEL)?;
    for _ in 0..count {
        if held.len() == BATCH {
            while held.pop().is_some() {}
        }
        // CAST: checked by the allocator (at most one page).
        held.push(fw.alloc(HeapKind::Private, size as usize)?, GFP_KERNEL)?;
    }
    Ok(())
}

fn kmalloc(count: u64, size: u64) -> Result {
    if size == 0 || size > GPU_PAGE_SIZE {
        return Err(EINVAL);
    }
    let mut held: KVec<KVec<u8>> = KVec::with_capacity(BATCH, GFP_KERNEL)?;
    for _ in 0..count {
        if held.len() == BATCH {
            while held.pop().is_some() {}
        }
        // CAST: at most one page.
        let v = KVec::with_capacity(size as usize, GFP_KERNEL | __GFP_ZERO)?;
        held.push(v, GFP_KERNEL)?;
    }
    Ok(())
}

/// Grows the private heap by `mib` MiB of page-sized objects (held for the command), then
/// times a snapshot of the kernel half, or (`reference`) a plain copy of as many pages.
fn snapshot(gpu: &Gpu, mib: u64, reference: bool) -> Result {
    if mib == 0 || mib > MAX_MIB {
        return Err(EINVAL);
    }
    let fw = gpu.fw();
    let count = (mib << 20) / GPU_PAGE_SIZE;
    // CAST: at most 32768.
    let mut held: KVec<FwAlloc> = KVec::with_capacity(count as usize, GFP_KERNEL)?;
    for i in 0..count {
        let a = fw.alloc(HeapKind::Private, GPU_PAGE_SIZE as usize)?;
        // Not all zero, so no copy can take a shortcut.
        a.write_bytes(0, &i.to_le_bytes())?;
        held.push(a, GFP_KERNEL)?;
    }
    // The snapshot copies every page mapped in the kernel half (the heaps hold more than the
    // pages just allocated); the reference copies as many.
    let mut mapped = 0usize;
    let t0 = Ktime::ktime_get();
    fw.kernel_half().for_each_mapped(|_, _| {
        mapped += 1;
        Ok(())
    })?;
    // CAST: elapsed time is non-negative.
    LAST_WALK_NS.store((Ktime::ktime_get() - t0).to_ns() as u64, Ordering::Relaxed);
    let ns = if reference {
        // The same kind of destination the snapshot copies into (runs of fresh, uninitialised
        // pages), allocated before the clock starts.
        let mut dst: KVec<GpuPageRun> = KVec::new();
        let mut have = 0usize;
        while have < mapped {
            let run = GpuPageRun::alloc(4).or_else(|_| GpuPageRun::alloc(0))?;
            have += run.len();
            dst.push(run, GFP_KERNEL)?;
        }
        let pages = dst
            .iter()
            .flat_map(|r| (0..r.len() as u64).map(move |i| r.phys() + i * GPU_PAGE_SIZE));
        let t0 = Ktime::ktime_get();
        for (s, d) in held.iter().cycle().zip(pages.take(mapped)) {
            // SAFETY: Both are whole 16 KiB RAM pages, directly mapped, owned here.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    crate::bindings::asahi_helper_phys_to_virt(s.phys()).cast::<u8>(),
                    crate::bindings::asahi_helper_phys_to_virt(d).cast::<u8>(),
                    GPU_PAGE_SIZE as usize,
                );
            }
        }
        (Ktime::ktime_get() - t0).to_ns()
    } else {
        let initdata = gpu.initdata_va();
        let hw = gpu.hw();
        let t0 = Ktime::ktime_get();
        let snap = Snapshot::take(&fw.kernel_half(), initdata, hw, b"benchmark snapshot\n")?;
        let ns = (Ktime::ktime_get() - t0).to_ns();
        mapped = snap.pages_copied();
        drop(snap);
        ns
    };
    // CAST: elapsed time is non-negative.
    LAST_NS.store(ns as u64, Ordering::Relaxed);
    // CAST: a page count.
    LAST_PAGES.store(mapped as u64, Ordering::Relaxed);
    Ok(())
}
