// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Decoding of `HwDataA`, `HwDataB`, `Globals` and `FwStatus` from their real layouts: a
//! synthetic dump holding the t8103 blobs as firmware-defs builds them (m1n1's role), with
//! pending stamps, and the same dump with each block's pointer null or outside the snapshot.

mod common;

use agx_coredump::report::{self, Options};
use agx_firmware_defs::hwdata::IoMapping;
use agx_firmware_defs::hwdata_soc::{HwInputs, T8103, T8103_IDENTITY, T8103_POWER};
use agx_firmware_defs::plain::zeroed;
use agx_firmware_defs::types::GpuPtr;
use agx_firmware_defs::uat::Prot;
use agx_firmware_defs::variants::g13_v13_5 as fwv;
use common::*;
use zerocopy::IntoBytes;

const HWDATA_A_VA: u64 = 0xffff_ffa0_0020_0000;
const HWDATA_B_VA: u64 = 0xffff_ffa0_0030_0000;
const GLOBALS_VA: u64 = 0xffff_ffa0_0040_0000;

fn pages(size: usize) -> u64 {
    (size as u64).div_ceil(PAGE)
}

/// The sample image with the three blocks mapped and filled (HwDataA/B from the t8103
/// builders, Globals too with two pending stamps); `null` leaves the RuntimePointers' and
/// InitData's pointers at 0 instead.
fn image(null: bool) -> Vec<u8> {
    let mut img = sample_image();
    let maps = vec![IoMapping::default(); 0x19];
    let hw = HwInputs {
        soc: &T8103,
        pwr: &T8103_POWER,
        id: T8103_IDENTITY,
        uat_ttb_base: 0x8_0000_4000,
        io_mappings: &maps,
    };
    let mut a: Box<fwv::HwDataA> = Box::new(zeroed());
    let mut b: Box<fwv::HwDataB> = Box::new(zeroed());
    let mut g: Box<fwv::Globals> = Box::new(zeroed());
    fwv::fill_hwdata_a(&mut a, &hw).unwrap();
    fwv::fill_hwdata_b(&mut b, &hw).unwrap();
    fwv::fill_globals(&mut g, &hw, 0xb).unwrap();
    a.cur_pstate = 3;
    a.temp_c = 41;
    g.pending_stamps[5].info = 0x50;
    g.pending_stamps[5].wait_value = 0x1234;
    g.pending_stamps[9].wait_value = 0x99;
    for (va, pa, bytes) in [
        (HWDATA_A_VA, 0x9_0000_0000, a.as_bytes()),
        (HWDATA_B_VA, 0x9_1000_0000, b.as_bytes()),
        (GLOBALS_VA, 0x9_2000_0000, g.as_bytes()),
    ] {
        img.map(va, pa, pages(bytes.len()), Prot::FW_PRIV_RW, true);
        img.write(va, bytes);
    }
    let mut rp = sample_runtime_pointers();
    if !null {
        rp.hwdata_a = GpuPtr::new(HWDATA_A_VA);
        rp.hwdata_b = GpuPtr::new(HWDATA_B_VA);
    }
    img.write(RUNTIME_POINTERS_VA, rp.as_bytes());
    let globals_ptr = core::mem::offset_of!(fwv::InitData, globals) as u64;
    let g_va = if null { 0 } else { GLOBALS_VA };
    img.write(INITDATA_VA + globals_ptr, &g_va.to_le_bytes());
    let (segs, data) = img.segments();
    let info = sample_info().to_bytes();
    render(&segs, &[agx_coredump::format::Note::agx(&info)], &data)
}

#[test]
fn blocks_decode_with_named_fields() {
    let text = report::render(&image(false), &Options::default()).unwrap();
    for want in [
        // FwStatus: its flags, then its FwCtl ring.
        "FwStatus @ 0xffffffa000008000: halt_count 2, halted 1, resume 0",
        // HwDataA: the performance state the driver would see.
        "HwDataA @ 0xffffffa000200000: pwr_status ",
        "cur_pstate 3,",
        "temp_c 41,",
        "max_pstate_scaled ",
        // HwDataB: identity, clocks, the TTBAT, and the frequency table.
        "HwDataB @ 0xffffffa000300000: chip_id 0x8103, gpu_core_id 11, gpu_rev_id ",
        "num_cores 8, num_frags 8, base_clock_khz 24000, uat_ttb_base 0x800004000, max_pstate 6",
        "frequencies (MHz): [0, 396, 528, 720, 924, 1128, 1278]",
        // Globals: fault control as the driver sets it, and the pending stamps in use.
        "Globals @ 0xffffffa000400000: ktrace_enable ",
        "fault_control 0xb,",
        "pending_stamps: 2 in use; [5] info 0x50 wait 0x1234; [9] info 0x0 wait 0x99",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

#[test]
fn null_and_unmapped_blocks_are_reported() {
    let text = report::render(&image(true), &Options::default()).unwrap();
    for want in [
        "HwDataA: null pointer",
        "HwDataB: null pointer",
        "Globals: null pointer",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    // The sample dump's Globals pointer leads outside the snapshot.
    let text = report::render(&sample_dump(), &Options::default()).unwrap();
    assert!(
        text.contains("Globals @ 0xffffffa400000000: address 0xffffffa400000000 is not mapped"),
        "{text}"
    );
}
