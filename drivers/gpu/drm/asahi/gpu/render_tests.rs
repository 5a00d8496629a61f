// SPDX-License-Identifier: GPL-2.0 OR MIT

//! KUnit tests of the render commands' encodings: what `RunVertex` and `RunFragment` carry for
//! Mesa-shaped render passes. Expected figures follow reference `firmware-commands.md` §2.4,
//! §2.5 and §3.2 (downstream `submit_render`/`get_tiling_params`), worked out by hand below for
//! 1920×1080: 60×34 tiles, 16×12 tiles per macro-tile (⌈60/4⌉ = 15 and ⌈34/4⌉ = 9, each
//! aligned to 4), rgn_size = 5·192/4 = 240 words.

use super::*;
use crate::fw::engine::tiling::RenderGeometry;
use crate::kernel_ext::kunit::{expect_eq, kunit_suite, Context};

const VDM: u64 = 0x15_0000_4000;
const USC: u64 = 0x11_0000_0000;
const TS: (u64, u64) = (0xffff_ffae_1000_0040, 0xffff_ffae_1000_0048);

/// A render pass as Mesa's `agx_device.c` fills it, `w`×`h`, `layers`, `samples`, utile `u`.
fn args(w: u16, h: u16, layers: u16, samples: u8, u: (u8, u8), flags: u32) -> Result<RenderArgs> {
    let mut cmd: bindings::drm_asahi_cmd_render = crate::fwmem::zeroed();
    cmd.flags = flags;
    cmd.vdm_ctrl_stream_base = VDM;
    cmd.width_px = w;
    cmd.height_px = h;
    cmd.layers = layers;
    cmd.samples = samples;
    cmd.utile_width_px = u.0;
    cmd.utile_height_px = u.1;
    cmd.sample_size_B = 8;
    cmd.ppp_ctrl = 0x0032_0000;
    cmd.ppp_multisamplectl = 0x88;
    cmd.vertex_helper.binary = 0x4001;
    cmd.vertex_helper.cfg = 0x18;
    cmd.vertex_helper.data = 0x15_0000_8000;
    cmd.fragment_helper.binary = 0x5001;
    cmd.fragment_helper.cfg = 0x28;
    cmd.fragment_helper.data = 0x15_0000_9000;
    cmd.sampler_heap = 0x15_0001_0000;
    cmd.sampler_count = 3;
    cmd.depth.base = 0x15_0010_0000;
    cmd.depth.comp_base = 0x15_0020_0000;
    cmd.depth.stride = 0x7e_9000;
    cmd.depth.comp_stride = 0x1_0000;
    cmd.stencil.base = 0x15_0030_0000;
    cmd.stencil.comp_base = 0x15_0040_0000;
    cmd.stencil.stride = 0x1f_a400;
    cmd.stencil.comp_stride = 0x8000;
    cmd.zls_ctrl = 0x0010_0000_0003;
    cmd.isp_zls_pixels = (u32::from(h - 1) << 15) | u32::from(w - 1);
    cmd.bg = bindings::drm_asahi_bg_eot {
        usc: 0x6001,
        rsrc_spec: 0x20,
    };
    cmd.eot = bindings::drm_asahi_bg_eot {
        usc: 0x7001,
        rsrc_spec: 0x30,
    };
    cmd.partial_bg = bindings::drm_asahi_bg_eot {
        usc: 0x8001,
        rsrc_spec: 0x40,
    };
    cmd.partial_eot = bindings::drm_asahi_bg_eot {
        usc: 0x9001,
        rsrc_spec: 0x50,
    };
    cmd.isp_bgobjdepth = 0x3f80_0000;
    cmd.isp_bgobjvals = 0x12;
    cmd.isp_merge_upper_x = 0x4556_0000;
    cmd.isp_merge_upper_y = 0x4511_0000;
    let geom = RenderGeometry {
        width: w.into(),
        height: h.into(),
        layers: layers.into(),
        samples: samples.into(),
        utile_width: u.0.into(),
        utile_height: u.1.into(),
    };
    let tiles = TileInfo::new(&geom, 1).map_err(|_| EINVAL)?;
    Ok(RenderArgs {
        cmd,
        tiles,
        attachments: Attachments::default(),
    })
}

fn vertex_1080p(ctx: &mut Context) -> Result {
    let a = args(
        1920,
        1080,
        1,
        1,
        (32, 32),
        bindings::DRM_ASAHI_RENDER_VERTEX_SCRATCH,
    )?;
    let mut run = KBox::new(crate::fwmem::zeroed::<fwv::RunVertex>(), GFP_KERNEL)?;
    fill_vertex(&mut run, &a, &crate::hw::t8103::HWCONFIG, 5, USC, TS);
    expect_eq!(ctx, { run.tag }, 0);
    expect_eq!(ctx, { run.vm_slot }, 5);
    let p = &run.job_params1.0[0];
    expect_eq!(ctx, { p.vdm_ctrl_stream_base.0 }, VDM);
    expect_eq!(ctx, { p.usc_exec_base_ta.0 }, USC);
    // utile_config = (32/16)<<12 | (32/16)<<14 | log2(1).
    expect_eq!(ctx, { p.utile_config }, 0xa000);
    expect_eq!(ctx, { p.ppp_multisamplectl.0 }, 0x88);
    expect_eq!(ctx, { p.helper_program }, 0x4001);
    expect_eq!(ctx, { p.helper_arg.0 }, 0x15_0000_8000);
    expect_eq!(
        ctx,
        (p.unk_0.0, p.unk_8, p.unk_c),
        (0x200, 0x1e3c_e508, 0x1e3c_e508)
    );
    expect_eq!(ctx, { p.unk_30.0 }, 0x3a_0012_006b_0003);
    expect_eq!(ctx, { p.tvb_heapmeta.va() }, 1 << 63);
    expect_eq!(ctx, { p.preempt_buf3.va() }, 0x4_0000_0000_0000);
    expect_eq!(ctx, (p.unk_f8.0, p.unk_118), (0x8c60, 0x1c));
    // t8103 tiling_control 0xa041 (its clustering-off bit is already set); one cluster of 8
    // cores: core mask 0xff.
    expect_eq!(ctx, { p.tiling_control.0[0].0 }, 0xa041);
    expect_eq!(ctx, (p.core_mask.0[0].0, p.core_mask.0[1].0), (0xff, 0));
    expect_eq!(ctx, { p.unk_f0.0[0].0 }, 0x1c);
    let t = &run.tiling_params.0[0];
    expect_eq!(ctx, { t.rgn_size }, 240);
    expect_eq!(ctx, (t.unk_4, t.unk_24), (0x88, 0x100));
    expect_eq!(ctx, { t.ppp_ctrl }, 0x0032_0000);
    expect_eq!(ctx, (t.x_max, t.y_max), (1919, 1079));
    // te_screen = (34 − 1) << 12 | (60 − 1).
    expect_eq!(ctx, { t.te_screen }, 0x2_103b);
    // te_mtile = 3m | 2m << 9 | m << 18, m = 16 across and 12 down.
    expect_eq!(ctx, { t.te_mtile1 }, 0x40_4030);
    expect_eq!(ctx, { t.te_mtile2 }, 0x30_3024);
    expect_eq!(ctx, { t.tiles_per_mtile }, 192);
    // tpc_stride = 8 · 1 · 192 / 4; tpc_size = 4 · 384 · 16 macro-tiles.
    expect_eq!(ctx, { t.tpc_stride }, 384);
    expect_eq!(ctx, { run.tpc_size.0 }, 0x6000);
    expect_eq!(ctx, { t.unk_28 }, 0x8000);
    expect_eq!(ctx, { t.helper_cfg }, 0x18);
    expect_eq!(ctx, { run.uses_scratch }, 1);
    let e = &run.encoder_params;
    expect_eq!(ctx, { e.sampler_array.va() }, 0x15_0001_0000);
    expect_eq!(ctx, (e.sampler_count, e.sampler_max), (3, 4));
    expect_eq!(ctx, { e.unk_mask }, 0xffff_ffff);
    expect_eq!(ctx, { run.timestamp_pointers.start_addr.va() }, TS.0);
    expect_eq!(ctx, { run.timestamp_pointers.end_addr.va() }, TS.1);
    Ok(())
}

fn fragment_1080p(ctx: &mut Context) -> Result {
    let a = args(1920, 1080, 1, 1, (32, 32), 0)?;
    let mut run = KBox::new(crate::fwmem::zeroed::<fwv::RunFragment>(), GFP_KERNEL)?;
    fill_fragment(&mut run, &a, 7, USC, TS);
    expect_eq!(ctx, (run.tag, run.vm_slot, run.samples), (1, 7, 1));
    expect_eq!(ctx, { run.tile_count.0 }, 2040);
    expect_eq!(
        ctx,
        (run.tiles_per_mtile_x, run.tiles_per_mtile_y),
        (16, 12)
    );
    expect_eq!(
        ctx,
        (run.isp_merge_upper_x, run.isp_merge_upper_y),
        (0x4556_0000, 0x4511_0000)
    );
    let p = &run.job_params1.0[0];
    expect_eq!(ctx, { p.utile_config }, 0xa000);
    expect_eq!(ctx, (p.bg.rsrc_spec.0, p.bg.address.0), (0x20, 0x6001));
    expect_eq!(ctx, { p.aux_fb_info.isp_ctl }, 0xc000);
    expect_eq!(
        ctx,
        (p.aux_fb_info.width, p.aux_fb_info.height),
        (1920, 1080)
    );
    expect_eq!(ctx, { p.aux_fb_info.unk_10.0[0].0 }, 0x10_0000);
    expect_eq!(ctx, { p.isp_zls_pixels.0 }, (1079 << 15) | 1919);
    expect_eq!(
        ctx,
        (p.z_load.0, p.z_store.0),
        (0x15_0010_0000, 0x15_0010_0000)
    );
    expect_eq!(
        ctx,
        (p.s_load.0, p.s_store.0),
        (0x15_0030_0000, 0x15_0030_0000)
    );
    expect_eq!(
        ctx,
        (p.z_load_stride.0, p.s_store_stride.0),
        (0x7e_9000, 0x1f_a400)
    );
    expect_eq!(
        ctx,
        (p.z_store_comp.0, p.z_load_comp_stride.0),
        (0x15_0020_0000, 0x1_0000)
    );
    expect_eq!(
        ctx,
        (p.s_load_comp.0, p.s_store_comp_stride.0),
        (0x15_0040_0000, 0x8000)
    );
    expect_eq!(ctx, { p.zls_ctrl.0 }, 0x0010_0000_0003);
    // (4 · rgn_size) << 24.
    expect_eq!(ctx, { p.mtile_stride_dwords.0 }, 960 << 24);
    expect_eq!(ctx, { p.tile_config.0 }, 0x280);
    expect_eq!(ctx, { p.usc_exec_base_isp.0 }, USC);
    expect_eq!(
        ctx,
        (p.helper_program, p.helper_arg.0),
        (0x5001, 0x15_0000_9000)
    );
    expect_eq!(ctx, (p.unk_140.0, p.unk_158.0), (0x8c60, 0x1c));
    let p = &run.job_params2.0[0];
    expect_eq!(ctx, (p.eot_rsrc_spec, p.eot_usc), (0x30, 0x7001));
    expect_eq!(ctx, (p.utiles_per_mtile_x, p.utiles_per_mtile_y), (16, 12));
    expect_eq!(ctx, { p.tile_counts }, 0x2_103b);
    // ⌈8 bytes · 32 · 32 · 1 sample / 2048⌉.
    expect_eq!(ctx, { p.tib_blocks }, 4);
    expect_eq!(
        ctx,
        (p.isp_bgobjdepth, p.isp_bgobjvals),
        (0x3f80_0000, 0x412)
    );
    expect_eq!(ctx, (p.unk_3c, p.helper_cfg), (1, 0x28));
    let p = &run.job_params3;
    expect_eq!(
        ctx,
        (p.isp_bgobjvals, p.sample_size, p.tib_blocks),
        (0x12, 8, 4)
    );
    expect_eq!(
        ctx,
        (p.partial_bg.rsrc_spec.0, p.partial_bg.address.0),
        (0x40, 0x8001)
    );
    expect_eq!(
        ctx,
        (p.partial_eot.rsrc_spec, p.partial_eot.address),
        (0x50, 0x9001)
    );
    expect_eq!(
        ctx,
        (p.z_partial.0, p.s_partial.0),
        (0x15_0010_0000, 0x15_0030_0000)
    );
    expect_eq!(ctx, { p.z_partial_stride.0 }, 0x7e_9000);
    expect_eq!(ctx, { p.isp_zls_pixels.0 }, (1079 << 15) | 1919);
    expect_eq!(
        ctx,
        (run.process_empty_tiles, run.no_clear_pipeline_textures),
        (0, 1)
    );
    expect_eq!(ctx, { run.unk_8f4.0 }, 1);
    expect_eq!(ctx, { run.timestamp_pointers.end_addr.va() }, TS.1);
    Ok(())
}

/// Several layers, 4× MSAA with 16×16 utiles and the flags that change the encodings.
fn fragment_layers_msaa_flags(ctx: &mut Context) -> Result {
    let flags =
        bindings::DRM_ASAHI_RENDER_PROCESS_EMPTY_TILES | bindings::DRM_ASAHI_RENDER_DBIAS_IS_INT;
    let a = args(800, 600, 6, 4, (16, 16), flags)?;
    let mut run = KBox::new(crate::fwmem::zeroed::<fwv::RunFragment>(), GFP_KERNEL)?;
    fill_fragment(&mut run, &a, 7, USC, (0, 0));
    let p = &run.job_params1.0[0];
    // (16/16)<<12 | (16/16)<<14 | log2(4).
    expect_eq!(ctx, { p.utile_config }, 0x5002);
    // 0x280 | several layers | process empty tiles.
    expect_eq!(ctx, { p.tile_config.0 }, 0x1_0281);
    // 0xc000 | DBIAS_IS_INT (bit 18).
    expect_eq!(ctx, { p.aux_fb_info.isp_ctl }, 0x4_c000);
    // ⌈8 · 16 · 16 · 4 / 2048⌉.
    expect_eq!(ctx, { run.job_params2.0[0].tib_blocks }, 4);
    expect_eq!(ctx, { run.process_empty_tiles }, 1);
    expect_eq!(ctx, { run.samples }, 4);
    expect_eq!(ctx, { run.timestamp_pointers.start_addr.va() }, 0);
    let mut vtx = KBox::new(crate::fwmem::zeroed::<fwv::RunVertex>(), GFP_KERNEL)?;
    fill_vertex(&mut vtx, &a, &crate::hw::t8103::HWCONFIG, 5, USC, (0, 0));
    // 0xe000 | (layers − 1).
    expect_eq!(ctx, { vtx.tiling_params.0[0].unk_28 }, 0xe005);
    expect_eq!(ctx, { vtx.uses_scratch }, 0);
    Ok(())
}

kunit_suite!(
    asahi_render,
    [vertex_1080p, fragment_1080p, fragment_layers_msaa_flags]
);
