//! Per-SoC inputs of the `HwDataA`/`HwDataB`/`Globals` builders, and the t8103 (M1, G13G)
//! values.
//!
//! The builders (`fill_hwdata_a`, `fill_hwdata_b`, `fill_globals` in every variant module of
//! [`super::variants`]) take a [`HwInputs`]: the SoC's constant tables ([`SocConfig`], what
//! downstream keeps in `hw/t*.rs`), its power configuration ([`PowerConfig`], what downstream
//! reads from the GPU device-tree node in `hw/mod.rs` `PwrConfig::load`), the identity read
//! from the GPU's ID registers ([`GpuIdentity`]), the TTBAT's physical address and the MMIO
//! ranges the driver mapped for the firmware. Everything is borrowed and fixed-size: the
//! builders neither allocate nor use floating-point instructions (coefficients go through
//! [`F32`]'s integer soft-float), so the kernel can run them at probe time.
//!
//! Sources: downstream `hw/t8103.rs` (herrnst/linux-asahi 48b08e51) `HWCONFIG`, `hw/mod.rs`
//! `PwrConfig::load` (property names and defaults), `initdata.rs` (herrnst 0a45eb23) for how
//! each value is used; the t8103 power properties and GPU operating points from the
//! `gpu@206400000` node and `gpu_opp` table of AsahiLinux/linux
//! `arch/arm64/boot/dts/apple/t8103.dtsi` (05addb93).

use super::hwdata::{IoMapping, F32};
use super::types::U64;

/// GPU core kind as `HwDataB.gpu_core_id` encodes it (reference §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GpuCore {
    /// M1 (t8103).
    G13G = 11,
    /// M1 Pro (t6000).
    G13S = 12,
    /// M1 Max (t6001).
    G13C = 13,
    /// M2 (t8112).
    G14G = 15,
}

/// One GPU performance state (an OPP table entry).
///
/// Source: downstream `hw/mod.rs` `PState` / `load_opp`: `opp-hz`, `opp-microvolt` (one cell
/// per cluster) / 1000, `opp-microwatt` / 1000. Entry 0 is the off state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerfState {
    /// Frequency (Hz).
    pub freq_hz: u32,
    /// Voltage per cluster (mV); only the first `num_volts` entries are used.
    pub volt_mv: [u32; 8],
    /// Clusters with a voltage.
    pub num_volts: usize,
    /// Power (mW).
    pub pwr_mw: u32,
}

impl PerfState {
    /// A single-cluster state.
    pub const fn new(freq_hz: u32, volt_mv: u32, pwr_mw: u32) -> Self {
        Self {
            freq_hz,
            volt_mv: [volt_mv, 0, 0, 0, 0, 0, 0, 0],
            num_volts: 1,
            pwr_mw,
        }
    }
}

/// One power zone (`apple,power-zones` triple).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PowerZoneConfig {
    /// Target (mW).
    pub target: u32,
    /// Offset below the target.
    pub target_offset: u32,
    /// Filter time constant (sample periods).
    pub filter_tc: u32,
}

/// The power and performance configuration of the GPU node.
///
/// Floats are device-tree cells holding IEEE-754 bits. Source: downstream `hw/mod.rs`
/// `PwrConfig` and `PwrConfig::load` (property `apple,<name with dashes>`; defaults noted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PowerConfig<'a> {
    /// Operating points, the off state first (at most 16).
    pub perf_states: &'a [PerfState],
    /// Power zones (at most 5).
    pub power_zones: &'a [PowerZoneConfig],
    /// `apple,core-leak-coef`, one per cluster.
    pub core_leak_coef: &'a [F32],
    /// `apple,sram-leak-coef`, one per cluster.
    pub sram_leak_coef: &'a [F32],
    /// `apple,perf-base-pstate` [1].
    pub perf_base_pstate: u32,
    /// `apple,min-sram-microvolt`.
    pub min_sram_microvolt: u32,
    /// `apple,avg-power-filter-tc-ms`.
    pub avg_power_filter_tc_ms: u32,
    /// `apple,avg-power-ki-only`.
    pub avg_power_ki_only: F32,
    /// `apple,avg-power-kp`.
    pub avg_power_kp: F32,
    /// `apple,avg-power-min-duty-cycle`.
    pub avg_power_min_duty_cycle: u32,
    /// `apple,avg-power-target-filter-tc`.
    pub avg_power_target_filter_tc: u32,
    /// `apple,fast-die0-integral-gain`.
    pub fast_die0_integral_gain: F32,
    /// `apple,fast-die0-proportional-gain`.
    pub fast_die0_proportional_gain: F32,
    /// `apple,fast-die0-prop-tgt-delta` [0].
    pub fast_die0_prop_tgt_delta: u32,
    /// `apple,fast-die0-release-temp` [80].
    pub fast_die0_release_temp: u32,
    /// `apple,fender-idle-off-delay-ms` [40].
    pub fender_idle_off_delay_ms: u32,
    /// `apple,fw-early-wake-timeout-ms` [5].
    pub fw_early_wake_timeout_ms: u32,
    /// `apple,idle-off-delay-ms` [2].
    pub idle_off_delay_ms: u32,
    /// `apple,idleoff-standby-timer` [`SocConfig::idle_off_standby_timer_default`].
    pub idle_off_standby_timer: u32,
    /// `apple,perf-boost-ce-step` [25].
    pub perf_boost_ce_step: u32,
    /// `apple,perf-boost-min-util` [100].
    pub perf_boost_min_util: u32,
    /// `apple,perf-filter-drop-threshold`.
    pub perf_filter_drop_threshold: u32,
    /// `apple,perf-filter-time-constant`.
    pub perf_filter_time_constant: u32,
    /// `apple,perf-filter-time-constant2`.
    pub perf_filter_time_constant2: u32,
    /// `apple,perf-integral-gain` [7.8956833].
    pub perf_integral_gain: F32,
    /// `apple,perf-integral-gain2`.
    pub perf_integral_gain2: F32,
    /// `apple,perf-integral-min-clamp`.
    pub perf_integral_min_clamp: u32,
    /// `apple,perf-proportional-gain` [14.707963].
    pub perf_proportional_gain: F32,
    /// `apple,perf-proportional-gain2`.
    pub perf_proportional_gain2: F32,
    /// `apple,perf-reset-iters` [6].
    pub perf_reset_iters: u32,
    /// `apple,perf-tgt-utilization`.
    pub perf_tgt_utilization: u32,
    /// `apple,power-sample-period` (ms).
    pub power_sample_period: u32,
    /// `apple,ppm-filter-time-constant-ms`.
    pub ppm_filter_time_constant_ms: u32,
    /// `apple,ppm-ki`.
    pub ppm_ki: F32,
    /// `apple,ppm-kp`.
    pub ppm_kp: F32,
    /// `apple,pwr-filter-time-constant` [313].
    pub pwr_filter_time_constant: u32,
    /// `apple,pwr-integral-gain` [0.0202129].
    pub pwr_integral_gain: F32,
    /// `apple,pwr-integral-min-clamp` [0].
    pub pwr_integral_min_clamp: u32,
    /// `apple,pwr-min-duty-cycle`.
    pub pwr_min_duty_cycle: u32,
    /// `apple,pwr-proportional-gain` [5.2831855].
    pub pwr_proportional_gain: F32,
    /// `apple,pwr-sample-period-aic-clks` [base clock kHz × sample period].
    pub pwr_sample_period_aic_clks: u32,
    /// `apple,se-engagement-criteria` [-1].
    pub se_engagement_criteria: i32,
    /// `apple,se-filter-time-constant` [9].
    pub se_filter_time_constant: u32,
    /// `apple,se-filter-time-constant-1` [3].
    pub se_filter_time_constant_1: u32,
    /// `apple,se-inactive-threshold` [2500].
    pub se_inactive_threshold: u32,
    /// `apple,se-ki` [-50.0].
    pub se_ki: F32,
    /// `apple,se-ki-1` [-100.0].
    pub se_ki_1: F32,
    /// `apple,se-kp` [-5.0].
    pub se_kp: F32,
    /// `apple,se-kp-1` [-10.0].
    pub se_kp_1: F32,
    /// `apple,se-reset-criteria` [50].
    pub se_reset_criteria: u32,
}

/// Why a [`PowerConfig`] or a blob cannot be used; nothing has been written when a builder
/// returns one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HwDataError {
    /// No operating points, more than 16, or an entry with more than 8 or no voltages.
    PerfStates,
    /// `perf_base_pstate` is not below the number of operating points.
    BasePstate,
    /// More than 5 power zones, or a zone whose offset exceeds its target.
    PowerZones,
    /// More leakage coefficients than clusters the layout has room for (8).
    LeakCoefs,
    /// A time constant or the sample period is zero (the builders divide by them).
    ZeroTimeConstant,
    /// Every operating point has zero power.
    MaxPower,
    /// More I/O mappings than the variant's `IO_MAPPING_COUNT`.
    IoMappings,
    /// More clusters than the coefficient tables hold (8).
    Clusters,
    /// A blob's size is not the structure's size for this firmware (wrong ABI).
    BlobSize {
        /// `size_of` the structure.
        expected: usize,
        /// Blob length.
        got: usize,
    },
}

impl PowerConfig<'_> {
    /// Highest pstate index.
    pub const fn max_pstate(&self) -> u32 {
        // CAST: at most 16 states after `validate`.
        (self.perf_states.len() as u32).saturating_sub(1)
    }

    /// Highest power of any pstate (mW).
    pub fn max_power_mw(&self) -> u32 {
        self.perf_states.iter().map(|p| p.pwr_mw).max().unwrap_or(0)
    }

    /// Highest frequency of any pstate (MHz).
    pub fn max_freq_mhz(&self) -> u32 {
        self.perf_states
            .iter()
            .map(|p| p.freq_hz)
            .max()
            .unwrap_or(0)
            / 1_000_000
    }

    /// Checks what the builders index or divide by.
    pub fn validate(&self) -> Result<(), HwDataError> {
        let n = self.perf_states.len();
        if n == 0 || n > 16 {
            return Err(HwDataError::PerfStates);
        }
        if self
            .perf_states
            .iter()
            .any(|p| p.num_volts == 0 || p.num_volts > 8)
        {
            return Err(HwDataError::PerfStates);
        }
        // CAST: n <= 16.
        if self.perf_base_pstate >= n as u32 {
            return Err(HwDataError::BasePstate);
        }
        if self.power_zones.len() > 5 || self.power_zones.iter().any(|z| z.target_offset > z.target)
        {
            return Err(HwDataError::PowerZones);
        }
        if self.core_leak_coef.len() > 8 || self.sram_leak_coef.len() > 8 {
            return Err(HwDataError::LeakCoefs);
        }
        if self.power_sample_period == 0
            || self.ppm_filter_time_constant_ms < self.power_sample_period
            || self.avg_power_filter_tc_ms < self.power_sample_period
            || self.perf_filter_time_constant == 0
            || self.perf_filter_time_constant2 == 0
            || self.avg_power_target_filter_tc == 0
            || self.pwr_filter_time_constant == 0
            || self.se_filter_time_constant == 0
            || self.se_filter_time_constant_1 == 0
            || self.power_zones.iter().any(|z| z.filter_tc == 0)
        {
            return Err(HwDataError::ZeroTimeConstant);
        }
        if self.max_power_mw() == 0 {
            return Err(HwDataError::MaxPower);
        }
        Ok(())
    }
}

/// A MMIO range the firmware needs mapped (`HwConfig.io_mappings` entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoRange {
    /// Physical base.
    pub base: u64,
    /// Size.
    pub size: u32,
    /// Element size.
    pub range_size: u32,
    /// Writable by the firmware.
    pub writable: bool,
}

impl IoRange {
    const fn new(base: u64, size: u32, range_size: u32, writable: bool) -> Option<Self> {
        Some(Self {
            base,
            size,
            range_size,
            writable,
        })
    }

    /// The `HwDataB.io_mappings` record once the driver has mapped the range at `virt`.
    pub const fn mapped_at(&self, virt: u64) -> IoMapping {
        IoMapping {
            phys_addr: U64(self.base),
            virt_addr: U64(virt),
            total_size: self.size,
            element_size: self.range_size,
            readwrite: U64(if self.writable { 1 } else { 0 }),
        }
    }
}

/// A SoC's constant tables (downstream `HwConfig`, the parts the builders read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SocConfig {
    /// Chip ID.
    pub chip_id: u32,
    /// GPU core kind.
    pub gpu_core: GpuCore,
    /// Base (AIC timer) clock (Hz).
    pub base_clock_hz: u32,
    /// UAT output address size (bits).
    pub uat_oas: u32,
    /// `HwDataA.unk_87c` / `Globals.unk_89c4` (`da.unk_87c`).
    pub da_unk_87c: i32,
    /// `HwDataA.unk_8cc` / `Globals.unk_89bc` (`da.unk_8cc`).
    pub da_unk_8cc: u32,
    /// `HwDataA.unk_e24` (`da.unk_e24`).
    pub da_unk_e24: u32,
    /// `HwDataB.unk_454` (`db.unk_454`).
    pub db_unk_454: u32,
    /// `HwDataB.unk_4e0` (`db.unk_4e0`).
    pub db_unk_4e0: u64,
    /// `HwDataB.unk_534` (`db.unk_534`).
    pub db_unk_534: u32,
    /// `HwDataB.unk_ab8` (`db.unk_ab8`, before 13.0b4).
    pub db_unk_ab8: u32,
    /// `HwDataB.unk_abc` (`db.unk_abc`, before 13.0b4).
    pub db_unk_abc: u32,
    /// `HwDataB.unk_b30` (`db.unk_b30`).
    pub db_unk_b30: u32,
    /// `HwDataShared1.table`.
    pub shared1_tab: &'static [i32],
    /// `HwDataShared1.unk_a4`.
    pub shared1_a4: u32,
    /// `HwDataShared2.table`.
    pub shared2_tab: &'static [i32],
    /// `HwDataShared2.unk_508`.
    pub shared2_unk_508: u32,
    /// `HwDataShared3.unk_8`.
    pub shared3_unk: u32,
    /// `HwDataShared3.table` (empty: no table).
    pub shared3_tab: &'static [u32],
    /// Default of `apple,idleoff-standby-timer`.
    pub idle_off_standby_timer_default: u32,
    /// `Globals.unk_hws2_4`.
    pub unk_hws2_4: Option<[F32; 8]>,
    /// `Globals.unk_hws2_24`.
    pub unk_hws2_24: u32,
    /// `GlobalsSub.unk_54`.
    pub global_unk_54: u16,
    /// SRAM scale per pstate.
    pub sram_k: F32,
    /// `HwDataA.unk_coef_a*` per cluster.
    pub unk_coef_a: &'static [&'static [F32]],
    /// `HwDataA.unk_coef_b*` per cluster.
    pub unk_coef_b: &'static [&'static [F32]],
    /// `Globals.unk_118ec` table.
    pub global_tab: Option<&'static [u8]>,
    /// Fast-die sensor masks per die.
    pub fast_sensor_mask: [u64; 2],
    /// Alternative fast-die sensor masks per die.
    pub fast_sensor_mask_alt: [u64; 2],
    /// `HwDataA.fast_die0_sensor_present` (before 13.0b4).
    pub fast_die0_sensor_present: u32,
    /// MMIO ranges the firmware maps, in `HwDataB.io_mappings` order (None: slot unused).
    pub io_mappings: &'static [Option<IoRange>],
}

/// GPU identity from the ID registers (downstream `hw::GpuIdConfig`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GpuIdentity {
    /// Clusters.
    pub num_clusters: u32,
    /// Cores per cluster.
    pub num_cores: u32,
    /// Fragment units per cluster.
    pub num_frags: u32,
    /// Revision ID (`GpuRevisionID`).
    pub gpu_rev_id: u32,
}

/// Everything the builders read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HwInputs<'a> {
    /// SoC tables.
    pub soc: &'a SocConfig,
    /// Power configuration.
    pub pwr: &'a PowerConfig<'a>,
    /// GPU identity.
    pub id: GpuIdentity,
    /// Physical address of the TTBAT (the `ttbs` reserved-memory region).
    pub uat_ttb_base: u64,
    /// The MMIO ranges as mapped for the firmware ([`IoRange::mapped_at`]), in slot order;
    /// unused slots zero.
    pub io_mappings: &'a [IoMapping],
}

impl HwInputs<'_> {
    /// Checks the inputs before a builder writes anything.
    pub fn validate(&self, io_mapping_count: usize) -> Result<(), HwDataError> {
        self.pwr.validate()?;
        if self.io_mappings.len() > io_mapping_count {
            return Err(HwDataError::IoMappings);
        }
        if self.id.num_clusters > 8 {
            return Err(HwDataError::Clusters);
        }
        Ok(())
    }
}

/// Shorthand for the const float conversions in the tables below.
const fn f(v: f32) -> F32 {
    F32::from_f32(v)
}

/// The t8103 (M1) constants.
///
/// Source: downstream `hw/t8103.rs` `HWCONFIG` (herrnst 48b08e51): chip ID, G13G, 24 MHz base
/// clock, OAS 40, `da`/`db`, the shared tables, `sram_k`, the fast-sensor masks and the I/O
/// mapping list; `db.unk_454` is 1, the value downstream's `initdata.rs` wrote for every SoC
/// before it became a per-SoC field; t8103 has no `idle_off_standby_timer_default` (0).
pub const T8103: SocConfig = SocConfig {
    chip_id: 0x8103,
    gpu_core: GpuCore::G13G,
    base_clock_hz: 24_000_000,
    uat_oas: 40,
    da_unk_87c: -220,
    da_unk_8cc: 9880,
    da_unk_e24: 112,
    db_unk_454: 1,
    db_unk_4e0: 0,
    db_unk_534: 0,
    db_unk_ab8: 0x48,
    db_unk_abc: 0x8,
    db_unk_b30: 0,
    shared1_tab: &[
        -1, 0x7282, 0x50ea, 0x370a, 0x25be, 0x1c1f, 0x16fb, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    ],
    shared1_a4: 0xffff,
    shared2_tab: &[0x800, 0x1555, -1, -1, -1, -1, -1, -1, 0, 0],
    shared2_unk_508: 0xc00007,
    shared3_unk: 0,
    shared3_tab: &[],
    idle_off_standby_timer_default: 0,
    unk_hws2_4: None,
    unk_hws2_24: 0,
    global_unk_54: 0xffff,
    sram_k: f(1.02),
    unk_coef_a: &[],
    unk_coef_b: &[],
    global_tab: None,
    fast_sensor_mask: [0x12, 0],
    fast_sensor_mask_alt: [0x12, 0],
    fast_die0_sensor_present: 0x01,
    io_mappings: &[
        IoRange::new(0x2_04d0_0000, 0x1c000, 0x1c000, true), // Fender
        IoRange::new(0x2_0e10_0000, 0x4000, 0x4000, false),  // AICTimer
        IoRange::new(0x2_3b10_4000, 0x4000, 0x4000, true),   // AICSWInt
        IoRange::new(0x2_0400_0000, 0x20000, 0x20000, true), // RGX
        None,                                                // UVD
        None,                                                // unused
        None,                                                // DisplayUnderrunWA
        IoRange::new(0x2_3b2e_8000, 0x1000, 0x1000, false),  // AnalogTempSensorControllerRegs
        IoRange::new(0x2_3bc0_0000, 0x1000, 0x1000, true),   // PMPDoorbell
        IoRange::new(0x2_04d8_0000, 0x5000, 0x5000, true),   // MetrologySensorRegs
        IoRange::new(0x2_04d6_1000, 0x1000, 0x1000, true),   // GMGIFAFRegs
        IoRange::new(0x2_0000_0000, 0xd6400, 0xd6400, true), // MCache registers
        None,                                                // AICBankedRegisters
        IoRange::new(0x2_3b73_8000, 0x1000, 0x1000, true),   // PMGRScratch
        None,                                                // NIA idle register, die 0
        None,                                                // NIA idle register, die 1
        None,                                                // CRE registers
        None,                                                // Streaming codec registers
        None,
        None,
    ],
};

/// The t8103 GPU operating points: the `gpu_opp` table of AsahiLinux/linux `t8103.dtsi`
/// (opp00 is the off state). The DT notes that the bootloader fills in device-specific
/// voltages and powers; these are the tree's defaults.
pub const T8103_PERF_STATES: [PerfState; 7] = [
    PerfState::new(0, 400, 0),
    PerfState::new(396_000_000, 603, 3714),
    PerfState::new(528_000_000, 640, 5083),
    PerfState::new(720_000_000, 690, 7429),
    PerfState::new(924_000_000, 784, 11730),
    PerfState::new(1_128_000_000, 862, 17009),
    PerfState::new(1_278_000_000, 931, 19551),
];

/// The t8103 power zones (`apple,power-zones = <30000 100 6875>`).
pub const T8103_POWER_ZONES: [PowerZoneConfig; 1] = [PowerZoneConfig {
    target: 30000,
    target_offset: 100,
    filter_tc: 6875,
}];

/// `apple,core-leak-coef` of t8103.
pub const T8103_CORE_LEAK_COEF: [F32; 1] = [f(1000.0)];
/// `apple,sram-leak-coef` of t8103.
pub const T8103_SRAM_LEAK_COEF: [F32; 1] = [f(45.0)];

/// The t8103 power configuration: the `gpu@206400000` node's `apple,*` properties, with
/// downstream `PwrConfig::load`'s defaults for the ones the node leaves out.
pub const T8103_POWER: PowerConfig<'static> = PowerConfig {
    perf_states: &T8103_PERF_STATES,
    power_zones: &T8103_POWER_ZONES,
    core_leak_coef: &T8103_CORE_LEAK_COEF,
    sram_leak_coef: &T8103_SRAM_LEAK_COEF,
    perf_base_pstate: 1,
    min_sram_microvolt: 850_000,
    avg_power_filter_tc_ms: 1000,
    avg_power_ki_only: f(7.5),
    avg_power_kp: f(4.0),
    avg_power_min_duty_cycle: 40,
    avg_power_target_filter_tc: 125,
    fast_die0_integral_gain: f(200.0),
    fast_die0_proportional_gain: f(5.0),
    fast_die0_prop_tgt_delta: 0,
    fast_die0_release_temp: 80,
    fender_idle_off_delay_ms: 40,
    fw_early_wake_timeout_ms: 5,
    idle_off_delay_ms: 2,
    idle_off_standby_timer: T8103.idle_off_standby_timer_default,
    perf_boost_ce_step: 25,
    perf_boost_min_util: 100,
    perf_filter_drop_threshold: 0,
    perf_filter_time_constant: 5,
    perf_filter_time_constant2: 50,
    perf_integral_gain: f(7.895_683_3),
    perf_integral_gain2: f(0.197_392),
    perf_integral_min_clamp: 0,
    perf_proportional_gain: f(14.707_963),
    perf_proportional_gain2: f(6.853_981),
    perf_reset_iters: 6,
    perf_tgt_utilization: 85,
    power_sample_period: 8,
    ppm_filter_time_constant_ms: 100,
    ppm_ki: f(91.5),
    ppm_kp: f(6.9),
    pwr_filter_time_constant: 313,
    pwr_integral_gain: f(0.020_212_9),
    pwr_integral_min_clamp: 0,
    pwr_min_duty_cycle: 40,
    pwr_proportional_gain: f(5.283_185_5),
    // Default: base clock kHz × sample period.
    pwr_sample_period_aic_clks: 24_000 * 8,
    se_engagement_criteria: -1,
    se_filter_time_constant: 9,
    se_filter_time_constant_1: 3,
    se_inactive_threshold: 2500,
    se_ki: f(-50.0),
    se_ki_1: f(-100.0),
    se_kp: f(-5.0),
    se_kp_1: f(-10.0),
    se_reset_criteria: 50,
};

/// The t8103 identity the virtual AGX presents (one cluster of 8 cores, 8 fragment units;
/// revision C0 = 0x20, as the module's `hw/t8103.rs`).
pub const T8103_IDENTITY: GpuIdentity = GpuIdentity {
    num_clusters: 1,
    num_cores: 8,
    num_frags: 8,
    gpu_rev_id: 0x20,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t8103_power_config_is_valid_and_derived_values() {
        assert_eq!(T8103_POWER.validate(), Ok(()));
        assert_eq!(T8103_POWER.max_pstate(), 6);
        assert_eq!(T8103_POWER.max_power_mw(), 19551);
        assert_eq!(T8103_POWER.max_freq_mhz(), 1278);
    }

    #[test]
    fn hostile_power_configs_are_refused() {
        let base = T8103_POWER;
        let empty: [PerfState; 0] = [];
        let too_many = [PerfState::new(1, 1, 1); 17];
        let bad_volts = [PerfState {
            num_volts: 9,
            ..PerfState::new(1, 1, 1)
        }];
        let zero_power = [PerfState::new(1, 1, 0), PerfState::new(2, 1, 0)];
        let zones = [T8103_POWER_ZONES[0]; 6];
        let bad_zone = [PowerZoneConfig {
            target: 1,
            target_offset: 2,
            filter_tc: 1,
        }];
        let cases: [(PowerConfig<'_>, HwDataError); 9] = [
            (
                PowerConfig {
                    perf_states: &empty,
                    ..base
                },
                HwDataError::PerfStates,
            ),
            (
                PowerConfig {
                    perf_states: &too_many,
                    ..base
                },
                HwDataError::PerfStates,
            ),
            (
                PowerConfig {
                    perf_states: &bad_volts,
                    ..base
                },
                HwDataError::PerfStates,
            ),
            (
                PowerConfig {
                    perf_base_pstate: 7,
                    ..base
                },
                HwDataError::BasePstate,
            ),
            (
                PowerConfig {
                    power_zones: &zones,
                    ..base
                },
                HwDataError::PowerZones,
            ),
            (
                PowerConfig {
                    power_zones: &bad_zone,
                    ..base
                },
                HwDataError::PowerZones,
            ),
            (
                PowerConfig {
                    power_sample_period: 0,
                    ..base
                },
                HwDataError::ZeroTimeConstant,
            ),
            (
                PowerConfig {
                    perf_filter_time_constant: 0,
                    ..base
                },
                HwDataError::ZeroTimeConstant,
            ),
            (
                PowerConfig {
                    perf_states: &zero_power,
                    perf_base_pstate: 0,
                    ..base
                },
                HwDataError::MaxPower,
            ),
        ];
        for (cfg, want) in cases {
            assert_eq!(cfg.validate(), Err(want), "{cfg:?}");
        }
    }
}
