//! GPU generations, firmware ABI versions and the (generation, firmware) variants.
//!
//! Firmware layouts differ by GPU generation and by firmware version. The driver learns the
//! generation from the GPU ID registers and the firmware version from the device-tree property
//! `apple,firmware-compat`, then picks one of the [`SUPPORTED`] variants at probe time; each
//! variant has a module of layouts under [`super::variants`].
//!
//! Source: downstream `#[versions(AGX)]` values (reference §1): G ∈ {G13, G14, G14X},
//! V ∈ {12.3, 12.4, 13.0b4, 13.2, 13.3, 13.5}; probe accepts compat `[12,3,0]`, `[12,4,0]` and
//! `[13,5,0]` (`driver.rs`, `gpu.rs`).

/// GPU generation, ordered oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Gen {
    /// G13 (M1 family: t8103, t600x).
    G13,
    /// G14 (M2: t8112).
    G14,
    /// G14X (M2 Pro/Max/Ultra: t602x).
    G14X,
}

impl Gen {
    /// Position in the ordering, for `const` comparisons.
    pub const fn rank(self) -> u8 {
        match self {
            Gen::G13 => 0,
            Gen::G14 => 1,
            Gen::G14X => 2,
        }
    }
}

/// Firmware ABI version, ordered oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FwVersion {
    /// macOS 12.3 firmware.
    V12_3,
    /// macOS 12.4 firmware.
    V12_4,
    /// macOS 13.0 beta 4 firmware (a layout boundary only; not a supported ABI).
    V13_0B4,
    /// macOS 13.2 firmware (a layout boundary only).
    V13_2,
    /// macOS 13.3 firmware (a layout boundary only).
    V13_3,
    /// macOS 13.5 firmware.
    V13_5,
}

impl FwVersion {
    /// Position in the ordering, for `const` comparisons.
    pub const fn rank(self) -> u8 {
        match self {
            FwVersion::V12_3 => 0,
            FwVersion::V12_4 => 1,
            FwVersion::V13_0B4 => 2,
            FwVersion::V13_2 => 3,
            FwVersion::V13_3 => 4,
            FwVersion::V13_5 => 5,
        }
    }

    /// Maps an `apple,firmware-compat` triple to the ABI version it selects.
    ///
    /// Source: downstream probe accepts exactly `[12,3,0]`, `[12,4,0]` and `[13,5,0]`
    /// (reference §1); m1n1 maps e.g. macOS 13.6.1 firmware to compat 13.5.
    pub const fn from_compat(compat: [u32; 3]) -> Option<Self> {
        match compat {
            [12, 3, 0] => Some(FwVersion::V12_3),
            [12, 4, 0] => Some(FwVersion::V12_4),
            [13, 5, 0] => Some(FwVersion::V13_5),
            _ => None,
        }
    }

    /// Returns the `apple,firmware-compat` triple for this version.
    pub const fn compat(self) -> [u32; 3] {
        match self {
            FwVersion::V12_3 => [12, 3, 0],
            FwVersion::V12_4 => [12, 4, 0],
            FwVersion::V13_0B4 => [13, 0, 4],
            FwVersion::V13_2 => [13, 2, 0],
            FwVersion::V13_3 => [13, 3, 0],
            FwVersion::V13_5 => [13, 5, 0],
        }
    }
}

/// One (generation, firmware) combination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Variant {
    /// GPU generation.
    pub gen: Gen,
    /// Firmware ABI version.
    pub fw: FwVersion,
}

impl Variant {
    /// Creates a variant.
    pub const fn new(gen: Gen, fw: FwVersion) -> Self {
        Self { gen, fw }
    }

    /// `true` if the firmware is `v` or newer.
    pub const fn fw_at_least(self, v: FwVersion) -> bool {
        self.fw.rank() >= v.rank()
    }

    /// `true` if the firmware is older than `v`.
    pub const fn fw_below(self, v: FwVersion) -> bool {
        self.fw.rank() < v.rank()
    }

    /// `true` if the generation is `g` or newer.
    pub const fn gen_at_least(self, g: Gen) -> bool {
        self.gen.rank() >= g.rank()
    }

    /// `true` if the generation is older than `g`.
    pub const fn gen_below(self, g: Gen) -> bool {
        self.gen.rank() < g.rank()
    }

    /// `true` if the generation is exactly `g`.
    pub const fn gen_is(self, g: Gen) -> bool {
        self.gen.rank() == g.rank()
    }

    /// Returns the supported variant for a generation and an `apple,firmware-compat` triple.
    ///
    /// Returns `None` for combinations that have no layout module here.
    pub fn select(gen: Gen, compat: [u32; 3]) -> Option<Variant> {
        let fw = FwVersion::from_compat(compat)?;
        let v = Variant::new(gen, fw);
        SUPPORTED.iter().copied().find(|s| *s == v)
    }
}

/// The variants that have a layout module in [`super::variants`].
///
/// The virtual AGX presents itself as G13G (t8103) with firmware 12.3 or 13.5. G14 with 12.3
/// is included as asked for by the project, although the downstream driver only builds G14 with
/// 12.4 and 13.5.
pub const SUPPORTED: [Variant; 5] = [
    Variant::new(Gen::G13, FwVersion::V12_3),
    Variant::new(Gen::G13, FwVersion::V13_5),
    Variant::new(Gen::G14, FwVersion::V12_3),
    Variant::new(Gen::G14, FwVersion::V12_4),
    Variant::new(Gen::G14, FwVersion::V13_5),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_helpers() {
        let v = Variant::new(Gen::G13, FwVersion::V13_5);
        assert!(v.fw_at_least(FwVersion::V13_2));
        assert!(v.fw_at_least(FwVersion::V13_5));
        assert!(!v.fw_below(FwVersion::V13_5));
        assert!(v.gen_below(Gen::G14));
        assert!(v.gen_is(Gen::G13));
        let old = Variant::new(Gen::G14, FwVersion::V12_3);
        assert!(old.fw_below(FwVersion::V13_0B4));
        assert!(old.gen_at_least(Gen::G14));
        assert!(!old.gen_at_least(Gen::G14X));
    }

    #[test]
    fn compat_selection() {
        assert_eq!(FwVersion::from_compat([12, 3, 0]), Some(FwVersion::V12_3));
        assert_eq!(FwVersion::from_compat([13, 5, 0]), Some(FwVersion::V13_5));
        assert_eq!(FwVersion::from_compat([13, 3, 0]), None);
        assert_eq!(
            Variant::select(Gen::G13, [13, 5, 0]),
            Some(Variant::new(Gen::G13, FwVersion::V13_5))
        );
        assert_eq!(Variant::select(Gen::G13, [12, 4, 0]), None);
        assert_eq!(Variant::select(Gen::G14X, [13, 5, 0]), None);
        for v in SUPPORTED {
            assert_eq!(FwVersion::from_compat(v.fw.compat()), Some(v.fw));
        }
    }
}
