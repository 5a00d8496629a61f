//! `bitfield!`: a 64-bit register or table entry declared once, field by field.
//!
//! In the style of nova-core's `register!`/`bitfield!` (drivers/gpu/nova-core): each field is
//! written once with its bit range, a doc line, its name and its type, and the macro generates
//! the accessors, so no shift or mask is spelled out where the value is used. Unlike nova-core's
//! the macro takes the setter's and the range constant's names explicitly (there is no `paste!`
//! in a `core`-only file), and is limited to `u64` values, which is what the GPU's registers and
//! page-table entries are.
//!
//! ```text
//! bitfield! {
//!     /// A UAT page-table entry.
//!     pub struct Pte(u64) {
//!         /// Access flag.
//!         AF @ 10:10 af, set_af: bool;
//!         /// Access permission class.
//!         AP @ 7:6 ap, set_ap: u8;
//!     }
//! }
//! ```
//!
//! generates `#[repr(transparent)] pub struct Pte(pub u64)` with, per field, an associated
//! constant [`Bits`] (`Pte::AF`: its range, mask and shift), a getter (`af(self) -> bool`) and
//! a builder-style setter (`set_af(self, bool) -> Self`, bits beyond the field's width dropped),
//! plus `Pte::FIELDS` (each field's name and range) and a `Debug` that prints the fields. The
//! build fails if a range is reversed, leaves the 64 bits, is wider than its type, or overlaps
//! another field.

/// A field's bit range `hi:lo` (inclusive) within a `u64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bits {
    /// The most significant bit of the field.
    pub hi: u32,
    /// The least significant bit of the field (its shift).
    pub lo: u32,
}

impl Bits {
    /// The range `hi:lo`; fails the build (in a `const`) or panics unless `lo <= hi < 64`.
    pub const fn new(hi: u32, lo: u32) -> Self {
        assert!(
            lo <= hi && hi < 64,
            "bit range must be hi:lo with lo <= hi < 64"
        );
        Self { hi, lo }
    }

    /// The number of bits of the field.
    pub const fn width(self) -> u32 {
        self.hi - self.lo + 1
    }

    /// The field's bits in place (`hi:lo` set, all others clear).
    pub const fn mask(self) -> u64 {
        (u64::MAX >> (63 - (self.hi - self.lo))) << self.lo
    }

    /// The field's value in `raw`, shifted down to bit 0.
    pub const fn get(self, raw: u64) -> u64 {
        (raw & self.mask()) >> self.lo
    }

    /// `raw` with the field replaced by `v` (bits of `v` beyond the field's width dropped).
    pub const fn set(self, raw: u64, v: u64) -> u64 {
        (raw & !self.mask()) | ((v << self.lo) & self.mask())
    }
}

/// Declares a `u64` bitfield type with generated accessors; see the [module docs](self).
macro_rules! bitfield {
    (
        $(#[$m:meta])*
        $vis:vis struct $name:ident(u64) {
            $(
                $(#[$fm:meta])*
                $range:ident @ $hi:literal : $lo:literal $get:ident, $set:ident : $ft:tt;
            )*
        }
    ) => {
        $(#[$m])*
        #[derive(Clone, Copy, Default, PartialEq, Eq)]
        #[repr(transparent)]
        $vis struct $name(pub u64);

        #[allow(dead_code)]
        impl $name {
            $(
                #[doc = concat!("Bits ", stringify!($hi), ":", stringify!($lo), " of [`",
                    stringify!($name), "::", stringify!($get), "`].")]
                pub const $range: Bits = Bits::new($hi, $lo);
            )*

            /// Every field as `(name, range)`, in declaration order.
            pub const FIELDS: &'static [(&'static str, Bits)] =
                &[$((stringify!($get), Self::$range)),*];

            $(
                $(#[$fm])*
                #[inline]
                pub const fn $get(self) -> $ft {
                    bitfield!(@get $ft, Self::$range.get(self.0))
                }

                #[doc = concat!("This value with [`", stringify!($name), "::", stringify!($get),
                    "`] (bits ", stringify!($hi), ":", stringify!($lo), ") set to `v`; bits of \
                    `v` beyond the field's width are dropped.")]
                #[inline]
                #[must_use]
                pub const fn $set(self, v: $ft) -> Self {
                    // CAST: widening (`bool` and unsigned integers of at most 64 bits).
                    Self(Self::$range.set(self.0, v as u64))
                }
            )*
        }

        // Each field fits its type, and no two fields overlap.
        const _: () = {
            $(
                assert!(
                    Bits::new($hi, $lo).width() <= bitfield!(@bits $ft),
                    concat!(stringify!($name), "::", stringify!($get), " is wider than its type")
                );
            )*
            let masks: &[u64] = &[$(Bits::new($hi, $lo).mask()),*];
            let mut all = 0u64;
            let mut i = 0;
            while i < masks.len() {
                assert!(all & masks[i] == 0, concat!(stringify!($name), " has overlapping fields"));
                all |= masks[i];
                i += 1;
            }
        };

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("raw", &format_args!("{:#x}", self.0))
                    $(.field(stringify!($get), &self.$get()))*
                    .finish()
            }
        }
    };
    (@get bool, $v:expr) => { $v != 0 };
    // CAST: the value is masked to the field's width, which the build checks fits the type.
    (@get $ft:tt, $v:expr) => { $v as $ft };
    (@bits bool) => { 1 };
    (@bits $ft:tt) => { <$ft>::BITS };
}

pub(crate) use bitfield;

#[cfg(test)]
mod tests {
    use super::*;

    bitfield! {
        /// A sample with every kind of field.
        struct Sample(u64) {
            /// One bit.
            FLAG @ 0:0 flag, set_flag: bool;
            /// Three bits.
            SMALL @ 3:1 small, set_small: u8;
            /// Sixteen bits in the middle.
            MID @ 47:32 mid, set_mid: u16;
            /// The top bits.
            TOP @ 63:60 top, set_top: u8;
        }
    }

    #[test]
    fn ranges_masks_and_shifts() {
        assert_eq!(Sample::FLAG.mask(), 1);
        assert_eq!(Sample::SMALL.mask(), 0b1110);
        assert_eq!(Sample::MID.mask(), 0xffff << 32);
        assert_eq!(Sample::TOP.mask(), 0xf << 60);
        assert_eq!(Sample::MID.lo, 32);
        assert_eq!(Sample::MID.width(), 16);
        assert_eq!(Bits::new(63, 0).mask(), u64::MAX);
        let names: [&str; 4] = core::array::from_fn(|i| Sample::FIELDS[i].0);
        assert_eq!(names, ["flag", "small", "mid", "top"]);
    }

    #[test]
    fn set_then_get_round_trips_and_leaves_other_fields_alone() {
        let all = Sample(u64::MAX);
        for v in 0..8u8 {
            let s = all.set_small(v);
            assert_eq!(s.small(), v);
            assert_eq!(s.0 | Sample::SMALL.mask(), u64::MAX);
            assert_eq!(Sample(0).set_small(v).0, u64::from(v) << 1);
        }
        let s = Sample(0).set_flag(true).set_mid(0xbeef).set_top(9);
        assert!(s.flag());
        assert_eq!((s.mid(), s.top(), s.small()), (0xbeef, 9, 0));
        assert_eq!(s.0, 1 | 0xbeef << 32 | 9 << 60);
        assert!(!s.set_flag(false).flag());
    }

    #[test]
    fn a_value_wider_than_its_field_is_truncated_not_spilled() {
        // 0xff into a 3-bit field keeps its low 3 bits and touches neither neighbour.
        let s = Sample(0).set_small(0xff);
        assert_eq!(s.small(), 7);
        assert!(!s.flag());
        assert_eq!(s.0, 0b1110);
        assert_eq!(Sample(0).set_top(0xff).0, 0xf << 60);
    }

    #[test]
    #[should_panic(expected = "bit range")]
    fn a_reversed_range_is_refused() {
        let (hi, lo) = (core::hint::black_box(3), core::hint::black_box(4));
        let _ = Bits::new(hi, lo);
    }

    #[test]
    fn debug_names_the_fields() {
        extern crate std;
        let s = std::format!("{:?}", Sample(0).set_small(5));
        assert_eq!(
            s,
            "Sample { raw: 0xa, flag: false, small: 5, mid: 0, top: 0 }"
        );
    }
}
