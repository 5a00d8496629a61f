//! Buffer objects: GEM_CREATE, GEM_MMAP_OFFSET, CPU mappings, PRIME export and import, and the
//! invalid inputs of each with their errno; memory-cgroup charging of their pages. (The ways of
//! mapping an object are in `gem_mmap`.)

use asahi_guest_tests::{errno, gpu, Tap};
use asahi_uapi::{bindings::*, Device, DRM_CLOEXEC, DRM_RDWR};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, FromRawFd};

const EINVAL: i32 = libc::EINVAL;
const ENOENT: i32 = libc::ENOENT;
const PAGE: usize = 0x4000;

/// A byte pattern that differs per page and per position.
fn pattern(i: usize) -> u8 {
    (i as u8).wrapping_mul(31) ^ (i / PAGE) as u8
}

fn main() {
    let mut tap = Tap::new();
    let dev = tap.require(Device::open_render_asahi(), "open the asahi render node");

    // Create and map: size rounds up to 16 KiB, memory starts zeroed, writes read back.
    let h = gpu::create_bo_with(&dev, 1, 0, 0);
    tap.check(h.as_ref().map(drop), "GEM_CREATE of 1 byte");
    let h = h.unwrap_or(0);
    let off = gpu::mmap_offset(&dev, h);
    tap.check(off.as_ref().map(drop), "GEM_MMAP_OFFSET");
    let off = off.unwrap_or(0);
    let map = dev.mmap(off, PAGE);
    tap.check(
        map.as_ref().map(drop),
        "mmap of the whole rounded-up 16 KiB",
    );
    let mut buf = vec![0xffu8; PAGE];
    if let Ok(m) = &map {
        m.read(0, &mut buf);
    }
    tap.ok(buf.iter().all(|b| *b == 0), "a new object reads as zeroes");
    tap.ok(
        errno(dev.mmap(off, 2 * PAGE)) == Some(EINVAL),
        "mmap beyond the object's size -> EINVAL",
    );

    // A 4 MiB WRITEBACK object: every page written through one mapping, read through another.
    const BIG: usize = 4 << 20;
    let big = gpu::create_bo_with(&dev, BIG as u64, DRM_ASAHI_GEM_WRITEBACK, 0);
    let ok = big.as_ref().ok().and_then(|&hb| {
        let off = gpu::mmap_offset(&dev, hb).ok()?;
        let a = dev.mmap(off, BIG).ok()?;
        let data: Vec<u8> = (0..BIG).map(pattern).collect();
        a.write(0, &data);
        let b = dev.mmap(off, BIG).ok()?;
        let mut back = vec![0u8; BIG];
        b.read(0, &mut back);
        Some(back == data)
    });
    tap.ok(
        ok == Some(true),
        "4 MiB WRITEBACK object: all pages round-trip between two mappings",
    );

    // Invalid inputs.
    let mut a = drm_asahi_gem_create {
        size: PAGE as u64,
        pad: 1,
        ..Default::default()
    };
    tap.ok(
        errno(dev.gem_create(&mut a)) == Some(EINVAL) && a.handle == 0,
        "GEM_CREATE pad != 0 -> EINVAL",
    );
    tap.ok(
        errno(gpu::create_bo_with(&dev, PAGE as u64, 1 << 2, 0)) == Some(EINVAL),
        "GEM_CREATE unknown flag -> EINVAL",
    );
    tap.ok(
        errno(gpu::create_bo_with(&dev, 0, 0, 0)) == Some(EINVAL),
        "GEM_CREATE size 0 -> EINVAL",
    );
    tap.ok(
        errno(gpu::create_bo_with(&dev, u64::MAX, 0, 0)) == Some(EINVAL),
        "GEM_CREATE size u64::MAX -> EINVAL",
    );
    tap.ok(
        errno(gpu::create_bo_with(&dev, PAGE as u64, 0, 1)) == Some(EINVAL),
        "GEM_CREATE vm_id without VM_PRIVATE -> EINVAL",
    );
    tap.ok(
        errno(gpu::create_bo_with(
            &dev,
            PAGE as u64,
            DRM_ASAHI_GEM_VM_PRIVATE,
            77,
        )) == Some(ENOENT),
        "GEM_CREATE VM_PRIVATE on an unknown VM -> ENOENT",
    );
    let mut a = drm_asahi_gem_mmap_offset {
        handle: h,
        flags: 1,
        ..Default::default()
    };
    tap.ok(
        errno(dev.gem_mmap_offset(&mut a)) == Some(EINVAL),
        "GEM_MMAP_OFFSET flags != 0 -> EINVAL",
    );
    tap.ok(
        errno(gpu::mmap_offset(&dev, 0xdead)) == Some(ENOENT),
        "GEM_MMAP_OFFSET unknown handle -> ENOENT",
    );

    // VM-private objects exist only in their VM's world: no export.
    let p = dev.get_params(0).unwrap_or_default();
    let mut vc = drm_asahi_vm_create {
        kernel_start: p.vm_end - (32u64 << 30),
        kernel_end: p.vm_end,
        ..Default::default()
    };
    let vm = dev.vm_create(&mut vc).map(|_| vc.vm_id);
    let private = vm
        .as_ref()
        .ok()
        .map(|&v| gpu::create_bo_with(&dev, PAGE as u64, DRM_ASAHI_GEM_VM_PRIVATE, v));
    tap.ok(
        matches!(private, Some(Ok(_))),
        "GEM_CREATE VM_PRIVATE in an existing VM",
    );
    let private = private.and_then(Result::ok).unwrap_or(0);
    tap.ok(
        errno(dev.prime_handle_to_fd(private, DRM_CLOEXEC | DRM_RDWR)) == Some(EINVAL),
        "PRIME export of a VM_PRIVATE object -> EINVAL",
    );

    // PRIME: another open file imports a shared object and sees the same memory.
    let shared = gpu::create_bo_with(&dev, PAGE as u64, 0, 0).unwrap_or(0);
    let fd = dev.prime_handle_to_fd(shared, DRM_CLOEXEC | DRM_RDWR);
    tap.check(fd.as_ref().map(drop), "PRIME export of a shared object");
    let other = Device::open_render_asahi();
    let shared_ok = match (&fd, &other) {
        (Ok(fd), Ok(other)) => (|| -> io::Result<bool> {
            let h2 = other.prime_fd_to_handle(fd.as_fd())?;
            let m1 = dev.mmap(gpu::mmap_offset(&dev, shared)?, PAGE)?;
            m1.write(100, b"asahi");
            let m2 = other.mmap(gpu::mmap_offset(other, h2)?, PAGE)?;
            let mut b = [0u8; 5];
            m2.read(100, &mut b);
            Ok(&b == b"asahi")
        })()
        .unwrap_or(false),
        _ => false,
    };
    tap.ok(
        shared_ok,
        "PRIME import in another file: writes through one file read back in the other",
    );
    let reimport = fd
        .as_ref()
        .ok()
        .and_then(|fd| dev.prime_fd_to_handle(fd.as_fd()).ok());
    tap.ok(
        reimport == Some(shared),
        "re-importing into the exporting file gives the same handle",
    );

    // Closing the handle keeps existing mappings valid; the handle is gone.
    let closed = dev.gem_close(h);
    tap.check(closed, "GEM_CLOSE");
    tap.ok(
        errno(gpu::mmap_offset(&dev, h)) == Some(ENOENT),
        "GEM_MMAP_OFFSET after GEM_CLOSE -> ENOENT",
    );
    if let Ok(m) = &map {
        m.write(0, &[1, 2, 3]);
        let mut b = [0u8; 3];
        m.read(0, &mut b);
        tap.ok(b == [1, 2, 3], "a mapping outlives its handle");
    } else {
        tap.ok(false, "a mapping outlives its handle # no mapping");
    }
    tap.ok(
        errno(dev.gem_close(h)) == Some(EINVAL),
        "GEM_CLOSE twice -> EINVAL",
    );
    memcg(&mut tap);
    tap.finish();
}

/// The cgroup v2 hierarchy (mounted by the guest's init).
const CGROUP_ROOT: &str = "/sys/fs/cgroup";
/// The child cgroup's `memory.max`.
const LIMIT: u64 = 32 << 20;
/// The object created inside it.
const CHARGED: u64 = 16 << 20;
/// What `memory.current` may differ by from the objects' sizes: per-CPU charge batches (64 CPU
/// pages each), the page list, the process's own small allocations.
const SLACK: u64 = 3 << 20;

fn read_u64(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The value of `key` in a flat-keyed cgroup file such as `memory.events`.
fn event(cg: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("{cg}/memory.events")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(' ')?.parse().ok())
}

/// GEM memory is charged to the memory cgroup of the process that creates it: `memory.current`
/// grows by the object's size and drops at its close, and an object past `memory.max` fails with
/// ENOMEM, without an OOM kill, leaving nothing charged. The checks run in a child process moved
/// into a fresh cgroup (so nothing else's memory counts), which reports them through a pipe.
fn memcg(tap: &mut Tap) {
    let cg = format!("{CGROUP_ROOT}/asahi-gem-test");
    let setup = (|| -> io::Result<()> {
        let controllers = std::fs::read_to_string(format!("{CGROUP_ROOT}/cgroup.controllers"))?;
        if !controllers.split_whitespace().any(|c| c == "memory") {
            return Err(io::Error::other(format!(
                "no memory controller: {controllers:?}"
            )));
        }
        std::fs::write(format!("{CGROUP_ROOT}/cgroup.subtree_control"), "+memory")?;
        match std::fs::create_dir(&cg) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
            _ => {}
        }
        std::fs::write(format!("{cg}/memory.max"), LIMIT.to_string())
    })();
    tap.check(
        setup.as_ref().map(drop),
        format_args!("a memory cgroup with memory.max = {} MiB", LIMIT >> 20),
    );
    if setup.is_err() {
        return;
    }
    let mut fds = [-1; 2];
    // SAFETY: `fds` is a valid two-element array.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        tap.ok(false, "memcg: a pipe");
        return;
    }
    // SAFETY: The program is single-threaded, so the child may run arbitrary code.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: Our end of the pipe, owned by the child from here on.
        let mut out = unsafe { std::fs::File::from_raw_fd(fds[1]) };
        let report = |out: &mut std::fs::File, ok: bool, what: String| {
            let _ = writeln!(out, "{}\t{what}", u8::from(ok));
        };
        in_cgroup(&cg, &mut out, report);
        // SAFETY: Ends the child without running the parent's exit handlers.
        unsafe { libc::_exit(0) }
    }
    // SAFETY: The child's end, not used by the parent.
    unsafe { libc::close(fds[1]) };
    // SAFETY: Our end of the pipe.
    let mut inp = unsafe { std::fs::File::from_raw_fd(fds[0]) };
    let mut text = String::new();
    let _ = inp.read_to_string(&mut text);
    let mut status = 0;
    // SAFETY: `pid` is our child (or -1, and waitpid fails).
    let reaped = unsafe { libc::waitpid(pid, &mut status, 0) } == pid;
    let mut reported = 0;
    for line in text.lines() {
        if let Some((ok, what)) = line.split_once('\t') {
            tap.ok(ok == "1", what);
            reported += 1;
        }
    }
    tap.ok(
        reaped && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 && reported >= 6,
        format_args!(
            "the process in the cgroup ran to its end, not OOM-killed (status {status:#x}, {reported} checks)"
        ),
    );
    let after = read_u64(&format!("{cg}/memory.current"));
    tap.ok(
        after.is_some_and(|c| c < SLACK),
        format_args!("nothing stays charged after the process exits: memory.current {after:?}"),
    );
    tap.ok(
        event(&cg, "oom_kill") == Some(0),
        format_args!("memory.events oom_kill is 0 ({:?})", event(&cg, "oom_kill")),
    );
    tap.check(std::fs::remove_dir(&cg), "the cgroup is removed");
}

/// The child's half of [`memcg`]: joins `cg`, then creates and closes objects there.
fn in_cgroup(cg: &str, out: &mut std::fs::File, report: impl Fn(&mut std::fs::File, bool, String)) {
    // SAFETY: `getpid` has no preconditions.
    let me = unsafe { libc::getpid() };
    let joined = std::fs::write(format!("{cg}/cgroup.procs"), me.to_string());
    report(
        out,
        joined.is_ok(),
        format!("move the process into the cgroup: {joined:?}"),
    );
    let Ok(dev) = Device::open_render_asahi() else {
        report(out, false, "open the render node in the cgroup".into());
        return;
    };
    let current = || read_u64(&format!("{cg}/memory.current")).unwrap_or(0);
    let near = |got: u64, want: u64| got + SLACK >= want && got <= want + SLACK;

    let c0 = current();
    let h = gpu::create_bo_with(&dev, CHARGED, 0, 0);
    let c1 = current();
    report(
        out,
        h.is_ok() && near(c1.saturating_sub(c0), CHARGED),
        format!(
            "GEM_CREATE of {} MiB charges about that much: memory.current {c0} -> {c1} ({h:?})",
            CHARGED >> 20
        ),
    );
    let closed = h.as_ref().map(|&h| dev.gem_close(h));
    let c2 = current();
    report(
        out,
        matches!(closed, Ok(Ok(()))) && near(c1.saturating_sub(c2), CHARGED),
        format!("GEM_CLOSE uncharges it: memory.current {c1} -> {c2}"),
    );

    // Past the limit: refused, nothing kept, the process alive (it reports this).
    let max_before = event(cg, "max").unwrap_or(0);
    let big = gpu::create_bo_with(&dev, 2 * LIMIT, 0, 0);
    let c3 = current();
    report(
        out,
        errno(big) == Some(libc::ENOMEM),
        format!(
            "GEM_CREATE of {} MiB in a {} MiB cgroup -> ENOMEM",
            (2 * LIMIT) >> 20,
            LIMIT >> 20
        ),
    );
    let max_after = event(cg, "max").unwrap_or(0);
    report(
        out,
        max_after > max_before,
        format!(
            "the cgroup's limit is what refused it: memory.events max {max_before} -> {max_after}"
        ),
    );
    report(
        out,
        c3 <= c0 + SLACK,
        format!("the refused object's pages are uncharged: memory.current {c0} -> {c3}"),
    );

    // Objects add up: a second one that would cross the limit is refused; the first still works.
    let first = gpu::create_bo_with(&dev, LIMIT - CHARGED / 2, 0, 0);
    let second = gpu::create_bo_with(&dev, CHARGED, 0, 0);
    report(
        out,
        first.is_ok() && errno(second) == Some(libc::ENOMEM),
        format!(
            "{} MiB then {} MiB in a {} MiB cgroup: the second -> ENOMEM ({first:?})",
            (LIMIT - CHARGED / 2) >> 20,
            CHARGED >> 20,
            LIMIT >> 20
        ),
    );
    let usable = first.as_ref().ok().and_then(|&h| {
        let m = dev.mmap(gpu::mmap_offset(&dev, h).ok()?, PAGE).ok()?;
        m.write(0, b"still here");
        let mut b = [0u8; 10];
        m.read(0, &mut b);
        Some(&b == b"still here")
    });
    report(
        out,
        usable == Some(true),
        "the object created under the limit still maps and holds data".into(),
    );
}
