// SPDX-License-Identifier: GPL-2.0 OR MIT

//! DRM core: drivers, devices and open files.
//!
//! C headers: [`include/drm/drm_drv.h`](srctree/include/drm/drm_drv.h),
//! [`include/drm/drm_file.h`](srctree/include/drm/drm_file.h).
//!
//! A [`Driver`] describes the static side (name, features, ioctls, per-device and per-file data
//! types); [`DriverVTable::new`] turns it into the C `struct drm_driver` at compile time.
//! [`Device::new`] allocates a `drm_device` owning the driver's data, and [`Registration`]
//! publishes it to userspace until dropped. Each open file gets a [`DriverFile`] value, created
//! by `open` and dropped at `postclose`.
//!
//! Lifetimes: a `drm_device` is refcounted ([`ARef<Device<T>>`]); open files and mappings hold
//! references, so the device data outlives unregistration for as long as userspace holds the
//! device open. It is dropped by the `release` callback at the last reference.

use crate::bindings;
use crate::fw::plain::Plain;
use crate::kernel_ext::print::AsRawDevice;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::error::from_err_ptr;
use kernel::error::to_result;
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::{ARef, AlwaysRefCounted, Opaque};

/// Driver feature bits (`enum drm_driver_feature`).
pub(crate) mod feature {
    use crate::bindings;

    /// GEM memory management.
    pub(crate) const GEM: u32 = bindings::DRIVER_GEM;
    /// A render node (`/dev/dri/renderD*`).
    pub(crate) const RENDER: u32 = bindings::DRIVER_RENDER;
    /// Binary syncobjs.
    pub(crate) const SYNCOBJ: u32 = bindings::DRIVER_SYNCOBJ;
    /// Timeline syncobjs.
    pub(crate) const SYNCOBJ_TIMELINE: u32 = bindings::DRIVER_SYNCOBJ_TIMELINE;
}

/// What `DRM_IOCTL_VERSION` reports.
pub(crate) struct DriverInfo {
    /// Major version.
    pub(crate) major: i32,
    /// Minor version.
    pub(crate) minor: i32,
    /// Patch level.
    pub(crate) patchlevel: i32,
    /// Driver name; userspace (Mesa's loader) selects its driver by it.
    pub(crate) name: &'static CStr,
    /// One-line description.
    pub(crate) desc: &'static CStr,
    /// Date string (still part of the 6.12 version ioctl).
    pub(crate) date: &'static CStr,
}

/// A DRM driver.
pub(crate) trait Driver: Sized + 'static {
    /// Per-device data, created before registration and dropped at the device's last reference.
    type Data: Send + Sync + 'static;
    /// Per-open-file data.
    type File: DriverFile<Driver = Self>;
    /// Name and version.
    const INFO: DriverInfo;
    /// `feature::*` bits.
    const FEATURES: u32;
    /// The driver-specific ioctl table, indexed from `DRM_COMMAND_BASE`.
    const IOCTLS: &'static [bindings::drm_ioctl_desc];

    /// Adds the driver's debugfs files under `root` (the primary node's debugfs directory).
    fn debugfs_init(dev: &Device<Self>, root: *mut bindings::dentry);

    /// Prints the driver's part of `/proc/<pid>/fdinfo/<fd>` for `file` (after the core's
    /// `drm-driver` and `drm-client-id`; see `Documentation/gpu/drm-usage-stats.rst`).
    fn show_fdinfo(dev: &Device<Self>, file: &File<Self>, p: &mut Printer<'_>);
}

/// A DRM printer (`struct drm_printer`, `include/drm/drm_print.h`), borrowed for one callback.
///
/// # Invariants
///
/// `raw` is a valid printer for `'a`.
pub(crate) struct Printer<'a> {
    raw: *mut bindings::drm_printer,
    _p: PhantomData<&'a mut bindings::drm_printer>,
}

impl Printer<'_> {
    /// Prints `args` (use `format_args!`).
    pub(crate) fn print(&mut self, args: core::fmt::Arguments<'_>) {
        let args_ptr: *const core::fmt::Arguments<'_> = &args;
        // SAFETY: `raw` is valid (type invariant); the format is NUL-terminated and consumes
        // one `*const fmt::Arguments`, which `%pA` expects; `args` outlives the call.
        unsafe { bindings::drm_printf(self.raw, c"%pA".as_ptr().cast(), args_ptr) };
    }

    /// Prints the DRM core's GEM memory statistics of `file` (`drm-total-memory`,
    /// `drm-shared-memory`, `drm-active-memory`, and `drm-resident-memory`/`drm-purgeable-memory`
    /// from the objects' `status` callback): `drm_show_memory_stats`.
    pub(crate) fn memory_stats<T: Driver>(&mut self, file: &File<T>) {
        // SAFETY: The printer is valid (type invariant) and `file` is an open DRM file; the
        // helper takes the file's handle-table lock itself.
        unsafe { bindings::drm_show_memory_stats(self.raw, file.as_raw()) };
    }
}

/// Per-open-file driver state.
pub(crate) trait DriverFile: Sized + Send + Sync + 'static {
    /// The driver this file belongs to.
    type Driver: Driver<File = Self>;
    /// Creates the state for a newly opened file.
    fn open(dev: &Device<Self::Driver>) -> Result<Pin<KBox<Self>>>;
}

/// C file operations: a GEM driver's (what `DEFINE_DRM_GEM_FOPS` builds in C), or a debugfs
/// file's.
#[repr(transparent)]
pub(crate) struct FileOperations(pub(crate) bindings::file_operations);

// SAFETY: The table is immutable and holds only function pointers and the module pointer.
unsafe impl Sync for FileOperations {}

impl FileOperations {
    /// The standard DRM GEM file operations, owned by `module` (this module's `__this_module`).
    pub(crate) const fn gem(module: *const bindings::module) -> Self {
        Self(bindings::file_operations {
            // CAST: the C field is non-const but the core only refcounts through it.
            owner: module.cast_mut(),
            open: Some(bindings::drm_open),
            release: Some(bindings::drm_release),
            unlocked_ioctl: Some(bindings::drm_ioctl),
            // No 32-bit compat ioctls: AGX userspace (Mesa) is 64-bit only.
            poll: Some(bindings::drm_poll),
            read: Some(bindings::drm_read),
            llseek: Some(bindings::noop_llseek),
            mmap: Some(bindings::drm_gem_mmap),
            // The DRM core's fdinfo: `drm-driver`, `drm-client-id`, then the driver's part.
            show_fdinfo: Some(bindings::drm_show_fdinfo),
            fop_flags: bindings::FOP_UNSIGNED_OFFSET,
            // SAFETY: All remaining fields are optional function pointers or integers, for which
            // all-zero means "not implemented".
            ..unsafe { core::mem::zeroed() }
        })
    }
}

impl FileOperations {
    /// A write-only debugfs file calling `write`, whose private data is the inode's.
    pub(crate) const fn debugfs_write(
        module: *const bindings::module,
        write: unsafe extern "C" fn(
            *mut bindings::file,
            *const kernel::ffi::c_char,
            usize,
            *mut bindings::loff_t,
        ) -> isize,
    ) -> Self {
        Self(bindings::file_operations {
            // CAST: the C field is non-const but the core only refcounts through it.
            owner: module.cast_mut(),
            open: Some(bindings::simple_open),
            write: Some(write),
            llseek: Some(bindings::noop_llseek),
            // SAFETY: All remaining fields are optional callbacks: null means "not provided".
            ..unsafe { core::mem::zeroed() }
        })
    }
}

/// The C `struct drm_driver` for a [`Driver`].
#[repr(transparent)]
pub(crate) struct DriverVTable(bindings::drm_driver);

// SAFETY: The table is immutable and holds only function pointers, static strings and pointers
// to other immutable statics.
unsafe impl Sync for DriverVTable {}

impl DriverVTable {
    /// Builds the C driver description for `T`, with `fops` as its file operations.
    pub(crate) const fn new<T: Driver>(fops: &'static FileOperations) -> Self {
        Self(bindings::drm_driver {
            open: Some(open_callback::<T>),
            postclose: Some(postclose_callback::<T>),
            release: Some(release_callback::<T>),
            debugfs_init: Some(debugfs_init_callback::<T>),
            show_fdinfo: Some(show_fdinfo_callback::<T>),
            major: T::INFO.major,
            minor: T::INFO.minor,
            patchlevel: T::INFO.patchlevel,
            name: T::INFO.name.as_char_ptr().cast_mut(),
            desc: T::INFO.desc.as_char_ptr().cast_mut(),
            date: T::INFO.date.as_char_ptr().cast_mut(),
            driver_features: T::FEATURES,
            ioctls: T::IOCTLS.as_ptr(),
            // CAST: the table length is a small compile-time constant.
            num_ioctls: T::IOCTLS.len() as c_int,
            fops: &fops.0,
            // SAFETY: The remaining fields are optional callbacks, for which null means "use the
            // DRM core default".
            ..unsafe { core::mem::zeroed() }
        })
    }
}

/// A DRM device of driver `T`.
///
/// # Invariants
///
/// - The wrapped `drm_device` was allocated by [`Device::new`] with `T`'s vtable, so its
///   `dev_private` points to a pinned `T::Data` made by `KBox::into_raw`, until `release`.
/// - Every `&Device<T>` is backed by a reference count on the `drm_device`.
#[repr(transparent)]
pub(crate) struct Device<T: Driver> {
    raw: Opaque<bindings::drm_device>,
    _driver: PhantomData<T>,
}

// SAFETY: The DRM core synchronises the `drm_device`; `T::Data` is `Send + Sync`.
unsafe impl<T: Driver> Send for Device<T> {}
// SAFETY: As above.
unsafe impl<T: Driver> Sync for Device<T> {}

impl<T: Driver> Device<T> {
    /// Allocates a DRM device parented to `parent`, owning `data`. Not yet visible to userspace:
    /// see [`Registration`].
    pub(crate) fn new(
        parent: *mut bindings::device,
        vtable: &'static DriverVTable,
        data: impl PinInit<T::Data, Error>,
    ) -> Result<ARef<Self>> {
        let data = KBox::pin_init(data, GFP_KERNEL)?;
        // SAFETY: `parent` is a bound device (callers pass the probing device); `vtable` is
        // static. On success the device starts with one reference, which we own.
        let raw = from_err_ptr(unsafe { bindings::drm_dev_alloc(&vtable.0, parent) })?;
        // SAFETY: The data is only reclaimed by `release_callback`, which re-pins it.
        let data = KBox::into_raw(unsafe { Pin::into_inner_unchecked(data) });
        // SAFETY: `raw` is a valid, freshly allocated device nobody else can see yet.
        unsafe { (*raw).dev_private = data.cast() };
        // INVARIANT: `dev_private` now holds the data; we own the initial reference.
        // SAFETY: `raw` is non-null (checked by `from_err_ptr`) and carries the reference we own.
        Ok(unsafe { ARef::from_raw(NonNull::new_unchecked(raw.cast())) })
    }

    /// # Safety
    ///
    /// `raw` must be a device created by [`Device::new`] for `T`, alive for `'a`.
    pub(crate) unsafe fn from_raw<'a>(raw: *mut bindings::drm_device) -> &'a Self {
        // SAFETY: `Device<T>` is transparent over the C device; the caller promises the rest.
        unsafe { &*raw.cast() }
    }

    /// The C device.
    pub(crate) fn as_raw(&self) -> *mut bindings::drm_device {
        self.raw.get()
    }

    /// The driver's per-device data.
    pub(crate) fn data(&self) -> Pin<&T::Data> {
        // SAFETY: By the type invariants `dev_private` holds a pinned `T::Data` that lives until
        // `release`, which cannot run while `self` holds a reference.
        unsafe { Pin::new_unchecked(&*(*self.as_raw()).dev_private.cast::<T::Data>()) }
    }
}

impl<T: Driver> AsRawDevice for Device<T> {
    fn as_raw_device(&self) -> *mut bindings::device {
        // SAFETY: The device is valid (type invariant); `dev` is set at allocation and constant.
        unsafe { (*self.as_raw()).dev }
    }
}

// SAFETY: `drm_dev_get`/`drm_dev_put` manage the `drm_device` reference count, and the device
// stays valid while the count is non-zero.
unsafe impl<T: Driver> AlwaysRefCounted for Device<T> {
    fn inc_ref(&self) {
        // SAFETY: `self` is backed by a reference, so the count is non-zero.
        unsafe { bindings::drm_dev_get(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it owns.
        unsafe { bindings::drm_dev_put(obj.cast().as_ptr()) };
    }
}

/// A registered DRM device, visible to userspace until dropped.
///
/// Dropping it unplugs the device: new ioctls fail with `ENODEV` while files that are still open
/// keep the device (and its data) alive until they are closed.
pub(crate) struct Registration<T: Driver> {
    dev: ARef<Device<T>>,
}

impl<T: Driver> Registration<T> {
    /// Registers `dev` with the DRM core, creating its device nodes.
    pub(crate) fn new(dev: ARef<Device<T>>) -> Result<Self> {
        // SAFETY: `dev` is a valid, not yet registered device.
        to_result(unsafe { bindings::drm_dev_register(dev.as_raw(), 0) })?;
        Ok(Self { dev })
    }

    /// The registered device.
    pub(crate) fn device(&self) -> &Device<T> {
        &self.dev
    }
}

impl<T: Driver> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: The device was registered in `new`; unplug unregisters it exactly once.
        unsafe { bindings::drm_dev_unplug(self.dev.as_raw()) };
    }
}

/// An open DRM file of driver `T`, borrowed for the duration of a callback.
///
/// # Invariants
///
/// `driver_priv` of the wrapped `drm_file` holds a pinned `T::File` made by `KBox::into_raw`
/// from `open` until `postclose`.
#[repr(transparent)]
pub(crate) struct File<T: Driver> {
    raw: Opaque<bindings::drm_file>,
    _driver: PhantomData<T>,
}

impl<T: Driver> File<T> {
    /// # Safety
    ///
    /// `raw` must be an open file of a `T` device, past `open` and before `postclose`, alive for
    /// `'a`.
    pub(crate) unsafe fn from_raw<'a>(raw: *mut bindings::drm_file) -> &'a Self {
        // SAFETY: Transparent wrapper; the caller promises validity.
        unsafe { &*raw.cast() }
    }

    /// The C file.
    pub(crate) fn as_raw(&self) -> *mut bindings::drm_file {
        self.raw.get()
    }

    /// The device the file is open on.
    pub(crate) fn device(&self) -> &Device<T> {
        // SAFETY: An open file's `minor` and its device are set at open and stay valid while the
        // file is (the file holds a device reference); the device is of `T` (type invariant).
        unsafe { Device::from_raw((*(*self.as_raw()).minor).dev) }
    }

    /// The driver's per-file state.
    pub(crate) fn inner(&self) -> Pin<&T::File> {
        // SAFETY: By the type invariant `driver_priv` holds a pinned `T::File` while `self` is.
        unsafe { Pin::new_unchecked(&*(*self.as_raw()).driver_priv.cast::<T::File>()) }
    }
}

/// # Safety
///
/// Only called by the DRM core with a valid device of `T` and a file being opened.
unsafe extern "C" fn open_callback<T: Driver>(
    raw_dev: *mut bindings::drm_device,
    raw_file: *mut bindings::drm_file,
) -> c_int {
    // SAFETY: The core holds a device reference for the open; the device was made by `new`.
    let dev = unsafe { Device::<T>::from_raw(raw_dev) };
    match T::File::open(dev) {
        Ok(file) => {
            // SAFETY: Re-pinned by `postclose_callback` before use; never moved.
            let ptr = KBox::into_raw(unsafe { Pin::into_inner_unchecked(file) });
            // SAFETY: `raw_file` is valid and its `driver_priv` is ours.
            unsafe { (*raw_file).driver_priv = ptr.cast() };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Only called by the DRM core, once per file whose `open` succeeded.
unsafe extern "C" fn postclose_callback<T: Driver>(
    _raw_dev: *mut bindings::drm_device,
    raw_file: *mut bindings::drm_file,
) {
    // SAFETY: `raw_file` is valid; `driver_priv` was set by `open_callback`.
    let ptr = unsafe { (*raw_file).driver_priv }.cast::<T::File>();
    // SAFETY: Reclaimed exactly once, here, from `KBox::into_raw`; it was pinned all along.
    drop(unsafe { Pin::new_unchecked(KBox::from_raw(ptr)) });
}

/// # Safety
///
/// Only called by the DRM core while registering a minor of a device of `T`.
unsafe extern "C" fn debugfs_init_callback<T: Driver>(minor: *mut bindings::drm_minor) {
    // SAFETY: The minor and its device are live during registration; the device is ours.
    let (dev, root) = unsafe { (Device::<T>::from_raw((*minor).dev), (*minor).debugfs_root) };
    T::debugfs_init(dev, root);
}

/// # Safety
///
/// Only called by `drm_show_fdinfo` with a valid printer and an open file of a device of `T`
/// (inside `drm_dev_enter`; the fdinfo reader holds a reference on the `struct file`, so the
/// file is between `open` and `postclose`).
unsafe extern "C" fn show_fdinfo_callback<T: Driver>(
    p: *mut bindings::drm_printer,
    raw_file: *mut bindings::drm_file,
) {
    // SAFETY: Guaranteed by the caller; `minor` and its device are set for an open file.
    let (dev, file) = unsafe {
        (
            Device::<T>::from_raw((*(*raw_file).minor).dev),
            File::<T>::from_raw(raw_file),
        )
    };
    // INVARIANT: `p` is valid for the callback, which the printer's lifetime does not leave.
    let mut printer = Printer {
        raw: p,
        _p: PhantomData,
    };
    T::show_fdinfo(dev, file, &mut printer);
}

/// # Safety
///
/// Only called by the DRM core at the device's last reference.
unsafe extern "C" fn release_callback<T: Driver>(raw_dev: *mut bindings::drm_device) {
    // SAFETY: `raw_dev` is valid until this callback returns.
    let ptr = unsafe { (*raw_dev).dev_private }.cast::<T::Data>();
    if ptr.is_null() {
        return;
    }
    // SAFETY: `dev_private` was set by `Device::new` from `KBox::into_raw`; this is the last
    // reference, so nothing can borrow the data any more.
    drop(unsafe { Pin::new_unchecked(KBox::from_raw(ptr)) });
}

/// Ioctl permission flags (`enum drm_ioctl_flags`).
pub(crate) mod ioctl_flags {
    use crate::bindings;

    /// Requires an authenticated client when issued on the primary node.
    pub(crate) const AUTH: u32 = bindings::DRM_AUTH;
    /// Allowed on render nodes.
    pub(crate) const RENDER_ALLOW: u32 = bindings::DRM_RENDER_ALLOW;
}

/// A driver ioctl handler: gets the device, the argument (already copied in by the DRM core)
/// and the calling file; returns the ioctl's non-negative result or an errno.
pub(crate) type IoctlHandler<T, A> = fn(&Device<T>, &mut A, &File<T>) -> Result<u32>;

/// Runs `handler` for one ioctl. Used by [`declare_ioctls!`]'s trampolines.
///
/// The argument is read out of the DRM core's buffer into a local copy (the buffer has no
/// alignment guarantee), and written back only when the handler succeeds: a failed ioctl leaves
/// userspace's struct as it was, since the core copies the buffer out whatever the result.
///
/// # Safety
///
/// - `raw_dev` is a device of `T` and `raw_file` one of its open files, both alive for the call
///   (the DRM core's ioctl path guarantees this);
/// - `raw_data` points to at least `size_of::<A>()` initialised, writable bytes (the core sizes
///   the buffer from the command's `_IOC_SIZE`, which [`declare_ioctls!`] checks against `A`).
pub(crate) unsafe fn dispatch<T: Driver, A: Plain>(
    raw_dev: *mut bindings::drm_device,
    raw_data: *mut core::ffi::c_void,
    raw_file: *mut bindings::drm_file,
    handler: IoctlHandler<T, A>,
) -> c_int {
    // SAFETY: Guaranteed by the caller (see above).
    let dev = unsafe { Device::<T>::from_raw(raw_dev) };
    // SAFETY: Guaranteed by the caller; the file is between `open` and `postclose`.
    let file = unsafe { File::<T>::from_raw(raw_file) };
    let ptr = raw_data.cast::<A>();
    // SAFETY: `ptr` covers `size_of::<A>()` initialised bytes; `A: Plain` is valid for any bit
    // pattern (the uAPI structs are checked in `crate::uapi_plain`); the read does not assume
    // alignment.
    let mut arg = unsafe { ptr.read_unaligned() };
    match handler(dev, &mut arg, file) {
        Ok(ret) => {
            // SAFETY: As above, and the buffer is writable; `A: Plain` has no padding, so every
            // byte written back (and copied out to userspace by the core) is initialised.
            unsafe { ptr.write_unaligned(arg) };
            // CAST: handlers return small non-negative values (0 in practice).
            ret as c_int
        }
        Err(e) => e.to_errno(),
    }
}

/// Builds a driver's ioctl table, checked at compile time.
///
/// Each entry is `(DRM_IOCTL_..., uapi struct, flags, handler)`, in ioctl-number order from
/// `DRM_COMMAND_BASE`. The build fails if an entry's request number encodes a size other than
/// its struct's or if the entries are not contiguous, so the table cannot drift from the header.
macro_rules! declare_ioctls {
    ($driver:ty; $( ($cmd:ident, $arg:ty, $flags:expr $(, $handler:expr)?) ),* $(,)?) => {{
        const TABLE: &[$crate::bindings::drm_ioctl_desc] = &[$(
            {
                const _: () = assert!(
                    kernel::ioctl::_IOC_SIZE($crate::bindings::$cmd) == core::mem::size_of::<$arg>()
                );
                $crate::bindings::drm_ioctl_desc {
                    cmd: $crate::bindings::$cmd,
                    flags: $flags,
                    func: $crate::kernel_ext::drm::ioctl_func!($driver, $arg $(, $handler)?),
                    name: kernel::c_str!(stringify!($cmd)).as_char_ptr(),
                }
            }
        ),*];
        const _: () = {
            let mut i = 0;
            while i < TABLE.len() {
                assert!(
                    kernel::ioctl::_IOC_NR(TABLE[i].cmd) == $crate::bindings::DRM_COMMAND_BASE + i as u32,
                    "ioctl table entries must be contiguous from DRM_COMMAND_BASE"
                );
                i += 1;
            }
        };
        TABLE
    }};
}

/// The `func` of one [`declare_ioctls!`] entry: a trampoline into the handler, or none.
macro_rules! ioctl_func {
    ($driver:ty, $arg:ty) => {
        None
    };
    ($driver:ty, $arg:ty, $handler:expr) => {{
        /// # Safety
        ///
        /// Only called by the DRM core's ioctl path (see `dispatch`).
        unsafe extern "C" fn trampoline(
            raw_dev: *mut $crate::bindings::drm_device,
            raw_data: *mut core::ffi::c_void,
            raw_file: *mut $crate::bindings::drm_file,
        ) -> kernel::ffi::c_int {
            // SAFETY: The DRM core calls this entry with a device and file of this driver and a
            // buffer of `_IOC_SIZE(cmd)` bytes, which `declare_ioctls!` checks equals the size
            // of the argument type.
            unsafe {
                $crate::kernel_ext::drm::dispatch::<$driver, $arg>(
                    raw_dev, raw_data, raw_file, $handler,
                )
            }
        }
        Some(trampoline)
    }};
}

pub(crate) use {declare_ioctls, ioctl_func};
