//! CDM (compute data master) control-stream blocks.
//!
//! Layouts: Mesa `src/asahi/genxml/cmdbuf.xml` ("CDM commands": `CDM Block Type`, `CDM Launch
//! Word 0/1`, `CDM Unk G14X`, `CDM Indirect`, `CDM Global size`, `CDM Local size`, `CDM
//! Barrier`, `CDM Stream Link/Terminate/Return`; GravityLinux/mesa @ 1506c214, the copy with
//! Stream Return) and reference `firmware-commands.md` §8.1. Lengths per mode as agxdecode
//! `agxdecode_cdm` walks them; emission order as Mesa `libagx_dgc.h` `agx_cdm_launch`,
//! `agx_cdm_barrier`, `agx_cdm_jump`, `agx_cdm_call`, `agx_cdm_return`, `agx_cdm_terminate`.
//!
//! Bits the XML leaves undefined must be zero: a block that sets them is refused as
//! [`StreamError::Unknown`], since its meaning (and possibly its length) is not known.

use super::{block_type, need, split40, va40, word, Chip, ShaderRegs, StreamError, Writer};

/// CDM block types (cmdbuf.xml `CDM Block Type`).
pub mod kind {
    /// Launch a compute grid.
    pub const LAUNCH: u8 = 0;
    /// Jump, or call with return.
    pub const STREAM_LINK: u8 = 1;
    /// End of the stream.
    pub const STREAM_TERMINATE: u8 = 2;
    /// Cache flush / wait.
    pub const BARRIER: u8 = 3;
    /// Return from a call.
    pub const STREAM_RETURN: u8 = 4;
}

/// Launch word 0 bits 28:27, `Mode` (cmdbuf.xml `CDM Mode`).
const MODE_SHIFT: u32 = 27;
/// Launch word 0 bits that are defined: registers 15:1 (bit 0 reserved), mode, block type.
const LAUNCH_W0_DEFINED: u32 = 0xfffe | (3 << MODE_SHIFT) | (7 << 29);
/// `CDM Unk G14X` word 1 bit 30, `exact="true"`.
const G14X_W1: u32 = 1 << 30;
/// Stream Link word 0: target hi 7:0, with-return bit 28, block type.
const LINK_WITH_RETURN: u32 = 1 << 28;
/// Barrier bits cmdbuf.xml defines: Unk 0–20 (bit 3 `USC cache inval`), 24, 26, Returns 27.
pub const BARRIER_DEFINED: u32 = 0x001f_ffff | (1 << 24) | (1 << 26) | BARRIER_RETURNS;
/// Barrier bit 27, `Returns`.
pub const BARRIER_RETURNS: u32 = 1 << 27;
/// The barrier Mesa's `agx_cdm_barrier` writes after every launch: Unk 0–19 with USC cache
/// invalidate (bit 3), on every chip (the G13X-only `unk_4` is among them).
pub const MESA_BARRIER_BITS: u32 = 0x000f_ffff;

/// How a launch sizes its grid (cmdbuf.xml `CDM Mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grid {
    /// Mode 0: global size (total threads per dimension) and local size in the stream.
    Direct {
        /// Global size x, y, z in threads.
        global: [u32; 3],
        /// Workgroup size x, y, z.
        local: [u32; 3],
    },
    /// Mode 1: a buffer of 3 × u32 global size, local size in the stream.
    IndirectGlobal {
        /// GPU VA of the 12-byte global size (4-byte aligned, 40 bits).
        buffer: u64,
        /// Workgroup size x, y, z.
        local: [u32; 3],
    },
    /// Mode 2: a buffer of 6 × u32, global then local size.
    IndirectLocal {
        /// GPU VA of the 24-byte sizes (4-byte aligned, 40 bits).
        buffer: u64,
    },
}

impl Grid {
    /// The mode field value.
    pub const fn mode(&self) -> u32 {
        match self {
            Grid::Direct { .. } => 0,
            Grid::IndirectGlobal { .. } => 1,
            Grid::IndirectLocal { .. } => 2,
        }
    }

    /// The indirect buffer and how many bytes of it the hardware reads (cmdbuf.xml `CDM Mode`
    /// comments: 3 or 6 × 32-bit sizes).
    pub const fn indirect(&self) -> Option<(u64, usize)> {
        match *self {
            Grid::Direct { .. } => None,
            Grid::IndirectGlobal { buffer, .. } => Some((buffer, 12)),
            Grid::IndirectLocal { buffer } => Some((buffer, 24)),
        }
    }
}

/// A CDM Launch block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Launch {
    /// Register counts of word 0 (bits 15:0).
    pub regs: ShaderRegs,
    /// USC-relative offset of the pipeline's USC words (word 1 bits 31:6, 64-byte aligned).
    pub pipeline: u32,
    /// Grid sizing.
    pub grid: Grid,
}

/// One decoded CDM block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CdmBlock {
    /// Launch a grid.
    Launch(Launch),
    /// Continue at `target`; with `call`, push the address after this block first.
    Link {
        /// GPU VA of the next block (40 bits).
        target: u64,
        /// `With return` (bit 28): a call.
        call: bool,
    },
    /// End of the stream.
    Terminate,
    /// Barrier with its flag bits (within [`BARRIER_DEFINED`]); [`BARRIER_RETURNS`] makes it
    /// a return.
    Barrier(u32),
    /// Return to the address pushed by the last call.
    Return,
}

/// Length in bytes of the CDM block whose first word is `word0` (agxdecode `agxdecode_cdm`;
/// the G14X word when Mesa's `agx_cdm_launch` writes it, `chip == AGX_CHIP_G14X`).
pub fn block_len(word0: u32, chip: Chip) -> Result<usize, StreamError> {
    let unknown = StreamError::Unknown { va: 0, word: word0 };
    Ok(match block_type(word0) {
        kind::LAUNCH => {
            let extra = if chip == Chip::G14X { 8 } else { 0 };
            8 + extra
                + match (word0 >> MODE_SHIFT) & 3 {
                    0 => 24,
                    1 => 20,
                    2 => 8,
                    _ => return Err(unknown),
                }
        }
        kind::STREAM_LINK | kind::STREAM_TERMINATE | kind::STREAM_RETURN => 8,
        kind::BARRIER => 4,
        _ => return Err(unknown),
    })
}

fn sizes(b: &[u8], off: usize) -> Result<[u32; 3], StreamError> {
    Ok([word(b, off)?, word(b, off + 4)?, word(b, off + 8)?])
}

/// Decodes the CDM block at the start of `bytes` for `chip`, returning it and its length.
///
/// Errors: [`StreamError::Truncated`] if `bytes` ends inside the block,
/// [`StreamError::Unknown`] (with `va` 0, the block's offset) for an unknown type or mode, or
/// undefined bits set.
pub fn decode(bytes: &[u8], chip: Chip) -> Result<(CdmBlock, usize), StreamError> {
    let w0 = word(bytes, 0)?;
    let len = block_len(w0, chip)?;
    need(bytes, len)?;
    let unknown = StreamError::Unknown { va: 0, word: w0 };
    let check = |ok: bool| if ok { Ok(()) } else { Err(unknown) };
    let blk = match block_type(w0) {
        kind::LAUNCH => {
            check(w0 & !LAUNCH_W0_DEFINED == 0)?;
            let w1 = word(bytes, 4)?;
            check(w1 & 0x3f == 0)?;
            let mut off = 8;
            if chip == Chip::G14X {
                check(word(bytes, 8)? == 0 && word(bytes, 12)? == G14X_W1)?;
                off += 8;
            }
            let indirect = |off: usize| -> Result<u64, StreamError> {
                let (hi, lo) = (word(bytes, off)?, word(bytes, off + 4)?);
                // `CDM Indirect`: address hi 7:0 of word 0, address lo bits 31:2 of word 1.
                if hi & !0xff != 0 || lo & 3 != 0 {
                    return Err(unknown);
                }
                Ok(va40(hi, lo))
            };
            let grid = match (w0 >> MODE_SHIFT) & 3 {
                0 => Grid::Direct {
                    global: sizes(bytes, off)?,
                    local: sizes(bytes, off + 12)?,
                },
                1 => Grid::IndirectGlobal {
                    buffer: indirect(off)?,
                    local: sizes(bytes, off + 8)?,
                },
                _ => Grid::IndirectLocal {
                    buffer: indirect(off)?,
                },
            };
            CdmBlock::Launch(Launch {
                regs: ShaderRegs(w0 & 0xffff),
                pipeline: w1,
                grid,
            })
        }
        kind::STREAM_LINK => {
            check(w0 & !(0xff | LINK_WITH_RETURN | (7 << 29)) == 0)?;
            CdmBlock::Link {
                target: va40(w0, word(bytes, 4)?),
                call: w0 & LINK_WITH_RETURN != 0,
            }
        }
        kind::STREAM_TERMINATE => {
            check(w0 == u32::from(kind::STREAM_TERMINATE) << 29)?;
            CdmBlock::Terminate
        }
        kind::STREAM_RETURN => {
            check(w0 == u32::from(kind::STREAM_RETURN) << 29)?;
            CdmBlock::Return
        }
        _ => {
            // kind::BARRIER (block_len refused every other type).
            let flags = w0 & !(7 << 29);
            check(flags & !BARRIER_DEFINED == 0)?;
            CdmBlock::Barrier(flags)
        }
    };
    Ok((blk, len))
}

const fn ty(k: u8) -> u32 {
    (k as u32) << 29
}

impl Launch {
    /// A direct launch as Mesa's `hk_dispatch_with_usc` builds it: word 0 with the shader's
    /// register counts (`sampler_state_register_count = 1`), `pipeline` USC-relative.
    pub fn mesa(
        uniforms: u32,
        preshader: u32,
        pipeline: u32,
        grid: Grid,
    ) -> Result<Self, StreamError> {
        Ok(Self {
            regs: ShaderRegs::new(uniforms, 0, 1, preshader)?,
            pipeline,
            grid,
        })
    }
}

impl CdmBlock {
    /// Appends the block as Mesa writes it for `chip` (`agx_cdm_launch` and friends).
    pub fn encode(&self, chip: Chip, w: &mut Writer<'_>) -> Result<(), StreamError> {
        match *self {
            CdmBlock::Launch(l) => {
                if l.regs.0 & !0xfffe != 0 {
                    return Err(StreamError::Unencodable("launch register word"));
                }
                if l.pipeline & 0x3f != 0 {
                    return Err(StreamError::Unencodable("pipeline not 64-byte aligned"));
                }
                w.push(ty(kind::LAUNCH) | (l.grid.mode() << MODE_SHIFT) | l.regs.0)?;
                w.push(l.pipeline)?;
                if chip == Chip::G14X {
                    w.push_all(&[0, G14X_W1])?;
                }
                if let Some((buffer, _)) = l.grid.indirect() {
                    if buffer & 3 != 0 {
                        return Err(StreamError::Unencodable("indirect buffer not 4-aligned"));
                    }
                    let (hi, lo) = split40(buffer, "indirect buffer")?;
                    w.push_all(&[hi, lo])?;
                }
                match l.grid {
                    Grid::Direct { global, local } => {
                        w.push_all(&global)?;
                        w.push_all(&local)?;
                    }
                    Grid::IndirectGlobal { local, .. } => w.push_all(&local)?,
                    Grid::IndirectLocal { .. } => {}
                }
                Ok(())
            }
            CdmBlock::Link { target, call } => {
                let (hi, lo) = split40(target, "link target")?;
                let ret = if call { LINK_WITH_RETURN } else { 0 };
                w.push_all(&[ty(kind::STREAM_LINK) | ret | hi, lo])
            }
            CdmBlock::Terminate => w.push_all(&[ty(kind::STREAM_TERMINATE), 0]),
            CdmBlock::Return => w.push_all(&[ty(kind::STREAM_RETURN), 0]),
            CdmBlock::Barrier(flags) => {
                if flags & !BARRIER_DEFINED != 0 {
                    return Err(StreamError::Unencodable("undefined barrier bits"));
                }
                w.push(ty(kind::BARRIER) | flags)
            }
        }
    }

    /// The barrier Mesa's `agx_cdm_barrier` writes for `chip` (the same bits on every chip).
    pub const fn mesa_barrier(_chip: Chip) -> Self {
        CdmBlock::Barrier(MESA_BARRIER_BITS)
    }
}
