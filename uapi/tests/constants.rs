//! ioctl request numbers and constant values, checked against the upstream uAPI and the C header.
//!
//! The expected values are the upstream ones (Linux 6.16+ `asahi_drm.h`, as tabulated in the
//! project's reference notes, sections 1.1 and 1.3) and, for the generic DRM items, `drm.h`.

mod common;

use std::fmt::Write as _;

use asahi_uapi::ioctl::{self, ioc_dir, ioc_nr, ioc_size, ioc_type, IOC_READ, IOC_WRITE};
use asahi_uapi::*;

/// Direction `W`: the kernel only copies the argument in.
const W: u32 = IOC_WRITE;
/// Direction `WR`: the kernel copies the argument in and out.
const WR: u32 = IOC_READ | IOC_WRITE;

/// One asahi ioctl as upstream defines it, and as this crate sees it.
#[derive(Debug)]
struct AsahiIoctl {
    /// Name of the request number.
    name: &'static str,
    /// Name of the ioctl number in `enum drm_asahi_ioctl_id`.
    id_name: &'static str,
    /// Expected number, including `DRM_COMMAND_BASE`.
    nr: u32,
    /// Expected direction.
    dir: u32,
    /// Expected argument size.
    size: usize,
    /// Expected request number.
    cmd: u32,
    /// The header's `DRM_ASAHI_*` id, through bindgen.
    id: u32,
    /// The request number computed by [`asahi_uapi::ioctl`].
    computed: u32,
    /// The header's `DRM_IOCTL_ASAHI_*` enumerator, through bindgen.
    from_header: u32,
}

macro_rules! asahi_ioctls {
    ($($name:ident = $id:ident: $nr:literal, $dir:ident, $size:literal, $cmd:literal;)*) => {
        fn asahi_ioctls() -> Vec<AsahiIoctl> {
            vec![$(AsahiIoctl {
                name: stringify!($name),
                id_name: stringify!($id),
                nr: $nr,
                dir: $dir,
                size: $size,
                cmd: $cmd,
                id: $id,
                computed: ioctl::$name,
                from_header: bindings::$name,
            }),*]
        }
    };
}

asahi_ioctls! {
    DRM_IOCTL_ASAHI_GET_PARAMS = DRM_ASAHI_GET_PARAMS: 0x40, W, 24, 0x4018_6440;
    DRM_IOCTL_ASAHI_GET_TIME = DRM_ASAHI_GET_TIME: 0x41, WR, 16, 0xc010_6441;
    DRM_IOCTL_ASAHI_VM_CREATE = DRM_ASAHI_VM_CREATE: 0x42, WR, 24, 0xc018_6442;
    DRM_IOCTL_ASAHI_VM_DESTROY = DRM_ASAHI_VM_DESTROY: 0x43, W, 8, 0x4008_6443;
    DRM_IOCTL_ASAHI_VM_BIND = DRM_ASAHI_VM_BIND: 0x44, W, 24, 0x4018_6444;
    DRM_IOCTL_ASAHI_GEM_CREATE = DRM_ASAHI_GEM_CREATE: 0x45, WR, 24, 0xc018_6445;
    DRM_IOCTL_ASAHI_GEM_MMAP_OFFSET = DRM_ASAHI_GEM_MMAP_OFFSET: 0x46, WR, 16, 0xc010_6446;
    DRM_IOCTL_ASAHI_GEM_BIND_OBJECT = DRM_ASAHI_GEM_BIND_OBJECT: 0x47, WR, 40, 0xc028_6447;
    DRM_IOCTL_ASAHI_QUEUE_CREATE = DRM_ASAHI_QUEUE_CREATE: 0x48, WR, 24, 0xc018_6448;
    DRM_IOCTL_ASAHI_QUEUE_DESTROY = DRM_ASAHI_QUEUE_DESTROY: 0x49, W, 8, 0x4008_6449;
    DRM_IOCTL_ASAHI_SUBMIT = DRM_ASAHI_SUBMIT: 0x4a, W, 40, 0x4028_644a;
}

/// Expands to `(name, expected value, value through bindgen)` triples.
macro_rules! constants {
    ($($name:ident = $value:expr;)*) => {
        vec![$((stringify!($name), u64::from($value), u64::from($name))),*]
    };
}

/// The asahi constants: enumerators and macros of `asahi_drm.h`.
fn asahi_constants() -> Vec<(&'static str, u64, u64)> {
    constants! {
        DRM_ASAHI_MAX_CLUSTERS = 64_u32;
        DRM_ASAHI_FEATURE_SOFT_FAULTS = 1_u32 << 0;
        DRM_ASAHI_GEM_WRITEBACK = 1_u32 << 0;
        DRM_ASAHI_GEM_VM_PRIVATE = 1_u32 << 1;
        DRM_ASAHI_BIND_UNBIND = 1_u32;
        DRM_ASAHI_BIND_READ = 2_u32;
        DRM_ASAHI_BIND_WRITE = 4_u32;
        DRM_ASAHI_BIND_SINGLE_PAGE = 8_u32;
        DRM_ASAHI_BIND_OBJECT_OP_BIND = 0_u32;
        DRM_ASAHI_BIND_OBJECT_OP_UNBIND = 1_u32;
        DRM_ASAHI_BIND_OBJECT_USAGE_TIMESTAMPS = 1_u32;
        DRM_ASAHI_CMD_RENDER = 0_u32;
        DRM_ASAHI_CMD_COMPUTE = 1_u32;
        DRM_ASAHI_SET_VERTEX_ATTACHMENTS = 2_u32;
        DRM_ASAHI_SET_FRAGMENT_ATTACHMENTS = 3_u32;
        DRM_ASAHI_SET_COMPUTE_ATTACHMENTS = 4_u32;
        DRM_ASAHI_PRIORITY_LOW = 0_u32;
        DRM_ASAHI_PRIORITY_MEDIUM = 1_u32;
        DRM_ASAHI_PRIORITY_HIGH = 2_u32;
        DRM_ASAHI_PRIORITY_REALTIME = 3_u32;
        DRM_ASAHI_SYNC_SYNCOBJ = 0_u32;
        DRM_ASAHI_SYNC_TIMELINE_SYNCOBJ = 1_u32;
        DRM_ASAHI_RENDER_VERTEX_SCRATCH = 1_u32 << 0;
        DRM_ASAHI_RENDER_PROCESS_EMPTY_TILES = 1_u32 << 1;
        DRM_ASAHI_RENDER_NO_VERTEX_CLUSTERING = 1_u32 << 2;
        DRM_ASAHI_RENDER_DBIAS_IS_INT = 1_u32 << 18;
        DRM_ASAHI_BARRIER_NONE = 0xffff_u32;
    }
}

/// The generic DRM constants the crate exposes, with their `drm.h` values.
fn drm_constants() -> Vec<(&'static str, u64, u64)> {
    constants! {
        DRM_IOCTL_BASE = b'd';
        DRM_COMMAND_BASE = 0x40_u32;
        DRM_COMMAND_END = 0xa0_u32;
        DRM_CAP_DUMB_BUFFER = 0x1_u32;
        DRM_CAP_PRIME = 0x5_u32;
        DRM_PRIME_CAP_IMPORT = 0x1_u32;
        DRM_PRIME_CAP_EXPORT = 0x2_u32;
        DRM_CAP_TIMESTAMP_MONOTONIC = 0x6_u32;
        DRM_CAP_SYNCOBJ = 0x13_u32;
        DRM_CAP_SYNCOBJ_TIMELINE = 0x14_u32;
        DRM_SYNCOBJ_CREATE_SIGNALED = 1_u32 << 0;
        DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE = 1_u32 << 0;
        DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE = 1_u32 << 0;
        DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL = 1_u32 << 0;
        DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT = 1_u32 << 1;
        DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE = 1_u32 << 2;
        DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED = 1_u32 << 0;
        DRM_CLOEXEC = 0o2_000_000_u32;
        DRM_RDWR = 0o2_u32;
    }
}

/// The generic DRM request numbers [`asahi_uapi::ioctl`] computes.
fn drm_ioctls() -> Vec<(&'static str, u32)> {
    vec![
        ("DRM_IOCTL_VERSION", ioctl::DRM_IOCTL_VERSION),
        ("DRM_IOCTL_GEM_CLOSE", ioctl::DRM_IOCTL_GEM_CLOSE),
        ("DRM_IOCTL_GET_CAP", ioctl::DRM_IOCTL_GET_CAP),
        (
            "DRM_IOCTL_PRIME_HANDLE_TO_FD",
            ioctl::DRM_IOCTL_PRIME_HANDLE_TO_FD,
        ),
        (
            "DRM_IOCTL_PRIME_FD_TO_HANDLE",
            ioctl::DRM_IOCTL_PRIME_FD_TO_HANDLE,
        ),
        ("DRM_IOCTL_SYNCOBJ_CREATE", ioctl::DRM_IOCTL_SYNCOBJ_CREATE),
        (
            "DRM_IOCTL_SYNCOBJ_DESTROY",
            ioctl::DRM_IOCTL_SYNCOBJ_DESTROY,
        ),
        (
            "DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD",
            ioctl::DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
        ),
        (
            "DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE",
            ioctl::DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE,
        ),
        ("DRM_IOCTL_SYNCOBJ_WAIT", ioctl::DRM_IOCTL_SYNCOBJ_WAIT),
        ("DRM_IOCTL_SYNCOBJ_RESET", ioctl::DRM_IOCTL_SYNCOBJ_RESET),
        ("DRM_IOCTL_SYNCOBJ_SIGNAL", ioctl::DRM_IOCTL_SYNCOBJ_SIGNAL),
        (
            "DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT",
            ioctl::DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
        ),
        ("DRM_IOCTL_SYNCOBJ_QUERY", ioctl::DRM_IOCTL_SYNCOBJ_QUERY),
        (
            "DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL",
            ioctl::DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
        ),
    ]
}

/// Returns what the C compiler makes of each named integer constant, in order.
fn c_values(test: &str, names: &[&str]) -> Vec<u64> {
    let mut body = String::new();
    for name in names {
        writeln!(
            body,
            "\tprintf(\"{name} %llu\\n\", (unsigned long long)({name}));"
        )
        .unwrap();
    }
    let out = common::parse_numbers(&common::run_c(test, &body));
    names
        .iter()
        .map(|name| match out.get(*name).map(Vec::as_slice) {
            Some(&[value]) => value,
            other => panic!("C output for {name}: {other:?}"),
        })
        .collect()
}

#[test]
fn asahi_ioctls_match_reference() {
    let ioctls = asahi_ioctls();
    assert_eq!(ioctls.len(), 11);
    for i in &ioctls {
        assert_eq!(i.computed, i.cmd, "{}: computed", i.name);
        assert_eq!(i.from_header, i.cmd, "{}: header", i.name);
        assert_eq!(DRM_COMMAND_BASE + i.id, i.nr, "{}", i.id_name);
        assert_eq!(ioc_nr(i.cmd), i.nr, "{}: number", i.name);
        assert_eq!(ioc_dir(i.cmd), i.dir, "{}: direction", i.name);
        assert_eq!(ioc_size(i.cmd), i.size, "{}: size", i.name);
        assert_eq!(ioc_type(i.cmd), u32::from(b'd'), "{}: type", i.name);
    }
    // The numbers are dense from DRM_COMMAND_BASE, in order.
    let nrs: Vec<u32> = ioctls.iter().map(|i| i.nr).collect();
    assert_eq!(nrs, (0x40..0x4b).collect::<Vec<u32>>());
}

#[test]
fn asahi_ioctls_match_c() {
    let ioctls = asahi_ioctls();
    let names: Vec<&str> = ioctls.iter().flat_map(|i| [i.name, i.id_name]).collect();
    let c = c_values("ioctls", &names);
    for (i, c) in ioctls.iter().zip(c.chunks(2)) {
        assert_eq!(c[0], u64::from(i.cmd), "{} in C", i.name);
        assert_eq!(c[1] + 0x40, u64::from(i.nr), "{} in C", i.id_name);
    }
}

#[test]
fn constants_match_reference_and_c() {
    let all: Vec<_> = asahi_constants()
        .into_iter()
        .chain(drm_constants())
        .collect();
    let names: Vec<&str> = all.iter().map(|c| c.0).collect();
    let c = c_values("constants", &names);
    for ((name, expected, rust), c) in all.iter().zip(c) {
        assert_eq!(rust, expected, "{name} in Rust");
        assert_eq!(c, *expected, "{name} in C");
    }
}

#[test]
fn drm_ioctls_match_c() {
    let ioctls = drm_ioctls();
    let names: Vec<&str> = ioctls.iter().map(|i| i.0).collect();
    let c = c_values("drm_ioctls", &names);
    for ((name, rust), c) in ioctls.iter().zip(c) {
        assert_eq!(u64::from(*rust), c, "{name}");
    }
}

#[test]
fn ioc_encoding() {
    assert_eq!(
        ioctl::ioc(IOC_READ | IOC_WRITE, b'd', 0x41, 16),
        0xc010_6441
    );
    assert_eq!(ioctl::ioc(IOC_WRITE, b'd', 0x4a, 40), 0x4028_644a);
    assert_eq!(ioctl::ioc(ioctl::IOC_NONE, b'd', 0x00, 0), 0x0000_6400);
    assert_eq!(ioctl::drm_iow::<drm_gem_close>(0x09), 0x4008_6409);
    assert_eq!(ioctl::drm_iowr::<drm_get_cap>(0x0c), 0xc010_640c);
    let max = ioctl::ioc(IOC_READ | IOC_WRITE, 0xff, 0xff, (1 << 14) - 1);
    assert_eq!(max, u32::MAX);
    assert_eq!(ioc_size(max), (1 << 14) - 1);
}

#[test]
#[should_panic(expected = "ioctl argument too large")]
fn ioc_rejects_oversized_argument() {
    let _ = ioctl::ioc(IOC_WRITE, b'd', 0x40, 1 << 14);
}

#[test]
#[should_panic(expected = "ioctl number out of range")]
fn ioc_rejects_large_number() {
    let _ = ioctl::ioc(IOC_WRITE, b'd', 0x100, 8);
}
