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

    include!("microseq_seq.rs");
    include!("microseq_decode.rs");
}
