//! Firmware log and kernel-trace ring entries.
//!
//! The FwLog channel passes small index messages on six sub-rings (one per log level); each
//! points at a payload entry in a side buffer of 0x100 entries per sub-ring holding the text.
//! KTrace entries carry a timestamp, four arguments and a code. The firmware crash log itself
//! arrives through RTKit and is stored raw in the `RTKIT` crash-dump note.
//!
//! Source: downstream `fw/channels.rs` (`RawFwLogMsg`, `RawFwLogPayloadMsg`, `RawKTraceMsg`),
//! `channel.rs` (`FwLogChannel::poll`: type 2 index messages, type 3 payloads, 0x100 payloads
//! per sub-ring); m1n1 `fw/agx/channels.py` (`FWLogMsg`, 0xd8-byte payloads).

use super::types::{Array, Pad, U64};

/// FwLog index message type.
pub const FWLOG_MSG_INDEX: u32 = 2;
/// FwLog payload message type.
pub const FWLOG_MSG_PAYLOAD: u32 = 3;
/// Payload entries per FwLog sub-ring.
pub const FWLOG_PAYLOADS_PER_RING: usize = 0x100;
/// Text bytes of a payload entry.
pub const FWLOG_TEXT_SIZE: usize = 0xc8;

/// A FwLog ring entry (0x38 bytes): points at a payload entry.
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

/// A FwLog payload entry (0xd8 bytes).
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

/// A KTrace ring entry (0x38 bytes).
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

const _: () = assert!(core::mem::size_of::<RawFwLogMsg>() == 0x38);
const _: () = assert!(core::mem::size_of::<RawFwLogPayloadMsg>() == 0xd8);
const _: () = assert!(core::mem::offset_of!(RawKTraceMsg, code) == 0x2c);
const _: () = assert!(core::mem::size_of::<RawKTraceMsg>() == 0x38);

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
