//! Teardown in any order, at any moment: destroying a file's objects in every order with work in
//! flight, and processes killed at random points. Nothing may leak (kmemleak checks at the end
//! of the run), splat or hang, and the device keeps working.

use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA};
use asahi_guest_tests::Tap;
use asahi_uapi::bindings::*;
use std::os::fd::{AsFd, AsRawFd};

/// The four things a client can let go of.
#[derive(Clone, Copy, Debug)]
enum Step {
    Vm,
    Queue,
    Bo,
    File,
}

fn permutations(items: &[Step]) -> Vec<Vec<Step>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut p in permutations(&rest) {
            p.insert(0, first);
            out.push(p);
        }
    }
    out
}

/// Runs one order: slow jobs in flight, then each step in turn. The file goes at `File`.
fn run_order(order: &[Step]) -> bool {
    let Ok(mut ctx) = Ctx::new() else {
        return false;
    };
    let s = ctx.put_stream(&[(op::DELAY, 0, 0, 5_000), (op::WRITE32, DATA_VA, 1, 0)]);
    for _ in 0..4 {
        if ctx.compute(s, &[], &[]).is_err() {
            return false;
        }
    }
    let mut ctx = Some(ctx);
    for step in order {
        let Some(c) = ctx.as_ref() else { break };
        let ok = match step {
            Step::Vm => c
                .dev
                .vm_destroy(&drm_asahi_vm_destroy {
                    vm_id: c.vm,
                    pad: 0,
                })
                .is_ok(),
            Step::Queue => c
                .dev
                .queue_destroy(&drm_asahi_queue_destroy {
                    queue_id: c.queue,
                    pad: 0,
                })
                .is_ok(),
            Step::Bo => c.dev.gem_close(c.data).is_ok(),
            Step::File => {
                // Closing the file (and unmapping) drops everything still held.
                ctx = None;
                true
            }
        };
        if !ok {
            return false;
        }
    }
    true
}

/// The module's reference count (`/sys/module/asahi/refcnt`).
fn module_refs() -> Option<u64> {
    std::fs::read_to_string("/sys/module/asahi/refcnt")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// A sync file holding one of our fences outlives every file of the device: the fence keeps
/// the module (its operations and names) loaded until it is released.
fn fence_outlives_files(tap: &mut Tap) {
    let base = module_refs();
    let Ok(mut ctx) = Ctx::new() else {
        tap.ok(false, "sync file outliving the device's files: context");
        return;
    };
    let so = ctx.dev.syncobj_create(0).unwrap_or(0);
    let s = ctx.put_stream(&[(op::DELAY, 0, 0, 20_000), (op::WRITE32, DATA_VA, 1, 0)]);
    let file = ctx.compute(s, &[], &[gpu::sync(so)]).and_then(|_| {
        ctx.dev
            .syncobj_handle_to_fd(so, DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE)
    });
    drop(ctx);
    let Ok(file) = file else {
        tap.ok(false, format_args!("sync file of a job: {:?}", file.err()));
        return;
    };
    let held = module_refs();
    // SAFETY: The name is a NUL-terminated string; O_NONBLOCK makes a busy module fail at once.
    let r = unsafe { libc::syscall(libc::SYS_delete_module, c"asahi".as_ptr(), libc::O_NONBLOCK) };
    let e = std::io::Error::last_os_error().raw_os_error();
    tap.ok(
        r == -1 && e == Some(libc::EAGAIN) && held > base,
        format_args!(
            "rmmod refused while a sync file holds a fence and no file of the device is open: \
             {r} {e:?}, module refs {base:?} -> {held:?}"
        ),
    );
    let mut pfd = libc::pollfd {
        fd: file.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: One valid pollfd.
    let polled = unsafe { libc::poll(&mut pfd, 1, 10_000) };
    let info = gpu::sync_file_info(file.as_fd(), true);
    tap.ok(
        polled == 1 && matches!(&info, Ok((1, Some(d))) if d == "asahi"),
        format_args!("the fence signals and names its driver after the files closed: {info:?}"),
    );
    drop(file);
    // The job's own reference goes when its completion work has run: give it a moment.
    let mut now = module_refs();
    for _ in 0..250 {
        if now <= base {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        now = module_refs();
    }
    tap.ok(
        now == base,
        format_args!("closing the sync file drops the fence's module reference: {now:?}"),
    );
}

fn main() {
    let mut tap = Tap::new();
    fence_outlives_files(&mut tap);
    let orders = permutations(&[Step::Vm, Step::Queue, Step::Bo, Step::File]);
    let bad: Vec<_> = orders.iter().filter(|o| !run_order(o)).collect();
    tap.ok(
        bad.is_empty(),
        format_args!(
            "{} destroy orders with work in flight: failures {bad:?}",
            orders.len()
        ),
    );

    // Kill loop: processes doing everything at once, killed at pseudo-random points.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut killed = 0;
    for _batch in 0..25 {
        let mut pids = Vec::new();
        for _ in 0..8 {
            // SAFETY: Single-threaded program.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                if let Ok(mut c) = Ctx::new() {
                    let s = c.put_stream(&[(op::DELAY, 0, 0, 2_000), (op::WRITE32, DATA_VA, 1, 0)]);
                    let so = c.dev.syncobj_create(0).unwrap_or(0);
                    for i in 0u64.. {
                        let _ = c.compute(s, &[], &[gpu::sync(so)]);
                        if i % 7 == 3 {
                            let _ = c.dev.vm_bind(
                                c.vm,
                                &[drm_asahi_gem_bind_op {
                                    flags: DRM_ASAHI_BIND_READ,
                                    handle: c.data,
                                    offset: 0,
                                    range: 0x4000,
                                    addr: DATA_VA + (32 << 20),
                                }],
                            );
                        }
                        if i % 11 == 5 {
                            // A fault pending at kill time.
                            let bad = c.put_stream(&[(op::READ32, 0x0070_0000_0000, 0, 0)]);
                            let _ = c.compute(bad, &[], &[]);
                        }
                    }
                }
                // SAFETY: Child exit.
                unsafe { libc::_exit(0) };
            }
            pids.push(pid);
        }
        std::thread::sleep(std::time::Duration::from_millis(next() % 40));
        for &pid in &pids {
            std::thread::sleep(std::time::Duration::from_millis(next() % 5));
            // SAFETY: Our child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        for &pid in &pids {
            let mut st = 0;
            // SAFETY: Our child.
            if unsafe { libc::waitpid(pid, &mut st, 0) } == pid && libc::WIFSIGNALED(st) {
                killed += 1;
            }
        }
    }
    tap.ok(
        killed == 200,
        format_args!("200 busy processes killed at random points: {killed} reaped"),
    );

    let ok = Ctx::new().is_ok_and(|mut c| {
        let so = c.dev.syncobj_create(0).unwrap_or(0);
        let s = c.put_stream(&[(op::WRITE32, DATA_VA + 4, 9, 0)]);
        c.compute(s, &[], &[gpu::sync(so)])
            .and_then(|_| gpu::wait(&c.dev, so))
            .is_ok()
            && c.read_u32(4) == 9
    });
    tap.ok(ok, "the device works after the kill loop");
    tap.finish();
}
