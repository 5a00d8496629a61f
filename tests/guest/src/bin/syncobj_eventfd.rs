//! `DRM_IOCTL_SYNCOBJ_EVENTFD` on syncobjs signalled by real jobs, as Wayland compositors use it
//! for explicit sync: an eventfd becomes readable when a binary syncobj's fence signals, when a
//! timeline point signals, or (`WAIT_AVAILABLE`) as soon as a fence for the point exists.

use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA};
use asahi_guest_tests::Tap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// `struct drm_syncobj_eventfd` (include/uapi/drm/drm.h).
#[repr(C)]
struct SyncobjEventfd {
    handle: u32,
    flags: u32,
    point: u64,
    fd: i32,
    pad: u32,
}
/// `DRM_IOCTL_SYNCOBJ_EVENTFD` = `DRM_IOWR(0xCF, struct drm_syncobj_eventfd)`.
const DRM_IOCTL_SYNCOBJ_EVENTFD: libc::c_ulong = 0xc018_64cf;
/// `DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE`.
const WAIT_AVAILABLE: u32 = 1 << 2;

fn eventfd() -> std::io::Result<OwnedFd> {
    // SAFETY: Plain syscall; the returned fd is ours.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: As above.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn register(ctx: &Ctx, handle: u32, point: u64, flags: u32, efd: &OwnedFd) -> std::io::Result<()> {
    let mut a = SyncobjEventfd {
        handle,
        flags,
        point,
        fd: efd.as_raw_fd(),
        pad: 0,
    };
    // SAFETY: `a` is a valid argument for the ioctl.
    let r = unsafe { libc::ioctl(ctx.dev.as_raw_fd(), DRM_IOCTL_SYNCOBJ_EVENTFD, &mut a) };
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Whether the eventfd becomes readable within `ms` milliseconds; reads (resets) it if so.
fn fires(efd: &OwnedFd, ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd: efd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: One valid pollfd.
    let n = unsafe { libc::poll(&mut p, 1, ms) };
    if n != 1 {
        return false;
    }
    let mut v = 0u64;
    // SAFETY: Reads the 8-byte counter into `v`.
    unsafe { libc::read(efd.as_raw_fd(), (&raw mut v).cast(), 8) == 8 && v > 0 }
}

fn main() {
    let mut tap = Tap::new();
    let Ok(mut ctx) = Ctx::new() else {
        tap.ok(false, "context");
        tap.finish();
    };
    // A job of about half a second, so "not yet" can be checked before it completes.
    let slow = ctx.put_stream(&[
        (op::DELAY, 0, 0, 100_000),
        (op::DELAY, 0, 0, 100_000),
        (op::DELAY, 0, 0, 100_000),
        (op::DELAY, 0, 0, 100_000),
        (op::WRITE32, DATA_VA, 0xe1, 0),
    ]);

    // Binary syncobj: registered before the job exists, fires when its fence signals.
    let r = (|| {
        let so = ctx.dev.syncobj_create(0)?;
        let efd = eventfd()?;
        ctx.compute(slow, &[], &[gpu::sync(so)])?;
        register(&ctx, so, 0, 0, &efd)?;
        let early = fires(&efd, 0);
        let late = fires(&efd, 10_000);
        Ok::<_, std::io::Error>((early, late, gpu::fence_status(&ctx.dev, so)?))
    })();
    tap.ok(
        matches!(r, Ok((false, true, 1))) && ctx.read_u32(0) == 0xe1,
        format_args!(
            "binary syncobj: the eventfd fires when the job completes, not before ({r:?})"
        ),
    );

    // Timeline point registered before any job: WAIT_AVAILABLE fires at submit, the plain one
    // at completion; a later point does not fire.
    let r = (|| {
        let so = ctx.dev.syncobj_create(0)?;
        let (avail, signalled, later) = (eventfd()?, eventfd()?, eventfd()?);
        register(&ctx, so, 5, WAIT_AVAILABLE, &avail)?;
        register(&ctx, so, 5, 0, &signalled)?;
        register(&ctx, so, 6, 0, &later)?;
        let before = fires(&avail, 0) || fires(&signalled, 0);
        ctx.compute(slow, &[], &[gpu::timeline(so, 5)])?;
        let available = fires(&avail, 5_000);
        let not_yet = !fires(&signalled, 0);
        let done = fires(&signalled, 10_000);
        let later_quiet = !fires(&later, 200);
        Ok::<_, std::io::Error>((before, available, not_yet, done, later_quiet))
    })();
    tap.ok(
        matches!(r, Ok((false, true, true, true, true))),
        format_args!(
            "timeline point: WAIT_AVAILABLE fires at submit, the signal at completion, a later \
             point stays quiet (before, available, not yet, done, later quiet: {r:?})"
        ),
    );

    // Bad input: an unknown handle, unknown flags, a non-eventfd fd.
    let efd = eventfd();
    let so = ctx.dev.syncobj_create(0);
    let (Ok(efd), Ok(so)) = (efd, so) else {
        tap.ok(false, "eventfd and syncobj");
        tap.finish();
    };
    let bad_handle = register(&ctx, 0xdead, 0, 0, &efd).map_err(|e| e.raw_os_error());
    let bad_flags = register(&ctx, so, 0, 0x80, &efd).map_err(|e| e.raw_os_error());
    let not_efd = ctx
        .dev
        .syncobj_handle_to_fd(so, 0)
        .and_then(|f| register(&ctx, so, 0, 0, &f))
        .map_err(|e| e.raw_os_error());
    tap.ok(
        bad_handle == Err(Some(libc::ENOENT))
            && bad_flags == Err(Some(libc::EINVAL))
            && not_efd.is_err(),
        format_args!(
            "refused: unknown handle ({bad_handle:?}), unknown flags ({bad_flags:?}), an fd \
             that is no eventfd ({not_efd:?})"
        ),
    );
    tap.finish();
}
