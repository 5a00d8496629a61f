//! Jobs keep completing while the worker that releases them is blocked, and none is lost.
//!
//! Retired jobs are released in process context by one worker; releasing a VM's last job takes
//! the VM's lock, which a long VM_BIND holds. Here one client's job completes during such a
//! bind (so the worker blocks on it) while another client completes hundreds of jobs: their
//! fences must signal meanwhile (completion does not wait for the worker), and once the bind
//! ends every job must be released (the firmware objects of their commands freed again; no
//! leak for kmemleak). The retired list is intrusive, so it has no capacity to overflow.

use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA, PAGE};
use asahi_guest_tests::Tap;
use asahi_uapi::*;
use std::time::{Duration, Instant};

const JOBS: usize = 400;

fn live_objects() -> Option<u64> {
    let dir = gpu::debugfs_dir()?;
    std::fs::read_to_string(dir.join("fw_live_objects"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn main() {
    let mut tap = Tap::new();
    let (Ok(mut a), Ok(mut b)) = (Ctx::new(), Ctx::new()) else {
        tap.ok(false, "two contexts");
        tap.finish();
    };
    let base = live_objects();
    // A long bind on A's VM: 2048 single pages 32 MiB apart, each needing its own table.
    let maps: Vec<drm_asahi_gem_bind_op> = (0..2048u64)
        .map(|i| drm_asahi_gem_bind_op {
            flags: DRM_ASAHI_BIND_READ,
            handle: a.data,
            offset: 0,
            range: PAGE,
            addr: (1 << 37) + i * (32 << 20),
        })
        .collect();
    let qa = a.put_stream(&[(op::WRITE32, DATA_VA, 1, 0)]);
    let qb = b.put_stream(&[(op::WRITE32, DATA_VA, 2, 0)]);
    let (bind, a_job, b_done, b_time, bind_time) = std::thread::scope(|s| {
        let dev = &a.dev;
        let vm = a.vm;
        let binder = s.spawn(move || {
            let t = Instant::now();
            let r = dev.vm_bind(vm, &maps);
            (r, t.elapsed())
        });
        std::thread::sleep(Duration::from_millis(20));
        // A's job: its release (the VM's last job) waits for the bind's lock.
        let a_job = a.dev.syncobj_create(0).and_then(|so| {
            a.compute(qa, &[], &[gpu::sync(so)])?;
            gpu::wait(&a.dev, so)?;
            gpu::fence_status(&a.dev, so)
        });
        // B's jobs complete meanwhile.
        let t = Instant::now();
        let mut done = 0;
        for _ in 0..JOBS {
            let r = b.dev.syncobj_create(0).and_then(|so| {
                b.compute(qb, &[], &[gpu::sync(so)])?;
                gpu::wait(&b.dev, so)?;
                let st = gpu::fence_status(&b.dev, so)?;
                let _ = b.dev.syncobj_destroy(so);
                Ok(st)
            });
            done += usize::from(matches!(r, Ok(1)));
        }
        let b_time = t.elapsed();
        let (bind, bind_time) = binder
            .join()
            .unwrap_or((Err(std::io::Error::other("panic")), Duration::ZERO));
        (bind, a_job, done, b_time, bind_time)
    });
    tap.ok(
        bind.is_ok() && matches!(a_job, Ok(1)),
        format_args!(
            "a long VM_BIND ({bind_time:?}, {bind:?}) and a job of the same VM ({a_job:?})"
        ),
    );
    tap.ok(
        b_done == JOBS,
        format_args!(
            "{b_done} of {JOBS} jobs of another client completed in {b_time:?} while the bind ran \
             ({bind_time:?}) and the releasing worker waited for it"
        ),
    );
    // Everything retired is released once the worker gets the lock: the firmware objects of
    // the jobs' commands go back (within a few seconds: the worker, then a cache flush).
    drop(b);
    let settled = gpu::poll_until(
        10_000,
        || matches!((live_objects(), base), (Some(n), Some(b)) if n <= b + 64),
    );
    tap.ok(
        base.is_some() && settled,
        format_args!(
            "all retired jobs released after the bind: live firmware objects back near {base:?} \
             (now {:?})",
            live_objects()
        ),
    );
    drop(a);
    tap.finish();
}
