//! ioctl request numbers, built with the Linux `_IOC` encoding.
//!
//! bindgen cannot expand the function-like `DRM_IOW`/`DRM_IOWR` macros of `drm.h`, so the request
//! numbers of the generic DRM ioctls are computed here from the generated structs' sizes. The asahi
//! header defines its own request numbers as enumerators that bindgen does evaluate; they are
//! recomputed here as well, and compile-time assertions check that both agree with each other and
//! with the values Mesa and the kernel use.
//!
//! The encoding is the generic one of `include/uapi/asm-generic/ioctl.h`, used by x86, Arm, arm64
//! and RISC-V. Architectures with their own encoding (PowerPC, MIPS, SPARC, Alpha) fail the
//! assertions below and so do not build.

use core::mem::size_of;

use crate::bindings::{
    drm_asahi_gem_bind_object, drm_asahi_gem_create, drm_asahi_gem_mmap_offset,
    drm_asahi_get_params, drm_asahi_get_time, drm_asahi_queue_create, drm_asahi_queue_destroy,
    drm_asahi_submit, drm_asahi_vm_bind, drm_asahi_vm_create, drm_asahi_vm_destroy, drm_gem_close,
    drm_get_cap, drm_prime_handle, drm_syncobj_array, drm_syncobj_create, drm_syncobj_destroy,
    drm_syncobj_handle, drm_syncobj_timeline_array, drm_syncobj_timeline_wait, drm_syncobj_wait,
    drm_version, DRM_ASAHI_GEM_BIND_OBJECT, DRM_ASAHI_GEM_CREATE, DRM_ASAHI_GEM_MMAP_OFFSET,
    DRM_ASAHI_GET_PARAMS, DRM_ASAHI_GET_TIME, DRM_ASAHI_QUEUE_CREATE, DRM_ASAHI_QUEUE_DESTROY,
    DRM_ASAHI_SUBMIT, DRM_ASAHI_VM_BIND, DRM_ASAHI_VM_CREATE, DRM_ASAHI_VM_DESTROY,
    DRM_COMMAND_BASE, DRM_IOCTL_BASE,
};

/// Width of the number field.
const NR_BITS: u32 = 8;
/// Width of the type field.
const TYPE_BITS: u32 = 8;
/// Width of the size field.
const SIZE_BITS: u32 = 14;
/// Width of the direction field.
const DIR_BITS: u32 = 2;

/// Position of the number field.
const NR_SHIFT: u32 = 0;
/// Position of the type field.
const TYPE_SHIFT: u32 = NR_SHIFT + NR_BITS;
/// Position of the size field.
const SIZE_SHIFT: u32 = TYPE_SHIFT + TYPE_BITS;
/// Position of the direction field.
const DIR_SHIFT: u32 = SIZE_SHIFT + SIZE_BITS;

/// Direction: no argument is copied (`_IOC_NONE`).
pub const IOC_NONE: u32 = 0;
/// Direction: the kernel copies the argument in (`_IOC_WRITE`, the `W` of `_IOW`).
pub const IOC_WRITE: u32 = 1;
/// Direction: the kernel copies the argument out (`_IOC_READ`, the `R` of `_IOR`).
pub const IOC_READ: u32 = 2;

/// Builds a request number, like C's `_IOC(dir, type, nr, size)`.
///
/// # Panics
///
/// Panics (at compile time in a `const`) if a field does not fit its bit width.
#[must_use = "has no side effects"]
pub const fn ioc(dir: u32, ty: u8, nr: u32, size: usize) -> u32 {
    assert!(dir < 1 << DIR_BITS, "ioctl direction out of range");
    assert!(nr < 1 << NR_BITS, "ioctl number out of range");
    assert!(size < 1 << SIZE_BITS, "ioctl argument too large");
    // CAST: `size` is below 2^14 (asserted above), so it fits in a `u32`.
    let size = size as u32;
    // CAST: widening `u8` to `u32` is lossless (`u32::from` is not `const`).
    let ty = ty as u32;
    (dir << DIR_SHIFT) | (size << SIZE_SHIFT) | (ty << TYPE_SHIFT) | (nr << NR_SHIFT)
}

/// Builds the request number of a DRM ioctl that only copies `T` in, like C's `DRM_IOW(nr, T)`.
#[must_use = "has no side effects"]
pub const fn drm_iow<T>(nr: u32) -> u32 {
    ioc(IOC_WRITE, DRM_IOCTL_BASE, nr, size_of::<T>())
}

/// Builds the request number of a DRM ioctl that copies `T` in and out, like C's `DRM_IOWR(nr, T)`.
#[must_use = "has no side effects"]
pub const fn drm_iowr<T>(nr: u32) -> u32 {
    ioc(IOC_READ | IOC_WRITE, DRM_IOCTL_BASE, nr, size_of::<T>())
}

/// Returns the direction bits of `request` (`_IOC_DIR`).
#[must_use = "has no side effects"]
pub const fn ioc_dir(request: u32) -> u32 {
    (request >> DIR_SHIFT) & ((1 << DIR_BITS) - 1)
}

/// Returns the type byte of `request` (`_IOC_TYPE`).
#[must_use = "has no side effects"]
pub const fn ioc_type(request: u32) -> u32 {
    (request >> TYPE_SHIFT) & ((1 << TYPE_BITS) - 1)
}

/// Returns the number of `request` (`_IOC_NR`).
#[must_use = "has no side effects"]
pub const fn ioc_nr(request: u32) -> u32 {
    (request >> NR_SHIFT) & ((1 << NR_BITS) - 1)
}

/// Returns the argument size encoded in `request` (`_IOC_SIZE`).
#[must_use = "has no side effects"]
pub const fn ioc_size(request: u32) -> usize {
    // CAST: the field is 14 bits wide, so it fits in any `usize`.
    ((request >> SIZE_SHIFT) & ((1 << SIZE_BITS) - 1)) as usize
}

/// Builds an asahi request number: `DRM_COMMAND_BASE + id`, like C's `DRM_IOCTL_ASAHI()`.
const fn asahi<T>(write_only: bool, id: u32) -> u32 {
    if write_only {
        drm_iow::<T>(DRM_COMMAND_BASE + id)
    } else {
        drm_iowr::<T>(DRM_COMMAND_BASE + id)
    }
}

/// `DRM_IOCTL_ASAHI_GET_PARAMS`: write-only, although the kernel writes through `pointer`.
pub const DRM_IOCTL_ASAHI_GET_PARAMS: u32 =
    asahi::<drm_asahi_get_params>(true, DRM_ASAHI_GET_PARAMS);
/// `DRM_IOCTL_ASAHI_GET_TIME`.
pub const DRM_IOCTL_ASAHI_GET_TIME: u32 = asahi::<drm_asahi_get_time>(false, DRM_ASAHI_GET_TIME);
/// `DRM_IOCTL_ASAHI_VM_CREATE`.
pub const DRM_IOCTL_ASAHI_VM_CREATE: u32 = asahi::<drm_asahi_vm_create>(false, DRM_ASAHI_VM_CREATE);
/// `DRM_IOCTL_ASAHI_VM_DESTROY`: write-only.
pub const DRM_IOCTL_ASAHI_VM_DESTROY: u32 =
    asahi::<drm_asahi_vm_destroy>(true, DRM_ASAHI_VM_DESTROY);
/// `DRM_IOCTL_ASAHI_VM_BIND`: write-only.
pub const DRM_IOCTL_ASAHI_VM_BIND: u32 = asahi::<drm_asahi_vm_bind>(true, DRM_ASAHI_VM_BIND);
/// `DRM_IOCTL_ASAHI_GEM_CREATE`.
pub const DRM_IOCTL_ASAHI_GEM_CREATE: u32 =
    asahi::<drm_asahi_gem_create>(false, DRM_ASAHI_GEM_CREATE);
/// `DRM_IOCTL_ASAHI_GEM_MMAP_OFFSET`.
pub const DRM_IOCTL_ASAHI_GEM_MMAP_OFFSET: u32 =
    asahi::<drm_asahi_gem_mmap_offset>(false, DRM_ASAHI_GEM_MMAP_OFFSET);
/// `DRM_IOCTL_ASAHI_GEM_BIND_OBJECT`.
pub const DRM_IOCTL_ASAHI_GEM_BIND_OBJECT: u32 =
    asahi::<drm_asahi_gem_bind_object>(false, DRM_ASAHI_GEM_BIND_OBJECT);
/// `DRM_IOCTL_ASAHI_QUEUE_CREATE`.
pub const DRM_IOCTL_ASAHI_QUEUE_CREATE: u32 =
    asahi::<drm_asahi_queue_create>(false, DRM_ASAHI_QUEUE_CREATE);
/// `DRM_IOCTL_ASAHI_QUEUE_DESTROY`: write-only.
pub const DRM_IOCTL_ASAHI_QUEUE_DESTROY: u32 =
    asahi::<drm_asahi_queue_destroy>(true, DRM_ASAHI_QUEUE_DESTROY);
/// `DRM_IOCTL_ASAHI_SUBMIT`: write-only.
pub const DRM_IOCTL_ASAHI_SUBMIT: u32 = asahi::<drm_asahi_submit>(true, DRM_ASAHI_SUBMIT);

/// `DRM_IOCTL_VERSION`.
pub const DRM_IOCTL_VERSION: u32 = drm_iowr::<drm_version>(0x00);
/// `DRM_IOCTL_GEM_CLOSE`.
pub const DRM_IOCTL_GEM_CLOSE: u32 = drm_iow::<drm_gem_close>(0x09);
/// `DRM_IOCTL_GET_CAP`.
pub const DRM_IOCTL_GET_CAP: u32 = drm_iowr::<drm_get_cap>(0x0c);
/// `DRM_IOCTL_PRIME_HANDLE_TO_FD`.
pub const DRM_IOCTL_PRIME_HANDLE_TO_FD: u32 = drm_iowr::<drm_prime_handle>(0x2d);
/// `DRM_IOCTL_PRIME_FD_TO_HANDLE`.
pub const DRM_IOCTL_PRIME_FD_TO_HANDLE: u32 = drm_iowr::<drm_prime_handle>(0x2e);
/// `DRM_IOCTL_SYNCOBJ_CREATE`.
pub const DRM_IOCTL_SYNCOBJ_CREATE: u32 = drm_iowr::<drm_syncobj_create>(0xbf);
/// `DRM_IOCTL_SYNCOBJ_DESTROY`.
pub const DRM_IOCTL_SYNCOBJ_DESTROY: u32 = drm_iowr::<drm_syncobj_destroy>(0xc0);
/// `DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD`.
pub const DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD: u32 = drm_iowr::<drm_syncobj_handle>(0xc1);
/// `DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE`.
pub const DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE: u32 = drm_iowr::<drm_syncobj_handle>(0xc2);
/// `DRM_IOCTL_SYNCOBJ_WAIT`.
///
/// Its size depends on the `drm.h` used: 32 bytes before Linux 6.4, 40 with `deadline_nsec`. The
/// DRM core accepts both.
pub const DRM_IOCTL_SYNCOBJ_WAIT: u32 = drm_iowr::<drm_syncobj_wait>(0xc3);
/// `DRM_IOCTL_SYNCOBJ_RESET`.
pub const DRM_IOCTL_SYNCOBJ_RESET: u32 = drm_iowr::<drm_syncobj_array>(0xc4);
/// `DRM_IOCTL_SYNCOBJ_SIGNAL`.
pub const DRM_IOCTL_SYNCOBJ_SIGNAL: u32 = drm_iowr::<drm_syncobj_array>(0xc5);
/// `DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT`.
///
/// Like [`DRM_IOCTL_SYNCOBJ_WAIT`], 40 or 48 bytes depending on the `drm.h` used.
pub const DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT: u32 = drm_iowr::<drm_syncobj_timeline_wait>(0xca);
/// `DRM_IOCTL_SYNCOBJ_QUERY`.
pub const DRM_IOCTL_SYNCOBJ_QUERY: u32 = drm_iowr::<drm_syncobj_timeline_array>(0xcb);
/// `DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL`.
pub const DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL: u32 = drm_iowr::<drm_syncobj_timeline_array>(0xcd);

/// Fails to compile unless the two request numbers are equal.
macro_rules! assert_request {
    ($ours:expr, $expected:expr) => {
        const _: () = assert!($ours == $expected, stringify!($ours));
    };
}

// The asahi requests: computed here, evaluated by clang from the header, and the values upstream
// Linux and Mesa use, all equal.
assert_request!(
    DRM_IOCTL_ASAHI_GET_PARAMS,
    crate::bindings::DRM_IOCTL_ASAHI_GET_PARAMS
);
assert_request!(
    DRM_IOCTL_ASAHI_GET_TIME,
    crate::bindings::DRM_IOCTL_ASAHI_GET_TIME
);
assert_request!(
    DRM_IOCTL_ASAHI_VM_CREATE,
    crate::bindings::DRM_IOCTL_ASAHI_VM_CREATE
);
assert_request!(
    DRM_IOCTL_ASAHI_VM_DESTROY,
    crate::bindings::DRM_IOCTL_ASAHI_VM_DESTROY
);
assert_request!(
    DRM_IOCTL_ASAHI_VM_BIND,
    crate::bindings::DRM_IOCTL_ASAHI_VM_BIND
);
assert_request!(
    DRM_IOCTL_ASAHI_GEM_CREATE,
    crate::bindings::DRM_IOCTL_ASAHI_GEM_CREATE
);
assert_request!(
    DRM_IOCTL_ASAHI_GEM_MMAP_OFFSET,
    crate::bindings::DRM_IOCTL_ASAHI_GEM_MMAP_OFFSET
);
assert_request!(
    DRM_IOCTL_ASAHI_GEM_BIND_OBJECT,
    crate::bindings::DRM_IOCTL_ASAHI_GEM_BIND_OBJECT
);
assert_request!(
    DRM_IOCTL_ASAHI_QUEUE_CREATE,
    crate::bindings::DRM_IOCTL_ASAHI_QUEUE_CREATE
);
assert_request!(
    DRM_IOCTL_ASAHI_QUEUE_DESTROY,
    crate::bindings::DRM_IOCTL_ASAHI_QUEUE_DESTROY
);
assert_request!(
    DRM_IOCTL_ASAHI_SUBMIT,
    crate::bindings::DRM_IOCTL_ASAHI_SUBMIT
);

assert_request!(DRM_IOCTL_ASAHI_GET_PARAMS, 0x4018_6440);
assert_request!(DRM_IOCTL_ASAHI_GET_TIME, 0xc010_6441);
assert_request!(DRM_IOCTL_ASAHI_VM_CREATE, 0xc018_6442);
assert_request!(DRM_IOCTL_ASAHI_VM_DESTROY, 0x4008_6443);
assert_request!(DRM_IOCTL_ASAHI_VM_BIND, 0x4018_6444);
assert_request!(DRM_IOCTL_ASAHI_GEM_CREATE, 0xc018_6445);
assert_request!(DRM_IOCTL_ASAHI_GEM_MMAP_OFFSET, 0xc010_6446);
assert_request!(DRM_IOCTL_ASAHI_GEM_BIND_OBJECT, 0xc028_6447);
assert_request!(DRM_IOCTL_ASAHI_QUEUE_CREATE, 0xc018_6448);
assert_request!(DRM_IOCTL_ASAHI_QUEUE_DESTROY, 0x4008_6449);
assert_request!(DRM_IOCTL_ASAHI_SUBMIT, 0x4028_644a);

// The generic requests whose argument layout does not depend on the `drm.h` version.
assert_request!(DRM_IOCTL_GEM_CLOSE, 0x4008_6409);
assert_request!(DRM_IOCTL_GET_CAP, 0xc010_640c);
assert_request!(DRM_IOCTL_PRIME_HANDLE_TO_FD, 0xc00c_642d);
assert_request!(DRM_IOCTL_PRIME_FD_TO_HANDLE, 0xc00c_642e);
assert_request!(DRM_IOCTL_SYNCOBJ_CREATE, 0xc008_64bf);
assert_request!(DRM_IOCTL_SYNCOBJ_DESTROY, 0xc008_64c0);
assert_request!(DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, 0xc010_64c1);
assert_request!(DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, 0xc010_64c2);
assert_request!(DRM_IOCTL_SYNCOBJ_RESET, 0xc010_64c4);
assert_request!(DRM_IOCTL_SYNCOBJ_SIGNAL, 0xc010_64c5);
assert_request!(DRM_IOCTL_SYNCOBJ_QUERY, 0xc018_64cb);
assert_request!(DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, 0xc018_64cd);
#[cfg(target_pointer_width = "64")]
assert_request!(DRM_IOCTL_VERSION, 0xc040_6400);
