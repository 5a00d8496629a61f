// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Platform drivers and devices.
//!
//! C header: [`include/linux/platform_device.h`](srctree/include/linux/platform_device.h).
//!
//! A [`Driver`] is matched by device-tree `compatible` strings ([`OfTable`]) or by platform
//! device name ([`IdTable`]). Each table entry carries a small integer that [`Driver::probe`]
//! receives, so the driver learns *which* entry matched without any pointer games. The data
//! `probe` returns lives exactly as long as the binding: it is dropped by `remove`.

use crate::bindings;
use crate::kernel_ext::print::AsRawDevice;
use core::marker::PhantomData;
use kernel::error::{from_err_ptr, to_result};
use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::Opaque;

/// Copies `s` into a NUL-padded C character array at compile time.
const fn c_array<const L: usize>(s: &str) -> [c_char; L] {
    let bytes = s.as_bytes();
    assert!(
        bytes.len() < L,
        "string does not fit with its NUL terminator"
    );
    let mut out = [0 as c_char; L];
    let mut i = 0;
    while i < bytes.len() {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// A device-tree match table: `N` entries and the all-zero terminator C expects.
///
/// # Invariants
///
/// `sentinel` is all zero, so the C side stops there; entries' `data` fields hold match indices,
/// never real pointers.
#[repr(C)]
pub(crate) struct OfTable<const N: usize> {
    ids: [bindings::of_device_id; N],
    sentinel: bindings::of_device_id,
}

// SAFETY: The table is never mutated after construction and holds only byte arrays and integers
// stored in pointer-typed fields, so sharing references between threads is sound.
unsafe impl<const N: usize> Sync for OfTable<N> {}

impl<const N: usize> OfTable<N> {
    /// Builds a table from `(compatible, match index)` pairs. Indices must be non-zero, since the
    /// C lookup returns a null `data` for "no match".
    pub(crate) const fn new(entries: [(&str, usize); N]) -> Self {
        // SAFETY: `of_device_id` is plain data (byte arrays and a pointer): all-zero is valid.
        let zero: bindings::of_device_id = unsafe { core::mem::zeroed() };
        let mut ids = [zero; N];
        let mut i = 0;
        while i < N {
            assert!(entries[i].1 != 0, "match index 0 means no match");
            ids[i].compatible = c_array(entries[i].0);
            // CAST: the match index travels in the C `data` pointer; it is never dereferenced.
            ids[i].data = entries[i].1 as *const c_void;
            i += 1;
        }
        // INVARIANT: the sentinel is all zero and `data` holds indices.
        Self {
            ids,
            sentinel: zero,
        }
    }

    /// The table as C sees it.
    pub(crate) const fn as_ptr(&'static self) -> *const bindings::of_device_id {
        (&raw const self.ids).cast()
    }
}

/// A platform-device name match table: `N` entries and the zero terminator.
#[repr(C)]
pub(crate) struct IdTable<const N: usize> {
    ids: [bindings::platform_device_id; N],
    sentinel: bindings::platform_device_id,
}

// SAFETY: Immutable after construction; holds only byte arrays and integers.
unsafe impl<const N: usize> Sync for IdTable<N> {}

impl<const N: usize> IdTable<N> {
    /// Builds a table from `(device name, match index)` pairs; indices must be non-zero.
    pub(crate) const fn new(entries: [(&str, usize); N]) -> Self {
        // SAFETY: `platform_device_id` is plain data: all-zero is valid.
        let zero: bindings::platform_device_id = unsafe { core::mem::zeroed() };
        let mut ids = [zero; N];
        let mut i = 0;
        while i < N {
            assert!(entries[i].1 != 0, "match index 0 means no match");
            ids[i].name = c_array(entries[i].0);
            // CAST: `kernel_ulong_t` is the width of `usize` on every Linux target.
            ids[i].driver_data = entries[i].1 as _;
            i += 1;
        }
        Self {
            ids,
            sentinel: zero,
        }
    }

    /// The table as C sees it.
    pub(crate) const fn as_ptr(&'static self) -> *const bindings::platform_device_id {
        (&raw const self.ids).cast()
    }
}

/// A platform driver.
pub(crate) trait Driver: Sized + 'static {
    /// What a bound device owns; dropped when the device is unbound.
    type Data: Send + Sync + 'static;
    /// The driver name (also the name devices are matched by when there is no id table entry).
    const NAME: &'static CStr;
    /// Device-tree matches.
    fn of_table() -> *const bindings::of_device_id;
    /// Platform-device name matches.
    fn id_table() -> *const bindings::platform_device_id;
    /// Binds `dev`, which matched the table entry with index `index`.
    fn probe(dev: &Device, index: usize) -> Result<Pin<KBox<Self::Data>>>;
}

/// A registered platform driver; unregistered (unbinding every device) on drop.
pub(crate) struct Registration<T: Driver> {
    drv: Pin<KBox<Opaque<bindings::platform_driver>>>,
    _driver: PhantomData<T>,
}

// SAFETY: The registration only holds the C driver structure, which the driver core synchronises;
// registering and unregistering may happen on any thread.
unsafe impl<T: Driver> Send for Registration<T> {}
// SAFETY: `&Registration` exposes nothing.
unsafe impl<T: Driver> Sync for Registration<T> {}

impl<T: Driver> Registration<T> {
    /// Registers the driver; devices already present are probed before this returns.
    pub(crate) fn new(module: &'static ThisModule) -> Result<Self> {
        let drv = KBox::pin(Opaque::<bindings::platform_driver>::uninit(), GFP_KERNEL)?;
        let raw = drv.get();
        // SAFETY: `raw` points to the allocation just made, which nothing else references yet;
        // `platform_driver` is plain data, so writing a zeroed value then fields is sound.
        unsafe {
            raw.write(core::mem::zeroed());
            (*raw).driver.name = T::NAME.as_char_ptr();
            (*raw).driver.of_match_table = T::of_table();
            (*raw).id_table = T::id_table();
            (*raw).probe = Some(probe_callback::<T>);
            (*raw).__bindgen_anon_1.remove = Some(remove_callback::<T>);
        }
        // SAFETY: `raw` is a fully initialised driver in pinned memory that outlives the
        // registration (it is unregistered in `drop` before being freed); `module` is this module.
        to_result(unsafe { bindings::__platform_driver_register(raw, module.as_ptr().cast()) })?;
        Ok(Self {
            drv,
            _driver: PhantomData,
        })
    }
}

impl<T: Driver> Registration<T> {
    /// The number of devices bound to the driver right now.
    pub(crate) fn bound_devices(&self) -> usize {
        let mut count = 0usize;
        // It fails only for a null driver, which this is not.
        // SAFETY: The driver is registered (it is until `drop`); the callback only increments
        // the counter `data` points to, which outlives the call.
        let _ = unsafe {
            bindings::driver_for_each_device(
                &raw mut (*self.drv.get()).driver,
                core::ptr::null_mut(),
                (&raw mut count).cast(),
                Some(count_device),
            )
        };
        count
    }
}

/// `driver_for_each_device` callback: counts one device.
///
/// # Safety
///
/// `data` must point to a `usize`.
unsafe extern "C" fn count_device(_dev: *mut bindings::device, data: *mut c_void) -> c_int {
    // SAFETY: See above.
    unsafe { *data.cast::<usize>() += 1 };
    0
}

impl<T: Driver> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: The driver was registered in `new` and is still registered.
        unsafe { bindings::platform_driver_unregister(self.drv.get()) };
    }
}

/// # Safety
///
/// Only called by the driver core, with a valid device being bound to this driver.
unsafe extern "C" fn probe_callback<T: Driver>(pdev: *mut bindings::platform_device) -> c_int {
    // SAFETY: The driver core keeps `pdev` alive and bound for the whole probe call.
    let dev = unsafe { Device::from_raw(pdev) };
    let Some(index) = dev.match_index() else {
        return ENODEV.to_errno();
    };
    match T::probe(dev, index) {
        Ok(data) => {
            // SAFETY: The data is only handed back to `remove_callback`, which re-pins it; it is
            // never moved while the foreign pointer exists.
            let ptr = KBox::into_raw(unsafe { Pin::into_inner_unchecked(data) });
            // SAFETY: `pdev` is valid (see above); drvdata is ours while bound.
            unsafe { bindings::asahi_helper_platform_set_drvdata(pdev, ptr.cast()) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Only called by the driver core, once, for a device whose probe succeeded.
unsafe extern "C" fn remove_callback<T: Driver>(pdev: *mut bindings::platform_device) {
    // SAFETY: `pdev` is valid and bound; its drvdata was set by `probe_callback`.
    let ptr = unsafe { bindings::asahi_helper_platform_get_drvdata(pdev) }.cast::<T::Data>();
    // SAFETY: `ptr` came from `KBox::into_raw` in `probe_callback` and is reclaimed exactly once,
    // here; it was pinned before and stays pinned until dropped.
    drop(unsafe { Pin::new_unchecked(KBox::from_raw(ptr)) });
}

/// A platform device, borrowed for the duration of a driver callback.
///
/// # Invariants
///
/// The wrapped C device is valid for the lifetime of every `&Device`.
#[repr(transparent)]
pub(crate) struct Device(Opaque<bindings::platform_device>);

impl Device {
    /// # Safety
    ///
    /// `ptr` must be valid for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::platform_device) -> &'a Self {
        // SAFETY: `Device` is a transparent wrapper; validity is the caller's promise.
        unsafe { &*ptr.cast() }
    }

    fn as_raw(&self) -> *mut bindings::platform_device {
        self.0.get()
    }

    /// The C `struct device`, for parenting other devices (DRM) to this one.
    pub(crate) fn raw_device(&self) -> *mut bindings::device {
        // SAFETY: By the type invariant the platform device is valid; taking a field address
        // does not read it.
        unsafe { &raw mut (*self.as_raw()).dev }
    }

    /// The index of the table entry that matched, from the OF table or the id table.
    fn match_index(&self) -> Option<usize> {
        // SAFETY: The device is valid (type invariant); the helper only reads the OF match.
        let of = unsafe { bindings::asahi_helper_of_device_get_match_data(self.raw_device()) };
        if !of.is_null() {
            // CAST: OF tables built by `OfTable` store indices, not pointers.
            return Some(of as usize);
        }
        // SAFETY: The device is valid; `id_entry` is set by the core before probe.
        let id = unsafe { (*self.as_raw()).id_entry };
        if id.is_null() {
            return None;
        }
        // SAFETY: A non-null `id_entry` points into this driver's `IdTable`, which is static.
        let data = unsafe { (*id).driver_data };
        // `kernel_ulong_t` is `usize` in the bindings.
        Some(data)
    }
}

impl Device {
    /// The memory resource named `name` (device-tree `reg-names`) as `(start, size)`, `None`
    /// when the device has none of that name.
    pub(crate) fn mem_resource(&self, name: &CStr) -> Option<(u64, u64)> {
        // SAFETY: The device is valid (type invariant); `name` is NUL-terminated; the core only
        // reads the device's resource table.
        let res = unsafe {
            bindings::platform_get_resource_byname(
                self.as_raw(),
                // CAST: the flag fits the C `unsigned int` parameter.
                bindings::IORESOURCE_MEM as u32,
                name.as_char_ptr(),
            )
        };
        if res.is_null() {
            return None;
        }
        // SAFETY: A non-null result points into the device's resource table, which lives as long
        // as the device.
        let (start, end) = unsafe { ((*res).start, (*res).end) };
        // `resource_size_t` is `u64` on the 64-bit targets. A resource is inclusive of `end`.
        Some((start, end.wrapping_sub(start).wrapping_add(1)))
    }
}

impl AsRawDevice for Device {
    fn as_raw_device(&self) -> *mut bindings::device {
        self.raw_device()
    }
}

/// A platform device this module created; unregistered on drop.
pub(crate) struct DeviceRegistration {
    pdev: *mut bindings::platform_device,
}

// SAFETY: The pointer is only used to unregister, which the driver core allows from any thread.
unsafe impl Send for DeviceRegistration {}
// SAFETY: `&DeviceRegistration` exposes nothing.
unsafe impl Sync for DeviceRegistration {}

impl DeviceRegistration {
    /// Creates and registers a resource-less platform device `name.id` (a matching driver binds
    /// to it immediately), with a software node carrying `props` as its firmware node: the driver reads them with the device property API, as it reads a device-tree node.
    pub(crate) fn new_with_props(
        name: &'static CStr,
        id: i32,
        props: &crate::kernel_ext::property::SwProps,
    ) -> Result<Self> {
        // SAFETY: `platform_device_info` is plain data; zero means "no parent, no resources".
        let mut info: bindings::platform_device_info = unsafe { core::mem::zeroed() };
        info.name = name.as_char_ptr();
        info.id = id;
        info.properties = props.as_ptr();
        // SAFETY: `info` and the zero-terminated property array are valid for the call; the core
        // copies the properties (names, cells and strings) into the node it creates.
        let pdev = from_err_ptr(unsafe { bindings::platform_device_register_full(&info) })?;
        Ok(Self { pdev })
    }
}

impl Drop for DeviceRegistration {
    fn drop(&mut self) {
        // SAFETY: `pdev` was registered in `new_with_props` and not unregistered since.
        unsafe { bindings::platform_device_unregister(self.pdev) };
    }
}
