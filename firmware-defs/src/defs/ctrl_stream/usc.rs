//! USC words: the tagged list at a launch's or draw's "pipeline" address that binds the shader
//! code, its uniforms, textures, samplers, registers and shared memory.
//!
//! Layout: Mesa `src/asahi/genxml/cmdbuf.xml` (`USC Control` tags and the `USC *` structs;
//! GravityLinux/mesa @ 1506c214) and reference `firmware-commands.md` §8.3. Each entry starts
//! with its 8-bit tag; the list ends with `No preshader` (2 bytes) or `Preshader` (8 bytes).
//! Code pointers (`Shader.Code` bits 47:16, `Preshader.Code` bits 63:32) are USC-relative
//! (agxdecode `decode_usc`).

use super::{GpuMemory, StreamError};

/// USC word tags (cmdbuf.xml `USC Control`).
pub mod tag {
    /// Preshader code; ends the list.
    pub const PRESHADER: u8 = 0x38;
    /// Fragment properties.
    pub const FRAGMENT_PROPERTIES: u8 = 0x58;
    /// No preshader; ends the list.
    pub const NO_PRESHADER: u8 = 0x88;
    /// Shader code.
    pub const SHADER: u8 = 0x0d;
    /// Uniform buffer (start below 256 halfs).
    pub const UNIFORM: u8 = 0x1d;
    /// Uniform buffer (start from 256 halfs).
    pub const UNIFORM_HIGH: u8 = 0x3d;
    /// Shared memory.
    pub const SHARED: u8 = 0x4d;
    /// Register count.
    pub const REGISTERS: u8 = 0x8d;
    /// Sampler descriptors.
    pub const SAMPLER: u8 = 0x9d;
    /// Texture descriptors.
    pub const TEXTURE: u8 = 0xdd;
}

/// Longest USC word list the walker reads (Mesa's `AGX_MAX_LINKED_USC_SIZE` is about 120
/// bytes; this leaves room for many texture and sampler bindings).
pub const MAX_WORDS_BYTES: usize = 1024;

/// Size of one texture descriptor (cmdbuf.xml `Texture`, 24 bytes).
pub const TEXTURE_DESC: u64 = 24;
/// Size of one sampler descriptor (cmdbuf.xml `Sampler`, 8 bytes).
pub const SAMPLER_DESC: u64 = 8;

/// Length of the USC entry with `tag`, or `None` for an unknown tag.
pub const fn entry_len(tag: u8) -> Option<usize> {
    Some(match tag {
        tag::UNIFORM | tag::UNIFORM_HIGH | tag::TEXTURE | tag::SAMPLER | tag::PRESHADER => 8,
        tag::SHADER => 6,
        tag::REGISTERS | tag::SHARED | tag::FRAGMENT_PROPERTIES => 4,
        tag::NO_PRESHADER => 2,
        _ => return None,
    })
}

/// What a USC word list binds, as far as a walker needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct UscProgram {
    /// Bytes of the list, its terminator included.
    pub len: usize,
    /// The main shader's code, USC-relative (`Shader.Code`), of the last Shader entry.
    pub shader_code: Option<u32>,
    /// The preshader's code, USC-relative (`Preshader.Code`).
    pub preshader_code: Option<u32>,
    /// Uniform, texture and sampler bindings in the list.
    pub buffers: usize,
}

/// A buffer a USC entry names: its GPU VA and the bytes the shader may read there.
pub fn entry_buffer(entry: &[u8; 8]) -> Option<(u64, u64)> {
    let q = u64::from_le_bytes(*entry);
    match entry[0] {
        tag::UNIFORM | tag::UNIFORM_HIGH => {
            // `Size (halfs)` 25:20 `groups(1)` (0 = 64), `Buffer` 63:26 `shr(2)`.
            let halfs = match (q >> 20) & 0x3f {
                0 => 64,
                n => n,
            };
            Some(((q >> 26) << 2, halfs * 2))
        }
        tag::TEXTURE | tag::SAMPLER => {
            // `Count` 26:20, `Buffer` 63:27 `shr(3)`.
            let count = (q >> 20) & 0x7f;
            let each = if entry[0] == tag::TEXTURE {
                TEXTURE_DESC
            } else {
                SAMPLER_DESC
            };
            Some(((q >> 27) << 3, count * each))
        }
        _ => None,
    }
}

/// Reads the USC word list at `va`, calling `probe(va, len)` for every buffer an entry names
/// (so that the caller can check it is readable).
///
/// Errors: [`StreamError::Fault`] if the list cannot be read, [`StreamError::BadUsc`] for an
/// unknown tag or a list longer than [`MAX_WORDS_BYTES`], and whatever `probe` returns.
pub fn parse<M: GpuMemory + ?Sized>(
    mem: &mut M,
    va: u64,
    probe: &mut dyn FnMut(&mut M, u64, u64) -> Result<(), StreamError>,
) -> Result<UscProgram, StreamError> {
    let mut p = UscProgram::default();
    loop {
        let at = va.wrapping_add(p.len as u64);
        let mut e = [0u8; 8];
        mem.read(at, &mut e[..1])?;
        let t = e[0];
        let Some(n) = entry_len(t) else {
            return Err(StreamError::BadUsc { va: at, tag: t });
        };
        if p.len + n > MAX_WORDS_BYTES {
            return Err(StreamError::BadUsc { va: at, tag: t });
        }
        mem.read(at, &mut e[..n])?;
        p.len += n;
        match t {
            tag::SHADER => p.shader_code = Some(u32::from_le_bytes([e[2], e[3], e[4], e[5]])),
            tag::PRESHADER => {
                p.preshader_code = Some(u32::from_le_bytes([e[4], e[5], e[6], e[7]]));
                return Ok(p);
            }
            tag::NO_PRESHADER => return Ok(p),
            _ => {
                if let Some((buf, len)) = entry_buffer(&e) {
                    p.buffers += 1;
                    probe(mem, buf, len)?;
                }
            }
        }
    }
}

/// Appends a USC `Shader` entry for `code` (USC-relative) to `out`, returning its length (6).
pub fn encode_shader(code: u32, out: &mut [u8]) -> Result<usize, StreamError> {
    let dst = out
        .get_mut(..6)
        .ok_or(StreamError::Unencodable("output buffer too small"))?;
    dst[0] = tag::SHADER;
    dst[1] = 0;
    dst[2..6].copy_from_slice(&code.to_le_bytes());
    Ok(6)
}

/// Appends a USC `Uniform` entry binding `halfs` (1..=64) 16-bit uniforms from `start_halfs`
/// (below 256) at `buffer` (4-byte aligned), as Mesa's `agx_usc_uniform`.
pub fn encode_uniform(
    start_halfs: u32,
    halfs: u32,
    buffer: u64,
    out: &mut [u8],
) -> Result<usize, StreamError> {
    if start_halfs >= 256 || halfs == 0 || halfs > 64 || buffer & 3 != 0 || buffer >= 1 << 40 {
        return Err(StreamError::Unencodable("uniform binding"));
    }
    let q = u64::from(tag::UNIFORM)
        | (u64::from(start_halfs) << 8)
        | (u64::from(halfs & 0x3f) << 20)
        | ((buffer >> 2) << 26);
    let dst = out
        .get_mut(..8)
        .ok_or(StreamError::Unencodable("output buffer too small"))?;
    dst.copy_from_slice(&q.to_le_bytes());
    Ok(8)
}

/// Appends the `No preshader` terminator, returning its length (2).
pub fn encode_no_preshader(out: &mut [u8]) -> Result<usize, StreamError> {
    let dst = out
        .get_mut(..2)
        .ok_or(StreamError::Unencodable("output buffer too small"))?;
    dst.copy_from_slice(&[tag::NO_PRESHADER, 0]);
    Ok(2)
}
