//! VM_BIND: valid maps and unmaps as Mesa issues them, and every invalid input with its errno.

use asahi_guest_tests::gpu::{self, bind_op as op};
use asahi_guest_tests::{errno, Tap};
use asahi_uapi::{bindings::*, Device};
use std::io;

const EINVAL: i32 = libc::EINVAL;
const ENOENT: i32 = libc::ENOENT;
const PAGE: u64 = 0x4000;
const GIB: u64 = 1 << 30;

fn create(dev: &Device, size: u64, flags: u32, vm_id: u32) -> u32 {
    gpu::create_bo_with(dev, size, flags, vm_id).unwrap_or(0)
}

const RW: u32 = DRM_ASAHI_BIND_READ | DRM_ASAHI_BIND_WRITE;
const RO: u32 = DRM_ASAHI_BIND_READ;

/// VM_BIND with an explicit stride over raw bytes.
fn bind_strided(dev: &Device, vm_id: u32, stride: u32, bytes: &[u8], n: u32) -> io::Result<()> {
    dev.vm_bind_raw(&drm_asahi_vm_bind {
        vm_id,
        num_binds: n,
        stride,
        pad: 0,
        userptr: bytes.as_ptr() as u64,
    })
}

fn op_bytes(o: &drm_asahi_gem_bind_op) -> Vec<u8> {
    let mut v = Vec::new();
    for x in [o.flags, o.handle] {
        v.extend_from_slice(&x.to_ne_bytes());
    }
    for x in [o.offset, o.range, o.addr] {
        v.extend_from_slice(&x.to_ne_bytes());
    }
    v
}

fn main() {
    let mut tap = Tap::new();
    let dev = tap.require(Device::open_render_asahi(), "open the asahi render node");
    let p = dev.get_params(0).unwrap_or_default();
    let kstart = p.vm_end - p.vm_kernel_min_size.max(32 * GIB);
    let mut vc = drm_asahi_vm_create {
        kernel_start: kstart,
        kernel_end: p.vm_end,
        ..Default::default()
    };
    let vm = dev.vm_create(&mut vc).map(|_| vc.vm_id).unwrap_or(0);
    let bo = create(&dev, 4 * PAGE, 0, 0);
    let zero = create(&dev, PAGE, 0, 0);

    // Mesa's start-up bindings: a read-only zero page, a scratch page, the printf buffer at 2^36.
    let printf = 1u64 << 36;
    tap.check(
        dev.vm_bind(
            vm,
            &[
                op(RO, zero, 0, PAGE, printf - 2 * PAGE),
                op(RW, bo, 0, PAGE, printf - PAGE),
                op(RW, bo, PAGE, 2 * PAGE, printf),
            ],
        ),
        "Mesa start-up binds (RO zero page, RW scratch, printf buffer at 2^36)",
    );
    tap.check(
        dev.vm_bind(
            vm,
            &[op(DRM_ASAHI_BIND_WRITE, bo, 0, PAGE, printf + 4 * PAGE)],
        ),
        "write-only bind",
    );
    tap.check(
        dev.vm_bind(
            vm,
            &[op(
                RO | DRM_ASAHI_BIND_SINGLE_PAGE,
                zero,
                0,
                64 * PAGE,
                2 * printf,
            )],
        ),
        "SINGLE_PAGE: one page repeated over 1 MiB",
    );
    tap.check(
        dev.vm_bind(vm, &[op(RW, bo, 0, 4 * PAGE, printf)]),
        "bind over an existing mapping replaces it",
    );
    tap.check(
        dev.vm_bind(vm, &[op(DRM_ASAHI_BIND_UNBIND, 0, 0, PAGE, printf + PAGE)]),
        "UNBIND of the middle of a mapping splits it",
    );
    tap.check(
        dev.vm_bind(
            vm,
            &[op(DRM_ASAHI_BIND_UNBIND, 0, 0, 16 * PAGE, 3 * printf)],
        ),
        "UNBIND of a hole",
    );
    tap.check(dev.vm_bind(vm, &[]), "zero binds is a no-op");

    // Stride: shorter ops are zero-extended, longer ones need a zero tail.
    let mut long = op_bytes(&op(RW, bo, 0, PAGE, printf + 8 * PAGE));
    long.extend_from_slice(&[0u8; 8]);
    tap.check(
        bind_strided(&dev, vm, 40, &long, 1),
        "stride 40 with a zero tail",
    );
    long[35] = 1;
    tap.ok(
        errno(bind_strided(&dev, vm, 40, &long, 1)) == Some(EINVAL),
        "stride 40 with a non-zero tail -> EINVAL",
    );
    let short = op_bytes(&op(RW, bo, 0, PAGE, printf));
    tap.ok(
        errno(bind_strided(&dev, vm, 24, &short[..24], 1)) == Some(EINVAL),
        "stride 24: addr reads as 0, below vm_start -> EINVAL",
    );
    tap.ok(
        errno(bind_strided(&dev, vm, 0, &short, 1)) == Some(EINVAL),
        "stride 0 -> EINVAL",
    );
    tap.ok(
        errno(bind_strided(&dev, vm, u32::MAX, &short, u32::MAX)) == Some(EINVAL),
        "num_binds * stride overflow -> EINVAL",
    );
    tap.ok(
        errno(dev.vm_bind_raw(&drm_asahi_vm_bind {
            vm_id: vm,
            num_binds: 1,
            stride: 32,
            pad: 1,
            userptr: short.as_ptr() as u64,
        })) == Some(EINVAL),
        "pad != 0 -> EINVAL",
    );
    tap.ok(
        errno(dev.vm_bind_raw(&drm_asahi_vm_bind {
            vm_id: vm,
            num_binds: 1,
            stride: 32,
            pad: 0,
            userptr: 16,
        })) == Some(libc::EFAULT),
        "bad userptr -> EFAULT",
    );
    tap.ok(
        errno(dev.vm_bind(777, &[op(RW, bo, 0, PAGE, printf)])) == Some(ENOENT),
        "unknown VM -> ENOENT",
    );

    let cases: [(&str, drm_asahi_gem_bind_op, i32); 16] = [
        (
            "unaligned addr",
            op(RW, bo, 0, PAGE, printf + 0x1000),
            EINVAL,
        ),
        ("unaligned range", op(RW, bo, 0, 0x1000, printf), EINVAL),
        ("unaligned offset", op(RW, bo, 0x1000, PAGE, printf), EINVAL),
        ("range 0", op(RW, bo, 0, 0, printf), EINVAL),
        (
            "addr + range overflows",
            op(RW, bo, 0, u64::MAX - PAGE + 1, printf),
            EINVAL,
        ),
        ("below vm_start", op(RW, bo, 0, PAGE, 0), EINVAL),
        ("beyond vm_end", op(RW, bo, 0, PAGE, p.vm_end), EINVAL),
        (
            "into the kernel window",
            op(RW, bo, 0, PAGE, kstart),
            EINVAL,
        ),
        (
            "straddling the kernel window",
            op(RW, bo, 0, 2 * PAGE, kstart - PAGE),
            EINVAL,
        ),
        ("neither READ nor WRITE", op(0, bo, 0, PAGE, printf), EINVAL),
        ("unknown flag", op(RW | 1 << 4, bo, 0, PAGE, printf), EINVAL),
        ("unknown handle", op(RW, 0xbad, 0, PAGE, printf), ENOENT),
        (
            "past the object's end",
            op(RW, bo, 2 * PAGE, 4 * PAGE, printf),
            EINVAL,
        ),
        (
            "SINGLE_PAGE offset past the end",
            op(
                RO | DRM_ASAHI_BIND_SINGLE_PAGE,
                zero,
                PAGE,
                4 * PAGE,
                printf,
            ),
            EINVAL,
        ),
        (
            "UNBIND with a handle",
            op(DRM_ASAHI_BIND_UNBIND, bo, 0, PAGE, printf),
            EINVAL,
        ),
        (
            "UNBIND with READ",
            op(DRM_ASAHI_BIND_UNBIND | RO, 0, 0, PAGE, printf),
            EINVAL,
        ),
    ];
    for (what, o, want) in cases {
        tap.ok(
            errno(dev.vm_bind(vm, &[o])) == Some(want),
            format_args!("{what} -> errno {want}"),
        );
    }
    // One bad op fails the whole array, valid ops before it included.
    tap.ok(
        errno(dev.vm_bind(
            vm,
            &[
                op(RW, bo, 0, PAGE, printf + 20 * PAGE),
                op(RW, 0xbad, 0, PAGE, printf),
            ],
        )) == Some(ENOENT),
        "a bad op fails the whole array",
    );

    // VM-private objects bind only in their own VM.
    let mut vc2 = drm_asahi_vm_create {
        kernel_start: kstart,
        kernel_end: p.vm_end,
        ..Default::default()
    };
    let vm2 = dev.vm_create(&mut vc2).map(|_| vc2.vm_id).unwrap_or(0);
    let private = create(&dev, PAGE, DRM_ASAHI_GEM_VM_PRIVATE, vm);
    tap.check(
        dev.vm_bind(vm, &[op(RW, private, 0, PAGE, printf + 32 * PAGE)]),
        "VM_PRIVATE object in its own VM",
    );
    tap.ok(
        errno(dev.vm_bind(vm2, &[op(RW, private, 0, PAGE, printf)])) == Some(EINVAL),
        "VM_PRIVATE object in another VM -> EINVAL",
    );

    // Teardown in the "wrong" order: close mapped objects first, then destroy the VM while
    // mappings remain; the VM's references keep the memory until then (kmemleak checks the end).
    let closed = [bo, zero, private]
        .iter()
        .all(|h| dev.gem_close(*h).is_ok());
    tap.ok(closed, "GEM_CLOSE of still-mapped objects");
    tap.check(
        dev.vm_destroy(&drm_asahi_vm_destroy { vm_id: vm, pad: 0 }),
        "VM_DESTROY with live mappings",
    );
    // vm2 is left for file close.
    tap.finish();
}
