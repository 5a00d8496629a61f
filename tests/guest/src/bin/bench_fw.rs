//! Benchmark: the driver's firmware-side costs, through debugfs `bench` (see the module's
//! `bench.rs`), each against an in-kernel peer in the same boot:
//!
//! - `fw_alloc`: allocation + free of a small (256-byte) firmware object in the firmware-private
//!   heap, 64 held at a time, with 1 and 2 threads at once, against `kzalloc`/`kfree` of the same
//!   size; ns per allocation+free (all threads together), and allocations+frees per second.
//! - `snapshot`: the crash snapshot of the firmware's memory after growing the private heap by
//!   16, 64 and 256 MiB, against an in-kernel `memcpy` of as many 16 KiB pages; ns per MiB copied.

use asahi_guest_tests::bench::{self, now_ns, repeat, Figure};
use asahi_guest_tests::gpu;
use std::io::{self, Write as _};
use std::path::Path;

const OBJECT_SIZE: u64 = 256;
/// Allocations per thread per sample.
const COUNT: u64 = 20_000;
const THREADS: [u64; 2] = [1, 2];
const SNAPSHOT_MIB: [u64; 3] = [16, 64, 256];

fn command(dir: &Path, line: &str) -> io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join("bench"))?;
    f.write_all(line.as_bytes())
}

fn read_u64(dir: &Path, name: &str) -> io::Result<u64> {
    std::fs::read_to_string(dir.join(name))?
        .trim()
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{name}: {e}")))
}

/// One sample: `threads` threads each run `cmd COUNT OBJECT_SIZE`; ns per allocation+free.
fn alloc_sample(dir: &Path, cmd: &str, threads: u64) -> io::Result<f64> {
    let line = format!("{cmd} {COUNT} {OBJECT_SIZE}");
    let t0 = now_ns();
    let results: Vec<io::Result<()>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| s.spawn(|| command(dir, &line)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("thread panicked")))
            })
            .collect()
    });
    let ns = now_ns() - t0;
    for r in results {
        r?;
    }
    Ok(ns as f64 / (threads * COUNT) as f64)
}

/// One sample of `snapshot` or `memcpy`: ns per MiB copied, and (for a snapshot) ns per MiB of
/// one page-table walk of the kernel half and of allocating the copies.
fn copy_sample(dir: &Path, cmd: &str, mib: u64) -> io::Result<(f64, f64, f64)> {
    command(dir, &format!("{cmd} {mib}"))?;
    let ns = read_u64(dir, "bench_ns")?;
    let pages = read_u64(dir, "bench_pages")?;
    let walk = read_u64(dir, "bench_walk_ns")?;
    let alloc = read_u64(dir, "bench_alloc_ns")?;
    if pages == 0 {
        return Err(io::Error::other("no pages copied"));
    }
    let mib = pages as f64 * 16384.0 / (1 << 20) as f64;
    Ok((ns as f64 / mib, walk as f64 / mib, alloc as f64 / mib))
}

fn main() {
    let Some(dir) = gpu::debugfs_dir() else {
        for (g, s) in [("fw_alloc", "asahi"), ("snapshot", "asahi")] {
            Figure {
                group: g,
                subject: s,
                x: 1,
                unit: "ns",
            }
            .skip("no asahi debugfs directory");
        }
        return;
    };
    for threads in THREADS {
        for (subject, cmd) in [("asahi", "fwalloc"), ("kmalloc", "kmalloc")] {
            let fig = Figure {
                group: "fw_alloc",
                subject,
                x: threads,
                unit: "ns/op",
            };
            let _ = alloc_sample(&dir, cmd, threads); // Warm-up.
            match repeat(3, 15, 3000, || alloc_sample(&dir, cmd, threads)) {
                Ok(s) => {
                    let per_s = if s.median() > 0.0 {
                        1e9 / s.median()
                    } else {
                        0.0
                    };
                    fig.emit(&s, false, &[("ops_per_s", per_s)]);
                }
                Err(e) => fig.skip(e),
            }
        }
    }
    for mib in SNAPSHOT_MIB {
        // Alternate the subjects so that drift in the guest hits both alike.
        let mut samples = [bench::Samples::default(), bench::Samples::default()];
        let mut walks = bench::Samples::default();
        let mut allocs = bench::Samples::default();
        let mut failed: [Option<io::Error>; 2] = [None, None];
        for _ in 0..3 {
            for (i, cmd) in ["memcpy", "snapshot"].iter().enumerate() {
                if failed[i].is_some() {
                    continue;
                }
                match copy_sample(&dir, cmd, mib) {
                    Ok((v, w, a)) => {
                        samples[i].push(v);
                        if i == 1 {
                            walks.push(w);
                            allocs.push(a);
                        }
                    }
                    Err(e) => failed[i] = Some(e),
                }
            }
        }
        for (i, subject) in ["memcpy", "asahi"].iter().enumerate() {
            let fig = Figure {
                group: "snapshot",
                subject,
                x: mib,
                unit: "ns/MiB",
            };
            match &failed[i] {
                Some(e) => fig.skip(e),
                None if i == 1 => fig.emit(
                    &samples[i],
                    false,
                    &[("walk", walks.median()), ("alloc", allocs.median())],
                ),
                None => fig.emit(&samples[i], false, &[]),
            }
        }
    }
    bench::note(format_args!(
        "fw_alloc: {OBJECT_SIZE}-byte objects, 64 held at a time, {COUNT} per thread per sample"
    ));
}
