// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Apple RTKit coprocessors, over the 6.12 C library (`CONFIG_APPLE_RTKIT`).
//!
//! C header: [`include/linux/soc/apple/rtkit.h`](srctree/include/linux/soc/apple/rtkit.h);
//! behaviour: shared/reference/firmware-commands.md §7.2 and `drivers/soc/apple/rtkit.c`.
//!
//! [`RtKit`] owns one `struct apple_rtkit` (the ASC mailbox named by the device's first `mboxes`
//! entry) and forwards its callbacks to a [`Handler`]:
//! - `recv_message` (application endpoints ≥ 0x20): from RTKit's ordered workqueue, process
//!   context (we install no `recv_message_early`, so no handler runs in the mailbox hard IRQ);
//! - `shmem_setup`/`shmem_destroy`: the buffers the coprocessor asks for (crash log, syslog,
//!   ioreport, oslog). We allocate each one ourselves (physically contiguous, zeroed), ask the
//!   handler where the coprocessor sees it ([`Handler::shmem_map`]), and keep it until RTKit
//!   destroys it. A buffer at an address the coprocessor chose (`iova != 0`) is refused
//!   (`EINVAL`), as the downstream GPU driver does;
//! - `crashed`: 6.12 calls it with the cookie only (the downstream binding expects the log). The
//!   crash log lives in the buffer we gave for the crash-log request, so we find it among our
//!   buffers by the crash-log header RTKit itself checks (`CLHE`, `rtkit-crashlog.c`), copy it
//!   and hand the copy to [`Handler::crashed`] (an empty log when there is none).
//!
//! Locks: `Shared::bufs` (a mutex: the buffer list, taken in RTKit's workqueue and in
//! `apple_rtkit_free`) and `Shared::lifecycle` (a mutex serialising boot, endpoint start and
//! shutdown, which the C library does not serialise). Neither is held while a handler runs. The
//! C library serialises sends itself (the mailbox's `tx_lock`).

use crate::bindings;
use crate::kernel_ext::print::AsRawDevice;
use crate::kernel_ext::vec::VecExt;
use core::ptr::NonNull;
use kernel::ffi::{c_int, c_void};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// What the users of an [`RtKit`] do with its callbacks.
pub(crate) trait Handler: Send + Sync {
    /// A message on application endpoint `endpoint`. Process context (RTKit's workqueue).
    fn recv_message(&self, endpoint: u8, msg: u64);
    /// The coprocessor crashed; `crashlog` is the crash log in RTKit's format, empty when it
    /// gave none. Process context; RTKit calls it once per boot.
    fn crashed(&self, crashlog: &[u8]);
    /// Makes the `size` bytes of RAM at `phys` reachable by the coprocessor and returns the
    /// address it sees them at. Process context.
    fn shmem_map(&self, phys: u64, size: usize) -> Result<u64>;
    /// Undoes a [`Handler::shmem_map`] (the buffer is freed after this returns).
    fn shmem_unmap(&self, iova: u64, size: usize);
}

/// The crash-log header's four-character code, as RTKit checks it (`rtkit-crashlog.c`,
/// `APPLE_RTKIT_CRASHLOG_HEADER`, read as a little-endian `u32`).
const CRASHLOG_FOURCC: u32 = u32::from_be_bytes(*b"CLHE");

/// The largest buffer the coprocessor may ask for (order-10 pages: 4 MiB with 4K pages).
const MAX_SHMEM_ORDER: u32 = 10;

/// A buffer given to the coprocessor, owned through `apple_rtkit_shmem::private`.
///
/// # Invariants
///
/// `page` is an allocation of `1 << order` pages (at least `size` bytes) from `alloc_pages`,
/// freed only in `drop`; `vaddr` is its kernel address; the handler mapped it at `iova`.
struct ShmemBuf {
    page: NonNull<bindings::page>,
    order: u32,
    vaddr: *mut u8,
    size: usize,
    iova: u64,
}

impl Drop for ShmemBuf {
    fn drop(&mut self) {
        // SAFETY: `page` came from `alloc_pages` with `order` (type invariant), freed once, here.
        unsafe { bindings::__free_pages(self.page.as_ptr(), self.order) };
    }
}

/// What the callbacks reach through the cookie.
#[pin_data]
struct Shared {
    handler: Arc<dyn Handler>,
    /// `(kernel address, size)` of every live buffer.
    #[pin]
    bufs: Mutex<KVec<(usize, usize)>>,
    #[pin]
    lifecycle: Mutex<()>,
}

impl Shared {
    /// The crash log: the live buffer that starts with a crash-log header, copied.
    fn crashlog(&self) -> KVec<u8> {
        let mut out = KVec::new();
        let bufs = self.bufs.lock();
        for &(vaddr, size) in bufs.iter() {
            if size < 4 {
                continue;
            }
            let p = vaddr as *const u8;
            let mut magic = [0u8; 4];
            // SAFETY: `vaddr` is a live buffer of `size >= 4` bytes (listed only while alive,
            // under `bufs`, which we hold). The crashed coprocessor no longer writes it.
            unsafe { core::ptr::copy_nonoverlapping(p, magic.as_mut_ptr(), 4) };
            if u32::from_le_bytes(magic) != CRASHLOG_FOURCC {
                continue;
            }
            if out.reserve(size, GFP_KERNEL).is_err() {
                break;
            }
            // SAFETY: As above for `size` bytes; `out` has room for `size` more bytes, which
            // are initialised by the copy before the length is set.
            unsafe {
                core::ptr::copy_nonoverlapping(p, out.as_mut_ptr(), size);
                out.set_len(size);
            }
            break;
        }
        out
    }
}

/// The callbacks, one table for every instance.
static OPS: bindings::apple_rtkit_ops = bindings::apple_rtkit_ops {
    crashed: Some(crashed_cb),
    recv_message: Some(recv_message_cb),
    recv_message_early: None,
    shmem_setup: Some(shmem_setup_cb),
    shmem_destroy: Some(shmem_destroy_cb),
};

/// # Safety
///
/// `cookie` must be the `Shared` of a live [`RtKit`] (RTKit passes the cookie given at init,
/// and runs no callback after `apple_rtkit_free`, which `RtKit::drop` calls before freeing it).
unsafe fn shared<'a>(cookie: *mut c_void) -> &'a Shared {
    // SAFETY: See above.
    unsafe { &*cookie.cast::<Shared>() }
}

/// # Safety
///
/// Called by RTKit with the cookie of a live instance (see [`shared`]).
unsafe extern "C" fn crashed_cb(cookie: *mut c_void) {
    // SAFETY: See above.
    let shared = unsafe { shared(cookie) };
    let log = shared.crashlog();
    shared.handler.crashed(&log);
}

/// # Safety
///
/// As for [`crashed_cb`].
unsafe extern "C" fn recv_message_cb(cookie: *mut c_void, endpoint: u8, msg: u64) {
    // SAFETY: See above.
    unsafe { shared(cookie) }
        .handler
        .recv_message(endpoint, msg);
}

/// # Safety
///
/// As for [`crashed_cb`]; `bfr` points to the instance's buffer descriptor being set up.
unsafe extern "C" fn shmem_setup_cb(
    cookie: *mut c_void,
    bfr: *mut bindings::apple_rtkit_shmem,
) -> c_int {
    // SAFETY: See above.
    let shared = unsafe { shared(cookie) };
    // SAFETY: RTKit hands us its descriptor for the duration of the call, exclusively.
    let bfr = unsafe { &mut *bfr };
    match shmem_setup(shared, bfr) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

fn shmem_setup(shared: &Shared, bfr: &mut bindings::apple_rtkit_shmem) -> Result {
    // The coprocessor chose the address: that would be memory it already has, which we could
    // only reach by walking its page tables. The GPU firmware does not do this (downstream
    // implements no `shmem_map` for it).
    if bfr.iova != 0 || bfr.size == 0 {
        return Err(EINVAL);
    }
    let size = bfr.size;
    // At least one GPU page (16 KiB), so that the buffer, aligned to its own size as every
    // `alloc_pages` block is, can be mapped for the firmware page by page.
    let pages = size
        .max(crate::pages::GPU_PAGE_SIZE as usize)
        .div_ceil(kernel::page::PAGE_SIZE);
    let order = pages.next_power_of_two().trailing_zeros();
    if order > MAX_SHMEM_ORDER {
        return Err(ENOMEM);
    }
    let gfp = bindings::GFP_KERNEL | bindings::__GFP_ZERO | bindings::__GFP_NOWARN;
    // SAFETY: Allocating pages has no precondition; the result is checked.
    let page = unsafe { bindings::asahi_helper_alloc_pages(gfp, order) };
    let page = NonNull::new(page).ok_or(ENOMEM)?;
    // SAFETY: `page` is a live allocation.
    let phys = unsafe { bindings::asahi_helper_page_to_phys(page.as_ptr()) };
    // SAFETY: `phys` is RAM in the kernel's linear map (`alloc_pages` without highmem).
    let vaddr = unsafe { bindings::asahi_helper_phys_to_virt(phys) }.cast::<u8>();
    // INVARIANT: `1 << order` pages cover `size`; `iova` is set below once mapped.
    let mut buf = KBox::new(
        ShmemBuf {
            page,
            order,
            vaddr,
            size,
            iova: 0,
        },
        GFP_KERNEL,
    )?;
    shared.bufs.lock().reserve(1, GFP_KERNEL)?;
    // CAST: `phys_addr_t` is at most 64 bits.
    buf.iova = shared.handler.shmem_map(phys as u64, size)?;
    // `reserve` above made room: this push does not allocate.
    shared
        .bufs
        .lock()
        .push((vaddr as usize, size), GFP_NOWAIT)?;
    bfr.buffer = vaddr.cast();
    bfr.iomem = core::ptr::null_mut();
    // CAST: `dma_addr_t` is 64 bits on the targets RTKit exists on.
    bfr.iova = buf.iova as _;
    bfr.is_mapped = false;
    bfr.private = KBox::into_raw(buf).cast();
    Ok(())
}

/// # Safety
///
/// As for [`shmem_setup_cb`], for a descriptor that [`shmem_setup_cb`] set up (RTKit only
/// destroys buffers it has a size for; `private` is ours then, or null if the setup failed).
unsafe extern "C" fn shmem_destroy_cb(cookie: *mut c_void, bfr: *mut bindings::apple_rtkit_shmem) {
    // SAFETY: See above.
    let shared = unsafe { shared(cookie) };
    // SAFETY: As in `shmem_setup_cb`.
    let bfr = unsafe { &mut *bfr };
    if bfr.private.is_null() {
        return;
    }
    // SAFETY: A non-null `private` is the `KBox<ShmemBuf>` leaked by `shmem_setup`, reclaimed
    // once: we clear it.
    let buf = unsafe { KBox::from_raw(bfr.private.cast::<ShmemBuf>()) };
    bfr.private = core::ptr::null_mut();
    bfr.buffer = core::ptr::null_mut();
    {
        let mut bufs = shared.bufs.lock();
        let found = bufs
            .iter()
            .position(|&(vaddr, _)| vaddr == buf.vaddr as usize);
        if let Some(i) = found {
            let last = bufs.len() - 1;
            bufs.as_mut_slice().swap(i, last);
            let _ = bufs.pop();
        }
    }
    shared.handler.shmem_unmap(buf.iova, buf.size);
    drop(buf);
}

/// An RTKit coprocessor client.
///
/// # Invariants
///
/// `rtk` is a live instance from `apple_rtkit_init` whose cookie is `&*shared`; it is freed
/// only in `drop`, before `shared`. `dev` is the device it was created for, with a reference
/// taken in `new` and put in `drop` after the instance is freed (RTKit logs through it).
pub(crate) struct RtKit {
    rtk: NonNull<bindings::apple_rtkit>,
    dev: NonNull<bindings::device>,
    shared: Pin<KBox<Shared>>,
}

// SAFETY: The C library may be called from any thread; the calls it does not serialise itself
// (boot, endpoint start, shutdown) are serialised by `Shared::lifecycle`.
unsafe impl Send for RtKit {}
// SAFETY: As above.
unsafe impl Sync for RtKit {}

impl RtKit {
    /// Creates the client of the coprocessor behind `dev`'s first `mboxes` entry and starts its
    /// mailbox. `EPROBE_DEFER` while the mailbox has no driver, `ENODEV`/`EINVAL` for a bad
    /// `mboxes` entry. Process context.
    pub(crate) fn new(dev: &dyn AsRawDevice, handler: Arc<dyn Handler>) -> Result<Self> {
        let shared = KBox::pin_init(
            pin_init!(Shared {
                handler,
                bufs <- new_mutex!(KVec::new(), "asahi::rtkit::bufs"),
                lifecycle <- new_mutex!((), "asahi::rtkit::lifecycle"),
            }),
            GFP_KERNEL,
        )?;
        let raw_dev = dev.as_raw_device();
        let cookie: *const Shared = &*shared;
        // SAFETY: `raw_dev` is live while `dev` is borrowed; the cookie is the pinned `Shared`,
        // which outlives the instance (type invariant); `OPS` is static; a null name selects
        // the `mboxes` entry at index 0.
        let rtk = kernel::error::from_err_ptr(unsafe {
            bindings::apple_rtkit_init(
                raw_dev,
                cookie.cast_mut().cast(),
                core::ptr::null(),
                0,
                &OPS,
            )
        })?;
        let rtk = NonNull::new(rtk).ok_or(ENOMEM)?;
        // SAFETY: `raw_dev` is live; the reference is put in `drop`.
        let dev = unsafe { bindings::asahi_helper_get_device(raw_dev) };
        // INVARIANT: a live instance with our cookie; `dev` referenced.
        Ok(Self {
            rtk,
            dev: NonNull::new(dev).ok_or(ENODEV)?,
            shared,
        })
    }

    /// Waits for the coprocessor to boot (endpoint map, power acks; up to about a second per
    /// step). Process context.
    pub(crate) fn boot(&self) -> Result {
        let _l = self.shared.lifecycle.lock();
        // SAFETY: `rtk` is live (type invariant); lifecycle calls are serialised by `_l`.
        kernel::error::to_result(unsafe { bindings::apple_rtkit_boot(self.rtk.as_ptr()) })
    }

    /// Starts application endpoint `endpoint`; `EINVAL` when the coprocessor does not have it
    /// or is not running. Process context.
    pub(crate) fn start_ep(&self, endpoint: u8) -> Result {
        let _l = self.shared.lifecycle.lock();
        // SAFETY: As in `boot`.
        kernel::error::to_result(unsafe {
            bindings::apple_rtkit_start_ep(self.rtk.as_ptr(), endpoint)
        })
    }

    /// Sends `msg` on endpoint `endpoint`, waiting for mailbox space by polling (the atomic
    /// variant), so it may be called in any context. `EINVAL` once crashed, or for an
    /// application endpoint before boot; `ETIME` when the mailbox stays full.
    pub(crate) fn send_atomic(&self, endpoint: u8, msg: u64) -> Result {
        // SAFETY: `rtk` is live (type invariant); the library serialises sends (mailbox
        // `tx_lock`), and with `atomic` set neither sleeps nor allocates; no completion.
        kernel::error::to_result(unsafe {
            bindings::apple_rtkit_send_message(
                self.rtk.as_ptr(),
                endpoint,
                msg,
                core::ptr::null_mut(),
                true,
            )
        })
    }

    /// Whether the coprocessor has booted and is powered on.
    pub(crate) fn is_running(&self) -> bool {
        // SAFETY: `rtk` is live (type invariant); this reads two state fields.
        unsafe { bindings::apple_rtkit_is_running(self.rtk.as_ptr()) }
    }

    /// Whether the coprocessor crashed.
    pub(crate) fn is_crashed(&self) -> bool {
        // SAFETY: As in `is_running`.
        unsafe { bindings::apple_rtkit_is_crashed(self.rtk.as_ptr()) }
    }

    /// Powers the coprocessor off (when it runs and has not crashed: a crashed one answers no
    /// power request) and resets the instance, freeing its buffers. Process context.
    pub(crate) fn shutdown(&self) -> Result {
        let _l = self.shared.lifecycle.lock();
        if !self.is_running() || self.is_crashed() {
            return Ok(());
        }
        // SAFETY: As in `boot`.
        kernel::error::to_result(unsafe { bindings::apple_rtkit_shutdown(self.rtk.as_ptr()) })
    }
}

impl Drop for RtKit {
    fn drop(&mut self) {
        // SAFETY: `rtk` is live (type invariant), freed once, here: this stops the mailbox,
        // drains the workqueue (no callback runs afterwards) and destroys our buffers.
        unsafe { bindings::apple_rtkit_free(self.rtk.as_ptr()) };
        // SAFETY: The reference taken in `new`, put once, after the instance that used it.
        unsafe { bindings::put_device(self.dev.as_ptr()) };
    }
}
