//! Benchmark: buffer objects. GEM_CREATE + GEM_MMAP_OFFSET + mmap + a write to every CPU page +
//! munmap + GEM_CLOSE, per MiB, at 1, 4, 16 and 64 MiB, against vgem dumb buffers
//! (MODE_CREATE_DUMB + MODE_MAP_DUMB + mmap + touch + munmap + GEM_CLOSE) in the same boot.

use asahi_guest_tests::bench::{self, now_ns, repeat, touch_pages, Figure};
use asahi_guest_tests::gpu;
use asahi_guest_tests::peers::Vgem;
use asahi_uapi::Device;
use std::io;

const GROUP: &str = "bo";
const SIZES_MIB: [u64; 4] = [1, 4, 16, 64];
const BUDGET_MS: u64 = 3000;

fn fig(subject: &'static str, x: u64) -> Figure<'static> {
    Figure {
        group: GROUP,
        subject,
        x,
        unit: "ns/MiB",
    }
}

fn asahi_once(dev: &Device, size: u64) -> io::Result<f64> {
    let t0 = now_ns();
    let (handle, m) = gpu::gem(dev, size)?;
    // SAFETY: `m` is a live writable mapping of `size` bytes, referenced by nothing else.
    unsafe { touch_pages(m.as_ptr(), m.len()) };
    drop(m);
    dev.gem_close(handle)?;
    Ok((now_ns() - t0) as f64 / (size >> 20) as f64)
}

fn vgem_once(v: &Vgem, size: u64) -> io::Result<f64> {
    let t0 = now_ns();
    let h = v.create_dumb(size)?;
    let off = v.map_dumb(h)?;
    let m = v.dev.mmap(off, size as usize)?;
    // SAFETY: `m` is a live writable mapping of `size` bytes, referenced by nothing else.
    unsafe { touch_pages(m.as_ptr(), m.len()) };
    drop(m);
    v.dev.gem_close(h)?;
    Ok((now_ns() - t0) as f64 / (size >> 20) as f64)
}

fn main() {
    let dev = Device::open_render_asahi();
    let vgem = Vgem::open();
    if let Err(e) = &dev {
        fig("asahi", 1).skip(format_args!("no device: {e}"));
    }
    if let Err(e) = &vgem {
        fig("vgem", 1).skip(format_args!("no vgem: {e}"));
    }
    for mib in SIZES_MIB {
        let size = mib << 20;
        // Alternate the subjects size by size so that drift in the guest hits both alike.
        if let Ok(dev) = &dev {
            let _ = asahi_once(dev, size); // Warm-up.
            match repeat(3, 25, BUDGET_MS, || asahi_once(dev, size)) {
                Ok(s) => fig("asahi", mib).emit(&s, false, &[]),
                Err(e) => fig("asahi", mib).skip(e),
            }
        }
        if let Ok(v) = &vgem {
            let _ = vgem_once(v, size);
            match repeat(3, 25, BUDGET_MS, || vgem_once(v, size)) {
                Ok(s) => fig("vgem", mib).emit(&s, false, &[]),
                Err(e) => fig("vgem", mib).skip(e),
            }
        }
    }
    bench::note(format_args!(
        "bo: one byte written per {}-byte CPU page",
        bench::page_size()
    ));
}
