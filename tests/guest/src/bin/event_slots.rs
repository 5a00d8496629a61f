//! Event slots are held only while a queue has work, as a hostile neighbour would test it.
//!
//! The firmware has 128 event slots. A client that creates hundreds of queues and never submits
//! must not lock another client out of QUEUE_CREATE or SUBMIT; more queues with work than slots
//! take turns (a submit waits for a slot, interruptibly) and every job still completes, in
//! order, with the right result; a slot's stamps go on across holders.

use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA};
use asahi_guest_tests::Tap;
use asahi_uapi::*;

/// More queues than the firmware's 128 event slots.
const IDLE_QUEUES: usize = 300;
/// Queues with work at once: more than the slots too.
const BUSY_QUEUES: usize = 150;

/// Runs the stream at `va` as one compute job on queue `q` and returns its fence status.
fn run_one(ctx: &Ctx, q: u32, va: u64) -> std::io::Result<i32> {
    let so = ctx.dev.syncobj_create(0)?;
    ctx.dev
        .submit(q, &[], &[gpu::sync(so)], &gpu::compute_cmd(va))?;
    gpu::wait(&ctx.dev, so)?;
    gpu::fence_status(&ctx.dev, so)
}

fn main() {
    let mut tap = Tap::new();
    let (Ok(mut hog), Ok(mut peer)) = (Ctx::new(), Ctx::new()) else {
        tap.ok(false, "two contexts");
        tap.finish();
    };

    // A client makes many idle queues.
    let mut idle = Vec::new();
    let mut first_err = None;
    for _ in 0..IDLE_QUEUES {
        match hog.add_queue() {
            Ok(q) => idle.push(q),
            Err(e) => {
                first_err = Some(e);
                break;
            }
        }
    }
    tap.ok(
        idle.len() == IDLE_QUEUES,
        format_args!(
            "one client creates {IDLE_QUEUES} idle queues (made {}, error {first_err:?})",
            idle.len()
        ),
    );

    // Its neighbour can still create a queue and run work on it.
    let s = peer.put_stream(&[(op::WRITE32, DATA_VA, 0xfeed, 0)]);
    let r = peer.add_queue().and_then(|q| run_one(&peer, q, s));
    tap.ok(
        matches!(r, Ok(1)) && peer.read_u32(0) == 0xfeed,
        format_args!(
            "a neighbour's QUEUE_CREATE and SUBMIT work beside {IDLE_QUEUES} idle queues \
             ({r:?}, wrote {:#x})",
            peer.read_u32(0)
        ),
    );

    // More queues with work than slots: each submit gets a slot (some wait for one), every job
    // completes with its own result.
    let mut outs = Vec::new();
    let mut submit_err = None;
    for (i, &q) in idle.iter().take(BUSY_QUEUES).enumerate() {
        let s = hog.put_stream(&[
            (op::DELAY, 0, 0, 1_000),
            (
                op::WRITE32,
                DATA_VA + 0x1000 + i as u64 * 4,
                0x5000 + i as u64,
                0,
            ),
        ]);
        let r = hog.dev.syncobj_create(0).and_then(|so| {
            hog.dev
                .submit(q, &[], &[gpu::sync(so)], &gpu::compute_cmd(s))
                .map(|()| so)
        });
        match r {
            Ok(so) => outs.push(so),
            Err(e) => {
                submit_err = Some(e);
                break;
            }
        }
    }
    let statuses: Vec<_> = outs
        .iter()
        .map(|&so| gpu::wait(&hog.dev, so).and_then(|()| gpu::fence_status(&hog.dev, so)))
        .collect();
    let bad: Vec<usize> = (0..outs.len())
        .filter(|&i| {
            !matches!(statuses[i], Ok(1))
                || hog.read_u32(0x1000 + i as u64 * 4) != 0x5000 + i as u32
        })
        .collect();
    tap.ok(
        outs.len() == BUSY_QUEUES && bad.is_empty(),
        format_args!(
            "{BUSY_QUEUES} queues with work at once (more than 128 slots): all completed with \
             their results (submitted {}, error {submit_err:?}, wrong {bad:?})",
            outs.len()
        ),
    );

    // Slots change hands many times; stamps go on: a queue that gets a slot another queue used
    // still sees its jobs complete only when they are done, in order.
    let mut ok = true;
    let mut detail = String::new();
    for round in 0..4u64 {
        let mut syncs = Vec::new();
        for (i, &q) in idle.iter().enumerate().skip(round as usize * 40).take(140) {
            let s = hog.put_stream(&[(
                op::WRITE32,
                DATA_VA + 0x2000 + (i as u64 % 512) * 4,
                round + 1,
                0,
            )]);
            match hog.dev.syncobj_create(0).and_then(|so| {
                hog.dev
                    .submit(q, &[], &[gpu::sync(so)], &gpu::compute_cmd(s))
                    .map(|()| (so, i))
            }) {
                Ok(x) => syncs.push(x),
                Err(e) => {
                    ok = false;
                    detail = format!("round {round}: submit {e}");
                }
            }
        }
        for (so, i) in syncs {
            let st = gpu::wait(&hog.dev, so).and_then(|()| gpu::fence_status(&hog.dev, so));
            let v = hog.read_u32(0x2000 + (i as u64 % 512) * 4);
            if !matches!(st, Ok(1)) || v != round as u32 + 1 {
                ok = false;
                detail = format!("round {round}: queue {i}: {st:?}, value {v}");
            }
        }
    }
    tap.ok(ok, format_args!("slots reused across four rounds of 140 queues: every fence signalled after its write {detail}"));

    // The neighbour again, now that the hog's queues are idle once more.
    let s = peer.put_stream(&[(op::WRITE32, DATA_VA + 4, 0xbeef, 0)]);
    let r = peer.add_queue().and_then(|q| run_one(&peer, q, s));
    tap.ok(
        matches!(r, Ok(1)) && peer.read_u32(4) == 0xbeef,
        format_args!("the neighbour works after the hog's queues went idle ({r:?})"),
    );

    // Destroying the idle queues gives nothing back that anyone needed, and fails nothing.
    let destroyed = idle
        .iter()
        .filter(|&&q| {
            hog.dev
                .queue_destroy(&drm_asahi_queue_destroy {
                    queue_id: q,
                    pad: 0,
                })
                .is_ok()
        })
        .count();
    tap.ok(
        destroyed == idle.len(),
        format_args!("{destroyed} of {} idle queues destroyed", idle.len()),
    );
    tap.finish();
}
