//! Conformance of the `asahi` ioctls: each valid path, and each invalid input with its exact
//! errno. Covers the ioctls the driver implements so far (GET_PARAMS, GET_TIME, VM_CREATE,
//! VM_DESTROY, QUEUE_CREATE, QUEUE_DESTROY), plus per-file isolation of ids.

use asahi_guest_tests::{errno, Tap};
use asahi_uapi::{bindings::*, ioctl, Device};
use std::io;

const EINVAL: i32 = libc::EINVAL;
const ENOENT: i32 = libc::ENOENT;
const GIB: u64 = 1 << 30;

/// GET_PARAMS with every field under the caller's control.
fn get_params_raw(
    dev: &Device,
    param_group: u32,
    pad: u32,
    buf: &mut [u8],
    size: u64,
) -> io::Result<()> {
    let mut args = drm_asahi_get_params {
        param_group,
        pad,
        pointer: buf.as_mut_ptr() as u64,
        size,
    };
    // SAFETY: The kernel writes at most `min(size, 592)` bytes at `pointer`; every caller passes
    // a `size` no larger than `buf`.
    unsafe { dev.ioctl(ioctl::DRM_IOCTL_ASAHI_GET_PARAMS, &mut args) }.map(drop)
}

/// Mesa's kernel window: `[vm_end - max(vm_kernel_min_size, 32 GiB), vm_end]`.
fn mesa_window(p: &drm_asahi_params_global) -> (u64, u64) {
    (p.vm_end - p.vm_kernel_min_size.max(32 * GIB), p.vm_end)
}

fn vm_create(dev: &Device, start: u64, end: u64) -> io::Result<u32> {
    let mut a = drm_asahi_vm_create {
        kernel_start: start,
        kernel_end: end,
        ..Default::default()
    };
    dev.vm_create(&mut a).map(|_| a.vm_id)
}

fn queue_create(dev: &Device, vm_id: u32, priority: u32, flags: u32) -> io::Result<u32> {
    let mut a = drm_asahi_queue_create {
        flags,
        vm_id,
        priority,
        usc_exec_base: 0x1_0000_0000,
        ..Default::default()
    };
    dev.queue_create(&mut a).map(|_| a.queue_id)
}

fn main() {
    let mut tap = Tap::new();
    let dev = tap.require(Device::open_render_asahi(), "open the asahi render node");

    // --- GET_PARAMS ---
    let p = dev.get_params(0);
    tap.check(p.as_ref().map(drop), "GET_PARAMS group 0");
    let p = p.unwrap_or_default();
    tap.ok(
        p.gpu_generation == 13 && p.gpu_variant == u32::from(b'G') && p.chip_id == 0x8103,
        format_args!(
            "identity: G{}{} chip {:#x} rev {:#x}",
            p.gpu_generation,
            char::from_u32(p.gpu_variant).unwrap_or('?'),
            p.chip_id,
            p.gpu_revision
        ),
    );
    let cores: u32 = p.core_masks[..p.num_clusters_total as usize]
        .iter()
        .map(|m| m.count_ones())
        .sum();
    tap.ok(
        p.num_dies == 1 && p.num_clusters_total == 1 && cores == 8 && p.max_frequency_khz > 0,
        format_args!(
            "topology: {} die, {} cluster, {cores} cores",
            p.num_dies, p.num_clusters_total
        ),
    );
    tap.ok(
        p.vm_end > p.vm_start
            && p.vm_kernel_min_size > 0
            && p.vm_start % 0x4000 == 0
            && p.vm_end % 0x4000 == 0
            && p.vm_end <= 1 << 39,
        format_args!(
            "VA range {:#x}..{:#x}, kernel min {:#x}",
            p.vm_start, p.vm_end, p.vm_kernel_min_size
        ),
    );
    tap.ok(
        p.command_timestamp_frequency_hz == 1_000_000_000
            && p.max_commands_per_submission == 64
            && p.max_attachments > 0,
        "timestamp frequency, command and attachment limits",
    );
    for group in [1, 2, u32::MAX] {
        let mut buf = [0u8; 592];
        let n = buf.len() as u64;
        tap.ok(
            errno(get_params_raw(&dev, group, 0, &mut buf, n)) == Some(EINVAL),
            format_args!("GET_PARAMS param_group {group:#x} -> EINVAL"),
        );
    }
    let mut buf = [0u8; 592];
    tap.ok(
        errno(get_params_raw(&dev, 0, 1, &mut buf, 592)) == Some(EINVAL)
            && buf.iter().all(|b| *b == 0),
        "GET_PARAMS pad != 0 -> EINVAL, nothing written",
    );
    // A short size gets a prefix; the kernel writes nothing beyond it.
    let mut buf = [0xa5u8; 600];
    let r = get_params_raw(&dev, 0, 0, &mut buf, 12);
    tap.ok(
        r.is_ok() && buf[8..12] == 13u32.to_ne_bytes() && buf[12..].iter().all(|b| *b == 0xa5),
        "GET_PARAMS size 12 writes exactly 12 bytes",
    );
    // A larger size than the struct writes only the struct.
    let mut buf = [0xa5u8; 600];
    let r = get_params_raw(&dev, 0, 0, &mut buf, 600);
    tap.ok(
        r.is_ok() && buf[592..].iter().all(|b| *b == 0xa5),
        "GET_PARAMS size 600 writes only 592 bytes",
    );

    // --- GET_TIME ---
    let mut t1 = drm_asahi_get_time::default();
    let mut t2 = drm_asahi_get_time::default();
    let ok1 = dev.get_time(&mut t1).is_ok();
    std::thread::sleep(std::time::Duration::from_micros(100));
    let ok2 = dev.get_time(&mut t2).is_ok();
    tap.ok(
        ok1 && ok2 && t2.gpu_timestamp > t1.gpu_timestamp,
        format_args!(
            "GET_TIME advances: {} -> {}",
            t1.gpu_timestamp, t2.gpu_timestamp
        ),
    );
    for flags in [1, 2, u64::MAX] {
        let mut t = drm_asahi_get_time {
            flags,
            gpu_timestamp: 7,
        };
        let r = dev.get_time(&mut t);
        tap.ok(
            errno(r) == Some(EINVAL) && t.gpu_timestamp == 7,
            format_args!("GET_TIME flags {flags:#x} -> EINVAL, output untouched"),
        );
    }

    // --- VM_CREATE / VM_DESTROY ---
    let (ks, ke) = mesa_window(&p);
    let vm1 = vm_create(&dev, ks, ke);
    let vm2 = vm_create(&dev, ks, ke);
    tap.ok(
        matches!((&vm1, &vm2), (Ok(a), Ok(b)) if *a != 0 && *b != 0 && a != b),
        format_args!("VM_CREATE with Mesa's window twice: ids {vm1:?} {vm2:?}"),
    );
    let vm1 = vm1.unwrap_or(0);
    let bad_windows: [(&str, u64, u64); 7] = [
        (
            "below vm_start",
            p.vm_start - 0x4000,
            p.vm_start - 0x4000 + p.vm_kernel_min_size,
        ),
        ("beyond vm_end", ks + 0x4000, ke + 0x4000),
        (
            "smaller than vm_kernel_min_size",
            ke - p.vm_kernel_min_size + 0x4000,
            ke,
        ),
        ("start not 16K aligned", ks + 0x1000, ke),
        ("end not 16K aligned", ks, ke - 0x1000),
        ("empty", ks, ks),
        ("reversed", ke, ks),
    ];
    for (what, s, e) in bad_windows {
        let mut a = drm_asahi_vm_create {
            kernel_start: s,
            kernel_end: e,
            vm_id: 0xdead,
            pad: 0,
        };
        let r = dev.vm_create(&mut a);
        tap.ok(
            errno(r) == Some(EINVAL) && a.vm_id == 0xdead,
            format_args!("VM_CREATE window {what} -> EINVAL, vm_id untouched"),
        );
    }
    let mut a = drm_asahi_vm_create {
        kernel_start: ks,
        kernel_end: ke,
        vm_id: 0,
        pad: 1,
    };
    tap.ok(
        errno(dev.vm_create(&mut a)) == Some(EINVAL),
        "VM_CREATE pad != 0 -> EINVAL",
    );

    // --- QUEUE_CREATE / QUEUE_DESTROY ---
    let q = queue_create(&dev, vm1, DRM_ASAHI_PRIORITY_MEDIUM, 0);
    let q_low = queue_create(&dev, vm1, DRM_ASAHI_PRIORITY_LOW, 0);
    tap.ok(
        matches!((&q, &q_low), (Ok(a), Ok(b)) if *a != 0 && a != b),
        format_args!("QUEUE_CREATE medium and low: {q:?} {q_low:?}"),
    );
    let refused = [
        (DRM_ASAHI_PRIORITY_HIGH, 0),
        (DRM_ASAHI_PRIORITY_REALTIME, 0),
        (4, 0),
        (DRM_ASAHI_PRIORITY_MEDIUM, 1),
    ]
    .iter()
    .all(|&(prio, flags)| errno(queue_create(&dev, vm1, prio, flags)) == Some(EINVAL));
    tap.ok(
        refused,
        "QUEUE_CREATE HIGH, REALTIME, priority 4, flags 1 -> EINVAL",
    );
    tap.ok(
        errno(queue_create(&dev, 0xffff, DRM_ASAHI_PRIORITY_LOW, 0)) == Some(ENOENT)
            && errno(queue_create(&dev, 0, DRM_ASAHI_PRIORITY_LOW, 0)) == Some(ENOENT),
        "QUEUE_CREATE on unknown VM ids -> ENOENT",
    );

    // Destroy the VM first, the queue after: the queue keeps its VM alive meanwhile.
    let destroy_vm = |id: u32, pad: u32| dev.vm_destroy(&drm_asahi_vm_destroy { vm_id: id, pad });
    tap.ok(
        errno(destroy_vm(vm1, 1)) == Some(EINVAL),
        "VM_DESTROY pad != 0 -> EINVAL",
    );
    tap.check(destroy_vm(vm1, 0), "VM_DESTROY of a VM with live queues");
    tap.ok(
        errno(destroy_vm(vm1, 0)) == Some(ENOENT),
        "VM_DESTROY twice -> ENOENT",
    );
    let destroy_q =
        |id: u32, pad: u32| dev.queue_destroy(&drm_asahi_queue_destroy { queue_id: id, pad });
    tap.ok(
        errno(destroy_q(q.as_ref().copied().unwrap_or(0), 1)) == Some(EINVAL),
        "QUEUE_DESTROY pad != 0 -> EINVAL",
    );
    let qd = q.as_ref().map(|id| destroy_q(*id, 0));
    tap.ok(
        matches!(qd, Ok(Ok(()))),
        "QUEUE_DESTROY after its VM was destroyed",
    );
    tap.ok(
        errno(destroy_q(q.unwrap_or(0), 0)) == Some(ENOENT)
            && errno(destroy_q(0, 0)) == Some(ENOENT),
        "QUEUE_DESTROY twice and of id 0 -> ENOENT",
    );

    // --- Isolation: another open file cannot see this file's ids. ---
    let other = Device::open_render_asahi();
    let vm2 = vm2.unwrap_or(0);
    let iso = other.as_ref().map(|o| {
        (
            errno(o.vm_destroy(&drm_asahi_vm_destroy { vm_id: vm2, pad: 0 })),
            errno(queue_create(o, vm2, DRM_ASAHI_PRIORITY_LOW, 0)),
            errno(o.queue_destroy(&drm_asahi_queue_destroy {
                queue_id: q_low.as_ref().copied().unwrap_or(0),
                pad: 0,
            })),
        )
    });
    tap.ok(
        matches!(iso, Ok((Some(ENOENT), Some(ENOENT), Some(ENOENT)))),
        format_args!("another file gets ENOENT for this file's VM and queue ids: {iso:?}"),
    );
    tap.ok(
        destroy_vm(vm2, 0).is_ok(),
        "the owner still destroys its VM after the other file tried",
    );
    // q_low and its VM are left for file close to clean up (checked by kmemleak and rmmod).
    tap.finish();
}
