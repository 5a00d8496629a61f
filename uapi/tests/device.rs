//! The safe API on a host without the asahi driver: errno passing, mappings, command buffers.

use std::io;

use asahi_uapi::ioctl;
use asahi_uapi::*;
use zerocopy::IntoBytes;

#[test]
fn open_missing_node_is_enoent() {
    let err = Device::open("/nonexistent/dri/renderD128").unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
}

#[test]
fn kernel_errno_is_preserved() {
    // /dev/null is no DRM device: every DRM ioctl fails with ENOTTY, and the wrappers must pass
    // that errno through untouched.
    let dev = Device::open("/dev/null").unwrap();
    let enotty = Some(libc::ENOTTY);
    assert_eq!(dev.version().unwrap_err().raw_os_error(), enotty);
    assert_eq!(
        dev.get_cap(u64::from(DRM_CAP_SYNCOBJ))
            .unwrap_err()
            .raw_os_error(),
        enotty
    );
    assert_eq!(dev.get_params(0).unwrap_err().raw_os_error(), enotty);
    assert_eq!(
        dev.get_time(&mut drm_asahi_get_time::default())
            .unwrap_err()
            .raw_os_error(),
        enotty
    );
    assert_eq!(dev.gem_close(1).unwrap_err().raw_os_error(), enotty);
    assert_eq!(dev.syncobj_create(0).unwrap_err().raw_os_error(), enotty);
    assert_eq!(
        dev.submit(1, &[], &[], CommandBuffer::new().as_bytes())
            .unwrap_err()
            .raw_os_error(),
        enotty
    );

    let mut args = drm_asahi_vm_destroy { vm_id: 1, pad: 1 };
    // SAFETY: `args` is a valid `drm_asahi_vm_destroy` of the size the request encodes, and the
    // request is write-only.
    let err = unsafe { dev.ioctl(ioctl::DRM_IOCTL_ASAHI_VM_DESTROY, &raw mut args) }.unwrap_err();
    assert_eq!(err.raw_os_error(), enotty);
}

#[test]
fn userspace_argument_checks_are_einval() {
    let dev = Device::open("/dev/null").unwrap();
    let err = dev.syncobj_timeline_wait(&[1, 2], &[1], 0, 0).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
    let err = dev.syncobj_timeline_signal(&[1], &[]).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
}

#[test]
fn open_render_asahi_finds_only_asahi() {
    match Device::open_render_asahi() {
        Ok(dev) => assert_eq!(dev.version().unwrap().name, DRIVER_NAME),
        Err(err) => assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}"),
    }
}

#[test]
fn mapping_reads_back_writes() {
    // A shared mapping of /dev/zero stands in for a buffer object.
    let dev = Device::open("/dev/zero").unwrap();
    let map = dev.mmap(0, 4096).unwrap();
    assert_eq!(map.len(), 4096);
    let mut buf = [0xaa_u8; 8];
    map.read(4088, &mut buf);
    assert_eq!(buf, [0; 8]);
    map.write(100, b"asahi");
    let mut back = [0_u8; 5];
    map.read(100, &mut back);
    assert_eq!(&back, b"asahi");
}

#[test]
#[should_panic(expected = "outside a mapping")]
fn mapping_checks_bounds() {
    let dev = Device::open("/dev/zero").unwrap();
    let map = dev.mmap(0, 4096).unwrap();
    map.write(4095, b"xy");
}

#[test]
fn command_buffer_encoding() {
    let compute = drm_asahi_cmd_compute {
        sampler_count: 3,
        ..Default::default()
    };
    let attachment = drm_asahi_attachment {
        pointer: 0x1_0000_0000,
        size: 0x4000,
        ..Default::default()
    };
    let mut cmdbuf = CommandBuffer::new();
    cmdbuf
        .push_compute(BARRIER_NONE, 0, &compute)
        .push_attachments(DRM_ASAHI_SET_FRAGMENT_ATTACHMENTS, &[attachment])
        .push_render(0, 1, &drm_asahi_cmd_render::default());
    let bytes = cmdbuf.as_bytes();
    assert_eq!(bytes.len(), 8 + 64 + 8 + 24 + 8 + 240);

    // Headers are little-endian u16 quadruples: type, size, vdm barrier, cdm barrier.
    let u16_at = |at: usize| u16::from_ne_bytes([bytes[at], bytes[at + 1]]);
    assert_eq!(
        [u16_at(0), u16_at(2), u16_at(4), u16_at(6)],
        [1, 64, 0xffff, 0]
    );
    assert_eq!(&bytes[8..72], compute.as_bytes());
    assert_eq!(
        [u16_at(72), u16_at(74), u16_at(76), u16_at(78)],
        [3, 24, 0xffff, 0xffff]
    );
    assert_eq!(&bytes[80..104], attachment.as_bytes());
    assert_eq!(
        [u16_at(104), u16_at(106), u16_at(108), u16_at(110)],
        [0, 240, 0, 1]
    );
}

#[test]
fn defaults_are_zero() {
    assert!(drm_asahi_cmd_render::default()
        .as_bytes()
        .iter()
        .all(|&b| b == 0));
    assert!(drm_asahi_params_global::default()
        .as_bytes()
        .iter()
        .all(|&b| b == 0));
}
