//! A firmware crash, and an unbind of the device, in the middle of SUBMIT storms.
//!
//! Several threads submit as fast as they can (with dependencies on each other's jobs) while
//! the device is unbound, or the firmware crashes. Every SUBMIT either fails cleanly or gives a
//! fence that signals (success, or an error once the GPU is gone): nothing hangs, nothing is
//! freed while still in use (the harness fails on any KASAN or lockdep report). The device is
//! bound again after each storm, and works. Runs late (name order) since it replaces the device.

use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA};
use asahi_guest_tests::Tap;
use asahi_uapi::DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE;
use std::collections::VecDeque;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

const THREADS: usize = 4;
const DRIVER: &str = "/sys/bus/platform/drivers/asahi";

/// The bound virtual AGX's platform device name.
fn device_name() -> Option<String> {
    std::fs::read_dir(DRIVER).ok()?.flatten().find_map(|e| {
        let n = e.file_name().to_string_lossy().into_owned();
        n.starts_with("agx-virtual").then_some(n)
    })
}

/// What one submitting thread saw: fences it was given, and whether each signalled in time.
struct Storm {
    submitted: usize,
    refused: usize,
    unsignalled: usize,
    odd_errors: Vec<String>,
}

/// How many exported fences a thread keeps at once (the process's fd limit is shared).
const WINDOW: usize = 150;

/// Whether a sync file signals within 10 s (a fence that never signals would hang a waiter).
/// Read through the sync file, not the DRM file: after an unplug every DRM ioctl says ENODEV.
fn signals(fd: &OwnedFd) -> bool {
    gpu::poll_until(10_000, || {
        gpu::sync_file_info(fd.as_fd(), true).is_ok_and(|(s, _)| s != 0)
    })
}

/// Runs the storm on `ctx` until `stop`, then checks every fence it got.
fn storm(ctx: &mut Ctx, stop: &AtomicBool) -> Storm {
    let quick = ctx.put_stream(&[(op::WRITE32, DATA_VA, 1, 0)]);
    let slow = ctx.put_stream(&[(op::DELAY, 0, 0, 3_000), (op::WRITE32, DATA_VA + 4, 1, 0)]);
    let mut fences: VecDeque<OwnedFd> = VecDeque::new();
    let mut last = None;
    let mut s = Storm {
        submitted: 0,
        refused: 0,
        unsignalled: 0,
        odd_errors: Vec::new(),
    };
    let mut i = 0u64;
    while !stop.load(Ordering::Acquire) && i < 100_000 {
        i += 1;
        let Ok(so) = ctx.dev.syncobj_create(0) else {
            s.refused += 1;
            continue;
        };
        // Every third job waits for the previous one.
        let ins: Vec<_> = last
            .filter(|_| i % 3 == 0)
            .map(|p| vec![gpu::sync(p)])
            .unwrap_or_default();
        let va = if i % 5 == 0 { slow } else { quick };
        match ctx.compute(va, &ins, &[gpu::sync(so)]) {
            Ok(()) => {
                s.submitted += 1;
                let fd = ctx
                    .dev
                    .syncobj_handle_to_fd(so, DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE);
                match fd {
                    Ok(fd) => fences.push_back(fd),
                    Err(e) => s.odd_errors.push(format!("export: {e}")),
                }
                if fences.len() > WINDOW {
                    if let Some(old) = fences.pop_front() {
                        s.unsignalled += usize::from(!signals(&old));
                    }
                }
                if let Some(p) = last.replace(so) {
                    let _ = ctx.dev.syncobj_destroy(p);
                }
            }
            Err(e) => {
                s.refused += 1;
                match e.raw_os_error() {
                    Some(libc::ENODEV) | Some(libc::EINTR) => {}
                    _ => s.odd_errors.push(e.to_string()),
                }
                let _ = ctx.dev.syncobj_destroy(so);
            }
        }
    }
    for fd in fences {
        s.unsignalled += usize::from(!signals(&fd));
    }
    s
}

/// One storm with `event` (unbind or crash) in the middle, reported as TAP points.
fn run(tap: &mut Tap, name: &str, event: impl FnOnce() -> std::io::Result<()>) {
    let stop = AtomicBool::new(false);
    let ready = Barrier::new(THREADS + 1);
    let (results, ev) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                let (stop, ready) = (&stop, &ready);
                s.spawn(move || {
                    let c = Ctx::new();
                    ready.wait();
                    c.ok().map(|mut c| storm(&mut c, stop))
                })
            })
            .collect();
        ready.wait();
        std::thread::sleep(Duration::from_millis(300));
        let ev = event();
        std::thread::sleep(Duration::from_millis(200));
        stop.store(true, Ordering::Release);
        let r: Vec<Storm> = workers
            .into_iter()
            .filter_map(|w| w.join().ok().flatten())
            .collect();
        (r, ev)
    });
    let submitted: usize = results.iter().map(|r| r.submitted).sum();
    let refused: usize = results.iter().map(|r| r.refused).sum();
    let unsignalled: usize = results.iter().map(|r| r.unsignalled).sum();
    let odd: Vec<&String> = results.iter().flat_map(|r| r.odd_errors.iter()).collect();
    tap.ok(
        ev.is_ok(),
        format_args!("{name}: the event happened ({ev:?})"),
    );
    tap.ok(
        results.len() == THREADS && submitted > 0 && refused > 0,
        format_args!("{name}: submits before it succeeded, after it were refused ({submitted} submitted, {refused} refused)"),
    );
    tap.ok(
        unsignalled == 0,
        format_args!("{name}: every fence a SUBMIT returned signalled ({unsignalled} never did)"),
    );
    tap.ok(
        odd.is_empty(),
        format_args!("{name}: refusals were ENODEV (or an interrupted wait): {odd:?}"),
    );
}

fn rebind(tap: &mut Tap, name: &str, dev: &str) {
    if device_name().is_some() {
        let _ = std::fs::write(format!("{DRIVER}/unbind"), dev);
    }
    let r = std::fs::write(format!("{DRIVER}/bind"), dev);
    let t = Instant::now();
    let works = (|| {
        let mut c = Ctx::new().ok()?;
        let s = c.put_stream(&[(op::WRITE32, DATA_VA, 0xb0b, 0)]);
        let so = c.dev.syncobj_create(0).ok()?;
        c.compute(s, &[], &[gpu::sync(so)]).ok()?;
        gpu::wait(&c.dev, so).ok()?;
        Some(gpu::fence_status(&c.dev, so).ok()? == 1 && c.read_u32(0) == 0xb0b)
    })();
    tap.ok(
        r.is_ok() && works == Some(true),
        format_args!(
            "{name}: the device binds again and runs a job ({r:?}, {works:?}, {:?})",
            t.elapsed()
        ),
    );
}

fn main() {
    let mut tap = Tap::new();
    let Some(dev) = device_name() else {
        tap.ok(false, "the virtual AGX is bound to asahi");
        tap.finish();
    };
    run(&mut tap, "unbind during a storm", || {
        std::fs::write(format!("{DRIVER}/unbind"), &dev)
    });
    rebind(&mut tap, "after the unbind", &dev);

    let before = gpu::devcoredumps();
    run(&mut tap, "firmware crash during a storm", || {
        let dir = gpu::debugfs_dir().ok_or_else(|| std::io::Error::other("no debugfs"))?;
        std::fs::write(dir.join("crash_firmware"), "1")
    });
    // The crash left a dump; dismiss it (z_crash makes its own), then get a live GPU back.
    let dumps: Vec<_> = gpu::devcoredumps()
        .into_iter()
        .filter(|d| !before.contains(d))
        .collect();
    tap.ok(
        !dumps.is_empty(),
        format_args!("the crash during the storm left a devcoredump ({dumps:?})"),
    );
    for d in dumps {
        let _ = std::fs::write(d.join("data"), "1");
    }
    rebind(&mut tap, "after the crash", &dev);
    tap.finish();
}
