// Versioned HwDataA and HwDataB, included once per variant module by `defs/variants.rs`.
//
// HwDataA is mostly the power controller's configuration and state, HwDataB the GPU's
// identity, clocks, performance states and MMIO mappings; `RuntimePointers.hwdata_a`/`hwdata_b`
// point at them (hwdata_b twice). Source for every layout here: downstream `fw/initdata.rs`
// (herrnst/linux-asahi 14e7ccde) `PowerZone`, `HwDataA`, `HwDataB`, `IO_MAPPING_COUNT`,
// `MAX_CORES_PER_CLUSTER`; sizes cross-checked against m1n1 `rust/src/gpu/raw.rs`
// (firmware-commands.md §5.2 table). Unknown words are private and named by offset as
// downstream names them.

/// Firmware 13.0 beta 4 and later (the "V13" layouts).
pub const HW_V13: bool = VARIANT.fw_at_least(FwVersion::V13_0B4);
/// Firmware 13.2 and later.
pub const HW_V13_2: bool = VARIANT.fw_at_least(FwVersion::V13_2);
/// Firmware 13.3 and later.
pub const HW_V13_3: bool = VARIANT.fw_at_least(FwVersion::V13_3);
/// Firmware 13.5 and later.
pub const HW_V13_5: bool = VARIANT.fw_at_least(FwVersion::V13_5);
/// G14X (multi-cluster M2 Pro/Max/Ultra).
pub const HW_G14X: bool = VARIANT.gen_at_least(Gen::G14X);

/// Cores per cluster the coefficient tables have room for.
pub const MAX_CORES_PER_CLUSTER: usize = if HW_G14X { 16 } else { 8 };

/// Entries of `HwDataB.io_mappings`.
pub const IO_MAPPING_COUNT: usize = if !HW_V13 {
    0x14
} else if !HW_V13_3 {
    0x17
} else if !HW_V13_5 {
    0x18
} else {
    0x19
};

plain_layout! {
    /// One power zone as `HwDataA` holds it (0x20 bytes, 0x28 from 13.0b4).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct PowerZone {
        /// Unknown value.
        pub val: F32,
        /// Target (mW).
        pub target: u32,
        /// Target minus the zone's offset.
        pub target_off: u32,
        /// 4 × filter time constant.
        pub filter_tc_x4: u32,
        /// Sample period × filter time constant.
        pub filter_tc_xperiod: u32,
        /// 1320000000 from 13.0b4 (absent before).
        pub unk_10: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_14: Array<{ if_present(HW_V13, 1) }, U32>,
        /// 1 - `filter_a`.
        pub filter_a_neg: F32,
        /// 1 / filter time constant.
        pub filter_a: F32,
        pad: u32,
    }
}

plain_layout! {
    /// Hardware data A: power-controller configuration and state.
    ///
    /// 0x3d6c bytes before 13.0b4, 0x421c on G13/G14 13.5, 0x6c34 on G14X 13.5.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct HwDataA {
        unk_0: u32,
        /// AIC clocks per power sample period.
        pub clocks_per_period: u32,
        /// Same again (13.0b4 and later).
        pub clocks_per_period_2: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_8: u32,
        /// Power status, written by the firmware (4 at boot).
        pub pwr_status: u32,
        unk_10: F32,
        unk_14: u32,
        unk_18: u32,
        unk_1c: u32,
        unk_20: u32,
        unk_24: u32,
        /// Current actual pstate.
        pub actual_pstate: u32,
        /// Target pstate.
        pub tgt_pstate: u32,
        unk_30: u32,
        /// Current pstate.
        pub cur_pstate: u32,
        unk_38: u32,
        unk_3c_0: Array<{ if_present(HW_V13, 1) }, U32>,
        /// 100 × base pstate.
        pub base_pstate_scaled: u32,
        unk_40: u32,
        /// 100 × max pstate.
        pub max_pstate_scaled: u32,
        unk_48: u32,
        /// 100 × min pstate.
        pub min_pstate_scaled: u32,
        /// Current frequency (MHz), written by the firmware.
        pub freq_mhz: F32,
        unk_54: Array<0x20, u8>,
        unk_74_0: Array<{ if_present(HW_V13, 1) }, U32>,
        /// SRAM scale per pstate.
        pub sram_k: Array<0x10, F32>,
        unk_b4: Array<0x100, u8>,
        unk_1b4: u32,
        /// Temperature (°C), written by the firmware.
        pub temp_c: u32,
        /// Average power (mW), written by the firmware.
        pub avg_power_mw: u32,
        /// Timestamp of the last update.
        pub update_ts: U64,
        unk_1c8: u32,
        unk_1cc: Array<0x478, u8>,
        pad_644: Array<8, u8>,
        unk_64c: u32,
        unk_650: u32,
        pad_654: u32,
        /// 1 - `pwr_filter_a`.
        pub pwr_filter_a_neg: F32,
        pad_65c: u32,
        /// 1 / `apple,pwr-filter-time-constant`.
        pub pwr_filter_a: F32,
        pad_664: u32,
        /// `apple,pwr-integral-gain`.
        pub pwr_integral_gain: F32,
        pad_66c: u32,
        /// `apple,pwr-integral-min-clamp`.
        pub pwr_integral_min_clamp: F32,
        /// Max power (mW).
        pub max_power_1: F32,
        /// `apple,pwr-proportional-gain`.
        pub pwr_proportional_gain: F32,
        pad_67c: u32,
        /// -(100 × max pstate) / max power.
        pub pwr_pstate_related_k: F32,
        /// Min duty cycle - 100 × max pstate.
        pub pwr_pstate_max_dc_offset: i32,
        unk_688: u32,
        max_pstate_scaled_2: u32,
        pad_690: u32,
        unk_694: u32,
        max_power_2: u32,
        pad_69c: Array<0x18, u8>,
        unk_6b4: u32,
        unk_6b8_0: Array<{ if_present(HW_V13, 0x10) }, u8>,
        max_pstate_scaled_3: u32,
        unk_6bc: u32,
        pad_6c0: Array<0x14, u8>,
        /// 4 × PPM filter periods.
        pub ppm_filter_tc_periods_x4: u32,
        unk_6d8: u32,
        pad_6dc: u32,
        /// 1 - `ppm_filter_a`.
        pub ppm_filter_a_neg: F32,
        pad_6e4: u32,
        /// 1 / PPM filter periods.
        pub ppm_filter_a: F32,
        pad_6ec: u32,
        /// `apple,ppm-ki` × sample period (s).
        pub ppm_ki_dt: F32,
        pad_6f4: u32,
        pwr_integral_min_clamp_2: u32,
        unk_6fc: F32,
        /// `apple,ppm-kp`.
        pub ppm_kp: F32,
        pad_704: u32,
        unk_708: u32,
        /// `apple,pwr-min-duty-cycle`.
        pub pwr_min_duty_cycle: u32,
        max_pstate_scaled_4: u32,
        unk_714: u32,
        pad_718: u32,
        unk_71c: F32,
        max_power_3: u32,
        /// Current power (mW), written by the firmware.
        pub cur_power_mw_2: u32,
        /// `apple,ppm-filter-time-constant-ms`.
        pub ppm_filter_tc_ms: u32,
        unk_72c: u32,
        /// PPM filter time constant in base clocks (13.0b4 and later).
        pub ppm_filter_tc_clks: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_730_4: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_730_8: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_730_c: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_730: F32,
        unk_734: u32,
        unk_738: u32,
        unk_73c: u32,
        unk_740: u32,
        unk_744: u32,
        unk_748: Array<4, F32>,
        unk_758: u32,
        /// `apple,perf-tgt-utilization` (%).
        pub perf_tgt_utilization: u32,
        pad_760: u32,
        /// `apple,perf-boost-min-util`.
        pub perf_boost_min_util: u32,
        /// `apple,perf-boost-ce-step`.
        pub perf_boost_ce_step: u32,
        /// `apple,perf-reset-iters`.
        pub perf_reset_iters: u32,
        pad_770: u32,
        unk_774: u32,
        unk_778: u32,
        /// `apple,perf-filter-drop-threshold`.
        pub perf_filter_drop_threshold: u32,
        /// 1 - `perf_filter_a`.
        pub perf_filter_a_neg: F32,
        /// 1 - `perf_filter_a2`.
        pub perf_filter_a2_neg: F32,
        /// 1 / `apple,perf-filter-time-constant`.
        pub perf_filter_a: F32,
        /// 1 / `apple,perf-filter-time-constant2`.
        pub perf_filter_a2: F32,
        /// `apple,perf-integral-gain`.
        pub perf_ki: F32,
        /// `apple,perf-integral-gain2`.
        pub perf_ki2: F32,
        /// `apple,perf-integral-min-clamp`.
        pub perf_integral_min_clamp: F32,
        unk_79c: F32,
        /// `apple,perf-proportional-gain`.
        pub perf_kp: F32,
        /// `apple,perf-proportional-gain2`.
        pub perf_kp2: F32,
        /// Boost pstates / 0.95.
        pub boost_state_unk_k: F32,
        base_pstate_scaled_2: u32,
        max_pstate_scaled_5: u32,
        base_pstate_scaled_3: u32,
        pad_7b8: u32,
        /// Current utilization, written by the firmware.
        pub perf_cur_utilization: F32,
        perf_tgt_utilization_2: u32,
        pad_7c4: Array<0x18, u8>,
        unk_7dc: u32,
        unk_7e0_0: Array<{ if_present(HW_V13, 0x10) }, u8>,
        base_pstate_scaled_4: u32,
        pad_7e4: u32,
        unk_7e8: Array<0x14, u8>,
        unk_7fc: F32,
        pwr_min_duty_cycle_2: F32,
        max_pstate_scaled_6: F32,
        /// Highest frequency (MHz).
        pub max_freq_mhz: u32,
        pad_80c: u32,
        unk_810: u32,
        pad_814: u32,
        pwr_min_duty_cycle_3: u32,
        unk_81c: u32,
        pad_820: u32,
        min_pstate_scaled_4: F32,
        max_pstate_scaled_7: u32,
        unk_82c: u32,
        unk_alpha_neg: F32,
        unk_alpha: F32,
        unk_838: u32,
        unk_83c: u32,
        pad_840: Array<0x2c, u8>,
        unk_86c: u32,
        /// Fast-die sensor mask of die 0.
        pub fast_die0_sensor_mask: U64,
        fast_die1_sensor_mask: Array<{ if_present(HW_G14X, 1) }, U64>,
        /// 100 × `apple,fast-die0-release-temp`.
        pub fast_die0_release_temp_cc: u32,
        unk_87c: i32,
        unk_880: u32,
        unk_884: u32,
        pad_888: u32,
        unk_88c: u32,
        pad_890: u32,
        unk_894: F32,
        pad_898: u32,
        /// `apple,fast-die0-integral-gain` × sample period (s).
        pub fast_die0_ki_dt: F32,
        pad_8a0: u32,
        unk_8a4: u32,
        unk_8a8: F32,
        /// `apple,fast-die0-proportional-gain`.
        pub fast_die0_kp: F32,
        pad_8b0: u32,
        unk_8b4: u32,
        pwr_min_duty_cycle_4: u32,
        max_pstate_scaled_8: u32,
        max_pstate_scaled_9: u32,
        /// 100 × `apple,fast-die0-prop-tgt-delta`.
        pub fast_die0_prop_tgt_delta: u32,
        unk_8c8: u32,
        unk_8cc: u32,
        pad_8d0: Array<0x14, u8>,
        unk_8e4_0: Array<{ if_present(HW_V13, 0x10) }, u8>,
        unk_8e4: u32,
        unk_8e8: u32,
        max_pstate_scaled_10: u32,
        unk_8f0: u32,
        unk_8f4: u32,
        pad_8f8: u32,
        pad_8fc: u32,
        unk_900: Array<0x24, u8>,
        /// Per-cluster, per-core coefficients A (first copy).
        pub unk_coef_a1: Array<8, Array<MAX_CORES_PER_CLUSTER, F32>>,
        /// Per-cluster, per-core coefficients A (second copy).
        pub unk_coef_a2: Array<8, Array<MAX_CORES_PER_CLUSTER, F32>>,
        pad_b24: Array<0x70, u8>,
        max_pstate_scaled_11: u32,
        freq_with_off: u32,
        unk_b9c: u32,
        unk_ba0: U64,
        unk_ba8: U64,
        unk_bb0: u32,
        unk_bb4: u32,
        pad_bb8_0: Array<{ if_present(HW_V13_3, 0x200) }, u8>,
        pad_bb8_200: Array<{ if_present(HW_V13_5, 8) }, u8>,
        pad_bb8: Array<0x74, u8>,
        unk_c2c: u32,
        /// Number of power zones in use.
        pub power_zone_count: u32,
        max_power_4: u32,
        max_power_5: u32,
        max_power_6: u32,
        unk_c40: u32,
        unk_c44: F32,
        /// 1 - `avg_power_target_filter_a`.
        pub avg_power_target_filter_a_neg: F32,
        /// 1 / `apple,avg-power-target-filter-tc`.
        pub avg_power_target_filter_a: F32,
        /// 4 × `apple,avg-power-target-filter-tc`.
        pub avg_power_target_filter_tc_x4: u32,
        /// Sample period × `apple,avg-power-target-filter-tc`.
        pub avg_power_target_filter_tc_xperiod: u32,
        /// The same in base clocks (13.0b4 and later).
        pub avg_power_target_filter_tc_clks: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_c58_4: Array<{ if_present(HW_V13, 1) }, U32>,
        /// Power zones.
        pub power_zones: Array<5, PowerZone>,
        /// 4 × average-power filter periods.
        pub avg_power_filter_tc_periods_x4: u32,
        unk_cfc: u32,
        unk_d00: u32,
        /// 1 - `avg_power_filter_a`.
        pub avg_power_filter_a_neg: F32,
        unk_d08: u32,
        /// 1 / average-power filter periods.
        pub avg_power_filter_a: F32,
        unk_d10: u32,
        /// `apple,avg-power-ki-only` × sample period (s).
        pub avg_power_ki_dt: F32,
        unk_d18: u32,
        unk_d1c: u32,
        unk_d20: F32,
        /// `apple,avg-power-kp`.
        pub avg_power_kp: F32,
        unk_d28: u32,
        unk_d2c: u32,
        /// `apple,avg-power-min-duty-cycle`.
        pub avg_power_min_duty_cycle: u32,
        max_pstate_scaled_12: u32,
        max_pstate_scaled_13: u32,
        unk_d3c: u32,
        max_power_7: F32,
        max_power_8: u32,
        unk_d48: u32,
        /// `apple,avg-power-filter-tc-ms`.
        pub avg_power_filter_tc_ms: u32,
        unk_d50: u32,
        /// Average-power filter time constant in base clocks (13.0b4 and later).
        pub avg_power_filter_tc_clks: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_d54_4: Array<{ if_present(HW_V13, 0xc) }, u8>,
        unk_d54: Array<0x10, u8>,
        max_pstate_scaled_14: u32,
        unk_d68: Array<0x24, u8>,
        /// t8103/t8112 block.
        pub t81xx_data: T81xxData,
        unk_dd0: Array<0x40, u8>,
        unk_e10_pad: Array<{ if_present(HW_V13_2, 0x10) }, u8>,
        /// Extra power block (13.0b4 and later).
        pub unk_e10_0: Array<{ if_present(HW_V13, 1) }, HwDataA130Extra>,
        unk_e10: Array<0xc, u8>,
        fast_die0_sensor_mask_2: U64,
        fast_die1_sensor_mask_2: Array<{ if_present(HW_G14X, 1) }, U64>,
        unk_e24: u32,
        unk_e28: u32,
        unk_e2c: Array<0x1c, u8>,
        /// Per-cluster, per-core coefficients B (first copy).
        pub unk_coef_b1: Array<8, Array<MAX_CORES_PER_CLUSTER, F32>>,
        /// Per-cluster, per-core coefficients B (second copy).
        pub unk_coef_b2: Array<8, Array<MAX_CORES_PER_CLUSTER, F32>>,
        pad_1048_0: Array<{ if_present(HW_G14X, 0x600) }, u8>,
        pad_1048: Array<0x5e4, u8>,
        fast_die0_sensor_mask_alt: U64,
        fast_die1_sensor_mask_alt: Array<{ if_present(HW_G14X, 1) }, U64>,
        fast_die0_sensor_present: Array<{ if_present(!HW_V13, 1) }, U64>,
        unk_163c: u32,
        unk_1640: Array<0x2000, u8>,
        unk_3640_0: Array<{ if_present(HW_G14X, 0x2000) }, u8>,
        unk_3640: u32,
        unk_3644: u32,
        /// Shared power table 1.
        pub hws1: HwDataShared1,
        unk_hws2: Array<{ if_present(HW_V13, 16) }, u16>,
        /// Shared power table 2.
        pub hws2: HwDataShared2,
        unk_3c00: u32,
        unk_3c04: u32,
        /// Shared power table 3.
        pub hws3: HwDataShared3,
        unk_3c58: Array<0x3c, u8>,
        unk_3c94: u32,
        unk_3c98: U64,
        unk_3ca0: U64,
        unk_3ca8: U64,
        unk_3cb0: U64,
        /// Timestamp of the last idle, written by the firmware.
        pub ts_last_idle: U64,
        /// Timestamp of the last power-on, written by the firmware.
        pub ts_last_poweron: U64,
        /// Timestamp of the last power-off, written by the firmware.
        pub ts_last_poweroff: U64,
        unk_3cd0: U64,
        unk_3cd8: U64,
        unk_3ce0_0: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_3ce0: u32,
        unk_3ce4: u32,
        unk_3ce8: u32,
        unk_3cec: u32,
        unk_3cf0: u32,
        /// `apple,core-leak-coef` per cluster.
        pub core_leak_coef: Array<8, F32>,
        /// `apple,sram-leak-coef` per cluster.
        pub sram_leak_coef: Array<8, F32>,
        /// CS/AFR leakage (13.0b4 and later).
        pub aux_leak_coef: Array<{ if_present(HW_V13, 1) }, AuxLeakCoef>,
        unk_3d34_0: Array<{ if_present(HW_V13, 0x18) }, u8>,
        unk_3d34: Array<0x38, u8>,
    }
}

/// Size of [`HwDataA`] for this variant (firmware-commands.md §5.2).
pub const HWDATA_A_SIZE: usize = if HW_G14X {
    0x6c34
} else if HW_V13_5 {
    0x421c
} else {
    0x3d6c
};
const _: () = assert!(core::mem::size_of::<PowerZone>() == if HW_V13 { 0x28 } else { 0x20 });
const _: () = assert!(core::mem::size_of::<HwDataA>() == HWDATA_A_SIZE);
const _: () = assert!(HW_V13 || core::mem::offset_of!(HwDataA, unk_64c) == 0x64c);
const _: () = assert!(HW_V13 || core::mem::offset_of!(HwDataA, t81xx_data) == 0xd8c);
const _: () = assert!(HW_V13 || core::mem::offset_of!(HwDataA, hws1) == 0x3648);

plain_layout! {
    /// Hardware data B: GPU identity, clocks, performance states and MMIO mappings.
    ///
    /// 0xb6c bytes before 13.0b4, 0x1884 on 13.5.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct HwDataB {
        unk_0: Array<{ if_present(!HW_V13, 1) }, U64>,
        unk_8: U64,
        unk_10: Array<{ if_present(!HW_V13, 1) }, U64>,
        unk_18: U64,
        unk_20: U64,
        unk_28: U64,
        /// A user VA (downstream writes 0x6f_ffff_8000).
        pub unk_30: U64,
        unkptr_38: U64,
        pad_40: Array<0x20, u8>,
        yuv_matrices: Array<{ if HW_V13 { 0x3f } else { 0xf } }, Array<3, Array<4, i16>>>,
        pad_1c8: Array<8, u8>,
        /// MMIO ranges the firmware maps (the driver writes these from its I/O map).
        pub io_mappings: Array<IO_MAPPING_COUNT, IoMapping>,
        /// SGX SRAM physical address (13.0b4 and later; t602x only).
        pub sgx_sram_ptr: Array<{ if_present(HW_V13, 1) }, U64>,
        /// SoC chip ID (0x8103 ...).
        pub chip_id: u32,
        unk_454: u32,
        unk_458: u32,
        unk_45c: u32,
        unk_460: u32,
        unk_464: u32,
        unk_468: u32,
        unk_46c: u32,
        unk_470: u32,
        unk_474: u32,
        unk_478: u32,
        unk_47c: u32,
        unk_480: u32,
        unk_484: u32,
        unk_488: u32,
        unk_48c: u32,
        /// Base (AIC timer) clock (kHz).
        pub base_clock_khz: u32,
        /// `apple,power-sample-period` (ms).
        pub power_sample_period: u32,
        pad_498: Array<4, u8>,
        unk_49c: u32,
        unk_4a0: u32,
        unk_4a4: u32,
        pad_4a8: Array<4, u8>,
        unk_4ac: u32,
        pad_4b0: Array<8, u8>,
        unk_4b8: u32,
        unk_4bc: Array<4, u8>,
        unk_4c0: u32,
        unk_4c4: u32,
        unk_4c8: u32,
        unk_4cc: u32,
        unk_4d0: u32,
        unk_4d4: u32,
        unk_4d8: Array<4, u8>,
        unk_4dc: u32,
        unk_4e0: U64,
        unk_4e8: u32,
        unk_4ec: u32,
        unk_4f0: u32,
        unk_4f4: u32,
        unk_4f8: u32,
        unk_4fc: u32,
        unk_500: u32,
        unk_504_0: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_504: u32,
        unk_508: u32,
        unk_50c: u32,
        unk_510: u32,
        unk_514: u32,
        unk_518: u32,
        unk_51c: u32,
        unk_520: u32,
        /// 1: use the secure cache flush.
        pub unk_524: u32,
        unk_528: u32,
        unk_52c: u32,
        unk_530: u32,
        unk_534_0: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_534: u32,
        unk_538: u32,
        /// Fragment units (per cluster × clusters).
        pub num_frags: u32,
        unk_540: u32,
        unk_544: u32,
        unk_548: u32,
        unk_54c: u32,
        unk_550: u32,
        unk_554: u32,
        /// Physical address of the TTBAT (`ttbs` region).
        pub uat_ttb_base: U64,
        /// GPU core kind (G13G = 11, ...).
        pub gpu_core_id: u32,
        /// GPU revision ID.
        pub gpu_rev_id: u32,
        /// Shader cores (per cluster × clusters).
        pub num_cores: u32,
        /// Highest pstate index.
        pub max_pstate: u32,
        /// Number of pstates (before 13.0b4 only).
        pub num_pstates: Array<{ if_present(!HW_V13, 1) }, U32>,
        /// Frequency per pstate (MHz).
        pub frequencies: Array<0x10, u32>,
        /// Voltage per pstate and cluster (mV).
        pub voltages: Array<0x10, Array<8, u32>>,
        /// SRAM voltage per pstate and cluster (mV).
        pub voltages_sram: Array<0x10, Array<8, u32>>,
        unk_9f4_0: Array<{ if_present(HW_V13_3, 64) }, u8>,
        /// SRAM scale per pstate.
        pub sram_k: Array<0x10, F32>,
        unk_9f4: Array<0x10, u32>,
        /// Power per pstate (% of max).
        pub rel_max_powers: Array<0x10, u32>,
        /// Boost frequency per pstate (% of the boost range).
        pub rel_boost_freqs: Array<0x10, u32>,
        unk_arr_0: Array<{ if_present(HW_V13_3, 32) }, U32>,
        /// `apple,min-sram-microvolt` / 1000 (before 13.0b4 only).
        pub min_sram_volt: Array<{ if_present(!HW_V13, 1) }, U32>,
        unk_ab8: Array<{ if_present(!HW_V13, 1) }, U32>,
        unk_abc: Array<{ if_present(!HW_V13, 1) }, U32>,
        unk_ac0: Array<{ if_present(!HW_V13, 1) }, U32>,
        /// CS/AFR pstates (13.0b4 and later).
        pub aux_ps: Array<{ if_present(HW_V13, 1) }, HwDataBAuxPStates>,
        pad_ac4_0: Array<{ if_present(HW_V13_3, 0x44c) }, u8>,
        pad_ac4: Array<8, u8>,
        unk_acc: u32,
        unk_ad0: u32,
        pad_ad4: Array<0x10, u8>,
        unk_ae4: Array<4, u32>,
        pad_af4: Array<4, u8>,
        unk_af8: u32,
        pad_afc: Array<8, u8>,
        unk_b04: u32,
        unk_b08: u32,
        unk_b0c: u32,
        pad_b10_0: Array<{ if_present(HW_G14X, 8) }, u8>,
        unk_b10: u32,
        /// Timer offset.
        pub timer_offset: U64,
        unk_b1c: u32,
        unk_b20: u32,
        unk_b24: u32,
        unk_b28: u32,
        unk_b2c: u32,
        unk_b30: u32,
        unk_b34: u32,
        unk_b38_0: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_b38_4: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_b38_8: Array<{ if_present(HW_V13_3, 1) }, U32>,
        unk_b38: Array<0xc, u32>,
        unk_b68: u32,
        unk_b6c: Array<{ if_present(HW_V13, 0xd0) }, u8>,
        unk_c3c_0: Array<{ if_present(HW_G14X, 8) }, u8>,
        unk_c3c_8: Array<{ if_present(!HW_G14X && HW_V13_5, 0x10) }, u8>,
        unk_c3c_18: Array<{ if_present(HW_V13_5, 0x20) }, u8>,
        unk_c3c: Array<{ if_present(HW_V13, 1) }, U32>,
    }
}

/// Size of [`HwDataB`] for this variant (firmware-commands.md §5.2).
pub const HWDATA_B_SIZE: usize = if HW_V13_5 { 0x1884 } else { 0xb6c };
const _: () = assert!(core::mem::size_of::<HwDataB>() == HWDATA_B_SIZE);
const _: () =
    assert!(core::mem::offset_of!(HwDataB, io_mappings) == if HW_V13 { 0x640 } else { 0x1d0 });
const _: () = assert!(core::mem::offset_of!(HwDataB, chip_id) == if HW_V13 { 0x968 } else { 0x450 });
const _: () =
    assert!(core::mem::offset_of!(HwDataB, base_clock_khz) == if HW_V13 { 0x9a8 } else { 0x490 });
const _: () =
    assert!(core::mem::offset_of!(HwDataB, uat_ttb_base) == if HW_V13 { 0xa78 } else { 0x558 });
const _: () =
    assert!(core::mem::offset_of!(HwDataB, gpu_core_id) == if HW_V13 { 0xa80 } else { 0x560 });
const _: () = assert!(core::mem::offset_of!(HwDataB, num_cores) == if HW_V13 { 0xa88 } else { 0x568 });
const _: () = assert!(!HW_V13 || core::mem::offset_of!(HwDataB, sgx_sram_ptr) == 0x960);
