// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Render commands as the firmware reads them: each `drm_asahi_cmd_render` becomes a vertex
//! half (a `RunVertex` and its microsequence `StartVertex → [Timestamp] → WaitForIdle(vertex)
//! → [Timestamp] → FinalizeVertex → RetireStamp`) and a fragment half (a `RunFragment` and the
//! same with the fragment ops), both in the firmware-private heap, filled from the uAPI command,
//! its tiling ([`TileInfo`]) and its queue. [`ComputeCommand`](super::compute::ComputeCommand)
//! is the model: the command is written at SUBMIT ([`RenderCommand::new`], process context);
//! the event slot, stamp and sequence are written when the job is queued
//! ([`RenderCommand::place`], under the queue's spinlock, allocating nothing).
//!
//! Ordering: the driver has one firmware work queue per uAPI queue, and a job's commands are
//! consecutive entries of its ring (vertex, then fragment). The firmware runs a ring's commands
//! in order, each to its `RetireStamp`, so the fragment half starts after the vertex half's
//! `FinalizeVertex`: that is the wait downstream expresses with a `Barrier` on the vertex stamp
//! between its separate vertex and fragment queues, and it needs no command here. The
//! `RunVertex` still names its fragment half's stamp (`fragment_stamp_slot/value`).
//!
//! Field sources: reference `firmware-commands.md` §2.4, §2.5 and §3.2 (newest downstream
//! `queue/render.rs` `submit_render`; herrnst/linux-asahi for the constants); layouts are
//! `firmware-defs`'s, tiling math `fw::engine::tiling`.
//!
//! Not yet built here (issue 14 buffer-manager item): the scene and TVB heap (`buffer`,
//! `scene`, `buffer_slot`, tilemap, TPC, heap/layer metadata and preemption-buffer pointers
//! stay null), `InitBuffer`, the aux framebuffer (0x8000 bytes of the user VM's kernel range),
//! (the statistics pointers are the runtime pointers', see `fwmem::runtime`).

use super::compute::{write_meta, Placement};
use super::job::Work;
use crate::bindings;
use crate::fw::engine::tiling::{
    effective_clusters, tiling_control, RenderGeometry, TileInfo, TilingError,
    TILING_CONTROL_T600X, TILING_CONTROL_T602X, TILING_CONTROL_T8103,
};
use crate::fw::job::{ArrayAddr, BackgroundProgram, CommandType, EotProgram, JobMeta};
use crate::fw::microseq::{Attachments, Builder};
use crate::fw::types::{GpuPtr, U32, U64};
use crate::fw::variants::g13_v13_5 as fwv;
use crate::fwalloc::{FwAlloc, FwAllocator, HeapKind};
use crate::hw::HwConfig;
use crate::refuse::Why;
use core::mem::offset_of;
use fwv::microseq::{
    fragment_sequence, fragment_sequence_len, vertex_sequence, vertex_sequence_len,
    FragmentSeqInputs, VertexSeqInputs,
};
use kernel::prelude::*;
use kernel::sync::Arc;

/// `VertexJobParams1.unk_0` (reference §2.4).
const VTX_UNK_0: u64 = 0x200;
/// `VertexJobParams1.unk_8`/`unk_c`: 1e-20 as `f32` bits (reference §2.4).
const VTX_F32_1E_20: u32 = 0x1e3c_e508;
/// `VertexJobParams1.unk_30` (downstream `iogpu_unk_54`/`iogpu_unk_55`).
const VTX_UNK_30: u64 = 0x3a_0012_006b_0003;
/// Bit or-ed into `tvb_heapmeta` (reference §2.4).
const HEAPMETA_FLAG: u64 = 1 << 63;
/// Or-ed into `preempt_buf3` (reference §2.4).
const PREEMPT_BUF3_FLAG: u64 = 0x4_0000_0000_0000;
/// `unk_f8`, `unk_140` (reference §2.4, §2.5).
const UNK_8C60: u64 = 0x8c60;
/// `unk_118`, `unk_158` (reference §2.4, §2.5).
const UNK_1C: u32 = 0x1c;
/// `AuxFbInfo.isp_ctl` base (reference §2.5).
const ISP_CTL: u32 = 0xc000;
/// `AuxFbInfo.unk_10` on 13.x (reference §2.5).
const AUX_FB_UNK_10: u64 = 0x10_0000;
/// Or-ed into `JobParameters2.isp_bgobjvals` on G13 (reference §2.5).
const BGOBJVALS_G13: u32 = 0x400;
/// `EncoderParams.unk_mask` (reference §2.2).
const ENCODER_UNK_MASK: u32 = 0xffff_ffff;
/// Longest sequence of either half (with timestamps; the fragment one is the longer).
const FRAG_SEQ_MAX: usize = fragment_sequence_len(true);

/// What a render command carries besides its stream and timestamps: the uAPI command, its
/// validated tiling and the attachments in force for its half.
#[derive(Clone, Copy)]
pub(crate) struct RenderArgs {
    /// The command as SUBMIT copied it.
    pub(crate) cmd: bindings::drm_asahi_cmd_render,
    /// Its tiling.
    pub(crate) tiles: TileInfo,
    /// The last `SET_VERTEX_ATTACHMENTS` (vertex half) or `SET_FRAGMENT_ATTACHMENTS`
    /// (fragment half) before the command.
    pub(crate) attachments: Attachments,
}

impl core::fmt::Debug for RenderArgs {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RenderArgs")
            .field("tiles", &self.tiles)
            .finish_non_exhaustive()
    }
}

/// Computes the tiling of render command `r` (at `at` in the command buffer) on a GPU with
/// `num_clusters` clusters, refusing with EINVAL and the field's name what the hardware cannot
/// do (sizes, layers, samples, utile sizes).
pub(crate) fn tile_info(
    why: &Why<'_>,
    at: usize,
    r: &bindings::drm_asahi_cmd_render,
    num_clusters: u32,
) -> Result<TileInfo> {
    let geom = RenderGeometry {
        width: r.width_px.into(),
        height: r.height_px.into(),
        layers: r.layers.into(),
        samples: r.samples.into(),
        utile_width: r.utile_width_px.into(),
        utile_height: r.utile_height_px.into(),
    };
    let no_clustering = r.flags & bindings::DRM_ASAHI_RENDER_NO_VERTEX_CLUSTERING != 0;
    let clusters = effective_clusters(num_clusters, no_clustering);
    let f = |name| crate::file::Field::Cmd(at, name);
    TileInfo::new(&geom, clusters).map_err(|e| match e {
        TilingError::ZeroSize { width, height } => why.refused(
            EINVAL,
            f("render.width_px/height_px"),
            format_args!("{width}x{height} framebuffer"),
        ),
        TilingError::TooLarge { width, height, max } => why.refused(
            EINVAL,
            f("render.width_px/height_px"),
            format_args!("{width}x{height} framebuffer, larger than {max}x{max}"),
        ),
        TilingError::NoLayers => why.refused(EINVAL, f("render.layers"), format_args!("0 layers")),
        TilingError::TooManyLayers { layers, max } => why.refused(
            EINVAL,
            f("render.layers"),
            format_args!("{layers} layers, more than {max}"),
        ),
        TilingError::BadSamples { samples } => why.refused(
            EINVAL,
            f("render.samples"),
            format_args!("{samples} samples, not 1, 2 or 4"),
        ),
        TilingError::BadUtileSize { width, height } => why.refused(
            EINVAL,
            f("render.utile_width_px/utile_height_px"),
            format_args!("{width}x{height} utiles, not 32x32, 32x16 or 16x16"),
        ),
        TilingError::BadClusters { clusters } => why.refused(
            EINVAL,
            "render",
            format_args!("{clusters} clusters: no tiling for this GPU"),
        ),
    })
}

/// Which half of a render a command is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Half {
    Vertex,
    Fragment,
}

/// A `RunVertex` or `RunFragment` and its microsequence, in the firmware-private heap.
pub(crate) struct RenderCommand {
    run: FwAlloc,
    seq: FwAlloc,
    half: Half,
    attachments: Attachments,
    clustering: bool,
    timestamps: bool,
    vm_slot: u32,
    counter: u64,
    uuid: u32,
}

/// The first two words of the GPU's core masks packed as the firmware takes them: cluster `i`
/// takes the next `num_cores_per_cluster` bits (downstream `core_masks_packed`).
fn core_mask_words(hw: &HwConfig) -> [u32; 2] {
    let mut packed = 0u64;
    let cores = hw.num_cores_per_cluster;
    for (i, m) in hw.core_masks.iter().enumerate() {
        // CAST: at most 8 clusters.
        let shift = (i as u32).saturating_mul(cores);
        if shift < 64 {
            packed |= m << shift;
        }
    }
    // CAST: the low and high words.
    [packed as u32, (packed >> 32) as u32]
}

/// The SoC's `tiling_control` base (reference §3.2).
fn tiling_control_base(hw: &HwConfig) -> u32 {
    match hw.chip_id {
        0x6000..=0x6002 => TILING_CONTROL_T600X,
        0x6020..=0x6022 => TILING_CONTROL_T602X,
        _ => TILING_CONTROL_T8103,
    }
}

/// The fields of a render's `EncoderParams` (both halves).
fn encoder_params(r: &bindings::drm_asahi_cmd_render) -> crate::fw::job::EncoderParams {
    crate::fw::job::EncoderParams {
        unk_mask: ENCODER_UNK_MASK,
        sampler_array: GpuPtr::new(r.sampler_heap),
        sampler_count: r.sampler_count.into(),
        sampler_max: u32::from(r.sampler_count) + 1,
        ..Default::default()
    }
}

/// Fills `run` (zeroed) for the vertex half of `a` in context slot `vm_slot`, shaders from
/// `usc_exec_base`, user timestamps at `ts` (start, end). Pure: the KUnit tests check it.
pub(super) fn fill_vertex(
    run: &mut fwv::RunVertex,
    a: &RenderArgs,
    hw: &HwConfig,
    vm_slot: u32,
    usc_exec_base: u64,
    ts: (u64, u64),
) {
    let r = &a.cmd;
    let t = &a.tiles;
    run.tag = CommandType::RunVertex as u32;
    run.vm_slot = vm_slot;
    let p = &mut run.job_params1.0[0];
    p.unk_0 = U64(VTX_UNK_0);
    p.unk_8 = VTX_F32_1E_20;
    p.unk_c = VTX_F32_1E_20;
    p.tvb_heapmeta = GpuPtr::new(HEAPMETA_FLAG);
    p.unk_30 = U64(VTX_UNK_30);
    p.unk_38 = U64(1);
    p.utile_config = t.utile_config();
    p.ppp_multisamplectl = U64(r.ppp_multisamplectl);
    let masks = core_mask_words(hw);
    for (w, m) in p.core_mask.0.iter_mut().zip(masks) {
        *w = U32(m);
    }
    p.unk_80 = U64(1);
    p.preempt_buf3 = GpuPtr::new(PREEMPT_BUF3_FLAG);
    p.vdm_ctrl_stream_base = U64(r.vdm_ctrl_stream_base);
    for c in p.tiling_control.0.iter_mut() {
        *c = U32(tiling_control(tiling_control_base(hw), t.clusters));
    }
    p.usc_exec_base_ta = U64(usc_exec_base);
    for f in p.unk_f0.0.iter_mut() {
        *f = U64(t.vertex_unk_f0(false));
    }
    p.unk_f8 = U64(UNK_8C60);
    p.helper_program = r.vertex_helper.binary;
    p.helper_arg = U64(r.vertex_helper.data);
    p.unk_118 = UNK_1C;
    run.tiling_params.0[0] = t.tiling_params(r.ppp_ctrl, r.vertex_helper.cfg);
    run.tpc_size = U64(t.tpc_size);
    run.encoder_params = encoder_params(r);
    run.uses_scratch = u32::from(r.flags & bindings::DRM_ASAHI_RENDER_VERTEX_SCRATCH != 0);
    run.timestamp_pointers.start_addr = GpuPtr::new(ts.0);
    run.timestamp_pointers.end_addr = GpuPtr::new(ts.1);
}

/// `AuxFbInfo` of a render (reference §2.5).
fn aux_fb_info(r: &bindings::drm_asahi_cmd_render) -> fwv::AuxFbInfo {
    let mut i = fwv::AuxFbInfo {
        isp_ctl: ISP_CTL | (r.flags & bindings::DRM_ASAHI_RENDER_DBIAS_IS_INT),
        unk_4: 0,
        width: r.width_px.into(),
        height: r.height_px.into(),
        ..Default::default()
    };
    for u in i.unk_10.0.iter_mut() {
        *u = U64(AUX_FB_UNK_10);
    }
    i
}

fn bg_program(p: &bindings::drm_asahi_bg_eot) -> BackgroundProgram {
    BackgroundProgram {
        rsrc_spec: U64(p.rsrc_spec.into()),
        address: U64(p.usc.into()),
    }
}

fn eot_program(p: &bindings::drm_asahi_bg_eot) -> EotProgram {
    EotProgram {
        rsrc_spec: p.rsrc_spec,
        address: p.usc,
        ..Default::default()
    }
}

/// Fills `run` (zeroed) for the fragment half of `a`; as [`fill_vertex`].
pub(super) fn fill_fragment(
    run: &mut fwv::RunFragment,
    a: &RenderArgs,
    vm_slot: u32,
    usc_exec_base: u64,
    ts: (u64, u64),
) {
    let r = &a.cmd;
    let t = &a.tiles;
    let (z, s) = (&r.depth, &r.stencil);
    let process_empty = r.flags & bindings::DRM_ASAHI_RENDER_PROCESS_EMPTY_TILES != 0;
    run.tag = CommandType::RunFragment as u32;
    run.vm_slot = vm_slot;
    run.ppp_multisamplectl = U64(r.ppp_multisamplectl);
    run.samples = r.samples.into();
    // CAST: at most ⌈512 / 4⌉ aligned to 4.
    run.tiles_per_mtile_y = t.tiles_per_mtile_y as u16;
    run.tiles_per_mtile_x = t.tiles_per_mtile_x as u16;
    run.isp_merge_upper_x = r.isp_merge_upper_x;
    run.isp_merge_upper_y = r.isp_merge_upper_y;
    run.tile_count = U64(t.tiles.into());
    let p = &mut run.job_params1.0[0];
    p.utile_config = t.utile_config();
    p.bg = bg_program(&r.bg);
    p.ppp_multisamplectl = U64(r.ppp_multisamplectl);
    p.isp_scissor_base = U64(r.isp_scissor_base);
    p.isp_dbias_base = U64(r.isp_dbias_base);
    p.aux_fb_info = aux_fb_info(r);
    p.isp_zls_pixels = U64(r.isp_zls_pixels.into());
    p.isp_oclqry_base = U64(r.isp_oclqry_base);
    p.zls_ctrl = U64(r.zls_ctrl);
    (p.z_load, p.z_store) = (U64(z.base), U64(z.base));
    (p.s_load, p.s_store) = (U64(s.base), U64(s.base));
    (p.z_load_stride, p.z_store_stride) = (U64(z.stride.into()), U64(z.stride.into()));
    (p.s_load_stride, p.s_store_stride) = (U64(s.stride.into()), U64(s.stride.into()));
    (p.z_load_comp, p.z_store_comp) = (U64(z.comp_base), U64(z.comp_base));
    let zc = U64(z.comp_stride.into());
    (p.z_load_comp_stride, p.z_store_comp_stride) = (zc, zc);
    (p.s_load_comp, p.s_store_comp) = (U64(s.comp_base), U64(s.comp_base));
    let sc = U64(s.comp_stride.into());
    (p.s_load_comp_stride, p.s_store_comp_stride) = (sc, sc);
    p.mtile_stride_dwords = U64(t.mtile_stride_dwords());
    p.tile_config = U64(t.tile_config(process_empty));
    p.usc_exec_base_isp = U64(usc_exec_base);
    p.unk_140 = U64(UNK_8C60);
    p.helper_program = r.fragment_helper.binary;
    p.helper_arg = U64(r.fragment_helper.data);
    p.unk_158 = U64(UNK_1C.into());
    let p = &mut run.job_params2.0[0];
    p.eot_rsrc_spec = r.eot.rsrc_spec;
    p.eot_usc = r.eot.usc;
    p.isp_merge_upper_x = r.isp_merge_upper_x;
    p.isp_merge_upper_y = r.isp_merge_upper_y;
    // CAST: at most 512 utiles per axis.
    p.utiles_per_mtile_y = t.utiles_per_mtile_y as u16;
    p.utiles_per_mtile_x = t.utiles_per_mtile_x as u16;
    p.tile_counts = t.te_screen();
    p.tib_blocks = t.tib_blocks(r.sample_size_B);
    p.isp_bgobjdepth = r.isp_bgobjdepth;
    p.isp_bgobjvals = r.isp_bgobjvals | BGOBJVALS_G13;
    p.unk_3c = 1;
    p.helper_cfg = r.fragment_helper.cfg;
    let p = &mut run.job_params3;
    p.isp_dbias_base = ArrayAddr {
        ptr: U64(r.isp_dbias_base),
        unk_8: U64(0),
    };
    p.isp_scissor_base = ArrayAddr {
        ptr: U64(r.isp_scissor_base),
        unk_8: U64(0),
    };
    p.isp_oclqry_base = U64(r.isp_oclqry_base);
    p.unk_partial_bg = bg_program(&r.partial_bg);
    p.partial_bg = bg_program(&r.partial_bg);
    p.zls_ctrl = U64(r.zls_ctrl);
    (p.z_load, p.z_store, p.z_partial) = (U64(z.base), U64(z.base), U64(z.base));
    p.z_partial_stride = U64(z.stride.into());
    p.z_partial_comp = U64(z.comp_base);
    p.z_partial_comp_stride = zc;
    (p.s_load, p.s_store, p.s_partial) = (U64(s.base), U64(s.base), U64(s.base));
    p.s_partial_stride = U64(s.stride.into());
    p.s_partial_comp = U64(s.comp_base);
    p.s_partial_comp_stride = sc;
    p.tib_blocks = t.tib_blocks(r.sample_size_B);
    p.aux_fb_info = aux_fb_info(r);
    p.tile_config = U64(t.tile_config(process_empty));
    p.unk_partial_eot = eot_program(&r.partial_eot);
    p.partial_eot = eot_program(&r.partial_eot);
    p.isp_bgobjdepth = r.isp_bgobjdepth;
    p.isp_bgobjvals = r.isp_bgobjvals;
    p.sample_size = r.sample_size_B.into();
    p.isp_zls_pixels = U64(r.isp_zls_pixels.into());
    run.encoder_params = encoder_params(r);
    run.process_empty_tiles = u32::from(process_empty);
    run.no_clear_pipeline_textures = 1;
    run.unk_8f4 = U64(1);
    run.timestamp_pointers.start_addr = GpuPtr::new(ts.0);
    run.timestamp_pointers.end_addr = GpuPtr::new(ts.1);
}

/// A new firmware-private allocation holding `value`.
fn write_new<T: crate::fw::plain::Plain>(fw: &Arc<FwAllocator>, value: &T) -> Result<FwAlloc> {
    let a = fw.alloc(HeapKind::Private, core::mem::size_of::<T>())?;
    a.write_bytes(0, crate::fw::plain::bytes_of(value))?;
    Ok(a)
}

impl RenderCommand {
    /// Writes the `RunVertex` (for a [`super::WorkKind::Vertex`] `work`) or `RunFragment` (a
    /// fragment one) in context slot `vm_slot` of a queue whose shaders run from
    /// `usc_exec_base`; `counter` is the queue's command counter, `last` whether the command
    /// completes its job. Process context.
    pub(super) fn new(
        fw: &Arc<FwAllocator>,
        hw: &HwConfig,
        work: &Work,
        vm_slot: u32,
        usc_exec_base: u64,
        counter: u64,
        last: bool,
    ) -> Result<Self> {
        let a = work.render.as_ref().ok_or(EINVAL)?;
        let timestamps = work.ts_start != 0 || work.ts_end != 0;
        let ts = (work.ts_start, work.ts_end);
        // CAST: the uuid names the command in the firmware's traces; the counter's low bits.
        let uuid = counter as u32;
        let meta = JobMeta {
            flush_stamps: u32::from(last),
            uuid,
            ..JobMeta::default()
        };
        let (half, run, seq) = if work.kind == super::WorkKind::Vertex {
            let len = vertex_sequence_len(timestamps);
            let seq = fw.alloc(HeapKind::Private, len)?;
            let mut run = KBox::new(crate::fwmem::zeroed::<fwv::RunVertex>(), GFP_KERNEL)?;
            fill_vertex(&mut run, a, hw, vm_slot, usc_exec_base, ts);
            run.counter.0 = [U64(counter)];
            run.meta = meta;
            run.microsequence = GpuPtr::new(seq.va());
            // CAST: a sequence is a few hundred bytes.
            run.microsequence_size = len as u32;
            (Half::Vertex, write_new(fw, &*run)?, seq)
        } else {
            let len = fragment_sequence_len(timestamps);
            let seq = fw.alloc(HeapKind::Private, len)?;
            let mut run = KBox::new(crate::fwmem::zeroed::<fwv::RunFragment>(), GFP_KERNEL)?;
            fill_fragment(&mut run, a, vm_slot, usc_exec_base, ts);
            run.counter.0 = [U64(counter)];
            run.meta = meta;
            run.microsequence = GpuPtr::new(seq.va());
            // CAST: as above.
            run.microsequence_size = len as u32;
            (Half::Fragment, write_new(fw, &*run)?, seq)
        };
        Ok(Self {
            run,
            seq,
            half,
            attachments: a.attachments,
            clustering: a.tiles.clusters > 1,
            timestamps,
            vm_slot,
            counter,
            uuid,
        })
    }

    /// The command's firmware address (what the queue's ring names).
    pub(super) fn va(&self) -> u64 {
        self.run.va()
    }

    /// Writes what the queue position decides: the completion in `JobMeta`, the client
    /// sequence, the vertex half's pointer to its fragment half's stamp (the job's: both
    /// halves complete with the job's stamp) and the microsequence. Any context; allocates
    /// nothing.
    pub(super) fn place(&self, p: &Placement) -> Result {
        // CAST: the client sequence is the queue id's low byte (reference §2.3).
        let client_seq = [p.event_generation as u8];
        let (meta, notifier, client) = match self.half {
            Half::Vertex => {
                let slot = offset_of!(fwv::RunVertex, fragment_stamp_slot);
                self.run.store_u32(slot, p.slot);
                let value = offset_of!(fwv::RunVertex, fragment_stamp_value);
                self.run.store_u32(value, p.stamp);
                (
                    offset_of!(fwv::RunVertex, meta),
                    offset_of!(fwv::RunVertex, notifier),
                    offset_of!(fwv::RunVertex, client_sequence),
                )
            }
            Half::Fragment => (
                offset_of!(fwv::RunFragment, meta),
                offset_of!(fwv::RunFragment, notifier),
                offset_of!(fwv::RunFragment, client_sequence),
            ),
        };
        write_meta(&self.run, meta, notifier, p)?;
        self.run.write_bytes(client, &client_seq)?;
        let mut buf = [0u8; FRAG_SEQ_MAX];
        let mut b = Builder::new(&mut buf);
        let len = match self.half {
            Half::Vertex => {
                let i = VertexSeqInputs {
                    run_vertex: self.va(),
                    work_queue: p.work_queue,
                    vm_slot: self.vm_slot,
                    event_generation: p.event_generation,
                    event_seq: p.event_seq,
                    uuid: self.uuid,
                    fw_stamp: p.fw_stamp_va,
                    stamp_value: p.stamp,
                    counter: self.counter,
                    clustering: self.clustering,
                    timestamps: self.timestamps,
                    attachments: self.attachments,
                    notifier_buf: p.notifier_buf,
                    stats: p.stats.vtx,
                    ..VertexSeqInputs::default()
                };
                vertex_sequence(&i, &mut b)
            }
            Half::Fragment => {
                let i = FragmentSeqInputs {
                    run_fragment: self.va(),
                    work_queue: p.work_queue,
                    vm_slot: self.vm_slot,
                    event_generation: p.event_generation,
                    event_seq: p.event_seq,
                    uuid: self.uuid,
                    fw_stamp: p.fw_stamp_va,
                    stamp_value: p.stamp,
                    counter: self.counter,
                    timestamps: self.timestamps,
                    attachments: self.attachments,
                    notifier_buf: p.notifier_buf,
                    stats: p.stats.frag,
                    ..FragmentSeqInputs::default()
                };
                fragment_sequence(&i, &mut b)
            }
        };
        let len = len.map_err(|_| EINVAL)?;
        self.seq.write_bytes(0, buf.get(..len).ok_or(EINVAL)?)
    }
}

const _: () = assert!(vertex_sequence_len(true) <= FRAG_SEQ_MAX);

#[cfg(CONFIG_KUNIT)]
#[path = "render_tests.rs"]
mod tests;
