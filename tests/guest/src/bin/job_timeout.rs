//! A job that never ends is stopped: its fence fails with `ETIMEDOUT`, and the GPU goes on
//! with other clients' work.
//!
//! One client submits work that would run for long (a few long delays; thousands of short
//! ones, no single one near any per-op limit), another client submits right
//! behind it. The firmware stops the long work after its time limit; the neighbour's job then
//! runs and succeeds, and the hog's own queue keeps working.

use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA};
use asahi_guest_tests::Tap;
use std::time::{Duration, Instant};

/// A control-stream op: (opcode, a, b, c).
type Op = (u32, u64, u64, u64);

/// The firmware's limit for one unit of work (the virtual AGX's `WORK_TIMEOUT_MS`).
const LIMIT: Duration = Duration::from_millis(2000);

fn status_after(ctx: &Ctx, so: u32) -> (Option<i32>, Duration) {
    let t = Instant::now();
    let r = ctx
        .dev
        .syncobj_wait(&[so], gpu::deadline(60_000), 0)
        .and_then(|_| gpu::fence_status(&ctx.dev, so))
        .ok();
    (r, t.elapsed())
}

fn main() {
    let mut tap = Tap::new();
    let (Ok(mut hog), Ok(mut peer)) = (Ctx::new(), Ctx::new()) else {
        tap.ok(false, "two contexts");
        tap.finish();
    };
    let cases: [(&str, Vec<Op>); 2] = [
        (
            "40 delays of 100 ms",
            [(op::DELAY, 0, 0, 100_000)]
                .into_iter()
                .cycle()
                .take(40)
                .chain([(op::WRITE32, DATA_VA, 0xdead, 0)])
                .collect(),
        ),
        (
            "4000 delays of 1 ms",
            [(op::DELAY, 0, 0, 1_000)]
                .into_iter()
                .cycle()
                .take(4000)
                .chain([(op::WRITE32, DATA_VA, 0xdead, 0)])
                .collect(),
        ),
    ];
    for (i, (name, ops)) in cases.iter().enumerate() {
        let long = hog.put_stream(ops);
        let quick = peer.put_stream(&[(op::WRITE32, DATA_VA + 8, 0x600d + i as u64, 0)]);
        let start = Instant::now();
        let (Ok(a), Ok(b)) = (hog.dev.syncobj_create(0), peer.dev.syncobj_create(0)) else {
            tap.ok(false, "syncobjs");
            continue;
        };
        let r1 = hog.compute(long, &[], &[gpu::sync(a)]);
        let r2 = peer.compute(quick, &[], &[gpu::sync(b)]);
        let (st_a, _) = status_after(&hog, a);
        let took = start.elapsed();
        let (st_b, _) = status_after(&peer, b);
        tap.ok(
            r1.is_ok() && st_a == Some(-libc::ETIMEDOUT) && hog.read_u32(0) != 0xdead,
            format_args!(
                "{name}: the job fails with ETIMEDOUT before it finishes ({r1:?}, status {st_a:?}, \
                 after {took:?})"
            ),
        );
        // The limit plus slack for a loaded emulated guest; far below the work's nominal time.
        tap.ok(
            took >= LIMIT && took < LIMIT * 4,
            format_args!("{name}: stopped after the firmware's limit ({took:?}, limit {LIMIT:?})"),
        );
        tap.ok(
            r2.is_ok() && st_b == Some(1) && peer.read_u32(8) == 0x600d + i as u32,
            format_args!("{name}: another client's job behind it completes ({r2:?}, {st_b:?})"),
        );
        // The hog's queue is not poisoned: its next job runs.
        let next = hog.put_stream(&[(op::WRITE32, DATA_VA + 16, 0x1000 + i as u64, 0)]);
        let r = hog.dev.syncobj_create(0).and_then(|so| {
            hog.compute(next, &[], &[gpu::sync(so)])?;
            gpu::wait(&hog.dev, so)?;
            gpu::fence_status(&hog.dev, so)
        });
        tap.ok(
            matches!(r, Ok(1)) && hog.read_u32(16) == 0x1000 + i as u32,
            format_args!("{name}: the same queue's next job succeeds ({r:?})"),
        );
    }
    tap.finish();
}
