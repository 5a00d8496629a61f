//! DRM usage stats in `/proc/self/fdinfo/<fd>` (`Documentation/gpu/drm-usage-stats.rst`), as
//! `gputop` and `nvtop` read them: two clients, one of which runs work. Only the working
//! client's engine counter moves, on the engine its work ran on, by about the time the work took,
//! and never backwards (sampled while a job runs, and after its queue is destroyed); memory
//! follows GEM_CREATE, PRIME export and GEM_CLOSE; client ids differ.

use asahi_guest_tests::gpu::{self, op, Ctx};
use asahi_guest_tests::render::{with_geometry, FULL_HD};
use asahi_guest_tests::Tap;
use asahi_uapi::bindings::*;
use std::collections::HashMap;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// The `key: value` lines of a DRM file's fdinfo.
fn fdinfo(ctx: &Ctx) -> HashMap<String, String> {
    let path = format!("/proc/self/fdinfo/{}", ctx.dev.as_raw_fd());
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// An engine counter in nanoseconds (`drm-engine-<name>: <n> ns`).
fn engine(info: &HashMap<String, String>, name: &str) -> Option<u64> {
    let v = info.get(&format!("drm-engine-{name}"))?;
    v.strip_suffix(" ns")?.parse().ok()
}

/// A memory stat in bytes (`drm-<stat>-memory: <n>[ KiB| MiB]`).
fn memory(info: &HashMap<String, String>, stat: &str) -> Option<u64> {
    let v = info.get(&format!("drm-{stat}-memory"))?;
    let (n, unit) = match v.split_once(' ') {
        Some((n, "KiB")) => (n, 1 << 10),
        Some((n, "MiB")) => (n, 1 << 20),
        Some(_) => return None,
        None => (v.as_str(), 1),
    };
    n.parse::<u64>().ok().map(|n| n * unit)
}

/// `(render, compute)` of a client.
fn engines(ctx: &Ctx) -> (Option<u64>, Option<u64>) {
    let i = fdinfo(ctx);
    (engine(&i, "render"), engine(&i, "compute"))
}

fn main() {
    let mut tap = Tap::new();
    let (Ok(mut busy), Ok(idle)) = (Ctx::new(), Ctx::new()) else {
        tap.ok(false, "two contexts");
        tap.finish();
    };

    let (bi, ii) = (fdinfo(&busy), fdinfo(&idle));
    let ids = (bi.get("drm-client-id"), ii.get("drm-client-id"));
    tap.ok(
        bi.get("drm-driver").map(String::as_str) == Some("asahi")
            && ii.get("drm-driver").map(String::as_str) == Some("asahi")
            && ids.0.is_some_and(|a| a.parse::<u64>().is_ok())
            && ids.1.is_some_and(|b| b.parse::<u64>().is_ok())
            && ids.0 != ids.1,
        format_args!(
            "drm-driver is asahi and drm-client-id differs between the clients ({:?}, {:?})",
            ids.0, ids.1
        ),
    );
    let start = (engines(&busy), engines(&idle));
    tap.ok(
        start == ((Some(0), Some(0)), (Some(0), Some(0))),
        format_args!("both engines start at 0 ns for new clients ({start:?})"),
    );

    // A compute job of about 300 ms, sampled every 10 ms while it runs.
    let slow = busy.put_stream(&[
        (op::DELAY, 0, 0, 100_000),
        (op::DELAY, 0, 0, 100_000),
        (op::DELAY, 0, 0, 100_000),
    ]);
    let sampled = (|| {
        let so = busy.dev.syncobj_create(0)?;
        let t0 = Instant::now();
        busy.compute(slow, &[], &[gpu::sync(so)])?;
        let mut samples = vec![engines(&busy).1];
        while gpu::fence_status(&busy.dev, so)? == 0 && t0.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
            samples.push(engines(&busy).1);
        }
        gpu::wait(&busy.dev, so)?;
        let wall = t0.elapsed().as_nanos() as u64;
        samples.push(engines(&busy).1);
        Ok::<_, std::io::Error>((samples, wall))
    })();
    let (compute, wall) = match &sampled {
        Ok((s, wall)) => (s.last().copied().flatten().unwrap_or(0), *wall),
        Err(_) => (0, 0),
    };
    let monotonic = sampled
        .as_ref()
        .is_ok_and(|(s, _)| s.iter().all(Option::is_some) && s.windows(2).all(|w| w[0] <= w[1]));
    tap.ok(
        monotonic,
        format_args!(
            "the compute counter never goes backwards while the job runs ({} samples)",
            sampled.as_ref().map_or(0, |(s, _)| s.len())
        ),
    );
    tap.ok(
        compute >= 250_000_000 && compute <= wall,
        format_args!(
            "a 300 ms compute job adds about its time to drm-engine-compute: {compute} ns \
             (at least 250 ms, at most the {wall} ns from submit to the wait's return)"
        ),
    );
    let after = (engines(&busy), engines(&idle));
    tap.ok(
        after.0 .0 == Some(0) && after.1 == (Some(0), Some(0)),
        format_args!("the render counter and the idle client's counters did not move ({after:?})"),
    );

    // A render job on the same client: the render counter moves, compute stays.
    let render = busy.put_vdm(&[(op::DELAY, 0, 0, 100_000)]);
    let r = (|| {
        let so = busy.dev.syncobj_create(0)?;
        let cmd = with_geometry(gpu::render_cmd(render, 0xffff, 0xffff), &FULL_HD);
        busy.dev.submit(busy.queue, &[], &[gpu::sync(so)], &cmd)?;
        gpu::wait(&busy.dev, so)?;
        Ok::<_, std::io::Error>(engines(&busy))
    })();
    tap.ok(
        matches!(r, Ok((Some(rn), Some(c))) if rn >= 80_000_000 && c == compute)
            && engines(&idle) == (Some(0), Some(0)),
        format_args!(
            "a 100 ms render job moves drm-engine-render only ({r:?}; compute was {compute})"
        ),
    );

    // Destroying the queue (its work done) takes nothing back.
    let before = engines(&busy);
    let destroyed = busy.dev.queue_destroy(&drm_asahi_queue_destroy {
        queue_id: busy.queue,
        ..Default::default()
    });
    let now = engines(&busy);
    tap.ok(
        destroyed.is_ok() && now == before && now.0.is_some_and(|x| x > 0),
        format_args!("the counters stay after QUEUE_DESTROY ({before:?} -> {now:?})"),
    );

    // Memory: the contexts' two 1 MiB buffers, then a 4 MiB object on the idle client only.
    let total = |c: &Ctx| memory(&fdinfo(c), "total");
    let resident = |c: &Ctx| memory(&fdinfo(c), "resident");
    let shared = |c: &Ctx| memory(&fdinfo(c), "shared");
    let base = (total(&busy), resident(&idle), total(&idle));
    tap.ok(
        base.0 == Some(2 << 20) && base.1 == Some(2 << 20) && base.2 == Some(2 << 20),
        format_args!("drm-total/resident-memory count the contexts' 2 MiB ({base:?})"),
    );
    let mut c = drm_asahi_gem_create {
        size: 4 << 20,
        ..Default::default()
    };
    let created = idle.dev.gem_create(&mut c);
    let grown = (total(&idle), resident(&idle), total(&busy));
    tap.ok(
        created.is_ok() && grown == (Some(6 << 20), Some(6 << 20), Some(2 << 20)),
        format_args!(
            "GEM_CREATE of 4 MiB grows that client's total and resident memory only \
             ({grown:?})"
        ),
    );
    let exported = idle.dev.prime_handle_to_fd(c.handle, 0);
    let sh = shared(&idle);
    tap.ok(
        exported.is_ok() && sh == Some(4 << 20),
        format_args!("a PRIME-exported object counts as drm-shared-memory ({sh:?})"),
    );
    drop(exported);
    let closed = idle.dev.gem_close(c.handle);
    let back = (total(&idle), resident(&idle), shared(&idle));
    tap.ok(
        closed.is_ok() && back == (Some(2 << 20), Some(2 << 20), Some(0)),
        format_args!("GEM_CLOSE gives it back ({back:?})"),
    );
    tap.finish();
}
