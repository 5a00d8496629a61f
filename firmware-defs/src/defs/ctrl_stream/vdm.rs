//! VDM (vertex data master) control-stream blocks.
//!
//! Layouts: Mesa `src/asahi/genxml/cmdbuf.xml` ("VDM commands": `VDM Block Type`, `PPP State`,
//! `VDM Barrier`, `VDM State` and its words, `Index List` and its words, `VDM Stream Link`,
//! `VDM Tessellate` and its words, `VDM Stream Terminate` of 32 bytes; GravityLinux/mesa @
//! 1506c214) and reference `firmware-commands.md` §8.2. Optional-word order and padding as
//! agxdecode `agxdecode_vdm` reads them (VDM State padded to 8 bytes unless the tessellation
//! scale is present; Index List: buffer lo, count, instances, start, indirect, buffer size);
//! emission as Mesa `libagx_dgc.h` `agx_vdm_draw`, `agx_vdm_return`, `agx_vdm_jump`,
//! `agx_vdm_call`, `agx_vdm_terminate`.
//!
//! Undefined bits must be zero, and the presence bits whose words the XML does not place (Index
//! List `Unk 1`/`Unk 2`, bits 25 and 27) are refused: either makes the block
//! [`StreamError::Unknown`].

use super::{block_type, need, split40, va40, word, ShaderRegs, StreamError, Writer};

/// VDM block types (cmdbuf.xml `VDM Block Type`).
pub mod kind {
    /// Point at a PPP state record.
    pub const PPP_STATE_UPDATE: u8 = 0;
    /// Cache flush / wait, or a return.
    pub const BARRIER: u8 = 1;
    /// Vertex shader and vertex state.
    pub const VDM_STATE_UPDATE: u8 = 2;
    /// A draw.
    pub const INDEX_LIST: u8 = 3;
    /// Jump, or call with return.
    pub const STREAM_LINK: u8 = 4;
    /// A tessellated draw.
    pub const TESSELLATE: u8 = 5;
    /// End of the stream.
    pub const STREAM_TERMINATE: u8 = 6;
}

/// VDM Barrier bits cmdbuf.xml defines: 3 (USC cache invalidate), 4–6, 8, 11, 20, 24, 26, and
/// 27 `Returns`.
pub const BARRIER_DEFINED: u32 =
    0x78 | (1 << 8) | (1 << 11) | (1 << 20) | (1 << 24) | (1 << 26) | BARRIER_RETURNS;
/// VDM Barrier bit 27: return from a call (Mesa `agx_vdm_return`).
pub const BARRIER_RETURNS: u32 = 1 << 27;
/// VDM State presence bits (0–5, 7).
const STATE_DEFINED: u32 = 0xbf;
/// Index List bits of word 0 that are defined and accepted: buffer hi 7:0, primitive 15:8,
/// restart 16, index size 19:17, presence 20–24 and 26.
const INDEX_DEFINED: u32 = 0x01ff_ffff | (1 << 26);
/// Tessellate bits of word 0 defined by cmdbuf.xml: factor buffer hi 7:0, unknown 19:8 and 20,
/// presence 21, 22, 23, 25, 26, 28.
const TESS_DEFINED: u32 = 0x00ff_ffff | (1 << 25) | (1 << 26) | (1 << 28);
/// Stream Link with-return bit.
const LINK_WITH_RETURN: u32 = 1 << 28;
/// Length of a VDM Stream Terminate (cmdbuf.xml `size="32"`; reference open question 5).
pub const TERMINATE_LEN: usize = 32;

/// A VDM State Update: each optional word, in stream order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct VdmState {
    /// Bit 0: the primitive restart index.
    pub restart_index: Option<u32>,
    /// Bit 1: vertex shader word 0 (register counts).
    pub vs_word0: Option<ShaderRegs>,
    /// Bit 2: vertex shader word 1, raw (bits 31:6: pipeline, USC-relative; see
    /// [`VdmState::pipeline`]).
    pub vs_word1: Option<u32>,
    /// Bit 3: vertex outputs.
    pub vertex_outputs: Option<u32>,
    /// Bit 4: tessellation.
    pub tessellation: Option<u32>,
    /// Bit 5: vertex unknown (flat shading control, primitive ID).
    pub vertex_unknown: Option<u32>,
    /// Bit 7: tessellation scale.
    pub tessellation_scale: Option<u32>,
}

impl VdmState {
    /// The vertex pipeline's USC-relative offset, when word 1 is present.
    pub fn pipeline(&self) -> Option<u32> {
        self.vs_word1.map(|w| w & !0x3f)
    }

    fn words(&self) -> [Option<u32>; 7] {
        [
            self.restart_index,
            self.vs_word0.map(|r| r.0),
            self.vs_word1,
            self.vertex_outputs,
            self.tessellation,
            self.vertex_unknown,
            self.tessellation_scale,
        ]
    }
}

/// Presence bit of each [`VdmState`] word, in stream order.
const STATE_BITS: [u32; 7] = [0, 1, 2, 3, 4, 5, 7];

/// An Index List (a draw).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct IndexList {
    /// Word 0 without its block type and presence bits: buffer hi 7:0, primitive 15:8, restart
    /// 16, index size 19:17.
    pub header: u32,
    /// Bit 21: index buffer low word.
    pub buffer_lo: Option<u32>,
    /// Bit 22: index count (vertex count when not indexed).
    pub count: Option<u32>,
    /// Bit 23: instance count.
    pub instances: Option<u32>,
    /// Bit 24: start (base vertex when indexed).
    pub start: Option<u32>,
    /// Bit 26: indirect buffer (40-bit VA).
    pub indirect: Option<u64>,
    /// Bit 20: index buffer size in 4-byte units (`Size`, `shr(2)`).
    pub buffer_size: Option<u32>,
}

/// Index sizes (cmdbuf.xml `Index size`): U8, U16, U32 = 0, 1, 2.
impl IndexList {
    /// Primitive (cmdbuf.xml `Primitive`).
    pub const fn primitive(&self) -> u32 {
        (self.header >> 8) & 0xff
    }

    /// Primitive restart enabled.
    pub const fn restart(&self) -> bool {
        self.header & (1 << 16) != 0
    }

    /// log2 of the index size in bytes.
    pub const fn index_size(&self) -> u32 {
        (self.header >> 17) & 7
    }

    /// The index buffer's VA, when present.
    pub fn index_buffer(&self) -> Option<u64> {
        self.buffer_lo.map(|lo| va40(self.header, lo))
    }

    /// Bytes of the index buffer the hardware may read: the buffer size when given, else the
    /// index count times the index size.
    pub fn index_bytes(&self) -> Option<u64> {
        self.buffer_size
            .map(|s| u64::from(s) << 2)
            .or_else(|| self.count.map(|c| u64::from(c) << self.index_size()))
    }

    /// A direct non-indexed draw, as Mesa's `agx_vdm_draw` writes it.
    pub fn mesa_direct(primitive: u32, count: u32, instances: u32, start: u32) -> Self {
        Self {
            header: (primitive & 0xff) << 8,
            count: Some(count),
            instances: Some(instances),
            start: Some(start),
            ..Self::default()
        }
    }

    /// A direct indexed draw, as Mesa's `agx_vdm_draw` writes it: `ib` already offset by the
    /// first index, `range_bytes` of index data from there (aligned up to 4), `bias` the base
    /// vertex.
    #[allow(clippy::too_many_arguments)]
    pub fn mesa_indexed(
        primitive: u32,
        ib: u64,
        index_size_log2: u32,
        range_bytes: u32,
        restart: bool,
        count: u32,
        instances: u32,
        bias: u32,
    ) -> Result<Self, StreamError> {
        let (hi, lo) = split40(ib, "index buffer")?;
        if index_size_log2 > 2 {
            return Err(StreamError::Unencodable("index size"));
        }
        let Some(aligned) = range_bytes.checked_add(3) else {
            return Err(StreamError::Unencodable("index range"));
        };
        Ok(Self {
            header: hi
                | ((primitive & 0xff) << 8)
                | (u32::from(restart) << 16)
                | (index_size_log2 << 17),
            buffer_lo: Some(lo),
            count: Some(count),
            instances: Some(instances),
            start: Some(bias),
            indirect: None,
            buffer_size: Some(aligned >> 2),
        })
    }

    /// An indirect non-indexed draw, as Mesa's `agx_vdm_draw` writes it.
    pub fn mesa_indirect(primitive: u32, indirect: u64) -> Self {
        Self {
            header: (primitive & 0xff) << 8,
            indirect: Some(indirect),
            ..Self::default()
        }
    }
}

/// A Tessellate block (a tessellated draw); optional words in agxdecode's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Tessellate {
    /// Word 0 without block type and presence bits: factor buffer hi 7:0, unknown 19:8, 20.
    pub header: u32,
    /// Bit 21: factor buffer low word.
    pub factor_buffer_lo: Option<u32>,
    /// Bit 22: patch count and instance count.
    pub patches: Option<[u32; 2]>,
    /// Bit 23: base patch.
    pub base_patch: Option<u32>,
    /// Bit 25: base instance and instance stride.
    pub base_instance: Option<[u32; 2]>,
    /// Bit 26: indirect buffer (VA, size in bytes).
    pub indirect: Option<(u64, u32)>,
    /// Bit 28: factor buffer size in words, minus one.
    pub factor_buffer_size: Option<u32>,
}

impl Tessellate {
    /// The factor buffer's VA, when present.
    pub fn factor_buffer(&self) -> Option<u64> {
        self.factor_buffer_lo.map(|lo| va40(self.header, lo))
    }
}

/// One decoded VDM block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VdmBlock {
    /// A PPP state record of `words` words at `record`.
    PppState {
        /// GPU VA of the record (40 bits).
        record: u64,
        /// Its size in 32-bit words (`Size (words)`, 8 bits).
        words: u32,
    },
    /// Barrier flag bits (within [`BARRIER_DEFINED`]); [`BARRIER_RETURNS`] makes it a return.
    Barrier(u32),
    /// Vertex state.
    State(VdmState),
    /// A draw.
    IndexList(IndexList),
    /// Continue at `target`; with `call`, push the address after this block first.
    Link {
        /// GPU VA of the next block.
        target: u64,
        /// `With return`.
        call: bool,
    },
    /// A tessellated draw.
    Tessellate(Tessellate),
    /// End of the stream.
    Terminate,
}

fn present(w0: u32, bit: u32) -> bool {
    w0 & (1 << bit) != 0
}

/// Length in bytes of the VDM block whose first word is `word0`.
pub fn block_len(word0: u32) -> Result<usize, StreamError> {
    let unknown = StreamError::Unknown { va: 0, word: word0 };
    let count = |mask: u32| (word0 & mask).count_ones() as usize;
    Ok(match block_type(word0) {
        kind::PPP_STATE_UPDATE | kind::STREAM_LINK => 8,
        kind::BARRIER => 4,
        kind::VDM_STATE_UPDATE => {
            let len = 4 + 4 * count(STATE_DEFINED);
            if present(word0, 7) {
                len
            } else {
                (len + 7) & !7
            }
        }
        kind::INDEX_LIST => {
            // Buffer size 20, buffer 21, count 22, instances 23, start 24: a word each;
            // indirect 26: two words.
            4 + 4 * count(0x1f << 20) + if present(word0, 26) { 8 } else { 0 }
        }
        kind::TESSELLATE => {
            4 + 4 * (count((1 << 21) | (1 << 23) | (1 << 28)) + 2 * count((1 << 22) | (1 << 25)))
                + if present(word0, 26) { 12 } else { 0 }
        }
        kind::STREAM_TERMINATE => TERMINATE_LEN,
        _ => return Err(unknown),
    })
}

/// Decodes the VDM block at the start of `bytes`, returning it and its length.
///
/// Errors: [`StreamError::Truncated`] if `bytes` ends inside the block,
/// [`StreamError::Unknown`] (with `va` 0) for an unknown type or undefined bits set.
pub fn decode(bytes: &[u8]) -> Result<(VdmBlock, usize), StreamError> {
    let w0 = word(bytes, 0)?;
    let len = block_len(w0)?;
    need(bytes, len)?;
    let unknown = StreamError::Unknown { va: 0, word: w0 };
    let check = |ok: bool| if ok { Ok(()) } else { Err(unknown) };
    let body = w0 & !(7 << 29);
    let mut off = 4;
    let mut next = || -> Result<u32, StreamError> {
        let w = word(bytes, off)?;
        off += 4;
        Ok(w)
    };
    let blk = match block_type(w0) {
        kind::PPP_STATE_UPDATE => {
            check(body & !0xffff == 0)?;
            VdmBlock::PppState {
                record: va40(w0, next()?),
                words: (w0 >> 8) & 0xff,
            }
        }
        kind::BARRIER => {
            check(body & !BARRIER_DEFINED == 0)?;
            VdmBlock::Barrier(body)
        }
        kind::VDM_STATE_UPDATE => {
            check(body & !STATE_DEFINED == 0)?;
            let mut words = [None; 7];
            for (slot, bit) in words.iter_mut().zip(STATE_BITS) {
                if present(w0, bit) {
                    *slot = Some(next()?);
                }
            }
            VdmBlock::State(VdmState {
                restart_index: words[0],
                vs_word0: words[1].map(ShaderRegs),
                vs_word1: words[2],
                vertex_outputs: words[3],
                tessellation: words[4],
                vertex_unknown: words[5],
                tessellation_scale: words[6],
            })
        }
        kind::INDEX_LIST => {
            check(body & !INDEX_DEFINED == 0)?;
            let mut opt = |bit| -> Result<Option<u32>, StreamError> {
                if present(w0, bit) {
                    next().map(Some)
                } else {
                    Ok(None)
                }
            };
            let buffer_lo = opt(21)?;
            let count = opt(22)?;
            let instances = opt(23)?;
            let start = opt(24)?;
            let indirect = match (opt(26)?, opt(26)?) {
                (Some(hi), Some(lo)) => {
                    check(hi & !0xff == 0)?;
                    Some(va40(hi, lo))
                }
                _ => None,
            };
            VdmBlock::IndexList(IndexList {
                header: w0 & 0xf_ffff,
                buffer_lo,
                count,
                instances,
                start,
                indirect,
                buffer_size: opt(20)?,
            })
        }
        kind::STREAM_LINK => {
            check(body & !(0xff | LINK_WITH_RETURN) == 0)?;
            VdmBlock::Link {
                target: va40(w0, next()?),
                call: present(w0, 28),
            }
        }
        kind::TESSELLATE => {
            check(body & !TESS_DEFINED == 0)?;
            let mut opt = |bit| -> Result<Option<u32>, StreamError> {
                if present(w0, bit) {
                    next().map(Some)
                } else {
                    Ok(None)
                }
            };
            let factor_buffer_lo = opt(21)?;
            let patches = opt(22)?.zip(opt(22)?).map(|(a, b)| [a, b]);
            let base_patch = opt(23)?;
            let base_instance = opt(25)?.zip(opt(25)?).map(|(a, b)| [a, b]);
            let indirect = match (opt(26)?, opt(26)?, opt(26)?) {
                (Some(hi), Some(lo), Some(size)) => {
                    check(hi & !0xff == 0)?;
                    Some((va40(hi, lo), size))
                }
                _ => None,
            };
            VdmBlock::Tessellate(Tessellate {
                header: w0 & 0x1f_ffff,
                factor_buffer_lo,
                patches,
                base_patch,
                base_instance,
                indirect,
                factor_buffer_size: opt(28)?,
            })
        }
        _ => {
            // kind::STREAM_TERMINATE (block_len refused type 7).
            check(body == 0)?;
            VdmBlock::Terminate
        }
    };
    Ok((blk, len))
}

const fn ty(k: u8) -> u32 {
    (k as u32) << 29
}

fn push_opt(
    w: &mut Writer<'_>,
    word0: &mut u32,
    bit: u32,
    v: Option<u32>,
) -> Result<(), StreamError> {
    if let Some(v) = v {
        *word0 |= 1 << bit;
        w.push(v)?;
    }
    Ok(())
}

impl VdmBlock {
    /// Appends the block as Mesa writes it (`agx_vdm_draw` and friends; a VDM State padded to
    /// 8 bytes unless the tessellation scale is present, a Stream Terminate of 32 bytes).
    pub fn encode(&self, w: &mut Writer<'_>) -> Result<(), StreamError> {
        match *self {
            VdmBlock::PppState { record, words } => {
                let (hi, lo) = split40(record, "PPP record")?;
                if words > 0xff {
                    return Err(StreamError::Unencodable("PPP record size"));
                }
                w.push_all(&[ty(kind::PPP_STATE_UPDATE) | (words << 8) | hi, lo])
            }
            VdmBlock::Barrier(bits) => {
                if bits & !BARRIER_DEFINED != 0 {
                    return Err(StreamError::Unencodable("undefined barrier bits"));
                }
                w.push(ty(kind::BARRIER) | bits)
            }
            VdmBlock::State(s) => {
                let start = w.len();
                let mut w0 = ty(kind::VDM_STATE_UPDATE);
                for (v, bit) in s.words().into_iter().zip(STATE_BITS) {
                    if v.is_some() {
                        w0 |= 1 << bit;
                    }
                }
                w.push(w0)?;
                w.push_all_opt(&s.words())?;
                if s.tessellation_scale.is_none() && (w.len() - start) % 8 != 0 {
                    w.push(0)?;
                }
                Ok(())
            }
            VdmBlock::IndexList(l) => {
                if l.header & !0xf_ffff != 0 {
                    return Err(StreamError::Unencodable("index list header"));
                }
                let mut w0 = ty(kind::INDEX_LIST) | l.header;
                let at = w.len();
                w.push(0)?;
                push_opt(w, &mut w0, 21, l.buffer_lo)?;
                push_opt(w, &mut w0, 22, l.count)?;
                push_opt(w, &mut w0, 23, l.instances)?;
                push_opt(w, &mut w0, 24, l.start)?;
                if let Some(ind) = l.indirect {
                    let (hi, lo) = split40(ind, "indirect buffer")?;
                    w0 |= 1 << 26;
                    w.push_all(&[hi, lo])?;
                }
                push_opt(w, &mut w0, 20, l.buffer_size)?;
                w.patch(at, w0);
                Ok(())
            }
            VdmBlock::Link { target, call } => {
                let (hi, lo) = split40(target, "link target")?;
                let ret = if call { LINK_WITH_RETURN } else { 0 };
                w.push_all(&[ty(kind::STREAM_LINK) | ret | hi, lo])
            }
            VdmBlock::Tessellate(t) => {
                if t.header & !0x1f_ffff != 0 {
                    return Err(StreamError::Unencodable("tessellate header"));
                }
                let mut w0 = ty(kind::TESSELLATE) | t.header;
                let at = w.len();
                w.push(0)?;
                push_opt(w, &mut w0, 21, t.factor_buffer_lo)?;
                if let Some(p) = t.patches {
                    w0 |= 1 << 22;
                    w.push_all(&p)?;
                }
                push_opt(w, &mut w0, 23, t.base_patch)?;
                if let Some(b) = t.base_instance {
                    w0 |= 1 << 25;
                    w.push_all(&b)?;
                }
                if let Some((va, size)) = t.indirect {
                    let (hi, lo) = split40(va, "tessellation indirect buffer")?;
                    w0 |= 1 << 26;
                    w.push_all(&[hi, lo, size])?;
                }
                push_opt(w, &mut w0, 28, t.factor_buffer_size)?;
                w.patch(at, w0);
                Ok(())
            }
            VdmBlock::Terminate => w.push_all(&[ty(kind::STREAM_TERMINATE), 0, 0, 0, 0, 0, 0, 0]),
        }
    }

    /// Mesa's `agx_vdm_return`: a barrier with only `Returns` set.
    pub const fn mesa_return() -> Self {
        VdmBlock::Barrier(BARRIER_RETURNS)
    }
}
