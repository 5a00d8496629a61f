//! Walking a control stream through GPU memory as the firmware does.
//!
//! Rules (reference `firmware-commands.md` §8; agxdecode `agxdecode_stateful`): a link jumps; a
//! link with return (a call) pushes the address after the link (link + 8) and jumps; a return
//! (CDM Stream Return, or a Barrier with `Returns`) pops; a Stream Terminate ends the walk. The
//! CDM stream starts at `cdm_ctrl_stream_base`, the VDM stream at `vdm_ctrl_stream_base`; the
//! walk ignores `cdm_ctrl_stream_end` (reference open question 3).
//!
//! The walker reads every address a word names, so that a bad one faults as on the hardware:
//! for a launch, the pipeline's USC words (`usc_base` + the USC-relative pipeline), every
//! uniform, texture and sampler buffer they bind, the shader code's first 16 bytes (see
//! [`super::virt`]) and the indirect grid buffer; for VDM, each PPP record (its whole size),
//! the vertex pipeline when a VDM State names one, index buffers as far as their size says,
//! indirect buffers, tessellation factor buffers. Big buffers are checked page by page
//! ([`super::probe`]), not read whole.
//!
//! Bounds, all in [`Limits`]: the stream words walked ([`Limits::max_words`], past which the
//! walk is a [`StreamError::Timeout`]: an unterminated or looping stream), the nested calls
//! ([`Limits::max_depth`], at most [`MAX_DEPTH`]: [`StreamError::DepthOverflow`]), and the page
//! probes of named buffers ([`Limits::max_probes`], also a timeout).

use super::cdm::{self, CdmBlock};
use super::usc::{self, UscProgram};
use super::vdm::{self, IndexList, Tessellate, VdmBlock, VdmState};
use super::{probe, Chip, GpuMemory, StreamError};

/// Capacity of the return stack (the walker allocates nothing).
pub const MAX_DEPTH: usize = 8;
/// Longest block of either stream (a G14X indirect-free CDM Launch is 40 bytes, a Tessellate
/// with every word 44).
const MAX_BLOCK: usize = 64;

/// Bounds of one walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Stream words (4 bytes each) the walk may consume before it is a timeout.
    pub max_words: u64,
    /// Nested calls allowed (clamped to [`MAX_DEPTH`]).
    pub max_depth: usize,
    /// Page probes of named buffers allowed (about 4 KiB each) before it is a timeout.
    pub max_probes: u64,
}

impl Default for Limits {
    /// 1 Mi words (4 MiB of stream), 4 nested calls (Mesa nests one: secondary command buffers
    /// and the precompiled draw helpers), 64 Ki probes (256 MiB of named buffers).
    fn default() -> Self {
        Self {
            max_words: 1 << 20,
            max_depth: 4,
            max_probes: 1 << 16,
        }
    }
}

/// What a walk needs beyond memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The GPU the stream was written for.
    pub chip: Chip,
    /// The queue's `usc_exec_base`: what USC-relative pointers are relative to.
    pub usc_base: u64,
    /// Bounds.
    pub limits: Limits,
}

/// A shader a launch or draw binds, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shader {
    /// GPU VA of its USC words.
    pub pipeline_va: u64,
    /// What the USC words bind.
    pub usc: UscProgram,
    /// GPU VA of its code (`usc_base` + the Shader entry's code), if the words name one.
    pub code_va: Option<u64>,
}

/// A launch, for [`Visitor::launch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dispatch {
    /// Address of the Launch block.
    pub va: u64,
    /// The block.
    pub launch: cdm::Launch,
    /// Its shader.
    pub shader: Shader,
}

/// The draw block of a [`Draw`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrawKind {
    /// An Index List.
    Indexed(IndexList),
    /// A Tessellate.
    Tessellated(Tessellate),
}

/// A draw, for [`Visitor::draw`], with the state in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Draw {
    /// Address of the draw block.
    pub va: u64,
    /// The block.
    pub kind: DrawKind,
    /// The accumulated VDM state (each State Update overrides the words it carries).
    pub state: VdmState,
    /// The vertex shader of the last State Update that named one.
    pub vertex: Option<Shader>,
    /// The last PPP record (VA, words).
    pub ppp: Option<(u64, u32)>,
}

/// Called for each launch and draw, with the memory the walk reads (a model writes results
/// through its own handle on it). An error ends the walk with it.
pub trait Visitor<M: GpuMemory + ?Sized> {
    /// A CDM Launch was read and every address it names is readable.
    fn launch(&mut self, mem: &mut M, d: &Dispatch) -> Result<(), StreamError>;
    /// A VDM Index List or Tessellate was read and every address it names is readable.
    fn draw(&mut self, mem: &mut M, d: &Draw) -> Result<(), StreamError>;
}

/// What a completed walk saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Summary {
    /// Stream words consumed.
    pub words: u64,
    /// Blocks read.
    pub blocks: u64,
    /// Launches.
    pub launches: u64,
    /// Draws.
    pub draws: u64,
    /// Address of the Stream Terminate.
    pub end_va: u64,
}

struct Walk<'c, 'm, M: GpuMemory + ?Sized> {
    mem: &'m mut M,
    cfg: &'c Config,
    stack: [u64; MAX_DEPTH],
    depth: usize,
    probes: u64,
    sum: Summary,
}

impl<M: GpuMemory + ?Sized> Walk<'_, '_, M> {
    /// Reads the block at `va` whose length `len_of` derives from its first word, charging its
    /// words to the budget.
    fn block<'b>(
        &mut self,
        va: u64,
        buf: &'b mut [u8; MAX_BLOCK],
        len_of: impl Fn(u32) -> Result<usize, StreamError>,
    ) -> Result<&'b [u8], StreamError> {
        self.mem.read(va, &mut buf[..4])?;
        let w0 = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
        let len = len_of(w0).map_err(|e| rebase(e, va))?;
        // CAST: len <= MAX_BLOCK.
        let words = self.sum.words + (len / 4) as u64;
        if words > self.cfg.limits.max_words {
            return Err(StreamError::Timeout { va });
        }
        self.sum.words = words;
        self.sum.blocks += 1;
        self.mem.read(va, &mut buf[..len])?;
        Ok(&buf[..len])
    }

    fn call(&mut self, va: u64, ret: u64) -> Result<(), StreamError> {
        if self.depth >= self.cfg.limits.max_depth.min(MAX_DEPTH) {
            return Err(StreamError::DepthOverflow { va });
        }
        self.stack[self.depth] = ret;
        self.depth += 1;
        Ok(())
    }

    fn ret(&mut self, va: u64) -> Result<u64, StreamError> {
        if self.depth == 0 {
            return Err(StreamError::ReturnUnderflow { va });
        }
        self.depth -= 1;
        Ok(self.stack[self.depth])
    }

    fn probe(&mut self, va: u64, len: u64) -> Result<(), StreamError> {
        probe_budget(
            self.mem,
            &mut self.probes,
            self.cfg.limits.max_probes,
            va,
            len,
        )
    }

    fn shader(&mut self, pipeline: u32) -> Result<Shader, StreamError> {
        let usc_base = self.cfg.usc_base;
        let pipeline_va = usc_base.wrapping_add(u64::from(pipeline));
        let (max, probes) = (self.cfg.limits.max_probes, &mut self.probes);
        let usc = usc::parse(self.mem, pipeline_va, &mut |m, va, len| {
            probe_budget(m, probes, max, va, len)
        })?;
        let code_va = usc.shader_code.map(|c| usc_base.wrapping_add(u64::from(c)));
        if let Some(code) = code_va {
            // The code must be readable whatever it is; 16 bytes cover the virtual marker.
            let mut h = [0u8; 16];
            self.mem.read(code, &mut h)?;
        }
        if let Some(pre) = usc.preshader_code {
            let mut h = [0u8; 4];
            self.mem
                .read(usc_base.wrapping_add(u64::from(pre)), &mut h)?;
        }
        Ok(Shader {
            pipeline_va,
            usc,
            code_va,
        })
    }
}

fn probe_budget<M: GpuMemory + ?Sized>(
    mem: &mut M,
    used: &mut u64,
    max: u64,
    va: u64,
    len: u64,
) -> Result<(), StreamError> {
    // Pages the probe will touch, at most: charge them before reading.
    let pages = len / super::PROBE_STEP + 2;
    if len > 0 && used.saturating_add(pages) > max {
        return Err(StreamError::Timeout { va });
    }
    *used += probe(mem, va, len)?;
    Ok(())
}

/// Gives a decoder's error (whose addresses are offsets in the block) the block's address.
fn rebase(e: StreamError, va: u64) -> StreamError {
    match e {
        StreamError::Unknown { va: off, word } => StreamError::Unknown {
            va: va.wrapping_add(off),
            word,
        },
        e => e,
    }
}

/// Walks the CDM stream at `base`, calling `v.launch` for each launch.
pub fn walk_cdm<M: GpuMemory + ?Sized, V: Visitor<M>>(
    mem: &mut M,
    base: u64,
    cfg: &Config,
    v: &mut V,
) -> Result<Summary, StreamError> {
    let mut w = Walk {
        mem,
        cfg,
        stack: [0; MAX_DEPTH],
        depth: 0,
        probes: 0,
        sum: Summary::default(),
    };
    let mut va = base;
    loop {
        let mut buf = [0u8; MAX_BLOCK];
        let bytes = w.block(va, &mut buf, |w0| cdm::block_len(w0, cfg.chip))?;
        let (blk, len) = cdm::decode(bytes, cfg.chip).map_err(|e| rebase(e, va))?;
        // CAST: len <= MAX_BLOCK.
        let next = va.wrapping_add(len as u64);
        va = match blk {
            CdmBlock::Launch(launch) => {
                let shader = w.shader(launch.pipeline)?;
                if let Some((buf, n)) = launch.grid.indirect() {
                    // CAST: 12 or 24.
                    w.probe(buf, n as u64)?;
                }
                w.sum.launches += 1;
                v.launch(w.mem, &Dispatch { va, launch, shader })?;
                next
            }
            CdmBlock::Link { target, call } => {
                if call {
                    w.call(va, next)?;
                }
                target
            }
            CdmBlock::Return => w.ret(va)?,
            CdmBlock::Barrier(bits) if bits & cdm::BARRIER_RETURNS != 0 => w.ret(va)?,
            CdmBlock::Barrier(_) => next,
            CdmBlock::Terminate => {
                w.sum.end_va = va;
                return Ok(w.sum);
            }
        };
    }
}

/// Walks the VDM stream at `base`, calling `v.draw` for each draw.
pub fn walk_vdm<M: GpuMemory + ?Sized, V: Visitor<M>>(
    mem: &mut M,
    base: u64,
    cfg: &Config,
    v: &mut V,
) -> Result<Summary, StreamError> {
    let mut w = Walk {
        mem,
        cfg,
        stack: [0; MAX_DEPTH],
        depth: 0,
        probes: 0,
        sum: Summary::default(),
    };
    let mut state = VdmState::default();
    let mut vertex: Option<Shader> = None;
    let mut ppp = None;
    let mut va = base;
    loop {
        let mut buf = [0u8; MAX_BLOCK];
        let bytes = w.block(va, &mut buf, vdm::block_len)?;
        let (blk, len) = vdm::decode(bytes).map_err(|e| rebase(e, va))?;
        // CAST: len <= MAX_BLOCK.
        let next = va.wrapping_add(len as u64);
        va = match blk {
            VdmBlock::PppState { record, words } => {
                w.probe(record, u64::from(words) * 4)?;
                ppp = Some((record, words));
                next
            }
            VdmBlock::State(s) => {
                merge(&mut state, &s);
                if let Some(p) = s.pipeline() {
                    vertex = Some(w.shader(p)?);
                }
                next
            }
            VdmBlock::IndexList(l) => {
                if let (Some(ib), Some(n)) = (l.index_buffer(), l.index_bytes()) {
                    w.probe(ib, n)?;
                }
                if let Some(ind) = l.indirect {
                    // VkDrawIndexedIndirectCommand (5 words) or VkDrawIndirectCommand (4).
                    let n = if l.buffer_lo.is_some() { 20 } else { 16 };
                    w.probe(ind, n)?;
                }
                w.sum.draws += 1;
                let d = Draw {
                    va,
                    kind: DrawKind::Indexed(l),
                    state,
                    vertex,
                    ppp,
                };
                v.draw(w.mem, &d)?;
                next
            }
            VdmBlock::Tessellate(t) => {
                if let (Some(fb), Some(size)) = (t.factor_buffer(), t.factor_buffer_size) {
                    w.probe(fb, (u64::from(size) + 1) * 4)?;
                }
                if let Some((ind, size)) = t.indirect {
                    w.probe(ind, u64::from(size))?;
                }
                w.sum.draws += 1;
                let d = Draw {
                    va,
                    kind: DrawKind::Tessellated(t),
                    state,
                    vertex,
                    ppp,
                };
                v.draw(w.mem, &d)?;
                next
            }
            VdmBlock::Link { target, call } => {
                if call {
                    w.call(va, next)?;
                }
                target
            }
            VdmBlock::Barrier(bits) if bits & vdm::BARRIER_RETURNS != 0 => w.ret(va)?,
            VdmBlock::Barrier(_) => next,
            VdmBlock::Terminate => {
                w.sum.end_va = va;
                return Ok(w.sum);
            }
        };
    }
}

/// Applies a State Update's words over the state in force.
fn merge(into: &mut VdmState, s: &VdmState) {
    fn set<T: Copy>(d: &mut Option<T>, s: Option<T>) {
        if s.is_some() {
            *d = s;
        }
    }
    set(&mut into.restart_index, s.restart_index);
    set(&mut into.vs_word0, s.vs_word0);
    set(&mut into.vs_word1, s.vs_word1);
    set(&mut into.vertex_outputs, s.vertex_outputs);
    set(&mut into.tessellation, s.tessellation);
    set(&mut into.vertex_unknown, s.vertex_unknown);
    set(&mut into.tessellation_scale, s.tessellation_scale);
}
