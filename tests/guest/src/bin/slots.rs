//! Context slots: a VM holds one of the 63 user context slots (ASIDs) while it has jobs, and the
//! firmware finds the VM's page tables through that slot's TTBAT entry. More VMs than slots take
//! turns (idle slots are reused, least recently used first, their entries rewritten; a submit
//! waits while every slot is busy), and every job still writes only its own VM's memory.

use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA};
use asahi_guest_tests::Tap;

/// More VMs than the 63 user slots.
const VMS: usize = 80;

fn main() {
    let mut tap = Tap::new();
    let mut ctxs = Vec::with_capacity(VMS);
    let mut failed = None;
    for i in 0..VMS {
        match Ctx::new() {
            Ok(c) => ctxs.push(c),
            Err(e) => {
                failed = Some(format!("context {i}: {e}"));
                break;
            }
        }
    }
    tap.ok(
        ctxs.len() == VMS,
        format_args!("{VMS} VMs with a queue each (failed: {failed:?})"),
    );
    if ctxs.len() < VMS {
        tap.finish();
    }

    // One after the other: each job's slot is idle when the next VM binds one.
    let mut ok = true;
    for (i, c) in ctxs.iter_mut().enumerate() {
        let s = c.put_stream(&[(op::WRITE32, DATA_VA, 0x1000 + i as u64, 0)]);
        let r = c.dev.syncobj_create(0).and_then(|so| {
            c.compute(s, &[], &[gpu::sync(so)])
                .and_then(|()| gpu::wait(&c.dev, so))
        });
        ok &= r.is_ok();
    }
    let wrong: Vec<usize> = (0..VMS)
        .filter(|&i| ctxs[i].read_u32(0) != 0x1000 + i as u32)
        .collect();
    tap.ok(
        ok && wrong.is_empty(),
        format_args!("{VMS} VMs in turn: each job wrote its own VM's buffer (wrong: {wrong:?})"),
    );

    // All at once: jobs that take a while, so more VMs have work than there are slots and later
    // submits wait for a slot to go idle.
    let mut syncs = Vec::with_capacity(VMS);
    let mut ok = true;
    for (i, c) in ctxs.iter_mut().enumerate() {
        let s = c.put_stream(&[
            (op::DELAY, 0, 0, 2_000),
            (op::WRITE32, DATA_VA + 4, 0x2000 + i as u64, 0),
        ]);
        let r = c
            .dev
            .syncobj_create(0)
            .and_then(|so| c.compute(s, &[], &[gpu::sync(so)]).map(|()| so));
        match r {
            Ok(so) => syncs.push(so),
            Err(_) => ok = false,
        }
    }
    for (c, &so) in ctxs.iter().zip(syncs.iter()) {
        ok &= gpu::wait(&c.dev, so).is_ok();
    }
    let wrong: Vec<usize> = (0..VMS)
        .filter(|&i| ctxs[i].read_u32(4) != 0x2000 + i as u32)
        .collect();
    tap.ok(
        ok && syncs.len() == VMS && wrong.is_empty(),
        format_args!(
            "{VMS} VMs at once: every job completed and wrote its own VM's buffer (wrong: {wrong:?})"
        ),
    );
    tap.finish();
}
