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
//! `fw/agx/cmdqueue.py` (`CommandQueuePointers`, `WorkCommandBarrier`).

use super::channels::{FwCtlChannelState, FwCtlMsg};
use super::event::EventValue;
use super::types::{Array, GpuPtr, Pad, U64};

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

/// Barrier command: wait until a firmware stamp reaches a value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "zerocopy",
    derive(
        zerocopy::FromBytes,
        zerocopy::IntoBytes,
        zerocopy::KnownLayout,
        zerocopy::Immutable
    )
)]
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

const _: () = assert!(core::mem::offset_of!(Barrier, wait_value) == 0xc);
const _: () = assert!(core::mem::size_of::<Barrier>() == 0x40);

/// The run command the driver writes, in the firmware-private heap, for each unit of work it
/// hands to the *virtual* AGX.
///
/// The real `RunVertex`/`RunFragment`/`RunCompute` commands are several kilobytes of hardware
/// register state whose layout the project's reference does not give; this one keeps the real
/// tag at offset 0 ([`CommandType`]) and the fields the virtual AGX needs, and is not what real
/// firmware reads. It is project-defined, not a firmware fact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "zerocopy",
    derive(
        zerocopy::FromBytes,
        zerocopy::IntoBytes,
        zerocopy::KnownLayout,
        zerocopy::Immutable
    )
)]
#[repr(C)]
pub struct VirtualRunCommand {
    /// [`CommandType::RunVertex`], [`CommandType::RunFragment`] or [`CommandType::RunCompute`].
    pub tag: u32,
    /// Event slot of the submitting queue.
    pub event_slot: u32,
    /// Stamp value of the job the command belongs to.
    pub stamp_value: u32,
    /// [`VirtualRunCommand::FLAG_COMPLETE`]: write the stamp when done (the job's last command).
    pub flags: u32,
    /// Physical address of the address space's page-table root (TTB0).
    pub ttb: U64,
    /// GPU address of the virtual control stream (0: nothing to run).
    pub stream: GpuPtr,
    /// Firmware addresses for the start and end timestamps (`u64` ns; 0: none).
    pub ts_start: GpuPtr,
    /// See `ts_start`.
    pub ts_end: GpuPtr,
    /// The submitting queue's [`GpuContextData`] (what `DestroyContext` names).
    pub gpu_context: GpuPtr,
}

impl VirtualRunCommand {
    /// `flags`: the job's last command; its completion writes the stamp.
    pub const FLAG_COMPLETE: u32 = 1;
    /// Byte offset of `stamp_value`.
    pub const STAMP_VALUE_OFFSET: usize = core::mem::offset_of!(VirtualRunCommand, stamp_value);
}

const _: () = assert!(core::mem::size_of::<VirtualRunCommand>() == 0x38);

/// Ring pointers of a work queue; every field sits in its own 16-byte slot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "zerocopy",
    derive(
        zerocopy::FromBytes,
        zerocopy::IntoBytes,
        zerocopy::KnownLayout,
        zerocopy::Immutable
    )
)]
#[repr(C)]
pub struct RingState {
    /// Index up to which the firmware has completed commands.
    pub gpu_doneptr: u32,
    /// Padding.
    pub pad_4: Pad<0xc>,
    /// Unknown.
    pub unk_10: u32,
    /// Padding.
    pub pad_14: Pad<0xc>,
    /// Unknown.
    pub unk_20: u32,
    /// Padding.
    pub pad_24: Pad<0xc>,
    /// Index up to which the firmware has read commands.
    pub gpu_rptr: u32,
    /// Padding.
    pub pad_34: Pad<0xc>,
    /// Driver write index.
    pub cpu_wptr: u32,
    /// Padding.
    pub pad_44: Pad<0xc>,
    /// Ring size in entries.
    pub rb_size: u32,
    /// Padding.
    pub pad_54: Pad<0xc>,
    /// Driver-only: index the driver has freed up to (downstream debugging aid, not read by
    /// the firmware).
    pub cpu_freeptr: u32,
    /// Padding.
    pub pad_64: Pad<0xc>,
}

impl RingState {
    /// Byte offset of `gpu_doneptr`.
    pub const GPU_DONEPTR_OFFSET: usize = core::mem::offset_of!(RingState, gpu_doneptr);
    /// Byte offset of `gpu_rptr`.
    pub const GPU_RPTR_OFFSET: usize = core::mem::offset_of!(RingState, gpu_rptr);
    /// Byte offset of `cpu_wptr`.
    pub const CPU_WPTR_OFFSET: usize = core::mem::offset_of!(RingState, cpu_wptr);
}

const _: () = assert!(RingState::GPU_RPTR_OFFSET == 0x30);
const _: () = assert!(RingState::CPU_WPTR_OFFSET == 0x40);
const _: () = assert!(core::mem::offset_of!(RingState, rb_size) == 0x50);
const _: () = assert!(core::mem::size_of::<RingState>() == 0x70);

/// Per-context firmware data (0x40 bytes); must be destroyed with a DeviceControl message
/// before it is freed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "zerocopy",
    derive(
        zerocopy::FromBytes,
        zerocopy::IntoBytes,
        zerocopy::KnownLayout,
        zerocopy::Immutable
    )
)]
#[repr(C)]
pub struct GpuContextData {
    /// Initialized to 0xff.
    pub unk_0: u8,
    /// Initialized to 0xff.
    pub unk_1: u8,
    /// Unknown.
    pub unk_2: [u8; 2],
    /// Initialized to 0.
    pub unk_4: u8,
    /// Initialized to 1.
    pub unk_5: u8,
    /// Unknown.
    pub unk_6: [u8; 0x18],
    /// Initialized to 0xff.
    pub unk_1e: u8,
    /// Initialized to 0.
    pub unk_1f: u8,
    /// Unknown.
    pub unk_20: [u8; 3],
    /// Initialized to 2.
    pub unk_23: u8,
    /// Unknown.
    pub unk_24: [u8; 0x1c],
}

impl Default for GpuContextData {
    /// The initial values the driver writes (downstream `GpuContextData::default`).
    fn default() -> Self {
        Self {
            unk_0: 0xff,
            unk_1: 0xff,
            unk_2: [0; 2],
            unk_4: 0,
            unk_5: 1,
            unk_6: [0; 0x18],
            unk_1e: 0xff,
            unk_1f: 0,
            unk_20: [0; 3],
            unk_23: 2,
            unk_24: [0; 0x1c],
        }
    }
}

const _: () = assert!(core::mem::size_of::<GpuContextData>() == 0x40);

/// Queue priority block of a `QueueInfo` (0x1c bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "zerocopy",
    derive(
        zerocopy::FromBytes,
        zerocopy::IntoBytes,
        zerocopy::KnownLayout,
        zerocopy::Immutable
    )
)]
#[repr(C)]
pub struct Priority {
    /// Priority level.
    pub level: u32,
    /// Priority level again.
    pub level_2: u32,
    /// Priority mask.
    pub mask: U64,
    /// Unknown.
    pub unk_10: u32,
    /// Unknown.
    pub unk_14: u32,
    /// Unknown.
    pub unk_18: u32,
}

impl Priority {
    /// The values downstream writes for firmware priorities 0 (highest) to 3.
    pub const TABLE: [Priority; 4] = [
        Priority::new(0, 0xffff_ffff_ffff_0000, 1, 0, 1),
        Priority::new(1, 0xffff_ffff_0000_0000, 0, 0, 0),
        Priority::new(2, 0xffff_0000_0000_0000, 0, 0, 2),
        Priority::new(3, 0, 0, 0, 3),
    ];

    const fn new(level: u32, mask: u64, unk_10: u32, unk_14: u32, unk_18: u32) -> Self {
        Self {
            level,
            level_2: level,
            mask: U64(mask),
            unk_10,
            unk_14,
            unk_18,
        }
    }
}

const _: () = assert!(core::mem::size_of::<Priority>() == 0x1c);

/// A doubly linked list head in firmware memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "zerocopy",
    derive(
        zerocopy::FromBytes,
        zerocopy::IntoBytes,
        zerocopy::KnownLayout,
        zerocopy::Immutable
    )
)]
#[repr(C)]
pub struct LinkedListHead {
    /// Previous entry.
    pub prev: GpuPtr,
    /// Next entry.
    pub next: GpuPtr,
}

/// Head of a queue's notifier list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "zerocopy",
    derive(
        zerocopy::FromBytes,
        zerocopy::IntoBytes,
        zerocopy::KnownLayout,
        zerocopy::Immutable
    )
)]
#[repr(C)]
pub struct NotifierList {
    /// List head.
    pub list_head: LinkedListHead,
    /// Unknown pointer.
    pub unkptr_10: U64,
}

const _: () = assert!(core::mem::size_of::<NotifierList>() == 0x18);

/// A pair of GPU pointers describing one channel to the firmware: state block and ring.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "zerocopy",
    derive(
        zerocopy::FromBytes,
        zerocopy::IntoBytes,
        zerocopy::KnownLayout,
        zerocopy::Immutable
    )
)]
#[repr(C)]
pub struct ChannelRing {
    /// The channel's state block.
    pub state: GpuPtr,
    /// The first ring entry.
    pub ring: GpuPtr,
}

/// Firmware halt/resume flags; every field sits in its own 16-byte slot. The `unk_*` names are
/// offsets within [`FwStatus`], where these flags start at 0x10.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "zerocopy",
    derive(
        zerocopy::FromBytes,
        zerocopy::IntoBytes,
        zerocopy::KnownLayout,
        zerocopy::Immutable
    )
)]
#[repr(C)]
pub struct FwStatusFlags {
    /// Incremented by the firmware on each halt.
    pub halt_count: u32,
    /// Padding.
    pub pad_4: Pad<0xc>,
    /// Non-zero while the firmware is halted.
    pub halted: u32,
    /// Padding.
    pub pad_14: Pad<0xc>,
    /// Written to 1 by the driver (with `halted = 0`) to resume.
    pub resume: u32,
    /// Padding.
    pub pad_24: Pad<0xc>,
    /// Unknown.
    pub unk_40: u32,
    /// Padding.
    pub pad_44: Pad<0xc>,
    /// Unknown counter.
    pub unk_ctr: u32,
    /// Padding.
    pub pad_54: Pad<0xc>,
    /// Unknown.
    pub unk_60: u32,
    /// Padding.
    pub pad_64: Pad<0xc>,
    /// Unknown.
    pub unk_70: u32,
    /// Padding.
    pub pad_74: Pad<0xc>,
}

/// Firmware status, pointed to by the initdata: the FwCtl channel and the halt flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "zerocopy",
    derive(
        zerocopy::FromBytes,
        zerocopy::IntoBytes,
        zerocopy::KnownLayout,
        zerocopy::Immutable
    )
)]
#[repr(C)]
pub struct FwStatus {
    /// The FwCtl channel ([`FwCtlChannelState`], ring of [`FwCtlMsg`]).
    pub fwctl_channel: ChannelRing,
    /// Halt/resume flags.
    pub flags: FwStatusFlags,
}

impl FwStatus {
    /// Byte offset of `flags.halt_count`.
    pub const HALT_COUNT_OFFSET: usize = core::mem::offset_of!(FwStatus, flags);
    /// Byte offset of `flags.halted`.
    pub const HALTED_OFFSET: usize =
        Self::HALT_COUNT_OFFSET + core::mem::offset_of!(FwStatusFlags, halted);
    /// Byte offset of `flags.resume`.
    pub const RESUME_OFFSET: usize =
        Self::HALT_COUNT_OFFSET + core::mem::offset_of!(FwStatusFlags, resume);
}

const _: () = assert!(core::mem::size_of::<FwStatusFlags>() == 0x70);
const _: () = assert!(FwStatus::HALTED_OFFSET == 0x20);
const _: () = assert!(FwStatus::RESUME_OFFSET == 0x30);
const _: () = assert!(core::mem::size_of::<FwStatus>() == 0x80);
// The FwCtl ring state and entry types the channel pointers refer to.
const _: () = assert!(core::mem::size_of::<FwCtlChannelState>() == 0x20);
const _: () = assert!(core::mem::size_of::<FwCtlMsg>() == 0x14);

/// One entry of the globals' `pending_stamps` array (0x100 entries): work the firmware has
/// in flight.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "zerocopy",
    derive(
        zerocopy::FromBytes,
        zerocopy::IntoBytes,
        zerocopy::KnownLayout,
        zerocopy::Immutable
    )
)]
#[repr(C)]
pub struct PendingStamp {
    /// Packed information; the event slot is [`PendingStamp::slot`] on firmware ≥ 13.5.
    pub info: u32,
    /// Event value being waited for.
    pub wait_value: u32,
}

impl PendingStamp {
    /// Event slot of this entry, as decoded on firmware ≥ 13.5 (`(info >> 4) & 0x7f`,
    /// reference §5).
    pub const fn slot(self) -> u32 {
        (self.info >> 4) & 0x7f
    }
}

/// Fault details the firmware records in the globals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "zerocopy",
    derive(
        zerocopy::FromBytes,
        zerocopy::IntoBytes,
        zerocopy::KnownLayout,
        zerocopy::Immutable
    )
)]
#[repr(C)]
pub struct FwFaultInfo {
    /// Unknown.
    pub unk_0: u32,
    /// Unknown.
    pub unk_4: u32,
    /// UUID of the faulting queue.
    pub queue_uuid: u32,
    /// Unknown.
    pub unk_c: u32,
    /// Unknown.
    pub unk_10: u32,
    /// Unknown.
    pub unk_14: u32,
}

const _: () = assert!(core::mem::size_of::<FwFaultInfo>() == 0x18);
const _: () = assert!(core::mem::size_of::<Array<0x100, PendingStamp>>() == 0x800);

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
    }
}
