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
use std::os::unix::net::UnixStream;

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

/// Sends `fd` over `sock` (SCM_RIGHTS).
fn send_fd(sock: &UnixStream, fd: BorrowedFd<'_>) -> bool {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    // SAFETY: CMSG_SPACE only computes a size.
    let space = unsafe { libc::CMSG_SPACE(size_of::<i32>() as u32) } as usize;
    let mut buf = vec![0u8; space];
    // SAFETY: `msghdr` is plain data; zeroed is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = buf.as_mut_ptr().cast();
    msg.msg_controllen = space as _;
    // SAFETY: `msg` has a control buffer of CMSG_SPACE(4) bytes, so the first header and its
    // data fit.
    unsafe {
        let c = libc::CMSG_FIRSTHDR(&msg);
        (*c).cmsg_level = libc::SOL_SOCKET;
        (*c).cmsg_type = libc::SCM_RIGHTS;
        (*c).cmsg_len = libc::CMSG_LEN(size_of::<i32>() as u32) as _;
        libc::CMSG_DATA(c).cast::<i32>().write_unaligned(fd.as_raw_fd());
        libc::sendmsg(sock.as_raw_fd(), &msg, 0) == 1
    }
}

/// Receives an fd sent by [`send_fd`].
fn recv_fd(sock: &UnixStream) -> Option<OwnedFd> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    // SAFETY: CMSG_SPACE only computes a size.
    let space = unsafe { libc::CMSG_SPACE(size_of::<i32>() as u32) } as usize;
    let mut buf = vec![0u8; space];
    // SAFETY: As in `send_fd`.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = buf.as_mut_ptr().cast();
    msg.msg_controllen = space as _;
    // SAFETY: `msg` describes valid buffers; a received SCM_RIGHTS fd is ours.
    unsafe {
        if libc::recvmsg(sock.as_raw_fd(), &mut msg, 0) != 1 {
            return None;
        }
        let c = libc::CMSG_FIRSTHDR(&msg);
        if c.is_null() || (*c).cmsg_type != libc::SCM_RIGHTS {
            return None;
        }
        Some(OwnedFd::from_raw_fd(libc::CMSG_DATA(c).cast::<i32>().read_unaligned()))
    }
}

/// Forks a child that submits a slow job and a job behind it, sends the second's sync file,
/// then either exits normally or waits to be killed. Returns that sync file's final status.
fn child_case(kill: bool) -> Option<i32> {
    let (parent, child) = UnixStream::pair().ok()?;
    // SAFETY: The test is single-threaded here; the child runs only this code and `_exit`s.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        drop(parent);
        let ok = (|| {
            let mut c = Ctx::new().inspect_err(|e| eprintln!("# child: context: {e}")).ok()?;
            submit_exported(&mut c, &slow_ops(1))
                .inspect_err(|e| eprintln!("# child: submit: {e}"))
                .ok()?;
            let behind = submit_exported(&mut c, &[(op::WRITE32, DATA_VA + 4, 2, 0)])
                .inspect_err(|e| eprintln!("# child: submit: {e}"))
                .ok()?;
            send_fd(&child, behind.as_fd())
                .then_some(())
                .or_else(|| {
                    eprintln!("# child: send: {}", std::io::Error::last_os_error());
                    None
                })?;
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
    drop(child);
    let fd = recv_fd(&parent);
    if fd.is_none() {
        println!("# parent: no fd received: {}", std::io::Error::last_os_error());
    }
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
