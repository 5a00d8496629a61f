//! GEM_BIND_OBJECT: timestamp buffers the firmware writes job start and end times into, and the
//! invalid inputs of BIND and UNBIND with their errno.

use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA, PAGE};
use asahi_guest_tests::Tap;
use asahi_uapi::bindings::*;
use std::io;

const EINVAL: i32 = libc::EINVAL;
const ENOENT: i32 = libc::ENOENT;

fn errno<T>(r: io::Result<T>) -> Option<i32> {
    r.err().and_then(|e| e.raw_os_error())
}

/// A change to a BIND_OBJECT argument.
type Edit<'a> = dyn Fn(&mut drm_asahi_gem_bind_object) + 'a;

fn bind_object(ctx: &Ctx, f: impl Fn(&mut drm_asahi_gem_bind_object)) -> io::Result<u32> {
    let mut a = drm_asahi_gem_bind_object {
        op: DRM_ASAHI_BIND_OBJECT_OP_BIND,
        flags: DRM_ASAHI_BIND_OBJECT_USAGE_TIMESTAMPS,
        handle: ctx.data,
        vm_id: 0,
        offset: 0,
        range: PAGE,
        object_handle: 0,
        pad: 0,
    };
    f(&mut a);
    ctx.dev.gem_bind_object(&mut a).map(|_| a.object_handle)
}

fn unbind_object(ctx: &Ctx, f: impl Fn(&mut drm_asahi_gem_bind_object)) -> io::Result<u32> {
    let mut a = drm_asahi_gem_bind_object {
        op: DRM_ASAHI_BIND_OBJECT_OP_UNBIND,
        ..Default::default()
    };
    f(&mut a);
    ctx.dev.gem_bind_object(&mut a).map(|_| 0)
}

fn main() {
    let mut tap = Tap::new();
    let mut ctx = match Ctx::new() {
        Ok(c) => c,
        Err(e) => {
            tap.diag(format_args!("no context: {e}"));
            tap.finish();
        }
    };
    // Timestamps go in the data buffer's second page.
    let obj = bind_object(&ctx, |a| a.offset = PAGE);
    tap.check(
        obj.as_ref().map(drop),
        "GEM_BIND_OBJECT of a 16K timestamp buffer",
    );
    let obj = obj.unwrap_or(0);
    tap.ok(obj != 0, format_args!("object handle {obj}"));

    // A compute job with start and end timestamps.
    let so = ctx.dev.syncobj_create(0).unwrap_or(0);
    let s = ctx.put_stream(&[(op::DELAY, 0, 0, 2_000), (op::WRITE32, DATA_VA, 1, 0)]);
    let mut cmd = gpu::compute_cmd(s);
    let ts_at = 8 + 48;
    let put = |cmd: &mut Vec<u8>, at: usize, handle: u32, offset: u32| {
        cmd[at..at + 4].copy_from_slice(&handle.to_le_bytes());
        cmd[at + 4..at + 8].copy_from_slice(&offset.to_le_bytes());
    };
    put(&mut cmd, ts_at, obj, 64);
    put(&mut cmd, ts_at + 8, obj, 72);
    let r = ctx
        .dev
        .submit(ctx.queue, &[], &[gpu::sync(so)], &cmd)
        .and_then(|_| gpu::wait(&ctx.dev, so));
    tap.check(r, "compute job with start/end timestamps completes");
    let mut b = [0u8; 16];
    ctx.data_map.read((PAGE + 64) as usize, &mut b);
    let start = u64::from_le_bytes(b[..8].try_into().unwrap_or_default());
    let end = u64::from_le_bytes(b[8..].try_into().unwrap_or_default());
    let mut now = drm_asahi_get_time::default();
    let _ = ctx.dev.get_time(&mut now);
    tap.ok(
        start > 0 && end >= start + 2_000_000 && end <= now.gpu_timestamp,
        format_args!(
            "the firmware wrote start {start} and end {end} (ns, GET_TIME's clock, >= 2 ms apart)"
        ),
    );

    // Invalid submits referencing timestamp objects.
    let mut bad = cmd.clone();
    put(&mut bad, ts_at, 999, 0);
    tap.ok(
        errno(ctx.dev.submit(ctx.queue, &[], &[], &bad)) == Some(ENOENT),
        "unknown timestamp object -> ENOENT",
    );
    let mut bad = cmd.clone();
    put(&mut bad, ts_at, obj, PAGE as u32);
    tap.ok(
        errno(ctx.dev.submit(ctx.queue, &[], &[], &bad)) == Some(EINVAL),
        "timestamp offset past the buffer -> EINVAL",
    );
    let mut bad = cmd.clone();
    put(&mut bad, ts_at, obj, 4);
    tap.ok(
        errno(ctx.dev.submit(ctx.queue, &[], &[], &bad)) == Some(EINVAL),
        "unaligned timestamp offset -> EINVAL",
    );

    // Invalid binds.
    let cases: [(&str, &Edit<'_>, i32); 9] = [
        ("pad != 0", &|a| a.pad = 1, EINVAL),
        ("vm_id != 0", &|a| a.vm_id = ctx.vm, EINVAL),
        ("flags 0", &|a| a.flags = 0, EINVAL),
        ("unknown flag", &|a| a.flags = 3, EINVAL),
        ("unknown op", &|a| a.op = 2, EINVAL),
        ("unaligned offset", &|a| a.offset = 0x1000, EINVAL),
        ("range 0", &|a| a.range = 0, EINVAL),
        ("past the object's end", &|a| a.offset = 1 << 20, EINVAL),
        ("unknown handle", &|a| a.handle = 0xbad, ENOENT),
    ];
    for (what, f, want) in cases {
        tap.ok(
            errno(bind_object(&ctx, f)) == Some(want),
            format_args!("BIND {what} -> errno {want}"),
        );
    }
    tap.ok(
        errno(unbind_object(&ctx, |a| {
            a.object_handle = obj;
            a.range = PAGE
        })) == Some(EINVAL),
        "UNBIND with a range -> EINVAL",
    );
    tap.ok(
        errno(unbind_object(&ctx, |a| {
            a.object_handle = obj;
            a.handle = ctx.data
        })) == Some(EINVAL),
        "UNBIND with a handle -> EINVAL",
    );
    tap.ok(
        errno(unbind_object(&ctx, |a| a.object_handle = 777)) == Some(ENOENT),
        "UNBIND of an unknown object -> ENOENT",
    );
    tap.check(unbind_object(&ctx, |a| a.object_handle = obj), "UNBIND");
    tap.ok(
        errno(unbind_object(&ctx, |a| a.object_handle = obj)) == Some(ENOENT),
        "UNBIND twice -> ENOENT",
    );
    // A job holding the buffer outlives its unbind.
    let obj2 = bind_object(&ctx, |_| {}).unwrap_or(0);
    let slow = ctx.put_stream(&[(op::DELAY, 0, 0, 20_000)]);
    let mut cmd = gpu::compute_cmd(slow);
    put(&mut cmd, ts_at + 8, obj2, 0);
    let r = ctx
        .dev
        .submit(ctx.queue, &[], &[gpu::sync(so)], &cmd)
        .and_then(|_| unbind_object(&ctx, |a| a.object_handle = obj2))
        .and_then(|_| gpu::wait(&ctx.dev, so));
    tap.check(
        r,
        "UNBIND while a job writes into the buffer; the job completes",
    );
    tap.finish();
}
