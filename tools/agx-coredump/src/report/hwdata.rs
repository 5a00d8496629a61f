// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The firmware's configuration and status blocks, decoded from their real (per-variant)
//! layouts in firmware-defs: `HwDataA` (power and performance state), `HwDataB` (SoC identity,
//! clocks, performance-state tables), `Globals` (power and fault control, pending stamps) —
//! `FwStatus` is in `channels` with the FwCtl ring it names.
//!
//! Each block prints its named fields; a null pointer or a block outside the snapshot is
//! reported, not followed.

use core::fmt::Write as _;

use agx_firmware_defs::hwdata::F32;
use agx_firmware_defs::types::GpuPtr;
use zerocopy::{FromBytes, Immutable, KnownLayout};

use super::memory::read_struct;
use super::VaErrorDisplay;
use crate::format::Dump;

/// The named fields of a versioned `HwDataA` the report prints.
pub(super) trait HwDataAView: FromBytes + KnownLayout + Immutable {
    /// `(name, value)` pairs, in layout order.
    fn fields(&self) -> Vec<(&'static str, String)>;
}

/// The named fields of a versioned `HwDataB`, and its performance-state frequencies.
pub(super) trait HwDataBView: FromBytes + KnownLayout + Immutable {
    fn fields(&self) -> Vec<(&'static str, String)>;
    /// The frequency table (MHz), up to `max_pstate` + 1 entries.
    fn frequencies(&self) -> Vec<u32>;
}

/// The named fields of a versioned `Globals`, and its non-empty pending stamps.
pub(super) trait GlobalsView: FromBytes + KnownLayout + Immutable {
    fn fields(&self) -> Vec<(&'static str, String)>;
    /// `(index, info, wait_value)` of each pending stamp with a non-zero word.
    fn pending_stamps(&self) -> Vec<(usize, u32, u32)>;
}

fn float(v: F32) -> String {
    format!("{}", f32::from_bits(v.to_bits()))
}

macro_rules! impl_hwdata_views {
    ($($m:ident),*) => {$(
        impl HwDataAView for agx_firmware_defs::variants::$m::HwDataA {
            fn fields(&self) -> Vec<(&'static str, String)> {
                vec![
                    ("pwr_status", self.pwr_status.to_string()),
                    ("actual_pstate", self.actual_pstate.to_string()),
                    ("tgt_pstate", self.tgt_pstate.to_string()),
                    ("cur_pstate", self.cur_pstate.to_string()),
                    ("max_pstate_scaled", self.max_pstate_scaled.to_string()),
                    ("min_pstate_scaled", self.min_pstate_scaled.to_string()),
                    ("freq_mhz", float(self.freq_mhz)),
                    ("temp_c", self.temp_c.to_string()),
                    ("avg_power_mw", self.avg_power_mw.to_string()),
                    ("max_freq_mhz", self.max_freq_mhz.to_string()),
                    ("power_zone_count", self.power_zone_count.to_string()),
                ]
            }
        }

        impl HwDataBView for agx_firmware_defs::variants::$m::HwDataB {
            fn fields(&self) -> Vec<(&'static str, String)> {
                vec![
                    ("chip_id", format!("{:#x}", self.chip_id)),
                    ("gpu_core_id", self.gpu_core_id.to_string()),
                    ("gpu_rev_id", self.gpu_rev_id.to_string()),
                    ("num_cores", self.num_cores.to_string()),
                    ("num_frags", self.num_frags.to_string()),
                    ("base_clock_khz", self.base_clock_khz.to_string()),
                    ("uat_ttb_base", format!("{:#x}", self.uat_ttb_base.get())),
                    ("max_pstate", self.max_pstate.to_string()),
                ]
            }
            fn frequencies(&self) -> Vec<u32> {
                let n = (self.max_pstate as usize + 1).min(self.frequencies.len());
                self.frequencies[..n].to_vec()
            }
        }

        impl GlobalsView for agx_firmware_defs::variants::$m::Globals {
            fn fields(&self) -> Vec<(&'static str, String)> {
                vec![
                    ("ktrace_enable", format!("{:#x}", self.ktrace_enable)),
                    ("pending_submissions", self.pending_submissions.to_string()),
                    ("max_power", self.max_power.to_string()),
                    ("max_pstate_scaled", self.max_pstate_scaled.to_string()),
                    ("power_zone_count", self.power_zone_count.to_string()),
                    ("fault_control", format!("{:#x}", self.fault_control)),
                    ("do_init", self.do_init.to_string()),
                    ("idle_off_delay_ms", self.idle_off_delay_ms.to_string()),
                    ("fender_idle_off_delay_ms", self.fender_idle_off_delay_ms.to_string()),
                    ("fw_early_wake_timeout_ms", self.fw_early_wake_timeout_ms.to_string()),
                ]
            }
            fn pending_stamps(&self) -> Vec<(usize, u32, u32)> {
                self.pending_stamps
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.info != 0 || p.wait_value != 0)
                    .map(|(i, p)| (i, p.info, p.wait_value))
                    .collect()
            }
        }
    )*};
}

impl_hwdata_views!(g13_v12_3, g13_v13_5, g14_v12_3, g14_v12_4, g14_v13_5);

/// Most pending stamps listed one by one.
const MAX_STAMPS_LISTED: usize = 8;

/// Reads the block `T` at `ptr` for `name`, reporting a null pointer or an unreadable block.
fn block<T: FromBytes + KnownLayout + Immutable>(
    out: &mut String,
    dump: &Dump<'_>,
    name: &str,
    ptr: GpuPtr,
) -> Option<(u64, T)> {
    let Some(va) = ptr.get() else {
        let _ = writeln!(out, "  {name}: null pointer");
        return None;
    };
    match read_struct::<T>(dump, va) {
        Ok(t) => Some((va, t)),
        Err(e) => {
            let _ = writeln!(out, "  {name} @ {va:#x}: {}", VaErrorDisplay(&e));
            None
        }
    }
}

fn fields_line(out: &mut String, name: &str, va: u64, fields: &[(&'static str, String)]) {
    let _ = write!(out, "  {name} @ {va:#x}:");
    for (i, (k, v)) in fields.iter().enumerate() {
        let _ = write!(out, "{}{k} {v}", if i == 0 { " " } else { ", " });
    }
    out.push('\n');
}

/// Prints `HwDataA` at `ptr`.
pub(super) fn hwdata_a<A: HwDataAView>(out: &mut String, dump: &Dump<'_>, ptr: GpuPtr) {
    if let Some((va, a)) = block::<A>(out, dump, "HwDataA", ptr) {
        fields_line(out, "HwDataA", va, &a.fields());
    }
}

/// Prints `HwDataB` at `ptr`, with its frequency table.
pub(super) fn hwdata_b<B: HwDataBView>(out: &mut String, dump: &Dump<'_>, ptr: GpuPtr) {
    if let Some((va, b)) = block::<B>(out, dump, "HwDataB", ptr) {
        fields_line(out, "HwDataB", va, &b.fields());
        let freqs: Vec<String> = b.frequencies().iter().map(u32::to_string).collect();
        let _ = writeln!(out, "    frequencies (MHz): [{}]", freqs.join(", "));
    }
}

/// Prints `Globals` at `ptr`, with its pending stamps.
pub(super) fn globals<G: GlobalsView>(out: &mut String, dump: &Dump<'_>, ptr: GpuPtr) {
    if let Some((va, g)) = block::<G>(out, dump, "Globals", ptr) {
        fields_line(out, "Globals", va, &g.fields());
        let stamps = g.pending_stamps();
        let _ = write!(out, "    pending_stamps: {} in use", stamps.len());
        for (i, info, wait) in stamps.iter().take(MAX_STAMPS_LISTED) {
            let _ = write!(out, "; [{i}] info {info:#x} wait {wait:#x}");
        }
        if stamps.len() > MAX_STAMPS_LISTED {
            let _ = write!(out, "; …");
        }
        out.push('\n');
    }
}
