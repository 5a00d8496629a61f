// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Device properties: read through the firmware-node API, defined on software nodes.
//!
//! C headers: [`include/linux/property.h`](srctree/include/linux/property.h),
//! [`include/linux/of.h`](srctree/include/linux/of.h),
//! [`include/linux/of_reserved_mem.h`](srctree/include/linux/of_reserved_mem.h).
//!
//! [`DeviceProps`] reads a device's properties with the `device_property_*` calls, which go to
//! its firmware node, whatever that is: a device-tree node (real AGX) or a software node (the
//! virtual AGX this module creates, [`SwProps`]). So the driver reads its description the same
//! way on both paths. What exists only in the device tree (phandles to reserved memory and to
//! the mailbox) is read by the OF helpers at the end, which report "absent" for a device without
//! a device-tree node.
//!
//! Owns nothing but borrowed device pointers; takes no locks.

use crate::bindings;
use crate::kernel_ext::print::AsRawDevice;
use kernel::ffi::c_char;
use kernel::prelude::*;
use kernel::str::CStr;

/// A device whose properties are read, borrowed for a driver callback.
///
/// # Invariants
///
/// `dev` is a valid `struct device` for the lifetime `'a`.
#[derive(Clone, Copy)]
pub(crate) struct DeviceProps<'a> {
    dev: *mut bindings::device,
    _p: core::marker::PhantomData<&'a ()>,
}

impl<'a> DeviceProps<'a> {
    /// The properties of `dev`, valid while `dev` is borrowed.
    pub(crate) fn new(dev: &'a dyn AsRawDevice) -> Self {
        // INVARIANT: `AsRawDevice` implementors hand out devices valid while borrowed.
        Self {
            dev: dev.as_raw_device(),
            _p: core::marker::PhantomData,
        }
    }

    /// Whether the device has property `name`.
    pub(crate) fn present(&self, name: &CStr) -> bool {
        // SAFETY: `dev` is valid (type invariant); `name` is NUL-terminated.
        unsafe { bindings::device_property_present(self.dev, name.as_char_ptr()) }
    }

    /// The number of `u32` cells of property `name`: `EINVAL` when absent, `EPROTO`/`EOVERFLOW`
    /// when it is not a `u32` array.
    pub(crate) fn u32_count(&self, name: &CStr) -> Result<usize> {
        // SAFETY: As in `present`; a null buffer with length 0 asks for the count.
        let n = unsafe {
            bindings::device_property_read_u32_array(
                self.dev,
                name.as_char_ptr(),
                core::ptr::null_mut(),
                0,
            )
        };
        // CAST: non-negative counts fit `usize`.
        kernel::error::to_result(n).map(|()| n as usize)
    }

    /// Reads exactly `N` `u32` cells of property `name` (the first `N` when it has more);
    /// `EINVAL` when absent, `EOVERFLOW` when shorter.
    pub(crate) fn read_u32_array<const N: usize>(&self, name: &CStr) -> Result<[u32; N]> {
        let mut out = [0u32; N];
        // SAFETY: As in `present`; `out` has room for `N` cells.
        kernel::error::to_result(unsafe {
            bindings::device_property_read_u32_array(
                self.dev,
                name.as_char_ptr(),
                out.as_mut_ptr(),
                N,
            )
        })?;
        Ok(out)
    }

    /// The index of `value` in string-array property `name`: `EINVAL` when the property is
    /// absent, `ENODATA` when it does not list `value`.
    pub(crate) fn match_string(&self, name: &CStr, value: &CStr) -> Result<usize> {
        // SAFETY: As in `present`; both strings are NUL-terminated.
        let i = unsafe {
            bindings::device_property_match_string(
                self.dev,
                name.as_char_ptr(),
                value.as_char_ptr(),
            )
        };
        // CAST: non-negative indices fit `usize`.
        kernel::error::to_result(i).map(|()| i as usize)
    }

    /// Whether the device's `compatible` lists `value`.
    pub(crate) fn is_compatible(&self, value: &CStr) -> bool {
        self.match_string(kernel::c_str!("compatible"), value)
            .is_ok()
    }

    /// The device's device-tree node, `None` on a device without one (the virtual AGX).
    fn of_node(&self) -> Option<*mut bindings::device_node> {
        // SAFETY: `dev` is valid (type invariant); the helper only reads `dev->of_node`.
        let np = unsafe { bindings::asahi_helper_dev_of_node(self.dev) };
        (!np.is_null()).then_some(np)
    }

    /// Whether the device has a device-tree node.
    pub(crate) fn has_of_node(&self) -> bool {
        self.of_node().is_some()
    }

    /// The reserved-memory region named `name` in `memory-region-names`, as `(base, size)`:
    /// `ENOENT` when the name is not listed, `ENODEV` when its `memory-region` phandle names no
    /// reserved-memory node the kernel registered, or the device has no device-tree node.
    pub(crate) fn reserved_memory(&self, name: &CStr) -> Result<(u64, u64)> {
        let np = self.of_node().ok_or(ENODEV)?;
        let (mut base, mut size) = (0, 0);
        // SAFETY: `np` is the live device's node (its reference is the device's); `name` is
        // NUL-terminated; the outputs are valid for writes.
        kernel::error::to_result(unsafe {
            bindings::asahi_helper_of_reserved_mem_by_name(
                np,
                name.as_char_ptr(),
                &mut base,
                &mut size,
            )
        })?;
        // `phys_addr_t` is `u64` on the 64-bit targets.
        Ok((base, size))
    }

    /// Whether entry `index` of phandle list `list` (with `#cells` property `cells`) names an
    /// available node compatible with `compatible`: `Ok(false)` if it names another node,
    /// `ENOENT` when there is no such entry (or no device-tree node), `EINVAL` when malformed.
    pub(crate) fn phandle_is_compatible(
        &self,
        list: &CStr,
        cells: &CStr,
        index: u32,
        compatible: &CStr,
    ) -> Result<bool> {
        let np = self.of_node().ok_or(ENOENT)?;
        let index = i32::try_from(index).map_err(|_| EINVAL)?;
        // SAFETY: As in `reserved_memory`; the strings are NUL-terminated.
        let r = unsafe {
            bindings::asahi_helper_of_phandle_target(
                np,
                list.as_char_ptr(),
                cells.as_char_ptr(),
                index,
                compatible.as_char_ptr(),
            )
        };
        kernel::error::to_result(r).map(|()| r == 1)
    }
}

/// A `u32`-array or string-array property of a software node.
pub(crate) enum SwValue {
    /// `u32` cells.
    U32(&'static [u32]),
    /// Strings (a `compatible` list).
    Strings(&'static [&'static CStr]),
}

/// The C string pointers of a string-array property, which the software node points to.
///
/// # Invariants
///
/// Every pointer is a `&'static CStr`'s, so valid forever.
struct StrPtrs {
    _ptrs: KVec<*const c_char>,
}

/// The properties of a software node, in the C layout `platform_device_register_full` takes
/// (`platform_device_info::properties`, copied by the core when it creates the node).
///
/// # Invariants
///
/// `entries` ends with an all-zero terminator; every entry's name and data pointers point to
/// `'static` data or into `strings`, which lives as long as `self` and is never changed.
pub(crate) struct SwProps {
    entries: KVec<bindings::property_entry>,
    _strings: KVec<StrPtrs>,
}

impl SwProps {
    /// Properties `(name, value)`.
    pub(crate) fn new(props: &[(&'static CStr, SwValue)]) -> Result<Self> {
        let mut entries = KVec::with_capacity(props.len() + 1, GFP_KERNEL)?;
        let mut strings = KVec::with_capacity(props.len(), GFP_KERNEL)?;
        for (name, value) in props {
            // SAFETY: `property_entry` is plain data; all-zero is the terminator, a valid value.
            let mut e: bindings::property_entry = unsafe { core::mem::zeroed() };
            e.name = name.as_char_ptr();
            match value {
                SwValue::U32(cells) => {
                    e.length = core::mem::size_of_val(*cells);
                    e.type_ = bindings::DEV_PROP_U32;
                    e.__bindgen_anon_1.pointer = cells.as_ptr().cast();
                }
                SwValue::Strings(list) => {
                    let mut ptrs = KVec::with_capacity(list.len(), GFP_KERNEL)?;
                    for s in list.iter() {
                        ptrs.push(s.as_char_ptr(), GFP_KERNEL)?;
                    }
                    e.length = list.len() * core::mem::size_of::<*const c_char>();
                    e.type_ = bindings::DEV_PROP_STRING;
                    // The KVec's buffer does not move when the KVec itself is moved below.
                    e.__bindgen_anon_1.pointer = ptrs.as_ptr().cast();
                    strings.push(StrPtrs { _ptrs: ptrs }, GFP_KERNEL)?;
                }
            }
            entries.push(e, GFP_KERNEL)?;
        }
        // SAFETY: As above: the all-zero entry terminates the array.
        entries.push(unsafe { core::mem::zeroed() }, GFP_KERNEL)?;
        // INVARIANT: terminated; pointers are static or into `strings`.
        Ok(Self {
            entries,
            _strings: strings,
        })
    }

    /// The zero-terminated C array.
    pub(crate) fn as_ptr(&self) -> *const bindings::property_entry {
        self.entries.as_ptr()
    }
}
