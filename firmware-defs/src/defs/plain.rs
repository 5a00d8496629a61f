//! Plain data: the one trait that bounds every byte view of a type.
//!
//! Whatever crosses to the firmware (a structure written into firmware memory, a ring message)
//! or comes from userspace (a uAPI struct copied in) is handled as bytes. A byte view of a `T`
//! is sound only if `T` is *plain data*: it has no padding (uninitialised bytes must not leak
//! out), no pointers or references (no address crosses, and no bytes from outside forge one),
//! no interior mutability (a shared view cannot change underneath), and every bit pattern is a
//! valid `T` (bytes from outside can be read back as a `T`). [`Plain`] is that claim as an
//! `unsafe trait`; the generic byte views ([`bytes_of`], [`bytes_of_mut`], [`zeroed`],
//! [`read_prefix`]) and, in the kernel module, `read_extensible`, `fwmem::zeroed`,
//! `FwObject::new`, the channel senders and the ioctl dispatcher take `T: Plain`, so the type
//! system refuses a type with padding, a pointer or a `Cell`.
//!
//! # How the claim is proved
//!
//! No layout implements [`Plain`] by hand:
//!
//! - firmware layouts are defined through [`plain_layout!`], which derives zerocopy's
//!   `FromBytes`, `IntoBytes`, `KnownLayout` and `Immutable` on the host (`zerocopy` feature) and
//!   checks the layout in every build, the kernel's included, with [`plain_fields!`];
//! - types defined elsewhere (the module's bindgen uAPI structs) go through [`plain_fields!`]
//!   with their fields spelled out: the macro checks, at compile time, that the list names every
//!   field exactly once with its exact type, that every field type is [`Plain`], and that the
//!   field sizes add up to the size of the type (so there is no padding);
//! - primitives and arrays are implemented here, once.
//!
//! On the host, [`Plain`] has zerocopy's `FromBytes + IntoBytes + Immutable` as supertraits, so
//! `cargo build --features zerocopy` (which `cargo test` does) rejects every implementation
//! whose type zerocopy cannot prove to be plain: the host build proves the claim for the very
//! same source the kernel compiles. The kernel build has no zerocopy; there the field check of
//! [`plain_fields!`] carries the proof.
//!
//! A layout without padding or pointers is accepted:
//!
//! ```
//! use agx_firmware_defs::plain::{bytes_of, plain_derive, plain_fields, plain_layout, Plain};
//! plain_layout! {
//!     #[derive(Clone, Copy)]
//!     #[repr(C)]
//!     pub struct Message {
//!         pub a: u32,
//!         pub b: u32,
//!     }
//! }
//! assert_eq!(bytes_of(&Message { a: 1, b: 2 }), &[1, 0, 0, 0, 2, 0, 0, 0]);
//! ```
//!
//! A layout with padding is refused:
//!
//! ```compile_fail
//! use agx_firmware_defs::plain::{plain_derive, plain_fields, plain_layout, Plain};
//! plain_layout! {
//!     #[derive(Clone, Copy)]
//!     #[repr(C)]
//!     pub struct Padded {
//!         pub a: u8,
//!         pub b: u32,
//!     }
//! }
//! ```
//!
//! and so is one holding a reference or a pointer:
//!
//! ```compile_fail
//! use agx_firmware_defs::plain::{plain_derive, plain_fields, plain_layout, Plain};
//! plain_layout! {
//!     #[derive(Clone, Copy)]
//!     #[repr(C)]
//!     pub struct WithPointer {
//!         pub p: *const u8,
//!     }
//! }
//! ```
//!
//! ```compile_fail
//! let _ = agx_firmware_defs::plain::zeroed::<&'static u32>();
//! ```

use core::mem::size_of;

/// Plain data: any bytes of the right size are a valid value, and a value's bytes are all
/// initialised and carry no address.
///
/// # Safety
///
/// Implementing `Plain` for `T` claims that `T`:
///
/// - has no padding bytes (all `size_of::<T>()` bytes of every value are initialised);
/// - is valid for every bit pattern (no `bool`, `char`, enum, reference, `NonNull`, ...);
/// - contains no pointer or reference (no raw pointers either: an address must not cross to
///   firmware or userspace, nor be forged from their bytes);
/// - has no interior mutability (no `UnsafeCell`, `Cell`, atomics), so a `&T` viewed as bytes
///   cannot change.
///
/// Do not implement it by hand: use [`plain_layout!`] for new layouts and [`plain_fields!`] for
/// types defined elsewhere; both check the claim at compile time. On the host (`zerocopy`
/// feature) the trait also requires zerocopy's `FromBytes`, `IntoBytes` and `Immutable`, whose
/// derives prove the claim for the same definitions the kernel compiles.
#[cfg(feature = "zerocopy")]
pub unsafe trait Plain:
    Copy + 'static + zerocopy::FromBytes + zerocopy::IntoBytes + zerocopy::Immutable
{
}

/// Plain data: any bytes of the right size are a valid value, and a value's bytes are all
/// initialised and carry no address.
///
/// # Safety
///
/// Implementing `Plain` for `T` claims that `T`:
///
/// - has no padding bytes (all `size_of::<T>()` bytes of every value are initialised);
/// - is valid for every bit pattern (no `bool`, `char`, enum, reference, `NonNull`, ...);
/// - contains no pointer or reference (no raw pointers either: an address must not cross to
///   firmware or userspace, nor be forged from their bytes);
/// - has no interior mutability (no `UnsafeCell`, `Cell`, atomics), so a `&T` viewed as bytes
///   cannot change.
///
/// Do not implement it by hand: use [`plain_layout!`] for new layouts and [`plain_fields!`] for
/// types defined elsewhere; both check the claim at compile time. On the host (`zerocopy`
/// feature) the trait also requires zerocopy's `FromBytes`, `IntoBytes` and `Immutable`, whose
/// derives prove the claim for the same definitions the kernel compiles.
#[cfg(not(feature = "zerocopy"))]
pub unsafe trait Plain: Copy + 'static {}

macro_rules! impl_plain_primitives {
    ($($t:ty),*) => {$(
        // SAFETY: A primitive integer has no padding, no pointer, no interior mutability, and
        // every bit pattern is a valid value.
        unsafe impl Plain for $t {}
    )*};
}

impl_plain_primitives!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

// SAFETY: An array is its elements back to back with no padding between them (its size is
// `N * size_of::<T>()`), so it is plain exactly when `T` is.
unsafe impl<T: Plain, const N: usize> Plain for [T; N] {}

/// Checks at compile time that a type is plain data and implements [`Plain`] for it.
///
/// `plain_fields!(Name { field: Type, ... })` for a struct with named fields, or
/// `plain_fields!(Name(Type))` for a one-field tuple struct. The fields must be listed
/// exhaustively with their exact types. The build fails unless:
///
/// - the list names every field of `Name` exactly once (an exhaustive destructuring pattern);
/// - each listed type is the field's exact type (a typed `let` of the field);
/// - every field type is [`Plain`] (so no pointer, reference, `bool`, enum or cell);
/// - the field sizes add up to `size_of::<Name>()` (so there is no padding);
/// - `Name` is `Copy` (the supertrait of [`Plain`]).
///
/// Unions are refused (destructuring one needs `unsafe`), and so are enums. Together these
/// establish what [`Plain`]'s safety section asks. `Plain` must be in scope where the macro
/// is used.
#[macro_export]
macro_rules! plain_fields {
    ($name:ident { $($f:ident : $t:ty),* $(,)? }) => {
        const _: () = {
            /// Compiled, never called: an exhaustive destructuring names each field once, and
            /// the typed `let`s check each field's type.
            #[allow(dead_code, clippy::all)]
            fn exhaustive(v: $name) {
                let $name { $($f),* } = v;
                $(let _: $t = $f;)*
            }
            const fn is_plain<F: Plain>() -> usize {
                ::core::mem::size_of::<F>()
            }
            let fields = 0 $(+ is_plain::<$t>())*;
            assert!(
                fields == ::core::mem::size_of::<$name>(),
                concat!(stringify!($name), " has padding: its fields do not fill it")
            );
        };
        // SAFETY: The `const` block above proves, at compile time, that every field of `$name`
        // is `Plain` and that the fields fill `$name` without padding.
        unsafe impl Plain for $name {}
    };
    ($name:ident ( $t:ty )) => {
        const _: () = {
            /// Compiled, never called: an exhaustive destructuring of the one field, typed.
            #[allow(dead_code, clippy::all)]
            fn exhaustive(v: $name) {
                let $name(f) = v;
                let _: $t = f;
            }
            const fn is_plain<F: Plain>() -> usize {
                ::core::mem::size_of::<F>()
            }
            assert!(
                is_plain::<$t>() == ::core::mem::size_of::<$name>(),
                concat!(stringify!($name), " has padding: its field does not fill it")
            );
        };
        // SAFETY: The `const` block above proves, at compile time, that the one field of
        // `$name` is `Plain` and fills it.
        unsafe impl Plain for $name {}
    };
}

/// Defines firmware layouts as plain data.
///
/// Takes one or more struct definitions (named fields, or a one-field tuple struct), written as
/// usual with their attributes and docs, and emits each with zerocopy's `FromBytes`,
/// `IntoBytes`, `KnownLayout` and `Immutable` derived on the host (`zerocopy` feature) and
/// [`Plain`] implemented after the checks of [`plain_fields!`]. Write padding as
/// [`Pad`](super::types::Pad) fields: implicit padding fails the build. `Plain`,
/// `plain_fields` and `plain_derive` must be in scope where the macro is used.
#[macro_export]
macro_rules! plain_layout {
    () => {};
    (
        $(#[$m:meta])*
        $vis:vis struct $name:ident { $($(#[$fm:meta])* $fvis:vis $f:ident : $t:ty),* $(,)? }
        $($rest:tt)*
    ) => {
        plain_derive! {
            $(#[$m])*
            $vis struct $name { $($(#[$fm])* $fvis $f : $t),* }
        }
        plain_fields!($name { $($f : $t),* });
        plain_layout!($($rest)*);
    };
    (
        $(#[$m:meta])*
        $vis:vis struct $name:ident ( $(#[$fm:meta])* $fvis:vis $t:ty );
        $($rest:tt)*
    ) => {
        plain_derive! {
            $(#[$m])*
            $vis struct $name ( $(#[$fm])* $fvis $t );
        }
        plain_fields!($name($t));
        plain_layout!($($rest)*);
    };
}

/// Emits an item with zerocopy's derives (host build, `zerocopy` feature); used by
/// [`plain_layout!`]. Defined per build so that the feature of this crate decides, not the
/// feature of the crate that expands [`plain_layout!`].
#[cfg(feature = "zerocopy")]
#[macro_export]
macro_rules! plain_derive {
    ($($item:tt)*) => {
        #[derive(
            zerocopy::FromBytes,
            zerocopy::IntoBytes,
            zerocopy::KnownLayout,
            zerocopy::Immutable
        )]
        $($item)*
    };
}

/// Emits an item as it is (kernel build: no zerocopy); used by [`plain_layout!`].
#[cfg(not(feature = "zerocopy"))]
#[macro_export]
macro_rules! plain_derive {
    ($($item:tt)*) => {
        $($item)*
    };
}

pub use plain_derive;
pub use plain_fields;
pub use plain_layout;

/// The bytes of `v`.
pub fn bytes_of<T: Plain>(v: &T) -> &[u8] {
    // SAFETY: `T: Plain` has no padding, so all `size_of::<T>()` bytes of `*v` are initialised,
    // and no interior mutability, so they do not change while the borrow lasts; `u8` has
    // alignment 1.
    unsafe { core::slice::from_raw_parts((v as *const T).cast::<u8>(), size_of::<T>()) }
}

/// The bytes of `v`, writable.
pub fn bytes_of_mut<T: Plain>(v: &mut T) -> &mut [u8] {
    // SAFETY: As in `bytes_of`; and every bit pattern is a valid `T` (`Plain`), so any bytes
    // written through the slice leave `*v` valid.
    unsafe { core::slice::from_raw_parts_mut((v as *mut T).cast::<u8>(), size_of::<T>()) }
}

/// The all-zero `T`.
pub fn zeroed<T: Plain>() -> T {
    // SAFETY: Every bit pattern, all-zero included, is a valid `T: Plain`.
    unsafe { core::mem::zeroed() }
}

/// A `T` read from the first `size_of::<T>()` bytes of `bytes` (any alignment), or `None` if
/// `bytes` is shorter.
pub fn read_prefix<T: Plain>(bytes: &[u8]) -> Option<T> {
    let src = bytes.get(..size_of::<T>())?;
    let mut v = zeroed::<T>();
    bytes_of_mut(&mut v).copy_from_slice(src);
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Array, GpuPtr, Pad, U32, U64};

    plain_layout! {
        /// A test layout: explicit padding, unaligned fields.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(C)]
        struct Sample {
            a: u32,
            b: Pad<4>,
            c: u64,
            d: U64,
            e: GpuPtr,
            f: Array<2, U32>,
        }

        /// A tuple layout.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(transparent)]
        struct Word(u32);
    }

    #[test]
    fn bytes_round_trip() {
        let mut s = zeroed::<Sample>();
        assert!(bytes_of(&s).iter().all(|b| *b == 0));
        assert_eq!(bytes_of(&s).len(), 0x28);
        s.a = 0x0403_0201;
        s.d = U64::new(0x0807_0605_0403_0201);
        assert_eq!(&bytes_of(&s)[..4], &[1, 2, 3, 4]);
        assert_eq!(&bytes_of(&s)[0x10..0x18], &[1, 2, 3, 4, 5, 6, 7, 8]);
        bytes_of_mut(&mut s)[8] = 0xff;
        assert_eq!(s.c, 0xff);
        let copy: Sample = read_prefix(bytes_of(&s)).unwrap();
        assert_eq!(copy, s);
        assert_eq!(read_prefix::<Word>(&[1, 0, 0, 0, 9]), Some(Word(1)));
        assert_eq!(read_prefix::<Word>(&[1, 0, 0]), None);
    }

    #[test]
    fn agrees_with_zerocopy() {
        // The host build's supertraits: the same bytes either way.
        use zerocopy::IntoBytes;
        let mut s = zeroed::<Sample>();
        s.e = GpuPtr::new(0xffff_ffa0_0000_0040);
        assert_eq!(bytes_of(&s), s.as_bytes());
        let arr = [Word(7), Word(9)];
        assert_eq!(bytes_of(&arr), arr.as_bytes());
    }
}
