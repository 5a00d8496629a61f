//! SUBMIT on the virtual AGX: work changes memory the CPU reads back, completes through binary
//! and timeline syncobjs in order, waits for its input syncs, faults without harming other
//! work, and every malformed submit gets its errno.

use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA, PAGE};
use asahi_guest_tests::{errno, in_processes, render, Tap};
use asahi_uapi::bindings::*;

const EINVAL: i32 = libc::EINVAL;
const ENOENT: i32 = libc::ENOENT;

fn main() {
    let mut tap = Tap::new();
    let mut ctx = tap.require(Ctx::new(), "context");
    let so = ctx.dev.syncobj_create(0).unwrap_or(0);

    // A compute job writes memory that the CPU then reads through its own mapping.
    let s = ctx.put_stream(&[
        (op::WRITE32, DATA_VA, 0xc0ffee, 0),
        (op::WRITE64, DATA_VA + 8, 0x1122_3344_5566_7788, 0),
    ]);
    let r = ctx
        .compute(s, &[], &[gpu::sync(so)])
        .and_then(|_| gpu::wait(&ctx.dev, so));
    tap.check(r, "compute submit completes through a binary syncobj");
    let mut b = [0u8; 8];
    ctx.data_map.read(8, &mut b);
    tap.ok(
        ctx.read_u32(0) == 0xc0ffee && u64::from_le_bytes(b) == 0x1122_3344_5566_7788,
        format_args!("GPU writes are visible to the CPU: {:#x}", ctx.read_u32(0)),
    );
    tap.ok(
        matches!(gpu::fence_status(&ctx.dev, so), Ok(1)),
        "the fence signalled without error",
    );

    // Mesa's submit shape: compute, fragment attachments, render with vdm NONE / cdm 1, and two
    // out-syncs (binary + timeline point).
    let tl = ctx.dev.syncobj_create(0).unwrap_or(0);
    let cs = ctx.put_stream(&[(op::FILL, DATA_VA + PAGE, 0x5a, PAGE)]);
    let vs = ctx.put_vdm(&[(op::COPY, DATA_VA + 2 * PAGE, DATA_VA + PAGE, 256)]);
    let cmd = render::with_geometry(gpu::frame_cmd(cs, vs, 48), &render::FULL_HD);
    let r = ctx
        .dev
        .submit(ctx.queue, &[], &[gpu::sync(so), gpu::timeline(tl, 5)], &cmd)
        .and_then(|_| {
            ctx.dev
                .syncobj_timeline_wait(&[tl], &[5], gpu::deadline(10_000), 0)
                .map(drop)
        });
    tap.check(
        r,
        "compute + attachments + render submit, timeline point 5 signals",
    );
    let mut got = [0u8; 256];
    ctx.data_map.read((2 * PAGE) as usize, &mut got);
    tap.ok(
        got.iter().all(|x| *x == 0x5a),
        "render ran after compute (cdm barrier): copy saw the fill",
    );

    // In-order completion on one queue: a slow job then a fast one overwriting its result.
    let slow = ctx.put_stream(&[(op::DELAY, 0, 0, 20_000), (op::WRITE32, DATA_VA + 64, 1, 0)]);
    let fast = ctx.put_stream(&[(op::WRITE32, DATA_VA + 64, 2, 0)]);
    let r = ctx
        .compute(slow, &[], &[])
        .and_then(|_| ctx.compute(fast, &[], &[gpu::sync(so)]))
        .and_then(|_| gpu::wait(&ctx.dev, so));
    tap.ok(
        r.is_ok() && ctx.read_u32(64) == 2,
        "jobs on one queue run in order",
    );

    // Argument sizes on both sides of SUBMIT's inline copies (16 syncs, 512 command bytes:
    // 7 compute commands are 504 bytes, 8 are 576).
    let mut sized = Vec::new();
    for (n, k) in [(7u64, 15usize), (8, 15), (7, 16), (8, 16)] {
        let ins: Vec<u32> = (0..k)
            .map(|_| {
                ctx.dev
                    .syncobj_create(DRM_SYNCOBJ_CREATE_SIGNALED)
                    .unwrap_or(0)
            })
            .collect();
        let mut cmd = Vec::new();
        for i in 0..n {
            let s = ctx.put_stream(&[(op::WRITE32, DATA_VA + 0x800 + 4 * i, 100 * n + i, 0)]);
            cmd.extend(gpu::compute_cmd(s));
        }
        let in_syncs: Vec<_> = ins.iter().map(|h| gpu::sync(*h)).collect();
        let r = ctx
            .dev
            .submit(ctx.queue, &in_syncs, &[gpu::sync(so)], &cmd)
            .and_then(|_| gpu::wait(&ctx.dev, so));
        // CAST: small test values.
        let ran = (0..n).all(|i| ctx.read_u32(0x800 + 4 * i) == (100 * n + i) as u32);
        if r.is_err() || !ran {
            sized.push((n, k + 1, r.err()));
        }
        for h in ins {
            let _ = ctx.dev.syncobj_destroy(h);
        }
    }
    tap.ok(
        sized.is_empty(),
        format_args!(
            "7 and 8 commands with 16 and 17 syncs: every command ran (failures: {sized:?})"
        ),
    );

    // Input syncs: a job waits for a timeline point signalled by another job.
    let wait_tl = ctx.dev.syncobj_create(0).unwrap_or(0);
    let a = ctx.put_stream(&[
        (op::DELAY, 0, 0, 10_000),
        (op::WRITE32, DATA_VA + 128, 7, 0),
    ]);
    let bstream = ctx.put_stream(&[(op::COPY, DATA_VA + 132, DATA_VA + 128, 4)]);
    let r = ctx
        .compute(a, &[], &[gpu::timeline(wait_tl, 1)])
        .and_then(|_| ctx.compute(bstream, &[gpu::timeline(wait_tl, 1)], &[gpu::sync(so)]))
        .and_then(|_| gpu::wait(&ctx.dev, so));
    tap.ok(
        r.is_ok() && ctx.read_u32(132) == 7,
        "a job waits for its timeline in-sync",
    );

    // A fault fails only that job; the next one on the same queue runs.
    let bad = ctx.put_stream(&[(op::WRITE32, 0x40_0000_0000, 1, 0)]);
    let r = ctx
        .compute(bad, &[], &[gpu::sync(so)])
        .and_then(|_| gpu::wait(&ctx.dev, so));
    tap.check(r, "a faulting job still completes its fence");
    let st = gpu::fence_status(&ctx.dev, so);
    tap.ok(
        matches!(st, Ok(s) if s == -libc::EIO),
        format_args!("its fence carries EIO: {st:?}"),
    );
    let ro = ctx.put_stream(&[(op::WRITE32, gpu::CMD_VA, 1, 0)]);
    let r = ctx
        .compute(ro, &[], &[gpu::sync(so)])
        .and_then(|_| gpu::wait(&ctx.dev, so));
    let st = gpu::fence_status(&ctx.dev, so);
    tap.ok(
        r.is_ok() && matches!(st, Ok(s) if s == -libc::EIO),
        "a write to a read-only mapping faults",
    );
    let good = ctx.put_stream(&[(op::WRITE32, DATA_VA + 256, 9, 0)]);
    let r = ctx
        .compute(good, &[], &[gpu::sync(so)])
        .and_then(|_| gpu::wait(&ctx.dev, so));
    tap.ok(
        r.is_ok() && ctx.read_u32(256) == 9 && matches!(gpu::fence_status(&ctx.dev, so), Ok(1)),
        "the queue keeps working after a fault",
    );

    // Backpressure: more jobs than the 127 a queue may have in flight.
    let tick = ctx.put_stream(&[(op::DELAY, 0, 0, 200), (op::WRITE32, DATA_VA + 512, 3, 0)]);
    let all = (0..300).all(|_| ctx.compute(tick, &[], &[]).is_ok());
    let last = ctx.put_stream(&[(op::WRITE32, DATA_VA + 516, 300, 0)]);
    let r = ctx
        .compute(last, &[], &[gpu::sync(so)])
        .and_then(|_| gpu::wait(&ctx.dev, so));
    tap.ok(
        all && r.is_ok() && ctx.read_u32(516) == 300,
        "301 jobs on one queue (backpressure at 127)",
    );

    // Several processes, each with its own context, one of them faulting on purpose.
    let good = in_processes(6, |i| {
        let Ok(mut c) = Ctx::new() else { return false };
        let Ok(s) = c.dev.syncobj_create(0) else {
            return false;
        };
        for n in 0..20u64 {
            let target = if i == 0 && n == 10 {
                0x7f_0000_0000
            } else {
                DATA_VA + 4 * n
            };
            let st = c.put_stream(&[(op::WRITE32, target, n * 10 + i as u64, 0)]);
            if c.compute(st, &[], &[gpu::sync(s)]).is_err() || gpu::wait(&c.dev, s).is_err() {
                return false;
            }
        }
        (0..20u64)
            .filter(|n| !(i == 0 && *n == 10))
            .all(|n| c.read_u32(4 * n) == (n * 10 + i as u64) as u32)
    });
    tap.ok(
        good == 6,
        format_args!("6 processes x 20 jobs, one faulting: {good}/6 correct"),
    );

    // Malformed submits.
    let ok_cmd = gpu::compute_cmd(good_stream(&mut ctx));
    let submit = |cmd: &[u8], ins: &[drm_asahi_sync], outs: &[drm_asahi_sync]| {
        ctx.dev.submit(ctx.queue, ins, outs, cmd)
    };
    let raw = |f: &dyn Fn(&mut drm_asahi_submit)| {
        let mut a = drm_asahi_submit {
            syncs: 0,
            cmdbuf: ok_cmd.as_ptr() as u64,
            flags: 0,
            queue_id: ctx.queue,
            in_sync_count: 0,
            out_sync_count: 0,
            cmdbuf_size: ok_cmd.len() as u32,
            pad: 0,
        };
        f(&mut a);
        errno(ctx.dev.submit_raw(&a))
    };
    tap.ok(
        raw(&|a| a.flags = 1) == Some(EINVAL),
        "flags != 0 -> EINVAL",
    );
    tap.ok(raw(&|a| a.pad = 1) == Some(EINVAL), "pad != 0 -> EINVAL");
    tap.ok(
        raw(&|a| a.queue_id = 999) == Some(ENOENT),
        "unknown queue -> ENOENT",
    );
    tap.ok(
        raw(&|a| a.cmdbuf_size = 0) == Some(EINVAL),
        "empty command buffer -> EINVAL",
    );
    tap.ok(
        raw(&|a| a.cmdbuf_size = 7) == Some(EINVAL),
        "truncated header -> EINVAL",
    );
    tap.ok(
        raw(&|a| a.cmdbuf = 8) == Some(libc::EFAULT),
        "bad cmdbuf pointer -> EFAULT",
    );
    let only_attach = {
        let mut v = gpu::header(DRM_ASAHI_SET_COMPUTE_ATTACHMENTS, 24, 0xffff, 0xffff);
        v.extend([0u8; 24]);
        v
    };
    tap.ok(
        errno(submit(&only_attach, &[], &[])) == Some(EINVAL),
        "no hardware command -> EINVAL",
    );
    let too_many: Vec<u8> = (0..65).flat_map(|_| ok_cmd.clone()).collect();
    tap.ok(
        errno(submit(&too_many, &[], &[])) == Some(EINVAL),
        "65 commands -> EINVAL",
    );
    let sixty_four: Vec<u8> = (0..64).flat_map(|_| ok_cmd.clone()).collect();
    tap.check(submit(&sixty_four, &[], &[]), "64 commands are accepted");
    let mut bad_type = ok_cmd.clone();
    bad_type[0] = 9;
    tap.ok(
        errno(submit(&bad_type, &[], &[])) == Some(EINVAL),
        "unknown command type -> EINVAL",
    );
    let mut oversize = ok_cmd.clone();
    oversize[2..4].copy_from_slice(&200u16.to_le_bytes());
    tap.ok(
        errno(submit(&oversize, &[], &[])) == Some(EINVAL),
        "payload size past the buffer -> EINVAL",
    );
    let mut long = gpu::header(DRM_ASAHI_CMD_COMPUTE, 72, 0xffff, 0xffff);
    long.extend_from_slice(&ok_cmd[8..]);
    long.extend([0u8; 8]);
    tap.check(
        submit(&long, &[], &[]),
        "compute payload longer than 64 with a zero tail",
    );
    let last = long.len() - 1;
    long[last] = 1;
    tap.ok(
        errno(submit(&long, &[], &[])) == Some(EINVAL),
        "longer payload with a non-zero tail -> EINVAL",
    );
    let mut short = gpu::header(DRM_ASAHI_CMD_COMPUTE, 16, 0xffff, 0xffff);
    short.extend_from_slice(&ok_cmd[8..24]);
    tap.check(
        submit(&short, &[], &[]),
        "short compute payload is zero-extended",
    );
    let mut cflags = ok_cmd.clone();
    cflags[8] = 1;
    tap.ok(
        errno(submit(&cflags, &[], &[])) == Some(EINVAL),
        "compute flags != 0 -> EINVAL",
    );
    let mut barrier = ok_cmd.clone();
    barrier[6..8].copy_from_slice(&3u16.to_le_bytes());
    tap.ok(
        errno(submit(&barrier, &[], &[])) == Some(EINVAL),
        "barrier beyond earlier commands -> EINVAL",
    );
    let mut attach = gpu::header(DRM_ASAHI_SET_COMPUTE_ATTACHMENTS, 24, 0, 0xffff);
    attach.extend([0u8; 24]);
    attach.extend(&ok_cmd);
    tap.ok(
        errno(submit(&attach, &[], &[])) == Some(EINVAL),
        "attachments with a barrier -> EINVAL",
    );
    let mut attach = gpu::header(DRM_ASAHI_SET_COMPUTE_ATTACHMENTS, 20, 0xffff, 0xffff);
    attach.extend([0u8; 20]);
    attach.extend(&ok_cmd);
    tap.ok(
        errno(submit(&attach, &[], &[])) == Some(EINVAL),
        "attachment size not a multiple of 24 -> EINVAL",
    );
    let mut attach = gpu::header(DRM_ASAHI_SET_COMPUTE_ATTACHMENTS, 24, 0xffff, 0xffff);
    let mut a = [0u8; 24];
    a[20] = 1;
    attach.extend(a);
    attach.extend(&ok_cmd);
    tap.ok(
        errno(submit(&attach, &[], &[])) == Some(EINVAL),
        "attachment flags != 0 -> EINVAL",
    );

    let fresh = ctx.dev.syncobj_create(0).unwrap_or(0);
    let mut s = gpu::sync(so);
    s.timeline_value = 1;
    tap.ok(
        errno(submit(&ok_cmd, &[s], &[])) == Some(EINVAL),
        "binary in-sync with a timeline value -> EINVAL",
    );
    let mut s = gpu::sync(so);
    s.sync_type = 7;
    tap.ok(
        errno(submit(&ok_cmd, &[], &[s])) == Some(EINVAL),
        "unknown sync type -> EINVAL",
    );
    tap.ok(
        errno(submit(&ok_cmd, &[], &[gpu::sync(0xbad)])) == Some(ENOENT),
        "unknown out-syncobj -> ENOENT",
    );
    tap.ok(
        errno(submit(&ok_cmd, &[gpu::sync(0xbad)], &[])) == Some(ENOENT),
        "unknown in-syncobj -> ENOENT",
    );
    tap.ok(
        errno(submit(&ok_cmd, &[gpu::sync(fresh)], &[])) == Some(EINVAL),
        "in-syncobj without a fence -> EINVAL",
    );
    tap.ok(
        raw(&|a| a.in_sync_count = u32::MAX) == Some(EINVAL),
        "sync count overflow -> EINVAL",
    );
    // A failed submit signals nothing: the out-syncobj stays without a fence.
    let untouched = errno(submit(&bad_type, &[], &[gpu::sync(fresh)])) == Some(EINVAL)
        && errno(ctx.dev.syncobj_wait(&[fresh], 0, 0)) == Some(EINVAL);
    tap.ok(
        untouched,
        "a rejected submit leaves its out-syncobj untouched",
    );
    let _ = ctx.data;
    tap.finish();
}

fn good_stream(ctx: &mut Ctx) -> u64 {
    ctx.put_stream(&[(op::WRITE32, DATA_VA + 1024, 1, 0)])
}
