// Versioned Globals, runtime scratch area and fragment statistics, included once per variant
// module by `defs/variants.rs` (after `hwdata.rs`, whose `HW_*` conditions they use).
//
// `InitData.globals` points at the Globals: firmware configuration (more power-controller
// values, timeouts) plus the words the driver and the firmware exchange at run time
// (`pending_submissions`, `idle_off_delay_ms`, `pending_stamps`, `fault_info`). Source for
// every layout here: downstream `fw/initdata.rs` (herrnst/linux-asahi 14e7ccde) `GlobalsSub`,
// `Globals`, `RuntimeScratch`, `GpuStatsFrag`, `GpuGlobalStatsFrag`; sizes cross-checked
// against m1n1 `rust/src/gpu/raw.rs` and the runtime offsets against firmware-commands.md §5.2.

/// Exactly firmware 13.3 (the one version that puts `pending_stamps` after its padding).
const GLOBALS_V13_3_ONLY: bool = HW_V13_3 && !HW_V13_5;
/// The 4-byte pad before `fault_control`.
const GLOBALS_X_PAD: bool = (HW_G14X && !HW_V13_3) || (!HW_G14X && HW_V13_3);

plain_layout! {
    /// A sub-block of [`Globals`] at 0x54 (0x64 from 13.0b4); downstream packs it.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct GlobalsSub {
        /// `HwConfig.global_unk_54` (0xffff on t8103).
        pub unk_54: u16,
        /// 40.
        pub unk_56: u16,
        /// 0xffff.
        pub unk_58: u16,
        unk_5a: U32,
        /// 1.
        pub unk_5e: U32,
        unk_62: U32,
        unk_66_0: Array<{ if_present(HW_V13, 0xc) }, u8>,
        /// 1.
        pub unk_66: U32,
        unk_6a: Array<0x16, u8>,
    }
}

plain_layout! {
    /// Global firmware configuration and the run-time words shared with the driver.
    ///
    /// 0x11d40 bytes before 13.0b4, 0x12394 on G13/G14 13.5, 0x1715c on G14X 13.5.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct Globals {
        /// KTrace enable mask (0: off).
        pub ktrace_enable: u32,
        unk_4: Array<0x20, u8>,
        unk_24_0: Array<{ if_present(HW_V13_2, 1) }, U32>,
        unk_24: u32,
        /// Firmware debug flags (13.0b4 and later).
        pub debug: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_28_4: Array<{ if_present(HW_V13_3, 1) }, U32>,
        unk_28: u32,
        unk_2c_0: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_2c: u32,
        unk_30: u32,
        unk_34: u32,
        unk_38: Array<0x1c, u8>,
        /// Sub-block.
        pub sub: GlobalsSub,
        unk_80: Array<0xf80, u8>,
        unk_1000: Array<0x7000, u8>,
        unk_8000: Array<0x900, u8>,
        unk_8900_pad: Array<{ if_present(HW_G14X, 0x484c) }, u8>,
        unk_8900_pad2: Array<{ if_present(HW_V13_3, 0x54) }, u8>,
        unk_8900: u32,
        /// Operations in progress: +1 when the driver starts one, -1 when it ends; the
        /// firmware stays powered while non-zero.
        pub pending_submissions: u32,
        /// Max power (mW).
        pub max_power: u32,
        /// 100 × max pstate.
        pub max_pstate_scaled: u32,
        max_pstate_scaled_2: u32,
        unk_8914: u32,
        unk_8918: u32,
        max_pstate_scaled_3: u32,
        unk_8920: u32,
        /// Number of power zones in use.
        pub power_zone_count: u32,
        /// Average-power filter periods.
        pub avg_power_filter_tc_periods: u32,
        /// `apple,avg-power-ki-only` × sample period (s).
        pub avg_power_ki_dt: F32,
        /// `apple,avg-power-kp`.
        pub avg_power_kp: F32,
        /// `apple,avg-power-min-duty-cycle`.
        pub avg_power_min_duty_cycle: u32,
        /// `apple,avg-power-target-filter-tc`.
        pub avg_power_target_filter_tc: u32,
        /// Power zones.
        pub power_zones: Array<5, PowerZoneGlobal>,
        unk_8978: Array<0x44, u8>,
        unk_89bc_0: Array<{ if_present(HW_V13, 0x3c) }, u8>,
        unk_89bc: u32,
        /// 100 × `apple,fast-die0-release-temp`.
        pub fast_die0_release_temp: u32,
        unk_89c4: i32,
        /// 100 × `apple,fast-die0-prop-tgt-delta`.
        pub fast_die0_prop_tgt_delta: u32,
        /// `apple,fast-die0-proportional-gain`.
        pub fast_die0_kp: F32,
        /// `apple,fast-die0-integral-gain` × sample period (s).
        pub fast_die0_ki_dt: F32,
        unk_89d4: Array<0xc, u8>,
        unk_89e0: u32,
        max_power_2: u32,
        /// `apple,ppm-kp`.
        pub ppm_kp: F32,
        /// `apple,ppm-ki` × sample period (s).
        pub ppm_ki_dt: F32,
        unk_89f0: u32,
        unk_89f4_0: Array<{ if_present(HW_V13, 8) }, u8>,
        unk_89f4_8: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_89f4_c: Array<{ if_present(HW_V13, 0x50) }, u8>,
        unk_89f4_5c: Array<{ if_present(HW_V13_3, 0xc) }, u8>,
        unk_89f4: u32,
        /// Shared power table 1.
        pub hws1: HwDataShared1,
        /// Shared power table 2.
        pub hws2: HwDataShared2,
        /// Idle-off standby timer (13.0b4 and later).
        pub idle_off_standby_timer: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_hws2_4: Array<{ if_present(HW_V13, 8) }, F32>,
        unk_hws2_24: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_hws2_28: u32,
        /// Shared power table 3.
        pub hws3: HwDataShared3,
        unk_9004: Array<8, u8>,
        unk_900c: u32,
        unk_9010_0: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_9010_4: Array<{ if_present(HW_V13, 0x14) }, u8>,
        unk_9010: Array<0x2c, u8>,
        unk_903c: u32,
        unk_9040: Array<0xc0, u8>,
        unk_9100: Array<0x6f00, u8>,
        unk_10000: Array<0xe50, u8>,
        unk_10e50: u32,
        unk_10e54: Array<0x2c, u8>,
        unk_x_pad: Array<{ if_present(GLOBALS_X_PAD, 4) }, u8>,
        /// Fault handling control: bit 0 sets SGX register 0x17620, bit 1 sets 0x17630
        /// (downstream module parameter, default 0xb).
        pub fault_control: u32,
        /// 1: the firmware initializes on boot.
        pub do_init: u32,
        unk_10e88: Array<0x188, u8>,
        /// Idle timestamp, written by the firmware.
        pub idle_ts: U64,
        idle_unk: U64,
        unk_11020: u32,
        unk_11024: u32,
        unk_11028: u32,
        unk_1102c_0: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_1102c_4: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_1102c_8: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_1102c_c: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_1102c_10: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_1102c: u32,
        /// Delay before the firmware powers the GPU off when idle (ms); the driver updates it.
        pub idle_off_delay_ms: u32,
        /// `apple,fender-idle-off-delay-ms`.
        pub fender_idle_off_delay_ms: u32,
        /// `apple,fw-early-wake-timeout-ms`.
        pub fw_early_wake_timeout_ms: u32,
        ps_pad_0_v13_3: Array<{ if_present(GLOBALS_V13_3_ONLY, 8) }, u8>,
        /// Work in flight, for attributing faults and timeouts (see [`PendingStamp`]).
        pub pending_stamps: Array<0x100, PendingStamp>,
        ps_pad_0: Array<{ if_present(!GLOBALS_V13_3_ONLY, 8) }, u8>,
        unkpad_ps: Array<0x78, u8>,
        unk_117bc: u32,
        /// Fault details, written by the firmware.
        pub fault_info: FwFaultInfo,
        /// Unknown counter.
        pub counter: u32,
        unk_118dc: u32,
        unk_118e0_0: Array<{ if_present(HW_V13, 0x9c) }, u8>,
        unk_118e0_9c: Array<{ if_present(HW_G14X, 0x580) }, u8>,
        unk_118e0_9c_x: Array<{ if_present(HW_V13_3, 8) }, u8>,
        unk_118e0: u32,
        unk_118e4_0: Array<{ if_present(HW_V13, 1) }, U32>,
        /// CDM context-store latency threshold.
        pub cdm_context_store_latency_threshold: u32,
        unk_118e8: u32,
        unk_118ec: Array<0x400, u8>,
        unk_11cec: Array<0x54, u8>,
        unk_11d40: Array<{ if_present(HW_V13, 0x19c) }, u8>,
        unk_11edc: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_11ee0: Array<{ if_present(HW_V13, 0x1c) }, u8>,
        unk_11efc: Array<{ if_present(HW_V13, 1) }, U32>,
        unk_11f00: Array<{ if_present(HW_V13_3, 0x280) }, u8>,
    }
}

impl Globals {
    /// Byte offset of `pending_submissions` (atomic at run time).
    pub const PENDING_SUBMISSIONS_OFFSET: usize =
        core::mem::offset_of!(Globals, pending_submissions);
    /// Byte offset of `fault_control`.
    pub const FAULT_CONTROL_OFFSET: usize = core::mem::offset_of!(Globals, fault_control);
    /// Byte offset of `idle_off_delay_ms` (atomic at run time).
    pub const IDLE_OFF_DELAY_MS_OFFSET: usize = core::mem::offset_of!(Globals, idle_off_delay_ms);
    /// Byte offset of `pending_stamps[0]`; entry `i` is at `+ 8 * i`.
    pub const PENDING_STAMPS_OFFSET: usize = core::mem::offset_of!(Globals, pending_stamps);
    /// Byte offset of `fault_info`.
    pub const FAULT_INFO_OFFSET: usize = core::mem::offset_of!(Globals, fault_info);
    /// Number of `pending_stamps` entries.
    pub const PENDING_STAMPS: usize = 0x100;
}

/// Size of [`Globals`] for this variant (firmware-commands.md §5.2).
pub const GLOBALS_SIZE: usize = if HW_G14X {
    0x1715c
} else if HW_V13_5 {
    0x12394
} else {
    0x11d40
};
const _: () = assert!(core::mem::size_of::<GlobalsSub>() == if HW_V13 { 0x38 } else { 0x2c });
const _: () = assert!(core::mem::size_of::<Globals>() == GLOBALS_SIZE);
// Runtime offsets (firmware-commands.md §5.2: V12 | V13.5 G13/G14 | G14X).
const _: () = assert!(
    Globals::PENDING_SUBMISSIONS_OFFSET
        == if HW_G14X {
            0xd1c0
        } else if HW_V13_5 {
            0x8974
        } else {
            0x8904
        }
);
const _: () = assert!(
    Globals::FAULT_CONTROL_OFFSET
        == if HW_G14X {
            0x15820
        } else if HW_V13_5 {
            0x10fd8
        } else {
            0x10e80
        }
);
const _: () = assert!(
    Globals::IDLE_OFF_DELAY_MS_OFFSET
        == if HW_G14X {
            0x159e4
        } else if HW_V13_5 {
            0x1119c
        } else {
            0x11030
        }
);
const _: () = assert!(
    Globals::PENDING_STAMPS_OFFSET
        == if HW_G14X {
            0x159f0
        } else if HW_V13_5 {
            0x111a8
        } else {
            0x1103c
        }
);
const _: () = assert!(
    Globals::FAULT_INFO_OFFSET
        == if HW_G14X {
            0x16274
        } else if HW_V13_5 {
            0x11a2c
        } else {
            0x118c0
        }
);

plain_layout! {
    /// The GPU scratch area that follows the 0x280-byte [`RuntimePointers`] in the same
    /// allocation (0x6ac0 bytes; G14X adds 0x4800).
    ///
    /// `RuntimePointers` and this area form downstream's one `RuntimePointers` object; they are
    /// separate layouts here so that existing code keeps the 0x280-byte channel part. Source:
    /// downstream `fw/initdata.rs` `RuntimeScratch` and `initdata.rs` (`unk_6b38 = 0xff`).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct RuntimeScratch {
        unk_280: Array<0x6800, u8>,
        unk_6a80: u32,
        /// Non-zero while the GPU is idle, written by the firmware.
        pub gpu_idle: u32,
        unkpad_6a88: Array<0x14, u8>,
        unk_6a9c: u32,
        /// Firmware counters.
        pub unk_ctr0: u32,
        /// Firmware counters.
        pub unk_ctr1: u32,
        unk_6aa8: u32,
        unk_6aac: u32,
        /// Firmware counters.
        pub unk_ctr2: u32,
        unk_6ab4: Array<0x14, u8>,
        /// Firmware counters.
        pub unk_ctr3: u32,
        unk_6acc: Array<0x28, u8>,
        /// Firmware counters.
        pub unk_ctr4: u32,
        /// Firmware counters.
        pub unk_ctr5: u32,
        unk_6afc: u32,
        pad_6b00: Array<0x38, u8>,
        pad_6b00_extra: Array<{ if_present(HW_G14X, 0x4800) }, u8>,
        /// 0xff at boot.
        pub unk_6b38: u32,
        pad_6b3c: Array<0x84, u8>,
    }
}

/// Offset of the scratch area in downstream's `RuntimePointers` object.
pub const RUNTIME_SCRATCH_OFFSET: usize = if HW_G14X { 0x270 } else { 0x280 };
const _: () = assert!(core::mem::offset_of!(RuntimeScratch, unk_6b38) + 0x280 == 0x6b38 + if_present(HW_G14X, 0x4800));
const _: () =
    assert!(core::mem::size_of::<RuntimeScratch>() == 0x6940 + if_present(HW_G14X, 0x4800));

plain_layout! {
    /// Global fragment statistics (`RuntimePointers.stats_frag`), opaque but for two ids the
    /// driver sets to -1.
    ///
    /// Source: downstream `fw/initdata.rs` `GpuGlobalStatsFrag`/`GpuStatsFrag`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct GpuGlobalStatsFrag {
        /// Fragment commands run.
        pub total_cmds: u32,
        unk_4: u32,
        unk1_0: Array<{ if_present(HW_G14X, 0x910) }, u8>,
        unk1: Array<0x100, u8>,
        /// -1 at boot.
        pub cur_stamp_id: i32,
        unk2: Array<0x14, u8>,
        /// -1 at boot.
        pub unk_id: i32,
        unk3: Array<0x1000, u8>,
    }
}

/// Offset of the inner statistics block of [`GpuGlobalStatsFrag`]: start microsequence ops
/// point here (firmware-commands.md §5.1).
pub const STATS_FRAG_INNER_OFFSET: u64 = 8;
const _: () =
    assert!(core::mem::size_of::<GpuGlobalStatsFrag>() == 0x1124 + if_present(HW_G14X, 0x910));

/// `InitData.ver_info` words (13.5 only; zero elsewhere).
///
/// Source: downstream `initdata.rs` `build`.
pub const INITDATA_VER_INFO_WORDS: [u16; 4] = if !HW_V13_5 {
    [0; 4]
} else if HW_G14X {
    [0xb390, 0x70f8, 0x601, 0xb0]
} else {
    [0x6ba0, 0x1f28, 0x601, 0xb0]
};
