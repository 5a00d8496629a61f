//! Benchmark: the submit round trip of one trivial command (a control stream of just END) through
//! SUBMIT to its out-syncobj wait returning, against a `sw_sync` fence create/signal/wait and a
//! vgem fence attach/signal/wait in the same boot. Latency (median, p99) per round trip, and the
//! time per job with 1, 8 and 64 jobs in flight.

use asahi_guest_tests::bench::{self, now_ns, repeat, Figure, Samples};
use asahi_guest_tests::gpu::{self, Ctx};
use asahi_guest_tests::peers::{poll_wait, SwSync, Vgem};
use std::collections::VecDeque;
use std::io;
use std::os::fd::AsRawFd;

const LAT: &str = "submit_latency";
const TPUT: &str = "submit_pipelined";
const IN_FLIGHT: [u64; 3] = [1, 8, 64];
/// Latency samples per subject (fewer if the time budget runs out first).
const LAT_MAX: usize = 2000;
const LAT_BUDGET_MS: u64 = 4000;
/// Jobs per pipelined run, and runs per depth.
const JOBS: u64 = 512;
const RUNS: usize = 5;

fn fig(group: &'static str, subject: &'static str, x: u64) -> Figure<'static> {
    Figure {
        group,
        subject,
        x,
        unit: "ns/job",
    }
}

/// The driver's submit profile (debugfs `submit_ns_*`, `submit_count`; see the module's
/// `submit.rs`), reported as the breakdown `k_<phase>`.
const PHASES: [&str; 5] = ["k_syncs", "k_cmdbuf", "k_job", "k_enqueue", "k_publish"];

struct Profile {
    ns: [u64; 5],
    count: u64,
}

fn profile() -> Option<Profile> {
    let dir = gpu::debugfs_dir()?;
    let read = |name: &str| -> Option<u64> {
        std::fs::read_to_string(dir.join(name))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    let mut ns = [0; 5];
    for (v, name) in ns.iter_mut().zip(PHASES) {
        *v = read(&format!("submit_ns_{}", name.trim_start_matches("k_")))?;
    }
    Some(Profile {
        ns,
        count: read("submit_count")?,
    })
}

fn asahi(ctx: &mut Ctx) -> io::Result<()> {
    let so = ctx.dev.syncobj_create(0)?;
    let s = ctx.put_stream(&[]);
    let cmd = gpu::compute_cmd(s);
    // The breakdown: the SUBMIT ioctl alone, and the wait after it returned.
    let (mut ioctl, mut wait) = (Samples::default(), Samples::default());
    let mut round_trip = || -> io::Result<f64> {
        let t0 = now_ns();
        ctx.dev.submit(ctx.queue, &[], &[gpu::sync(so)], &cmd)?;
        let t1 = now_ns();
        gpu::wait(&ctx.dev, so)?;
        let t2 = now_ns();
        ioctl.push((t1 - t0) as f64);
        wait.push((t2 - t1) as f64);
        Ok((t2 - t0) as f64)
    };
    repeat(50, 50, 0, &mut round_trip)?; // Warm-up.
    let before = profile();
    let s = repeat(50, LAT_MAX, LAT_BUDGET_MS, &mut round_trip)?;
    let after = profile();
    // Leave out the warm-up's samples.
    ioctl.0.drain(..50);
    wait.0.drain(..50);
    let mut breakdown = vec![("submit_ioctl", ioctl.median()), ("wait", wait.median())];
    // Inside the ioctl: the driver's own profile of its phases (means over the same submits).
    if let (Some(b), Some(a)) = (before, after) {
        let n = a.count.saturating_sub(b.count).max(1) as f64;
        for ((name, x), y) in PHASES.iter().zip(b.ns).zip(a.ns) {
            breakdown.push((name, y.saturating_sub(x) as f64 / n));
        }
    }
    fig(LAT, "asahi", 1).emit(&s, true, &breakdown);

    let tl = ctx.dev.syncobj_create(0)?;
    let mut point = 0u64;
    for k in IN_FLIGHT {
        let mut s = Samples::default();
        for _ in 0..RUNS {
            let base = point;
            let t0 = now_ns();
            for i in 1..=JOBS {
                if i > k {
                    let p = base + i - k;
                    ctx.dev
                        .syncobj_timeline_wait(&[tl], &[p], gpu::deadline(10_000), 0)?;
                }
                ctx.dev
                    .submit(ctx.queue, &[], &[gpu::timeline(tl, base + i)], &cmd)?;
            }
            point = base + JOBS;
            ctx.dev
                .syncobj_timeline_wait(&[tl], &[point], gpu::deadline(10_000), 0)?;
            s.push((now_ns() - t0) as f64 / JOBS as f64);
        }
        fig(TPUT, "asahi", k).emit(&s, false, &[]);
    }
    Ok(())
}

fn sw_sync() -> io::Result<()> {
    let mut tl = SwSync::open()?;
    let mut round_trip = || -> io::Result<f64> {
        let t0 = now_ns();
        let f = tl.create_fence()?;
        tl.inc()?;
        poll_wait(f.as_raw_fd(), libc::POLLIN)?;
        drop(f);
        Ok((now_ns() - t0) as f64)
    };
    repeat(50, 50, 0, &mut round_trip)?;
    let s = repeat(50, LAT_MAX, LAT_BUDGET_MS, &mut round_trip)?;
    fig(LAT, "sw_sync", 1).emit(&s, true, &[]);

    // Pipelined: k fences outstanding; each step signals the oldest and waits for it.
    for k in IN_FLIGHT {
        let mut s = Samples::default();
        for _ in 0..RUNS {
            let mut q = VecDeque::new();
            let t0 = now_ns();
            for _ in 0..JOBS {
                if q.len() as u64 == k {
                    tl.inc()?;
                    let f: std::os::fd::OwnedFd = q.pop_front().expect("k > 0");
                    poll_wait(f.as_raw_fd(), libc::POLLIN)?;
                }
                q.push_back(tl.create_fence()?);
            }
            while let Some(f) = q.pop_front() {
                tl.inc()?;
                poll_wait(f.as_raw_fd(), libc::POLLIN)?;
            }
            s.push((now_ns() - t0) as f64 / JOBS as f64);
        }
        fig(TPUT, "sw_sync", k).emit(&s, false, &[]);
    }
    Ok(())
}

fn vgem() -> io::Result<()> {
    let v = Vgem::open()?;
    let bo = v.create_dumb(4096)?;
    let dmabuf = v
        .dev
        .prime_handle_to_fd(bo, (libc::O_CLOEXEC | libc::O_RDWR) as u32)?;
    let round_trip = || -> io::Result<f64> {
        let t0 = now_ns();
        let f = v.fence_attach(bo)?;
        v.fence_signal(f)?;
        // POLLOUT on a dma-buf waits for every fence, the write fence included.
        poll_wait(dmabuf.as_raw_fd(), libc::POLLOUT)?;
        Ok((now_ns() - t0) as f64)
    };
    repeat(50, 50, 0, &round_trip)?;
    let s = repeat(50, LAT_MAX, LAT_BUDGET_MS, &round_trip)?;
    fig(LAT, "vgem", 1).emit(&s, true, &[]);
    Ok(())
}

fn main() {
    match Ctx::new() {
        Ok(mut ctx) => {
            if let Err(e) = asahi(&mut ctx) {
                fig(LAT, "asahi", 1).skip(e);
            }
        }
        Err(e) => fig(LAT, "asahi", 1).skip(format_args!("no context: {e}")),
    }
    if let Err(e) = sw_sync() {
        fig(LAT, "sw_sync", 1).skip(e);
    }
    if let Err(e) = vgem() {
        fig(LAT, "vgem", 1).skip(e);
    }
    bench::note("submit: asahi waits with SYNCOBJ_WAIT, sw_sync polls the sync_file, vgem polls a dma-buf (POLLOUT)");
}
