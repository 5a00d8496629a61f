//! Control streams as userspace writes them: the CDM (compute) and VDM (vertex/tiling) block
//! words, typed decoders and Mesa-exact encoders, the USC word lists a launch or draw points at,
//! a walker that follows a stream through GPU memory, and the project's *virtual shader*
//! convention.
//!
//! A control stream is a sequence of little-endian `u32` words in GPU memory; the block type of
//! each block is in bits 31:29 of its first word, and the first word alone says how long the
//! block is (reference `firmware-commands.md` §8; Mesa `src/asahi/genxml/cmdbuf.xml`, "VDM
//! commands" and "CDM commands"; agxdecode `decode.c`, `agxdecode_cdm`/`agxdecode_vdm`, which
//! reads `map[3] >> 5`). The firmware (here: the virtual AGX's model of it) starts at
//! `cdm_ctrl_stream_base` or `vdm_ctrl_stream_base` of the run command and walks until a Stream
//! Terminate, following links.
//!
//! - [`cdm`]: CDM blocks: Launch (with its grid forms), Stream Link (jump and call), Stream
//!   Return, Stream Terminate, Barrier.
//! - [`vdm`]: VDM blocks: PPP State Update, VDM State Update, Index List, Tessellate, Stream
//!   Link, Stream Terminate, Barrier (with its return form).
//! - [`usc`]: the tagged USC words at a "pipeline" address and the shader code they name.
//! - [`walk`]: [`walk::walk_cdm`] and [`walk::walk_vdm`] over a [`GpuMemory`], with
//!   [`walk::Limits`] and a [`walk::Visitor`] called for each launch and draw.
//! - [`virt`]: the virtual shader marker and the op list it carries (the op encoding the driver's
//!   virtual AGX already runs), and [`virt::parse_virtual_shader`].
//!
//! Addresses: "USC-relative" pointers are 32-bit offsets from the queue's `usc_exec_base`
//! (agxdecode `decode_usc`); other pointers are 40-bit GPU VAs split into an 8-bit high part
//! and a 32-bit low part (reference §8).
//!
//! This module owns no state and takes no locks; nothing in it allocates.

#[path = "ctrl_stream/cdm.rs"]
pub mod cdm;

#[path = "ctrl_stream/vdm.rs"]
pub mod vdm;

#[path = "ctrl_stream/usc.rs"]
pub mod usc;

#[path = "ctrl_stream/walk.rs"]
pub mod walk;

#[path = "ctrl_stream/virt.rs"]
pub mod virt;

#[cfg(test)]
#[path = "ctrl_stream/tests.rs"]
mod tests;

#[cfg(test)]
#[path = "ctrl_stream/walk_tests.rs"]
mod walk_tests;

/// The GPU the stream is written for, as Mesa's `enum agx_chip` (`libagx_dgc.h`) names it: the
/// CDM Launch has an extra 8-byte word on G14X (multi-cluster M2), and the CDM barrier Mesa
/// writes depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chip {
    /// M1 (t8103), single cluster.
    G13G,
    /// M1 Pro/Max/Ultra, multi-cluster.
    G13X,
    /// M2 (t8112), single cluster.
    G14G,
    /// M2 Pro/Max/Ultra, multi-cluster.
    G14X,
}

/// An address the GPU could not read: not mapped or not readable in the walked address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The GPU virtual address of the failed access.
    pub va: u64,
}

/// GPU memory as a walker sees it: the address space of one run command (the model walks the
/// VM's page tables behind it).
pub trait GpuMemory {
    /// Reads `buf.len()` bytes at `va`, or reports the first address that cannot be read.
    fn read(&mut self, va: u64, buf: &mut [u8]) -> Result<(), Fault>;
}

/// Why a stream could not be decoded, walked or run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamError {
    /// The bytes given to a decoder end before the block does (`need` bytes, `have` given).
    Truncated {
        /// Bytes the block needs.
        need: usize,
        /// Bytes there were.
        have: usize,
    },
    /// A block whose type is unknown, or which sets presence or mode bits whose meaning (and
    /// so the block's length) is not documented. `va` is the block's address (for [`cdm::decode`]
    /// and [`vdm::decode`], its offset in the slice).
    Unknown {
        /// Address of the block.
        va: u64,
        /// Its first word.
        word: u32,
    },
    /// An address the stream names (or the stream itself) cannot be read.
    Fault(Fault),
    /// The walk ran past [`walk::Limits::max_words`]: an unterminated or looping stream. `va` is
    /// where the walk stood.
    Timeout {
        /// The address of the block the walk would have read next.
        va: u64,
    },
    /// A call (link with return) past [`walk::Limits::max_depth`] nested calls.
    DepthOverflow {
        /// Address of the call.
        va: u64,
    },
    /// A return with no call to return to.
    ReturnUnderflow {
        /// Address of the return.
        va: u64,
    },
    /// A USC word list with an unknown tag, or longer than [`usc::MAX_WORDS_BYTES`].
    BadUsc {
        /// Address of the offending USC word.
        va: u64,
        /// Its tag byte.
        tag: u8,
    },
    /// A virtual shader whose header or payload is malformed.
    BadVirtual {
        /// Address of the shader code.
        va: u64,
        /// What is wrong.
        why: &'static str,
    },
    /// A value an encoder cannot represent (a pointer wider than 40 bits, a misaligned or
    /// out-of-range field, or an output buffer too small).
    Unencodable(&'static str),
}

impl From<Fault> for StreamError {
    fn from(f: Fault) -> Self {
        Self::Fault(f)
    }
}

/// Step at which [`probe`] reads: the smallest page size a [`GpuMemory`] may map (the CPU's 4
/// KiB; GPU pages are 16 KiB).
pub const PROBE_STEP: u64 = 4096;

/// Checks that `len` bytes at `va` are readable without reading them all: one byte in every
/// [`PROBE_STEP`] and the last byte. Returns the number of reads made.
pub fn probe<M: GpuMemory + ?Sized>(mem: &mut M, va: u64, len: u64) -> Result<u64, Fault> {
    if len == 0 {
        return Ok(0);
    }
    let mut b = [0u8; 1];
    let mut reads = 0;
    let mut off = 0;
    while off < len {
        mem.read(va.wrapping_add(off), &mut b)?;
        reads += 1;
        // Next step boundary of the address (not of the offset), so every page is touched.
        let at = va.wrapping_add(off);
        off = off.saturating_add(PROBE_STEP - (at % PROBE_STEP));
    }
    mem.read(va.wrapping_add(len - 1), &mut b)?;
    Ok(reads + 1)
}

/// Block type field of a first word: bits 31:29 (cmdbuf.xml `Block Type`, start 29, size 3).
pub const fn block_type(word0: u32) -> u8 {
    // CAST: three bits.
    (word0 >> 29) as u8
}

/// Largest address a 40-bit hi/lo pointer can hold, plus one.
pub const VA_LIMIT: u64 = 1 << 40;

/// The little-endian `u32` at byte `off` of `b`, or [`StreamError::Truncated`].
fn word(b: &[u8], off: usize) -> Result<u32, StreamError> {
    let end = off.checked_add(4).ok_or(StreamError::Truncated {
        need: usize::MAX,
        have: b.len(),
    })?;
    match b.get(off..end) {
        Some(s) => Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]])),
        None => Err(StreamError::Truncated {
            need: end,
            have: b.len(),
        }),
    }
}

/// Fails with [`StreamError::Truncated`] unless `b` holds at least `need` bytes.
fn need(b: &[u8], need: usize) -> Result<(), StreamError> {
    if b.len() < need {
        Err(StreamError::Truncated {
            need,
            have: b.len(),
        })
    } else {
        Ok(())
    }
}

/// A 40-bit pointer from its high byte and low word.
const fn va40(hi: u32, lo: u32) -> u64 {
    ((hi as u64 & 0xff) << 32) | lo as u64
}

/// Splits a pointer into its high byte and low word, refusing one of 40 bits or more.
fn split40(va: u64, what: &'static str) -> Result<(u32, u32), StreamError> {
    if va >= VA_LIMIT {
        return Err(StreamError::Unencodable(what));
    }
    // CAST: below 2^40, so the high part is 8 bits and the low part the low 32.
    Ok(((va >> 32) as u32, va as u32))
}

/// Writes words into a caller's buffer (encoders allocate nothing).
pub struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    /// A writer at the start of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.pos
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.pos == 0
    }

    /// Appends one little-endian word.
    pub fn push(&mut self, w: u32) -> Result<(), StreamError> {
        let end = self.pos + 4;
        let Some(dst) = self.buf.get_mut(self.pos..end) else {
            return Err(StreamError::Unencodable("output buffer too small"));
        };
        dst.copy_from_slice(&w.to_le_bytes());
        self.pos = end;
        Ok(())
    }

    /// Appends several words.
    pub fn push_all(&mut self, ws: &[u32]) -> Result<(), StreamError> {
        for &w in ws {
            self.push(w)?;
        }
        Ok(())
    }

    /// Appends the words that are present.
    pub fn push_all_opt(&mut self, ws: &[Option<u32>]) -> Result<(), StreamError> {
        for w in ws.iter().flatten() {
            self.push(*w)?;
        }
        Ok(())
    }

    /// Overwrites the word written at byte `at` (a header whose presence bits are known only
    /// after its optional words); does nothing past what was written.
    pub fn patch(&mut self, at: usize, w: u32) {
        if at + 4 <= self.pos {
            self.buf[at..at + 4].copy_from_slice(&w.to_le_bytes());
        }
    }

    /// The bytes written so far.
    pub fn written(&self) -> &[u8] {
        &self.buf[..self.pos]
    }
}

/// Mesa's `groups(N)` packing (`__gen_to_groups` in the genxml pack header): a count rounded up
/// to groups of `group`; zero packs as one group, and `1 << bits` groups as 0 ("all").
pub fn to_groups(value: u32, group: u32, bits: u32) -> Result<u32, StreamError> {
    if value == 0 {
        return Ok(1);
    }
    let groups = value.div_ceil(group);
    match groups.cmp(&(1 << bits)) {
        core::cmp::Ordering::Equal => Ok(0),
        core::cmp::Ordering::Less => Ok(groups),
        core::cmp::Ordering::Greater => {
            Err(StreamError::Unencodable("register count out of range"))
        }
    }
}

/// Mesa's `__gen_from_groups`: the count a `groups(N)` field stands for.
pub const fn from_groups(packed: u32, group: u32, bits: u32) -> u32 {
    group * if packed == 0 { 1 << bits } else { packed }
}

/// The shader register counts of a CDM Launch word 0 or a VDM State vertex shader word 0
/// (cmdbuf.xml `CDM Launch Word 0` / `VDM State Vertex Shader Word 0`: uniforms [3:1]
/// `groups(64)`, texture state [8:4] `groups(8)`, sampler states [11:9] (enum), preshader
/// [15:12] `groups(16)`), kept packed so that decoding and encoding are exact inverses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ShaderRegs(pub u32);

impl ShaderRegs {
    /// Bits a `ShaderRegs` may hold: 15:0 (bit 0 is `Unknown 0` of the VDM form, zero for CDM).
    pub const MASK: u32 = 0xffff;

    /// Packs counts as Mesa's `agx_pack` does (`groups` fields rounded up).
    pub fn new(
        uniforms: u32,
        textures: u32,
        sampler_states: u32,
        preshader: u32,
    ) -> Result<Self, StreamError> {
        if sampler_states > 7 {
            return Err(StreamError::Unencodable("sampler state enum out of range"));
        }
        Ok(Self(
            (to_groups(uniforms, 64, 3)? << 1)
                | (to_groups(textures, 8, 5)? << 4)
                | (sampler_states << 9)
                | (to_groups(preshader, 16, 4)? << 12),
        ))
    }

    /// Uniform registers.
    pub const fn uniforms(self) -> u32 {
        from_groups((self.0 >> 1) & 7, 64, 3)
    }

    /// Texture state registers.
    pub const fn textures(self) -> u32 {
        from_groups((self.0 >> 4) & 0x1f, 8, 5)
    }

    /// The sampler-state enum (`Sampler states`: 0 none, 1 "4 compact", ...).
    pub const fn sampler_states(self) -> u32 {
        (self.0 >> 9) & 7
    }

    /// Preshader registers.
    pub const fn preshader(self) -> u32 {
        from_groups((self.0 >> 12) & 0xf, 16, 4)
    }
}
