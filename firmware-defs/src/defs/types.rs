//! Primitive building blocks for firmware layouts.
//!
//! Firmware structures are plain `#[repr(C)]` layouts. Many of their 64-bit fields (including
//! GPU pointers) sit at 4-byte or odd offsets, so instead of packing whole structures (which
//! forbids references to fields and makes `derive(Debug)` awkward) those fields use the packed-1
//! wrappers [`U32`], [`U64`] and [`GpuPtr`]. Padding is always spelled out with [`Pad`]: every
//! layout is defined through [`plain_layout!`](super::plain::plain_layout), which refuses
//! implicit padding at compile time (see [`super::plain`]).
//!
//! Source: the `U32`/`U64`/`Pad`/`Array` scheme follows downstream drm/asahi `fw/types.rs`
//! (herrnst/linux-asahi); the code here is written independently.

use super::plain::{plain_derive, plain_fields, plain_layout, Plain};
use core::fmt;
use core::ops::{Deref, DerefMut};

plain_layout! {
    /// An unaligned little-endian `u32` firmware field (alignment 1).
    #[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
    #[repr(C, packed)]
    pub struct U32(pub u32);
}

impl U32 {
    /// Wraps a value.
    pub const fn new(v: u32) -> Self {
        Self(v)
    }

    /// Returns the wrapped value.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl From<u32> for U32 {
    fn from(v: u32) -> Self {
        Self(v)
    }
}

impl From<U32> for u32 {
    fn from(v: U32) -> Self {
        v.0
    }
}

impl fmt::Debug for U32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        write!(f, "{v:#x}")
    }
}

plain_layout! {
    /// An unaligned little-endian `u64` firmware field (alignment 1).
    #[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
    #[repr(C, packed)]
    pub struct U64(pub u64);
}

impl U64 {
    /// Wraps a value.
    pub const fn new(v: u64) -> Self {
        Self(v)
    }

    /// Returns the wrapped value.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl From<u64> for U64 {
    fn from(v: u64) -> Self {
        Self(v)
    }
}

impl From<U64> for u64 {
    fn from(v: U64) -> Self {
        v.0
    }
}

impl fmt::Debug for U64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        write!(f, "{v:#x}")
    }
}

plain_layout! {
    /// A GPU virtual address stored in a firmware structure (alignment 1, 0 means null).
    ///
    /// Firmware pointers are sometimes unaligned, so this is packed like [`U64`]. Downstream uses
    /// `GpuPointer`/`GpuWeakPointer`, which are `packed(1)` in the newest trees (`object.rs`); here
    /// the pointer carries no type or lifetime, which is left to the owner of the memory.
    #[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
    #[repr(C, packed)]
    pub struct GpuPtr(u64);
}

impl GpuPtr {
    /// The null pointer.
    pub const NULL: GpuPtr = GpuPtr(0);

    /// Creates a pointer to `va`.
    pub const fn new(va: u64) -> Self {
        Self(va)
    }

    /// Returns the GPU virtual address (0 for null).
    pub const fn va(self) -> u64 {
        self.0
    }

    /// Returns the address, or `None` for a null pointer.
    pub const fn get(self) -> Option<u64> {
        if self.0 == 0 {
            None
        } else {
            Some(self.0)
        }
    }

    /// Returns `true` for the null pointer.
    pub const fn is_null(self) -> bool {
        self.0 == 0
    }

    /// Returns this pointer moved by `offset` bytes (wrapping), e.g. to point at a field.
    pub const fn offset(self, offset: u64) -> Self {
        Self(self.0.wrapping_add(offset))
    }
}

impl fmt::Debug for GpuPtr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        write!(f, "GpuPtr({v:#x})")
    }
}

/// `N` bytes of explicit padding or reserved space; hidden from `Debug` output.
///
/// Padding is written as zero by the driver; readers must not interpret it.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "zerocopy",
    derive(
        zerocopy::FromBytes,
        zerocopy::IntoBytes,
        zerocopy::KnownLayout,
        zerocopy::Immutable
    )
)]
#[repr(transparent)]
pub struct Pad<const N: usize>([u8; N]);

// Generic, so not through `plain_layout!` (which takes no generics); the derives above and the
// `Plain` supertraits on the host prove this impl as they prove the macro's.
// SAFETY: `repr(transparent)` over `[u8; N]`, which is `Plain`.
unsafe impl<const N: usize> Plain for Pad<N> {}

impl<const N: usize> Pad<N> {
    /// All-zero padding.
    pub const ZERO: Self = Self([0; N]);
}

impl<const N: usize> Default for Pad<N> {
    fn default() -> Self {
        Self::ZERO
    }
}

impl<const N: usize> fmt::Debug for Pad<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<pad {N:#x}>")
    }
}

/// A fixed-size array of `N` elements with `Default` for any `N`.
///
/// Also used for fields that exist only in some firmware versions: the versioned layouts size
/// them as `Array<0, _>` where they are absent. With an alignment-1 element type (`u8`, [`U32`],
/// [`U64`]) an absent field then has no effect on the layout at all.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "zerocopy",
    derive(
        zerocopy::FromBytes,
        zerocopy::IntoBytes,
        zerocopy::KnownLayout,
        zerocopy::Immutable
    )
)]
#[repr(transparent)]
pub struct Array<const N: usize, T>(pub [T; N]);

// Generic, so not through `plain_layout!`; proved on the host as `Pad`'s impl is.
// SAFETY: `repr(transparent)` over `[T; N]`, which is `Plain` when `T` is.
unsafe impl<const N: usize, T: Plain> Plain for Array<N, T> {}

impl<const N: usize, T> Array<N, T> {
    /// Wraps an array.
    pub const fn new(data: [T; N]) -> Self {
        Self(data)
    }
}

impl<const N: usize, T: Default> Default for Array<N, T> {
    fn default() -> Self {
        Self(core::array::from_fn(|_| T::default()))
    }
}

impl<const N: usize, T> Deref for Array<N, T> {
    type Target = [T; N];

    fn deref(&self) -> &[T; N] {
        &self.0
    }
}

impl<const N: usize, T> DerefMut for Array<N, T> {
    fn deref_mut(&mut self) -> &mut [T; N] {
        &mut self.0
    }
}

impl<const N: usize, T: fmt::Debug> fmt::Debug for Array<N, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Returns `n` if `present`, else 0: the length of an [`Array`] field that exists only in some
/// firmware versions.
pub const fn if_present(present: bool, n: usize) -> usize {
    if present {
        n
    } else {
        0
    }
}

/// Reads a little-endian `u32` at byte offset `off` of `buf`, or `None` past the end.
pub fn read_u32(buf: &[u8], off: usize) -> Option<u32> {
    let bytes = buf.get(off..off.checked_add(4)?)?;
    let mut v = [0u8; 4];
    v.copy_from_slice(bytes);
    Some(u32::from_le_bytes(v))
}

/// Reads a little-endian `u64` at byte offset `off` of `buf`, or `None` past the end.
pub fn read_u64(buf: &[u8], off: usize) -> Option<u64> {
    let bytes = buf.get(off..off.checked_add(8)?)?;
    let mut v = [0u8; 8];
    v.copy_from_slice(bytes);
    Some(u64::from_le_bytes(v))
}

/// Writes `v` little-endian at byte offset `off` of `buf`; returns `false` (and writes nothing)
/// if it does not fit.
pub fn write_u32(buf: &mut [u8], off: usize, v: u32) -> bool {
    match off.checked_add(4).and_then(|end| buf.get_mut(off..end)) {
        Some(dst) => {
            dst.copy_from_slice(&v.to_le_bytes());
            true
        }
        None => false,
    }
}

/// Writes `v` little-endian at byte offset `off` of `buf`; returns `false` (and writes nothing)
/// if it does not fit.
pub fn write_u64(buf: &mut [u8], off: usize, v: u64) -> bool {
    match off.checked_add(8).and_then(|end| buf.get_mut(off..end)) {
        Some(dst) => {
            dst.copy_from_slice(&v.to_le_bytes());
            true
        }
        None => false,
    }
}

const _: () = assert!(core::mem::size_of::<U32>() == 4 && core::mem::align_of::<U32>() == 1);
const _: () = assert!(core::mem::size_of::<U64>() == 8 && core::mem::align_of::<U64>() == 1);
const _: () = assert!(core::mem::size_of::<GpuPtr>() == 8 && core::mem::align_of::<GpuPtr>() == 1);
const _: () = assert!(core::mem::size_of::<Pad<0x1c>>() == 0x1c);
const _: () = assert!(core::mem::size_of::<Array<0, U32>>() == 0);
const _: () = assert!(core::mem::align_of::<Array<0, U32>>() == 1);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_helpers_round_trip_and_bounds() {
        let mut buf = [0u8; 12];
        assert!(write_u32(&mut buf, 0, 0x1234_5678));
        assert!(write_u64(&mut buf, 4, 0x0102_0304_0506_0708));
        assert_eq!(read_u32(&buf, 0), Some(0x1234_5678));
        assert_eq!(read_u64(&buf, 4), Some(0x0102_0304_0506_0708));
        assert_eq!(buf[4], 0x08);
        assert!(!write_u32(&mut buf, 9, 1));
        assert!(!write_u64(&mut buf, usize::MAX, 1));
        assert_eq!(read_u32(&buf, 9), None);
        assert_eq!(read_u64(&buf, usize::MAX - 2), None);
    }

    #[test]
    fn gpu_ptr_null_and_offset() {
        assert!(GpuPtr::NULL.is_null());
        assert_eq!(GpuPtr::NULL.get(), None);
        let p = GpuPtr::new(0xffff_ffa0_0000_0000);
        assert_eq!(p.offset(0x10).va(), 0xffff_ffa0_0000_0010);
        assert_eq!(p.get(), Some(0xffff_ffa0_0000_0000));
    }

    #[test]
    fn array_default_and_deref() {
        let a: Array<40, U32> = Array::default();
        assert!(a.iter().all(|v| v.get() == 0));
        assert_eq!(a.len(), 40);
        assert_eq!(if_present(false, 4), 0);
        assert_eq!(if_present(true, 4), 4);
    }
}
