//! An open DRM device node and typed wrappers for the ioctls the asahi driver serves.
//!
//! Every wrapper issues exactly one ioctl (two for [`Device::version`]) and returns the kernel's
//! errno unchanged in the [`io::Error`], so tests can compare it with
//! [`io::Error::raw_os_error`]. An ioctl interrupted by a signal (`EINTR`) is retried, as libdrm's
//! `drmIoctl` does.
//!
//! Wrappers whose argument holds no user pointers take the whole uAPI struct, so a caller can set
//! every field, padding included, to anything. Wrappers whose argument holds user pointers the
//! kernel writes through build those pointers themselves from Rust buffers; [`Device::ioctl`]
//! remains for deliberately malformed arguments.

use std::ffi::{c_int, c_ulong, c_void};
use std::fs::{self, OpenOptions};
use std::io;
use std::mem::size_of;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::ptr::{self, NonNull};

use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes};

use crate::bindings::{
    drm_asahi_gem_bind_object, drm_asahi_gem_bind_op, drm_asahi_gem_create,
    drm_asahi_gem_mmap_offset, drm_asahi_get_params, drm_asahi_get_time, drm_asahi_params_global,
    drm_asahi_queue_create, drm_asahi_queue_destroy, drm_asahi_submit, drm_asahi_sync,
    drm_asahi_vm_bind, drm_asahi_vm_create, drm_asahi_vm_destroy, drm_gem_close, drm_get_cap,
    drm_prime_handle, drm_syncobj_array, drm_syncobj_create, drm_syncobj_destroy,
    drm_syncobj_handle, drm_syncobj_timeline_array, drm_syncobj_timeline_wait, drm_syncobj_wait,
    drm_version,
};
use crate::ioctl::{self, ioc_dir, ioc_size, IOC_READ, IOC_WRITE};

/// Name the asahi driver reports through `DRM_IOCTL_VERSION`; Mesa accepts no other.
pub const DRIVER_NAME: &str = "asahi";

/// Directory holding the DRM device nodes.
const DRI_DIR: &str = "/dev/dri";

/// Version and identification of the driver behind a DRM file (`DRM_IOCTL_VERSION`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Major version number.
    pub major: i32,
    /// Minor version number.
    pub minor: i32,
    /// Patch level.
    pub patchlevel: i32,
    /// Driver name, `"asahi"` for this driver.
    pub name: String,
    /// Driver date string.
    pub date: String,
    /// Driver description.
    pub desc: String,
}

/// An open DRM device node (primary or render node).
///
/// The file descriptor is closed when the `Device` is dropped, which also releases every GEM
/// handle, syncobj, VM and queue created through it.
#[derive(Debug)]
pub struct Device {
    /// The open DRM file.
    fd: OwnedFd,
}

impl Device {
    /// Opens the DRM device node at `path` for reading and writing, with close-on-exec.
    ///
    /// # Errors
    ///
    /// Returns the error of `open(2)`.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        Ok(Self {
            fd: OwnedFd::from(file),
        })
    }

    /// Wraps an already open DRM file descriptor.
    pub fn from_fd(fd: OwnedFd) -> Self {
        Self { fd }
    }

    /// Opens the first render node (`/dev/dri/renderD*`, in numeric order) whose driver is
    /// [`DRIVER_NAME`].
    ///
    /// # Errors
    ///
    /// Returns the error of reading `/dev/dri`, or an error of kind [`io::ErrorKind::NotFound`]
    /// if no render node belongs to the asahi driver.
    pub fn open_render_asahi() -> io::Result<Self> {
        let mut minors: Vec<u32> = fs::read_dir(DRI_DIR)?
            .filter_map(|entry| {
                let name = entry.ok()?.file_name();
                name.to_str()?.strip_prefix("renderD")?.parse().ok()
            })
            .collect();
        minors.sort_unstable();
        for minor in minors {
            let Ok(dev) = Self::open(format!("{DRI_DIR}/renderD{minor}")) else {
                continue;
            };
            if dev.version().is_ok_and(|v| v.name == DRIVER_NAME) {
                return Ok(dev);
            }
        }
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no render node of the {DRIVER_NAME} driver in {DRI_DIR}"),
        ))
    }

    /// Issues the ioctl `request` with argument `arg`, retrying on `EINTR`.
    ///
    /// This is the escape hatch for arguments the typed wrappers cannot express, such as a struct
    /// of the wrong size or a user pointer to nowhere. It returns the ioctl's non-negative return
    /// value.
    ///
    /// # Errors
    ///
    /// Returns the errno the kernel reported.
    ///
    /// # Safety
    ///
    /// `arg` must be valid for every access the kernel makes for this request on this file:
    /// - reads of `ioc_size(request)` bytes if the request has the write direction;
    /// - writes of `ioc_size(request)` bytes if it has the read direction, and those bytes must
    ///   then form a valid value of `T`;
    /// - reads and writes through any user pointers inside the argument.
    ///
    /// A request the kernel does not know touches no memory.
    pub unsafe fn ioctl<T>(&self, request: u32, arg: *mut T) -> io::Result<c_int> {
        // CAST: the request is 32 bits wide in the kernel; glibc passes it as an unsigned long
        // (widening) and musl as an int (same bits), as C callers do.
        let request = request as libc::Ioctl;
        loop {
            // SAFETY: `self.fd` is an open descriptor, and the caller guarantees that `arg` is
            // valid for every access the kernel makes for `request`.
            let ret = unsafe { libc::ioctl(self.fd.as_raw_fd(), request, arg.cast::<c_void>()) };
            if ret >= 0 {
                return Ok(ret);
            }
            let err = io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EINTR) {
                return Err(err);
            }
        }
    }

    /// Issues a read-write `request` whose argument `T` holds no user pointers.
    ///
    /// # Panics
    ///
    /// Panics if `request` does not encode the size of `T` and both directions.
    ///
    /// # Safety
    ///
    /// The kernel must not dereference any field of `T` as a user pointer for this request.
    unsafe fn ioctl_inout<T: FromBytes + IntoBytes>(
        &self,
        request: u32,
        arg: &mut T,
    ) -> io::Result<()> {
        assert_eq!(ioc_size(request), size_of::<T>(), "request size mismatch");
        assert_eq!(
            ioc_dir(request),
            IOC_READ | IOC_WRITE,
            "not a read-write request"
        );
        // SAFETY:
        // - `arg` is an exclusive reference to a `T`, and `request` encodes `size_of::<T>()`, so the
        //   kernel's copies in and out stay inside it.
        // - `T: FromBytes`, so any bytes the kernel writes back form a valid `T`.
        // - The caller guarantees that the kernel follows no user pointer in `T`.
        unsafe { self.ioctl(request, ptr::from_mut(arg)) }.map(drop)
    }

    /// Issues a write-only `request`: the kernel reads `arg` and never writes to it.
    ///
    /// # Panics
    ///
    /// Panics if `request` does not encode the size of `T` and the write direction only.
    ///
    /// # Safety
    ///
    /// The kernel must not write through any user pointer in `arg` for this request.
    unsafe fn ioctl_in<T: IntoBytes + Immutable>(&self, request: u32, arg: &T) -> io::Result<()> {
        assert_eq!(ioc_size(request), size_of::<T>(), "request size mismatch");
        assert_eq!(ioc_dir(request), IOC_WRITE, "not a write-only request");
        // SAFETY:
        // - `arg` is a valid `T`, and `request` encodes `size_of::<T>()`, so the kernel's copy in
        //   stays inside it.
        // - A write-only request is never copied back, so the kernel does not write through the
        //   pointer even though it is passed as `*mut`.
        // - The caller guarantees that the kernel writes through no user pointer in `arg`.
        unsafe { self.ioctl(request, ptr::from_ref(arg).cast_mut()) }.map(drop)
    }

    /// Returns the driver's name, date, description and version (`DRM_IOCTL_VERSION`).
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno.
    pub fn version(&self) -> io::Result<Version> {
        let mut args = drm_version {
            version_major: 0,
            version_minor: 0,
            version_patchlevel: 0,
            name_len: 0,
            name: ptr::null_mut(),
            date_len: 0,
            date: ptr::null_mut(),
            desc_len: 0,
            desc: ptr::null_mut(),
        };
        // SAFETY: `args` is a `drm_version` (the size `DRM_IOCTL_VERSION` encodes) whose string
        // buffers have length 0, so the kernel writes only the struct itself.
        unsafe { self.ioctl(ioctl::DRM_IOCTL_VERSION, &raw mut args) }?;

        let mut name = vec![0_u8; c_len(args.name_len)?];
        let mut date = vec![0_u8; c_len(args.date_len)?];
        let mut desc = vec![0_u8; c_len(args.desc_len)?];
        args.name = name.as_mut_ptr().cast();
        args.date = date.as_mut_ptr().cast();
        args.desc = desc.as_mut_ptr().cast();
        // SAFETY: each string pointer points to a live buffer whose length is in the matching
        // `*_len` field (unchanged since the first call), and the kernel writes at most that many
        // bytes to it; the struct itself is a valid `drm_version`.
        unsafe { self.ioctl(ioctl::DRM_IOCTL_VERSION, &raw mut args) }?;

        // The kernel reports the full lengths; keep what fitted.
        let text = |mut buf: Vec<u8>, len| -> io::Result<String> {
            buf.truncate(c_len(len)?);
            Ok(String::from_utf8_lossy(&buf).into_owned())
        };
        Ok(Version {
            major: args.version_major,
            minor: args.version_minor,
            patchlevel: args.version_patchlevel,
            name: text(name, args.name_len)?,
            date: text(date, args.date_len)?,
            desc: text(desc, args.desc_len)?,
        })
    }

    /// Returns the value of the DRM capability `capability` (a `DRM_CAP_*` constant).
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno (`EINVAL` for an unknown capability).
    pub fn get_cap(&self, capability: u64) -> io::Result<u64> {
        let mut args = drm_get_cap {
            capability,
            value: 0,
        };
        // SAFETY: `drm_get_cap` holds no pointers.
        unsafe { self.ioctl_inout(ioctl::DRM_IOCTL_GET_CAP, &mut args) }?;
        Ok(args.value)
    }

    /// Reads parameter group `param_group` into `buf` (`DRM_IOCTL_ASAHI_GET_PARAMS`).
    ///
    /// `size` is `buf.len()`; the kernel writes at most that many bytes.
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno.
    pub fn get_params_into(&self, param_group: u32, buf: &mut [u8]) -> io::Result<()> {
        let args = drm_asahi_get_params {
            param_group,
            pad: 0,
            pointer: user_ptr(buf.as_mut_ptr()),
            size: user_len(buf.len()),
        };
        let arg = ptr::from_ref(&args).cast_mut();
        // SAFETY:
        // - `arg` points to `args`, a `drm_asahi_get_params` (the size the request encodes), and
        //   the request is write-only, so the kernel reads it and never writes it back.
        // - The kernel writes at most `size` bytes at `pointer`, which is `buf`: live, exclusively
        //   borrowed for this call and `size` bytes long.
        unsafe { self.ioctl(ioctl::DRM_IOCTL_ASAHI_GET_PARAMS, arg) }.map(drop)
    }

    /// Returns parameter group `param_group` (`DRM_IOCTL_ASAHI_GET_PARAMS`, with `size` the size of
    /// [`drm_asahi_params_global`]).
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno (`EINVAL` for a group other than 0).
    pub fn get_params(&self, param_group: u32) -> io::Result<drm_asahi_params_global> {
        let mut params = drm_asahi_params_global::new_zeroed();
        self.get_params_into(param_group, params.as_mut_bytes())?;
        Ok(params)
    }

    /// Reads the GPU time (`DRM_IOCTL_ASAHI_GET_TIME`); `gpu_timestamp` is written back.
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno (`EINVAL` for non-zero `flags`).
    pub fn get_time(&self, args: &mut drm_asahi_get_time) -> io::Result<()> {
        // SAFETY: `drm_asahi_get_time` holds no pointers.
        unsafe { self.ioctl_inout(ioctl::DRM_IOCTL_ASAHI_GET_TIME, args) }
    }

    /// Creates a VM (`DRM_IOCTL_ASAHI_VM_CREATE`); `vm_id` is written back.
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno.
    pub fn vm_create(&self, args: &mut drm_asahi_vm_create) -> io::Result<()> {
        // SAFETY: `drm_asahi_vm_create` holds no pointers.
        unsafe { self.ioctl_inout(ioctl::DRM_IOCTL_ASAHI_VM_CREATE, args) }
    }

    /// Destroys a VM (`DRM_IOCTL_ASAHI_VM_DESTROY`).
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno.
    pub fn vm_destroy(&self, args: &drm_asahi_vm_destroy) -> io::Result<()> {
        // SAFETY: `drm_asahi_vm_destroy` holds no pointers.
        unsafe { self.ioctl_in(ioctl::DRM_IOCTL_ASAHI_VM_DESTROY, args) }
    }

    /// Applies `ops` to VM `vm_id` (`DRM_IOCTL_ASAHI_VM_BIND` with `stride` the size of
    /// [`drm_asahi_gem_bind_op`]).
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno, or `EINVAL` without calling the kernel if there are more than
    /// `u32::MAX` operations.
    pub fn vm_bind(&self, vm_id: u32, ops: &[drm_asahi_gem_bind_op]) -> io::Result<()> {
        self.vm_bind_raw(&drm_asahi_vm_bind {
            vm_id,
            num_binds: count(ops.len())?,
            stride: STRIDE_BIND_OP,
            pad: 0,
            userptr: user_ptr(ops.as_ptr()),
        })
    }

    /// Issues `DRM_IOCTL_ASAHI_VM_BIND` with `args` exactly as given.
    ///
    /// This is safe for any `userptr`: the kernel only reads through it, and a bad address fails
    /// with `EFAULT`.
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno.
    pub fn vm_bind_raw(&self, args: &drm_asahi_vm_bind) -> io::Result<()> {
        // SAFETY: the kernel only reads the bind operations at `userptr`.
        unsafe { self.ioctl_in(ioctl::DRM_IOCTL_ASAHI_VM_BIND, args) }
    }

    /// Creates a buffer object (`DRM_IOCTL_ASAHI_GEM_CREATE`); `handle` is written back.
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno.
    pub fn gem_create(&self, args: &mut drm_asahi_gem_create) -> io::Result<()> {
        // SAFETY: `drm_asahi_gem_create` holds no pointers.
        unsafe { self.ioctl_inout(ioctl::DRM_IOCTL_ASAHI_GEM_CREATE, args) }
    }

    /// Looks up the mmap offset of a buffer object (`DRM_IOCTL_ASAHI_GEM_MMAP_OFFSET`); `offset`
    /// is written back.
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno.
    pub fn gem_mmap_offset(&self, args: &mut drm_asahi_gem_mmap_offset) -> io::Result<()> {
        // SAFETY: `drm_asahi_gem_mmap_offset` holds no pointers.
        unsafe { self.ioctl_inout(ioctl::DRM_IOCTL_ASAHI_GEM_MMAP_OFFSET, args) }
    }

    /// Registers or drops a special object (`DRM_IOCTL_ASAHI_GEM_BIND_OBJECT`); `object_handle`
    /// is written back.
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno.
    pub fn gem_bind_object(&self, args: &mut drm_asahi_gem_bind_object) -> io::Result<()> {
        // SAFETY: `drm_asahi_gem_bind_object` holds no pointers.
        unsafe { self.ioctl_inout(ioctl::DRM_IOCTL_ASAHI_GEM_BIND_OBJECT, args) }
    }

    /// Creates a queue (`DRM_IOCTL_ASAHI_QUEUE_CREATE`); `queue_id` is written back.
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno.
    pub fn queue_create(&self, args: &mut drm_asahi_queue_create) -> io::Result<()> {
        // SAFETY: `drm_asahi_queue_create` holds no pointers.
        unsafe { self.ioctl_inout(ioctl::DRM_IOCTL_ASAHI_QUEUE_CREATE, args) }
    }

    /// Destroys a queue (`DRM_IOCTL_ASAHI_QUEUE_DESTROY`).
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno.
    pub fn queue_destroy(&self, args: &drm_asahi_queue_destroy) -> io::Result<()> {
        // SAFETY: `drm_asahi_queue_destroy` holds no pointers.
        unsafe { self.ioctl_in(ioctl::DRM_IOCTL_ASAHI_QUEUE_DESTROY, args) }
    }

    /// Submits `cmdbuf` to queue `queue_id` (`DRM_IOCTL_ASAHI_SUBMIT`), waiting for `in_syncs`
    /// and signalling `out_syncs`.
    ///
    /// See [`CommandBuffer`](crate::CommandBuffer) to build `cmdbuf`.
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno, or `EINVAL` without calling the kernel if a count or the
    /// command buffer size does not fit in a `u32`.
    pub fn submit(
        &self,
        queue_id: u32,
        in_syncs: &[drm_asahi_sync],
        out_syncs: &[drm_asahi_sync],
        cmdbuf: &[u8],
    ) -> io::Result<()> {
        let syncs: Vec<drm_asahi_sync> = in_syncs.iter().chain(out_syncs).copied().collect();
        self.submit_raw(&drm_asahi_submit {
            syncs: user_ptr(syncs.as_ptr()),
            cmdbuf: user_ptr(cmdbuf.as_ptr()),
            flags: 0,
            queue_id,
            in_sync_count: count(in_syncs.len())?,
            out_sync_count: count(out_syncs.len())?,
            cmdbuf_size: count(cmdbuf.len())?,
            pad: 0,
        })
    }

    /// Issues `DRM_IOCTL_ASAHI_SUBMIT` with `args` exactly as given.
    ///
    /// This is safe for any `syncs` and `cmdbuf` address: the kernel only reads through them, and
    /// a bad address fails with `EFAULT`.
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno.
    pub fn submit_raw(&self, args: &drm_asahi_submit) -> io::Result<()> {
        // SAFETY: the kernel only reads the syncs and the command buffer.
        unsafe { self.ioctl_in(ioctl::DRM_IOCTL_ASAHI_SUBMIT, args) }
    }

    /// Closes a GEM handle (`DRM_IOCTL_GEM_CLOSE`).
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno (`EINVAL` for an unknown handle).
    pub fn gem_close(&self, handle: u32) -> io::Result<()> {
        let args = drm_gem_close { handle, pad: 0 };
        // SAFETY: `drm_gem_close` holds no pointers.
        unsafe { self.ioctl_in(ioctl::DRM_IOCTL_GEM_CLOSE, &args) }
    }

    /// Exports a GEM handle as a dma-buf (`DRM_IOCTL_PRIME_HANDLE_TO_FD`); `flags` takes
    /// `DRM_CLOEXEC` and `DRM_RDWR`.
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno.
    pub fn prime_handle_to_fd(&self, handle: u32, flags: u32) -> io::Result<OwnedFd> {
        let mut args = drm_prime_handle {
            handle,
            flags,
            fd: -1,
        };
        // SAFETY: `drm_prime_handle` holds no pointers.
        unsafe { self.ioctl_inout(ioctl::DRM_IOCTL_PRIME_HANDLE_TO_FD, &mut args) }?;
        owned_fd(args.fd)
    }

    /// Imports a dma-buf as a GEM handle (`DRM_IOCTL_PRIME_FD_TO_HANDLE`).
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno.
    pub fn prime_fd_to_handle(&self, fd: BorrowedFd<'_>) -> io::Result<u32> {
        let mut args = drm_prime_handle {
            handle: 0,
            flags: 0,
            fd: fd.as_raw_fd(),
        };
        // SAFETY: `drm_prime_handle` holds no pointers.
        unsafe { self.ioctl_inout(ioctl::DRM_IOCTL_PRIME_FD_TO_HANDLE, &mut args) }?;
        Ok(args.handle)
    }

    /// Creates a syncobj (`DRM_IOCTL_SYNCOBJ_CREATE`); `flags` takes
    /// `DRM_SYNCOBJ_CREATE_SIGNALED`.
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno.
    pub fn syncobj_create(&self, flags: u32) -> io::Result<u32> {
        let mut args = drm_syncobj_create { handle: 0, flags };
        // SAFETY: `drm_syncobj_create` holds no pointers.
        unsafe { self.ioctl_inout(ioctl::DRM_IOCTL_SYNCOBJ_CREATE, &mut args) }?;
        Ok(args.handle)
    }

    /// Destroys a syncobj handle (`DRM_IOCTL_SYNCOBJ_DESTROY`).
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno.
    pub fn syncobj_destroy(&self, handle: u32) -> io::Result<()> {
        let mut args = drm_syncobj_destroy { handle, pad: 0 };
        // SAFETY: `drm_syncobj_destroy` holds no pointers.
        unsafe { self.ioctl_inout(ioctl::DRM_IOCTL_SYNCOBJ_DESTROY, &mut args) }
    }

    /// Exports a syncobj as a file descriptor (`DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD`); with
    /// `DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE` the result is a sync file of its fence.
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno.
    pub fn syncobj_handle_to_fd(&self, handle: u32, flags: u32) -> io::Result<OwnedFd> {
        let mut args = drm_syncobj_handle::new_zeroed();
        args.handle = handle;
        args.flags = flags;
        args.fd = -1;
        // SAFETY: `drm_syncobj_handle` holds no pointers.
        unsafe { self.ioctl_inout(ioctl::DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &mut args) }?;
        owned_fd(args.fd)
    }

    /// Imports a syncobj file descriptor (`DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE`) and returns its handle.
    ///
    /// With `DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE`, `fd` is a sync file whose fence
    /// replaces the one of the existing syncobj `handle`; otherwise pass 0 as `handle`.
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno.
    pub fn syncobj_fd_to_handle(
        &self,
        fd: BorrowedFd<'_>,
        handle: u32,
        flags: u32,
    ) -> io::Result<u32> {
        let mut args = drm_syncobj_handle::new_zeroed();
        args.handle = handle;
        args.flags = flags;
        args.fd = fd.as_raw_fd();
        // SAFETY: `drm_syncobj_handle` holds no pointers.
        unsafe { self.ioctl_inout(ioctl::DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &mut args) }?;
        Ok(args.handle)
    }

    /// Waits for binary syncobjs (`DRM_IOCTL_SYNCOBJ_WAIT`) until `timeout_nsec`, an absolute
    /// `CLOCK_MONOTONIC` time. Returns the index of the first signalled syncobj when
    /// `DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL` is not set.
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno (`ETIME` on timeout), or `EINVAL` without calling the kernel if
    /// there are more than `u32::MAX` handles.
    pub fn syncobj_wait(&self, handles: &[u32], timeout_nsec: i64, flags: u32) -> io::Result<u32> {
        let mut args = drm_syncobj_wait::new_zeroed();
        args.handles = user_ptr(handles.as_ptr());
        args.timeout_nsec = timeout_nsec;
        args.count_handles = count(handles.len())?;
        args.flags = flags;
        // SAFETY: the kernel only reads the `count_handles` handles at `handles`, which point to
        // the live slice `handles`; it writes only the struct itself.
        unsafe { self.ioctl(ioctl::DRM_IOCTL_SYNCOBJ_WAIT, &raw mut args) }?;
        Ok(args.first_signaled)
    }

    /// Waits for timeline points (`DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT`): `points[i]` of
    /// `handles[i]`, until the absolute `CLOCK_MONOTONIC` time `timeout_nsec`. Returns the index
    /// of the first signalled point when `DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL` is not set.
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno (`ETIME` on timeout), or `EINVAL` without calling the kernel if
    /// `handles` and `points` differ in length or hold more than `u32::MAX` entries.
    pub fn syncobj_timeline_wait(
        &self,
        handles: &[u32],
        points: &[u64],
        timeout_nsec: i64,
        flags: u32,
    ) -> io::Result<u32> {
        let mut args = drm_syncobj_timeline_wait::new_zeroed();
        args.handles = user_ptr(handles.as_ptr());
        args.points = user_ptr(points.as_ptr());
        args.timeout_nsec = timeout_nsec;
        args.count_handles = same_count(handles.len(), points.len())?;
        args.flags = flags;
        // SAFETY: the kernel only reads `count_handles` entries from `handles` and `points`, both
        // live slices of that length; it writes only the struct itself.
        unsafe { self.ioctl(ioctl::DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &raw mut args) }?;
        Ok(args.first_signaled)
    }

    /// Resets binary syncobjs to unsignalled (`DRM_IOCTL_SYNCOBJ_RESET`).
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno, or `EINVAL` without calling the kernel if there are more than
    /// `u32::MAX` handles.
    pub fn syncobj_reset(&self, handles: &[u32]) -> io::Result<()> {
        self.syncobj_array(ioctl::DRM_IOCTL_SYNCOBJ_RESET, handles)
    }

    /// Signals binary syncobjs (`DRM_IOCTL_SYNCOBJ_SIGNAL`).
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno, or `EINVAL` without calling the kernel if there are more than
    /// `u32::MAX` handles.
    pub fn syncobj_signal(&self, handles: &[u32]) -> io::Result<()> {
        self.syncobj_array(ioctl::DRM_IOCTL_SYNCOBJ_SIGNAL, handles)
    }

    /// Issues a syncobj ioctl whose argument is a `drm_syncobj_array`.
    fn syncobj_array(&self, request: u32, handles: &[u32]) -> io::Result<()> {
        let mut args = drm_syncobj_array {
            handles: user_ptr(handles.as_ptr()),
            count_handles: count(handles.len())?,
            pad: 0,
        };
        // SAFETY: the kernel only reads the `count_handles` handles at `handles`, which point to
        // the live slice `handles`; it writes only the struct itself.
        unsafe { self.ioctl(request, &raw mut args) }.map(drop)
    }

    /// Signals timeline points (`DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL`): `points[i]` of
    /// `handles[i]`.
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno, or `EINVAL` without calling the kernel if `handles` and
    /// `points` differ in length or hold more than `u32::MAX` entries.
    pub fn syncobj_timeline_signal(&self, handles: &[u32], points: &[u64]) -> io::Result<()> {
        let mut args = drm_syncobj_timeline_array {
            handles: user_ptr(handles.as_ptr()),
            points: user_ptr(points.as_ptr()),
            count_handles: same_count(handles.len(), points.len())?,
            flags: 0,
        };
        // SAFETY: the kernel only reads `count_handles` entries from `handles` and `points`, both
        // live slices of that length; it writes only the struct itself.
        unsafe { self.ioctl(ioctl::DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &raw mut args) }.map(drop)
    }

    /// Returns the current point of each timeline syncobj (`DRM_IOCTL_SYNCOBJ_QUERY`); `flags`
    /// takes `DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED`.
    ///
    /// # Errors
    ///
    /// Returns the kernel's errno, or `EINVAL` without calling the kernel if there are more than
    /// `u32::MAX` handles.
    pub fn syncobj_query(&self, handles: &[u32], flags: u32) -> io::Result<Vec<u64>> {
        let mut points = vec![0_u64; handles.len()];
        let mut args = drm_syncobj_timeline_array {
            handles: user_ptr(handles.as_ptr()),
            points: user_ptr(points.as_mut_ptr()),
            count_handles: count(handles.len())?,
            flags,
        };
        // SAFETY: the kernel reads `count_handles` handles from the live slice `handles` and
        // writes as many `u64` points to `points`, a live, exclusively owned buffer of that length.
        unsafe { self.ioctl(ioctl::DRM_IOCTL_SYNCOBJ_QUERY, &raw mut args) }?;
        Ok(points)
    }

    /// Maps `len` bytes of the DRM file at `offset` (from [`Device::gem_mmap_offset`]) shared,
    /// readable and writable.
    ///
    /// # Errors
    ///
    /// Returns the error of `mmap(2)`, or `EINVAL` if `offset` does not fit in an `off_t`.
    pub fn mmap(&self, offset: u64, len: usize) -> io::Result<Mapping> {
        let offset = libc::off_t::try_from(offset).map_err(|_| einval())?;
        // SAFETY: a new shared mapping chosen by the kernel (`addr` is null) overlaps no existing
        // Rust allocation; the file descriptor is open.
        let addr = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                self.fd.as_raw_fd(),
                offset,
            )
        };
        if addr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(addr.cast::<u8>()).ok_or_else(einval)?;
        // INVARIANT: `mmap` succeeded, so `ptr` maps `len` bytes until `Mapping::drop` unmaps them.
        Ok(Mapping { ptr, len })
    }
}

impl AsFd for Device {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Device {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl From<Device> for OwnedFd {
    fn from(dev: Device) -> Self {
        dev.fd
    }
}

/// A shared CPU mapping of (part of) a buffer object, unmapped on drop.
///
/// The GPU and other processes may change the memory at any time, so it is never exposed as a Rust
/// slice: [`Mapping::read`] and [`Mapping::write`] copy with volatile accesses.
///
/// # Invariants
///
/// `ptr` is the start of a live mapping of `len` readable and writable bytes owned by this value.
#[derive(Debug)]
pub struct Mapping {
    /// Start of the mapping.
    ptr: NonNull<u8>,
    /// Length of the mapping in bytes.
    len: usize,
}

impl Mapping {
    /// Returns the length of the mapping in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns whether the mapping is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Returns the start address of the mapping.
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Copies `buf.len()` bytes starting at `offset` of the mapping into `buf`.
    ///
    /// # Panics
    ///
    /// Panics if the range is not inside the mapping.
    pub fn read(&self, offset: usize, buf: &mut [u8]) {
        self.check_range(offset, buf.len());
        for (i, byte) in buf.iter_mut().enumerate() {
            // SAFETY: `offset + i < self.len` (checked above), so the address is inside the live,
            // readable mapping (type invariant); a `u8` is always aligned.
            *byte = unsafe { self.ptr.as_ptr().add(offset + i).read_volatile() };
        }
    }

    /// Copies `buf` into the mapping starting at `offset`.
    ///
    /// # Panics
    ///
    /// Panics if the range is not inside the mapping.
    pub fn write(&self, offset: usize, buf: &[u8]) {
        self.check_range(offset, buf.len());
        for (i, byte) in buf.iter().enumerate() {
            // SAFETY: `offset + i < self.len` (checked above), so the address is inside the live,
            // writable mapping (type invariant), which no Rust reference covers.
            unsafe { self.ptr.as_ptr().add(offset + i).write_volatile(*byte) };
        }
    }

    /// Panics unless `offset..offset + len` lies inside the mapping.
    fn check_range(&self, offset: usize, len: usize) {
        let end = offset.checked_add(len);
        assert!(
            end.is_some_and(|end| end <= self.len),
            "range {offset}+{len} outside a mapping of {} bytes",
            self.len
        );
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: by the type invariant, `ptr` and `len` describe a live mapping owned by `self`,
        // and no reference into it outlives `self`.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// Stride of the bind operations passed by [`Device::vm_bind`].
const STRIDE_BIND_OP: u32 = {
    assert!(size_of::<drm_asahi_gem_bind_op>() == 32);
    32
};

/// Returns the address of `ptr` as a uAPI `__u64` user pointer.
///
/// The provenance is exposed because the kernel accesses the memory behind the address.
fn user_ptr<T>(ptr: *const T) -> u64 {
    // CAST: `usize` is at most 64 bits wide on every Linux target.
    ptr.expose_provenance() as u64
}

/// Returns a buffer length as a uAPI `__u64` size.
fn user_len(len: usize) -> u64 {
    // CAST: `usize` is at most 64 bits wide on every Linux target.
    len as u64
}

/// Returns an element count as a uAPI `__u32`, or `EINVAL` if it does not fit.
fn count(len: usize) -> io::Result<u32> {
    u32::try_from(len).map_err(|_| einval())
}

/// Returns the common length of two parallel arrays as a `__u32`, or `EINVAL`.
fn same_count(a: usize, b: usize) -> io::Result<u32> {
    if a == b {
        count(a)
    } else {
        Err(einval())
    }
}

/// Returns a kernel-reported C length as a `usize`.
fn c_len(len: c_ulong) -> io::Result<usize> {
    usize::try_from(len).map_err(|_| einval())
}

/// Takes ownership of a file descriptor the kernel just returned.
fn owned_fd(fd: c_int) -> io::Result<OwnedFd> {
    if fd < 0 {
        return Err(einval());
    }
    // SAFETY: the ioctl succeeded and installed `fd` in this process's table for the caller; nothing
    // else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Returns an `EINVAL` error for arguments rejected before reaching the kernel.
fn einval() -> io::Error {
    io::Error::from_raw_os_error(libc::EINVAL)
}
