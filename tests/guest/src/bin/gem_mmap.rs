//! CPU mappings of buffer objects, tried every way userspace can map memory, as a hostile or
//! careless client would: `MAP_PRIVATE` (copy-on-write), read-only files, `PROT_EXEC`, offsets
//! and lengths past the object, `mremap`, `mprotect`, fork, partial `munmap`, `madvise`, kernel
//! copies through the mapping, debugger-style access, dma-buf mappings. Each case asserts the
//! exact outcome: refused with a given errno, or working with the right data.
//!
//! Copy-on-write mappings must be refused (`EINVAL`, as drm-shmem does): they used to be
//! accepted, and the first read of the page hit `BUG_ON` in `vmf_insert_pfn`. So those cases read
//! the page if the mapping is (wrongly) made, as the original report did.

use asahi_guest_tests::rawmap::{
    cpu_page, describe, exited_ok, in_child, last_errno, mapped, pipe, Map,
};
use asahi_guest_tests::{gpu, Tap};
use asahi_uapi::{Device, DRM_CLOEXEC, DRM_RDWR};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};

/// GPU page (the object granule).
const GPU: usize = 0x4000;
/// The test object: four GPU pages.
const OBJ: usize = 4 * GPU;

/// The pattern the object holds: differs per byte and per GPU page.
fn pattern(i: usize) -> u8 {
    (i as u8).wrapping_mul(13) ^ (i / GPU) as u8 ^ 0x5a
}

/// The object's pattern in a mapping.
trait Holds {
    /// Whether bytes `at..at + n` hold the object's pattern from object offset `obj_at`.
    fn holds(&self, at: usize, n: usize, obj_at: usize) -> bool;
}

impl Holds for Map {
    fn holds(&self, at: usize, n: usize, obj_at: usize) -> bool {
        self.read(at, n)
            .iter()
            .enumerate()
            .all(|(i, b)| *b == pattern(obj_at + i))
    }
}

/// Reports `r == want` where `want` is an errno, or a successful mapping checked by `check`.
fn expect_err<T>(tap: &mut Tap, r: Result<T, i32>, want: i32, what: &str) {
    let got = r.as_ref().err().copied();
    tap.ok(
        got == Some(want),
        format_args!("{what} -> errno {want} (got {got:?})"),
    );
}

const R: i32 = libc::PROT_READ;
const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;
const SHARED: i32 = libc::MAP_SHARED;
/// Why `madvise` cases skip on a kernel without the syscall (the tinyconfig test kernels).
const NO_MADVISE: &str = "the kernel lacks madvise (CONFIG_ADVISE_SYSCALLS)";
const PRIVATE: i32 = libc::MAP_PRIVATE;

/// Copy-on-write mappings: refused, through the DRM file (read-write and read-only) and the
/// dma-buf. A wrongly made mapping is read, as the original report did.
fn cow(tap: &mut Tap, fd: RawFd, off: u64, what: &str) {
    for (prot, p) in [(R, "PROT_READ"), (RW, "PROT_READ|PROT_WRITE")] {
        let r = Map::new(fd, off, GPU, prot, PRIVATE);
        if let Ok(m) = &r {
            let _ = m.read(0, 1);
        }
        expect_err(tap, r, libc::EINVAL, &format!("{what}: MAP_PRIVATE {p}"));
    }
    let r = Map::new(fd, off, GPU, R, PRIVATE | libc::MAP_POPULATE);
    expect_err(
        tap,
        r,
        libc::EINVAL,
        &format!("{what}: MAP_PRIVATE|MAP_POPULATE"),
    );
}

fn main() {
    let mut tap = Tap::new();
    let dev = tap.require(Device::open_render_asahi(), "open the asahi render node");
    let fd = dev.as_raw_fd();
    let cpu = cpu_page();
    tap.diag(format_args!("CPU page {cpu} bytes, GPU page {GPU}"));

    // The object, filled through a plain shared mapping.
    let h = gpu::create_bo(&dev, OBJ as u64).unwrap_or(0);
    let off = gpu::mmap_offset(&dev, h).unwrap_or(0);
    let main_map = Map::new(fd, off, OBJ, RW, SHARED);
    tap.ok(
        main_map.is_ok(),
        "MAP_SHARED read-write of the whole object",
    );
    let Ok(main_map) = main_map else {
        tap.finish();
    };
    let data: Vec<u8> = (0..OBJ).map(pattern).collect();
    main_map.write(0, &data);
    tap.ok(main_map.holds(0, OBJ, 0), "its writes read back");

    // --- Copy-on-write (the kernel BUG of the report) ---
    cow(&mut tap, fd, off, "DRM file");
    tap.ok(
        main_map.holds(0, OBJ, 0),
        "the object is unchanged after the refused private mappings",
    );
    kmsg_says_why(&mut tap, fd, off);

    // --- A read-only open of the render node, holding the object through PRIME ---
    read_only_file(&mut tap, &dev, h);

    // --- PROT_EXEC ---
    let x = Map::new(fd, off, OBJ, R | libc::PROT_EXEC, SHARED);
    tap.ok(
        x.as_ref().is_ok_and(|m| m.holds(0, OBJ, 0)),
        "MAP_SHARED PROT_READ|PROT_EXEC works and reads the object",
    );
    let x = Map::new(fd, off, OBJ, RW | libc::PROT_EXEC, SHARED);
    tap.ok(
        x.as_ref().is_ok_and(|m| m.holds(0, OBJ, 0)),
        "MAP_SHARED PROT_READ|PROT_WRITE|PROT_EXEC works and reads the object",
    );
    let r = Map::new(fd, off, GPU, R | libc::PROT_EXEC, PRIVATE);
    if let Ok(m) = &r {
        let _ = m.read(0, 1);
    }
    expect_err(&mut tap, r, libc::EINVAL, "MAP_PRIVATE PROT_READ|PROT_EXEC");

    // --- Offsets and lengths outside the object ---
    let outside: [(u64, usize, &str); 6] = [
        (off + OBJ as u64, GPU, "offset just past the object"),
        (off + cpu as u64, GPU, "offset one CPU page into the object"),
        (off + GPU as u64, GPU, "offset one GPU page into the object"),
        (off, OBJ + cpu, "length one CPU page past the object"),
        (off, 2 * OBJ, "length twice the object"),
        (0, GPU, "offset 0 (no object)"),
    ];
    for (o, len, what) in outside {
        let r = Map::new(fd, o, len, RW, SHARED);
        expect_err(&mut tap, r, libc::EINVAL, &format!("mmap at {what}"));
    }
    let part = Map::new(fd, off, GPU, RW, SHARED);
    tap.ok(
        part.as_ref().is_ok_and(|m| m.holds(0, GPU, 0)),
        "mmap of the first GPU page only works and reads it",
    );
    let r = Map::new(fd, off, 0, RW, SHARED);
    expect_err(&mut tap, r, libc::EINVAL, "mmap of length 0");
    let r = Map::new(fd, off, OBJ, RW, libc::MAP_SHARED_VALIDATE | libc::MAP_SYNC);
    expect_err(
        &mut tap,
        r,
        libc::EOPNOTSUPP,
        "MAP_SHARED_VALIDATE|MAP_SYNC",
    );
    let pop = Map::new(fd, off, OBJ, RW, SHARED | libc::MAP_POPULATE);
    tap.ok(
        pop.as_ref().is_ok_and(|m| m.holds(0, OBJ, 0)),
        "MAP_SHARED|MAP_POPULATE works and reads the object",
    );
    drop((part, pop));

    // Another file's object, never shared with this file.
    let other = Device::open_render_asahi();
    let foreign = other.as_ref().ok().and_then(|o| {
        let h = gpu::create_bo(o, GPU as u64).ok()?;
        gpu::mmap_offset(o, h).ok()
    });
    match foreign {
        Some(o) => {
            let r = Map::new(fd, o, GPU, RW, SHARED);
            expect_err(
                &mut tap,
                r,
                libc::EACCES,
                "mmap of another file's object offset",
            );
        }
        None => tap.ok(false, "another file's object for the EACCES case"),
    }

    remap(&mut tap, fd, off);
    protect(&mut tap, fd, off);
    advise(&mut tap, fd, off);
    forks(&mut tap, &dev, fd, off);
    kernel_access(&mut tap, fd, off);
    dma_buf(&mut tap, &dev);

    // A mapping outlives its handle and its file.
    let keep = Map::new(fd, off, OBJ, RW, SHARED);
    let closed = dev.gem_close(h).is_ok();
    drop(main_map);
    drop(dev);
    tap.ok(
        closed && keep.as_ref().is_ok_and(|m| m.holds(0, OBJ, 0)),
        "a mapping outlives GEM_CLOSE and the close of the DRM file",
    );
    if let Ok(m) = &keep {
        m.write(0, &[0xaa; 4]);
        tap.ok(m.read(0, 4) == [0xaa; 4], "and its writes still read back");
    }
    drop(keep);
    tap.finish();
}

/// With dynamic debug on, the refusal says why in the kernel log.
fn kmsg_says_why(tap: &mut Tap, fd: RawFd, off: u64) {
    use std::io::{Read, Seek, SeekFrom, Write};
    use std::os::unix::fs::OpenOptionsExt;
    const CONTROL: &str = "/sys/kernel/debug/dynamic_debug/control";
    let set = |on: bool| {
        std::fs::OpenOptions::new()
            .write(true)
            .open(CONTROL)
            .and_then(|mut f| {
                f.write_all(if on {
                    b"module asahi +p"
                } else {
                    b"module asahi -p"
                })
            })
    };
    let kmsg = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open("/dev/kmsg");
    let (Ok(mut kmsg), Ok(())) = (kmsg, set(true)) else {
        tap.ok(false, "dynamic debug control and /dev/kmsg are available");
        return;
    };
    let _ = kmsg.seek(SeekFrom::End(0));
    let r = Map::new(fd, off, GPU, R, PRIVATE);
    let _ = set(false);
    let mut found = false;
    let mut buf = vec![0u8; 8192];
    loop {
        match kmsg.read(&mut buf) {
            Ok(n) if n > 0 => {
                let rec = String::from_utf8_lossy(&buf[..n]);
                found |= rec.contains("copy-on-write") && rec.contains("MAP_PRIVATE");
            }
            Err(e) if e.raw_os_error() == Some(libc::EPIPE) => continue,
            _ => break,
        }
    }
    tap.ok(
        r.is_err() && found,
        "with dynamic debug on, the refused MAP_PRIVATE is explained in the kernel log",
    );
}

/// A read-only open of the render node: no writable mapping, not even through `mprotect`, and
/// private mappings refused like on a read-write file.
fn read_only_file(tap: &mut Tap, dev: &Device, h: u32) {
    let ro = std::fs::File::open(format!("/proc/self/fd/{}", dev.as_raw_fd()))
        .map(|f| Device::from_fd(OwnedFd::from(f)));
    let ro_off = ro.as_ref().ok().and_then(|ro| {
        let buf = dev.prime_handle_to_fd(h, DRM_CLOEXEC | DRM_RDWR).ok()?;
        let h2 = ro.prime_fd_to_handle(buf.as_fd()).ok()?;
        gpu::mmap_offset(ro, h2).ok()
    });
    let (Ok(ro), Some(ro_off)) = (&ro, ro_off) else {
        tap.ok(
            false,
            "a read-only file imports the object and gets its mmap offset",
        );
        return;
    };
    let rfd = ro.as_raw_fd();
    cow(tap, rfd, ro_off, "read-only file");
    let m = Map::new(rfd, ro_off, OBJ, R, SHARED);
    tap.ok(
        m.as_ref().is_ok_and(|m| m.holds(0, OBJ, 0)),
        "read-only file: MAP_SHARED PROT_READ works and reads the object",
    );
    let r = Map::new(rfd, ro_off, OBJ, RW, SHARED);
    expect_err(
        tap,
        r,
        libc::EACCES,
        "read-only file: MAP_SHARED PROT_WRITE",
    );
    if let Ok(m) = &m {
        // SAFETY: The range is the live mapping `m`.
        let r = unsafe { libc::mprotect(m.addr(0), OBJ, RW) };
        let e = if r == 0 { None } else { Some(last_errno()) };
        tap.ok(
            e == Some(libc::EACCES) && m.holds(0, OBJ, 0),
            format_args!(
                "read-only file: mprotect adding PROT_WRITE -> EACCES ({e:?}), still readable"
            ),
        );
    }
}

/// `mremap`: growing is refused (`VM_DONTEXPAND`), moving and shrinking keep the data.
fn remap(tap: &mut Tap, fd: RawFd, off: u64) {
    let Ok(mut m) = Map::new(fd, off, 2 * GPU, RW, SHARED) else {
        tap.ok(false, "mremap: a two-page mapping");
        return;
    };
    // SAFETY: Resizes our own mapping; on success the old range is gone (handled below).
    let grow = |m: &Map, len: usize, flags: i32| unsafe {
        libc::mremap(m.addr(0), m.len(), len, flags) == libc::MAP_FAILED
    };
    tap.ok(
        grow(&m, OBJ, 0) && last_errno() == libc::EFAULT,
        "mremap growing in place (within the object) -> EFAULT",
    );
    tap.ok(
        grow(&m, OBJ, libc::MREMAP_MAYMOVE) && last_errno() == libc::EFAULT,
        "mremap growing with MREMAP_MAYMOVE -> EFAULT",
    );
    // SAFETY: As above; old_len 0 asks for a duplicate.
    let dup = unsafe { libc::mremap(m.addr(0), 0, GPU, libc::MREMAP_MAYMOVE) };
    tap.ok(
        dup == libc::MAP_FAILED && last_errno() == libc::EFAULT,
        "mremap duplicating (old_len 0) -> EFAULT",
    );
    // SAFETY: As above.
    let dontunmap = unsafe {
        libc::mremap(
            m.addr(0),
            m.len(),
            m.len(),
            libc::MREMAP_MAYMOVE | libc::MREMAP_DONTUNMAP,
        )
    };
    tap.ok(
        dontunmap == libc::MAP_FAILED && last_errno() == libc::EINVAL,
        "mremap MREMAP_DONTUNMAP -> EINVAL",
    );
    tap.ok(
        m.holds(0, 2 * GPU, 0),
        "the mapping is intact after the refusals",
    );

    // Move to a reserved place.
    let Ok(spot) = Map::new(
        -1,
        0,
        2 * GPU,
        libc::PROT_NONE,
        PRIVATE | libc::MAP_ANONYMOUS,
    ) else {
        tap.ok(false, "mremap: reserve a destination");
        return;
    };
    // SAFETY: Moves our mapping onto our own reservation, which it replaces.
    let moved = unsafe {
        libc::mremap(
            m.addr(0),
            m.len(),
            m.len(),
            libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
            spot.addr(0),
        )
    };
    if moved == spot.addr(0) {
        let old = m.addr(0) as usize;
        let (_, len) = m.into_raw();
        let (at, _) = spot.into_raw();
        // SAFETY: The mapping now lives at `at` (the reservation it replaced), owned by nobody.
        m = unsafe { Map::from_raw(at, len) };
        tap.ok(
            m.holds(0, 2 * GPU, 0) && !mapped(old, 2 * GPU),
            "mremap MREMAP_FIXED moves the mapping: data at the new place, nothing at the old",
        );
        m.write(GPU, &[7, 7]);
        tap.ok(
            m.read(GPU, 2) == [7, 7],
            "the moved mapping writes the object",
        );
        m.write(GPU, &[pattern(GPU), pattern(GPU + 1)]);
    } else {
        tap.ok(
            false,
            format_args!(
                "mremap MREMAP_FIXED moves the mapping: errno {}",
                last_errno()
            ),
        );
    }
    // SAFETY: Shrinks our mapping in place.
    let shrunk = unsafe { libc::mremap(m.addr(0), m.len(), GPU, 0) };
    if shrunk == m.addr(0) {
        let (at, _) = m.into_raw();
        // SAFETY: The head of the mapping is still there, owned by nobody else.
        let m = unsafe { Map::from_raw(at, GPU) };
        tap.ok(
            m.holds(0, GPU, 0) && !mapped(m.addr(GPU) as usize, GPU),
            "mremap shrinking keeps the head and unmaps the tail",
        );
    } else {
        tap.ok(
            false,
            format_args!("mremap shrinking: errno {}", last_errno()),
        );
    }
}

/// `mprotect`, partial `munmap`, `mlock`.
fn protect(tap: &mut Tap, fd: RawFd, off: u64) {
    let Ok(m) = Map::new(fd, off, OBJ, R, SHARED) else {
        tap.ok(false, "a read-only shared mapping");
        return;
    };
    // SAFETY: Our own mapping, on a read-write file.
    let r = unsafe { libc::mprotect(m.addr(0), OBJ, RW) };
    tap.ok(
        r == 0,
        "mprotect adds PROT_WRITE to a read-only mapping of a read-write file",
    );
    if r == 0 {
        m.write(5, &[pattern(5) ^ 0xff]);
        let back = m.read(5, 1)[0];
        m.write(5, &[pattern(5)]);
        tap.ok(
            back == pattern(5) ^ 0xff,
            "and the write reaches the object",
        );
    }
    // SAFETY: Our own mapping.
    let r = unsafe { libc::mprotect(m.addr(0), OBJ, libc::PROT_NONE) };
    // SAFETY: As above.
    let r2 = unsafe { libc::mprotect(m.addr(0), OBJ, R | libc::PROT_EXEC) };
    tap.ok(
        r == 0 && r2 == 0 && m.holds(0, OBJ, 0),
        "mprotect PROT_NONE then PROT_READ|PROT_EXEC: the data is back",
    );
    // SAFETY: As above.
    let (l, u) = unsafe { (libc::mlock(m.addr(0), OBJ), libc::munlock(m.addr(0), OBJ)) };
    tap.ok(l == 0 && u == 0 && m.holds(0, OBJ, 0), "mlock and munlock");

    // Unmap the second GPU page: the VMA splits, both halves keep working.
    // SAFETY: Part of our own mapping.
    let r = unsafe { libc::munmap(m.addr(GPU), GPU) };
    let ok = r == 0
        && !mapped(m.addr(GPU) as usize, GPU)
        && m.holds(0, GPU, 0)
        && m.holds(2 * GPU, 2 * GPU, 2 * GPU);
    tap.ok(
        ok,
        "munmap of a middle page: the rest still reads the object",
    );
    // SAFETY: The first page, then the last two, of our mapping.
    let r = unsafe { libc::munmap(m.addr(0), cpu_page()) };
    let ok = r == 0 && (cpu_page() == GPU || m.holds(cpu_page(), GPU - cpu_page(), cpu_page()));
    tap.ok(
        ok,
        "munmap of the first CPU page: the rest of the head reads right",
    );
    // SAFETY: The remaining pieces of our mapping (unmapping a hole is harmless).
    unsafe { libc::munmap(m.addr(0), OBJ) };
    let _ = m.into_raw();
}

/// `madvise`: the memory is not anonymous, nothing may discard it.
fn advise(tap: &mut Tap, fd: RawFd, off: u64) {
    let Ok(m) = Map::new(fd, off, OBJ, RW, SHARED) else {
        tap.ok(false, "madvise: a mapping");
        return;
    };
    let cases = [
        (libc::MADV_DONTNEED, "MADV_DONTNEED", libc::EINVAL),
        (libc::MADV_FREE, "MADV_FREE", libc::EINVAL),
        (libc::MADV_PAGEOUT, "MADV_PAGEOUT", libc::EINVAL),
        (libc::MADV_COLD, "MADV_COLD", libc::EINVAL),
        (libc::MADV_REMOVE, "MADV_REMOVE", libc::ENODEV),
        (libc::MADV_WIPEONFORK, "MADV_WIPEONFORK", libc::EINVAL),
    ];
    for (advice, name, want) in cases {
        // SAFETY: Advice on our own mapping.
        let r = unsafe { libc::madvise(m.addr(0), OBJ, advice) };
        let e = if r == 0 { None } else { Some(last_errno()) };
        if e == Some(libc::ENOSYS) {
            tap.skip(format_args!("madvise {name}"), NO_MADVISE);
            continue;
        }
        tap.ok(
            e == Some(want) && m.holds(0, OBJ, 0),
            format_args!("madvise {name} -> errno {want} (got {e:?}), the data is still there"),
        );
    }
}

/// Fork with a mapping: the child shares it (not a copy), and either side may unmap first.
fn forks(tap: &mut Tap, dev: &Device, fd: RawFd, off: u64) {
    let Ok(m) = Map::new(fd, off, OBJ, RW, SHARED) else {
        tap.ok(false, "fork: a mapping");
        return;
    };
    let status = in_child(|| {
        let ok = m.holds(0, OBJ, 0);
        m.write(3 * GPU, &[0xc5]);
        ok
    });
    tap.ok(
        exited_ok(status) && m.read(3 * GPU, 1) == [0xc5],
        format_args!(
            "fork: the child reads the object and its write shows in the parent ({})",
            describe(status)
        ),
    );
    m.write(3 * GPU, &[pattern(3 * GPU)]);

    // The child keeps its copy of the VMA while the parent unmaps it and closes the object's
    // handle: the child's VMA alone holds the object, and reads it after the parent let go.
    let own = gpu::create_bo(dev, OBJ as u64).and_then(|h2| Ok((h2, gpu::mmap_offset(dev, h2)?)));
    let Ok((h2, off2)) = own else {
        tap.ok(false, "fork: a second object");
        return;
    };
    let Ok(m2) = Map::new(fd, off2, OBJ, RW, SHARED) else {
        tap.ok(false, "fork: map the second object");
        return;
    };
    m2.write(0, &data_range(0, OBJ));
    let (rd, wr) = pipe();
    // SAFETY: Single-threaded; see `in_child`.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let mut b = [0u8; 1];
        // SAFETY: Waits for the parent's go on our end of the pipe.
        let got = unsafe { libc::read(rd, b.as_mut_ptr().cast(), 1) };
        // `m2` is the child's inherited copy of the mapping (never unmapped here: `_exit`).
        let ok = got == 1 && m2.holds(0, OBJ, 0);
        // SAFETY: Ends the child; its mappings go with it.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) }
    }
    drop(m2);
    let closed = dev.gem_close(h2).is_ok();
    // SAFETY: Lets the child go.
    unsafe { libc::write(wr, [1u8].as_ptr().cast(), 1) };
    let mut status = 0;
    // SAFETY: `pid` is our child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    tap.ok(
        pid > 0 && closed && exited_ok(status),
        format_args!(
            "fork: the child reads the object after the parent unmapped it and closed its handle ({})",
            describe(status)
        ),
    );
    // SAFETY: Our pipe ends.
    unsafe {
        libc::close(rd);
        libc::close(wr);
    }

    // MADV_DONTFORK: the child has no mapping at all there.
    let Ok(m) = Map::new(fd, off, OBJ, RW, SHARED) else {
        return;
    };
    // SAFETY: Advice on our own mapping.
    let r = unsafe { libc::madvise(m.addr(0), OBJ, libc::MADV_DONTFORK) };
    if r != 0 && last_errno() == libc::ENOSYS {
        tap.skip("MADV_DONTFORK", NO_MADVISE);
        return;
    }
    let addr = m.addr(0) as usize;
    let status = in_child(|| !mapped(addr, OBJ));
    tap.ok(
        r == 0 && exited_ok(status) && m.holds(0, OBJ, 0),
        "MADV_DONTFORK: the child has no mapping, the parent's still reads the object",
    );
}

/// The kernel copying to and from a mapping (faults taken in kernel mode), and debugger-style
/// access (`process_vm_readv`, `/proc/self/mem`), which cannot pin PFN-mapped pages.
fn kernel_access(tap: &mut Tap, fd: RawFd, off: u64) {
    let Ok(m) = Map::new(fd, off, OBJ, RW, SHARED) else {
        tap.ok(false, "kernel access: a mapping");
        return;
    };
    let (rd, wr) = pipe();
    // SAFETY: Copies from our mapping into the pipe, then back into the mapping's second half.
    let (w, r) = unsafe {
        (
            libc::write(wr, m.addr(0), 2 * GPU),
            libc::read(rd, m.addr(2 * GPU), 2 * GPU),
        )
    };
    let ok = w == 2 * GPU as isize
        && r == 2 * GPU as isize
        && m.holds(2 * GPU, 2 * GPU, 0)
        && m.holds(0, 2 * GPU, 0);
    tap.ok(
        ok,
        "write(2) from and read(2) into a mapping move the object's bytes",
    );
    m.write(2 * GPU, &data_range(2 * GPU, 2 * GPU));
    // SAFETY: Our pipe ends.
    unsafe {
        libc::close(rd);
        libc::close(wr);
    }

    let mut buf = vec![0u8; GPU];
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: GPU,
    };
    let remote = libc::iovec {
        iov_base: m.addr(0),
        iov_len: GPU,
    };
    // SAFETY: Reads our own address space into `buf`.
    let n = unsafe { libc::process_vm_readv(libc::getpid(), &local, 1, &remote, 1, 0) };
    let e = if n < 0 { Some(last_errno()) } else { None };
    if e == Some(libc::ENOSYS) {
        tap.skip(
            "process_vm_readv of a mapping",
            "the kernel lacks process_vm_readv (CONFIG_CROSS_MEMORY_ATTACH)",
        );
    } else {
        tap.ok(
            e == Some(libc::EFAULT),
            format_args!("process_vm_readv of a mapping -> EFAULT (got {n}, {e:?})"),
        );
    }
    let mem = std::fs::File::open("/proc/self/mem");
    let r = mem.as_ref().map(|f| {
        use std::os::unix::fs::FileExt;
        f.read_at(&mut buf, m.addr(0) as u64)
    });
    let e = match &r {
        Ok(Err(e)) => e.raw_os_error(),
        _ => None,
    };
    tap.ok(
        e == Some(libc::EIO),
        format_args!("/proc/self/mem read of a mapping -> EIO (got {r:?})"),
    );
    tap.ok(
        m.holds(0, OBJ, 0),
        "the object is intact after the kernel accesses",
    );
}

fn data_range(at: usize, n: usize) -> Vec<u8> {
    (at..at + n).map(pattern).collect()
}

/// Mappings of the PRIME dma-buf: the same rules as the DRM file, and an object first mapped
/// through its dma-buf keeps working when its DRM mmap offset is created later.
fn dma_buf(tap: &mut Tap, dev: &Device) {
    let h = gpu::create_bo(dev, OBJ as u64).unwrap_or(0);
    let buf = dev.prime_handle_to_fd(h, DRM_CLOEXEC | DRM_RDWR);
    let Ok(buf) = buf else {
        tap.ok(false, "dma-buf: export an object");
        return;
    };
    let bfd = buf.as_raw_fd();
    let m = Map::new(bfd, 0, OBJ, RW, SHARED);
    tap.ok(m.is_ok(), "dma-buf: MAP_SHARED of the whole object");
    let Ok(m) = m else {
        return;
    };
    m.write(0, &data_range(0, OBJ));
    tap.ok(m.holds(0, OBJ, 0), "dma-buf: writes read back");
    cow(tap, bfd, 0, "dma-buf");
    let r = Map::new(bfd, OBJ as u64, GPU, RW, SHARED);
    expect_err(
        tap,
        r,
        libc::EINVAL,
        "dma-buf: mmap at an offset past the object",
    );
    let r = Map::new(bfd, 0, OBJ + cpu_page(), RW, SHARED);
    expect_err(
        tap,
        r,
        libc::EINVAL,
        "dma-buf: mmap of a length past the object",
    );
    let mid = Map::new(bfd, GPU as u64, GPU, R, SHARED);
    tap.ok(
        mid.as_ref().is_ok_and(|mm| mm.holds(0, GPU, GPU)),
        "dma-buf: mmap at an offset inside the object reads that page",
    );
    // A fresh dma-buf mapping, touched only partly; then the DRM mmap offset appears; the
    // untouched pages must still fault in right (in a child: a wrong fault is SIGBUS).
    let late = Map::new(bfd, 0, OBJ, R, SHARED);
    let Ok(late) = late else {
        tap.ok(false, "dma-buf: a second mapping");
        return;
    };
    let first = late.holds(0, cpu_page(), 0);
    let drm_off = gpu::mmap_offset(dev, h);
    let status = in_child(|| late.holds(0, OBJ, 0));
    tap.ok(
        first && drm_off.is_ok() && exited_ok(status),
        format_args!(
            "dma-buf: a mapping made before GEM_MMAP_OFFSET still faults right after it ({})",
            describe(status)
        ),
    );
    if let Ok(o) = drm_off {
        let d = Map::new(dev.as_raw_fd(), o, OBJ, R, SHARED);
        tap.ok(
            d.as_ref().is_ok_and(|d| d.holds(0, OBJ, 0)),
            "dma-buf: the DRM file's mapping sees the dma-buf's writes",
        );
    }
    drop((m, mid, late));
    let _ = dev.gem_close(h);
}
