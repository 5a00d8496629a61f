//! Fences of one queue signal in seqno order, whoever submits.
//!
//! Several threads submit to one queue at once. The driver must number each job's fence in the
//! order the jobs will complete: `dma_fence` consumers rely on it (a sync_file merge of two
//! fences of one timeline keeps only the later by seqno, as do reservation objects). This test
//! checks it the way userspace sees it: two sync files of one queue merged while pending keep
//! one fence, the later by seqno, which must be the one that signals last.

use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA};
use asahi_guest_tests::Tap;
use asahi_uapi::*;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

const THREADS: usize = 3;
const JOBS: usize = 6;
const ROUNDS: usize = 8;

/// `struct sync_merge_data` (include/uapi/linux/sync_file.h).
#[repr(C)]
struct MergeData {
    name: [u8; 32],
    fd2: i32,
    fence: i32,
    flags: u32,
    pad: u32,
}
/// `SYNC_IOC_MERGE` = `_IOWR('>', 3, struct sync_merge_data)`.
const SYNC_IOC_MERGE: libc::c_ulong = 0xc030_3e03;

fn merge(a: BorrowedFd<'_>, b: BorrowedFd<'_>) -> std::io::Result<OwnedFd> {
    let mut m = MergeData {
        name: [0; 32],
        fd2: b.as_raw_fd(),
        fence: -1,
        flags: 0,
        pad: 0,
    };
    // SAFETY: `m` is a valid `sync_merge_data` for the ioctl.
    let r = unsafe { libc::ioctl(a.as_raw_fd(), SYNC_IOC_MERGE, &mut m) };
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: The kernel returned a new fd, which we own.
    Ok(unsafe { OwnedFd::from_raw_fd(m.fence) })
}

/// The fences of a sync file: (count, signal time of the first).
fn fences(fd: BorrowedFd<'_>) -> std::io::Result<(u32, u64)> {
    let (_, f) = gpu::sync_file_fences(fd, 2)?;
    // CAST: at most 2.
    Ok((f.len() as u32, f.first().map_or(0, |f| f.timestamp_ns)))
}

fn main() {
    let mut tap = Tap::new();
    let Ok(mut ctx) = Ctx::new() else {
        tap.ok(false, "context");
        tap.finish();
    };
    let Ok(q2) = ctx.add_queue() else {
        tap.ok(false, "second queue");
        tap.finish();
    };
    // The gate: a job on another queue that every test job waits for, so that all of a round's
    // fences are still pending when they are merged (a merge of signalled fences says nothing).
    let gate = ctx.put_stream(&[(op::DELAY, 0, 0, 100_000); 12]);
    // Streams of different lengths, so submits take different paths through the driver.
    let short = ctx.put_stream(&[(op::WRITE32, DATA_VA, 1, 0)]);
    let long = ctx.put_stream(&[(op::DELAY, 0, 0, 300), (op::WRITE32, DATA_VA + 4, 1, 0)]);
    let (mut checked, mut skipped, mut inversions) = (0usize, 0usize, 0usize);
    let mut first = None;
    let mut errors = Vec::new();
    for round in 0..ROUNDS {
        let dev = &ctx.dev;
        let queue = ctx.queue;
        let gate_so = match dev.syncobj_create(0).and_then(|so| {
            dev.submit(q2, &[], &[gpu::sync(so)], &gpu::compute_cmd(gate))
                .map(|()| so)
        }) {
            Ok(so) => so,
            Err(e) => {
                errors.push(format!("round {round}: gate: {e}"));
                break;
            }
        };
        let results: Vec<std::io::Result<OwnedFd>> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..THREADS)
                .map(|t| {
                    s.spawn(move || {
                        (0..JOBS)
                            .map(|i| {
                                let so = dev.syncobj_create(0)?;
                                let va = if (i + t) % 3 == 0 { long } else { short };
                                let cmd = gpu::compute_cmd(va);
                                dev.submit(queue, &[gpu::sync(gate_so)], &[gpu::sync(so)], &cmd)?;
                                let fd = dev.syncobj_handle_to_fd(
                                    so,
                                    DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
                                );
                                let _ = dev.syncobj_destroy(so);
                                fd
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            threads
                .into_iter()
                .flat_map(|t| t.join().unwrap_or_default())
                .collect()
        });
        let mut files = Vec::new();
        for r in results {
            match r {
                Ok(fd) => files.push(fd),
                Err(e) => errors.push(format!("round {round}: {e}")),
            }
        }
        // Every pair, merged while both are pending: the merge keeps the higher seqno.
        let mut merged = Vec::new();
        for i in 0..files.len() {
            for j in i + 1..files.len() {
                match merge(files[i].as_fd(), files[j].as_fd()) {
                    Ok(m) if matches!(gpu::sync_file_info(m.as_fd(), false), Ok((0, _))) => {
                        merged.push((i, j, m))
                    }
                    Ok(_) => skipped += 1,
                    Err(e) => errors.push(format!("round {round}: merge: {e}")),
                }
            }
        }
        let done = gpu::poll_until(20_000, || {
            files
                .iter()
                .all(|f| matches!(gpu::sync_file_info(f.as_fd(), true), Ok((1, _))))
        });
        if !done {
            errors.push(format!(
                "round {round}: not every job completed successfully"
            ));
            continue;
        }
        let times: Vec<u64> = files
            .iter()
            .map(|f| fences(f.as_fd()).map(|(_, t)| t).unwrap_or(0))
            .collect();
        for (i, j, m) in merged {
            let (ti, tj) = (times[i], times[j]);
            if ti == tj {
                skipped += 1;
                continue;
            }
            checked += 1;
            match fences(m.as_fd()) {
                Ok((1, kept)) if kept == ti.max(tj) => {}
                other => {
                    inversions += 1;
                    first.get_or_insert(format!("{ti} and {tj}: the merge kept {other:?}"));
                }
            }
        }
    }
    tap.ok(
        errors.is_empty(),
        format_args!("{ROUNDS} rounds of {THREADS} threads submitting {JOBS} jobs each to one queue ({errors:?})"),
    );
    tap.ok(
        inversions == 0 && checked > skipped,
        format_args!(
            "of two fences of one queue, the later seqno is the later completion \
             ({checked} pairs checked, {skipped} skipped, {inversions} inversions, first {first:?})"
        ),
    );
    tap.finish();
}
