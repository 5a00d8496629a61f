//! The firmware heaps, end to end, through the driver's debugfs counters (`fw_live_objects`,
//! `fw_garbage_objects`, `fw_cache_flushes`):
//!
//! - a queue's firmware objects (its context, `QueueInfo`, ring state and command ring) exist
//!   while the queue does;
//! - every job's run command lives in the firmware-private heap and is freed when the job
//!   retires, but freed private memory is garbage until the driver has had the firmware flush
//!   its caches over the device-control channel, which it does once more than 2048 objects are
//!   garbage: a few thousand jobs make it flush, and the garbage stays bounded;
//! - unbinding a timestamp buffer (mapped in the firmware's half) first has the firmware drop
//!   what it cached of it, with a FwCtl message it acknowledges (`fw_range_flushes`);
//! - closing the client frees the queue's objects (after the firmware acknowledged
//!   `DestroyContext`).

use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA};
use asahi_guest_tests::Tap;
use asahi_uapi::bindings::*;
use std::path::Path;

/// Jobs to submit: enough to make more than 2048 commands garbage.
const JOBS: u64 = 2300;
/// Jobs in flight at once.
const DEPTH: u64 = 32;
/// Garbage above which the driver flushes (firmware-defs `heap::FLUSH_GARBAGE_OBJECTS`).
const FLUSH_OBJECTS: u64 = 2048;
/// Firmware objects of one queue: its context, ring state, command ring and `QueueInfo`, and
/// its notifier (the notifier list, the threshold, the notifier).
const QUEUE_OBJECTS: u64 = 7;

fn counter(dir: &Path, name: &str) -> u64 {
    std::fs::read_to_string(dir.join(name))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(u64::MAX)
}

fn main() {
    let mut tap = Tap::new();
    let Some(dir) = gpu::debugfs_dir() else {
        tap.ok(false, "the asahi debugfs directory exists");
        tap.finish();
    };
    let live = |d: &Path| counter(d, "fw_live_objects");
    let base = live(&dir);
    let mut ctx = tap.require(Ctx::new(), "context");
    let with_queue = live(&dir);
    tap.ok(
        with_queue == base + QUEUE_OBJECTS,
        format_args!("a queue owns {QUEUE_OBJECTS} firmware objects (live {base} -> {with_queue})"),
    );

    let flushes0 = counter(&dir, "fw_cache_flushes");
    let end = ctx.put_stream(&[]);
    let last = ctx.put_stream(&[(op::WRITE32, DATA_VA, 0xf1a5_4ea9, 0)]);
    let r = (|| -> std::io::Result<()> {
        let tl = ctx.dev.syncobj_create(0)?;
        for i in 1..=JOBS {
            if i > DEPTH {
                ctx.dev
                    .syncobj_timeline_wait(&[tl], &[i - DEPTH], gpu::deadline(10_000), 0)?;
            }
            let s = if i == JOBS { last } else { end };
            ctx.compute(s, &[], &[gpu::timeline(tl, i)])?;
        }
        ctx.dev
            .syncobj_timeline_wait(&[tl], &[JOBS], gpu::deadline(10_000), 0)?;
        Ok(())
    })();
    tap.check(r, format_args!("{JOBS} jobs ran, {DEPTH} in flight"));
    tap.ok(
        ctx.read_u32(0) == 0xf1a5_4ea9,
        format_args!("the last job's write is visible ({:#x})", ctx.read_u32(0)),
    );
    // Retired jobs are released by a worker: wait for their commands to be freed.
    let settled = gpu::poll_until(5000, || live(&dir) == with_queue);
    tap.ok(
        settled,
        format_args!(
            "every run command was freed after its job retired (live {} vs {with_queue})",
            live(&dir)
        ),
    );
    let flushes = counter(&dir, "fw_cache_flushes");
    tap.ok(
        flushes > flushes0 && flushes != u64::MAX,
        format_args!(
            "the firmware was asked to flush its caches (flushes {flushes0} -> {flushes})"
        ),
    );
    let garbage = counter(&dir, "fw_garbage_objects");
    tap.ok(
        garbage <= FLUSH_OBJECTS + DEPTH + 8,
        format_args!("garbage stays bounded by the flush threshold ({garbage} objects)"),
    );

    // A timestamp buffer: bound into the firmware's half, then unbound.
    let ranges0 = counter(&dir, "fw_range_flushes");
    let mut b = drm_asahi_gem_bind_object {
        op: DRM_ASAHI_BIND_OBJECT_OP_BIND,
        flags: DRM_ASAHI_BIND_OBJECT_USAGE_TIMESTAMPS,
        handle: ctx.data,
        offset: 0,
        range: 0x4000,
        ..Default::default()
    };
    let r = ctx.dev.gem_bind_object(&mut b).and_then(|()| {
        let mut u = drm_asahi_gem_bind_object {
            op: DRM_ASAHI_BIND_OBJECT_OP_UNBIND,
            object_handle: b.object_handle,
            ..Default::default()
        };
        ctx.dev.gem_bind_object(&mut u)
    });
    let ranges = counter(&dir, "fw_range_flushes");
    tap.ok(
        r.is_ok() && ranges == ranges0 + 1,
        format_args!(
            "unbinding a timestamp buffer flushed it from the firmware's caches over FwCtl ({r:?}, flushes {ranges0} -> {ranges})"
        ),
    );

    drop(ctx);
    let gone = gpu::poll_until(5000, || live(&dir) == base);
    tap.ok(
        gone,
        format_args!(
            "closing the client freed its queue's firmware objects (live {} vs {base})",
            live(&dir)
        ),
    );
    tap.finish();
}
