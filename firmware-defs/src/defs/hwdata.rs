//! Version-independent parts of the power and hardware configuration the firmware boots with:
//! the [`F32`] word, the shared power tables that appear in both `HwDataA` and `Globals`, the
//! I/O mapping records of `HwDataB`, and the statistics buffers the runtime pointers name.
//!
//! The versioned structures that contain them (`HwDataA`, `HwDataB`, `Globals`, the runtime
//! scratch area) are in `defs/versioned/hwdata.rs` and `defs/versioned/globals.rs`, one copy per
//! variant module of [`super::variants`].
//!
//! Fields the driver, the firmware model or the crash-dump decoder use are public and
//! documented; the many unknown words (named by their offset in the newest layout, as
//! downstream names them) are private: only the builders in the same variant module set them.
//!
//! Sources: downstream `fw/initdata.rs` (herrnst/linux-asahi 14e7ccde) `HwDataShared1`,
//! `HwDataShared2Curve`, `HwDataShared2G14`, `HwDataShared2`, `HwDataShared3`,
//! `HwDataA130Extra`, `T81xxData`, `AuxLeakCoef`, `IOMapping`, `HwDataBAuxPStates`,
//! `PowerZoneGlobal`, `GpuStatsVtx`, `GpuGlobalStatsVtx`, `GpuStatsComp`; m1n1
//! `rust/src/gpu/raw.rs` is a port of the same definitions (firmware-commands.md §5.2).

use super::plain::{plain_derive, plain_fields, plain_layout, Plain};
use super::types::{Array, U64};
use core::fmt;

plain_layout! {
    /// An IEEE-754 single-precision value stored as its bits (alignment 4, like `u32`).
    ///
    /// Kernel code must not do floating-point arithmetic at run time (the kernel's float
    /// intrinsics panic and the FPU state is not saved), so values are converted only in `const`
    /// evaluation ([`F32::from_f32`] in a `const` item) or carried as bits. Source: downstream
    /// `fw/types.rs` `F32` (a `u32` newtype built by the `f32!` macro at compile time).
    #[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
    #[repr(transparent)]
    pub struct F32(u32);
}

/// `(n / d, n % d)` for `0 < d < 2^127`, by shift and subtract: the kernel has no runtime
/// helper for 128-bit division (`__udivti3`), so the module build must not emit one.
const fn divrem_u128(n: u128, d: u128) -> (u128, u128) {
    let mut q = 0u128;
    let mut r = 0u128;
    let mut i = 128;
    while i > 0 {
        i -= 1;
        // `r < d < 2^127` before the shift, so it cannot overflow.
        r = (r << 1) | ((n >> i) & 1);
        if r >= d {
            r -= d;
            q |= 1u128 << i;
        }
    }
    (q, r)
}

impl F32 {
    /// 0.0.
    pub const ZERO: F32 = F32(0);
    /// 1.0.
    pub const ONE: F32 = F32(0x3f80_0000);

    /// The value with these IEEE-754 bits.
    pub const fn from_bits(bits: u32) -> Self {
        Self(bits)
    }

    /// The IEEE-754 bits.
    pub const fn to_bits(self) -> u32 {
        self.0
    }

    /// Converts a float. A bit-level conversion (no arithmetic), usable anywhere; call it on
    /// results of float arithmetic only inside `const` evaluation in kernel code.
    pub const fn from_f32(v: f32) -> Self {
        Self(v.to_bits())
    }

    /// The value as a float (bit-level conversion, no arithmetic).
    pub const fn to_f32(self) -> f32 {
        f32::from_bits(self.0)
    }
}

/// Soft-float arithmetic on [`F32`]: integer-only IEEE-754 single precision with
/// round-to-nearest-even, so builders may compute power coefficients at run time in the kernel
/// (which must not execute floating-point instructions) and get the very bits the host FPU
/// would. Inputs must be finite (no infinities or NaNs); subnormal results are produced, and
/// results too large become infinity.
impl F32 {
    /// Splits finite bits into (sign, significand, exponent) with value = ±m × 2^e.
    const fn unpack(self) -> (u32, u64, i32) {
        let sign = self.0 >> 31;
        let exp = ((self.0 >> 23) & 0xff) as i32;
        let frac = (self.0 & 0x7f_ffff) as u64;
        if exp == 0 {
            (sign, frac, -149)
        } else {
            (sign, frac | 0x80_0000, exp - 150)
        }
    }

    /// Rounds ±m × 2^e to the nearest single (ties to even).
    const fn round_pack(sign: u32, m: u128, e: i32) -> F32 {
        if m == 0 {
            return F32(sign << 31);
        }
        let n = 128 - m.leading_zeros() as i32;
        let exp = e + n - 1;
        // Normal: keep 24 significant bits; subnormal: keep the bits at or above 2^-149.
        let (shift, field) = if exp >= -126 {
            (n - 24, exp + 126)
        } else {
            (-(e + 149), 0)
        };
        let q = if shift <= 0 {
            // CAST: at most 24 significant bits after the shift.
            (m << (-shift) as u32) as u64
        } else if shift >= 127 {
            0
        } else {
            let q = m >> shift as u32;
            let rem = m & ((1u128 << shift as u32) - 1);
            let half = 1u128 << (shift as u32 - 1);
            // CAST: q has at most 24 significant bits.
            let q = q as u64;
            if rem > half || (rem == half && q & 1 == 1) {
                q + 1
            } else {
                q
            }
        };
        // The implicit bit of a normal significand adds one to the exponent field, and a
        // rounding carry to 2^24 moves to the next binade: both fall out of the addition.
        // CAST: field is at most 254 + 1 here; q at most 2^24.
        let bits = ((field as u64) << 23) + q;
        if bits >= 0x7f80_0000 {
            F32((sign << 31) | 0x7f80_0000)
        } else {
            // CAST: bits < 0x7f80_0000.
            F32((sign << 31) | bits as u32)
        }
    }

    /// The single nearest to `n`.
    pub const fn from_u32(n: u32) -> F32 {
        F32::round_pack(0, n as u128, 0)
    }

    /// The single nearest to `n`.
    pub const fn from_i32(n: i32) -> F32 {
        let sign = if n < 0 { 1 } else { 0 };
        F32::round_pack(sign, n.unsigned_abs() as u128, 0)
    }

    /// `-self`.
    pub const fn neg(self) -> F32 {
        F32(self.0 ^ 0x8000_0000)
    }

    /// `self × rhs`, rounded.
    pub const fn mul(self, rhs: F32) -> F32 {
        let (sa, ma, ea) = self.unpack();
        let (sb, mb, eb) = rhs.unpack();
        F32::round_pack(sa ^ sb, (ma * mb) as u128, ea + eb)
    }

    /// `self / rhs`, rounded; division by zero gives infinity (or NaN for 0/0).
    pub const fn div(self, rhs: F32) -> F32 {
        let (sa, ma, ea) = self.unpack();
        let (sb, mb, eb) = rhs.unpack();
        if mb == 0 {
            return if ma == 0 {
                F32(0x7fc0_0000)
            } else {
                F32(((sa ^ sb) << 31) | 0x7f80_0000)
            };
        }
        // 64 extra quotient bits are plenty for the 24 kept plus guard bits; the remainder
        // becomes a sticky bit below them.
        let num = (ma as u128) << 64;
        let (q, rem) = divrem_u128(num, mb as u128);
        let sticky = if rem != 0 { 1 } else { 0 };
        F32::round_pack(sa ^ sb, (q << 1) | sticky, ea - eb - 65)
    }

    /// `self + rhs`, rounded.
    pub const fn add(self, rhs: F32) -> F32 {
        let (sa, ma, ea) = self.unpack();
        let (sb, mb, eb) = rhs.unpack();
        if ma == 0 {
            return if mb == 0 { F32((sa & sb) << 31) } else { rhs };
        }
        if mb == 0 {
            return self;
        }
        // Align on the smaller exponent in 128 bits; exponents of finite singles differ by
        // at most 277, so clamp the shift and keep a sticky bit for what falls off.
        let (big_s, big_m, big_e, small_s, small_m, small_e) = if ea > eb || (ea == eb && ma >= mb)
        {
            (sa, ma, ea, sb, mb, eb)
        } else {
            (sb, mb, eb, sa, ma, ea)
        };
        let d = big_e - small_e;
        let (bm, sm, e) = if d <= 64 {
            ((big_m as u128) << d as u32, small_m as u128, small_e)
        } else {
            // The small operand is far below the rounding position: only its stickiness
            // matters.
            ((big_m as u128) << 64, 1, big_e - 64)
        };
        if big_s == small_s {
            F32::round_pack(big_s, bm + sm, e)
        } else if bm == sm {
            // Exact cancellation is +0 when rounding to nearest.
            F32(0)
        } else {
            F32::round_pack(big_s, bm - sm, e)
        }
    }

    /// `self - rhs`, rounded.
    pub const fn sub(self, rhs: F32) -> F32 {
        self.add(rhs.neg())
    }
}

impl fmt::Debug for F32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bits only: formatting a float may use float arithmetic, which kernel code avoids.
        write!(f, "F32({:#010x})", self.0)
    }
}

plain_layout! {
    /// Power table shared by `HwDataA` and `Globals` (0xa8 bytes).
    ///
    /// Source: downstream `fw/initdata.rs` `HwDataShared1`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct HwDataShared1 {
        /// Per-SoC table (`HwConfig.shared1_tab`), -1 where unused.
        pub table: Array<16, i32>,
        unk_40: Array<0x60, u8>,
        /// `HwConfig.shared1_a4`.
        pub unk_a4: u32,
        unk_a8: u32,
    }
}

plain_layout! {
    /// One voltage/frequency curve of [`HwDataShared2G14`] (0x248 bytes).
    ///
    /// Source: downstream `fw/initdata.rs` `HwDataShared2Curve`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct HwDataShared2Curve {
        /// Unknown (7 for the second curve).
        pub unk_0: u32,
        /// Unknown.
        pub unk_4: u32,
        /// Per-pstate coefficients.
        pub t1: Array<16, u16>,
        /// Per-pstate coefficients.
        pub t2: Array<16, i16>,
        /// Per-scale, per-pstate coefficients.
        pub t3: Array<8, Array<16, i32>>,
    }
}

plain_layout! {
    /// The G14 part of [`HwDataShared2`] (0x4c8 bytes; zero on G13).
    ///
    /// Source: downstream `fw/initdata.rs` `HwDataShared2G14`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct HwDataShared2G14 {
        unk_0: Array<5, u32>,
        /// 0x6000000 when the SoC has curves.
        pub unk_14: u32,
        unk_18: Array<8, u32>,
        /// First curve.
        pub curve1: HwDataShared2Curve,
        /// Second curve.
        pub curve2: HwDataShared2Curve,
    }
}

plain_layout! {
    /// Power table shared by `HwDataA` and `Globals` (0x510 bytes).
    ///
    /// Source: downstream `fw/initdata.rs` `HwDataShared2`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct HwDataShared2 {
        /// Per-SoC table (`HwConfig.shared2_tab`).
        pub table: Array<10, i32>,
        /// All 0xff.
        pub unk_28: Array<0x10, u8>,
        /// G14 curves.
        pub g14: HwDataShared2G14,
        unk_500: u32,
        unk_504: u32,
        /// `HwConfig.shared2_unk_508`.
        pub unk_508: u32,
        unk_50c: u32,
    }
}

plain_layout! {
    /// Power table shared by `HwDataA` and `Globals` (0x50 bytes; zero on t8103).
    ///
    /// Source: downstream `fw/initdata.rs` `HwDataShared3`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct HwDataShared3 {
        /// 1 when the table is present.
        pub unk_0: u32,
        /// 500 when the table is present.
        pub unk_4: u32,
        /// `HwConfig.shared3_unk`.
        pub unk_8: u32,
        /// `HwConfig.shared3_tab`.
        pub table: Array<16, u32>,
        /// 1 when the table is present.
        pub unk_4c: u32,
    }
}

plain_layout! {
    /// Extra power-controller block of `HwDataA` on firmware 13.0b4 and later (0x1b8 bytes).
    ///
    /// Source: downstream `fw/initdata.rs` `HwDataA130Extra`; values from downstream
    /// `initdata.rs` `hwdata_a` (`unk_e10_0`).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct HwDataA130Extra {
        unk_0: Array<0x38, u8>,
        pub(crate) unk_38: u32,
        pub(crate) unk_3c: u32,
        /// `apple,se-inactive-threshold`.
        pub gpu_se_inactive_threshold: u32,
        unk_44: u32,
        /// `apple,se-engagement-criteria`.
        pub gpu_se_engagement_criteria: i32,
        /// `apple,se-reset-criteria`.
        pub gpu_se_reset_criteria: u32,
        unk_50: u32,
        pub(crate) unk_54: u32,
        pub(crate) unk_58: u32,
        unk_5c: u32,
        /// 1 - `gpu_se_filter_a`.
        pub gpu_se_filter_a_neg: F32,
        /// 1 - `gpu_se_filter_1_a`.
        pub gpu_se_filter_1_a_neg: F32,
        /// 1 / se filter time constant.
        pub gpu_se_filter_a: F32,
        /// 1 / se filter time constant 1.
        pub gpu_se_filter_1_a: F32,
        /// se ki × sample period (s).
        pub gpu_se_ki_dt: F32,
        /// se ki 1 × sample period (s).
        pub gpu_se_ki_1_dt: F32,
        unk_78: F32,
        pub(crate) unk_7c: F32,
        /// `apple,se-kp`.
        pub gpu_se_kp: F32,
        /// `apple,se-kp-1`.
        pub gpu_se_kp_1: F32,
        unk_88: u32,
        pub(crate) unk_8c: u32,
        /// 100 × max pstate.
        pub max_pstate_scaled_1: u32,
        unk_94: u32,
        unk_98: u32,
        pub(crate) unk_9c: F32,
        pub(crate) unk_a0: u32,
        unk_a4: u32,
        /// se filter time constant × sample period (ms).
        pub gpu_se_filter_time_constant_ms: u32,
        /// se filter time constant 1 × sample period (ms).
        pub gpu_se_filter_time_constant_1_ms: u32,
        /// se filter time constant in base clocks.
        pub gpu_se_filter_time_constant_clks: U64,
        /// se filter time constant 1 in base clocks.
        pub gpu_se_filter_time_constant_1_clks: U64,
        unk_c0: u32,
        pub(crate) unk_c4: F32,
        unk_c8: Array<0x4c, u8>,
        pub(crate) unk_114: F32,
        unk_118: u32,
        unk_11c: u32,
        unk_120: u32,
        pub(crate) unk_124: u32,
        /// 100 × max pstate.
        pub max_pstate_scaled_2: u32,
        unk_12c: Array<0x8c, u8>,
    }
}

plain_layout! {
    /// t8103/t8112-specific block of `HwDataA` (0x44 bytes; filled only before firmware 13.3).
    ///
    /// Source: downstream `fw/initdata.rs` `T81xxData`; values from downstream `initdata.rs`
    /// `t81xx_data`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct T81xxData {
        pub(crate) unk_d8c: u32,
        pub(crate) unk_d90: u32,
        unk_d94: u32,
        unk_d98: u32,
        pub(crate) unk_d9c: F32,
        unk_da0: u32,
        pub(crate) unk_da4: F32,
        unk_da8: u32,
        pub(crate) unk_dac: F32,
        unk_db0: u32,
        unk_db4: u32,
        pub(crate) unk_db8: F32,
        pub(crate) unk_dbc: F32,
        unk_dc0: u32,
        unk_dc4: u32,
        unk_dc8: u32,
        /// 100 × max pstate.
        pub max_pstate_scaled: u32,
    }
}

plain_layout! {
    /// Leakage coefficients of the CS and AFR domains (t602x), 13.0b4 and later (0x20 bytes).
    ///
    /// Source: downstream `fw/initdata.rs` `AuxLeakCoef`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct AuxLeakCoef {
        /// AFR, first copy.
        pub afr_1: Array<2, F32>,
        /// CS, first copy.
        pub cs_1: Array<2, F32>,
        /// AFR, second copy.
        pub afr_2: Array<2, F32>,
        /// CS, second copy.
        pub cs_2: Array<2, F32>,
    }
}

plain_layout! {
    /// One MMIO range the firmware maps (`HwDataB.io_mappings`, 0x20 bytes).
    ///
    /// Source: downstream `fw/initdata.rs` `IOMapping`; reference §5.2.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct IoMapping {
        /// Physical base.
        pub phys_addr: U64,
        /// Firmware VA the range is mapped at.
        pub virt_addr: U64,
        /// Size of the range.
        pub total_size: u32,
        /// Size of one element (equal to `total_size` for every t8103 range).
        pub element_size: u32,
        /// 1 if the firmware may write the range.
        pub readwrite: U64,
    }
}

plain_layout! {
    /// The CS/AFR performance states of `HwDataB` (t602x), 13.0b4 and later (0x1ec bytes).
    ///
    /// Source: downstream `fw/initdata.rs` `HwDataBAuxPStates`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct HwDataBAuxPStates {
        /// Highest CS pstate.
        pub cs_max_pstate: u32,
        /// CS frequencies (MHz).
        pub cs_frequencies: Array<0x10, u32>,
        /// CS voltages (mV) per die.
        pub cs_voltages: Array<0x10, Array<2, u32>>,
        /// CS SRAM voltages (mV) per die.
        pub cs_voltages_sram: Array<0x10, Array<2, u32>>,
        cs_unkpad: u32,
        /// Highest AFR pstate.
        pub afr_max_pstate: u32,
        /// AFR frequencies (MHz).
        pub afr_frequencies: Array<8, u32>,
        /// AFR voltages (mV) per die.
        pub afr_voltages: Array<8, Array<2, u32>>,
        /// AFR SRAM voltages (mV) per die.
        pub afr_voltages_sram: Array<8, Array<2, u32>>,
        afr_unkpad: u32,
    }
}

plain_layout! {
    /// One power zone as `Globals` holds it (0xc bytes).
    ///
    /// Source: downstream `fw/initdata.rs` `PowerZoneGlobal`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct PowerZoneGlobal {
        /// Target (mW).
        pub target: u32,
        /// Target minus the zone's offset.
        pub target_off: u32,
        /// Filter time constant (sample periods).
        pub filter_tc: u32,
    }
}

plain_layout! {
    /// Global vertex statistics (`RuntimePointers.stats_vtx`), opaque after the count.
    ///
    /// Source: downstream `fw/initdata.rs` `GpuGlobalStatsVtx` (`GpuStatsVtx` is 0x3000 opaque
    /// bytes).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct GpuGlobalStatsVtx {
        /// Vertex commands run.
        pub total_cmds: u32,
        stats: Array<0x3000, u8>,
    }
}

plain_layout! {
    /// Compute statistics (`RuntimePointers.stats_comp`), opaque.
    ///
    /// Source: downstream `fw/initdata.rs` `GpuStatsComp`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct GpuStatsComp {
        opaque: Array<0x3000, u8>,
    }
}

/// Offset of the inner statistics block of [`GpuGlobalStatsVtx`]: start microsequence ops point
/// here, not at the count (firmware-commands.md §5.1).
pub const STATS_VTX_INNER_OFFSET: u64 = 4;

/// Sizes of the unknown buffers the runtime pointers name, in bytes.
///
/// Source: downstream `initdata.rs` `runtime_pointers` (`array_empty_tagged` sizes, tags I190,
/// I198, I1B8, I1C0, I1C8) and `build` (`unk_buf`, tag IDTA, in the shared read-only heap).
pub mod unk_buffer_size {
    /// `RuntimePointers.unkptr_190`.
    pub const UNKPTR_190: usize = 0x80;
    /// `RuntimePointers.unkptr_198`.
    pub const UNKPTR_198: usize = 0xc0;
    /// `RuntimePointers.unkptr_1b8`.
    pub const UNKPTR_1B8: usize = 0x1000;
    /// `RuntimePointers.unkptr_1c0` (G13/G14 only).
    pub const UNKPTR_1C0: usize = 0x300;
    /// `RuntimePointers.unkptr_1c8` (G13/G14 only).
    pub const UNKPTR_1C8: usize = 0x1000;
    /// `InitData.unk_buf`.
    pub const INITDATA_UNK_BUF: usize = 0x4000;
}

const _: () = assert!(core::mem::size_of::<HwDataShared1>() == 0xa8);
const _: () = assert!(core::mem::size_of::<HwDataShared2Curve>() == 0x248);
const _: () = assert!(core::mem::size_of::<HwDataShared2G14>() == 0x4c8);
const _: () = assert!(core::mem::size_of::<HwDataShared2>() == 0x510);
const _: () = assert!(core::mem::offset_of!(HwDataShared2, unk_508) == 0x508);
const _: () = assert!(core::mem::size_of::<HwDataShared3>() == 0x50);
const _: () = assert!(core::mem::offset_of!(HwDataA130Extra, unk_12c) == 0x12c);
const _: () = assert!(core::mem::size_of::<HwDataA130Extra>() == 0x1b8);
const _: () = assert!(core::mem::size_of::<T81xxData>() == 0x44);
const _: () = assert!(core::mem::size_of::<AuxLeakCoef>() == 0x20);
const _: () = assert!(core::mem::size_of::<IoMapping>() == 0x20);
const _: () = assert!(core::mem::size_of::<PowerZoneGlobal>() == 0xc);
const _: () = assert!(core::mem::size_of::<GpuGlobalStatsVtx>() == 0x3004);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_bits() {
        assert_eq!(F32::from_f32(1.0), F32::ONE);
        assert_eq!(F32::from_f32(0.0), F32::ZERO);
        assert_eq!(F32::from_f32(1.02).to_bits(), 0x3f82_8f5c);
        assert_eq!(F32::from_bits(0x4080_0000).to_f32(), 4.0);
        extern crate std;
        assert_eq!(std::format!("{:?}", F32::ONE), "F32(0x3f800000)");
    }

    /// The shift-and-subtract division equals the native one (which the kernel build cannot
    /// use), over quotients of every width the float division produces and the edges.
    #[test]
    fn divrem_u128_matches_native() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = (u128::from(x) << (x % 65)) | u128::from(x >> 11);
            let d = u128::from(x >> (x % 63)).max(1);
            assert_eq!(divrem_u128(n, d), (n / d, n % d), "{n:#x} / {d:#x}");
        }
        assert_eq!(divrem_u128(u128::MAX, 1), (u128::MAX, 0));
        assert_eq!(divrem_u128(0, 7), (0, 0));
        assert_eq!(
            divrem_u128(0xff_ffff << 64, 0x80_0001),
            ((0xff_ffff << 64) / 0x80_0001, (0xff_ffff << 64) % 0x80_0001)
        );
    }

    /// Soft-float results equal the host FPU's, bit for bit, over many random finite inputs
    /// and the edge cases (cancellation, ties, subnormals, overflow).
    #[test]
    fn soft_float_matches_hardware() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // CAST: keep the low 32 bits.
            x as u32
        };
        let finite = |b: u32| (b >> 23) & 0xff != 0xff;
        let check = |a: u32, b: u32| {
            let (fa, fb) = (f32::from_bits(a), f32::from_bits(b));
            let (sa, sb) = (F32::from_bits(a), F32::from_bits(b));
            let same = |soft: F32, hard: f32, op: &str| {
                let ok =
                    soft.to_bits() == hard.to_bits() || (hard.is_nan() && soft.to_f32().is_nan());
                assert!(
                    ok,
                    "{a:#x} {op} {b:#x}: soft {:#x} hard {:#x}",
                    soft.to_bits(),
                    hard.to_bits()
                );
            };
            same(sa.mul(sb), fa * fb, "*");
            same(sa.add(sb), fa + fb, "+");
            same(sa.sub(sb), fa - fb, "-");
            if b & 0x7fff_ffff != 0 {
                same(sa.div(sb), fa / fb, "/");
            }
        };
        for _ in 0..200_000 {
            let (a, b) = (next(), next());
            if finite(a) && finite(b) {
                check(a, b);
            }
            // Nearby exponents exercise cancellation and ties.
            let c = (a & 0x807f_ffff) | (b & 0x7f80_0000);
            if finite(c) && finite(b) {
                check(c, b);
            }
        }
        let edge = [
            0,
            0x8000_0000,
            1,
            0x007f_ffff,
            0x0080_0000,
            0x3f80_0000,
            0xbf80_0000,
            0x3f80_0001,
            0x7f7f_ffff,
            0xff7f_ffff,
            0x3400_0000,
            0x4b80_0000,
            0x3f00_0000,
        ];
        for a in edge {
            for b in edge {
                check(a, b);
            }
        }
        for n in [0u32, 1, 3, 100, 1000, 16_777_217, 16_777_219, u32::MAX] {
            // CAST: the conversion under test.
            assert_eq!(F32::from_u32(n).to_bits(), (n as f32).to_bits(), "{n}");
        }
        for n in [0i32, -1, -220, i32::MIN, i32::MAX] {
            // CAST: the conversion under test.
            assert_eq!(F32::from_i32(n).to_bits(), (n as f32).to_bits(), "{n}");
        }
        assert_eq!(F32::ONE.neg().to_f32(), -1.0);
    }
}
