// Versioned microsequence ops, sequence constructors and decoder, included once per variant
// module by `defs/variants.rs` after `commands.rs` and `commands_compute.rs` (the Start ops
// point into the run commands, whose field offsets the constructors take from those layouts).
// `microseq_tests.rs` holds the per-variant tests.
//
// Sources: downstream `fw/microseq.rs` (herrnst/linux-asahi @ efa808b7: field lists and
// `#[ver]` conditions of every op) and the sequences of `queue/compute.rs` `submit_compute` and
// `queue/render.rs` `submit_render` (which fields point where, constants); m1n1
// `proxyclient/m1n1/fw/agx/microsequence.py` (`TimestampCmd` 0x34, `FinalizeComputeCmd` 0x64,
// `Finalize3DCmd` 0x9c, `Start3DCmd` 0x194 on 12.3); reference `firmware-commands.md` §1.1 (sizes)
// and §1.2 (offsets). Offsets in the docs are "12.3 G13 | 13.5 G13/G14 | 13.5 G14X".

/// Microsequence ops of this variant, the sequences the driver builds from them, and the
/// decoder the firmware model walks them with.
///
/// The version-independent parts (opcodes, pipes, attachments, [`Builder`], errors) live in
/// `defs::microseq`; those this module uses are re-exported here.
pub mod microseq {
    use super::*;

    // Only what this file uses itself (the module mounts these files without
    // `allow(unused_imports)`); `Attachment` and `MAX_ATTACHMENTS` are in `defs::microseq`.
    pub use super::super::super::microseq::{
        timestamp_header, Attachments, Builder, MicroseqError, OpCode, Pipe, RETIRE_STAMP_HEADER,
        TIMESTAMP_START_FLAG, WAIT_FOR_IDLE2_HEADER,
    };
    use core::mem::{offset_of, size_of};

    /// Firmware ≥ 13.0b4: the Start ops gain `counter`/`notifier_buf`, Timestamp `unk_ts`, the
    /// Finalize ops trailing bytes (downstream `#[ver(V >= V13_0B4)]`).
    pub const V13: bool = VARIANT.fw_at_least(FwVersion::V13_0B4);
    /// Firmware ≥ 13.3: the fragment ops gain a word (downstream `#[ver(V >= V13_3)]`).
    pub const V13_3: bool = VARIANT.fw_at_least(FwVersion::V13_3);
    /// G14X: Start ops point at a register list; `WaitForIdle2` replaces `WaitForIdle`
    /// (downstream `#[ver(G >= G14X)]`).
    pub const G14X: bool = VARIANT.gen_at_least(Gen::G14X);
    /// G14G with firmware 12.x: the Finalize ops have an extra `U64` (downstream
    /// `#[ver(G == G14 && V < V13_0B4)]`; `G >= G14` for FinalizeVertex, the same set here).
    pub const G14_V12: bool = VARIANT.gen_is(Gen::G14) && !V13;

    plain_layout! {
        /// `WaitForIdle` (4 bytes; G13, G14G): header `0x01 | pipe << 8`.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[repr(C)]
        pub struct WaitForIdle {
            /// [`Pipe::wait_for_idle_header`].
            pub header: u32,
        }

        /// `WaitForIdle2` (4 bytes; G14X): header [`WAIT_FOR_IDLE2_HEADER`].
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[repr(C)]
        pub struct WaitForIdle2 {
            /// [`WAIT_FOR_IDLE2_HEADER`].
            pub header: u32,
        }

        /// `RetireStamp` (4 bytes), the last op: header [`RETIRE_STAMP_HEADER`].
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[repr(C)]
        pub struct RetireStamp {
            /// [`RETIRE_STAMP_HEADER`].
            pub header: u32,
        }

        /// `Timestamp` (0x34 | 0x3c | 0x3c): writes the time where `update_ts` points.
        ///
        /// Source: downstream `Timestamp` (newest names: `command_time`, `ts_pointers`,
        /// `user_ts_pointers`); m1n1 `TimestampCmd` (0x34 on 12.3).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[repr(C)]
        pub struct Timestamp {
            /// [`timestamp_header`] (bit 31 on the start timestamp).
            pub header: u32,
            /// `Run*.command_time` (0x4).
            pub command_time: GpuPtr,
            /// `Run*.timestamp_pointers` (0xc).
            pub ts_pointers: GpuPtr,
            /// `&Run*.timestamp_pointers.start_addr` (start op) or `.end_addr` (end op): the
            /// firmware writes the time at the address stored there (0x14).
            pub update_ts: GpuPtr,
            /// The work queue's `QueueInfo` (0x1c).
            pub work_queue: GpuPtr,
            /// `Run*.user_timestamp_pointers` (0x24; older trees: `unk_24` = 0).
            pub user_ts_pointers: GpuPtr,
            /// `Run*.unk_ts`, for compute `RunCompute.context_store_req` (13.x only, 0x2c).
            pub unk_ts: Array<{ if_present(V13, 1) }, GpuPtr>,
            /// Command uuid (0x2c | 0x34).
            pub uuid: u32,
            /// Zero.
            pub unk_30: u32,
        }

        /// `StartVertex` (0x17c | 0x18c | 0x194).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[repr(C)]
        pub struct StartVertex {
            /// Opcode 0x22.
            pub header: u32,
            /// `RunVertex.tiling_params`; null on G14X (0x4).
            pub tiling_params: GpuPtr,
            /// `RunVertex.job_params1`; null on G14X (0xc).
            pub job_params1: GpuPtr,
            /// `RunVertex.registers` (G14X only, 0x14).
            pub registers: Array<{ if_present(G14X, 1) }, GpuPtr>,
            /// The buffer manager's `Info` (0x14 | 0x14 | 0x1c).
            pub buffer: GpuPtr,
            /// The render's `Scene` (0x1c | 0x1c | 0x24).
            pub scene: GpuPtr,
            /// Vertex statistics (`runtime_pointers.stats.vtx`'s `stats`).
            pub stats: GpuPtr,
            /// The vertex work queue's `QueueInfo`.
            pub work_queue: GpuPtr,
            /// VM slot (0x34 | 0x34 | 0x3c).
            pub vm_slot: u32,
            /// 1.
            pub unk_38: u32,
            /// Event generation: the queue id.
            pub event_generation: u32,
            /// Buffer-manager slot of the scene.
            pub buffer_slot: u32,
            /// Zero.
            pub unk_44: u32,
            /// Event sequence number (0x48 | 0x48 | 0x50).
            pub event_seq: U64,
            /// Zero.
            pub unk_50: u32,
            /// `&RunVertex.unk_pointee` (0x54 | 0x54 | 0x5c).
            pub unk_pointer: GpuPtr,
            /// `&RunVertex.unk_buf_0` (ours `unk_594`).
            pub unk_job_buf: GpuPtr,
            /// Zero.
            pub unk_64: u32,
            /// Zero.
            pub unk_68: u32,
            /// Command uuid (0x6c | 0x6c | 0x74).
            pub uuid: u32,
            /// Attachments (0x70 | 0x70 | 0x78).
            pub attachments: Attachments,
            /// Zero.
            pub padding: u32,
            /// Per-queue command counter (13.x only, 0x178 | 0x180).
            pub counter: Array<{ if_present(V13, 1) }, U64>,
            /// The notifier's `state.unk_buf` (13.x only).
            pub notifier_buf: Array<{ if_present(V13, 1) }, GpuPtr>,
            /// 13.x: 1 unless the scene uses clustering; 12.x: 0 (0x178 | 0x188 | 0x190).
            pub unk_178: u32,
        }

        /// `FinalizeVertex` (0x74, G14G 12.x 0x7c | 0x84 | 0x84).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[repr(C)]
        pub struct FinalizeVertex {
            /// Opcode 0x23.
            pub header: u32,
            /// The render's `Scene` (0x4).
            pub scene: GpuPtr,
            /// The buffer manager's `Info` (0xc).
            pub buffer: GpuPtr,
            /// Vertex statistics (0x14).
            pub stats: GpuPtr,
            /// The vertex work queue's `QueueInfo` (0x1c).
            pub work_queue: GpuPtr,
            /// VM slot (0x24).
            pub vm_slot: u32,
            /// Zero.
            pub unk_28: u32,
            /// `&RunVertex.unk_pointee` (0x2c).
            pub unk_pointer: GpuPtr,
            /// Zero.
            pub unk_34: u32,
            /// Command uuid (0x38).
            pub uuid: u32,
            /// The work queue's firmware stamp (0x3c).
            pub fw_stamp: GpuPtr,
            /// Value written to `fw_stamp` on completion (0x44).
            pub stamp_value: u32,
            /// Zero.
            pub unk_48: U64,
            /// Zero.
            pub unk_50: u32,
            /// Zero.
            pub unk_54: u32,
            /// Zero.
            pub unk_58: U64,
            /// Zero.
            pub unk_60: u32,
            /// Zero.
            pub unk_64: u32,
            /// Zero.
            pub unk_68: u32,
            /// Zero (G14G 12.x only).
            pub unk_68_g14: Array<{ if_present(G14_V12, 1) }, U64>,
            /// Negative byte distance from this op back to its `StartVertex` (0x6c, G14G 12.x
            /// 0x74).
            pub restart_branch_offset: i32,
            /// 1 if the start op has attachments (0x70, G14G 12.x 0x78).
            pub has_attachments: u32,
            /// Zero (13.x only, 0x74).
            pub unk_74: Array<{ if_present(V13, 0x10) }, u8>,
        }

        /// `StartFragment` (0x194 | 0x1ac | 0x1b4).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[repr(C)]
        pub struct StartFragment {
            /// Opcode 0x24.
            pub header: u32,
            /// `RunFragment.job_params2`; null on G14X (0x4).
            pub job_params2: GpuPtr,
            /// `RunFragment.job_params1`; null on G14X (0xc).
            pub job_params1: GpuPtr,
            /// `RunFragment.registers` (G14X only, 0x14).
            pub registers: Array<{ if_present(G14X, 1) }, GpuPtr>,
            /// The render's `Scene` (0x14 | 0x14 | 0x1c).
            pub scene: GpuPtr,
            /// Fragment statistics (0x1c | 0x1c | 0x24).
            pub stats: GpuPtr,
            /// `&RunFragment.busy_flag`.
            pub busy_flag: GpuPtr,
            /// `&RunFragment.tvb_overflow_count`.
            pub tvb_overflow_count: GpuPtr,
            /// `&RunFragment.unk_pointee`.
            pub unk_pointer: GpuPtr,
            /// The fragment work queue's `QueueInfo` (0x3c | 0x3c | 0x44).
            pub work_queue: GpuPtr,
            /// The `RunFragment` itself (0x44 | 0x44 | 0x4c).
            pub work_item: GpuPtr,
            /// VM slot (0x4c | 0x4c | 0x54).
            pub vm_slot: u32,
            /// 1.
            pub unk_50: u32,
            /// Event generation: the queue id.
            pub event_generation: u32,
            /// Buffer-manager slot of the scene.
            pub buffer_slot: u32,
            /// Synchronous TVB grow: 0.
            pub sync_grow: u32,
            /// Event sequence number (0x60 | 0x60 | 0x68).
            pub event_seq: U64,
            /// Zero.
            pub unk_68: u32,
            /// `&RunFragment.unk_758_flag` (ours `unk_758`; 0x6c | 0x6c | 0x74).
            pub unk_758_flag: GpuPtr,
            /// `&RunFragment.unk_buf_0` (ours `unk_8e4`).
            pub unk_job_buf: GpuPtr,
            /// Zero (13.3 and later only, 0x7c).
            pub unk_7c_0: Array<{ if_present(V13_3, 1) }, U64>,
            /// Zero.
            pub unk_7c: u32,
            /// Zero.
            pub unk_80: u32,
            /// Zero (reference §1.2).
            pub unk_84: u32,
            /// Command uuid (0x88 | 0x90 | 0x98).
            pub uuid: u32,
            /// Attachments (0x8c | 0x94 | 0x9c).
            pub attachments: Attachments,
            /// Zero.
            pub padding: u32,
            /// Per-queue command counter (13.x only, 0x19c | 0x1a4).
            pub counter: Array<{ if_present(V13, 1) }, U64>,
            /// The notifier's `state.unk_buf` (13.x only, 0x1a4 | 0x1ac).
            pub notifier_buf: Array<{ if_present(V13, 1) }, GpuPtr>,
        }

        /// `FinalizeFragment` (0x9c, G14G 12.x 0xa4 | 0xb4 | 0xb4).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[repr(C)]
        pub struct FinalizeFragment {
            /// Opcode 0x25.
            pub header: u32,
            /// Command uuid (0x4).
            pub uuid: u32,
            /// Zero.
            pub unk_8: u32,
            /// The work queue's firmware stamp (0xc).
            pub fw_stamp: GpuPtr,
            /// Value written to `fw_stamp` on completion (0x14).
            pub stamp_value: u32,
            /// Zero.
            pub unk_18: u32,
            /// The render's `Scene` (0x1c).
            pub scene: GpuPtr,
            /// The buffer manager's `Info` (0x24).
            pub buffer: GpuPtr,
            /// 1 (0x2c).
            pub unk_2c: U64,
            /// Fragment statistics (0x34).
            pub stats: GpuPtr,
            /// `&RunFragment.unk_pointee` (0x3c).
            pub unk_pointer: GpuPtr,
            /// `&RunFragment.busy_flag` (0x44).
            pub busy_flag: GpuPtr,
            /// The fragment work queue's `QueueInfo` (0x4c).
            pub work_queue: GpuPtr,
            /// The `RunFragment` itself (0x54).
            pub work_item: GpuPtr,
            /// VM slot (0x5c).
            pub vm_slot: u32,
            /// Zero.
            pub unk_60: u32,
            /// `&RunFragment.unk_758_flag` (0x64).
            pub unk_758_flag: GpuPtr,
            /// Zero (13.3 and later only, 0x6c).
            pub unk_6c_0: Array<{ if_present(V13_3, 1) }, U64>,
            /// Zero.
            pub unk_6c: Array<5, U64>,
            /// Zero (G14G 12.x only).
            pub unk_8c_g14: Array<{ if_present(G14_V12, 1) }, U64>,
            /// Negative byte distance back to the `StartFragment` (0x94, G14G 12.x 0x9c | 0x9c).
            pub restart_branch_offset: i32,
            /// 1 if the start op has attachments (0x98 | 0xa0).
            pub has_attachments: u32,
            /// Zero (13.x only, 0xa4).
            pub unk_9c: Array<{ if_present(V13, 0x10) }, u8>,
        }

        /// `StartCompute` (0x154 | 0x16c | 0x174).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[repr(C)]
        pub struct StartCompute {
            /// Opcode 0x29.
            pub header: u32,
            /// `&RunCompute.unk_pointee` (0x4).
            pub unk_pointer: GpuPtr,
            /// `RunCompute.job_params1`; null on G14X (0xc).
            pub job_params1: GpuPtr,
            /// `RunCompute.registers` (G14X only, 0x14).
            pub registers: Array<{ if_present(G14X, 1) }, GpuPtr>,
            /// Compute statistics (0x14 | 0x14 | 0x1c).
            pub stats: GpuPtr,
            /// The compute work queue's `QueueInfo` (0x1c | 0x1c | 0x24).
            pub work_queue: GpuPtr,
            /// VM slot (0x24 | 0x24 | 0x2c).
            pub vm_slot: u32,
            /// 1.
            pub unk_28: u32,
            /// Event generation: the queue id (0x2c | 0x2c | 0x34).
            pub event_generation: u32,
            /// Event sequence number (0x30 | 0x30 | 0x38).
            pub event_seq: U64,
            /// Zero.
            pub unk_38: u32,
            /// `RunCompute.job_params2` (0x3c | 0x3c | 0x44).
            pub job_params2: GpuPtr,
            /// Zero.
            pub unk_44: u32,
            /// Command uuid (0x48 | 0x48 | 0x50).
            pub uuid: u32,
            /// Attachments (0x4c | 0x4c | 0x54).
            pub attachments: Attachments,
            /// Zero.
            pub padding: u32,
            /// `&RunCompute.unk_flag` (ours `unk_2fd`; 13.x only, 0x154 | 0x15c).
            pub unk_flag: Array<{ if_present(V13, 1) }, GpuPtr>,
            /// Per-queue command counter (13.x only, 0x15c | 0x164).
            pub counter: Array<{ if_present(V13, 1) }, U64>,
            /// The notifier's `state.unk_buf` (13.x only, 0x164 | 0x16c).
            pub notifier_buf: Array<{ if_present(V13, 1) }, GpuPtr>,
        }

        /// `FinalizeCompute` (0x64, G14G 12.x 0x6c | 0x7c | 0x7c).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[repr(C)]
        pub struct FinalizeCompute {
            /// Opcode 0x2a.
            pub header: u32,
            /// Compute statistics (0x4).
            pub stats: GpuPtr,
            /// The compute work queue's `QueueInfo` (0xc).
            pub work_queue: GpuPtr,
            /// VM slot (0x14).
            pub vm_slot: u32,
            /// Zero (12.x only, 0x18).
            pub unk_18: Array<{ if_present(!V13, 1) }, U32>,
            /// `RunCompute.job_params2` (0x1c | 0x18).
            pub job_params2: GpuPtr,
            /// Zero.
            pub unk_24: u32,
            /// Command uuid (0x28 | 0x24).
            pub uuid: u32,
            /// The work queue's firmware stamp (0x2c | 0x28).
            pub fw_stamp: GpuPtr,
            /// Value written to `fw_stamp` on completion (0x34 | 0x30).
            pub stamp_value: u32,
            /// Zero.
            pub unk_38: Array<9, u32>,
            /// Zero (G14G 12.x only).
            pub unk_5c_g14: Array<{ if_present(G14_V12, 1) }, U64>,
            /// Negative byte distance back to the `StartCompute` (0x5c, G14G 12.x 0x64 | 0x58).
            pub restart_branch_offset: i32,
            /// 1 if the start op has attachments (0x60, G14G 12.x 0x68 | 0x5c).
            pub has_attachments: u32,
            /// Zero (13.x only, 0x60).
            pub unk_64: Array<{ if_present(V13, 0xd) }, u8>,
            /// `&RunCompute.unk_flag` again, at the unaligned 0x6d (13.x only).
            pub unk_flag: Array<{ if_present(V13, 1) }, GpuPtr>,
            /// Zero (13.x only, 0x75).
            pub unk_79: Array<{ if_present(V13, 7) }, u8>,
        }
    }

    /// Sizes per reference §1.1 (12.3 G13 / 13.5 / 13.5 G14X; G14G 12.x Finalize ops + 8).
    const fn size_is(actual: usize, v12: usize, v13: usize, g14x: usize) -> bool {
        actual == if G14X { g14x } else if V13 { v13 } else { v12 }
    }
    const G14_EXTRA: usize = if_present(G14_V12, 8);
    const _: () = assert!(size_of::<WaitForIdle>() == 4 && size_of::<WaitForIdle2>() == 4);
    const _: () = assert!(size_of::<RetireStamp>() == 4);
    const _: () = assert!(size_is(size_of::<Timestamp>(), 0x34, 0x3c, 0x3c));
    const _: () = assert!(size_is(size_of::<StartVertex>(), 0x17c, 0x18c, 0x194));
    const _: () = assert!(size_is(size_of::<FinalizeVertex>(), 0x74 + G14_EXTRA, 0x84, 0x84));
    const _: () = assert!(size_is(size_of::<StartFragment>(), 0x194, 0x1ac, 0x1b4));
    const _: () = assert!(size_is(size_of::<FinalizeFragment>(), 0x9c + G14_EXTRA, 0xb4, 0xb4));
    const _: () = assert!(size_is(size_of::<StartCompute>(), 0x154, 0x16c, 0x174));
    const _: () = assert!(size_is(size_of::<FinalizeCompute>(), 0x64 + G14_EXTRA, 0x7c, 0x7c));
    const _: () = assert!(!V13 || offset_of!(FinalizeCompute, unk_flag) == 0x6d);
    const _: () = assert!(
        offset_of!(FinalizeCompute, restart_branch_offset)
            == if V13 { 0x58 } else { 0x5c + G14_EXTRA }
    );

    /// Bytes of the wait op (`WaitForIdle` or, on G14X, `WaitForIdle2`).
    const WAIT_SIZE: usize = 4;

    /// Bytes of the two Timestamp ops when `timestamps`.
    const fn ts_bytes(timestamps: bool) -> usize {
        if timestamps {
            2 * size_of::<Timestamp>()
        } else {
            0
        }
    }

    /// Length of a compute sequence, with or without timestamps.
    pub const fn compute_sequence_len(timestamps: bool) -> usize {
        size_of::<StartCompute>()
            + ts_bytes(timestamps)
            + WAIT_SIZE
            + size_of::<FinalizeCompute>()
            + size_of::<RetireStamp>()
    }

    /// Length of a vertex sequence, with or without timestamps.
    pub const fn vertex_sequence_len(timestamps: bool) -> usize {
        size_of::<StartVertex>()
            + ts_bytes(timestamps)
            + WAIT_SIZE
            + size_of::<FinalizeVertex>()
            + size_of::<RetireStamp>()
    }

    /// Length of a fragment sequence, with or without timestamps.
    pub const fn fragment_sequence_len(timestamps: bool) -> usize {
        size_of::<StartFragment>()
            + ts_bytes(timestamps)
            + WAIT_SIZE
            + size_of::<FinalizeFragment>()
            + size_of::<RetireStamp>()
    }

    /// What a compute sequence points at, besides the [`RunCompute`] it belongs to.
    ///
    /// The sub-structure addresses (`unk_pointee`, `job_params1` or `registers`,
    /// `job_params2`, `unk_flag`, the timestamp fields) are `run_compute` plus their offsets in
    /// this variant's [`RunCompute`], so the run command must be written with that layout.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct ComputeSeqInputs {
        /// GPU address of the command's [`RunCompute`].
        pub run_compute: u64,
        /// Compute statistics (`initdata.runtime_pointers.stats.comp`).
        pub stats: u64,
        /// The compute work queue's `QueueInfo`.
        pub work_queue: u64,
        /// The VM's slot.
        pub vm_slot: u32,
        /// Event generation (the queue id).
        pub event_generation: u32,
        /// Event sequence number of the work queue.
        pub event_seq: u64,
        /// Command uuid.
        pub uuid: u32,
        /// The work queue's firmware stamp (`FwStamp`).
        pub fw_stamp: u64,
        /// Value the firmware writes to `fw_stamp` on completion (`value.next()`).
        pub stamp_value: u32,
        /// Per-queue command counter (13.x; ignored on 12.x).
        pub counter: u64,
        /// The notifier's `state.unk_buf` (13.x; ignored on 12.x).
        pub notifier_buf: u64,
        /// Emit the start and end Timestamp ops (a user timestamp was requested).
        pub timestamps: bool,
        /// The attachments copied into the start op.
        pub attachments: Attachments,
    }

    /// What a vertex sequence points at, besides the [`RunVertex`] it belongs to (its
    /// sub-structure addresses are `run_vertex` plus this variant's [`RunVertex`] offsets).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct VertexSeqInputs {
        /// GPU address of the command's [`RunVertex`].
        pub run_vertex: u64,
        /// The buffer manager's `Info`.
        pub buffer: u64,
        /// The render's `Scene`.
        pub scene: u64,
        /// Vertex statistics (`initdata.runtime_pointers.stats.vtx`'s `stats`).
        pub stats: u64,
        /// The vertex work queue's `QueueInfo`.
        pub work_queue: u64,
        /// The VM's slot.
        pub vm_slot: u32,
        /// Event generation (the queue id).
        pub event_generation: u32,
        /// The scene's buffer-manager slot.
        pub buffer_slot: u32,
        /// Event sequence number of the work queue.
        pub event_seq: u64,
        /// Command uuid.
        pub uuid: u32,
        /// The work queue's firmware stamp (`FwStamp`).
        pub fw_stamp: u64,
        /// Value the firmware writes to `fw_stamp` on completion.
        pub stamp_value: u32,
        /// Per-queue command counter (13.x).
        pub counter: u64,
        /// The notifier's `state.unk_buf` (13.x).
        pub notifier_buf: u64,
        /// The scene uses clustering (13.x `StartVertex.unk_178` = !clustering).
        pub clustering: bool,
        /// Emit the start and end Timestamp ops.
        pub timestamps: bool,
        /// The vertex attachments.
        pub attachments: Attachments,
    }

    /// What a fragment sequence points at, besides the [`RunFragment`] it belongs to (its
    /// sub-structure addresses are `run_fragment` plus this variant's [`RunFragment`] offsets).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct FragmentSeqInputs {
        /// GPU address of the command's [`RunFragment`] (also the ops' `work_item`).
        pub run_fragment: u64,
        /// The render's `Scene`.
        pub scene: u64,
        /// The buffer manager's `Info`.
        pub buffer: u64,
        /// Fragment statistics (`initdata.runtime_pointers.stats.frag`'s `stats`).
        pub stats: u64,
        /// The fragment work queue's `QueueInfo`.
        pub work_queue: u64,
        /// The VM's slot.
        pub vm_slot: u32,
        /// Event generation (the queue id).
        pub event_generation: u32,
        /// The scene's buffer-manager slot.
        pub buffer_slot: u32,
        /// Event sequence number of the work queue.
        pub event_seq: u64,
        /// Command uuid.
        pub uuid: u32,
        /// The work queue's firmware stamp (`FwStamp`).
        pub fw_stamp: u64,
        /// Value the firmware writes to `fw_stamp` on completion.
        pub stamp_value: u32,
        /// Per-queue command counter (13.x).
        pub counter: u64,
        /// The notifier's `state.unk_buf` (13.x).
        pub notifier_buf: u64,
        /// Emit the start and end Timestamp ops.
        pub timestamps: bool,
        /// The fragment attachments.
        pub attachments: Attachments,
    }

    /// Sets every element of a version-dependent field (nothing when the field is absent).
    fn put<const N: usize, T: Copy>(field: &mut Array<N, T>, v: T) {
        for x in field.iter_mut() {
            *x = v;
        }
    }

    /// `base + off` as a [`GpuPtr`].
    fn at(base: u64, off: usize) -> GpuPtr {
        GpuPtr::new(base.wrapping_add(off as u64))
    }

    /// Where a run command's timestamp fields are: offsets of `command_time`,
    /// `timestamp_pointers`, `user_timestamp_pointers` and the `unk_ts` word.
    struct TsOffsets {
        command_time: usize,
        ts_pointers: usize,
        user_ts_pointers: usize,
        unk_ts: usize,
    }

    /// The Timestamp op for a run command at `run` (`start`: the start one).
    fn timestamp(run: u64, o: &TsOffsets, work_queue: u64, uuid: u32, start: bool) -> Timestamp {
        let which = if start {
            offset_of!(TimestampPointers, start_addr)
        } else {
            offset_of!(TimestampPointers, end_addr)
        };
        let mut t = Timestamp {
            header: timestamp_header(start),
            command_time: at(run, o.command_time),
            ts_pointers: at(run, o.ts_pointers),
            update_ts: at(run, o.ts_pointers + which),
            work_queue: GpuPtr::new(work_queue),
            user_ts_pointers: at(run, o.user_ts_pointers),
            uuid,
            ..Timestamp::default()
        };
        put(&mut t.unk_ts, at(run, o.unk_ts));
        t
    }

    /// Appends the wait op for `pipe` (`WaitForIdle2` on G14X).
    fn add_wait(b: &mut Builder<'_>, pipe: Pipe) -> Result<(), MicroseqError> {
        if G14X {
            b.add(&WaitForIdle2 {
                header: WAIT_FOR_IDLE2_HEADER,
            })?;
        } else {
            b.add(&WaitForIdle {
                header: pipe.wait_for_idle_header(),
            })?;
        }
        Ok(())
    }

    /// Appends Start, [Timestamp start], wait, [Timestamp end]; returns the Start op's offset.
    fn add_head<S: Plain>(
        b: &mut Builder<'_>,
        start: &S,
        ts: Option<(u64, &TsOffsets, u64, u32)>,
        pipe: Pipe,
    ) -> Result<i32, MicroseqError> {
        let start_off = b.add(start)?;
        if let Some((run, o, wq, uuid)) = ts {
            b.add(&timestamp(run, o, wq, uuid, true))?;
        }
        add_wait(b, pipe)?;
        if let Some((run, o, wq, uuid)) = ts {
            b.add(&timestamp(run, o, wq, uuid, false))?;
        }
        Ok(start_off)
    }

    /// Appends the compute sequence `StartCompute → [Timestamp start] → WaitForIdle(compute)
    /// (WaitForIdle2 on G14X) → [Timestamp end] → FinalizeCompute → RetireStamp` and returns
    /// its length. `NoSpace` (nothing appended) if it does not fit.
    ///
    /// Source: downstream `queue/compute.rs` `submit_compute`.
    pub fn compute_sequence(
        i: &ComputeSeqInputs,
        b: &mut Builder<'_>,
    ) -> Result<usize, MicroseqError> {
        let len = compute_sequence_len(i.timestamps);
        b.reserve(len)?;
        let run = i.run_compute;
        let job_params2 = at(run, offset_of!(RunCompute, job_params2));
        let unk_flag = at(run, offset_of!(RunCompute, unk_2fd));
        let mut start = StartCompute {
            header: OpCode::StartCompute.value(),
            unk_pointer: at(run, offset_of!(RunCompute, unk_pointee)),
            job_params1: if G14X {
                GpuPtr::NULL
            } else {
                at(run, offset_of!(RunCompute, job_params1))
            },
            stats: GpuPtr::new(i.stats),
            work_queue: GpuPtr::new(i.work_queue),
            vm_slot: i.vm_slot,
            unk_28: 1,
            event_generation: i.event_generation,
            event_seq: U64(i.event_seq),
            job_params2,
            uuid: i.uuid,
            attachments: i.attachments,
            ..StartCompute::default()
        };
        put(&mut start.registers, at(run, offset_of!(RunCompute, registers)));
        put(&mut start.unk_flag, unk_flag);
        put(&mut start.counter, U64(i.counter));
        put(&mut start.notifier_buf, GpuPtr::new(i.notifier_buf));
        let ts = TsOffsets {
            command_time: offset_of!(RunCompute, command_time),
            ts_pointers: offset_of!(RunCompute, timestamp_pointers),
            user_ts_pointers: offset_of!(RunCompute, user_timestamp_pointers),
            unk_ts: offset_of!(RunCompute, context_store_req),
        };
        let ts = i.timestamps.then_some((run, &ts, i.work_queue, i.uuid));
        let start_off = add_head(b, &start, ts, Pipe::Compute)?;
        let mut fin = FinalizeCompute {
            header: OpCode::FinalizeCompute.value(),
            stats: GpuPtr::new(i.stats),
            work_queue: GpuPtr::new(i.work_queue),
            vm_slot: i.vm_slot,
            job_params2,
            uuid: i.uuid,
            fw_stamp: GpuPtr::new(i.fw_stamp),
            stamp_value: i.stamp_value,
            restart_branch_offset: b.offset_to(start_off),
            has_attachments: u32::from(i.attachments.has_any()),
            ..FinalizeCompute::default()
        };
        put(&mut fin.unk_flag, unk_flag);
        b.add(&fin)?;
        b.add(&RetireStamp {
            header: RETIRE_STAMP_HEADER,
        })?;
        Ok(len)
    }

    /// Appends the vertex sequence `StartVertex → [Timestamp start] → WaitForIdle(vertex)
    /// (WaitForIdle2 on G14X) → [Timestamp end] → FinalizeVertex → RetireStamp` and returns its
    /// length. `NoSpace` (nothing appended) if it does not fit.
    ///
    /// Source: downstream `queue/render.rs` `submit_render` (vertex half).
    pub fn vertex_sequence(
        i: &VertexSeqInputs,
        b: &mut Builder<'_>,
    ) -> Result<usize, MicroseqError> {
        let len = vertex_sequence_len(i.timestamps);
        b.reserve(len)?;
        let run = i.run_vertex;
        let unk_pointer = at(run, offset_of!(RunVertex, unk_pointee));
        let mut start = StartVertex {
            header: OpCode::StartVertex.value(),
            tiling_params: if G14X {
                GpuPtr::NULL
            } else {
                at(run, offset_of!(RunVertex, tiling_params))
            },
            job_params1: if G14X {
                GpuPtr::NULL
            } else {
                at(run, offset_of!(RunVertex, job_params1))
            },
            buffer: GpuPtr::new(i.buffer),
            scene: GpuPtr::new(i.scene),
            stats: GpuPtr::new(i.stats),
            work_queue: GpuPtr::new(i.work_queue),
            vm_slot: i.vm_slot,
            unk_38: 1,
            event_generation: i.event_generation,
            buffer_slot: i.buffer_slot,
            event_seq: U64(i.event_seq),
            unk_pointer,
            unk_job_buf: at(run, offset_of!(RunVertex, unk_594)),
            uuid: i.uuid,
            attachments: i.attachments,
            unk_178: u32::from(V13 && !i.clustering),
            ..StartVertex::default()
        };
        put(&mut start.registers, at(run, offset_of!(RunVertex, registers)));
        put(&mut start.counter, U64(i.counter));
        put(&mut start.notifier_buf, GpuPtr::new(i.notifier_buf));
        let ts = TsOffsets {
            command_time: offset_of!(RunVertex, command_time),
            ts_pointers: offset_of!(RunVertex, timestamp_pointers),
            user_ts_pointers: offset_of!(RunVertex, user_timestamp_pointers),
            unk_ts: offset_of!(RunVertex, unk_5dd),
        };
        let ts = i.timestamps.then_some((run, &ts, i.work_queue, i.uuid));
        let start_off = add_head(b, &start, ts, Pipe::Vertex)?;
        b.add(&FinalizeVertex {
            header: OpCode::FinalizeVertex.value(),
            scene: GpuPtr::new(i.scene),
            buffer: GpuPtr::new(i.buffer),
            stats: GpuPtr::new(i.stats),
            work_queue: GpuPtr::new(i.work_queue),
            vm_slot: i.vm_slot,
            unk_pointer,
            uuid: i.uuid,
            fw_stamp: GpuPtr::new(i.fw_stamp),
            stamp_value: i.stamp_value,
            restart_branch_offset: b.offset_to(start_off),
            has_attachments: u32::from(i.attachments.has_any()),
            ..FinalizeVertex::default()
        })?;
        b.add(&RetireStamp {
            header: RETIRE_STAMP_HEADER,
        })?;
        Ok(len)
    }

    /// Appends the fragment sequence `StartFragment → [Timestamp start] →
    /// WaitForIdle(fragment) (WaitForIdle2 on G14X) → [Timestamp end] → FinalizeFragment →
    /// RetireStamp` and returns its length. `NoSpace` (nothing appended) if it does not fit.
    ///
    /// Source: downstream `queue/render.rs` `submit_render` (fragment half).
    pub fn fragment_sequence(
        i: &FragmentSeqInputs,
        b: &mut Builder<'_>,
    ) -> Result<usize, MicroseqError> {
        let len = fragment_sequence_len(i.timestamps);
        b.reserve(len)?;
        let run = i.run_fragment;
        let unk_pointer = at(run, offset_of!(RunFragment, unk_pointee));
        let busy_flag = at(run, offset_of!(RunFragment, busy_flag));
        let unk_758_flag = at(run, offset_of!(RunFragment, unk_758));
        let mut start = StartFragment {
            header: OpCode::StartFragment.value(),
            job_params2: if G14X {
                GpuPtr::NULL
            } else {
                at(run, offset_of!(RunFragment, job_params2))
            },
            job_params1: if G14X {
                GpuPtr::NULL
            } else {
                at(run, offset_of!(RunFragment, job_params1))
            },
            scene: GpuPtr::new(i.scene),
            stats: GpuPtr::new(i.stats),
            busy_flag,
            tvb_overflow_count: at(run, offset_of!(RunFragment, tvb_overflow_count)),
            unk_pointer,
            work_queue: GpuPtr::new(i.work_queue),
            work_item: GpuPtr::new(run),
            vm_slot: i.vm_slot,
            unk_50: 1,
            event_generation: i.event_generation,
            buffer_slot: i.buffer_slot,
            event_seq: U64(i.event_seq),
            unk_758_flag,
            unk_job_buf: at(run, offset_of!(RunFragment, unk_8e4)),
            uuid: i.uuid,
            attachments: i.attachments,
            ..StartFragment::default()
        };
        put(&mut start.registers, at(run, offset_of!(RunFragment, registers)));
        put(&mut start.counter, U64(i.counter));
        put(&mut start.notifier_buf, GpuPtr::new(i.notifier_buf));
        let ts = TsOffsets {
            command_time: offset_of!(RunFragment, command_time),
            ts_pointers: offset_of!(RunFragment, timestamp_pointers),
            user_ts_pointers: offset_of!(RunFragment, user_timestamp_pointers),
            unk_ts: offset_of!(RunFragment, unk_92d),
        };
        let ts = i.timestamps.then_some((run, &ts, i.work_queue, i.uuid));
        let start_off = add_head(b, &start, ts, Pipe::Fragment)?;
        b.add(&FinalizeFragment {
            header: OpCode::FinalizeFragment.value(),
            uuid: i.uuid,
            fw_stamp: GpuPtr::new(i.fw_stamp),
            stamp_value: i.stamp_value,
            scene: GpuPtr::new(i.scene),
            buffer: GpuPtr::new(i.buffer),
            unk_2c: U64(1),
            stats: GpuPtr::new(i.stats),
            unk_pointer,
            busy_flag,
            work_queue: GpuPtr::new(i.work_queue),
            work_item: GpuPtr::new(run),
            vm_slot: i.vm_slot,
            unk_758_flag,
            restart_branch_offset: b.offset_to(start_off),
            has_attachments: u32::from(i.attachments.has_any()),
            ..FinalizeFragment::default()
        })?;
        b.add(&RetireStamp {
            header: RETIRE_STAMP_HEADER,
        })?;
        Ok(len)
    }

    /// One decoded op: a copy of its layout.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    #[allow(
        clippy::large_enum_variant,
        reason = "a copy per op is what the firmware model wants, and there is no allocator"
    )]
    pub enum Op {
        /// `WaitForIdle` on the pipe its header names.
        WaitForIdle(Pipe),
        /// `WaitForIdle2`.
        WaitForIdle2,
        /// `RetireStamp`.
        RetireStamp,
        /// `Timestamp`.
        Timestamp(Timestamp),
        /// `StartVertex`.
        StartVertex(StartVertex),
        /// `FinalizeVertex`.
        FinalizeVertex(FinalizeVertex),
        /// `StartFragment`.
        StartFragment(StartFragment),
        /// `FinalizeFragment`.
        FinalizeFragment(FinalizeFragment),
        /// `StartCompute`.
        StartCompute(StartCompute),
        /// `FinalizeCompute`.
        FinalizeCompute(FinalizeCompute),
    }

    impl Op {
        /// The op's opcode.
        pub fn opcode(&self) -> OpCode {
            match self {
                Op::WaitForIdle(_) => OpCode::WaitForIdle,
                Op::WaitForIdle2 => OpCode::WaitForIdle2,
                Op::RetireStamp => OpCode::RetireStamp,
                Op::Timestamp(_) => OpCode::Timestamp,
                Op::StartVertex(_) => OpCode::StartVertex,
                Op::FinalizeVertex(_) => OpCode::FinalizeVertex,
                Op::StartFragment(_) => OpCode::StartFragment,
                Op::FinalizeFragment(_) => OpCode::FinalizeFragment,
                Op::StartCompute(_) => OpCode::StartCompute,
                Op::FinalizeCompute(_) => OpCode::FinalizeCompute,
            }
        }

        /// For a Start op, the GPU address of the run command it starts: `work_item` for
        /// fragment, `unk_pointer` less the offset of `unk_pointee` for vertex and compute.
        pub fn run_command(&self) -> Option<u64> {
            let back = |p: GpuPtr, off: usize| p.va().wrapping_sub(off as u64);
            match self {
                Op::StartVertex(s) => Some(back(s.unk_pointer, offset_of!(RunVertex, unk_pointee))),
                Op::StartFragment(s) => Some(s.work_item.va()),
                Op::StartCompute(s) => {
                    Some(back(s.unk_pointer, offset_of!(RunCompute, unk_pointee)))
                }
                _ => None,
            }
        }

        /// For a Finalize op: the firmware stamp address, the value to store there, and the
        /// `restart_branch_offset`.
        pub fn completion(&self) -> Option<(u64, u32, i32)> {
            match self {
                Op::FinalizeVertex(f) => {
                    Some((f.fw_stamp.va(), f.stamp_value, f.restart_branch_offset))
                }
                Op::FinalizeFragment(f) => {
                    Some((f.fw_stamp.va(), f.stamp_value, f.restart_branch_offset))
                }
                Op::FinalizeCompute(f) => {
                    Some((f.fw_stamp.va(), f.stamp_value, f.restart_branch_offset))
                }
                _ => None,
            }
        }
    }

    /// Reads a `T` from the start of `bytes`, or `Truncated`.
    fn read_op<T: Plain>(bytes: &[u8], opcode: OpCode) -> Result<T, MicroseqError> {
        read_prefix_plain::<T>(bytes).ok_or(MicroseqError::Truncated {
            offset: 0,
            opcode: Some(opcode),
            needed: size_of::<T>(),
            available: bytes.len(),
        })
    }

    /// `T` from the first `size_of::<T>()` bytes (any alignment).
    fn read_prefix_plain<T: Plain>(bytes: &[u8]) -> Option<T> {
        super::super::super::plain::read_prefix::<T>(bytes)
    }

    /// Decodes the op at the start of `bytes`: its typed copy and its size in bytes.
    ///
    /// Refuses, with the offset 0: fewer bytes than the op (`Truncated`), an opcode the driver
    /// never emits (`UnknownOpcode`), a header whose argument bits the driver never sets
    /// (`BadHeader`: only a `WaitForIdle` pipe and the Timestamp start bit vary), and a wait op
    /// of the other generation (`NotForVariant`).
    pub fn next_op(bytes: &[u8]) -> Result<(Op, usize), MicroseqError> {
        let header = read_u32(bytes, 0).ok_or(MicroseqError::Truncated {
            offset: 0,
            opcode: None,
            needed: 4,
            available: bytes.len(),
        })?;
        let opcode = OpCode::from_header(header)
            .ok_or(MicroseqError::UnknownOpcode { offset: 0, header })?;
        let bad = MicroseqError::BadHeader { offset: 0, header };
        let exact = |expected: u32| if header == expected { Ok(()) } else { Err(bad) };
        let op = match opcode {
            OpCode::WaitForIdle | OpCode::WaitForIdle2 if G14X != (opcode == OpCode::WaitForIdle2) => {
                return Err(MicroseqError::NotForVariant { offset: 0, opcode });
            }
            OpCode::WaitForIdle => {
                let pipe = Pipe::from_wait_for_idle_header(header).ok_or(bad)?;
                read_op::<WaitForIdle>(bytes, opcode)?;
                Op::WaitForIdle(pipe)
            }
            OpCode::WaitForIdle2 => {
                exact(WAIT_FOR_IDLE2_HEADER)?;
                read_op::<WaitForIdle2>(bytes, opcode)?;
                Op::WaitForIdle2
            }
            OpCode::RetireStamp => {
                exact(RETIRE_STAMP_HEADER)?;
                read_op::<RetireStamp>(bytes, opcode)?;
                Op::RetireStamp
            }
            OpCode::Timestamp => {
                exact(header & TIMESTAMP_START_FLAG | OpCode::Timestamp.value())?;
                Op::Timestamp(read_op(bytes, opcode)?)
            }
            OpCode::StartVertex => {
                exact(opcode.value())?;
                Op::StartVertex(read_op(bytes, opcode)?)
            }
            OpCode::FinalizeVertex => {
                exact(opcode.value())?;
                Op::FinalizeVertex(read_op(bytes, opcode)?)
            }
            OpCode::StartFragment => {
                exact(opcode.value())?;
                Op::StartFragment(read_op(bytes, opcode)?)
            }
            OpCode::FinalizeFragment => {
                exact(opcode.value())?;
                Op::FinalizeFragment(read_op(bytes, opcode)?)
            }
            OpCode::StartCompute => {
                exact(opcode.value())?;
                Op::StartCompute(read_op(bytes, opcode)?)
            }
            OpCode::FinalizeCompute => {
                exact(opcode.value())?;
                Op::FinalizeCompute(read_op(bytes, opcode)?)
            }
        };
        Ok((op, op_size(opcode)))
    }

    /// Size in bytes of an op of this variant.
    pub const fn op_size(opcode: OpCode) -> usize {
        match opcode {
            OpCode::WaitForIdle => size_of::<WaitForIdle>(),
            OpCode::WaitForIdle2 => size_of::<WaitForIdle2>(),
            OpCode::RetireStamp => size_of::<RetireStamp>(),
            OpCode::Timestamp => size_of::<Timestamp>(),
            OpCode::StartVertex => size_of::<StartVertex>(),
            OpCode::FinalizeVertex => size_of::<FinalizeVertex>(),
            OpCode::StartFragment => size_of::<StartFragment>(),
            OpCode::FinalizeFragment => size_of::<FinalizeFragment>(),
            OpCode::StartCompute => size_of::<StartCompute>(),
            OpCode::FinalizeCompute => size_of::<FinalizeCompute>(),
        }
    }

    /// Iterator over the ops of a sequence: `(offset, op)` pairs, or the first error (with
    /// the op's offset in the sequence), after which it ends. It ends at the end of the bytes;
    /// it does not stop at `RetireStamp` (the walker does).
    #[derive(Clone, Debug)]
    pub struct Ops<'a> {
        bytes: &'a [u8],
        pos: usize,
        failed: bool,
    }

    /// The ops of `bytes`, in order.
    pub fn ops(bytes: &[u8]) -> Ops<'_> {
        Ops {
            bytes,
            pos: 0,
            failed: false,
        }
    }

    impl Iterator for Ops<'_> {
        type Item = Result<(usize, Op), MicroseqError>;

        fn next(&mut self) -> Option<Self::Item> {
            if self.failed {
                return None;
            }
            let rest = self.bytes.get(self.pos..).filter(|r| !r.is_empty())?;
            match next_op(rest) {
                Ok((op, size)) => {
                    let at = self.pos;
                    self.pos += size;
                    Some(Ok((at, op)))
                }
                Err(e) => {
                    self.failed = true;
                    Some(Err(e.at(self.pos)))
                }
            }
        }
    }
}
