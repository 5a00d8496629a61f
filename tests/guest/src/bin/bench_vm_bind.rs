//! Benchmark: VM_BIND map + unmap, per 16 KiB GPU page, from 16 MiB up, in one bind op and in
//! 16 KiB pieces (one VM_BIND call carrying one op per page), against mmap with MAP_POPULATE +
//! munmap of the same size in the same boot.
//!
//! Two series:
//! - `vm_bind_real`: a real GEM object of the size (up to what fits in the 2 GiB guest); the peer
//!   is a memfd of the same size, its pages allocated beforehand (fallocate), mapped shared with
//!   MAP_POPULATE, so both sides only build page tables for resident memory.
//! - `vm_bind_sparse`: one 16 KiB object repeated with SINGLE_PAGE, up to 4 GiB of VA without the
//!   RAM; the peer is a private read-only anonymous MAP_POPULATE mapping, which maps the shared
//!   zero page everywhere (one page repeated, like SINGLE_PAGE).

use asahi_guest_tests::bench::{self, now_ns, Figure, Samples};
use asahi_guest_tests::gpu::{self, PAGE};
use asahi_uapi::{bindings::*, Device};
use std::io;

const REAL_MIB: [u64; 3] = [16, 64, 256];
const SPARSE_MIB: [u64; 5] = [16, 64, 256, 1024, 4096];
/// Where the benchmark maps, far from anything else.
const BASE_VA: u64 = 1 << 37;
/// A case whose one repetition took longer than this is not run at the next size.
const SLOW_MS: u64 = 8_000;
const BUDGET_MS: u64 = 3_000;
const MAX_REPS: usize = 7;

fn fig(group: &'static str, subject: &'static str, x: u64) -> Figure<'static> {
    Figure {
        group,
        subject,
        x,
        unit: "ns/16KiB",
    }
}

/// Map and unmap times (ns) for one repetition.
type Rep = (u64, u64);

/// Runs `f` (one repetition: map, unmap nanoseconds) up to the budget and emits per-page times;
/// with `warm`, runs it once untimed first.
fn measure(
    fig: Figure<'_>,
    pages: u64,
    slow: &mut bool,
    warm: bool,
    mut f: impl FnMut() -> io::Result<Rep>,
) {
    if *slow {
        fig.skip(format_args!(
            "not run: one repetition at the previous size took over {} s",
            SLOW_MS / 1000
        ));
        return;
    }
    if warm {
        let _ = f();
    }
    let (mut total, mut map, mut unmap) =
        (Samples::default(), Samples::default(), Samples::default());
    let start = now_ns();
    while total.len() < MAX_REPS && (total.len() < 3 || now_ns() - start < BUDGET_MS * 1_000_000) {
        match f() {
            Ok((m, u)) => {
                let p = pages as f64;
                total.push((m + u) as f64 / p);
                map.push(m as f64 / p);
                unmap.push(u as f64 / p);
                if m + u > SLOW_MS * 1_000_000 {
                    *slow = true;
                    break;
                }
            }
            Err(e) => {
                fig.skip(e);
                return;
            }
        }
    }
    fig.emit(
        &total,
        false,
        &[("map", map.median()), ("unmap", unmap.median())],
    );
}

fn timed(f: impl FnOnce() -> io::Result<()>) -> io::Result<u64> {
    let t0 = now_ns();
    f()?;
    Ok(now_ns() - t0)
}

fn bind_one(dev: &Device, vm: u32, flags: u32, handle: u32, size: u64) -> io::Result<Rep> {
    let m = timed(|| dev.vm_bind(vm, &[gpu::bind_op(flags, handle, 0, size, BASE_VA)]))?;
    let u = timed(|| {
        dev.vm_bind(
            vm,
            &[gpu::bind_op(DRM_ASAHI_BIND_UNBIND, 0, 0, size, BASE_VA)],
        )
    })?;
    Ok((m, u))
}

fn bind_pieces(dev: &Device, vm: u32, flags: u32, handle: u32, size: u64) -> io::Result<Rep> {
    let single = flags & DRM_ASAHI_BIND_SINGLE_PAGE != 0;
    let maps: Vec<_> = (0..size / PAGE)
        .map(|i| {
            let offset = if single { 0 } else { i * PAGE };
            gpu::bind_op(flags, handle, offset, PAGE, BASE_VA + i * PAGE)
        })
        .collect();
    let unmaps: Vec<_> = (0..size / PAGE)
        .map(|i| gpu::bind_op(DRM_ASAHI_BIND_UNBIND, 0, 0, PAGE, BASE_VA + i * PAGE))
        .collect();
    let m = timed(|| dev.vm_bind(vm, &maps))?;
    let u = timed(|| dev.vm_bind(vm, &unmaps))?;
    Ok((m, u))
}

/// mmap with MAP_POPULATE, then munmap.
fn populate(fd: i32, size: u64, prot: i32, flags: i32) -> io::Result<Rep> {
    let t0 = now_ns();
    // SAFETY: A new mapping chosen by the kernel overlaps nothing of ours.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size as usize,
            prot,
            flags | libc::MAP_POPULATE,
            fd,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    let t1 = now_ns();
    // SAFETY: `p` is the mapping just made, referenced by nothing.
    unsafe { libc::munmap(p, size as usize) };
    Ok((t1 - t0, now_ns() - t1))
}

fn memfd(size: u64) -> io::Result<i32> {
    // SAFETY: The name is a valid C string.
    let fd = unsafe { libc::memfd_create(c"bench".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is our memfd.
    if unsafe { libc::fallocate(fd, 0, 0, size as libc::off_t) } != 0 {
        let e = io::Error::last_os_error();
        // SAFETY: `fd` is ours.
        unsafe { libc::close(fd) };
        return Err(e);
    }
    Ok(fd)
}

fn main() {
    let dev = match Device::open_render_asahi() {
        Ok(d) => d,
        Err(e) => {
            fig("vm_bind_real", "asahi_one_call", 16).skip(format_args!("no device: {e}"));
            return;
        }
    };
    let vm = dev.get_params(0).and_then(|p| {
        let mut vc = drm_asahi_vm_create {
            kernel_start: p.vm_end - p.vm_kernel_min_size.max(32 << 30),
            kernel_end: p.vm_end,
            ..Default::default()
        };
        dev.vm_create(&mut vc).map(|_| vc.vm_id)
    });
    let vm = match vm {
        Ok(v) => v,
        Err(e) => {
            fig("vm_bind_real", "asahi_one_call", 16).skip(format_args!("no VM: {e}"));
            return;
        }
    };
    let rw = DRM_ASAHI_BIND_READ | DRM_ASAHI_BIND_WRITE;

    let g = "vm_bind_real";
    let (mut slow_one, mut slow_pieces, mut slow_peer) = (false, false, false);
    for mib in REAL_MIB {
        let size = mib << 20;
        let pages = size / PAGE;
        match gpu::create_bo(&dev, size) {
            Ok(h) => {
                measure(
                    fig(g, "asahi_one_call", mib),
                    pages,
                    &mut slow_one,
                    true,
                    || bind_one(&dev, vm, rw, h, size),
                );
                measure(
                    fig(g, "asahi_16k_pieces", mib),
                    pages,
                    &mut slow_pieces,
                    false,
                    || bind_pieces(&dev, vm, rw, h, size),
                );
                let _ = dev.gem_close(h);
            }
            Err(e) => {
                fig(g, "asahi_one_call", mib).skip(format_args!("GEM_CREATE: {e}"));
                fig(g, "asahi_16k_pieces", mib).skip(format_args!("GEM_CREATE: {e}"));
            }
        }
        match memfd(size) {
            Ok(fd) => {
                let rw = libc::PROT_READ | libc::PROT_WRITE;
                measure(
                    fig(g, "memfd_populate", mib),
                    pages,
                    &mut slow_peer,
                    true,
                    || populate(fd, size, rw, libc::MAP_SHARED),
                );
                // SAFETY: `fd` is ours.
                unsafe { libc::close(fd) };
            }
            Err(e) => fig(g, "memfd_populate", mib).skip(format_args!("memfd: {e}")),
        }
    }

    let g = "vm_bind_sparse";
    let ro = DRM_ASAHI_BIND_READ | DRM_ASAHI_BIND_SINGLE_PAGE;
    let (mut slow_one, mut slow_pieces, mut slow_peer) = (false, false, false);
    let zero = match gpu::create_bo(&dev, PAGE) {
        Ok(h) => h,
        Err(e) => {
            fig(g, "asahi_one_call", 16).skip(format_args!("GEM_CREATE: {e}"));
            return;
        }
    };
    for mib in SPARSE_MIB {
        let size = mib << 20;
        let pages = size / PAGE;
        measure(
            fig(g, "asahi_one_call", mib),
            pages,
            &mut slow_one,
            true,
            || bind_one(&dev, vm, ro, zero, size),
        );
        measure(
            fig(g, "asahi_16k_pieces", mib),
            pages,
            &mut slow_pieces,
            false,
            || bind_pieces(&dev, vm, ro, zero, size),
        );
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
        measure(
            fig(g, "anon_populate", mib),
            pages,
            &mut slow_peer,
            true,
            || populate(-1, size, libc::PROT_READ, flags),
        );
    }
    let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
        .unwrap_or_else(|_| "absent".into());
    bench::note(format_args!(
        "vm_bind: CPU page {} B; transparent hugepages: {}",
        bench::page_size(),
        thp.trim()
    ));
}
