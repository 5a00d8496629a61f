// Versioned run commands, included once per variant module by `defs/variants.rs` next to
// `layouts.rs`. This file owns the conditions shared by all run commands (`CMD_*`) and the render
// commands (`RunVertex`, `RunFragment` and their blocks); `commands_compute.rs` holds
// `RunCompute` and `commands_tests.rs` the per-variant byte-offset tests of all three. The
// three files are `include!`d into the same module, so they share their items.
//
// These are the firmware-visible command structures the driver writes into firmware memory and
// queues on a work queue's ring; each starts with its `CommandType` tag. Sources: downstream
// `fw/vertex.rs`, `fw/fragment.rs`, `fw/compute.rs` `raw::Run*` (AsahiLinux/linux asahi branch
// and herrnst/linux-asahi), cross-checked against m1n1 `proxyclient/m1n1/fw/agx/cmdqueue.py`
// (`WorkCommandTA`, `WorkCommand3D`, `WorkCommandCP` field offsets and hex dumps, firmware
// 12.3) and against the offset assertions of a downstream fork's G15 port (which fix the G14X
// and ≥ 13.3 offsets: compute `meta` at 0x7e4, fragment `job_params3` at 0x790 and `meta` at
// 0xba8).
//
// Naming: as in m1n1 and downstream, an unknown top-level field `unk_<off>` is named by its
// offset in the G13 firmware-12.3 layout (from 13.0b4 a `counter` follows the tag and moves
// everything after it by 8; fields that exist only from 13.0b4 are named by the offset they
// would have appended to the 12.3 layout). Fields of a sub-structure are named by their offset
// in that sub-structure (G13, 12.3). Where downstream's name differs, the doc says so. `f32`
// register values are kept as their `u32` bits.
//
// Sizes are asserted below; the expected values were obtained by summing downstream's field
// sizes (pointers 8, packed) and agree with m1n1 where m1n1 covers the command.

/// Firmware ≥ 13.0b4: every run command has a 64-bit `counter` after the tag, and several
/// blocks grow.
///
/// Source: downstream `#[ver(V >= V13_0B4)]` in `fw/{vertex,fragment,compute}.rs`; m1n1
/// `Ver("13.0 beta4", "counter" / Int64ul)`.
pub const CMD_V13: bool = VARIANT.fw_at_least(FwVersion::V13_0B4);
/// G13: the vertex register block has the cluster TVB pointers.
///
/// Source: downstream `fw/vertex.rs` `#[ver(G < G14)]`.
pub const CMD_G13: bool = VARIANT.gen_below(Gen::G14);
/// G14X (and later): the fixed register blocks are replaced by a [`RegisterArray`].
///
/// Source: downstream `#[ver(G >= G14X)] registers: job::raw::RegisterArray`.
pub const CMD_REG_LIST: bool = VARIANT.gen_at_least(Gen::G14X);
/// Firmware ≥ 13.3: `RunFragment` has an extra word before its `meta`.
///
/// Source: downstream `fw/fragment.rs` `#[ver(V >= V13_3)] unk_v13_3` (AsahiLinux/linux
/// asahi branch; absent from older trees).
pub const CMD_V13_3: bool = VARIANT.fw_at_least(FwVersion::V13_3);

/// Bytes that a [`RegisterArray`] adds over the fixed blocks it replaces, per command: the
/// fixed blocks are 0x384 + 0xa0 (vertex), 0x348 + 0xf0 (fragment), 0x50 + 0x160 (compute).
#[allow(dead_code, reason = "used only by const layout assertions, which older rustc (1.85) does not count as uses")]
const fn reg_list_delta(fixed: usize) -> usize {
    if CMD_REG_LIST {
        0x710 - fixed
    } else {
        0
    }
}
/// Offset shift after the tag: the 13.0b4 `counter`.
#[allow(dead_code, reason = "used only by const layout assertions, which older rustc (1.85) does not count as uses")]
const CMD_COUNTER: usize = if_present(CMD_V13, 8);

plain_layout! {
    /// First register block of a [`RunVertex`] on G13/G14 (0x384 bytes, at +0x38).
    ///
    /// Source: downstream `fw/vertex.rs` `raw::JobParameters1` (newest names; older trees call
    /// `vdm_ctrl_stream_base` `encoder_addr`, `tvb_layermeta` `tvb_heapmeta_2`); m1n1
    /// `StartTACmdStruct2` (0x11c bytes) + `unk_154` (0x268). G14 drops nine G13-only words and
    /// pads the block to the same size.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct VertexJobParams1 {
        /// Unknown.
        pub unk_0: U64,
        /// Unknown (`f32` bits).
        pub unk_8: u32,
        /// Unknown (`f32` bits).
        pub unk_c: u32,
        /// TVB tile map.
        pub tvb_tilemap: GpuPtr,
        /// Per-cluster TVB tile maps (G13 only).
        pub tvb_cluster_tilemaps: Array<{ if_present(CMD_G13, 1) }, GpuPtr>,
        /// Tile pointer cache.
        pub tpc: GpuPtr,
        /// TVB heap metadata.
        pub tvb_heapmeta: GpuPtr,
        /// Unknown (downstream `iogpu_unk_54`).
        pub unk_30: U64,
        /// Unknown (downstream `iogpu_unk_56`).
        pub unk_38: U64,
        /// Cluster TVB metadata 1 (G13 only).
        pub tvb_cluster_meta1: Array<{ if_present(CMD_G13, 1) }, GpuPtr>,
        /// Microtile configuration.
        pub utile_config: u32,
        /// Unknown.
        pub unk_4c: u32,
        /// PPP multisample control.
        pub ppp_multisamplectl: U64,
        /// TVB layer metadata.
        pub tvb_layermeta: GpuPtr,
        /// Cluster TVB layer metadata (G13 only; downstream `unk_60` in older trees).
        pub tvb_cluster_layermeta: Array<{ if_present(CMD_G13, 1) }, GpuPtr>,
        /// Core mask (G13 only).
        pub core_mask: Array<{ if_present(CMD_G13, 2) }, U32>,
        /// Preemption buffer 1.
        pub preempt_buf1: GpuPtr,
        /// Preemption buffer 2.
        pub preempt_buf2: GpuPtr,
        /// Unknown.
        pub unk_80: U64,
        /// Preemption buffer 3.
        pub preempt_buf3: GpuPtr,
        /// VDM control stream (the encoder) start.
        pub vdm_ctrl_stream_base: U64,
        /// Cluster TVB metadata 2 (G13 only).
        pub tvb_cluster_meta2: Array<{ if_present(CMD_G13, 1) }, GpuPtr>,
        /// Cluster TVB metadata 3 (G13 only).
        pub tvb_cluster_meta3: Array<{ if_present(CMD_G13, 1) }, GpuPtr>,
        /// Tiling control (G13 only).
        pub tiling_control: Array<{ if_present(CMD_G13, 1) }, U32>,
        /// Unknown (G13 only).
        pub unk_ac: Array<{ if_present(CMD_G13, 1) }, U32>,
        /// Unknown.
        pub unk_b0: Array<6, U64>,
        /// USC execution base for TA.
        pub usc_exec_base_ta: U64,
        /// Cluster TVB metadata 4 (G13 only).
        pub tvb_cluster_meta4: Array<{ if_present(CMD_G13, 1) }, GpuPtr>,
        /// Unknown (G13 only).
        pub unk_f0: Array<{ if_present(CMD_G13, 1) }, U64>,
        /// Unknown.
        pub unk_f8: U64,
        /// Helper program.
        pub helper_program: u32,
        /// Unknown.
        pub unk_104: u32,
        /// Helper program argument.
        pub helper_arg: U64,
        /// Unknown.
        pub unk_110: U64,
        /// Unknown.
        pub unk_118: u32,
        /// Unknown (zero); 0x48 more on G14, making up for the G13-only words.
        pub pad_11c: Pad<{ if CMD_G13 { 0x268 } else { 0x268 + 0x48 } }>,
    }
}

const _: () = assert!(
    core::mem::offset_of!(VertexJobParams1, vdm_ctrl_stream_base)
        == if CMD_G13 { 0x90 } else { 0x70 }
);
const _: () = assert!(
    core::mem::offset_of!(VertexJobParams1, unk_118)
        == if CMD_G13 { 0x118 } else { 0xd0 }
);
const _: () = assert!(core::mem::size_of::<VertexJobParams1>() == 0x384);

plain_layout! {
    /// The vertex (TA) run command, `CommandType::RunVertex` (0x5e0 bytes on 12.x, 0x608 from
    /// 13.0b4; 0x2ec more with a register list).
    ///
    /// Source: downstream `fw/vertex.rs` `raw::RunVertex` (AsahiLinux/linux asahi branch;
    /// herrnst/linux-asahi); m1n1 `WorkCommandTA` (12.3: `tpc` at 0x45c, microsequence at 0x46c,
    /// timestamps at 0x5ac..0x5c4, 0x5e0 bytes with its trailing pad).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct RunVertex {
        /// `CommandType::RunVertex` (0).
        pub tag: u32,
        /// Command counter (13.0b4 and later only).
        pub counter: Array<{ if_present(CMD_V13, 1) }, U64>,
        /// VM (context) slot.
        pub vm_slot: u32,
        /// Unknown.
        pub unk_8: u32,
        /// The queue's `Notifier`.
        pub notifier: GpuPtr,
        /// Buffer-manager slot.
        pub buffer_slot: u32,
        /// Unknown (downstream `unk_1c`; m1n1 reads `buffer_slot` as 64-bit).
        pub unk_18: u32,
        /// The buffer manager's `buffer::Info`.
        pub buffer: GpuPtr,
        /// The render's `buffer::Scene`.
        pub scene: GpuPtr,
        /// Unknown buffer of the buffer manager.
        pub unk_buffer_buf: GpuPtr,
        /// Unknown.
        pub unk_34: u32,
        /// First register block (G13/G14).
        pub job_params1: Array<{ if_present(!CMD_REG_LIST, 1) }, VertexJobParams1>,
        /// Tiling parameters (G13/G14).
        pub tiling_params: Array<{ if_present(!CMD_REG_LIST, 1) }, VertexTilingParams>,
        /// Register list (G14X).
        pub registers: Array<{ if_present(CMD_REG_LIST, 1) }, RegisterArray>,
        /// Tile pointer cache.
        pub tpc: GpuPtr,
        /// Size of the tile pointer cache.
        pub tpc_size: U64,
        /// The job's microsequence.
        pub microsequence: GpuPtr,
        /// Size of the microsequence in bytes.
        pub microsequence_size: u32,
        /// Event slot of the paired fragment command.
        pub fragment_stamp_slot: u32,
        /// Stamp value of the paired fragment command.
        pub fragment_stamp_value: EventValue,
        /// Unknown (downstream `unk_pointee`).
        pub unk_pointee: u32,
        /// Unknown (downstream `unk_pad`).
        pub unk_484: u32,
        /// Second register block.
        pub job_params2: VertexJobParams2,
        /// Encoder parameters.
        pub encoder_params: EncoderParams,
        /// Unknown (downstream `unk_55c`).
        pub unk_550: u32,
        /// Unknown (downstream `unk_560`).
        pub unk_554: u32,
        /// Synchronous TVB grow.
        pub sync_grow: u32,
        /// Unknown (downstream `unk_568`).
        pub unk_55c: u32,
        /// The job uses scratch memory.
        pub uses_scratch: u32,
        /// Completion stamp and event slot.
        pub meta: JobMeta,
        /// Unknown (downstream `unk_after_meta`).
        pub unk_590: u32,
        /// Unknown (downstream `unk_buf_0`).
        pub unk_594: U64,
        /// Unknown (downstream `unk_buf_8`).
        pub unk_59c: U64,
        /// Unknown (downstream `unk_buf_10`).
        pub unk_5a4: U64,
        /// Submission time (downstream `command_time`, `cur_ts` in older trees).
        pub command_time: U64,
        /// Where the firmware writes the kernel's start/end times.
        pub timestamp_pointers: TimestampPointers,
        /// Where the firmware writes user-requested start/end times.
        pub user_timestamp_pointers: TimestampPointers,
        /// Client sequence number.
        pub client_sequence: u8,
        /// Padding.
        pub pad_5d5: Pad<3>,
        /// Unknown.
        pub unk_5d8: u32,
        /// Unknown.
        pub unk_5dc: u8,
        /// Unknown timestamp (13.0b4 and later only; downstream `unk_ts`).
        pub unk_5dd: Array<{ if_present(CMD_V13, 1) }, U64>,
        /// Unknown (13.0b4 and later only; downstream `unk_5dd_8`).
        pub unk_5e5: Array<{ if_present(CMD_V13, 0x1b) }, u8>,
        /// Trailing padding to 4-byte alignment (12.x only).
        pub pad_end: Pad<{ if CMD_V13 { 0 } else { 3 } }>,
    }
}

#[allow(dead_code, reason = "used only by const layout assertions, which older rustc (1.85) does not count as uses")]
const RUN_VERTEX_DELTA: usize = reg_list_delta(0x384 + 0xa0);
const _: () = assert!(core::mem::offset_of!(RunVertex, vm_slot) == 0x4 + CMD_COUNTER);
const _: () = assert!(
    core::mem::offset_of!(RunVertex, microsequence) == 0x46c + CMD_COUNTER + RUN_VERTEX_DELTA
);
const _: () = assert!(
    core::mem::offset_of!(RunVertex, meta)
        == 0x564 + CMD_COUNTER + RUN_VERTEX_DELTA
);
const _: () = assert!(
    core::mem::offset_of!(RunVertex, timestamp_pointers) == 0x5b4 + CMD_COUNTER + RUN_VERTEX_DELTA
);
const _: () = assert!(
    core::mem::size_of::<RunVertex>() == (if CMD_V13 { 0x608 } else { 0x5e0 }) + RUN_VERTEX_DELTA
);

plain_layout! {
    /// Auxiliary framebuffer information (0x10 bytes, 0x18 from 13.0b4).
    ///
    /// Source: downstream `fw/fragment.rs` `raw::AuxFBInfo`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct AuxFbInfo {
        /// ISP control (downstream `isp_ctl`, `iogpu_unk_214` in older trees).
        pub isp_ctl: u32,
        /// Unknown (downstream `unk2`).
        pub unk_4: u32,
        /// Width.
        pub width: u32,
        /// Height.
        pub height: u32,
        /// Unknown (13.0b4 and later only; downstream `unk3`).
        pub unk_10: Array<{ if_present(CMD_V13, 1) }, U64>,
    }
}

const _: () = assert!(core::mem::size_of::<AuxFbInfo>() == 0x10 + CMD_COUNTER);

plain_layout! {
    /// First register block of a [`RunFragment`] on G13/G14 (0x348 bytes, at +0x78).
    ///
    /// Source: downstream `fw/fragment.rs` `raw::JobParameters1` (newest names). G14 inserts 0x30
    /// bytes and shortens the trailing pad by as much; 13.0b4 grows [`AuxFbInfo`] by 8 and drops
    /// an 8-byte pad, so the size never changes.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct FragmentJobParams1 {
        /// Microtile configuration.
        pub utile_config: u32,
        /// Unknown.
        pub unk_4: u32,
        /// Background program.
        pub bg: BackgroundProgram,
        /// PPP multisample control.
        pub ppp_multisamplectl: U64,
        /// ISP scissor array base.
        pub isp_scissor_base: U64,
        /// ISP depth-bias array base.
        pub isp_dbias_base: U64,
        /// Auxiliary framebuffer information.
        pub aux_fb_info: AuxFbInfo,
        /// ISP ZLS pixel dimensions.
        pub isp_zls_pixels: U64,
        /// ISP occlusion-query base.
        pub isp_oclqry_base: U64,
        /// ZLS control.
        pub zls_ctrl: U64,
        /// Unknown (G14 only; at 0x58 there; downstream `unk_58_g14_0`/`unk_58_g14_8`).
        pub unk_58_g14: Array<{ if_present(!CMD_G13, 2) }, U64>,
        /// Depth load address.
        pub z_load: U64,
        /// Depth store address.
        pub z_store: U64,
        /// Stencil load address.
        pub s_load: U64,
        /// Stencil store address.
        pub s_store: U64,
        /// Unknown (G14 only; at 0x88 there; downstream `unk_68_g14_0`).
        pub unk_88_g14: Array<{ if_present(!CMD_G13, 0x20) }, u8>,
        /// Depth load stride.
        pub z_load_stride: U64,
        /// Depth store stride.
        pub z_store_stride: U64,
        /// Stencil load stride.
        pub s_load_stride: U64,
        /// Stencil store stride.
        pub s_store_stride: U64,
        /// Compressed depth load address.
        pub z_load_comp: U64,
        /// Compressed depth load stride.
        pub z_load_comp_stride: U64,
        /// Compressed depth store address.
        pub z_store_comp: U64,
        /// Compressed depth store stride.
        pub z_store_comp_stride: U64,
        /// Compressed stencil load address.
        pub s_load_comp: U64,
        /// Compressed stencil load stride.
        pub s_load_comp_stride: U64,
        /// Compressed stencil store address.
        pub s_store_comp: U64,
        /// Compressed stencil store stride.
        pub s_store_comp_stride: U64,
        /// TVB tile map.
        pub tvb_tilemap: GpuPtr,
        /// TVB layer metadata.
        pub tvb_layermeta: GpuPtr,
        /// Macrotile stride in dwords.
        pub mtile_stride_dwords: U64,
        /// TVB heap metadata.
        pub tvb_heapmeta: GpuPtr,
        /// Tile configuration.
        pub tile_config: U64,
        /// Auxiliary framebuffer.
        pub aux_fb: GpuPtr,
        /// Unknown.
        pub unk_108: Array<6, U64>,
        /// USC execution base for ISP.
        pub usc_exec_base_isp: U64,
        /// Unknown.
        pub unk_140: U64,
        /// Helper program.
        pub helper_program: u32,
        /// Unknown.
        pub unk_14c: u32,
        /// Helper program argument.
        pub helper_arg: U64,
        /// Unknown.
        pub unk_158: U64,
        /// Unknown.
        pub unk_160: U64,
        /// Unknown (zero).
        pub pad_168: Pad<{ (if CMD_G13 { 0x1d8 } else { 0x1a8 }) + if CMD_V13 { 0 } else { 8 } }>,
    }
}

const _: () = assert!(
    core::mem::offset_of!(FragmentJobParams1, z_load)
        == (if CMD_G13 { 0x58 } else { 0x68 }) + CMD_COUNTER
);
const _: () = assert!(core::mem::size_of::<FragmentJobParams1>() == 0x348);

plain_layout! {
    /// Third register block of a [`RunFragment`] (0x2a8 bytes, 0x2b8 from 13.0b4).
    ///
    /// Source: downstream `fw/fragment.rs` `raw::JobParameters3` (newest tree). Downstream names
    /// its unknowns by offset from the start of `JobParameters2`, i.e. offset here + 0xf0
    /// (`unk_118` is `unk_28` here).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct FragmentJobParams3 {
        /// ISP depth-bias array.
        pub isp_dbias_base: ArrayAddr,
        /// ISP scissor array.
        pub isp_scissor_base: ArrayAddr,
        /// ISP occlusion-query base.
        pub isp_oclqry_base: U64,
        /// Unknown (downstream `unk_118`).
        pub unk_28: U64,
        /// Unknown (downstream `unk_120`).
        pub unk_30: Array<0x25, U64>,
        /// Partial-render background program (unknown use).
        pub unk_partial_bg: BackgroundProgram,
        /// Unknown (downstream `unk_258`).
        pub unk_168: U64,
        /// Unknown (downstream `unk_260`).
        pub unk_170: U64,
        /// Unknown (downstream `unk_268`).
        pub unk_178: U64,
        /// Unknown (downstream `unk_270`).
        pub unk_180: U64,
        /// Partial-render background program.
        pub partial_bg: BackgroundProgram,
        /// ZLS control.
        pub zls_ctrl: U64,
        /// Unknown (downstream `unk_290`).
        pub unk_1a0: U64,
        /// Depth load address.
        pub z_load: U64,
        /// Depth partial stride.
        pub z_partial_stride: U64,
        /// Compressed depth partial stride.
        pub z_partial_comp_stride: U64,
        /// Depth store address.
        pub z_store: U64,
        /// Depth partial address.
        pub z_partial: U64,
        /// Compressed depth partial address.
        pub z_partial_comp: U64,
        /// Stencil load address.
        pub s_load: U64,
        /// Stencil partial stride.
        pub s_partial_stride: U64,
        /// Compressed stencil partial stride.
        pub s_partial_comp_stride: U64,
        /// Stencil store address.
        pub s_store: U64,
        /// Stencil partial address.
        pub s_partial: U64,
        /// Compressed stencil partial address.
        pub s_partial_comp: U64,
        /// Unknown (downstream `unk_2f8`).
        pub unk_208: Array<2, U64>,
        /// Tile-buffer blocks.
        pub tib_blocks: u32,
        /// Unknown (downstream `unk_30c`).
        pub unk_21c: u32,
        /// Auxiliary framebuffer information.
        pub aux_fb_info: AuxFbInfo,
        /// Tile configuration.
        pub tile_config: U64,
        /// Unknown (downstream `unk_328_padding`).
        pub unk_238: Array<8, u8>,
        /// Partial-render end-of-tile program (unknown use).
        pub unk_partial_eot: EotProgram,
        /// Partial-render end-of-tile program.
        pub partial_eot: EotProgram,
        /// ISP background object depth.
        pub isp_bgobjdepth: u32,
        /// ISP background object values.
        pub isp_bgobjvals: u32,
        /// Sample size.
        pub sample_size: u32,
        /// Unknown (downstream `unk_37c`).
        pub unk_28c: u32,
        /// Unknown (downstream `unk_380`).
        pub unk_290: U64,
        /// Unknown (downstream `unk_388`).
        pub unk_298: U64,
        /// Unknown (13.0b4 and later only; downstream `unk_390_0`).
        pub unk_2a0: Array<{ if_present(CMD_V13, 1) }, U64>,
        /// ISP ZLS pixel dimensions.
        pub isp_zls_pixels: U64,
    }
}

const _: () = assert!(core::mem::offset_of!(FragmentJobParams3, tib_blocks) == 0x218);
const _: () = assert!(core::mem::size_of::<FragmentJobParams3>() == 0x2a8 + 2 * CMD_COUNTER);

plain_layout! {
    /// The fragment (3D) run command, `CommandType::RunFragment` (0x930 bytes on 12.x, 0x968
    /// from 13.0b4, 0x96c from 13.3; 0x2d8 more with a register list).
    ///
    /// Source: downstream `fw/fragment.rs` `raw::RunFragment` (AsahiLinux/linux asahi branch;
    /// herrnst/linux-asahi); m1n1 `WorkCommand3D` (12.3: `tile_count` at 0x70, `unk_758` at
    /// 0x758, `busy_flag` at 0x870, `unk_924` at 0x924; m1n1 adds a 0x18-byte trailing pad that
    /// downstream leaves to the allocator).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct RunFragment {
        /// `CommandType::RunFragment` (1).
        pub tag: u32,
        /// Command counter (13.0b4 and later only).
        pub counter: Array<{ if_present(CMD_V13, 1) }, U64>,
        /// VM (context) slot.
        pub vm_slot: u32,
        /// Unknown.
        pub unk_8: u32,
        /// The job's microsequence.
        pub microsequence: GpuPtr,
        /// Size of the microsequence in bytes.
        pub microsequence_size: u32,
        /// The queue's `Notifier`.
        pub notifier: GpuPtr,
        /// The buffer manager's `buffer::Info`.
        pub buffer: GpuPtr,
        /// The render's `buffer::Scene`.
        pub scene: GpuPtr,
        /// Unknown buffer of the buffer manager.
        pub unk_buffer_buf: GpuPtr,
        /// TVB tile map.
        pub tvb_tilemap: GpuPtr,
        /// PPP multisample control.
        pub ppp_multisamplectl: U64,
        /// Sample count.
        pub samples: u32,
        /// Tiles per macrotile, Y.
        pub tiles_per_mtile_y: u16,
        /// Tiles per macrotile, X.
        pub tiles_per_mtile_x: u16,
        /// Unknown.
        pub unk_50: U64,
        /// Unknown.
        pub unk_58: U64,
        /// ISP merge upper X (`f32` bits).
        pub isp_merge_upper_x: u32,
        /// ISP merge upper Y (`f32` bits).
        pub isp_merge_upper_y: u32,
        /// Unknown.
        pub unk_68: U64,
        /// Tile count.
        pub tile_count: U64,
        /// First register block (G13/G14).
        pub job_params1: Array<{ if_present(!CMD_REG_LIST, 1) }, FragmentJobParams1>,
        /// Second register block (G13/G14).
        pub job_params2: Array<{ if_present(!CMD_REG_LIST, 1) }, FragmentJobParams2>,
        /// Register list (G14X).
        pub registers: Array<{ if_present(CMD_REG_LIST, 1) }, RegisterArray>,
        /// Third register block.
        pub job_params3: FragmentJobParams3,
        /// Unknown flag (downstream `unk_758_flag`).
        pub unk_758: u32,
        /// Unknown flag (downstream `unk_75c_flag`).
        pub unk_75c: u32,
        /// Unknown (downstream `unk_buf`).
        pub unk_760: Array<0x110, u8>,
        /// Busy flag.
        pub busy_flag: u32,
        /// TVB overflow count.
        pub tvb_overflow_count: u32,
        /// Unknown.
        pub unk_878: u32,
        /// Encoder parameters.
        pub encoder_params: EncoderParams,
        /// Process empty tiles.
        pub process_empty_tiles: u32,
        /// Do not clear pipeline textures.
        pub no_clear_pipeline_textures: u32,
        /// MSAA depth/stencil.
        pub msaa_zs: u32,
        /// Unknown (downstream `unk_pointee`).
        pub unk_pointee: u32,
        /// Unknown (13.3 and later only; downstream `unk_v13_3`).
        pub unk_v13_3: Array<{ if_present(CMD_V13_3, 1) }, U32>,
        /// Completion stamp and event slot.
        pub meta: JobMeta,
        /// Unknown (downstream `unk_after_meta`).
        pub unk_8e0: u32,
        /// Unknown (downstream `unk_buf_0`).
        pub unk_8e4: U64,
        /// Unknown (downstream `unk_buf_8`).
        pub unk_8ec: U64,
        /// Unknown (downstream `unk_buf_10`).
        pub unk_8f4: U64,
        /// Submission time (downstream `command_time`, `cur_ts` in older trees).
        pub command_time: U64,
        /// Where the firmware writes the kernel's start/end times.
        pub timestamp_pointers: TimestampPointers,
        /// Where the firmware writes user-requested start/end times (older trees: `unk_914`,
        /// `unk_918`, `unk_920`).
        pub user_timestamp_pointers: TimestampPointers,
        /// Client sequence number.
        pub client_sequence: u8,
        /// Padding.
        pub pad_925: Pad<3>,
        /// Unknown.
        pub unk_928: u32,
        /// Unknown.
        pub unk_92c: u8,
        /// Unknown timestamp (13.0b4 and later only; downstream `unk_ts`).
        pub unk_92d: Array<{ if_present(CMD_V13, 1) }, U64>,
        /// Unknown (13.0b4 and later only; downstream `unk_92d_8`).
        pub unk_935: Array<{ if_present(CMD_V13, 0x1b) }, u8>,
        /// Trailing padding to 4-byte alignment (12.x only).
        pub pad_end: Pad<{ if CMD_V13 { 0 } else { 3 } }>,
    }
}

#[allow(dead_code, reason = "used only by const layout assertions, which older rustc (1.85) does not count as uses")]
const RUN_FRAGMENT_DELTA: usize = reg_list_delta(0x348 + 0xf0);
/// Bytes the 13.x changes add before `meta`: the counter, [`AuxFbInfo`] and `unk_2a0` in
/// `job_params3`, and `unk_v13_3`.
#[allow(dead_code, reason = "used only by const layout assertions, which older rustc (1.85) does not count as uses")]
const RUN_FRAGMENT_META_SHIFT: usize = 3 * CMD_COUNTER + if_present(CMD_V13_3, 4);
const _: () = assert!(core::mem::offset_of!(RunFragment, vm_slot) == 0x4 + CMD_COUNTER);
const _: () = assert!(core::mem::offset_of!(RunFragment, microsequence) == 0xc + CMD_COUNTER);
const _: () = assert!(
    core::mem::offset_of!(RunFragment, job_params3) == 0x4b0 + CMD_COUNTER + RUN_FRAGMENT_DELTA
);
const _: () = assert!(
    core::mem::offset_of!(RunFragment, unk_758) == 0x758 + 3 * CMD_COUNTER + RUN_FRAGMENT_DELTA
);
const _: () = assert!(
    core::mem::offset_of!(RunFragment, meta) == 0x8b4 + RUN_FRAGMENT_META_SHIFT + RUN_FRAGMENT_DELTA
);
const _: () = assert!(
    core::mem::offset_of!(RunFragment, timestamp_pointers)
        == 0x904 + RUN_FRAGMENT_META_SHIFT + RUN_FRAGMENT_DELTA
);
const _: () = assert!(
    core::mem::size_of::<RunFragment>()
        == (if CMD_V13 { 0x968 + if_present(CMD_V13_3, 4) } else { 0x930 }) + RUN_FRAGMENT_DELTA
);
