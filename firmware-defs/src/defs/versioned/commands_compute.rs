// Versioned compute command (`RunCompute` and its `ComputeJobParams2` block), included once per
// variant module by `defs/variants.rs` after `commands.rs`, whose conditions (`CMD_*`) and
// conventions (naming, sources, size assertions) it shares.
//
// Sources: downstream `fw/compute.rs` `raw::RunCompute`; m1n1 `fw/agx/cmdqueue.py`
// `WorkCommandCP`; the G15 port's offset assertions (compute `meta` at 0x7e4 on G14X).

plain_layout! {
    /// Second register block of a [`RunCompute`] (0x60 bytes in every version).
    ///
    /// Source: downstream `fw/compute.rs` `raw::JobParameters2`; m1n1's `WorkCommandCP` dump shows
    /// `preempt_buf1` and the control-stream end at +0x24/+0x2c of this block (12.3). 13.0b4 adds a
    /// word at the start and drops the last one.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct ComputeJobParams2 {
        /// Unknown (13.0b4 and later only; downstream `unk_0_0`).
        pub unk_0_0: Array<{ if_present(CMD_V13, 1) }, U32>,
        /// Unknown.
        pub unk_0: Array<0x24, u8>,
        /// Preemption buffer 1.
        pub preempt_buf1: GpuPtr,
        /// CDM control stream (the encoder) end.
        pub cdm_ctrl_stream_end: U64,
        /// Unknown.
        pub unk_34: Array<0x20, u8>,
        /// Unknown (downstream `unk_g14x`).
        pub unk_54: u32,
        /// Unknown.
        pub unk_58: u32,
        /// Unknown (12.x only).
        pub unk_5c: Array<{ if_present(!CMD_V13, 1) }, U32>,
    }
}

const _: () = assert!(
    core::mem::offset_of!(ComputeJobParams2, preempt_buf1)
        == 0x24 + if_present(CMD_V13, 4)
);
const _: () = assert!(core::mem::size_of::<ComputeJobParams2>() == 0x60);

plain_layout! {
    /// The compute run command, `CommandType::RunCompute` (0x2dc bytes on 12.x, 0x31c from
    /// 13.0b4; 0x560 more with a register list).
    ///
    /// Source: downstream `fw/compute.rs` `raw::RunCompute` (AsahiLinux/linux asahi branch;
    /// herrnst/linux-asahi); m1n1 `WorkCommandCP` (12.3: microsequence at 0x1e8, and a hex dump
    /// with the stamp at 0x280, the stamp value at 0x290 and the timestamp pointers at 0x2b0).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct RunCompute {
        /// `CommandType::RunCompute` (3).
        pub tag: u32,
        /// Command counter (13.0b4 and later only).
        pub counter: Array<{ if_present(CMD_V13, 1) }, U64>,
        /// Unknown.
        pub unk_4: u32,
        /// VM (context) slot.
        pub vm_slot: u32,
        /// The queue's `Notifier`.
        pub notifier: GpuPtr,
        /// Unknown (downstream `unk_pointee`).
        pub unk_pointee: u32,
        /// Unknown (G13/G14; downstream `__pad0`).
        pub unk_18: Array<{ if_present(!CMD_REG_LIST, 0x50) }, u8>,
        /// First register block (G13/G14).
        pub job_params1: Array<{ if_present(!CMD_REG_LIST, 1) }, ComputeJobParams1>,
        /// Register list (G14X).
        pub registers: Array<{ if_present(CMD_REG_LIST, 1) }, RegisterArray>,
        /// Unknown (downstream `__pad1`).
        pub unk_1c8: Array<0x20, u8>,
        /// The job's microsequence.
        pub microsequence: GpuPtr,
        /// Size of the microsequence in bytes.
        pub microsequence_size: u32,
        /// Second register block.
        pub job_params2: ComputeJobParams2,
        /// Encoder parameters.
        pub encoder_params: EncoderParams,
        /// Completion stamp and event slot.
        pub meta: JobMeta,
        /// Submission time (downstream `command_time`, `cur_ts` in older trees).
        pub command_time: U64,
        /// Where the firmware writes the kernel's start/end times.
        pub timestamp_pointers: TimestampPointers,
        /// Where the firmware writes user-requested start/end times (older trees: `unk_2c0` to
        /// `unk_2cc`).
        pub user_timestamp_pointers: TimestampPointers,
        /// Client sequence number.
        pub client_sequence: u8,
        /// Padding.
        pub pad_2d1: Pad<3>,
        /// Unknown.
        pub unk_2d4: u32,
        /// Unknown.
        pub unk_2d8: u8,
        /// CDM context-store request time (13.0b4 and later only).
        pub context_store_req: Array<{ if_present(CMD_V13, 1) }, U64>,
        /// CDM context-store completion time (13.0b4 and later only).
        pub context_store_compl: Array<{ if_present(CMD_V13, 1) }, U64>,
        /// Unknown (13.0b4 and later only).
        pub unk_2e9: Array<{ if_present(CMD_V13, 0x14) }, u8>,
        /// Unknown flag (13.0b4 and later only; downstream `unk_flag`).
        pub unk_2fd: Array<{ if_present(CMD_V13, 1) }, U32>,
        /// Unknown (13.0b4 and later only; downstream `unk_pad`).
        pub unk_301: Array<{ if_present(CMD_V13, 0x10) }, u8>,
        /// Trailing padding to 4-byte alignment.
        pub pad_end: Pad<3>,
    }
}

#[allow(dead_code, reason = "used only by const layout assertions, which older rustc (1.85) does not count as uses")]
const RUN_COMPUTE_DELTA: usize = reg_list_delta(0x50 + 0x160);
const _: () = assert!(core::mem::offset_of!(RunCompute, vm_slot) == 0x8 + CMD_COUNTER);
const _: () = assert!(
    core::mem::offset_of!(RunCompute, microsequence) == 0x1e8 + CMD_COUNTER + RUN_COMPUTE_DELTA
);
const _: () = assert!(
    core::mem::offset_of!(RunCompute, meta)
        == 0x27c + CMD_COUNTER + RUN_COMPUTE_DELTA
);
const _: () = assert!(
    core::mem::offset_of!(RunCompute, timestamp_pointers) == 0x2b0 + CMD_COUNTER + RUN_COMPUTE_DELTA
);
const _: () = assert!(
    core::mem::size_of::<RunCompute>() == (if CMD_V13 { 0x31c } else { 0x2dc }) + RUN_COMPUTE_DELTA
);
