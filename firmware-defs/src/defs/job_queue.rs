//! Version-independent work-queue and firmware-status layouts, re-exported by `job`.
//!
//! A work queue's ring pointers ([`RingState`]) and context data ([`GpuContextData`]), the
//! queue [`Priority`] table, the firmware's notifier lists ([`LinkedListHead`],
//! [`NotifierList`], [`ChannelRing`]), and the [`FwStatus`] block the driver halts and resumes
//! the firmware with, with its [`PendingStamp`]s and [`FwFaultInfo`].
//!
//! Sources: downstream `fw/workqueue.rs` (`RingState`, `GpuContextData`, `Priority`),
//! `fw/event.rs` (`LinkedListHead`, `NotifierList`), `fw/initdata.rs` (`FwStatus`,
//! `FwStatusFlags`, `PendingStamp`, `FaultInfo`), m1n1 `fw/agx/cmdqueue.py`
//! (`CommandQueuePointers`).

use super::super::channels::{FwCtlChannelState, FwCtlMsg};
use super::super::plain::{plain_derive, plain_fields, plain_layout, Plain};
use super::super::types::{Array, GpuPtr, Pad, U64};

plain_layout! {
    /// Ring pointers of a work queue; every field sits in its own 16-byte slot.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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

plain_layout! {
    /// Per-context firmware data (0x40 bytes); must be destroyed with a DeviceControl message
    /// before it is freed.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

plain_layout! {
    /// Queue priority block of a `QueueInfo` (0x1c bytes).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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

plain_layout! {
    /// A doubly linked list head in firmware memory.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct LinkedListHead {
        /// Previous entry.
        pub prev: GpuPtr,
        /// Next entry.
        pub next: GpuPtr,
    }
}

plain_layout! {
    /// Head of a queue's notifier list.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct NotifierList {
        /// List head.
        pub list_head: LinkedListHead,
        /// Unknown pointer.
        pub unkptr_10: U64,
    }
}

const _: () = assert!(core::mem::size_of::<NotifierList>() == 0x18);

plain_layout! {
    /// A pair of GPU pointers describing one channel to the firmware: state block and ring.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct ChannelRing {
        /// The channel's state block.
        pub state: GpuPtr,
        /// The first ring entry.
        pub ring: GpuPtr,
    }
}

plain_layout! {
    /// Firmware halt/resume flags; every field sits in its own 16-byte slot. The `unk_*` names are
    /// offsets within [`FwStatus`], where these flags start at 0x10.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
}

plain_layout! {
    /// Firmware status, pointed to by the initdata: the FwCtl channel and the halt flags.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct FwStatus {
        /// The FwCtl channel ([`FwCtlChannelState`], ring of [`FwCtlMsg`]).
        pub fwctl_channel: ChannelRing,
        /// Halt/resume flags.
        pub flags: FwStatusFlags,
    }
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

plain_layout! {
    /// One entry of the globals' `pending_stamps` array (0x100 entries): work the firmware has
    /// in flight.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct PendingStamp {
        /// Packed information; the event slot is [`PendingStamp::slot`] on firmware ≥ 13.5.
        pub info: u32,
        /// Event value being waited for.
        pub wait_value: u32,
    }
}

/// Entries of the globals' `pending_stamps` array.
pub const PENDING_STAMPS: usize = 0x100;

impl PendingStamp {
    /// Event slot of this entry, as decoded on firmware ≥ 13.5 (`(info >> 4) & 0x7f`,
    /// reference §5).
    pub const fn slot(self) -> u32 {
        (self.info >> 4) & 0x7f
    }

    /// Whether the entry names work (bit 0 of `info`; downstream `mark_pending_events`).
    pub const fn is_valid(self) -> bool {
        self.info & 1 != 0
    }

    /// The valid firmware ≥ 13.5 entry naming `slot`'s work up to `wait_value`, as the
    /// firmware records it before reporting a fault or timeout.
    pub const fn new(slot: u32, wait_value: u32) -> Self {
        Self {
            info: 1 | ((slot & 0x7f) << 4),
            wait_value,
        }
    }
}

plain_layout! {
    /// Fault details the firmware records in the globals.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
}

const _: () = assert!(core::mem::size_of::<FwFaultInfo>() == 0x18);
const _: () = assert!(core::mem::size_of::<Array<PENDING_STAMPS, PendingStamp>>() == 0x800);
