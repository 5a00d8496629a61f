//! Firmware log and kernel-trace ring entries.
//!
//! The FwLog channel passes small index messages on six sub-rings (one per log level); each
//! points at a payload entry in a side buffer of 0x100 entries per sub-ring holding the text.
//! KTrace entries carry a timestamp, four arguments and a code. The firmware crash log itself
//! arrives through RTKit and is stored raw in the `RTKIT` crash-dump note.
//!
//! Stats entries are a type word and a payload (0x3c bytes from firmware 13.0b4 on).
//!
//! Layout of the FwLog channel: `RuntimePointers::fw_log.state` points at six back-to-back
//! [`super::channels::ChannelState`]s, `fw_log.ring` at six back-to-back rings of 0x100
//! [`RawFwLogMsg`]s (sub-ring `i` at `ring + i * 0x100 * 0x38`), and `RuntimePointers::fwlog_buf`
//! at six back-to-back blocks of [`FWLOG_PAYLOADS_PER_RING`] [`RawFwLogPayloadMsg`]s; an index
//! message of sub-ring `i` names payload `i * 0x100 + msg_index`.
//!
//! Source: downstream `fw/channels.rs` (`RawFwLogMsg`, `RawFwLogPayloadMsg`, `RawKTraceMsg`,
//! `STATS_SZ`, `StatsMsg`), `channel.rs` (`RxChannel::new`: one ring of `SUB_CHANNELS * count`
//! entries; `FwLogChannel::poll`: type 2 index messages, type 3 payloads, 0x100 payloads per
//! sub-ring at `BUF_SIZE * i + msg_index`, levels 0-5 printed as debug, info, notice, warn, err,
//! crit); m1n1 `fw/agx/channels.py` (`FWLogMsg`, 0xd8-byte payloads).

use super::plain::{plain_derive, plain_fields, plain_layout, Plain};
use super::types::{Array, Pad, U64};

/// FwLog index message type.
pub const FWLOG_MSG_INDEX: u32 = 2;
/// FwLog payload message type.
pub const FWLOG_MSG_PAYLOAD: u32 = 3;
/// Payload entries per FwLog sub-ring.
pub const FWLOG_PAYLOADS_PER_RING: usize = 0x100;
/// Text bytes of a payload entry.
pub const FWLOG_TEXT_SIZE: usize = 0xc8;

/// Names of the six FwLog levels, by sub-ring (downstream `FwLogChannel::poll`).
pub const FWLOG_LEVEL_NAMES: [&str; 6] = ["debug", "info", "notice", "warn", "error", "crit"];

/// Stats message type: power on (payload: `off_time`).
pub const STATS_POWER_ON: u32 = 2;
/// Stats message type: power off (payload: `on_time`).
pub const STATS_POWER_OFF: u32 = 3;
/// Stats message type: utilization (payload: `timestamp: u64`, then four `u32` utilizations).
pub const STATS_UTILIZATION: u32 = 4;
/// Payload bytes of a Stats message on firmware 13.0b4 and later (0x2c before).
pub const STATS_PAYLOAD_SIZE: usize = 0x3c;

plain_layout! {
    /// A Stats ring entry (firmware 13.0b4 and later: 0x40 bytes).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    #[repr(C)]
    pub struct RawStatsMsg {
        /// Message type ([`STATS_UTILIZATION`], ...).
        pub msg_type: u32,
        /// Payload.
        pub data: Array<STATS_PAYLOAD_SIZE, u8>,
    }
}

impl Default for RawStatsMsg {
    fn default() -> Self {
        Self {
            msg_type: 0,
            data: Array([0; STATS_PAYLOAD_SIZE]),
        }
    }
}

plain_layout! {
    /// A FwLog ring entry (0x38 bytes): points at a payload entry.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct RawFwLogMsg {
        /// [`FWLOG_MSG_INDEX`].
        pub msg_type: u32,
        /// Padding.
        pub pad_4: u32,
        /// Payload index within the sub-ring's payload block.
        pub msg_index: U64,
        /// Padding.
        pub pad_10: Pad<0x28>,
    }
}

plain_layout! {
    /// A FwLog payload entry (0xd8 bytes).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    #[repr(C)]
    pub struct RawFwLogPayloadMsg {
        /// [`FWLOG_MSG_PAYLOAD`].
        pub msg_type: u32,
        /// Sequence number.
        pub seq_no: u32,
        /// Firmware timestamp.
        pub timestamp: U64,
        /// NUL-terminated text.
        pub msg: Array<FWLOG_TEXT_SIZE, u8>,
    }
}

impl Default for RawFwLogPayloadMsg {
    fn default() -> Self {
        Self {
            msg_type: 0,
            seq_no: 0,
            timestamp: U64(0),
            msg: Array([0; FWLOG_TEXT_SIZE]),
        }
    }
}

impl RawFwLogPayloadMsg {
    /// The text up to (not including) the first NUL, or `None` if it is not NUL-terminated.
    pub fn text(&self) -> Option<&[u8]> {
        let end = self.msg.iter().position(|b| *b == 0)?;
        self.msg.get(..end)
    }
}

plain_layout! {
    /// A KTrace ring entry (0x38 bytes).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct RawKTraceMsg {
        /// Message type.
        pub msg_type: u32,
        /// Firmware timestamp.
        pub timestamp: U64,
        /// Arguments.
        pub args: Array<4, U64>,
        /// Trace code.
        pub code: u8,
        /// Channel.
        pub channel: u8,
        /// Padding.
        pub pad_2e: Pad<1>,
        /// Firmware thread.
        pub thread: u8,
        /// Unknown flag.
        pub unk_flag: U64,
    }
}

const _: () = assert!(core::mem::size_of::<RawFwLogMsg>() == 0x38);
const _: () = assert!(core::mem::size_of::<RawFwLogPayloadMsg>() == 0xd8);
const _: () = assert!(core::mem::offset_of!(RawKTraceMsg, code) == 0x2c);
const _: () = assert!(core::mem::size_of::<RawKTraceMsg>() == 0x38);
const _: () = assert!(core::mem::size_of::<RawStatsMsg>() == 0x40);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_text() {
        let mut p = RawFwLogPayloadMsg::default();
        p.msg[..5].copy_from_slice(b"hello");
        assert_eq!(p.text(), Some(&b"hello"[..]));
        p.msg.0 = [b'x'; FWLOG_TEXT_SIZE];
        assert_eq!(p.text(), None);
    }
}
