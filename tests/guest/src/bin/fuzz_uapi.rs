//! A seeded, structured fuzzer of the asahi uAPI, from several processes and threads at once,
//! with random kills (see `asahi_guest_tests::fuzz` for what is generated and checked).
//!
//! Kernel command line knobs (all optional):
//!
//! - `asahi.seed=N` (decimal or 0x hex): the top-level seed; every process and thread seed is
//!   derived from it and printed, so a failing run replays by booting with the same seed.
//! - `asahi.fuzz_secs=N`: the fuzzing budget (default 20 s); raise it for a soak.
//! - `asahi.fuzz_procs=N`, `asahi.fuzz_threads=N`: workers and threads per worker (3 and 2).
//! - `asahi.fuzz_ops=N`: most ioctls per thread (default unbounded within the budget), to
//!   replay a prefix of a sequence.
//!
//! Every worker has a watchdog (`alarm`) and the parent bounds every `waitpid`: a hang fails
//! the test, with the kernel stacks of the stuck tasks printed.
//!
//! Throughout, a neighbour file holds [`HOARD`] idle queues (more than the GPU's 128 event
//! slots) and never submits: the fuzzers' well-formed QUEUE_CREATE and SUBMIT must still
//! succeed (an ENOSPC or EBUSY is a finding, see `asahi_guest_tests::fuzz`).

use asahi_guest_tests::fuzz::{Fuzzer, Stats};
use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA};
use asahi_guest_tests::rng::{cmdline_u64, Rng};
use asahi_guest_tests::Tap;
use asahi_uapi::Device;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The default seed (any fixed value; printed so a run can be replayed).
const DEFAULT_SEED: u64 = 0x5eed_a5a1_f022_2024;
/// Exit status of a worker that found something.
const EXIT_FINDING: i32 = 1;
/// Exit status of a worker that could not start.
const EXIT_SETUP: i32 = 2;
/// Idle queues the neighbour holds: more than the GPU's 128 event slots.
const HOARD: usize = 160;

/// A file holding `n` idle queues in one VM (never submitting); the file and how many it made.
fn hoard(n: usize) -> (Option<Device>, usize, Option<std::io::Error>) {
    use asahi_uapi::bindings::DRM_ASAHI_PRIORITY_MEDIUM;
    use asahi_uapi::bindings::{drm_asahi_queue_create, drm_asahi_vm_create};
    let dev = match Device::open_render_asahi() {
        Ok(d) => d,
        Err(e) => return (None, 0, Some(e)),
    };
    let vm = dev.get_params(0).and_then(|p| {
        let mut vc = drm_asahi_vm_create {
            kernel_start: p.vm_end - p.vm_kernel_min_size.max(32 << 30),
            kernel_end: p.vm_end,
            ..Default::default()
        };
        dev.vm_create(&mut vc).map(|()| vc.vm_id)
    });
    let vm_id = match vm {
        Ok(v) => v,
        Err(e) => return (Some(dev), 0, Some(e)),
    };
    for i in 0..n {
        let mut qc = drm_asahi_queue_create {
            vm_id,
            priority: DRM_ASAHI_PRIORITY_MEDIUM,
            usc_exec_base: gpu::USC_BASE,
            ..Default::default()
        };
        if let Err(e) = dev.queue_create(&mut qc) {
            return (Some(dev), i, Some(e));
        }
    }
    (Some(dev), n, None)
}

fn fork() -> i32 {
    // SAFETY: The parent is single-threaded when it forks (workers spawn their threads after).
    unsafe { libc::fork() }
}

/// Prints the kernel stacks of every task of `pid` (for a hang report).
fn dump_stacks(tap: &Tap, pid: i32) {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return;
    };
    for t in tasks.flatten() {
        let p = t.path();
        let wchan = std::fs::read_to_string(p.join("wchan")).unwrap_or_default();
        let stat = std::fs::read_to_string(p.join("stat")).unwrap_or_default();
        tap.diag(format_args!(
            "task {:?} wchan {wchan} stat {stat}",
            t.file_name()
        ));
        for l in std::fs::read_to_string(p.join("stack"))
            .unwrap_or_default()
            .lines()
        {
            tap.diag(format_args!("  {l}"));
        }
    }
}

/// Waits up to `limit` for `pid`; returns its wait status, or `None` if it is still running.
fn wait_for(pid: i32, limit: Duration) -> Option<i32> {
    let end = Instant::now() + limit;
    loop {
        let mut status = 0;
        // SAFETY: `pid` is our child; `status` is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            return Some(status);
        }
        if r < 0 || Instant::now() >= end {
            return if r < 0 { Some(-1) } else { None };
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One worker process: `threads` fuzzers sharing one extra DRM file. Returns its exit status.
fn worker(name: &str, seed: u64, secs: u64, threads: u64, max_ops: u64) -> i32 {
    // Watchdog: if the worker is still alive well past its budget, SIGALRM kills it.
    // CAST: small budgets.
    // SAFETY: `alarm` has no memory-safety preconditions.
    unsafe { libc::alarm((secs + 30) as u32) };
    let Ok(shared) = Device::open_render_asahi() else {
        return EXIT_SETUP;
    };
    let deadline = Instant::now() + Duration::from_secs(secs);
    let totals = Mutex::new((Stats::default(), 0u32));
    std::thread::scope(|s| {
        for t in 0..threads {
            let seed = Rng::derive(seed, t);
            let shared = &shared;
            let totals = &totals;
            let tname = format!("{name}.t{t}");
            s.spawn(move || {
                println!("# {tname} seed {seed:#x}");
                let st = match Fuzzer::new(tname.clone(), seed, shared) {
                    Ok(mut f) => f.run(deadline, max_ops),
                    Err(e) => {
                        println!("# {tname}: setup failed: {e}");
                        let mut g = totals.lock().unwrap_or_else(|e| e.into_inner());
                        g.1 += 1;
                        return;
                    }
                };
                println!("# {tname}: {st:?}");
                let mut g = totals.lock().unwrap_or_else(|e| e.into_inner());
                g.0.ops += st.ops;
                g.0.findings += st.findings;
            });
        }
    });
    let (st, setup_failures) = *totals.lock().unwrap_or_else(|e| e.into_inner());
    if setup_failures > 0 {
        EXIT_SETUP
    } else if st.findings > 0 {
        EXIT_FINDING
    } else {
        0
    }
}

fn describe(status: i32) -> String {
    if libc::WIFEXITED(status) {
        format!("exit {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        format!("killed by signal {}", libc::WTERMSIG(status))
    } else {
        format!("status {status:#x}")
    }
}

fn main() {
    let mut tap = Tap::new();
    let seed = cmdline_u64("asahi.seed").unwrap_or(DEFAULT_SEED);
    let secs = cmdline_u64("asahi.fuzz_secs").unwrap_or(20);
    let procs = cmdline_u64("asahi.fuzz_procs").unwrap_or(3);
    let threads = cmdline_u64("asahi.fuzz_threads").unwrap_or(2);
    let max_ops = cmdline_u64("asahi.fuzz_ops").unwrap_or(u64::MAX);
    tap.diag(format_args!(
        "seed {seed:#x} (replay: boot with asahi.seed={seed:#x}), {secs} s, \
         {procs} workers x {threads} threads, plus killed victims"
    ));
    let Ok(dev) = Device::open_render_asahi() else {
        tap.ok(false, "open the asahi render node");
        tap.finish();
    };
    let params = dev.get_params(0);

    // The idle neighbour, alive until the end (the workers inherit its file: they never use it).
    let (hoarder, held, err) = hoard(HOARD);
    tap.ok(
        held == HOARD,
        format_args!("a neighbour file holds {held}/{HOARD} idle queues (error: {err:?})"),
    );

    // Workers.
    let mut workers = Vec::new();
    for w in 0..procs {
        let wseed = Rng::derive(seed, w);
        let name = format!("w{w}");
        tap.diag(format_args!("{name} seed {wseed:#x}"));
        match fork() {
            0 => {
                let code = worker(&name, wseed, secs, threads, max_ops);
                // SAFETY: Ends the child without running the parent's exit handlers.
                unsafe { libc::_exit(code) }
            }
            pid if pid > 0 => workers.push((name, wseed, pid)),
            _ => tap.ok(false, "fork a worker"),
        }
    }

    // Victims: workers killed with SIGKILL at a random moment, in the middle of whatever
    // ioctl (or GPU job) they were doing.
    let mut rng = Rng::new(Rng::derive(seed, 1 << 32));
    let end = Instant::now() + Duration::from_secs(secs);
    let (mut victims, mut reaped) = (0u32, 0u32);
    let mut stuck = Vec::new();
    while Instant::now() + Duration::from_millis(500) < end {
        let vseed = Rng::derive(seed, 1000 + u64::from(victims));
        let pid = fork();
        if pid == 0 {
            let code = worker(&format!("v{victims}"), vseed, secs, threads, u64::MAX);
            // SAFETY: As above.
            unsafe { libc::_exit(code) }
        }
        if pid < 0 {
            break;
        }
        victims += 1;
        std::thread::sleep(Duration::from_millis(rng.range(20, 400)));
        // SAFETY: `pid` is our child.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        match wait_for(pid, Duration::from_secs(10)) {
            Some(_) => reaped += 1,
            None => {
                dump_stacks(&tap, pid);
                stuck.push(pid);
            }
        }
    }
    tap.ok(
        reaped == victims && victims > 0,
        format_args!("{victims} victims SIGKILLed mid-fuzz, {reaped} reaped within 10 s"),
    );

    // Workers finish their budget; the watchdog allows 30 s more.
    for (name, wseed, pid) in workers {
        let status = wait_for(pid, Duration::from_secs(secs + 40));
        let verdict = match status {
            Some(s) if libc::WIFEXITED(s) && libc::WEXITSTATUS(s) == 0 => Ok(()),
            Some(s) if libc::WIFSIGNALED(s) && libc::WTERMSIG(s) == libc::SIGALRM => {
                Err("hang: the watchdog fired".to_string())
            }
            Some(s) if libc::WIFEXITED(s) && libc::WEXITSTATUS(s) == EXIT_SETUP => {
                Err("could not set up".to_string())
            }
            Some(s) => Err(describe(s)),
            None => {
                dump_stacks(&tap, pid);
                // SAFETY: `pid` is our child.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                Err("hang: still running past its watchdog".to_string())
            }
        };
        let what = format!("worker {name} (seed {wseed:#x}): no findings, no crash, no hang");
        tap.check(verdict, what);
    }

    // After all that, the device still works and still says the same.
    tap.ok(
        params.is_ok() && dev.get_params(0).ok() == params.ok(),
        "GET_PARAMS unchanged after fuzzing",
    );
    let alive = Ctx::new().and_then(|mut c| {
        let s = c.put_stream(&[(op::WRITE32, DATA_VA, 0x600d, 0)]);
        let so = c.dev.syncobj_create(0)?;
        c.compute(s, &[], &[gpu::sync(so)])?;
        gpu::wait(&c.dev, so)?;
        Ok(c.read_u32(0))
    });
    tap.ok(
        matches!(alive, Ok(0x600d)),
        format_args!(
            "a new client still runs a job after fuzzing, beside the idle neighbour: {alive:?}"
        ),
    );
    drop(hoarder);
    tap.ok(
        stuck.is_empty(),
        format_args!("no unkillable victims: {stuck:?}"),
    );
    tap.finish();
}
