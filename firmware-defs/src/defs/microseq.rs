//! Microsequences, the version-independent part: opcodes, WaitForIdle pipes, attachments, the
//! byte-buffer builder and its errors.
//!
//! A microsequence is a byte array in firmware memory that the firmware interprets op by op
//! for one work command (`RunVertex`, `RunFragment`, `RunCompute` point at theirs). The driver
//! builds it into a buffer it provides ([`Builder`]: no allocation) from the per-variant op
//! layouts and sequence constructors of `variants::<variant>::microseq` (written once in
//! `versioned/microseq.rs`), which also hold the decoder the virtual AGX walks sequences with.
//!
//! This module owns no state and takes no locks.
//!
//! Sources: downstream `fw/microseq.rs` (`OpCode`, `Pipe`, `op::*` headers, `Attachment`,
//! `Attachments`) and `microseq.rs` (`Builder::add`, `Builder::offset_to`), herrnst/linux-asahi
//! @ efa808b7 / 044ca57b; m1n1 `proxyclient/m1n1/fw/agx/microsequence.py` (`op & 0x3f`);
//! reference `firmware-commands.md` §1.1 and §2.7.

use super::plain::{bytes_of, plain_derive, plain_fields, plain_layout, Plain};
use super::types::{Array, U64};

/// The opcode of a microsequence op: the low 6 bits of its first word.
///
/// Only the ops the driver emits are listed (reference §1.1; downstream `fw/microseq.rs`
/// `OpCode`). m1n1 knows more (0x03 Doorbell, 0x0e/0x0f store/write, 0x10/0x11 read, 0x16 ALU,
/// 0x17 Add16, 0x1f ProfileCapture, 0x26/0x27 blits, 0x2b Complete, 0x2c Abort); the decoder
/// refuses them as unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum OpCode {
    /// Wait until a pipe (vertex, fragment or compute) is idle (G13, G14G).
    WaitForIdle = 0x01,
    /// Wait until idle, G14X form (no pipe argument).
    WaitForIdle2 = 0x02,
    /// Retire the command's stamp: the last op of every sequence (m1n1 `EndCmd`).
    RetireStamp = 0x18,
    /// Write a timestamp.
    Timestamp = 0x19,
    /// Start a vertex (tiling) job.
    StartVertex = 0x22,
    /// Finish a vertex job and signal its stamp.
    FinalizeVertex = 0x23,
    /// Start a fragment (3D) job.
    StartFragment = 0x24,
    /// Finish a fragment job and signal its stamp.
    FinalizeFragment = 0x25,
    /// Start a compute job.
    StartCompute = 0x29,
    /// Finish a compute job and signal its stamp.
    FinalizeCompute = 0x2a,
}

/// Mask of the opcode bits in an op's first word (m1n1 `MicroSequence`: `op & 0x3f`).
pub const OPCODE_MASK: u32 = 0x3f;

impl OpCode {
    /// Every opcode, for tables and tests.
    pub const ALL: [OpCode; 10] = [
        OpCode::WaitForIdle,
        OpCode::WaitForIdle2,
        OpCode::RetireStamp,
        OpCode::Timestamp,
        OpCode::StartVertex,
        OpCode::FinalizeVertex,
        OpCode::StartFragment,
        OpCode::FinalizeFragment,
        OpCode::StartCompute,
        OpCode::FinalizeCompute,
    ];

    /// The opcode of an op whose first word is `header`, or `None` if it is not one the driver
    /// emits.
    pub const fn from_header(header: u32) -> Option<OpCode> {
        Some(match header & OPCODE_MASK {
            0x01 => OpCode::WaitForIdle,
            0x02 => OpCode::WaitForIdle2,
            0x18 => OpCode::RetireStamp,
            0x19 => OpCode::Timestamp,
            0x22 => OpCode::StartVertex,
            0x23 => OpCode::FinalizeVertex,
            0x24 => OpCode::StartFragment,
            0x25 => OpCode::FinalizeFragment,
            0x29 => OpCode::StartCompute,
            0x2a => OpCode::FinalizeCompute,
            _ => return None,
        })
    }

    /// The opcode's value.
    pub const fn value(self) -> u32 {
        self as u32
    }
}

/// The pipe a `WaitForIdle` op waits for; its value goes to bits 8.. of the header.
///
/// Source: downstream `fw/microseq.rs` `Pipe` (Vertex `1 << 0`, Fragment `1 << 8`, Compute
/// `1 << 15`) and `op::WaitForIdle::new` (`opcode | pipe << 8`); reference §1.1 (headers 0x101,
/// 0x10001, 0x800001).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Pipe {
    /// The vertex (TA) pipe.
    Vertex = 1 << 0,
    /// The fragment (3D) pipe.
    Fragment = 1 << 8,
    /// The compute (CP) pipe.
    Compute = 1 << 15,
}

impl Pipe {
    /// The header word of a `WaitForIdle` op for this pipe.
    pub const fn wait_for_idle_header(self) -> u32 {
        OpCode::WaitForIdle as u32 | ((self as u32) << 8)
    }

    /// The pipe a `WaitForIdle` header names, or `None` if the header is not exactly one the
    /// driver emits.
    pub const fn from_wait_for_idle_header(header: u32) -> Option<Pipe> {
        match header {
            h if h == Pipe::Vertex.wait_for_idle_header() => Some(Pipe::Vertex),
            h if h == Pipe::Fragment.wait_for_idle_header() => Some(Pipe::Fragment),
            h if h == Pipe::Compute.wait_for_idle_header() => Some(Pipe::Compute),
            _ => None,
        }
    }
}

/// Header word of `WaitForIdle2` (G14X): the bare opcode (downstream `simple_op!`).
pub const WAIT_FOR_IDLE2_HEADER: u32 = OpCode::WaitForIdle2 as u32;
/// Header word of `RetireStamp`: opcode with flags 0x4000_0000 (downstream
/// `op::RetireStamp::HEADER`; m1n1 `EndCmd` flags byte 0x40).
pub const RETIRE_STAMP_HEADER: u32 = OpCode::RetireStamp as u32 | 0x4000_0000;
/// Bit of a `Timestamp` header set on the start timestamp (downstream `op::Timestamp::new`:
/// `flag << 31`).
pub const TIMESTAMP_START_FLAG: u32 = 1 << 31;

/// Header word of a `Timestamp` op: the start one (`start`) or the end one.
pub const fn timestamp_header(start: bool) -> u32 {
    OpCode::Timestamp as u32 | if start { TIMESTAMP_START_FLAG } else { 0 }
}

/// Most attachments a Start op carries (downstream `MAX_ATTACHMENTS`).
pub const MAX_ATTACHMENTS: usize = 16;
/// Bytes of a cache line, the unit of [`Attachment::size`] (downstream `build_attachments`:
/// `size.div_ceil(0x80)`; reference §2.7).
pub const ATTACHMENT_LINE: u64 = 0x80;

plain_layout! {
    /// One memory range a job touches beyond its command buffers, for the firmware's cache
    /// management (16 bytes).
    ///
    /// Source: downstream `fw/microseq.rs` `Attachment`; values from `queue/common.rs`
    /// `build_attachments` (reference §2.7).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct Attachment {
        /// GPU address of the range.
        pub address: U64,
        /// Size in cache lines ([`ATTACHMENT_LINE`] bytes), rounded up.
        pub size: u32,
        /// Unknown: 0x17.
        pub unk_c: u16,
        /// Unknown: 1.
        pub unk_e: u16,
    }

    /// The attachment list of a Start op (0x104 bytes: 16 entries and a count).
    ///
    /// Source: downstream `fw/microseq.rs` `Attachments`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct Attachments {
        /// The entries; the first `count` are used.
        pub list: Array<MAX_ATTACHMENTS, Attachment>,
        /// Number of entries used.
        pub count: u32,
    }
}

const _: () = assert!(core::mem::size_of::<Attachment>() == 0x10);
const _: () = assert!(core::mem::size_of::<Attachments>() == 0x104);

impl Attachment {
    /// The entry for `size_bytes` bytes at `address` (size in cache lines, `unk_c` 0x17,
    /// `unk_e` 1), or `AttachmentTooLarge` if the line count does not fit 32 bits.
    pub fn new(address: u64, size_bytes: u64) -> Result<Attachment, MicroseqError> {
        let lines = size_bytes.div_ceil(ATTACHMENT_LINE);
        let size = u32::try_from(lines).map_err(|_| MicroseqError::AttachmentTooLarge)?;
        Ok(Attachment {
            address: U64(address),
            size,
            unk_c: 0x17,
            unk_e: 1,
        })
    }
}

impl Attachments {
    /// Appends the range `size_bytes` at `address`; `TooManyAttachments` after
    /// [`MAX_ATTACHMENTS`], `AttachmentTooLarge` if its line count overflows (nothing changes
    /// on error).
    pub fn push(&mut self, address: u64, size_bytes: u64) -> Result<(), MicroseqError> {
        let entry = Attachment::new(address, size_bytes)?;
        let slot = usize::try_from(self.count)
            .ok()
            .and_then(|i| self.list.get_mut(i))
            .ok_or(MicroseqError::TooManyAttachments)?;
        *slot = entry;
        self.count += 1;
        Ok(())
    }

    /// The used entries.
    pub fn as_slice(&self) -> &[Attachment] {
        let n = usize::try_from(self.count).unwrap_or(usize::MAX);
        self.list.get(..n).unwrap_or(&self.list[..])
    }

    /// Whether the list has entries (a Finalize op's `has_attachments`).
    pub fn has_any(&self) -> bool {
        self.count > 0
    }
}

/// Why a microsequence could not be built or decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MicroseqError {
    /// The builder's buffer cannot take `needed` more bytes; `available` are left. Nothing
    /// was appended.
    NoSpace {
        /// Bytes the op or sequence needs.
        needed: usize,
        /// Bytes left in the buffer.
        available: usize,
    },
    /// The op at `offset` is cut off: it needs `needed` bytes from `offset`, `available` are
    /// there. `opcode` is `None` when not even the header word is there.
    Truncated {
        /// Byte offset of the op in the sequence.
        offset: usize,
        /// The op's opcode, if its header was read.
        opcode: Option<OpCode>,
        /// Bytes the op needs.
        needed: usize,
        /// Bytes there.
        available: usize,
    },
    /// The op at `offset` has an opcode the driver never emits.
    UnknownOpcode {
        /// Byte offset of the op in the sequence.
        offset: usize,
        /// Its header word.
        header: u32,
    },
    /// The op at `offset` is known but its header word has arguments the driver never emits
    /// (a `WaitForIdle` pipe, flag bits).
    BadHeader {
        /// Byte offset of the op in the sequence.
        offset: usize,
        /// Its header word.
        header: u32,
    },
    /// The op at `offset` exists but not on this (generation, firmware) variant
    /// (`WaitForIdle2` before G14X, `WaitForIdle` on G14X).
    NotForVariant {
        /// Byte offset of the op in the sequence.
        offset: usize,
        /// Its opcode.
        opcode: OpCode,
    },
    /// More than [`MAX_ATTACHMENTS`] attachments.
    TooManyAttachments,
    /// An attachment's size in cache lines does not fit 32 bits.
    AttachmentTooLarge,
}

impl MicroseqError {
    /// The same error with its op offset moved by `base` (the decoder reports offsets within
    /// the bytes it was given; an iterator over a whole sequence adds the op's position).
    pub fn at(self, base: usize) -> MicroseqError {
        let add = |o: usize| o.saturating_add(base);
        match self {
            MicroseqError::Truncated {
                offset,
                opcode,
                needed,
                available,
            } => MicroseqError::Truncated {
                offset: add(offset),
                opcode,
                needed,
                available,
            },
            MicroseqError::UnknownOpcode { offset, header } => MicroseqError::UnknownOpcode {
                offset: add(offset),
                header,
            },
            MicroseqError::BadHeader { offset, header } => MicroseqError::BadHeader {
                offset: add(offset),
                header,
            },
            MicroseqError::NotForVariant { offset, opcode } => MicroseqError::NotForVariant {
                offset: add(offset),
                opcode,
            },
            e => e,
        }
    }
}

/// Appends ops, unpadded, into a byte buffer the caller provides (no allocation).
///
/// Each op takes exactly `size_of` of its layout (downstream `Builder::add`). The caller owns
/// the buffer; [`Builder::as_bytes`] is the sequence so far, to copy into firmware memory.
///
/// # Invariants
///
/// `len <= buf.len() <= i32::MAX`, so every offset fits the `i32` of
/// `restart_branch_offset`.
pub struct Builder<'a> {
    buf: &'a mut [u8],
    len: usize,
}

/// Largest buffer a [`Builder`] uses (offsets are `i32` in the ops).
const BUILDER_MAX: usize = i32::MAX as usize;

impl<'a> Builder<'a> {
    /// A builder appending into `buf` from its start (at most `i32::MAX` bytes of it are used).
    pub fn new(buf: &'a mut [u8]) -> Builder<'a> {
        let end = buf.len().min(BUILDER_MAX);
        let buf = buf.get_mut(..end).unwrap_or_default();
        Builder { buf, len: 0 }
    }

    /// Bytes appended so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was appended.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes still free.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.len
    }

    /// The sequence built so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Fails with `NoSpace`, changing nothing, unless `needed` more bytes fit.
    pub fn reserve(&self, needed: usize) -> Result<(), MicroseqError> {
        if needed > self.remaining() {
            return Err(MicroseqError::NoSpace {
                needed,
                available: self.remaining(),
            });
        }
        Ok(())
    }

    /// Appends `op`'s bytes and returns the offset it starts at; `NoSpace` (nothing appended)
    /// if it does not fit.
    pub fn add<T: Plain>(&mut self, op: &T) -> Result<i32, MicroseqError> {
        let bytes = bytes_of(op);
        self.reserve(bytes.len())?;
        let start = self.len;
        let end = start + bytes.len();
        self.buf[start..end].copy_from_slice(bytes);
        self.len = end;
        // By the invariant `end <= i32::MAX`.
        Ok(i32::try_from(start).unwrap_or(i32::MAX))
    }

    /// The distance from the current end back (negative) to `target`, an offset returned by
    /// [`Builder::add`]: `target - len`, as downstream computes a Finalize op's
    /// `restart_branch_offset` just before adding it.
    pub fn offset_to(&self, target: i32) -> i32 {
        // By the invariant `len <= i32::MAX`, so the difference of two such values fits.
        target - i32::try_from(self.len).unwrap_or(i32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::super::types::read_u32;
    use super::*;

    #[test]
    fn opcodes_and_headers() {
        for op in OpCode::ALL {
            assert_eq!(OpCode::from_header(op.value()), Some(op));
            // Bits above the opcode do not change it.
            assert_eq!(OpCode::from_header(op.value() | 0xabcd_ef00), Some(op));
        }
        for unknown in [0x00, 0x03, 0x0e, 0x16, 0x1f, 0x26, 0x2b, 0x2c, 0x3f] {
            assert_eq!(OpCode::from_header(unknown), None, "{unknown:#x}");
        }
        assert_eq!(Pipe::Vertex.wait_for_idle_header(), 0x101);
        assert_eq!(Pipe::Fragment.wait_for_idle_header(), 0x10001);
        assert_eq!(Pipe::Compute.wait_for_idle_header(), 0x80_0001);
        for p in [Pipe::Vertex, Pipe::Fragment, Pipe::Compute] {
            assert_eq!(
                Pipe::from_wait_for_idle_header(p.wait_for_idle_header()),
                Some(p)
            );
        }
        assert_eq!(Pipe::from_wait_for_idle_header(0x301), None);
        assert_eq!(Pipe::from_wait_for_idle_header(0x1), None);
        assert_eq!(RETIRE_STAMP_HEADER, 0x4000_0018);
        assert_eq!(timestamp_header(true), 0x8000_0019);
        assert_eq!(timestamp_header(false), 0x19);
        assert_eq!(WAIT_FOR_IDLE2_HEADER, 2);
    }

    #[test]
    fn builder_appends_and_refuses_overflow() {
        let mut buf = [0xeeu8; 10];
        let mut b = Builder::new(&mut buf);
        assert!(b.is_empty());
        assert_eq!(b.add(&0x1122_3344u32), Ok(0));
        assert_eq!(b.add(&0x55u32), Ok(4));
        assert_eq!(b.offset_to(0), -8);
        assert_eq!(b.offset_to(4), -4);
        assert_eq!(b.remaining(), 2);
        // Does not fit: refused, nothing written.
        assert_eq!(
            b.add(&7u32),
            Err(MicroseqError::NoSpace {
                needed: 4,
                available: 2
            })
        );
        assert_eq!(b.len(), 8);
        assert_eq!(read_u32(b.as_bytes(), 0), Some(0x1122_3344));
        assert_eq!(b.as_bytes().len(), 8);
        assert_eq!(&buf[8..], &[0xee, 0xee]);
        assert_eq!(&buf[4..8], &[0x55, 0, 0, 0]);
    }

    #[test]
    fn attachments() {
        let a = Attachment::new(0x15_0000_0000, 0x81).unwrap();
        assert_eq!(
            (a.address.get(), a.size, a.unk_c, a.unk_e),
            (0x15_0000_0000, 2, 0x17, 1)
        );
        assert_eq!(Attachment::new(0, 0x80).unwrap().size, 1);
        assert_eq!(Attachment::new(0, 0).unwrap().size, 0);
        assert_eq!(
            Attachment::new(0, u64::MAX),
            Err(MicroseqError::AttachmentTooLarge)
        );
        let mut l = Attachments::default();
        assert!(!l.has_any());
        for i in 0..MAX_ATTACHMENTS as u64 {
            l.push(0x1000 * i, 0x100).unwrap();
        }
        let before = l;
        assert_eq!(l.push(0, 1), Err(MicroseqError::TooManyAttachments));
        assert_eq!(l, before);
        assert_eq!(l.as_slice().len(), MAX_ATTACHMENTS);
        assert_eq!(l.as_slice()[3].address.get(), 0x3000);
        assert!(l.has_any());
        let mut bad = Attachments::default();
        assert_eq!(
            bad.push(0, u64::MAX),
            Err(MicroseqError::AttachmentTooLarge)
        );
        assert_eq!(bad.count, 0);
    }

    #[test]
    fn error_offsets_move() {
        let e = MicroseqError::UnknownOpcode {
            offset: 4,
            header: 3,
        };
        assert_eq!(
            e.at(0x10),
            MicroseqError::UnknownOpcode {
                offset: 0x14,
                header: 3
            }
        );
        assert_eq!(
            MicroseqError::TooManyAttachments.at(4),
            MicroseqError::TooManyAttachments
        );
    }
}
