//! Render commands shaped like Mesa's become the firmware's `RunVertex` and `RunFragment` with
//! their microsequences, which the virtual AGX runs: a 1080p pass completes with its vertex and
//! fragment timestamps written where the command asked, in order (the fragment half after the
//! vertex half); other shapes the hardware tiles (layers, MSAA, smaller utiles, the limits)
//! complete too; framebuffers it cannot tile are refused with EINVAL, with nothing of the
//! submit run and the queue still working afterwards.

use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA, PAGE};
use asahi_guest_tests::render::{self, Geometry, FULL_HD};
use asahi_guest_tests::{errno, Tap};
use asahi_uapi::bindings::*;
use asahi_uapi::CommandBuffer;
use std::io;

const EINVAL: i32 = libc::EINVAL;
/// Byte offset in the data buffer of the timestamp page (bound as a timestamp object).
const TS_PAGE: u64 = 8 * PAGE;

/// Binds the data buffer's timestamp page as a timestamp object; returns its handle.
fn bind_timestamps(ctx: &Ctx) -> io::Result<u32> {
    let mut a = drm_asahi_gem_bind_object {
        op: DRM_ASAHI_BIND_OBJECT_OP_BIND,
        flags: DRM_ASAHI_BIND_OBJECT_USAGE_TIMESTAMPS,
        handle: ctx.data,
        offset: TS_PAGE,
        range: PAGE,
        ..Default::default()
    };
    ctx.dev.gem_bind_object(&mut a).map(|_| a.object_handle)
}

/// Reads the `u64` at `off` of the timestamp page.
fn ts(ctx: &Ctx, off: u32) -> u64 {
    let mut b = [0u8; 8];
    ctx.data_map
        .read((TS_PAGE + u64::from(off)) as usize, &mut b);
    u64::from_le_bytes(b)
}

/// Submits `cmd` signalling a new syncobj, waits, and returns the fence status.
fn run(ctx: &Ctx, cmd: &[u8]) -> io::Result<i32> {
    let so = ctx.dev.syncobj_create(0)?;
    let r = ctx
        .dev
        .submit(ctx.queue, &[], &[gpu::sync(so)], cmd)
        .and_then(|_| gpu::wait(&ctx.dev, so))
        .and_then(|_| gpu::fence_status(&ctx.dev, so));
    ctx.dev.syncobj_destroy(so)?;
    r
}

/// Timestamps of the vertex (start, end at `base`, `base + 8`) and fragment (`base + 16`,
/// `base + 24`) halves in timestamp object `obj`.
fn with_ts(r: &mut drm_asahi_cmd_render, obj: u32, base: u32) {
    let t = |offset| drm_asahi_timestamp {
        handle: obj,
        offset,
    };
    r.ts_vtx.start = t(base);
    r.ts_vtx.end = t(base + 8);
    r.ts_frag.start = t(base + 16);
    r.ts_frag.end = t(base + 24);
}

fn main() {
    let mut tap = Tap::new();
    let mut ctx = tap.require(Ctx::new(), "context");
    let obj = tap.require(bind_timestamps(&ctx), "a timestamp object");
    let zls = DATA_VA + 16 * PAGE;

    // A Mesa-shaped 1080p pass: the vertex stream copies a marker, timestamps of both halves.
    ctx.data_map.write(0, &0x5eed_f00d_u32.to_le_bytes());
    let vs = ctx.put_vdm(&[(op::COPY, DATA_VA + 4, DATA_VA, 4)]);
    let mut r = render::mesa_render(vs, zls, &FULL_HD);
    with_ts(&mut r, obj, 0x40);
    let st = run(&ctx, &render::render_cmdbuf(&r, 0xffff, 0xffff));
    tap.ok(
        matches!(st, Ok(1)),
        format_args!("a 1920x1080 1-sample 1-layer render completes without error ({st:?})"),
    );
    tap.ok(
        ctx.read_u32(4) == 0x5eed_f00d,
        format_args!(
            "its vertex half ran the VDM stream vdm_ctrl_stream_base names ({:#x})",
            ctx.read_u32(4)
        ),
    );
    let t: Vec<u64> = (0..4).map(|i| ts(&ctx, 0x40 + 8 * i)).collect();
    tap.ok(
        t.iter().all(|x| *x != 0) && t.windows(2).all(|w| w[0] <= w[1]),
        format_args!(
            "vertex start <= vertex end <= fragment start <= fragment end, all written ({t:x?})"
        ),
    );
    let around = [ts(&ctx, 0x38), ts(&ctx, 0x60)];
    tap.ok(
        around == [0, 0],
        format_args!("nothing is written beside the four timestamps asked for ({around:x?})"),
    );

    // Without timestamps (shorter microsequences), with vertex and fragment attachments.
    let mut c = CommandBuffer::new();
    let att = |p: u64| drm_asahi_attachment {
        pointer: p,
        size: 4096,
        ..Default::default()
    };
    c.push_attachments(DRM_ASAHI_SET_VERTEX_ATTACHMENTS, &[att(zls)]);
    c.push_attachments(
        DRM_ASAHI_SET_FRAGMENT_ATTACHMENTS,
        &[att(zls), att(zls + PAGE)],
    );
    c.push_render(0xffff, 0xffff, &render::mesa_render(vs, zls, &FULL_HD));
    let st = run(&ctx, c.as_bytes());
    tap.ok(
        matches!(st, Ok(1)),
        format_args!("a render with vertex and fragment attachments, no timestamps ({st:?})"),
    );

    // Other shapes the hardware tiles, up to the limits, each timestamped.
    let shapes = [
        (800, 600, 6, 4, (16, 16)),
        (1920, 1080, 1, 2, (32, 16)),
        (16384, 16384, 1, 1, (32, 32)),
        (1, 1, 2048, 4, (16, 16)),
    ];
    for (i, (w, h, layers, samples, utile)) in shapes.into_iter().enumerate() {
        let g = Geometry {
            width: w,
            height: h,
            layers,
            samples,
            utile,
        };
        let mut r = render::mesa_render(vs, zls, &g);
        // CAST: four shapes.
        let base = 0x100 + 0x20 * i as u32;
        with_ts(&mut r, obj, base);
        let st = run(&ctx, &render::render_cmdbuf(&r, 0xffff, 0xffff));
        let t: Vec<u64> = (0..4).map(|k| ts(&ctx, base + 8 * k)).collect();
        tap.ok(
            matches!(st, Ok(1)) && t.iter().all(|x| *x != 0) && t.windows(2).all(|w| w[0] <= w[1]),
            format_args!("{w}x{h}, {layers} layers, {samples} samples, {utile:?} utiles: completes, timestamps in order ({st:?}, {t:x?})"),
        );
    }

    // Framebuffers the hardware cannot tile: EINVAL, and the compute command before the render
    // in the same submit does not run.
    let bad: [(&str, Geometry); 11] = [
        (
            "width 0",
            Geometry {
                width: 0,
                ..FULL_HD
            },
        ),
        (
            "height 0",
            Geometry {
                height: 0,
                ..FULL_HD
            },
        ),
        (
            "width 16385",
            Geometry {
                width: 16385,
                ..FULL_HD
            },
        ),
        (
            "height 16385",
            Geometry {
                height: 16385,
                ..FULL_HD
            },
        ),
        (
            "65535x65535",
            Geometry {
                width: 0xffff,
                height: 0xffff,
                ..FULL_HD
            },
        ),
        (
            "samples 3",
            Geometry {
                samples: 3,
                ..FULL_HD
            },
        ),
        (
            "samples 0",
            Geometry {
                samples: 0,
                ..FULL_HD
            },
        ),
        (
            "samples 8",
            Geometry {
                samples: 8,
                ..FULL_HD
            },
        ),
        (
            "layers 0",
            Geometry {
                layers: 0,
                ..FULL_HD
            },
        ),
        (
            "layers 2049",
            Geometry {
                layers: 2049,
                ..FULL_HD
            },
        ),
        (
            "utile 8x8",
            Geometry {
                utile: (8, 8),
                ..FULL_HD
            },
        ),
    ];
    let marker = ctx.put_stream(&[(op::WRITE32, DATA_VA + 0x100, 0xbad, 0)]);
    for (what, g) in bad {
        let mut c = CommandBuffer::new();
        c.push_bytes(&gpu::compute_cmd(marker));
        c.push_render(0xffff, 0xffff, &render::mesa_render(vs, zls, &g));
        let so = ctx.dev.syncobj_create(0).unwrap_or(0);
        let r = ctx
            .dev
            .submit(ctx.queue, &[], &[gpu::sync(so)], c.as_bytes());
        let unsignalled = gpu::fence_status(&ctx.dev, so);
        let _ = ctx.dev.syncobj_destroy(so);
        tap.ok(
            errno(r) == Some(EINVAL) && !matches!(unsignalled, Ok(1)),
            format_args!("{what}: EINVAL, no fence published ({unsignalled:?})"),
        );
    }
    // The compute commands of the refused submits never ran.
    let after = ctx.put_stream(&[(op::WRITE32, DATA_VA + 0x104, 0x600d, 0)]);
    let st = run(&ctx, &gpu::compute_cmd(after));
    tap.ok(
        matches!(st, Ok(1)) && ctx.read_u32(0x104) == 0x600d && ctx.read_u32(0x100) == 0,
        format_args!(
            "the refused submits ran nothing ({:#x}) and the queue still runs compute ({st:?})",
            ctx.read_u32(0x100)
        ),
    );
    // And render.
    ctx.data_map.write(8, &0x1234_5678_u32.to_le_bytes());
    let vs2 = ctx.put_vdm(&[(op::COPY, DATA_VA + 12, DATA_VA + 8, 4)]);
    let mut r = render::mesa_render(vs2, zls, &FULL_HD);
    with_ts(&mut r, obj, 0x200);
    let st = run(&ctx, &render::render_cmdbuf(&r, 0xffff, 0xffff));
    tap.ok(
        matches!(st, Ok(1)) && ctx.read_u32(12) == 0x1234_5678 && ts(&ctx, 0x218) != 0,
        format_args!("after the refusals a render still runs, timestamped ({st:?})"),
    );

    // A render whose vertex stream faults fails its job with EIO; the next one still runs.
    let bad_vs = ctx.put_vdm(&[(op::WRITE32, 0x7_0000_0000, 1, 0)]);
    let st = run(
        &ctx,
        &render::render_cmdbuf(&render::mesa_render(bad_vs, zls, &FULL_HD), 0xffff, 0xffff),
    );
    tap.ok(
        matches!(st, Ok(e) if e == -libc::EIO),
        format_args!("a render whose vertex stream faults completes with EIO ({st:?})"),
    );
    let st = run(
        &ctx,
        &render::render_cmdbuf(&render::mesa_render(vs, zls, &FULL_HD), 0xffff, 0xffff),
    );
    tap.ok(
        matches!(st, Ok(1)),
        format_args!("and the queue runs the next render ({st:?})"),
    );
    tap.finish();
}
