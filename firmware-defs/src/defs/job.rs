//! Version-independent work-queue, command and firmware-status layouts.
//!
//! A user queue is one `QueueInfo` per pipe (versioned, in [`super::variants`]) pointing at a
//! [`RingState`], a ring of 64-bit command pointers and the queue's [`GpuContextData`]. Commands
//! start with a [`CommandType`] tag; [`Barrier`] is the small one that waits on another queue's
//! stamp. [`FwStatus`] is how the driver halts and resumes the firmware after faults.
//!
//! Sources: downstream `fw/workqueue.rs` (`CommandType`, `Barrier`, `RingState`,
//! `GpuContextData`, `Priority`), `fw/event.rs` (`LinkedListHead`, `NotifierList`),
//! `fw/initdata.rs` (`FwStatus`, `FwStatusFlags`, `PendingStamp`, `FaultInfo`), m1n1
//! `fw/agx/cmdqueue.py` (`CommandQueuePointers`, `WorkCommandBarrier`). The version-independent
//! parts of the run commands (`JobMeta`, `EncoderParams`, timestamps, register blocks) come
//! from downstream `fw/job.rs`, `fw/vertex.rs`, `fw/fragment.rs` and `fw/compute.rs`; the
//! commands themselves are versioned (`variants::*::RunVertex` etc.).
//!
//! The work-queue and firmware-status layouts ([`RingState`], [`GpuContextData`], [`Priority`],
//! the notifier lists, [`FwStatus`] and the pending-stamp and fault records) live in the private
//! submodule `queue` (`job_queue.rs`) and are re-exported here; this file owns the command
//! layouts.

use super::event::EventValue;
use super::plain::{plain_derive, plain_fields, plain_layout, Plain};
use super::types::{Array, GpuPtr, Pad, U64};

#[path = "job_queue.rs"]
mod queue;
// A glob, so that a mount that uses only some of these (the kernel module) does not warn about
// the others.
pub use queue::*;

/// Tag at offset 0 of every work command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandType {
    /// Vertex (TA) work.
    RunVertex = 0,
    /// Fragment (3D) work.
    RunFragment = 1,
    /// Blitter work (unused by the driver).
    RunBlitter = 2,
    /// Compute work.
    RunCompute = 3,
    /// Wait for another queue's stamp.
    Barrier = 4,
    /// Initialize a tiled vertex buffer manager.
    InitBuffer = 6,
}

impl CommandType {
    /// Decodes a command tag.
    pub const fn from_u32(v: u32) -> Option<Self> {
        match v {
            0 => Some(CommandType::RunVertex),
            1 => Some(CommandType::RunFragment),
            2 => Some(CommandType::RunBlitter),
            3 => Some(CommandType::RunCompute),
            4 => Some(CommandType::Barrier),
            6 => Some(CommandType::InitBuffer),
            _ => None,
        }
    }
}

plain_layout! {
    /// Barrier command: wait until a firmware stamp reaches a value.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct Barrier {
        /// [`CommandType::Barrier`].
        pub tag: u32,
        /// Firmware stamp to wait on.
        pub wait_stamp: GpuPtr,
        /// Value to wait for.
        pub wait_value: EventValue,
        /// Event slot of the stamp.
        pub wait_slot: u32,
        /// This queue's own stamp value.
        pub stamp_self: EventValue,
        /// Command UUID.
        pub uuid: u32,
        /// External barrier flag.
        pub external_barrier: u32,
        /// Internal barrier type (a G14X addition, sent as 0 elsewhere).
        pub internal_barrier_type: u32,
        /// Padding.
        pub pad_24: Pad<0x1c>,
    }
}

const _: () = assert!(core::mem::offset_of!(Barrier, wait_value) == 0xc);
const _: () = assert!(core::mem::size_of::<Barrier>() == 0x40);

plain_layout! {
    /// Completion bookkeeping embedded in every run command (0x2c bytes): the stamp the firmware
    /// writes when the command completes, and the event slot it flags.
    ///
    /// Source: downstream `fw/job.rs` `raw::JobMeta` (AsahiLinux/linux asahi branch; also
    /// herrnst/linux-asahi); m1n1's compute dump (`fw/agx/cmdqueue.py` `WorkCommandCP`) shows the
    /// stamp pointers at +0x4/+0xc, value 0x3b00 at +0x14 and slot 5 at +0x18 of this block.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct JobMeta {
        /// Unknown (0).
        pub unk_0: u16,
        /// Unknown (0).
        pub unk_2: u8,
        /// 1 to forbid preemption of this command.
        pub no_preemption: u8,
        /// The driver-visible stamp (`u32`) written with `stamp_value` on completion.
        pub stamp: GpuPtr,
        /// The firmware-private stamp of the same event.
        pub fw_stamp: GpuPtr,
        /// Value written to the stamps on completion.
        pub stamp_value: EventValue,
        /// Event slot flagged on completion.
        pub stamp_slot: u32,
        /// Index into the notifier's stamp arrays (downstream `evctl_index`).
        pub evctl_index: u32,
        /// 1 to flush the stamps (set on the last command of a job).
        pub flush_stamps: u32,
        /// Command UUID.
        pub uuid: u32,
        /// Per-queue event sequence number.
        pub event_seq: u32,
    }
}

const _: () = assert!(core::mem::offset_of!(JobMeta, stamp) == 0x4);
const _: () = assert!(core::mem::offset_of!(JobMeta, stamp_value) == 0x14);
const _: () = assert!(core::mem::offset_of!(JobMeta, event_seq) == 0x28);
const _: () = assert!(core::mem::size_of::<JobMeta>() == 0x2c);

impl JobMeta {
    /// Byte offset of `stamp`.
    pub const STAMP_OFFSET: usize = core::mem::offset_of!(JobMeta, stamp);
    /// Byte offset of `fw_stamp`.
    pub const FW_STAMP_OFFSET: usize = core::mem::offset_of!(JobMeta, fw_stamp);
    /// Byte offset of `stamp_value`.
    pub const STAMP_VALUE_OFFSET: usize = core::mem::offset_of!(JobMeta, stamp_value);
    /// Byte offset of `stamp_slot`.
    pub const STAMP_SLOT_OFFSET: usize = core::mem::offset_of!(JobMeta, stamp_slot);
}

plain_layout! {
    /// Encoder parameters embedded in every run command (0x28 bytes).
    ///
    /// Source: downstream `fw/job.rs` `raw::EncoderParams` (AsahiLinux/linux asahi branch). Older
    /// downstream trees call the last 0x10 bytes `seq_buffer` and `unk_28`; downstream names the
    /// unknown words by offset + 8 (`unk_8` is at 0 here).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct EncoderParams {
        /// Unknown (downstream `unk_8`).
        pub unk_0: u32,
        /// Synchronous TVB grow (downstream `sync_grow`, `large_tib` in older trees).
        pub sync_grow: u32,
        /// Unknown (downstream `unk_10`).
        pub unk_8: u32,
        /// Encoder ID.
        pub encoder_id: u32,
        /// Unknown (downstream `unk_18`).
        pub unk_10: u32,
        /// Unknown mask (downstream `unk_mask`, `iogpu_compute_unk44` in older trees).
        pub unk_mask: u32,
        /// Sampler heap.
        pub sampler_array: GpuPtr,
        /// Sampler count.
        pub sampler_count: u32,
        /// Sampler heap capacity.
        pub sampler_max: u32,
    }
}

const _: () = assert!(core::mem::offset_of!(EncoderParams, sampler_array) == 0x18);
const _: () = assert!(core::mem::size_of::<EncoderParams>() == 0x28);

plain_layout! {
    /// Start and end timestamps the firmware writes for one command (0x10 bytes, `u64` GPU time).
    ///
    /// Source: downstream `fw/job.rs` `raw::JobTimestamps`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct JobTimestamps {
        /// Start time.
        pub start: U64,
        /// End time.
        pub end: U64,
    }
}

plain_layout! {
    /// Timestamps of a render pass: vertex then fragment (0x20 bytes).
    ///
    /// Source: downstream `fw/job.rs` `raw::RenderTimestamps`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct RenderTimestamps {
        /// Vertex command.
        pub vtx: JobTimestamps,
        /// Fragment command.
        pub frag: JobTimestamps,
    }
}

const _: () = assert!(core::mem::size_of::<RenderTimestamps>() == 0x20);

plain_layout! {
    /// Where the firmware writes a command's start and end times (0x10 bytes; null: not written).
    ///
    /// Source: downstream `fw/job.rs` `raw::TimestampPointers` (AsahiLinux/linux asahi branch);
    /// older trees have the same two pointers as `start_ts`/`end_ts` fields of each command, and
    /// m1n1's compute dump shows them at +0x2b0/+0x2b8 of `WorkCommandCP` on 12.3.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct TimestampPointers {
        /// Firmware address of the `u64` start time.
        pub start_addr: GpuPtr,
        /// Firmware address of the `u64` end time.
        pub end_addr: GpuPtr,
    }
}

const _: () = assert!(core::mem::size_of::<TimestampPointers>() == 0x10);

plain_layout! {
    /// One register write of a [`RegisterArray`] (12 bytes, unaligned value).
    ///
    /// Source: downstream `fw/job.rs` `raw::Register`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct Register {
        /// Register number.
        pub number: u32,
        /// Value.
        pub value: U64,
    }
}

plain_layout! {
    /// The register list that replaces the fixed register blocks of the run commands on G14X
    /// (0x710 bytes).
    ///
    /// Source: downstream `fw/job.rs` `raw::RegisterArray`, whose const assertions give the size
    /// 0x710 and the offsets of `pad` (0x600), `addr` (0x700) and `count` (0x708).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct RegisterArray {
        /// The writes; the first `count` are used.
        pub registers: Array<128, Register>,
        /// Unknown (zero).
        pub pad: Array<0x100, u8>,
        /// Firmware address of `registers` itself.
        pub addr: GpuPtr,
        /// Number of writes.
        pub count: u16,
        /// Bytes of writes (`count * 12`).
        pub length: u16,
        /// Unknown (zero).
        pub unk_70c: u32,
    }
}

impl RegisterArray {
    /// Appends a register write; returns `false` (and changes nothing) when full.
    pub fn add(&mut self, number: u32, value: u64) -> bool {
        let i = usize::from(self.count);
        match self.registers.get_mut(i) {
            Some(r) => {
                *r = Register {
                    number,
                    value: U64(value),
                };
                self.count += 1;
                // CAST: at most 128 * 12 bytes.
                self.length += core::mem::size_of::<Register>() as u16;
                true
            }
            None => false,
        }
    }
}

const _: () = assert!(core::mem::size_of::<Register>() == 0xc);
const _: () = assert!(core::mem::offset_of!(RegisterArray, pad) == 0x600);
const _: () = assert!(core::mem::offset_of!(RegisterArray, addr) == 0x700);
const _: () = assert!(core::mem::offset_of!(RegisterArray, count) == 0x708);
const _: () = assert!(core::mem::size_of::<RegisterArray>() == 0x710);

plain_layout! {
    /// Vertex tiling parameters of a `RunVertex` on G13/G14 (0xa0 bytes).
    ///
    /// Source: downstream `fw/vertex.rs` `raw::TilingParameters` (newest tree, with `helper_cfg`);
    /// m1n1 `cmdqueue.py` `WorkCommandTA` (`tiling_params`, 0x2c bytes, then `unk_3e8`, 0x74).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct VertexTilingParams {
        /// Region size.
        pub rgn_size: u32,
        /// Unknown.
        pub unk_4: u32,
        /// PPP control.
        pub ppp_ctrl: u32,
        /// Last pixel column.
        pub x_max: u16,
        /// Last pixel row.
        pub y_max: u16,
        /// TE screen size.
        pub te_screen: u32,
        /// TE macrotile configuration 1.
        pub te_mtile1: u32,
        /// TE macrotile configuration 2.
        pub te_mtile2: u32,
        /// Tiles per macrotile.
        pub tiles_per_mtile: u32,
        /// Tile-pointer-cache stride.
        pub tpc_stride: u32,
        /// Unknown.
        pub unk_24: u32,
        /// Unknown.
        pub unk_28: u32,
        /// Helper program configuration.
        pub helper_cfg: u32,
        /// Unknown (zero).
        pub pad_30: Pad<0x70>,
    }
}

const _: () = assert!(core::mem::size_of::<VertexTilingParams>() == 0xa0);

plain_layout! {
    /// Second register block of a `RunVertex` (0xa0 bytes, at +0x488 on firmware 12.3).
    ///
    /// Source: downstream `fw/vertex.rs` `raw::JobParameters2`, whose names are `RunVertex`
    /// offsets minus 8 for the first field and `RunVertex` offsets for the rest (`unk_480` is at
    /// 0 here, `unk_4a0` at 0x18); here every unknown is named by its offset in this block.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct VertexJobParams2 {
        /// Unknown (downstream `unk_480`).
        pub unk_0: Array<4, u32>,
        /// Unknown (downstream `unk_498`).
        pub unk_10: U64,
        /// Unknown (downstream `unk_4a0`).
        pub unk_18: u32,
        /// Preemption buffer.
        pub preempt_buf1: GpuPtr,
        /// Unknown (downstream `unk_4ac`).
        pub unk_24: u32,
        /// Unknown (downstream `unk_4b0`).
        pub unk_28: U64,
        /// Unknown (downstream `unk_4b8`).
        pub unk_30: u32,
        /// Unknown (downstream `unk_4bc`).
        pub unk_34: U64,
        /// Unknown (downstream `unk_4c4_padding`).
        pub unk_3c: Array<0x48, u8>,
        /// Unknown (downstream `unk_50c`).
        pub unk_84: u32,
        /// Unknown (downstream `unk_510`).
        pub unk_88: U64,
        /// Unknown (downstream `unk_518`).
        pub unk_90: U64,
        /// Unknown (downstream `unk_520`).
        pub unk_98: U64,
    }
}

const _: () = assert!(core::mem::offset_of!(VertexJobParams2, preempt_buf1) == 0x1c);
const _: () = assert!(core::mem::size_of::<VertexJobParams2>() == 0xa0);

plain_layout! {
    /// A background (clear/reload) program binding (0x10 bytes).
    ///
    /// Source: downstream `fw/fragment.rs` `raw::BackgroundProgram` (`ClearPipelineBinding` in
    /// older trees).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct BackgroundProgram {
        /// Resource specification.
        pub rsrc_spec: U64,
        /// Program address.
        pub address: U64,
    }
}

plain_layout! {
    /// An end-of-tile program binding (0x20 bytes).
    ///
    /// Source: downstream `fw/fragment.rs` `raw::EotProgram` (`StorePipelineBinding` in older
    /// trees).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct EotProgram {
        /// Unknown.
        pub unk_0: U64,
        /// Unknown.
        pub unk_8: u32,
        /// Resource specification.
        pub rsrc_spec: u32,
        /// Unknown.
        pub unk_10: u32,
        /// Program address (low 32 bits).
        pub address: u32,
        /// Unknown.
        pub unk_18: u32,
        /// Unknown (downstream `unk_1c_padding`).
        pub unk_1c: u32,
    }
}

plain_layout! {
    /// An array base address as the fragment registers take it (0x10 bytes).
    ///
    /// Source: downstream `fw/fragment.rs` `raw::ArrayAddr`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct ArrayAddr {
        /// Base address.
        pub ptr: U64,
        /// Unknown (downstream `unk_padding`).
        pub unk_8: U64,
    }
}

const _: () = assert!(core::mem::size_of::<BackgroundProgram>() == 0x10);
const _: () = assert!(core::mem::size_of::<EotProgram>() == 0x20);
const _: () = assert!(core::mem::size_of::<ArrayAddr>() == 0x10);

plain_layout! {
    /// Second register block of a `RunFragment` on G13/G14 (0xf0 bytes).
    ///
    /// Source: downstream `fw/fragment.rs` `raw::JobParameters2` (newest tree, which moved the
    /// 0xac trailing bytes here from the start of `JobParameters3`).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct FragmentJobParams2 {
        /// End-of-tile program resource specification.
        pub eot_rsrc_spec: u32,
        /// End-of-tile program USC address.
        pub eot_usc: u32,
        /// Unknown.
        pub unk_8: u32,
        /// Unknown.
        pub unk_c: u32,
        /// ISP merge upper X (`f32` bits).
        pub isp_merge_upper_x: u32,
        /// ISP merge upper Y (`f32` bits).
        pub isp_merge_upper_y: u32,
        /// Unknown.
        pub unk_18: U64,
        /// Microtiles per macrotile, Y.
        pub utiles_per_mtile_y: u16,
        /// Microtiles per macrotile, X.
        pub utiles_per_mtile_x: u16,
        /// Unknown.
        pub unk_24: u32,
        /// Tile counts.
        pub tile_counts: u32,
        /// Tile-buffer blocks.
        pub tib_blocks: u32,
        /// ISP background object depth.
        pub isp_bgobjdepth: u32,
        /// ISP background object values.
        pub isp_bgobjvals: u32,
        /// Unknown.
        pub unk_38: u32,
        /// Unknown.
        pub unk_3c: u32,
        /// Helper program configuration.
        pub helper_cfg: u32,
        /// Unknown (zero).
        pub pad_44: Pad<0xac>,
    }
}

const _: () = assert!(core::mem::size_of::<FragmentJobParams2>() == 0xf0);

plain_layout! {
    /// First register block of a `RunCompute` on G13/G14 (0x160 bytes, at +0x68 on 12.3).
    ///
    /// Source: downstream `fw/compute.rs` `raw::JobParameters1`; m1n1's `WorkCommandCP` dump shows
    /// `preempt_buf1` and the control stream at +0x68/+0x70.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct ComputeJobParams1 {
        /// Preemption buffer 1.
        pub preempt_buf1: GpuPtr,
        /// CDM control stream (the encoder) start.
        pub cdm_ctrl_stream_base: U64,
        /// Preemption buffer 2.
        pub preempt_buf2: GpuPtr,
        /// Preemption buffer 3.
        pub preempt_buf3: GpuPtr,
        /// Preemption buffer 4.
        pub preempt_buf4: GpuPtr,
        /// Preemption buffer 5.
        pub preempt_buf5: GpuPtr,
        /// USC execution base for compute.
        pub usc_exec_base_cp: U64,
        /// Unknown.
        pub unk_38: U64,
        /// Helper program.
        pub helper_program: u32,
        /// Unknown.
        pub unk_44: u32,
        /// Helper program argument.
        pub helper_arg: U64,
        /// Helper program configuration.
        pub helper_cfg: u32,
        /// Unknown.
        pub unk_54: u32,
        /// Unknown.
        pub unk_58: u32,
        /// Unknown.
        pub unk_5c: u32,
        /// Unknown (downstream `iogpu_unk_40`).
        pub unk_60: u32,
        /// Unknown (zero).
        pub pad_64: Pad<0xfc>,
    }
}

const _: () = assert!(core::mem::offset_of!(ComputeJobParams1, helper_program) == 0x40);
const _: () = assert!(core::mem::size_of::<ComputeJobParams1>() == 0x160);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_tags() {
        assert_eq!(CommandType::from_u32(4), Some(CommandType::Barrier));
        assert_eq!(CommandType::from_u32(5), None);
        assert_eq!(CommandType::InitBuffer as u32, 6);
    }

    #[test]
    fn priorities_and_context_defaults() {
        assert_eq!(Priority::TABLE[2].mask.get(), 0xffff_0000_0000_0000);
        assert_eq!(Priority::TABLE[0].unk_18, 1);
        let c = GpuContextData::default();
        assert_eq!((c.unk_0, c.unk_5, c.unk_1e, c.unk_23), (0xff, 1, 0xff, 2));
        let p = PendingStamp {
            info: 0x7f << 4 | 0xf,
            wait_value: 0,
        };
        assert_eq!(p.slot(), 0x7f);
        let n = PendingStamp::new(0x45, 0x1200);
        assert_eq!((n.info, n.slot(), n.is_valid()), (0x451, 0x45, true));
        assert!(!PendingStamp::default().is_valid());
    }
}
