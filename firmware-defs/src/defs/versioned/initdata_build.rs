// Builders of HwDataA, HwDataB and Globals, and the m1n1 blob path; included once per variant
// module by `defs/variants.rs` (after `hwdata.rs` and `globals.rs`).
//
// Each `fill_*` validates its inputs, zeroes the target through its bytes (no large stack
// temporaries: Globals is 73 KiB) and writes the values downstream `initdata.rs` (herrnst
// 0a45eb23, `hwdata_a`, `hwdata_b`, `globals`, `hw_shared1/3`, `t81xx_data`) writes. Float
// coefficients use `F32`'s integer soft-float, so this runs in the kernel.
//
// Blob path (m1n1 `src/kboot_gpu.c` fills `hw-cal-a`, `hw-cal-b`, `globals` and sets
// `debug,<name>-size`; downstream DRV-J `gpu.rs` `load_hwdata_blob`, firmware-commands.md §5.3):
//
// | structure | from the blob | computed by the driver even with a blob |
// |-----------|---------------|------------------------------------------|
// | HwDataA   | everything    | nothing                                  |
// | HwDataB   | everything else | `io_mappings` (the driver's own mappings), `sgx_sram_ptr` |
// | Globals   | everything else | `fault_control` (module parameter), `pending_submissions` = 0 |
//
// Without blobs (older device trees, the virtual AGX) every field comes from `fill_*`.

fn set_first(arr: &mut [U32], v: u32) {
    if let Some(x) = arr.first_mut() {
        *x = U32(v);
    }
}

fn zero<T: Plain>(v: &mut T) {
    super::super::plain::bytes_of_mut(v).fill(0);
}

fn fill_shared(
    soc: &SocConfig,
    hws1: &mut HwDataShared1,
    hws2: &mut HwDataShared2,
    hws3: &mut HwDataShared3,
) {
    for (d, s) in hws1.table.iter_mut().zip(soc.shared1_tab) {
        *d = *s;
    }
    hws1.unk_a4 = soc.shared1_a4;
    hws2.unk_28 = Array([0xff; 0x10]);
    for (d, s) in hws2.table.iter_mut().zip(soc.shared2_tab) {
        *d = *s;
    }
    hws2.unk_508 = soc.shared2_unk_508;
    if !soc.shared3_tab.is_empty() {
        hws3.unk_0 = 1;
        hws3.unk_4 = 500;
        hws3.unk_8 = soc.shared3_unk;
        for (d, s) in hws3.table.iter_mut().zip(soc.shared3_tab) {
            *d = *s;
        }
        hws3.unk_4c = 1;
    }
}

/// Fills `a` (all of it) from `hw`. Nothing is written when the inputs are refused.
pub fn fill_hwdata_a(a: &mut HwDataA, hw: &HwInputs<'_>) -> Result<(), HwDataError> {
    hw.validate(IO_MAPPING_COUNT)?;
    let (soc, pwr) = (hw.soc, hw.pwr);
    zero(a);
    let period_ms = pwr.power_sample_period;
    let period_s = F32::from_u32(period_ms).div(F32::from_u32(1000));
    let base_clock_khz = soc.base_clock_hz / 1000;
    let inv = |n: u32| F32::ONE.div(F32::from_u32(n));
    let ppm_periods = pwr.ppm_filter_time_constant_ms / period_ms;
    let ppm_a = inv(ppm_periods);
    let perf_a = inv(pwr.perf_filter_time_constant);
    let perf_a2 = inv(pwr.perf_filter_time_constant2);
    let apt_a = inv(pwr.avg_power_target_filter_tc);
    let ap_periods = pwr.avg_power_filter_tc_ms / period_ms;
    let ap_a = inv(ap_periods);
    let pwr_a = inv(pwr.pwr_filter_time_constant);
    let base_ps = pwr.perf_base_pstate;
    let base_s = 100 * base_ps;
    let max_ps = pwr.max_pstate();
    let max_s = 100 * max_ps;
    let max_power = pwr.max_power_mw();
    let clocks_coarse = base_clock_khz.wrapping_mul(period_ms);

    a.clocks_per_period = pwr.pwr_sample_period_aic_clks;
    set_first(&mut a.clocks_per_period_2.0, pwr.pwr_sample_period_aic_clks);
    a.pwr_status = 4;
    a.unk_10 = F32::ONE;
    a.actual_pstate = 1;
    a.tgt_pstate = 1;
    a.base_pstate_scaled = base_s;
    a.unk_40 = 1;
    a.max_pstate_scaled = max_s;
    a.min_pstate_scaled = 100;
    a.unk_64c = 625;
    a.pwr_filter_a_neg = F32::ONE.sub(pwr_a);
    a.pwr_filter_a = pwr_a;
    a.pwr_integral_gain = pwr.pwr_integral_gain;
    a.pwr_integral_min_clamp = F32::from_u32(pwr.pwr_integral_min_clamp);
    a.max_power_1 = F32::from_u32(max_power);
    a.pwr_proportional_gain = pwr.pwr_proportional_gain;
    a.pwr_pstate_related_k = F32::from_u32(max_s).neg().div(F32::from_u32(max_power));
    // CAST: both at most a few thousand.
    a.pwr_pstate_max_dc_offset = pwr.pwr_min_duty_cycle as i32 - max_s as i32;
    a.max_pstate_scaled_2 = max_s;
    a.max_power_2 = max_power;
    a.max_pstate_scaled_3 = max_s;
    a.ppm_filter_tc_periods_x4 = ppm_periods.wrapping_mul(4);
    a.ppm_filter_a_neg = F32::ONE.sub(ppm_a);
    a.ppm_filter_a = ppm_a;
    a.ppm_ki_dt = pwr.ppm_ki.mul(period_s);
    a.unk_6fc = F32::from_u32(65536);
    a.ppm_kp = pwr.ppm_kp;
    a.pwr_min_duty_cycle = pwr.pwr_min_duty_cycle;
    a.max_pstate_scaled_4 = max_s;
    a.max_power_3 = max_power;
    a.ppm_filter_tc_ms = pwr.ppm_filter_time_constant_ms;
    set_first(
        &mut a.ppm_filter_tc_clks.0,
        (ppm_periods * period_ms).wrapping_mul(base_clock_khz),
    );
    a.perf_tgt_utilization = pwr.perf_tgt_utilization;
    a.perf_boost_min_util = pwr.perf_boost_min_util;
    a.perf_boost_ce_step = pwr.perf_boost_ce_step;
    a.perf_reset_iters = pwr.perf_reset_iters;
    a.unk_774 = 6;
    a.unk_778 = 1;
    a.perf_filter_drop_threshold = pwr.perf_filter_drop_threshold;
    a.perf_filter_a_neg = F32::ONE.sub(perf_a);
    a.perf_filter_a2_neg = F32::ONE.sub(perf_a2);
    a.perf_filter_a = perf_a;
    a.perf_filter_a2 = perf_a2;
    a.perf_ki = pwr.perf_integral_gain;
    a.perf_ki2 = pwr.perf_integral_gain2;
    a.perf_integral_min_clamp = F32::from_u32(pwr.perf_integral_min_clamp);
    a.unk_79c = F32::from_u32(95);
    a.perf_kp = pwr.perf_proportional_gain;
    a.perf_kp2 = pwr.perf_proportional_gain2;
    a.boost_state_unk_k = F32::from_u32(max_ps - base_ps).div(F32::from_f32(0.95));
    a.base_pstate_scaled_2 = base_s;
    a.max_pstate_scaled_5 = max_s;
    a.base_pstate_scaled_3 = base_s;
    a.perf_tgt_utilization_2 = pwr.perf_tgt_utilization;
    a.base_pstate_scaled_4 = base_s;
    a.unk_7fc = F32::from_u32(65536);
    a.pwr_min_duty_cycle_2 = F32::from_u32(pwr.pwr_min_duty_cycle);
    a.max_pstate_scaled_6 = F32::from_u32(max_s);
    a.max_freq_mhz = pwr.max_freq_mhz();
    a.pwr_min_duty_cycle_3 = pwr.pwr_min_duty_cycle;
    a.min_pstate_scaled_4 = F32::from_u32(100);
    a.max_pstate_scaled_7 = max_s;
    a.unk_alpha_neg = F32::from_f32(0.8);
    a.unk_alpha = F32::from_f32(0.2);
    a.fast_die0_sensor_mask = U64(soc.fast_sensor_mask[0]);
    a.fast_die0_release_temp_cc = pwr.fast_die0_release_temp.wrapping_mul(100);
    a.unk_87c = soc.da_unk_87c;
    a.unk_880 = 4;
    a.unk_894 = F32::ONE;
    a.fast_die0_ki_dt = pwr.fast_die0_integral_gain.mul(period_s);
    a.unk_8a8 = F32::from_u32(65536);
    a.fast_die0_kp = pwr.fast_die0_proportional_gain;
    a.pwr_min_duty_cycle_4 = pwr.pwr_min_duty_cycle;
    a.max_pstate_scaled_8 = max_s;
    a.max_pstate_scaled_9 = max_s;
    a.fast_die0_prop_tgt_delta = pwr.fast_die0_prop_tgt_delta.wrapping_mul(100);
    a.unk_8cc = soc.da_unk_8cc;
    a.max_pstate_scaled_10 = max_s;
    a.max_pstate_scaled_11 = max_s;
    a.unk_c2c = 1;
    // CAST: at most 5 after validation.
    a.power_zone_count = pwr.power_zones.len() as u32;
    a.max_power_4 = max_power;
    a.max_power_5 = max_power;
    a.max_power_6 = max_power;
    a.avg_power_target_filter_a_neg = F32::ONE.sub(apt_a);
    a.avg_power_target_filter_a = apt_a;
    a.avg_power_target_filter_tc_x4 = pwr.avg_power_target_filter_tc.wrapping_mul(4);
    a.avg_power_target_filter_tc_xperiod = period_ms.wrapping_mul(pwr.avg_power_target_filter_tc);
    set_first(
        &mut a.avg_power_target_filter_tc_clks.0,
        a.avg_power_target_filter_tc_xperiod.wrapping_mul(base_clock_khz),
    );
    a.avg_power_filter_tc_periods_x4 = ap_periods.wrapping_mul(4);
    a.avg_power_filter_a_neg = F32::ONE.sub(ap_a);
    a.avg_power_filter_a = ap_a;
    a.avg_power_ki_dt = pwr.avg_power_ki_only.mul(period_s);
    a.unk_d20 = F32::from_u32(65536);
    a.avg_power_kp = pwr.avg_power_kp;
    a.avg_power_min_duty_cycle = pwr.avg_power_min_duty_cycle;
    a.max_pstate_scaled_12 = max_s;
    a.max_pstate_scaled_13 = max_s;
    a.max_power_7 = F32::from_u32(max_power);
    a.max_power_8 = max_power;
    a.avg_power_filter_tc_ms = pwr.avg_power_filter_tc_ms;
    set_first(
        &mut a.avg_power_filter_tc_clks.0,
        (ap_periods * period_ms).wrapping_mul(base_clock_khz),
    );
    a.max_pstate_scaled_14 = max_s;
    // t81xx block: t8103/t8112 before 13.3 only.
    if matches!(soc.chip_id, 0x8103 | 0x8112) && !HW_V13_3 {
        let t = &mut a.t81xx_data;
        t.unk_d8c = 0x8000_0000;
        t.unk_d90 = 4;
        t.unk_d9c = F32::from_f32(0.6);
        t.unk_da4 = F32::from_f32(0.4);
        t.unk_dac = F32::from_f32(0.385_52);
        t.unk_db8 = F32::from_u32(65536);
        t.unk_dbc = F32::from_f32(13.56);
        t.max_pstate_scaled = max_s;
    }
    if let Some(e) = a.unk_e10_0.first_mut() {
        let fa = inv(pwr.se_filter_time_constant);
        let fa1 = inv(pwr.se_filter_time_constant_1);
        e.unk_38 = 4;
        e.unk_3c = 8000;
        e.gpu_se_inactive_threshold = pwr.se_inactive_threshold;
        e.gpu_se_engagement_criteria = pwr.se_engagement_criteria;
        e.gpu_se_reset_criteria = pwr.se_reset_criteria;
        e.unk_54 = 50;
        e.unk_58 = 1;
        e.gpu_se_filter_a_neg = F32::ONE.sub(fa);
        e.gpu_se_filter_1_a_neg = F32::ONE.sub(fa1);
        e.gpu_se_filter_a = fa;
        e.gpu_se_filter_1_a = fa1;
        e.gpu_se_ki_dt = pwr.se_ki.mul(period_s);
        e.gpu_se_ki_1_dt = pwr.se_ki_1.mul(period_s);
        e.unk_7c = F32::from_u32(65536);
        e.gpu_se_kp = pwr.se_kp;
        e.gpu_se_kp_1 = pwr.se_kp_1;
        e.unk_8c = if HW_V13_3 { 100 } else { 40 };
        e.max_pstate_scaled_1 = max_s;
        e.unk_9c = F32::from_u32(8000);
        e.unk_a0 = 1400;
        e.gpu_se_filter_time_constant_ms = pwr.se_filter_time_constant.wrapping_mul(period_ms);
        e.gpu_se_filter_time_constant_1_ms =
            pwr.se_filter_time_constant_1.wrapping_mul(period_ms);
        e.gpu_se_filter_time_constant_clks =
            U64(u64::from(pwr.se_filter_time_constant) * u64::from(clocks_coarse));
        e.gpu_se_filter_time_constant_1_clks =
            U64(u64::from(pwr.se_filter_time_constant_1) * u64::from(clocks_coarse));
        e.unk_c4 = F32::from_u32(65536);
        e.unk_114 = F32::from_u32(65536);
        e.unk_124 = 40;
        e.max_pstate_scaled_2 = max_s;
    }
    a.fast_die0_sensor_mask_2 = U64(soc.fast_sensor_mask[0]);
    a.unk_e24 = soc.da_unk_e24;
    a.unk_e28 = 1;
    a.fast_die0_sensor_mask_alt = U64(soc.fast_sensor_mask_alt[0]);
    if let Some(p) = a.fast_die0_sensor_present.first_mut() {
        *p = U64(u64::from(soc.fast_die0_sensor_present));
    }
    a.unk_163c = 1;
    fill_shared(soc, &mut a.hws1, &mut a.hws2, &mut a.hws3);
    a.unk_3ce8 = 1;
    for k in a.sram_k.iter_mut().take(pwr.perf_states.len()) {
        *k = soc.sram_k;
    }
    for (d, s) in a.core_leak_coef.iter_mut().zip(pwr.core_leak_coef) {
        *d = *s;
    }
    for (d, s) in a.sram_leak_coef.iter_mut().zip(pwr.sram_leak_coef) {
        *d = *s;
    }
    for i in 0..hw.id.num_clusters as usize {
        if let Some(c) = soc.unk_coef_a.get(i) {
            for (j, v) in c.iter().take(MAX_CORES_PER_CLUSTER).enumerate() {
                a.unk_coef_a1[i][j] = *v;
                a.unk_coef_a2[i][j] = *v;
            }
        }
        if let Some(c) = soc.unk_coef_b.get(i) {
            for (j, v) in c.iter().take(MAX_CORES_PER_CLUSTER).enumerate() {
                a.unk_coef_b1[i][j] = *v;
                a.unk_coef_b2[i][j] = *v;
            }
        }
    }
    for (z, pz) in a.power_zones.iter_mut().zip(pwr.power_zones) {
        let fa = inv(pz.filter_tc);
        z.target = pz.target;
        z.target_off = pz.target - pz.target_offset;
        z.filter_tc_x4 = pz.filter_tc.wrapping_mul(4);
        z.filter_tc_xperiod = period_ms.wrapping_mul(pz.filter_tc);
        z.filter_a = fa;
        z.filter_a_neg = F32::ONE.sub(fa);
        set_first(&mut z.unk_10.0, 1_320_000_000);
    }
    Ok(())
}

/// Fills `b` (all of it) from `hw`. Nothing is written when the inputs are refused.
pub fn fill_hwdata_b(b: &mut HwDataB, hw: &HwInputs<'_>) -> Result<(), HwDataError> {
    hw.validate(IO_MAPPING_COUNT)?;
    let (soc, pwr, id) = (hw.soc, hw.pwr, hw.id);
    zero(b);
    if let Some(x) = b.unk_0.first_mut() {
        *x = U64(0x13_0000_0000);
    }
    b.unk_8 = U64(0x14_0000_0000);
    if let Some(x) = b.unk_10.first_mut() {
        *x = U64(0x1_0000_0000);
    }
    b.unk_18 = U64(0xffc0_0000);
    b.unk_20 = U64(0x11_0000_0000);
    b.unk_28 = U64(0x11_0000_0000);
    b.unk_30 = U64(0x6f_ffff_8000);
    b.unkptr_38 = U64(0xffff_ffa0_1180_0000);
    for (d, s) in b.io_mappings.iter_mut().zip(hw.io_mappings) {
        *d = *s;
    }
    b.chip_id = soc.chip_id;
    b.unk_454 = soc.db_unk_454;
    b.unk_458 = 1;
    b.unk_460 = 1;
    b.unk_464 = 1;
    b.unk_468 = 1;
    b.unk_47c = 1;
    b.unk_484 = 1;
    b.unk_48c = 1;
    b.base_clock_khz = soc.base_clock_hz / 1000;
    b.power_sample_period = pwr.power_sample_period;
    b.unk_49c = 1;
    b.unk_4a0 = 1;
    b.unk_4a4 = 1;
    b.unk_4c0 = 0x1f;
    b.unk_4e0 = U64(soc.db_unk_4e0);
    b.unk_4f0 = 1;
    b.unk_4f4 = 1;
    b.unk_504 = 0x31;
    b.unk_524 = 1;
    b.unk_534 = soc.db_unk_534;
    b.num_frags = id.num_frags.wrapping_mul(id.num_clusters);
    b.unk_554 = 1;
    b.uat_ttb_base = U64(hw.uat_ttb_base);
    // CAST: fieldless enum discriminant.
    b.gpu_core_id = soc.gpu_core as u32;
    b.gpu_rev_id = id.gpu_rev_id;
    b.num_cores = id.num_cores.wrapping_mul(id.num_clusters);
    b.max_pstate = pwr.max_pstate();
    // CAST: at most 16 after validation.
    set_first(&mut b.num_pstates.0, pwr.perf_states.len() as u32);
    set_first(&mut b.min_sram_volt.0, pwr.min_sram_microvolt / 1000);
    set_first(&mut b.unk_ab8.0, soc.db_unk_ab8);
    set_first(&mut b.unk_abc.0, soc.db_unk_abc);
    set_first(&mut b.unk_ac0.0, 0x1020);
    b.unk_ae4 = Array(if HW_V13 { [0, 3, 7, 7] } else { [0, 0xf, 0x3f, 0x3f] });
    b.unk_b10 = 1;
    b.unk_b24 = 1;
    b.unk_b28 = 1;
    b.unk_b2c = 1;
    b.unk_b30 = soc.db_unk_b30;
    set_first(&mut b.unk_b38_0.0, 1);
    set_first(&mut b.unk_b38_4.0, 1);
    b.unk_b38 = Array([0xffff_ffff; 12]);
    set_first(&mut b.unk_c3c.0, if HW_V13_3 { 0x1a } else { 0x19 });
    for (i, v) in b.unk_arr_0.iter_mut().take(16).enumerate() {
        // CAST: i < 16.
        *v = U32(i as u32);
    }
    let base_ps = pwr.perf_base_pstate as usize;
    let base_freq = pwr.perf_states[base_ps].freq_hz;
    let max_freq = pwr.perf_states[pwr.max_pstate() as usize].freq_hz;
    let boost_step = max_freq.saturating_sub(base_freq) / 100;
    let min_sram_mv = pwr.min_sram_microvolt / 1000;
    let max_power = pwr.max_power_mw();
    for (i, ps) in pwr.perf_states.iter().enumerate() {
        b.frequencies[i] = ps.freq_hz / 1_000_000;
        for j in 0..8 {
            let mv = ps.volt_mv[if j < ps.num_volts { j } else { 0 }];
            b.voltages[i][j] = mv;
            b.voltages_sram[i][j] = mv.max(min_sram_mv);
        }
        b.sram_k[i] = soc.sram_k;
        b.rel_max_powers[i] = ps.pwr_mw.wrapping_mul(100) / max_power;
        b.rel_boost_freqs[i] = if i > base_ps && boost_step != 0 {
            ps.freq_hz.saturating_sub(base_freq) / boost_step
        } else {
            0
        };
    }
    Ok(())
}

/// Fills `g` (all of it) from `hw`; `fault_control` is the driver's setting (downstream's
/// module parameter, default 0xb). Nothing is written when the inputs are refused.
pub fn fill_globals(g: &mut Globals, hw: &HwInputs<'_>, fault_control: u32) -> Result<(), HwDataError> {
    hw.validate(IO_MAPPING_COUNT)?;
    let (soc, pwr) = (hw.soc, hw.pwr);
    zero(g);
    let period_ms = pwr.power_sample_period;
    let period_s = F32::from_u32(period_ms).div(F32::from_u32(1000));
    let max_s = 100 * pwr.max_pstate();
    set_first(&mut g.unk_24_0.0, 3000);
    g.unk_28 = 1;
    set_first(&mut g.unk_2c_0.0, if HW_G14X { 1 } else { 0 });
    g.unk_2c = 1;
    g.unk_34 = 120;
    g.sub.unk_54 = soc.global_unk_54;
    g.sub.unk_56 = 40;
    g.sub.unk_58 = 0xffff;
    g.sub.unk_5e = U32(1);
    g.sub.unk_66 = U32(1);
    g.unk_8900 = 1;
    g.max_power = pwr.max_power_mw();
    g.max_pstate_scaled = max_s;
    g.max_pstate_scaled_2 = max_s;
    g.max_pstate_scaled_3 = max_s;
    // CAST: at most 5 after validation.
    g.power_zone_count = pwr.power_zones.len() as u32;
    // `period_ms` is non-zero after validation; `checked_div` keeps a division-by-zero panic
    // out of the kernel build (6.12's objtool does not know `panic_const_div_by_zero` never
    // returns, and warns when it ends a function).
    g.avg_power_filter_tc_periods = pwr
        .avg_power_filter_tc_ms
        .checked_div(period_ms)
        .unwrap_or(0);
    g.avg_power_ki_dt = pwr.avg_power_ki_only.mul(period_s);
    g.avg_power_kp = pwr.avg_power_kp;
    g.avg_power_min_duty_cycle = pwr.avg_power_min_duty_cycle;
    g.avg_power_target_filter_tc = pwr.avg_power_target_filter_tc;
    g.unk_89bc = soc.da_unk_8cc;
    g.fast_die0_release_temp = pwr.fast_die0_release_temp.wrapping_mul(100);
    g.unk_89c4 = soc.da_unk_87c;
    g.fast_die0_prop_tgt_delta = pwr.fast_die0_prop_tgt_delta.wrapping_mul(100);
    g.fast_die0_kp = pwr.fast_die0_proportional_gain;
    g.fast_die0_ki_dt = pwr.fast_die0_integral_gain.mul(period_s);
    g.unk_89e0 = 1;
    g.max_power_2 = pwr.max_power_mw();
    g.ppm_kp = pwr.ppm_kp;
    g.ppm_ki_dt = pwr.ppm_ki.mul(period_s);
    set_first(&mut g.unk_89f4_8.0, 1);
    fill_shared(soc, &mut g.hws1, &mut g.hws2, &mut g.hws3);
    set_first(&mut g.idle_off_standby_timer.0, pwr.idle_off_standby_timer);
    if let Some(t) = soc.unk_hws2_4 {
        for (d, s) in g.unk_hws2_4.iter_mut().zip(t) {
            *d = s;
        }
    }
    set_first(&mut g.unk_hws2_24.0, soc.unk_hws2_24);
    g.unk_900c = 1;
    set_first(&mut g.unk_9010_0.0, 1);
    g.unk_903c = if HW_V13 { 1 } else { 0 };
    g.fault_control = fault_control;
    g.do_init = 1;
    g.unk_11020 = 40;
    g.unk_11024 = 10;
    g.unk_11028 = 250;
    set_first(&mut g.unk_1102c_0.0, 1);
    set_first(&mut g.unk_1102c_4.0, 1);
    set_first(&mut g.unk_1102c_8.0, 100);
    set_first(&mut g.unk_1102c_c.0, 1);
    g.idle_off_delay_ms = pwr.idle_off_delay_ms;
    g.fender_idle_off_delay_ms = pwr.fender_idle_off_delay_ms;
    g.fw_early_wake_timeout_ms = pwr.fw_early_wake_timeout_ms;
    g.unk_118e0 = 40;
    set_first(&mut g.unk_118e4_0.0, 50);
    for (z, pz) in g.power_zones.iter_mut().zip(pwr.power_zones) {
        z.target = pz.target;
        z.target_off = pz.target - pz.target_offset;
        z.filter_tc = pz.filter_tc;
    }
    if let Some(tab) = soc.global_tab {
        for (d, s) in g.unk_118ec.iter_mut().zip(tab) {
            *d = *s;
        }
        g.unk_118e8 = 1;
    }
    Ok(())
}

fn copy_blob<T: Plain>(out: &mut T, blob: &[u8]) -> Result<(), HwDataError> {
    let dst = super::super::plain::bytes_of_mut(out);
    if blob.len() != dst.len() {
        return Err(HwDataError::BlobSize {
            expected: dst.len(),
            got: blob.len(),
        });
    }
    dst.copy_from_slice(blob);
    Ok(())
}

/// Takes HwDataA from an `hw-cal-a` blob (all of it), refusing a blob of another size.
pub fn load_hwdata_a(out: &mut HwDataA, blob: &[u8]) -> Result<(), HwDataError> {
    copy_blob(out, blob)
}

/// Takes HwDataB from an `hw-cal-b` blob, then writes the driver's own MMIO mappings and the
/// SGX SRAM address (13.0b4 and later) over it, as downstream `load_hwdata_blob` + `iomap` do.
pub fn load_hwdata_b(
    out: &mut HwDataB,
    blob: &[u8],
    io_mappings: &[IoMapping],
    sgx_sram: Option<u64>,
) -> Result<(), HwDataError> {
    if io_mappings.len() > IO_MAPPING_COUNT {
        return Err(HwDataError::IoMappings);
    }
    copy_blob(out, blob)?;
    for (i, d) in out.io_mappings.iter_mut().enumerate() {
        *d = io_mappings.get(i).copied().unwrap_or_default();
    }
    if let (Some(p), Some(addr)) = (out.sgx_sram_ptr.first_mut(), sgx_sram) {
        *p = U64(addr);
    }
    Ok(())
}

/// Takes Globals from a `globals` blob, then sets `fault_control` and clears
/// `pending_submissions`, as downstream `load_hwdata_blob` does.
pub fn load_globals(out: &mut Globals, blob: &[u8], fault_control: u32) -> Result<(), HwDataError> {
    copy_blob(out, blob)?;
    out.fault_control = fault_control;
    out.pending_submissions = 0;
    Ok(())
}

/// The m1n1 role: the bytes of the `hw-cal-a` blob for `hw` (built in `scratch`).
pub fn hw_cal_a_blob<'s>(scratch: &'s mut HwDataA, hw: &HwInputs<'_>) -> Result<&'s [u8], HwDataError> {
    fill_hwdata_a(scratch, hw)?;
    Ok(super::super::plain::bytes_of(scratch))
}

/// The m1n1 role: the bytes of the `hw-cal-b` blob for `hw` (built in `scratch`).
pub fn hw_cal_b_blob<'s>(scratch: &'s mut HwDataB, hw: &HwInputs<'_>) -> Result<&'s [u8], HwDataError> {
    fill_hwdata_b(scratch, hw)?;
    Ok(super::super::plain::bytes_of(scratch))
}

/// The m1n1 role: the bytes of the `globals` blob for `hw` (built in `scratch`; m1n1 leaves
/// `fault_control` to the driver, so it is 0 here).
pub fn globals_blob<'s>(scratch: &'s mut Globals, hw: &HwInputs<'_>) -> Result<&'s [u8], HwDataError> {
    fill_globals(scratch, hw, 0)?;
    Ok(super::super::plain::bytes_of(scratch))
}
