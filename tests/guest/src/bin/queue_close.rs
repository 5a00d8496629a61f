//! Closing a queue or a file lets submitted work finish; only a killed process loses its
//! backlog.
//!
//! What users expect from drm_sched drivers: a client may submit, export a sync_file, destroy
//! the queue or close the device or exit, and the work still runs and signals success. A
//! process killed with SIGKILL has its pending work cancelled (ECANCELED), so a dead client's
//! backlog does not keep the GPU busy.

use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA};
use asahi_guest_tests::Tap;
use asahi_uapi::*;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// A slow job's stream: about half a second, then a write.
fn slow_ops(value: u64) -> Vec<(u32, u64, u64, u64)> {
    let mut v = vec![(op::DELAY, 0, 0, 100_000); 5];
    v.push((op::WRITE32, DATA_VA, value, 0));
    v
}

/// Submits `ops` on `ctx`'s queue and exports the job's fence as a sync file.
fn submit_exported(ctx: &mut Ctx, ops: &[(u32, u64, u64, u64)]) -> std::io::Result<OwnedFd> {
    let s = ctx.put_stream(ops);
    let so = ctx.dev.syncobj_create(0)?;
    ctx.compute(s, &[], &[gpu::sync(so)])?;
    ctx.dev
        .syncobj_handle_to_fd(so, DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE)
}

/// The sync file's status once it signals (1 success, negative errno), waiting up to 10 s.
fn final_status(fd: BorrowedFd<'_>) -> Option<i32> {
    let mut st = None;
    gpu::poll_until(10_000, || {
        let r = gpu::sync_file_info(fd, true);
        if let Err(e) = &r {
            println!("# sync file info: {e}");
        }
        st = r.ok().map(|(s, _)| s);
        st.is_some_and(|s| s != 0)
    });
    st
}

/// A pipe: (read end, write end).
fn pipe() -> Option<(OwnedFd, OwnedFd)> {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` has room for the two fds `pipe` returns, which we then own.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: As above.
    Some(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn write_i32(fd: BorrowedFd<'_>, v: i32) -> bool {
    // SAFETY: Writes 4 bytes from a valid buffer.
    unsafe { libc::write(fd.as_raw_fd(), (&raw const v).cast(), 4) == 4 }
}

fn read_i32(fd: BorrowedFd<'_>) -> Option<i32> {
    let mut v = 0i32;
    // SAFETY: Reads 4 bytes into a valid buffer.
    (unsafe { libc::read(fd.as_raw_fd(), (&raw mut v).cast(), 4) } == 4).then_some(v)
}

/// Takes a copy of the child `pid`'s fd number `fd` (pidfd_getfd(2): the test kernels have no
/// Unix sockets to pass it with SCM_RIGHTS).
fn take_fd(pid: i32, fd: i32) -> Option<OwnedFd> {
    // SAFETY: Plain syscalls; a returned fd is ours.
    unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, pid, 0);
        if pidfd < 0 {
            println!("# pidfd_open: {}", std::io::Error::last_os_error());
            return None;
        }
        let pidfd = OwnedFd::from_raw_fd(pidfd as i32);
        let got = libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), fd, 0);
        if got < 0 {
            println!("# pidfd_getfd: {}", std::io::Error::last_os_error());
            return None;
        }
        Some(OwnedFd::from_raw_fd(got as i32))
    }
}

/// Forks a child that submits a slow job and a job behind it and shows the parent the second
/// one's sync file; then the child exits normally, or waits to be killed. Returns that sync
/// file's final status.
fn child_case(kill: bool) -> Option<i32> {
    let (to_parent_r, to_parent_w) = pipe()?;
    let (to_child_r, to_child_w) = pipe()?;
    // SAFETY: The test is single-threaded here; the child runs only this code and `_exit`s.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        drop((to_parent_r, to_child_w));
        let ok = (|| {
            let mut c = Ctx::new()
                .inspect_err(|e| println!("# child: context: {e}"))
                .ok()?;
            submit_exported(&mut c, &slow_ops(1))
                .inspect_err(|e| println!("# child: submit: {e}"))
                .ok()?;
            let behind = submit_exported(&mut c, &[(op::WRITE32, DATA_VA + 4, 2, 0)])
                .inspect_err(|e| println!("# child: submit: {e}"))
                .ok()?;
            write_i32(to_parent_w.as_fd(), behind.as_raw_fd()).then_some(())?;
            // Wait until the parent holds its copy.
            read_i32(to_child_r.as_fd())?;
            if kill {
                // Wait to be killed with the work pending.
                // SAFETY: Plain libc call.
                unsafe { libc::pause() };
            }
            Some(())
        })()
        .is_some();
        // SAFETY: Ends the child without the parent's exit handlers.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) }
    }
    drop((to_parent_w, to_child_r));
    let fd = read_i32(to_parent_r.as_fd()).and_then(|n| take_fd(pid, n));
    write_i32(to_child_w.as_fd(), 1);
    if kill {
        // SAFETY: `pid` is our child.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is a valid out-pointer.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    final_status(fd?.as_fd())
}

fn main() {
    let mut tap = Tap::new();

    // QUEUE_DESTROY right after SUBMIT.
    let r = (|| {
        let mut c = Ctx::new().ok()?;
        let fd = submit_exported(&mut c, &slow_ops(0x11)).ok()?;
        c.dev
            .queue_destroy(&drm_asahi_queue_destroy {
                queue_id: c.queue,
                pad: 0,
            })
            .ok()?;
        let st = final_status(fd.as_fd());
        Some((st, c.read_u32(0)))
    })();
    tap.ok(
        r == Some((Some(1), 0x11)),
        format_args!("QUEUE_DESTROY after SUBMIT: the job still completes and writes ({r:?})"),
    );

    // Closing the device file (and the VM, the buffers) right after SUBMIT.
    let r = (|| {
        let mut c = Ctx::new().ok()?;
        let fd = submit_exported(&mut c, &slow_ops(0x22)).ok()?;
        drop(c);
        final_status(fd.as_fd())
    })();
    tap.ok(
        r == Some(1),
        format_args!("close of the device after SUBMIT: the job still completes ({r:?})"),
    );

    // A process submits, hands its sync file over and exits normally.
    let r = child_case(false);
    tap.ok(
        r == Some(1),
        format_args!("a process exits after SUBMIT: its jobs complete successfully ({r:?})"),
    );

    // A process killed with work pending: what had not run is cancelled.
    let r = child_case(true);
    tap.ok(
        r == Some(-libc::ECANCELED),
        format_args!("a process killed with work pending: its queued job is cancelled ({r:?})"),
    );
    tap.finish();
}
