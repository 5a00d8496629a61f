//! Render commands shaped like Mesa's: `drm_asahi_cmd_render` with the framebuffer, tiling,
//! ZLS, background/end-of-tile and helper fields filled as Mesa's `agx_device.c` and
//! `hk_cmd_draw.c` fill them for a render pass, and a patch that gives every render command of a
//! command buffer such a framebuffer (the kernel refuses render passes the hardware cannot tile:
//! zero or oversize framebuffers, bad sample counts, layers or utile sizes).

use asahi_uapi::bindings::*;
use asahi_uapi::CommandBuffer;
use std::mem::offset_of;

/// A render pass's framebuffer.
#[derive(Clone, Copy, Debug)]
pub struct Geometry {
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Layers.
    pub layers: u16,
    /// Samples per pixel.
    pub samples: u8,
    /// Tilebuffer tile (utile) size in pixels.
    pub utile: (u8, u8),
}

/// What Mesa submits for a 1080p single-sample pass: 32×32 utiles.
pub const FULL_HD: Geometry = Geometry {
    width: 1920,
    height: 1080,
    layers: 1,
    samples: 1,
    utile: (32, 32),
};

/// A render command for a pass of geometry `g` whose VDM stream is at `vdm`, with depth and
/// stencil buffers, background/end-of-tile programs and helpers at addresses under `zls`.
pub fn mesa_render(vdm: u64, zls: u64, g: &Geometry) -> drm_asahi_cmd_render {
    let zbuf = |base: u64| drm_asahi_zls_buffer {
        base,
        comp_base: base + 0x8000,
        stride: u32::from(g.width) * u32::from(g.height) * 4,
        comp_stride: 0x1000,
    };
    let prog = |usc: u32| drm_asahi_bg_eot {
        usc,
        rsrc_spec: 0x0080_0010,
    };
    let mut r = drm_asahi_cmd_render {
        vdm_ctrl_stream_base: vdm,
        depth: zbuf(zls),
        stencil: zbuf(zls + 0x1_0000),
        // Z and S load/store enables, as Mesa sets them for a cleared, stored depth buffer.
        zls_ctrl: 0x0003_0000_0000_0a41,
        ppp_multisamplectl: 0x88,
        ppp_ctrl: 0x0032_0000,
        width_px: g.width,
        height_px: g.height,
        layers: g.layers,
        utile_width_px: g.utile.0,
        utile_height_px: g.utile.1,
        samples: g.samples,
        sample_size_B: 8,
        isp_zls_pixels: ((u32::from(g.height).saturating_sub(1)) << 15)
            | u32::from(g.width).saturating_sub(1),
        // tan(60°) × 1920 and × 1080 as f32 bits (Mesa computes these on the CPU).
        isp_merge_upper_x: 0x4550_0000,
        isp_merge_upper_y: 0x44ea_0000,
        bg: prog(0x1001),
        eot: prog(0x2001),
        partial_bg: prog(0x3001),
        partial_eot: prog(0x4001),
        isp_bgobjdepth: 0x3f80_0000,
        isp_bgobjvals: 0x300,
        ..Default::default()
    };
    r.vertex_helper.cfg = 0;
    r.fragment_helper.cfg = 0;
    r
}

/// A command buffer holding one render command `r` with these barriers.
pub fn render_cmdbuf(r: &drm_asahi_cmd_render, vdm_barrier: u16, cdm_barrier: u16) -> Vec<u8> {
    let mut c = CommandBuffer::new();
    c.push_render(vdm_barrier, cdm_barrier, r);
    c.as_bytes().to_vec()
}

/// Sets the framebuffer fields of the render payload `p` (zero-extended bytes of a
/// `drm_asahi_cmd_render`) to `g`; fields past its end are left out.
pub fn set_geometry(p: &mut [u8], g: &Geometry) {
    let mut put = |at: usize, b: &[u8]| {
        if let Some(d) = p.get_mut(at..at + b.len()) {
            d.copy_from_slice(b);
        }
    };
    put(
        offset_of!(drm_asahi_cmd_render, width_px),
        &g.width.to_le_bytes(),
    );
    put(
        offset_of!(drm_asahi_cmd_render, height_px),
        &g.height.to_le_bytes(),
    );
    put(
        offset_of!(drm_asahi_cmd_render, layers),
        &g.layers.to_le_bytes(),
    );
    put(
        offset_of!(drm_asahi_cmd_render, utile_width_px),
        &[g.utile.0],
    );
    put(
        offset_of!(drm_asahi_cmd_render, utile_height_px),
        &[g.utile.1],
    );
    put(offset_of!(drm_asahi_cmd_render, samples), &[g.samples]);
}

/// `cmdbuf` with every render command's framebuffer set to `g` (commands are walked by their
/// headers; a truncated one ends the walk).
pub fn with_geometry(mut cmdbuf: Vec<u8>, g: &Geometry) -> Vec<u8> {
    let mut at = 0;
    while let Some(h) = cmdbuf.get(at..at + 8) {
        let ty = u16::from_le_bytes([h[0], h[1]]);
        let size = usize::from(u16::from_le_bytes([h[2], h[3]]));
        let start = at + 8;
        if u32::from(ty) == DRM_ASAHI_CMD_RENDER {
            if let Some(p) = cmdbuf.get_mut(start..start + size) {
                set_geometry(p, g);
            }
        }
        at = start + size;
    }
    cmdbuf
}

/// Whether the kernel can tile a pass of geometry `g` (what it refuses with EINVAL otherwise):
/// 1 to 16384 pixels each way, 1 to 2048 layers, 1, 2 or 4 samples, 32×32, 32×16 or 16×16
/// utiles.
pub fn tileable(g: &Geometry) -> bool {
    (1..=16384).contains(&g.width)
        && (1..=16384).contains(&g.height)
        && (1..=2048).contains(&g.layers)
        && [1, 2, 4].contains(&g.samples)
        && [(32, 32), (32, 16), (16, 16)].contains(&g.utile)
}
