//! Inputs that broke other drivers: integer overflow in `addr + range` and `count * stride`,
//! a command buffer rewritten during SUBMIT, a syncobj destroyed while a job waits on it, the
//! file closed from another thread during an ioctl, VM_DESTROY racing VM_BIND. Each must give
//! a clean errno or work; the harness fails the run on any splat or leak.

use asahi_guest_tests::gpu::{self, op, Ctx, CMD_VA, DATA_VA, PAGE};
use asahi_guest_tests::guard::GuardBuf;
use asahi_guest_tests::{errno, in_processes, Tap};
use asahi_uapi::bindings::*;
use asahi_uapi::Device;
use std::mem::ManuallyDrop;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const EINVAL: i32 = libc::EINVAL;
const ENOENT: i32 = libc::ENOENT;
const EFAULT: i32 = libc::EFAULT;
const ENOMEM: i32 = libc::ENOMEM;

fn map_op(handle: u32, offset: u64, range: u64, addr: u64) -> drm_asahi_gem_bind_op {
    gpu::bind_op(
        DRM_ASAHI_BIND_READ | DRM_ASAHI_BIND_WRITE,
        handle,
        offset,
        range,
        addr,
    )
}

fn overflow(tap: &mut Tap, ctx: &Ctx) {
    let dev = &ctx.dev;
    let top = !(PAGE - 1);
    let cases = [
        ("addr + range wraps", map_op(ctx.data, 0, 2 * PAGE, top)),
        ("addr + range wraps to 0", map_op(ctx.data, 0, PAGE, top)),
        (
            "range near 2^64",
            map_op(ctx.data, 0, top, DATA_VA + (64 << 20)),
        ),
        (
            "offset + range wraps",
            map_op(ctx.data, top, 2 * PAGE, DATA_VA + (64 << 20)),
        ),
        (
            "single page with offset near 2^64",
            drm_asahi_gem_bind_op {
                flags: DRM_ASAHI_BIND_READ | DRM_ASAHI_BIND_SINGLE_PAGE,
                ..map_op(ctx.data, top, PAGE, DATA_VA + (64 << 20))
            },
        ),
        (
            "unbind with addr + range wrapping",
            drm_asahi_gem_bind_op {
                flags: DRM_ASAHI_BIND_UNBIND,
                handle: 0,
                offset: 0,
                range: 2 * PAGE,
                addr: top,
            },
        ),
    ];
    for (what, o) in cases {
        let e = errno(dev.vm_bind(ctx.vm, &[o]));
        tap.ok(
            e == Some(EINVAL),
            format_args!("VM_BIND {what} -> EINVAL ({e:?})"),
        );
    }
    // count * stride: totals past 4 GiB, and num_binds past the limit. A small (guarded) buffer
    // behind them: the kernel must refuse before or while reading, never allocate the product.
    let one = GuardBuf::new(&[0u8; 40]);
    let userptr = one.as_ref().map_or(0, GuardBuf::addr);
    for (num_binds, stride) in [
        (2, u32::MAX),
        (65536, 65536),
        (65536, 1 << 20),
        (u32::MAX, 40),
        (u32::MAX, u32::MAX),
        (65537, 1),
        (1 << 16, 1 << 15),
    ] {
        let args = drm_asahi_vm_bind {
            vm_id: ctx.vm,
            num_binds,
            stride,
            pad: 0,
            userptr,
        };
        let t = Instant::now();
        let e = errno(dev.vm_bind_raw(&args));
        tap.ok(
            matches!(e, Some(EINVAL) | Some(EFAULT) | Some(ENOMEM)) && t.elapsed().as_secs() < 5,
            format_args!(
                "VM_BIND {num_binds} x stride {stride:#x} -> {e:?} in {:?}",
                t.elapsed()
            ),
        );
    }
    // Sync counts whose sum wraps, and a command buffer size past the limit.
    let cmd = gpu::compute_cmd(0);
    let cg = GuardBuf::new(&cmd);
    let cmdbuf = cg.as_ref().map_or(0, GuardBuf::addr);
    for (ins, outs, size) in [
        (u32::MAX, 1, cmd.len() as u32),
        (0x8000_0000, 0x8000_0000, cmd.len() as u32),
        (0, u32::MAX, cmd.len() as u32),
        (0, 0, u32::MAX),
        (0, 0, 1 << 31),
    ] {
        let args = drm_asahi_submit {
            syncs: userptr,
            cmdbuf,
            flags: 0,
            queue_id: ctx.queue,
            in_sync_count: ins,
            out_sync_count: outs,
            cmdbuf_size: size,
            pad: 0,
        };
        let e = errno(ctx.dev.submit_raw(&args));
        tap.ok(
            matches!(e, Some(EINVAL) | Some(EFAULT)),
            format_args!("SUBMIT in {ins:#x} out {outs:#x} size {size:#x} -> {e:?}"),
        );
    }
    // A header whose payload size runs to the end of a u16.
    let mut c = gpu::header(DRM_ASAHI_CMD_COMPUTE, u16::MAX, 0xffff, 0xffff);
    c.extend([0u8; 64]);
    let e = errno(ctx.dev.submit(ctx.queue, &[], &[], &c));
    tap.ok(
        e == Some(EINVAL),
        format_args!("payload size 0xffff past the buffer -> {e:?}"),
    );
    let mut g = drm_asahi_gem_create {
        size: u64::MAX,
        ..Default::default()
    };
    let e = errno(dev.gem_create(&mut g));
    tap.ok(
        e == Some(EINVAL),
        format_args!("GEM_CREATE size 2^64-1 -> {e:?}"),
    );
}

/// A second thread rewrites the command buffer during SUBMIT: every job must run one of the
/// two versions, and a submit that read the invalid version fails cleanly.
fn toctou(tap: &mut Tap, ctx: &mut Ctx) {
    // Two streams at addresses differing in one byte only (byte 1: 0x10 or 0x20).
    let (a, b) = (CMD_VA + 0x1000, CMD_VA + 0x2000);
    let sa = gpu::cdm_job(a, &[(op::WRITE32, DATA_VA + 0x300, 0xaaaa, 0)]);
    let sb = gpu::cdm_job(b, &[(op::WRITE32, DATA_VA + 0x300, 0xbbbb, 0)]);
    ctx.cmd_map.write((a - CMD_VA) as usize, &sa);
    ctx.cmd_map.write((b - CMD_VA) as usize, &sb);
    let cmd = gpu::compute_cmd(a);
    let Some(buf) = GuardBuf::new(&cmd) else {
        tap.ok(false, "toctou: guarded buffer");
        return;
    };
    // Byte 17 is byte 1 of the stream address (8-byte header, address at payload offset 8);
    // byte 0 is the command type.
    let diff = 17;
    let (va, vb) = (((a >> 8) & 0xff) as u8, ((b >> 8) & 0xff) as u8);
    let so = ctx.dev.syncobj_create(0).unwrap_or(0);
    let stop = AtomicBool::new(false);
    let (mut ran_a, mut ran_b, mut refused, mut wrong) = (0, 0, 0, Vec::new());
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut i = 0u32;
            while !stop.load(Ordering::Relaxed) {
                buf.write_byte(diff, if i % 2 == 0 { va } else { vb });
                // Every third flip, the command type turns invalid for a moment.
                buf.write_byte(0, if i % 3 == 0 { 9 } else { 1 });
                buf.write_byte(0, 1);
                i = i.wrapping_add(1);
            }
        });
        for _ in 0..300 {
            ctx.data_map.write(0x300, &[0; 4]);
            let args = drm_asahi_submit {
                syncs: &gpu::sync(so) as *const drm_asahi_sync as u64,
                cmdbuf: buf.addr(),
                flags: 0,
                queue_id: ctx.queue,
                in_sync_count: 0,
                out_sync_count: 1,
                cmdbuf_size: buf.len() as u32,
                pad: 0,
            };
            match ctx.dev.submit_raw(&args) {
                Ok(()) => {
                    let _ = gpu::wait(&ctx.dev, so);
                    match ctx.read_u32(0x300) {
                        0xaaaa => ran_a += 1,
                        0xbbbb => ran_b += 1,
                        v => wrong.push(v),
                    }
                }
                Err(e) if e.raw_os_error() == Some(EINVAL) => refused += 1,
                Err(e) => wrong.push(e.raw_os_error().unwrap_or(-1) as u32 | 0x8000_0000),
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    tap.ok(
        wrong.is_empty() && ran_a + ran_b + refused == 300,
        format_args!(
            "cmdbuf rewritten during 300 SUBMITs: {ran_a} ran version A, {ran_b} version B, \
             {refused} refused (invalid version), other: {wrong:x?}"
        ),
    );
}

/// The syncs array rewritten during SUBMIT (binary <-> unknown type).
fn toctou_syncs(tap: &mut Tap, ctx: &mut Ctx) {
    let so = ctx.dev.syncobj_create(0).unwrap_or(0);
    let s = gpu::sync(so);
    // SAFETY: `drm_asahi_sync` is plain integers.
    let bytes = unsafe {
        std::slice::from_raw_parts((&raw const s).cast::<u8>(), std::mem::size_of_val(&s))
    };
    let Some(buf) = GuardBuf::new(bytes) else {
        tap.ok(false, "toctou syncs: guarded buffer");
        return;
    };
    let st = ctx.put_stream(&[(op::WRITE32, DATA_VA + 0x340, 1, 0)]);
    let cmd = gpu::compute_cmd(st);
    let stop = AtomicBool::new(false);
    let mut bad = Vec::new();
    std::thread::scope(|sc| {
        sc.spawn(|| {
            let mut i = 0u8;
            while !stop.load(Ordering::Relaxed) {
                buf.write_byte(0, if i % 2 == 0 { 1 } else { 7 });
                i = i.wrapping_add(1);
            }
        });
        for _ in 0..200 {
            let args = drm_asahi_submit {
                syncs: buf.addr(),
                cmdbuf: cmd.as_ptr() as u64,
                flags: 0,
                queue_id: ctx.queue,
                in_sync_count: 0,
                out_sync_count: 1,
                cmdbuf_size: cmd.len() as u32,
                pad: 0,
            };
            match errno(ctx.dev.submit_raw(&args)) {
                None | Some(EINVAL) => {}
                e => bad.push(e),
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    let _ = gpu::wait(&ctx.dev, so);
    tap.ok(
        bad.is_empty(),
        format_args!("sync array rewritten during 200 SUBMITs: only 0 or EINVAL {bad:?}"),
    );
}

/// A job waits on a syncobj whose handle is destroyed meanwhile; the out-syncobj of a pending
/// job is destroyed too; and a file is closed with dependent jobs pending.
fn destroyed_syncobj(tap: &mut Tap) {
    let Ok(mut ctx) = Ctx::new() else {
        tap.ok(false, "destroyed syncobj: context");
        return;
    };
    let mut q2 = drm_asahi_queue_create {
        vm_id: ctx.vm,
        priority: DRM_ASAHI_PRIORITY_MEDIUM,
        usc_exec_base: gpu::USC_BASE,
        ..Default::default()
    };
    let r = ctx.dev.queue_create(&mut q2);
    let dep = ctx.dev.syncobj_create(0);
    let done = ctx.dev.syncobj_create(0);
    let (Ok(()), Ok(dep), Ok(done)) = (r, dep, done) else {
        tap.ok(false, "destroyed syncobj: second queue and syncobjs");
        return;
    };
    let slow = ctx.put_stream(&[
        (op::DELAY, 0, 0, 100_000),
        (op::DELAY, 0, 0, 100_000),
        (op::WRITE32, DATA_VA + 0x400, 1, 0),
    ]);
    let after = ctx.put_stream(&[(op::COPY, DATA_VA + 0x404, DATA_VA + 0x400, 4)]);
    let extra = ctx.dev.syncobj_create(0).unwrap_or(0);
    let r = ctx
        .compute(slow, &[], &[gpu::sync(dep), gpu::sync(extra)])
        .and_then(|_| {
            ctx.dev.submit(
                q2.queue_id,
                &[gpu::sync(dep)],
                &[gpu::sync(done)],
                &gpu::compute_cmd(after),
            )
        });
    // Destroy the in-sync's handle while the dependent job waits, and the slow job's other
    // out-syncobj before it signals.
    let d1 = ctx.dev.syncobj_destroy(dep);
    let d2 = ctx.dev.syncobj_destroy(extra);
    let w = gpu::wait(&ctx.dev, done);
    tap.ok(
        r.is_ok() && d1.is_ok() && d2.is_ok() && w.is_ok() && ctx.read_u32(0x404) == 1,
        format_args!(
            "syncobjs destroyed while a job waits on one: the job still ran after its \
             dependency ({r:?} {d1:?} {d2:?} {w:?}, copied {})",
            ctx.read_u32(0x404)
        ),
    );

    // A process exits with a slow job and a job depending on it across queues.
    let good = in_processes(2, |i| {
        let Ok(mut c) = Ctx::new() else { return false };
        let mut q = drm_asahi_queue_create {
            vm_id: c.vm,
            priority: DRM_ASAHI_PRIORITY_MEDIUM,
            usc_exec_base: gpu::USC_BASE,
            ..Default::default()
        };
        let Ok(s) = c.dev.syncobj_create(0) else {
            return false;
        };
        let slow = c.put_stream(&[(op::DELAY, 0, 0, 50_000), (op::WRITE32, DATA_VA, 1, 0)]);
        let ok = c.dev.queue_create(&mut q).is_ok()
            && c.compute(slow, &[], &[gpu::timeline(s, 3)]).is_ok()
            && c.dev
                .submit(
                    q.queue_id,
                    &[gpu::timeline(s, 3)],
                    &[],
                    &gpu::compute_cmd(slow),
                )
                .is_ok();
        if i == 1 {
            // Destroy the queue and the VM with work pending, then exit.
            let _ = c.dev.queue_destroy(&drm_asahi_queue_destroy {
                queue_id: q.queue_id,
                pad: 0,
            });
            let _ = c.dev.vm_destroy(&drm_asahi_vm_destroy {
                vm_id: c.vm,
                pad: 0,
            });
        }
        ok
    });
    tap.ok(
        good == 2,
        "processes exit with dependent jobs pending on two queues",
    );
}

/// One thread closes (or replaces) the file while another is inside ioctls on it.
fn close_during_ioctl(tap: &mut Tap) {
    let mut bad = Vec::new();
    let mut slow = Duration::ZERO;
    for round in 0..12u64 {
        let Ok(mut ctx) = Ctx::new() else {
            tap.ok(false, "close during ioctl: context");
            return;
        };
        let st = ctx.put_stream(&[(op::DELAY, 0, 0, 2_000), (op::WRITE32, DATA_VA, 1, 0)]);
        let so = ctx.dev.syncobj_create(0).unwrap_or(0);
        let cmd = gpu::compute_cmd(st);
        // Hand the fd over to raw use: the closer thread closes it behind `Device`'s back.
        let fd = OwnedFd::from(std::mem::replace(
            &mut ctx.dev,
            Device::open_render_asahi().unwrap_or_else(|_| std::process::exit(1)),
        ));
        let raw = std::os::fd::IntoRawFd::into_raw_fd(fd);
        // SAFETY: `raw` is open; `ManuallyDrop` keeps this `Device` from closing it again.
        let dev = ManuallyDrop::new(Device::from_fd(unsafe { OwnedFd::from_raw_fd(raw) }));
        let (vm, queue) = (ctx.vm, ctx.queue);
        let cmd = &cmd;
        let t = Instant::now();
        std::thread::scope(|s| {
            let dev = &dev;
            let workers: Vec<_> = (0..2)
                .map(|w| {
                    s.spawn(move || {
                        let mut errs = Vec::new();
                        for i in 0..200u32 {
                            let r = match (i + w) % 4 {
                                0 => dev.submit(queue, &[], &[gpu::sync(so)], cmd),
                                1 => dev.syncobj_wait(&[so], gpu::deadline(20), 0).map(drop),
                                2 => dev.vm_bind(vm, &[map_op(1, 0, PAGE, DATA_VA + (80 << 20))]),
                                _ => gpu::create_bo(dev, PAGE).map(drop),
                            };
                            match errno(r) {
                                Some(libc::EBADF) => break,
                                None | Some(EINVAL) | Some(ENOENT) | Some(libc::ETIME) => {}
                                e => errs.push(e),
                            }
                        }
                        errs
                    })
                })
                .collect();
            std::thread::sleep(Duration::from_millis(5 + round * 7));
            if round % 3 == 2 {
                // Replace the fd number with another open file: later ioctls hit that one.
                if let Ok(other) = Device::open_render_asahi() {
                    let o = std::os::fd::IntoRawFd::into_raw_fd(OwnedFd::from(other));
                    // SAFETY: Atomically replaces `raw` (ours) with a duplicate of `o`.
                    unsafe {
                        libc::dup2(o, raw);
                        libc::close(o);
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            // SAFETY: `raw` is ours; the workers only pass it to ioctl, which fails with EBADF
            // once it is closed.
            unsafe { libc::close(raw) };
            for w in workers {
                bad.extend(w.join().unwrap_or_default());
            }
        });
        slow = slow.max(t.elapsed());
    }
    tap.ok(
        bad.is_empty() && slow < Duration::from_secs(10),
        format_args!(
            "file closed or replaced by dup2 during ioctls, 12 rounds: {bad:?}, longest {slow:?}"
        ),
    );
}

/// VM_DESTROY races VM_BIND and running jobs in that VM.
fn destroy_during_bind(tap: &mut Tap) {
    let Ok(mut ctx) = Ctx::new() else {
        tap.ok(false, "destroy during bind: context");
        return;
    };
    let Ok(bo) = gpu::create_bo(&ctx.dev, 1 << 20) else {
        tap.ok(false, "destroy during bind: object");
        return;
    };
    let p = ctx.dev.get_params(0).unwrap_or_default();
    let window = |dev: &Device| {
        let mut vc = drm_asahi_vm_create {
            kernel_start: p.vm_end - (32 << 30),
            kernel_end: p.vm_end,
            ..Default::default()
        };
        dev.vm_create(&mut vc).map(|_| vc.vm_id)
    };
    // Jobs keep running in the context's own VM, which is destroyed first (the queue keeps it).
    let spin = ctx.put_stream(&[(op::FILL, DATA_VA, 0x11, 4 * PAGE)]);
    let first = errno(ctx.dev.vm_destroy(&drm_asahi_vm_destroy {
        vm_id: ctx.vm,
        pad: 0,
    }));
    let stop = AtomicBool::new(false);
    let mut bad = Vec::new();
    let dev = &ctx.dev;
    std::thread::scope(|s| {
        let binder = s.spawn(|| {
            let mut errs = Vec::new();
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let ops: Vec<_> = (0..64u64)
                    .map(|i| {
                        if i % 3 == 2 {
                            drm_asahi_gem_bind_op {
                                flags: DRM_ASAHI_BIND_UNBIND,
                                handle: 0,
                                offset: 0,
                                range: 4 * PAGE,
                                addr: DATA_VA + (i - 2) * (1 << 20),
                            }
                        } else {
                            map_op(bo, (i % 8) * PAGE, 4 * PAGE, DATA_VA + i * (1 << 20))
                        }
                    })
                    .collect();
                for vm in 1..=4 {
                    match errno(dev.vm_bind(vm, &ops)) {
                        None | Some(ENOENT) => n += 1,
                        e => errs.push(e),
                    }
                }
            }
            (errs, n)
        });
        let submitter = s.spawn(|| {
            let mut errs = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                match errno(dev.submit(ctx.queue, &[], &[], &gpu::compute_cmd(spin))) {
                    None => {}
                    e => errs.push(e),
                }
            }
            errs
        });
        for _ in 0..60 {
            if let Ok(v) = window(dev) {
                std::thread::sleep(Duration::from_millis(2));
                if let Some(e) = errno(dev.vm_destroy(&drm_asahi_vm_destroy { vm_id: v, pad: 0 })) {
                    bad.push(Some(e));
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        let (e, n) = binder.join().unwrap_or_default();
        bad.extend(e);
        bad.extend(submitter.join().unwrap_or_default());
        tap.diag(format_args!("{n} binds raced 60 VM create/destroy pairs"));
    });
    let so = ctx.dev.syncobj_create(0).unwrap_or(0);
    let w = ctx
        .compute(spin, &[], &[gpu::sync(so)])
        .and_then(|_| gpu::wait(&ctx.dev, so));
    tap.ok(
        first.is_none() && bad.is_empty() && w.is_ok(),
        format_args!(
            "VM_DESTROY racing VM_BIND and jobs: clean errnos {bad:?}, the destroyed VM's queue \
             still runs jobs ({w:?})"
        ),
    );
    // Unmap an object while a job in the VM uses it: the job sees the old pages or faults.
    let Ok(mut ctx) = Ctx::new() else {
        tap.ok(false, "unbind under a job: context");
        return;
    };
    let so = ctx.dev.syncobj_create(0).unwrap_or(0);
    let ops = [drm_asahi_gem_bind_op {
        flags: DRM_ASAHI_BIND_UNBIND,
        handle: 0,
        offset: 0,
        range: 1 << 20,
        addr: DATA_VA,
    }];
    let long = ctx.put_stream(&[
        (op::DELAY, 0, 0, 20_000),
        (op::FILL, DATA_VA, 0x22, 1 << 20),
    ]);
    let r = ctx
        .compute(long, &[], &[gpu::sync(so)])
        .and_then(|_| ctx.dev.vm_bind(ctx.vm, &ops))
        .and_then(|_| ctx.dev.gem_close(ctx.data))
        .and_then(|_| gpu::wait(&ctx.dev, so));
    let st = gpu::fence_status(&ctx.dev, so);
    tap.ok(
        r.is_ok() && matches!(st, Ok(1) | Ok(-5)),
        format_args!("unbind + GEM_CLOSE under a running job: {r:?}, fence {st:?}"),
    );
}

fn main() {
    let mut tap = Tap::new();
    let mut ctx = tap.require(Ctx::new(), "context");
    overflow(&mut tap, &ctx);
    toctou(&mut tap, &mut ctx);
    toctou_syncs(&mut tap, &mut ctx);
    destroyed_syncobj(&mut tap);
    close_during_ioctl(&mut tap);
    destroy_during_bind(&mut tap);
    tap.finish();
}
