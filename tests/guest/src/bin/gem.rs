//! Buffer objects: GEM_CREATE, GEM_MMAP_OFFSET, CPU mappings, PRIME export and import, and the
//! invalid inputs of each with their errno.

use asahi_guest_tests::Tap;
use asahi_uapi::{bindings::*, Device, DRM_CLOEXEC, DRM_RDWR};
use std::io;
use std::os::fd::AsFd;

const EINVAL: i32 = libc::EINVAL;
const ENOENT: i32 = libc::ENOENT;
const PAGE: usize = 0x4000;

fn errno<T>(r: io::Result<T>) -> Option<i32> {
    r.err().and_then(|e| e.raw_os_error())
}

fn create(dev: &Device, size: u64, flags: u32, vm_id: u32) -> io::Result<u32> {
    let mut a = drm_asahi_gem_create {
        size,
        flags,
        vm_id,
        ..Default::default()
    };
    dev.gem_create(&mut a).map(|_| a.handle)
}

fn offset(dev: &Device, handle: u32) -> io::Result<u64> {
    let mut a = drm_asahi_gem_mmap_offset {
        handle,
        ..Default::default()
    };
    dev.gem_mmap_offset(&mut a).map(|_| a.offset)
}

/// A byte pattern that differs per page and per position.
fn pattern(i: usize) -> u8 {
    (i as u8).wrapping_mul(31) ^ (i / PAGE) as u8
}

fn main() {
    let mut tap = Tap::new();
    let dev = match Device::open_render_asahi() {
        Ok(d) => d,
        Err(e) => {
            tap.diag(format_args!("no device: {e}"));
            tap.finish();
        }
    };

    // Create and map: size rounds up to 16 KiB, memory starts zeroed, writes read back.
    let h = create(&dev, 1, 0, 0);
    tap.check(h.as_ref().map(drop), "GEM_CREATE of 1 byte");
    let h = h.unwrap_or(0);
    let off = offset(&dev, h);
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
    let big = create(&dev, BIG as u64, DRM_ASAHI_GEM_WRITEBACK, 0);
    let ok = big.as_ref().ok().and_then(|&hb| {
        let off = offset(&dev, hb).ok()?;
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
        errno(create(&dev, PAGE as u64, 1 << 2, 0)) == Some(EINVAL),
        "GEM_CREATE unknown flag -> EINVAL",
    );
    tap.ok(
        errno(create(&dev, 0, 0, 0)) == Some(EINVAL),
        "GEM_CREATE size 0 -> EINVAL",
    );
    tap.ok(
        errno(create(&dev, u64::MAX, 0, 0)) == Some(EINVAL),
        "GEM_CREATE size u64::MAX -> EINVAL",
    );
    tap.ok(
        errno(create(&dev, PAGE as u64, 0, 1)) == Some(EINVAL),
        "GEM_CREATE vm_id without VM_PRIVATE -> EINVAL",
    );
    tap.ok(
        errno(create(&dev, PAGE as u64, DRM_ASAHI_GEM_VM_PRIVATE, 77)) == Some(ENOENT),
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
        errno(offset(&dev, 0xdead)) == Some(ENOENT),
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
        .map(|&v| create(&dev, PAGE as u64, DRM_ASAHI_GEM_VM_PRIVATE, v));
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
    let shared = create(&dev, PAGE as u64, 0, 0).unwrap_or(0);
    let fd = dev.prime_handle_to_fd(shared, DRM_CLOEXEC | DRM_RDWR);
    tap.check(fd.as_ref().map(drop), "PRIME export of a shared object");
    let other = Device::open_render_asahi();
    let shared_ok = match (&fd, &other) {
        (Ok(fd), Ok(other)) => (|| -> io::Result<bool> {
            let h2 = other.prime_fd_to_handle(fd.as_fd())?;
            let m1 = dev.mmap(offset(&dev, shared)?, PAGE)?;
            m1.write(100, b"asahi");
            let m2 = other.mmap(offset(other, h2)?, PAGE)?;
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
        errno(offset(&dev, h)) == Some(ENOENT),
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
    tap.finish();
}
