// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The GPU's identity from the `AGX` note: chip, generation, revision and firmware version,
//! and the firmware layout (variant) they select for the structure walk.

use core::fmt::Write as _;

use agx_firmware_defs::ver::{FwVersion, Gen, Variant, SUPPORTED};

use crate::format::AgxDumpInfo;

/// Names of the firmware layouts for `--variant`, with their variants.
pub const VARIANT_NAMES: [(&str, Variant); 5] = [
    ("g13_v12_3", Variant::new(Gen::G13, FwVersion::V12_3)),
    ("g13_v13_5", Variant::new(Gen::G13, FwVersion::V13_5)),
    ("g14_v12_3", Variant::new(Gen::G14, FwVersion::V12_3)),
    ("g14_v12_4", Variant::new(Gen::G14, FwVersion::V12_4)),
    ("g14_v13_5", Variant::new(Gen::G14, FwVersion::V13_5)),
];

/// The layout name of `v`.
pub fn variant_name(v: Variant) -> &'static str {
    VARIANT_NAMES
        .iter()
        .find(|(_, x)| *x == v)
        .map_or("unknown", |(n, _)| n)
}

/// Parses a layout name as printed by [`variant_name`].
pub fn parse_variant(name: &str) -> Option<Variant> {
    VARIANT_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
}

/// Guesses the firmware layout from the `AGX` note: the generation, and the newest supported
/// firmware ABI not newer than the recorded firmware version (as m1n1 maps e.g. 13.6 to the
/// 13.5 ABI).
pub fn guess_variant(info: &AgxDumpInfo) -> Option<Variant> {
    let gen = match info.gpu_gen {
        13 => Gen::G13,
        14 => Gen::G14,
        _ => return None,
    };
    let [major, minor, ..] = info.firmware_version;
    let candidates = [
        ((13, 5), FwVersion::V13_5),
        ((12, 4), FwVersion::V12_4),
        ((12, 3), FwVersion::V12_3),
    ];
    candidates
        .iter()
        .filter(|(v, _)| (major, minor) >= *v)
        .map(|(_, fw)| Variant::new(gen, *fw))
        .find(|v| SUPPORTED.contains(v))
}

fn variant_letter(v: u32) -> String {
    match char::from_u32(v) {
        Some(c) if c.is_ascii_alphabetic() => c.to_string(),
        _ => format!("?({v:#x})"),
    }
}

fn revision_name(rev: u32) -> String {
    let major = rev >> 4;
    let minor = rev & 0xf;
    match char::from_u32(u32::from(b'A').saturating_add(major)) {
        Some(c) if major < 26 => format!("{c}{minor}"),
        _ => "?".to_string(),
    }
}

/// The firmware version as dotted components, trailing zeros after the third dropped.
pub fn firmware_version_string(v: &[u32; 6]) -> String {
    let keep = v
        .iter()
        .rposition(|x| *x != 0)
        .map_or(3, |last| last.saturating_add(1).max(3));
    v.iter()
        .take(keep)
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

pub(super) fn identity(out: &mut String, info: &AgxDumpInfo) {
    let _ = writeln!(out, "GPU");
    let _ = writeln!(
        out,
        "  chip:          t{:x} ({:#x})",
        info.chip_id, info.chip_id
    );
    let _ = writeln!(out, "  generation:    G{}", info.gpu_gen);
    let _ = writeln!(out, "  variant:       {}", variant_letter(info.gpu_variant));
    let _ = writeln!(
        out,
        "  revision:      {} ({:#04x})",
        revision_name(info.gpu_rev),
        info.gpu_rev
    );
    let _ = writeln!(out, "  active cores:  {}", info.total_active_cores);
    let _ = writeln!(
        out,
        "  firmware:      {} {:?}",
        firmware_version_string(&info.firmware_version),
        info.firmware_version
    );
    let _ = writeln!(out, "  init data:     {:#x}", info.initdata_address);
}
