//! Ring-buffer channels between the driver and the firmware.
//!
//! Each channel is a ring of fixed-size messages plus a state block holding the read and write
//! indices (message indices, not byte offsets). The producer writes a message, then advances the
//! write index; the consumer reads, then advances the read index. A ring is full when advancing
//! the write index would make it equal to the read index, so one entry always stays free.
//!
//! The driver sends on 12 pipe channels (vertex/TA, fragment/3D, compute/CL × 4 priorities),
//! DeviceControl and FwCtl, and receives on Event, FwLog (6 sub-rings), KTrace and Stats. Sends
//! are announced with a doorbell message on RTKit endpoint 0x21; the firmware asks the driver to
//! poll its receive rings with a message on endpoint 0x20.
//!
//! This module holds the version-independent parts; messages whose layout changes with the
//! firmware version are in [`super::variants`].
//!
//! Sources: downstream `fw/channels.rs`, `channel.rs`, `gpu.rs` (doorbells, endpoints);
//! m1n1 `fw/agx/channels.py` (ring order, entry sizes); reference §4-§5.

use super::event::FlagBitmask;
use super::plain::{plain_derive, plain_fields, plain_layout, Plain};
use super::types::{Pad, U64};

plain_layout! {
    /// State block of a channel: read index at +0, write index at +0x20.
    ///
    /// Source: downstream `fw/channels.rs` `ChannelState`; m1n1 `ChannelStateFields`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct ChannelState {
        /// Consumer's read index.
        pub read_ptr: u32,
        /// Padding (separate cache line halves).
        pub pad_4: Pad<0x1c>,
        /// Producer's write index.
        pub write_ptr: u32,
        /// Padding.
        pub pad_24: Pad<0xc>,
    }
}

impl ChannelState {
    /// Byte offset of the read index.
    pub const READ_PTR_OFFSET: usize = core::mem::offset_of!(ChannelState, read_ptr);
    /// Byte offset of the write index.
    pub const WRITE_PTR_OFFSET: usize = core::mem::offset_of!(ChannelState, write_ptr);
}

plain_layout! {
    /// State block of the FwCtl channel: read index at +0, write index at +0x10.
    ///
    /// Source: downstream `fw/channels.rs` `FwCtlChannelState`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct FwCtlChannelState {
        /// Consumer's read index.
        pub read_ptr: u32,
        /// Padding.
        pub pad_4: Pad<0xc>,
        /// Producer's write index.
        pub write_ptr: u32,
        /// Padding.
        pub pad_14: Pad<0xc>,
    }
}

impl FwCtlChannelState {
    /// Byte offset of the read index.
    pub const READ_PTR_OFFSET: usize = core::mem::offset_of!(FwCtlChannelState, read_ptr);
    /// Byte offset of the write index.
    pub const WRITE_PTR_OFFSET: usize = core::mem::offset_of!(FwCtlChannelState, write_ptr);
}

/// Number of FwLog sub-rings (one per log level, debug to critical).
pub const FWLOG_SUB_RINGS: usize = 6;

/// State of the FwLog channel: one [`ChannelState`] per sub-ring, back to back.
pub type FwLogChannelState = [ChannelState; FWLOG_SUB_RINGS];

const _: () = assert!(core::mem::size_of::<ChannelState>() == 0x30);
const _: () = assert!(ChannelState::WRITE_PTR_OFFSET == 0x20);
const _: () = assert!(core::mem::size_of::<FwCtlChannelState>() == 0x20);
const _: () = assert!(FwCtlChannelState::WRITE_PTR_OFFSET == 0x10);
const _: () = assert!(core::mem::size_of::<FwLogChannelState>() == 0x120);

/// Read/write indices of a ring with `count` entries, validated.
///
/// Indices come from shared memory, so a constructor checks them; all arithmetic is then
/// total.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingPtrs {
    count: u32,
    read: u32,
    write: u32,
}

impl RingPtrs {
    /// Validates indices; `None` if `count` is 0 or an index is not below `count`.
    pub const fn new(count: u32, read: u32, write: u32) -> Option<Self> {
        if count == 0 || read >= count || write >= count {
            None
        } else {
            Some(Self { count, read, write })
        }
    }

    /// Ring size in entries.
    pub const fn count(self) -> u32 {
        self.count
    }

    /// Read index.
    pub const fn read(self) -> u32 {
        self.read
    }

    /// Write index.
    pub const fn write(self) -> u32 {
        self.write
    }

    /// Number of messages waiting to be consumed.
    pub const fn used(self) -> u32 {
        if self.write >= self.read {
            self.write - self.read
        } else {
            self.count - self.read + self.write
        }
    }

    /// Number of messages that can still be produced (one entry always stays free).
    pub const fn free(self) -> u32 {
        self.count - 1 - self.used()
    }

    /// `true` if there is nothing to consume.
    pub const fn is_empty(self) -> bool {
        self.read == self.write
    }

    /// `true` if nothing more can be produced.
    pub const fn is_full(self) -> bool {
        next_index(self.write, self.count) == self.read
    }

    /// The state after producing one message, or `None` if the ring is full.
    pub const fn produce(self) -> Option<Self> {
        if self.is_full() {
            None
        } else {
            Some(Self {
                write: next_index(self.write, self.count),
                ..self
            })
        }
    }

    /// The state after consuming one message, or `None` if the ring is empty.
    pub const fn consume(self) -> Option<Self> {
        if self.is_empty() {
            None
        } else {
            Some(Self {
                read: next_index(self.read, self.count),
                ..self
            })
        }
    }
}

/// The index after `index` in a ring of `count` entries (`count` must be non-zero).
pub const fn next_index(index: u32, count: u32) -> u32 {
    if index + 1 >= count {
        0
    } else {
        index + 1
    }
}

/// Work submission pipe kind.
///
/// Source: downstream `fw/channels.rs` `PipeType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PipeType {
    /// Vertex / tiling accelerator (TA).
    Vertex = 0,
    /// Fragment / 3D.
    Fragment = 1,
    /// Compute (CL).
    Compute = 2,
}

impl PipeType {
    /// All pipe kinds in ring order.
    pub const ALL: [PipeType; 3] = [PipeType::Vertex, PipeType::Fragment, PipeType::Compute];

    /// Decodes a pipe type value.
    pub const fn from_u32(v: u32) -> Option<Self> {
        match v {
            0 => Some(PipeType::Vertex),
            1 => Some(PipeType::Fragment),
            2 => Some(PipeType::Compute),
            _ => None,
        }
    }
}

/// Number of firmware priorities per pipe kind (0 is the highest).
pub const NUM_PRIORITIES: u32 = 4;
/// Number of pipe channels.
pub const NUM_PIPES: usize = 12;

/// Identifies one channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChannelId {
    /// A work submission pipe (driver → firmware).
    Pipe {
        /// Pipe kind.
        pipe: PipeType,
        /// Firmware priority, below [`NUM_PRIORITIES`].
        priority: u32,
    },
    /// DeviceControl (driver → firmware).
    DeviceControl,
    /// Event (firmware → driver).
    Event,
    /// Firmware log, 6 sub-rings (firmware → driver).
    FwLog,
    /// Kernel trace (firmware → driver).
    KTrace,
    /// Statistics (firmware → driver).
    Stats,
    /// Firmware control, cache flushes (driver → firmware).
    FwCtl,
}

impl ChannelId {
    /// Entries per ring (per sub-ring for FwLog).
    ///
    /// Source: downstream `channel.rs`: KTrace 0x200, everything else 0x100.
    pub const fn entries(self) -> u32 {
        match self {
            ChannelId::KTrace => 0x200,
            _ => 0x100,
        }
    }

    /// Number of sub-rings sharing one state block array.
    pub const fn sub_rings(self) -> usize {
        match self {
            ChannelId::FwLog => FWLOG_SUB_RINGS,
            _ => 1,
        }
    }

    /// `true` for channels the driver writes.
    pub const fn is_tx(self) -> bool {
        matches!(
            self,
            ChannelId::Pipe { .. } | ChannelId::DeviceControl | ChannelId::FwCtl
        )
    }

    /// Index of a pipe in the initdata pipe array order (`pipes[priority].{vtx,frag,comp}`).
    pub const fn pipe_index(pipe: PipeType, priority: u32) -> usize {
        // CAST: small enum discriminant and priority.
        priority as usize * 3 + pipe as usize
    }
}

/// RTKit endpoint for init and firmware → driver notifications.
pub const EP_FIRMWARE: u8 = 0x20;
/// RTKit endpoint for doorbells.
pub const EP_DOORBELL: u8 = 0x21;
/// Initialization message (on [`EP_FIRMWARE`]); the low bits carry the initdata VA.
pub const MSG_INIT: u64 = 0x81 << 48;
/// Mask of the initdata VA in [`MSG_INIT`].
pub const INIT_DATA_MASK: u64 = (1 << 44) - 1;
/// TX doorbell message (on [`EP_DOORBELL`]); the low bits select the doorbell.
pub const MSG_TX_DOORBELL: u64 = 0x83 << 48;
/// FwCtl channel doorbell message (on [`EP_DOORBELL`]).
pub const MSG_FWCTL: u64 = 0x84 << 48;
/// Firmware → driver "poll the receive rings" message (on [`EP_FIRMWARE`]).
pub const MSG_RX_DOORBELL: u64 = 0x42 << 48;
/// Doorbell number that kicks (wakes) the firmware.
pub const DOORBELL_KICKFW: u64 = 0x10;
/// Doorbell number for the DeviceControl channel.
pub const DOORBELL_DEVCTRL: u64 = 0x11;

/// Builds the init message for an initdata structure at GPU VA `initdata_va`.
pub const fn init_msg(initdata_va: u64) -> u64 {
    MSG_INIT | (initdata_va & INIT_DATA_MASK)
}

/// Builds the doorbell message for a pipe: `0x83 << 48 | pipe | priority << 2`.
pub const fn pipe_doorbell(pipe: PipeType, priority: u32) -> u64 {
    // CAST: widening.
    MSG_TX_DOORBELL | pipe as u64 | (((priority & 3) as u64) << 2)
}

/// A decoded driver → firmware message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DoorbellMsg {
    /// Init with the initdata VA (low 44 bits; the upper-half VA is sign-extended from them).
    Init(u64),
    /// New messages on a pipe channel.
    Pipe {
        /// Pipe kind.
        pipe: PipeType,
        /// Priority.
        priority: u32,
    },
    /// Wake the firmware.
    KickFirmware,
    /// New messages on DeviceControl.
    DeviceControl,
    /// New messages on FwCtl.
    FwCtl,
}

/// Decodes a message sent to the firmware on `endpoint`; `None` if unknown.
pub const fn decode_doorbell(endpoint: u8, msg: u64) -> Option<DoorbellMsg> {
    if endpoint == EP_FIRMWARE && msg & !INIT_DATA_MASK == MSG_INIT {
        return Some(DoorbellMsg::Init(msg & INIT_DATA_MASK));
    }
    if endpoint != EP_DOORBELL {
        return None;
    }
    if msg == MSG_FWCTL {
        return Some(DoorbellMsg::FwCtl);
    }
    if msg & !0xffff != MSG_TX_DOORBELL {
        return None;
    }
    match msg & 0xffff {
        DOORBELL_KICKFW => Some(DoorbellMsg::KickFirmware),
        DOORBELL_DEVCTRL => Some(DoorbellMsg::DeviceControl),
        n if n < 0x10 => match PipeType::from_u32((n & 3) as u32) {
            // CAST: `n >> 2` is below 4.
            Some(pipe) => Some(DoorbellMsg::Pipe {
                pipe,
                priority: (n >> 2) as u32,
            }),
            None => None,
        },
        _ => None,
    }
}

/// Sign-extends the 44-bit initdata VA of [`MSG_INIT`] into the upper half when bit 43 is set.
pub const fn init_data_va(low: u64) -> u64 {
    if low & (1 << 43) != 0 {
        low | !INIT_DATA_MASK
    } else {
        low
    }
}

plain_layout! {
    /// FwCtl message: flush a VA range of one context from the firmware's cache (0x14 bytes).
    ///
    /// Source: downstream `fw/channels.rs` `FwCtlMsg`, `mmu.rs` (`unk_12: 2`).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct FwCtlMsg {
        /// First VA of the range.
        pub addr: U64,
        /// Unknown, 0.
        pub unk_8: u32,
        /// Handoff flush slot (context slot, or 64 for kernel mappings).
        pub slot: u32,
        /// Number of 16 KiB pages.
        pub page_count: u16,
        /// Unknown, 2 as sent by downstream.
        pub unk_12: u16,
    }
}

impl FwCtlMsg {
    /// Asks the firmware to write back and drop what it cached of `page_count` 16 KiB pages at
    /// `addr`, for the handoff flush slot `slot` (a context slot, or
    /// [`HANDOFF_KERNEL_FLUSH_SLOT`](super::uat::HANDOFF_KERNEL_FLUSH_SLOT) for kernel
    /// mappings).
    pub const fn flush_range(addr: u64, slot: u32, page_count: u16) -> Self {
        Self {
            addr: U64::new(addr),
            unk_8: 0,
            slot,
            page_count,
            unk_12: 2,
        }
    }

    /// [`FwCtlMsg::flush_range`] of kernel memory (the kernel's flush slot 64), as downstream
    /// sends before it unmaps kernel memory.
    pub const fn flush_kernel_range(addr: u64, page_count: u16) -> Self {
        // CAST: the slot is 64.
        Self::flush_range(
            addr,
            super::uat::HANDOFF_KERNEL_FLUSH_SLOT as u32,
            page_count,
        )
    }
}

const _: () = assert!(core::mem::size_of::<FwCtlMsg>() == 0x14);
const _: () = assert!(core::mem::offset_of!(FwCtlMsg, slot) == 0xc);
const _: () = assert!(core::mem::offset_of!(FwCtlMsg, page_count) == 0x10);

/// Payload bytes of an event message (after the 4-byte type).
pub const EVENT_PAYLOAD_SIZE: usize = 0x34;

plain_layout! {
    /// One raw Event ring entry (0x38 bytes): a type word and 13 payload words.
    ///
    /// Source: downstream `fw/channels.rs` (`EVENT_SZ = 0x34`, `RawEventMsg`); m1n1 event ring
    /// entry size 0x38.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct RawEventMsg {
        /// Message type.
        pub msg_type: u32,
        /// Payload, as little-endian words.
        pub data: [u32; EVENT_PAYLOAD_SIZE / 4],
    }
}

const _: () = assert!(core::mem::size_of::<RawEventMsg>() == 0x38);

/// Event message type: GPU fault (details in the fault register).
pub const EVENT_FAULT: u32 = 0;
/// Event message type: event slots fired.
pub const EVENT_FLAG: u32 = 1;
/// Event message type: work timed out.
pub const EVENT_TIMEOUT: u32 = 4;
/// Event message type: a tiled vertex buffer needs to grow.
pub const EVENT_GROW_TVB: u32 = 7;
/// Event message type: a pipe channel hit an error (newer firmware handling).
pub const EVENT_CHANNEL_ERROR: u32 = 8;

/// Kind of a channel error.
///
/// Source: downstream `channel.rs` (`EventChannel::poll`, error types 0..=3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelErrorType {
    /// Memory error.
    MemoryError,
    /// Data master killed.
    DmKill,
    /// Aborted.
    Aborted,
    /// Unknown type 3.
    Unk3,
    /// Another value.
    Unknown(u32),
}

impl ChannelErrorType {
    /// Decodes the error type word.
    pub const fn from_u32(v: u32) -> Self {
        match v {
            0 => ChannelErrorType::MemoryError,
            1 => ChannelErrorType::DmKill,
            2 => ChannelErrorType::Aborted,
            3 => ChannelErrorType::Unk3,
            v => ChannelErrorType::Unknown(v),
        }
    }

    /// Encodes the error type word.
    pub const fn to_u32(self) -> u32 {
        match self {
            ChannelErrorType::MemoryError => 0,
            ChannelErrorType::DmKill => 1,
            ChannelErrorType::Aborted => 2,
            ChannelErrorType::Unk3 => 3,
            ChannelErrorType::Unknown(v) => v,
        }
    }
}

/// A decoded event message.
///
/// Source: downstream `fw/channels.rs` `EventMsg` field order; `ChannelError` (type 8) from
/// the downstream `channel.rs` that handles it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventMsg {
    /// A GPU fault: read the fault register.
    Fault,
    /// Event slots fired; `unk_14` is the 16-bit word after the mask.
    Flag {
        /// Slots that fired.
        firing: FlagBitmask,
        /// Unknown.
        unk_14: u16,
    },
    /// A command timed out.
    Timeout {
        /// Counter.
        counter: u32,
        /// Unknown.
        unk_8: u32,
        /// Event slot of the timed-out work, or negative if unknown.
        event_slot: i32,
    },
    /// A tiled vertex buffer ran out of memory.
    GrowTvb {
        /// VM slot.
        vm_slot: u32,
        /// Buffer-manager slot.
        buffer_slot: u32,
        /// Counter, echoed in the acknowledgement.
        counter: u32,
    },
    /// A pipe channel hit an error and must be recovered.
    ChannelError {
        /// Error kind.
        error_type: ChannelErrorType,
        /// Pipe type value.
        pipe_type: u32,
        /// Event slot.
        event_slot: u32,
        /// Event value of the failed work.
        event_value: u32,
    },
    /// Another message type, kept raw.
    Unknown(RawEventMsg),
}

impl EventMsg {
    /// Decodes a raw event ring entry.
    pub const fn decode(raw: &RawEventMsg) -> Self {
        let d = &raw.data;
        match raw.msg_type {
            EVENT_FAULT => EventMsg::Fault,
            EVENT_FLAG => EventMsg::Flag {
                firing: FlagBitmask([d[0], d[1], d[2], d[3]]),
                // CAST: the low half-word of the fifth payload word.
                unk_14: d[4] as u16,
            },
            EVENT_TIMEOUT => EventMsg::Timeout {
                counter: d[0],
                unk_8: d[1],
                // CAST: the firmware's field is signed.
                event_slot: d[2] as i32,
            },
            EVENT_GROW_TVB => EventMsg::GrowTvb {
                vm_slot: d[0],
                buffer_slot: d[1],
                counter: d[2],
            },
            EVENT_CHANNEL_ERROR => EventMsg::ChannelError {
                error_type: ChannelErrorType::from_u32(d[0]),
                pipe_type: d[1],
                event_slot: d[2],
                event_value: d[3],
            },
            _ => EventMsg::Unknown(*raw),
        }
    }

    /// Encodes this message as a raw ring entry (unused payload words are zero).
    pub const fn encode(&self) -> RawEventMsg {
        let mut raw = RawEventMsg {
            msg_type: 0,
            data: [0; EVENT_PAYLOAD_SIZE / 4],
        };
        match *self {
            EventMsg::Fault => raw.msg_type = EVENT_FAULT,
            EventMsg::Flag { firing, unk_14 } => {
                raw.msg_type = EVENT_FLAG;
                raw.data[0] = firing.0[0];
                raw.data[1] = firing.0[1];
                raw.data[2] = firing.0[2];
                raw.data[3] = firing.0[3];
                // CAST: widening.
                raw.data[4] = unk_14 as u32;
            }
            EventMsg::Timeout {
                counter,
                unk_8,
                event_slot,
            } => {
                raw.msg_type = EVENT_TIMEOUT;
                raw.data[0] = counter;
                raw.data[1] = unk_8;
                // CAST: the firmware's field is signed.
                raw.data[2] = event_slot as u32;
            }
            EventMsg::GrowTvb {
                vm_slot,
                buffer_slot,
                counter,
            } => {
                raw.msg_type = EVENT_GROW_TVB;
                raw.data[0] = vm_slot;
                raw.data[1] = buffer_slot;
                raw.data[2] = counter;
            }
            EventMsg::ChannelError {
                error_type,
                pipe_type,
                event_slot,
                event_value,
            } => {
                raw.msg_type = EVENT_CHANNEL_ERROR;
                raw.data[0] = error_type.to_u32();
                raw.data[1] = pipe_type;
                raw.data[2] = event_slot;
                raw.data[3] = event_value;
            }
            EventMsg::Unknown(r) => raw = r,
        }
        raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_arithmetic() {
        let r = RingPtrs::new(4, 0, 0).unwrap();
        assert!(r.is_empty() && !r.is_full());
        assert_eq!((r.used(), r.free()), (0, 3));
        let r = r.produce().unwrap().produce().unwrap().produce().unwrap();
        assert!(r.is_full());
        assert_eq!((r.used(), r.free()), (3, 0));
        assert_eq!(r.produce(), None);
        let r = r.consume().unwrap();
        assert_eq!((r.read(), r.write()), (1, 3));
        // Wrap the write index.
        let r = r.produce().unwrap();
        assert_eq!(r.write(), 0);
        assert!(r.is_full());
        assert_eq!(r.used(), 3);
        let r = r.consume().unwrap().consume().unwrap().consume().unwrap();
        assert!(r.is_empty());
        assert_eq!(r.consume(), None);
        assert_eq!(RingPtrs::new(4, 4, 0), None);
        assert_eq!(RingPtrs::new(0, 0, 0), None);
        assert_eq!(RingPtrs::new(0x100, 0xfe, 0x01).unwrap().used(), 3);
        assert_eq!(next_index(0xff, 0x100), 0);
    }

    #[test]
    fn channel_catalog() {
        assert_eq!(ChannelId::KTrace.entries(), 0x200);
        assert_eq!(ChannelId::Event.entries(), 0x100);
        assert_eq!(ChannelId::FwLog.sub_rings(), 6);
        assert!(ChannelId::FwCtl.is_tx() && !ChannelId::Stats.is_tx());
        assert_eq!(ChannelId::pipe_index(PipeType::Compute, 3), NUM_PIPES - 1);
    }

    #[test]
    fn doorbells() {
        assert_eq!(
            pipe_doorbell(PipeType::Fragment, 2),
            0x83 << 48 | 1 | 2 << 2
        );
        for pipe in PipeType::ALL {
            for priority in 0..NUM_PRIORITIES {
                assert_eq!(
                    decode_doorbell(EP_DOORBELL, pipe_doorbell(pipe, priority)),
                    Some(DoorbellMsg::Pipe { pipe, priority })
                );
            }
        }
        assert_eq!(
            decode_doorbell(EP_DOORBELL, MSG_TX_DOORBELL | DOORBELL_DEVCTRL),
            Some(DoorbellMsg::DeviceControl)
        );
        assert_eq!(
            decode_doorbell(EP_DOORBELL, MSG_TX_DOORBELL | DOORBELL_KICKFW),
            Some(DoorbellMsg::KickFirmware)
        );
        assert_eq!(
            decode_doorbell(EP_DOORBELL, MSG_FWCTL),
            Some(DoorbellMsg::FwCtl)
        );
        assert_eq!(decode_doorbell(EP_DOORBELL, MSG_TX_DOORBELL | 3), None);
        let va = 0xffff_ffa0_0001_2340;
        let msg = init_msg(va);
        assert_eq!(msg >> 48, 0x81);
        match decode_doorbell(EP_FIRMWARE, msg) {
            Some(DoorbellMsg::Init(low)) => assert_eq!(init_data_va(low), va),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn event_round_trip() {
        let msgs = [
            EventMsg::Fault,
            EventMsg::Flag {
                firing: FlagBitmask::default().with(5).with(100),
                unk_14: 0xbeef,
            },
            EventMsg::Timeout {
                counter: 7,
                unk_8: 1,
                event_slot: -1,
            },
            EventMsg::GrowTvb {
                vm_slot: 3,
                buffer_slot: 9,
                counter: 2,
            },
            EventMsg::ChannelError {
                error_type: ChannelErrorType::DmKill,
                pipe_type: 2,
                event_slot: 4,
                event_value: 0x300,
            },
        ];
        for m in msgs {
            assert_eq!(EventMsg::decode(&m.encode()), m);
        }
        let raw = RawEventMsg {
            msg_type: 5,
            data: [1; 13],
        };
        assert_eq!(EventMsg::decode(&raw), EventMsg::Unknown(raw));
    }

    #[test]
    fn fwctl_flush_range_message() {
        use super::super::plain::bytes_of;
        let m = FwCtlMsg::flush_kernel_range(0xffff_ffa0_0001_4000, 3);
        let b = bytes_of(&m);
        assert_eq!(b.len(), 0x14);
        assert_eq!(b[0..8], 0xffff_ffa0_0001_4000u64.to_le_bytes());
        assert_eq!(b[8..0xc], [0; 4]);
        assert_eq!(b[0xc..0x10], 64u32.to_le_bytes());
        assert_eq!(b[0x10..0x12], 3u16.to_le_bytes());
        assert_eq!(b[0x12..0x14], 2u16.to_le_bytes());
        let user = FwCtlMsg::flush_range(0x4000, 5, u16::MAX);
        assert_eq!((user.slot, user.page_count, user.unk_12), (5, u16::MAX, 2));
    }
}
