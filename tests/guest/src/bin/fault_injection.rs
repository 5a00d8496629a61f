//! Allocation-failure sweep: every allocation reached by each ioctl path is made to fail once
//! (the task's `fail-nth`, with failslab and fail_page_alloc enabled for sleeping allocations).
//! Each failure must give ENOMEM (or succeed, where the kernel has a fallback), leak nothing
//! (kmemleak checks at the end of the run) and leave the device working.

use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA, PAGE};
use asahi_guest_tests::Tap;
use asahi_uapi::bindings::*;
use std::io;

fn set(path: &str, value: &str) -> bool {
    std::fs::write(path, value).is_ok()
}

/// Configures fault injection for `fail-nth` sweeps (quiet, all sizes, sleeping allocations).
fn configure(on: bool) -> bool {
    let (wait, order) = if on { ("N", "0") } else { ("Y", "1") };
    ["failslab", "fail_page_alloc"].iter().all(|f| {
        let d = format!("/sys/kernel/debug/{f}");
        set(&format!("{d}/verbose"), "0") && set(&format!("{d}/ignore-gfp-wait"), wait)
    }) && set("/sys/kernel/debug/fail_page_alloc/min-order", order)
}

fn fail_nth_path() -> String {
    // SAFETY: Plain syscall.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) };
    format!("/proc/self/task/{tid}/fail-nth")
}

/// Runs `op` with the `n`-th fault-injection point failing. Returns the result and whether the
/// injection point was reached.
fn with_fail_nth<T>(n: u32, op: impl FnOnce() -> io::Result<T>) -> (io::Result<T>, bool) {
    let path = fail_nth_path();
    let _ = std::fs::write(&path, n.to_string());
    let r = op();
    let left = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::write(&path, "0");
    (r, left.trim() == "0")
}

/// Sweeps `op` over its allocation points; `undo` cleans up a success. Returns (points
/// reached, bad results) where a bad result is an errno other than ENOMEM.
fn sweep<T>(mut op: impl FnMut() -> io::Result<T>, mut undo: impl FnMut(T)) -> (u32, Vec<String>) {
    let mut bad = Vec::new();
    let mut points = 0;
    for n in 1..=400 {
        let (r, reached) = with_fail_nth(n, &mut op);
        match r {
            Ok(v) => undo(v),
            Err(e) if e.raw_os_error() == Some(libc::ENOMEM) => {}
            Err(e) => bad.push(format!("point {n}: {e}")),
        }
        if !reached {
            break;
        }
        points = n;
    }
    (points, bad)
}

fn main() {
    let mut tap = Tap::new();
    let mut ctx = tap.require(Ctx::new(), "context");
    tap.ok(
        configure(true),
        "fault injection configured (failslab, fail_page_alloc, fail-nth)",
    );
    let p = ctx.dev.get_params(0).unwrap_or_default();
    let window = (p.vm_end - (32 << 30), p.vm_end);
    let so = ctx.dev.syncobj_create(0).unwrap_or(0);
    let tl = ctx.dev.syncobj_create(0).unwrap_or(0);
    let stream = ctx.put_stream(&[(op::WRITE32, DATA_VA + 8, 5, 0)]);
    let mut point = 0u64;
    let dev = &ctx.dev;

    let report = |tap: &mut Tap, what: &str, (points, bad): (u32, Vec<String>)| {
        tap.ok(
            points > 0 && bad.is_empty(),
            format_args!(
                "{what}: {points} allocation points failed one by one, all ENOMEM {bad:?}"
            ),
        );
    };

    let r = sweep(
        || {
            let mut a = drm_asahi_vm_create {
                kernel_start: window.0,
                kernel_end: window.1,
                ..Default::default()
            };
            dev.vm_create(&mut a).map(|_| a.vm_id)
        },
        |id| drop(dev.vm_destroy(&drm_asahi_vm_destroy { vm_id: id, pad: 0 })),
    );
    report(&mut tap, "VM_CREATE", r);
    let r = sweep(
        || {
            let mut a = drm_asahi_gem_create {
                size: 4 * PAGE,
                ..Default::default()
            };
            dev.gem_create(&mut a).map(|_| a.handle)
        },
        |h| drop(dev.gem_close(h)),
    );
    report(&mut tap, "GEM_CREATE", r);
    let bo = {
        let mut a = drm_asahi_gem_create {
            size: 4 * PAGE,
            ..Default::default()
        };
        dev.gem_create(&mut a).map(|_| a.handle).unwrap_or(0)
    };
    let va = DATA_VA + (8 << 20);
    let bind = |flags, handle| drm_asahi_gem_bind_op {
        flags,
        handle,
        offset: 0,
        range: 4 * PAGE,
        addr: va,
    };
    let r = sweep(
        || {
            dev.vm_bind(
                ctx.vm,
                &[bind(DRM_ASAHI_BIND_READ | DRM_ASAHI_BIND_WRITE, bo)],
            )
        },
        |()| drop(dev.vm_bind(ctx.vm, &[bind(DRM_ASAHI_BIND_UNBIND, 0)])),
    );
    report(&mut tap, "VM_BIND", r);
    let r = sweep(
        || {
            let mut a = drm_asahi_gem_mmap_offset {
                handle: bo,
                ..Default::default()
            };
            dev.gem_mmap_offset(&mut a).map(|_| a.offset)
        },
        |_| {},
    );
    report(&mut tap, "GEM_MMAP_OFFSET", r);
    let r = sweep(
        || {
            let mut a = drm_asahi_queue_create {
                vm_id: ctx.vm,
                priority: DRM_ASAHI_PRIORITY_LOW,
                ..Default::default()
            };
            dev.queue_create(&mut a).map(|_| a.queue_id)
        },
        |q| {
            drop(dev.queue_destroy(&drm_asahi_queue_destroy {
                queue_id: q,
                pad: 0,
            }))
        },
    );
    report(&mut tap, "QUEUE_CREATE", r);
    let cmd = gpu::compute_cmd(stream);
    let r = sweep(
        || {
            point += 1;
            dev.submit(
                ctx.queue,
                &[],
                &[gpu::sync(so), gpu::timeline(tl, point)],
                &cmd,
            )
        },
        |()| drop(gpu::wait(dev, so)),
    );
    report(&mut tap, "SUBMIT with binary and timeline out-syncs", r);

    let ts_bind = |handle, offset, range| {
        let mut a = drm_asahi_gem_bind_object {
            op: DRM_ASAHI_BIND_OBJECT_OP_BIND,
            flags: DRM_ASAHI_BIND_OBJECT_USAGE_TIMESTAMPS,
            handle,
            offset,
            range,
            ..Default::default()
        };
        dev.gem_bind_object(&mut a).map(|_| a.object_handle)
    };
    let ts_unbind = |object_handle| {
        let mut a = drm_asahi_gem_bind_object {
            op: DRM_ASAHI_BIND_OBJECT_OP_UNBIND,
            object_handle,
            ..Default::default()
        };
        drop(dev.gem_bind_object(&mut a))
    };
    let r = sweep(|| ts_bind(bo, 0, 4 * PAGE), ts_unbind);
    report(&mut tap, "GEM_BIND_OBJECT (timestamps)", r);

    tap.ok(configure(false), "fault injection restored");
    // No failed bind kept any of the firmware's timestamp window: four bindings of a quarter
    // of it (16 MiB each) still fit.
    let quarter = {
        let mut a = drm_asahi_gem_create {
            size: 1024 * PAGE,
            ..Default::default()
        };
        dev.gem_create(&mut a).map(|_| a.handle).unwrap_or(0)
    };
    let quarters: Vec<_> = (0..4).map(|_| ts_bind(quarter, 0, 1024 * PAGE)).collect();
    tap.ok(
        quarters.iter().all(Result::is_ok),
        format_args!(
            "after the sweep the whole timestamp window is free: {:?}",
            quarters
                .iter()
                .map(|r| r.as_ref().err())
                .collect::<Vec<_>>()
        ),
    );
    for h in quarters.into_iter().flatten() {
        ts_unbind(h);
    }
    drop(dev.gem_close(quarter));
    // The device still works.
    let s = ctx.put_stream(&[(op::WRITE32, DATA_VA + 12, 77, 0)]);
    let ok = ctx
        .compute(s, &[], &[gpu::sync(so)])
        .and_then(|_| gpu::wait(&ctx.dev, so))
        .is_ok()
        && ctx.read_u32(12) == 77;
    tap.ok(ok, "the device works after the sweep");
    tap.finish();
}
