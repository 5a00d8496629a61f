//! The *virtual shader* convention: how a launch or draw does observable work on the virtual
//! AGX, which cannot run AGX shader code.
//!
//! The virtual AGX resolves a launch's (or draw's) pipeline to its shader code (the USC
//! `Shader` entry, see [`super::usc`]) and looks at the first 16 bytes there:
//!
//! | offset | size | value |
//! |---|---|---|
//! | 0 | 8 | [`MAGIC`], `b"AGXVIRT\0"` |
//! | 8 | 4 | [`VERSION`] (1), little-endian |
//! | 12 | 4 | payload length in bytes: a multiple of [`OP_LEN`], at most [`MAX_OPS`] ops |
//! | 16 | payload | the op list below |
//!
//! Code that does not start with [`MAGIC`] is a real (or any other) shader, which the model
//! runs as a no-op: [`parse_virtual_shader`] returns `None`. Code that starts with [`MAGIC`] but
//! has another version or a bad length is refused ([`StreamError::BadVirtual`]), so a client
//! learns of its mistake instead of seeing nothing happen.
//!
//! The payload is the op list the driver's virtual AGX has always run (the same encoding,
//! `drivers/gpu/drm/asahi/backend/virtual_agx.rs` "virtual control stream" and
//! `tests/guest/src/gpu.rs` `op`/`stream`): ops of 32 bytes, four little-endian `u64`
//! `(opcode, a, b, c)` with the opcode in the low 32 bits of the first:
//!
//! | opcode | name | effect |
//! |---|---|---|
//! | 0 | `END` | end of the program (also where the payload ends) |
//! | 1 | `WRITE32` | `*(u32 *)a = b` (low 32 bits) |
//! | 2 | `WRITE64` | `*(u64 *)a = b` |
//! | 3 | `COPY` | copy `c` bytes from `b` to `a` (at most [`MAX_BULK`]) |
//! | 4 | `FILL` | fill `c` bytes at `a` with the low byte of `b` (at most [`MAX_BULK`]) |
//! | 5 | `DELAY` | busy for `c` microseconds (at most [`MAX_DELAY_US`]) |
//! | 6 | `READ32` | read `*(u32 *)a` and discard it (to fault on purpose) |
//!
//! An unknown opcode or an oversize op is refused by [`Op::decode`] (the model faults the work).

use super::{probe, GpuMemory, StreamError};

/// The marker's first 8 bytes.
pub const MAGIC: [u8; 8] = *b"AGXVIRT\0";
/// The only marker version.
pub const VERSION: u32 = 1;
/// Length of the marker.
pub const HEADER_LEN: usize = 16;
/// Length of one op.
pub const OP_LEN: usize = 32;
/// Most ops in one program (as the driver's `stream::MAX_OPS`).
pub const MAX_OPS: usize = 4096;
/// Largest COPY or FILL.
pub const MAX_BULK: u64 = 1 << 20;
/// Longest DELAY, in microseconds.
pub const MAX_DELAY_US: u64 = 100_000;

/// Op codes.
pub mod opcode {
    /// End of program.
    pub const END: u32 = 0;
    /// `*(u32 *)a = b`.
    pub const WRITE32: u32 = 1;
    /// `*(u64 *)a = b`.
    pub const WRITE64: u32 = 2;
    /// Copy `c` bytes from `b` to `a`.
    pub const COPY: u32 = 3;
    /// Fill `c` bytes at `a` with byte `b`.
    pub const FILL: u32 = 4;
    /// Busy for `c` microseconds.
    pub const DELAY: u32 = 5;
    /// Read `*(u32 *)a`.
    pub const READ32: u32 = 6;
}

/// One decoded op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// End of program.
    End,
    /// Store a 32-bit value.
    Write32 {
        /// Destination VA.
        addr: u64,
        /// Value.
        value: u32,
    },
    /// Store a 64-bit value.
    Write64 {
        /// Destination VA.
        addr: u64,
        /// Value.
        value: u64,
    },
    /// Copy bytes.
    Copy {
        /// Destination VA.
        dst: u64,
        /// Source VA.
        src: u64,
        /// Bytes, at most [`MAX_BULK`].
        len: u64,
    },
    /// Fill bytes.
    Fill {
        /// Destination VA.
        dst: u64,
        /// Byte value.
        byte: u8,
        /// Bytes, at most [`MAX_BULK`].
        len: u64,
    },
    /// Busy wait.
    Delay {
        /// Microseconds, at most [`MAX_DELAY_US`].
        us: u64,
    },
    /// Read and discard.
    Read32 {
        /// Source VA.
        addr: u64,
    },
}

fn q(b: &[u8; OP_LEN], i: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[i * 8..i * 8 + 8]);
    u64::from_le_bytes(x)
}

impl Op {
    /// Decodes one op; `None` for an unknown opcode or an oversize op.
    pub fn decode(b: &[u8; OP_LEN]) -> Option<Op> {
        let (a, bb, c) = (q(b, 1), q(b, 2), q(b, 3));
        // CAST: the opcode is the low word.
        Some(match q(b, 0) as u32 {
            opcode::END => Op::End,
            // CAST: WRITE32 stores the low 32 bits of `b`.
            opcode::WRITE32 => Op::Write32 {
                addr: a,
                value: bb as u32,
            },
            opcode::WRITE64 => Op::Write64 { addr: a, value: bb },
            opcode::COPY if c <= MAX_BULK => Op::Copy {
                dst: a,
                src: bb,
                len: c,
            },
            // CAST: FILL uses the low byte of `b`.
            opcode::FILL if c <= MAX_BULK => Op::Fill {
                dst: a,
                byte: bb as u8,
                len: c,
            },
            opcode::DELAY if c <= MAX_DELAY_US => Op::Delay { us: c },
            opcode::READ32 => Op::Read32 { addr: a },
            _ => return None,
        })
    }

    /// The op's `(opcode, a, b, c)`.
    pub const fn fields(&self) -> (u32, u64, u64, u64) {
        match *self {
            Op::End => (opcode::END, 0, 0, 0),
            Op::Write32 { addr, value } => (opcode::WRITE32, addr, value as u64, 0),
            Op::Write64 { addr, value } => (opcode::WRITE64, addr, value, 0),
            Op::Copy { dst, src, len } => (opcode::COPY, dst, src, len),
            Op::Fill { dst, byte, len } => (opcode::FILL, dst, byte as u64, len),
            Op::Delay { us } => (opcode::DELAY, 0, 0, us),
            Op::Read32 { addr } => (opcode::READ32, addr, 0, 0),
        }
    }

    /// Encodes the op.
    pub fn encode(&self) -> [u8; OP_LEN] {
        encode_raw(self.fields())
    }
}

/// Encodes a raw `(opcode, a, b, c)` op (any opcode, for tests of refusals).
pub fn encode_raw((o, a, b, c): (u32, u64, u64, u64)) -> [u8; OP_LEN] {
    let mut out = [0u8; OP_LEN];
    for (i, v) in [u64::from(o), a, b, c].into_iter().enumerate() {
        out[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
    }
    out
}

/// The 16-byte marker for a payload of `ops` ops.
pub fn header(ops: usize) -> Result<[u8; HEADER_LEN], StreamError> {
    if ops > MAX_OPS {
        return Err(StreamError::Unencodable("too many virtual ops"));
    }
    let mut h = [0u8; HEADER_LEN];
    h[..8].copy_from_slice(&MAGIC);
    h[8..12].copy_from_slice(&VERSION.to_le_bytes());
    // CAST: at most MAX_OPS * OP_LEN, which fits.
    h[12..16].copy_from_slice(&((ops * OP_LEN) as u32).to_le_bytes());
    Ok(h)
}

/// Writes a whole virtual shader (marker, then `ops`) into `out`, returning its length.
pub fn encode_program(ops: &[Op], out: &mut [u8]) -> Result<usize, StreamError> {
    let len = HEADER_LEN + ops.len() * OP_LEN;
    let dst = out
        .get_mut(..len)
        .ok_or(StreamError::Unencodable("output buffer too small"))?;
    dst[..HEADER_LEN].copy_from_slice(&header(ops.len())?);
    for (chunk, op) in dst[HEADER_LEN..].chunks_exact_mut(OP_LEN).zip(ops) {
        chunk.copy_from_slice(&op.encode());
    }
    Ok(len)
}

/// A virtual shader found at a shader's code address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VirtualProgram {
    /// GPU VA of the first op.
    pub ops_va: u64,
    /// Number of ops in the payload.
    pub ops: usize,
}

impl VirtualProgram {
    /// Reads and decodes op `i`: `Ok(None)` past the payload, [`StreamError::BadVirtual`] for
    /// an op [`Op::decode`] refuses.
    pub fn op<M: GpuMemory + ?Sized>(
        &self,
        mem: &mut M,
        i: usize,
    ) -> Result<Option<Op>, StreamError> {
        if i >= self.ops {
            return Ok(None);
        }
        // CAST: i < MAX_OPS.
        let va = self.ops_va.wrapping_add((i * OP_LEN) as u64);
        let mut b = [0u8; OP_LEN];
        mem.read(va, &mut b)?;
        match Op::decode(&b) {
            Some(op) => Ok(Some(op)),
            None => Err(StreamError::BadVirtual {
                va,
                why: "unknown or oversize op",
            }),
        }
    }
}

/// Looks for the virtual-shader marker at `code_va` (a shader's code address): `Ok(None)` for
/// any other shader (which runs as a no-op), the program for a marked one.
///
/// Errors: [`StreamError::Fault`] if the first 16 bytes cannot be read (a launch's shader code
/// must be mapped whatever it is), [`StreamError::BadVirtual`] for a marked shader with another
/// version or a bad payload length, and a fault if its payload is not readable.
pub fn parse_virtual_shader<M: GpuMemory + ?Sized>(
    mem: &mut M,
    code_va: u64,
) -> Result<Option<VirtualProgram>, StreamError> {
    let mut h = [0u8; HEADER_LEN];
    mem.read(code_va, &mut h)?;
    if h[..8] != MAGIC {
        return Ok(None);
    }
    let bad = |why| StreamError::BadVirtual { va: code_va, why };
    if u32::from_le_bytes([h[8], h[9], h[10], h[11]]) != VERSION {
        return Err(bad("unknown virtual shader version"));
    }
    let len = u32::from_le_bytes([h[12], h[13], h[14], h[15]]) as usize;
    if len % OP_LEN != 0 || len / OP_LEN > MAX_OPS {
        return Err(bad("payload length not a whole number of ops, or too long"));
    }
    let p = VirtualProgram {
        ops_va: code_va.wrapping_add(HEADER_LEN as u64),
        ops: len / OP_LEN,
    };
    // CAST: at most MAX_OPS * OP_LEN bytes.
    probe(mem, p.ops_va, len as u64)?;
    Ok(Some(p))
}
