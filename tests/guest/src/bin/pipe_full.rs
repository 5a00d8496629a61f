//! A full pipe ring is a transient state, not a dead device.
//!
//! The firmware consumes `RunWorkQueue` messages when it gets to them; a busy firmware lets the
//! pipe's ring (256 messages) fill. debugfs `fw_stall_pipes` makes the virtual AGX ignore pipe
//! doorbells; with it set, more jobs than the ring holds are submitted on one pipe. Every
//! submit must succeed, nothing may fail while the ring is full, and once the firmware catches
//! up every job completes with its result.

use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA};
use asahi_guest_tests::Tap;

/// Queues (one pipe: compute, medium priority) and jobs per queue: 3 x 110 > 256 messages.
const QUEUES: usize = 3;
const JOBS: usize = 110;

fn knob(value: &str) -> std::io::Result<()> {
    let dir = gpu::debugfs_dir().ok_or_else(|| std::io::Error::other("no asahi debugfs"))?;
    std::fs::write(dir.join("fw_stall_pipes"), value)
}

fn main() {
    let mut tap = Tap::new();
    let Ok(mut ctx) = Ctx::new() else {
        tap.ok(false, "context");
        tap.finish();
    };
    let mut queues = vec![ctx.queue];
    for _ in 1..QUEUES {
        if let Ok(q) = ctx.add_queue() {
            queues.push(q);
        }
    }
    let r = knob("1");
    tap.ok(r.is_ok(), format_args!("firmware stalled ({r:?})"));
    let mut syncs = Vec::new();
    let mut errors = Vec::new();
    for j in 0..JOBS {
        for (qi, &q) in queues.iter().enumerate() {
            let n = (j * QUEUES + qi) as u64;
            let s = ctx.put_stream(&[(op::WRITE32, DATA_VA + n * 4, 0x7000 + n, 0)]);
            match ctx.dev.syncobj_create(0).and_then(|so| {
                ctx.dev
                    .submit(q, &[], &[gpu::sync(so)], &gpu::compute_cmd(s))
                    .map(|()| (so, n))
            }) {
                Ok(x) => syncs.push(x),
                Err(e) => errors.push(e.to_string()),
            }
        }
    }
    let total = QUEUES * JOBS;
    tap.ok(
        errors.is_empty() && syncs.len() == total,
        format_args!("{total} submits on one pipe while the firmware is stalled ({errors:?})"),
    );
    // Nothing has failed while the ring was full: every fence is still pending.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let failed_early = syncs
        .iter()
        .filter(|(so, _)| matches!(gpu::fence_status(&ctx.dev, *so), Ok(s) if s < 0))
        .count();
    tap.ok(
        failed_early == 0,
        format_args!("no job failed while the pipe ring was full ({failed_early} failed)"),
    );
    let r = knob("0");
    tap.ok(r.is_ok(), format_args!("firmware resumed ({r:?})"));
    let bad: Vec<u64> = syncs
        .iter()
        .filter(|(so, n)| {
            let st = gpu::wait(&ctx.dev, *so).and_then(|()| gpu::fence_status(&ctx.dev, *so));
            !matches!(st, Ok(1)) || ctx.read_u32(n * 4) != 0x7000 + *n as u32
        })
        .map(|(_, n)| *n)
        .collect();
    tap.ok(
        bad.is_empty(),
        format_args!("after the firmware caught up, all {total} jobs completed with their results (bad: {bad:?})"),
    );
    let _ = knob("0");
    tap.finish();
}
