//! GEM_BIND_OBJECT: timestamp buffers the firmware writes job start and end times into, and the
//! invalid inputs of BIND and UNBIND with their errno.
//!
//! The firmware's timestamp window (64 MiB, 4096 GPU pages, shared by every client) is reused:
//! bind + unbind of one 16 KiB buffer far past 4096 times never runs out; bindings of several
//! sizes bound and unbound interleaved never fail while few are live, and jobs then write each
//! buffer's timestamps into that buffer and nowhere else; four bindings of 16 MiB fill the
//! window (a fifth page gets ENOSPC), and unbinding one makes room again.

use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA, PAGE};
use asahi_guest_tests::rng::Rng;
use asahi_guest_tests::{errno, Tap};
use asahi_uapi::bindings::*;
use std::io;

const EINVAL: i32 = libc::EINVAL;
const ENOSPC: i32 = libc::ENOSPC;
/// Bind + unbind cycles of one buffer: three times the window's 4096 pages (about 13 s under
/// TCG).
const CYCLES: usize = 3 * 4096;
/// GPU pages of the firmware's timestamp window.
const WINDOW_PAGES: u64 = 4096;
const ENOENT: i32 = libc::ENOENT;

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

/// Binds `pages` pages of object `handle` from page `first` as a timestamp buffer.
fn bind_pages(ctx: &Ctx, handle: u32, first: u64, pages: u64) -> io::Result<u32> {
    bind_object(ctx, |a| {
        a.handle = handle;
        a.offset = first * PAGE;
        a.range = pages * PAGE;
    })
}

/// A compute command for the stream at `va` writing its start time into `(obj, start)` and
/// its end time into `(obj, end)`.
fn ts_cmd(va: u64, obj: u32, start: u32, end: u32) -> Vec<u8> {
    let mut cmd = gpu::compute_cmd(va);
    for (at, off) in [(8 + 48, start), (8 + 56, end)] {
        cmd[at..at + 4].copy_from_slice(&obj.to_le_bytes());
        cmd[at + 4..at + 8].copy_from_slice(&off.to_le_bytes());
    }
    cmd
}

/// Runs one timestamped job per `(obj, start, end)` on the context's queue and waits for all.
fn run_ts_jobs(ctx: &mut Ctx, jobs: &[(u32, u32, u32)]) -> io::Result<()> {
    let s = ctx.put_stream(&[(op::DELAY, 0, 0, 100)]);
    let so = ctx.dev.syncobj_create(0)?;
    for (i, &(obj, start, end)) in jobs.iter().enumerate() {
        let outs = if i + 1 == jobs.len() {
            vec![gpu::sync(so)]
        } else {
            vec![]
        };
        ctx.dev
            .submit(ctx.queue, &[], &outs, &ts_cmd(s, obj, start, end))?;
    }
    gpu::wait(&ctx.dev, so)?;
    match gpu::fence_status(&ctx.dev, so)? {
        1 => Ok(()),
        e => Err(io::Error::from_raw_os_error(-e)),
    }
}

/// The window is reused: cycles, interleaved sizes with jobs writing into reused addresses,
/// and filling it exactly.
fn window_reuse(tap: &mut Tap, ctx: &mut Ctx) {
    // Bind + unbind of one 16 KiB buffer, far past the window's 4096 pages.
    let t0 = std::time::Instant::now();
    let mut failed = None;
    for i in 0..CYCLES {
        let r = bind_object(ctx, |_| {}).and_then(|h| unbind_object(ctx, |a| a.object_handle = h));
        if let Err(e) = r {
            failed = Some((i, e));
            break;
        }
    }
    tap.ok(
        failed.is_none(),
        format_args!(
            "{CYCLES} bind+unbind cycles of a 16K buffer ({} times the window) all succeed \
             ({:.1} s) {failed:?}",
            CYCLES as u64 / WINDOW_PAGES,
            t0.elapsed().as_secs_f64()
        ),
    );

    // Several sizes bound and unbound interleaved, from one 4 MiB object.
    let big_pages = 256u64;
    let Ok((big, big_map)) = gpu::gem(&ctx.dev, big_pages * PAGE) else {
        tap.ok(false, "a 4 MiB object for interleaved bindings");
        return;
    };
    let mut rng = Rng::new(0x7157_a3b5);
    let mut live: Vec<(u32, u64, u64)> = Vec::new(); // (object handle, first page, pages)
    let mut refused = Vec::new();
    let (mut binds, mut unbinds) = (0, 0);
    for _ in 0..3000 {
        if !live.is_empty() && (live.len() >= 24 || rng.chance(1, 2)) {
            let (h, _, _) = live.swap_remove(rng.index(live.len()).unwrap_or(0));
            if unbind_object(ctx, |a| a.object_handle = h).is_ok() {
                unbinds += 1;
            } else {
                refused.push(("unbind", h as u64));
            }
            continue;
        }
        let pages = *rng.pick(&[1u64, 1, 2, 3, 4, 8]).unwrap_or(&1);
        let first = rng.below(big_pages - pages + 1);
        match bind_pages(ctx, big, first, pages) {
            Ok(h) => {
                binds += 1;
                live.push((h, first, pages));
            }
            Err(e) => refused.push(("bind", e.raw_os_error().unwrap_or(0) as u64)),
        }
    }
    tap.ok(
        refused.is_empty() && binds > 1000,
        format_args!(
            "{binds} binds and {unbinds} unbinds of 1-8 page buffers interleaved, at most 24 \
             live: none refused {refused:?}"
        ),
    );
    // Jobs write into every live binding, at its first page's words 0 (start) and 1 (end)
    // plus a word chosen per binding in its last page: each lands in its own pages only.
    big_map.write(0, &vec![0u8; (big_pages * PAGE) as usize]);
    let jobs: Vec<(u32, u32, u32)> = live
        .iter()
        .enumerate()
        .map(|(i, &(h, _, pages))| {
            let end = ((pages - 1) * PAGE) as u32 + 16 + 8 * (i as u32 % 64);
            (h, 0, end)
        })
        .collect();
    let ran = run_ts_jobs(ctx, &jobs);
    let mut mem = vec![0u8; (big_pages * PAGE) as usize];
    big_map.read(0, &mut mem);
    let word = |at: u64| u64::from_le_bytes(mem[at as usize..at as usize + 8].try_into().unwrap());
    let mut want = std::collections::BTreeSet::new();
    for (&(_, first, _), &(_, start, end)) in live.iter().zip(&jobs) {
        want.insert(first * PAGE + u64::from(start));
        want.insert(first * PAGE + u64::from(end));
    }
    let written: std::collections::BTreeSet<u64> = (0..big_pages * PAGE / 8)
        .map(|w| w * 8)
        .filter(|&a| word(a) != 0)
        .collect();
    // (Overlapping bindings may share a word, so only check that each was written.)
    let stamps_sane = live.iter().zip(&jobs).all(|(&(_, first, _), &(_, s, e))| {
        word(first * PAGE + u64::from(s)) != 0 && word(first * PAGE + u64::from(e)) != 0
    });
    tap.ok(
        ran.is_ok() && written == want && stamps_sane,
        format_args!(
            "after the reuse, {} jobs wrote start and end times into their own bindings and \
             nowhere else ({ran:?}; {} words written, {} expected)",
            jobs.len(),
            written.len(),
            want.len()
        ),
    );
    for (h, _, _) in live.drain(..) {
        let _ = unbind_object(ctx, |a| a.object_handle = h);
    }

    // Four 16 MiB bindings fill the window; a fifth page does not fit; freeing one makes room.
    let quarter = WINDOW_PAGES / 4;
    let Ok((q, q_map)) = gpu::gem(&ctx.dev, quarter * PAGE) else {
        tap.ok(false, "a 16 MiB object to fill the window");
        return;
    };
    let quarters: Vec<io::Result<u32>> = (0..4).map(|_| bind_pages(ctx, q, 0, quarter)).collect();
    let all = quarters.iter().all(|r| r.is_ok());
    tap.ok(
        all,
        format_args!(
            "four 16 MiB bindings fill the window: {:?}",
            quarters
                .iter()
                .map(|r| r.as_ref().err())
                .collect::<Vec<_>>()
        ),
    );
    tap.ok(
        errno(bind_pages(ctx, q, 0, 1)) == Some(ENOSPC),
        "a fifth binding of one page, with the window full -> ENOSPC",
    );
    let handles: Vec<u32> = quarters.into_iter().filter_map(Result::ok).collect();
    let freed = handles
        .get(1)
        .is_some_and(|&h| unbind_object(ctx, |a| a.object_handle = h).is_ok());
    let again = bind_pages(ctx, q, 0, quarter);
    let wrote = again.as_ref().ok().map(|&h| {
        q_map.write(0, &[0u8; 16]);
        let r = run_ts_jobs(ctx, &[(h, 0, 8)]);
        let mut b = [0u8; 16];
        q_map.read(0, &mut b);
        r.is_ok() && b.iter().any(|&x| x != 0)
    });
    tap.ok(
        freed && wrote == Some(true),
        format_args!("after one unbind a 16 MiB binding fits again and a job writes its timestamps ({again:?})"),
    );
    for h in handles
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, h)| *h)
        .chain(again.ok())
    {
        let _ = unbind_object(ctx, |a| a.object_handle = h);
    }
}

fn main() {
    let mut tap = Tap::new();
    let mut ctx = tap.require(Ctx::new(), "context");
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
    window_reuse(&mut tap, &mut ctx);
    tap.finish();
}
