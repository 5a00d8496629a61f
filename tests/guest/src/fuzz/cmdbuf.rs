//! SUBMIT's command buffers: control streams written into the command buffer, and the render,
//! compute, attachment and unknown commands around them (payload sizes, barriers, flags), each
//! with the verdict it implies. In clean mode no defect is generated.

use super::verdict::Verdict;
use super::{Fuzzer, BUF_SIZE};
use crate::gpu::{self, op, CMD_VA, DATA_VA, PAGE};
use crate::render::{self, Geometry};
use asahi_uapi::bindings::*;

/// The framebuffer of a (zero-extended) render payload.
fn seen_geometry(p: &[u8; 240]) -> Geometry {
    let at = |f: usize| p[f];
    let u16_at = |f: usize| u16::from_le_bytes([p[f], p[f + 1]]);
    Geometry {
        width: u16_at(std::mem::offset_of!(drm_asahi_cmd_render, width_px)),
        height: u16_at(std::mem::offset_of!(drm_asahi_cmd_render, height_px)),
        layers: u16_at(std::mem::offset_of!(drm_asahi_cmd_render, layers)),
        samples: at(std::mem::offset_of!(drm_asahi_cmd_render, samples)),
        utile: (
            at(std::mem::offset_of!(drm_asahi_cmd_render, utile_width_px)),
            at(std::mem::offset_of!(drm_asahi_cmd_render, utile_height_px)),
        ),
    }
}

impl Fuzzer<'_> {
    /// A render pass's framebuffer: mostly ones the hardware tiles (sizes up to the limits,
    /// every sample count and utile size), with a defect one field the kernel must refuse.
    pub(super) fn gen_geometry(&mut self) -> Geometry {
        let dim = |rng: &mut crate::rng::Rng| match rng.below(8) {
            0 => 16384,
            1 => 1,
            _ => rng.range(1, 4096) as u16,
        };
        let mut g = Geometry {
            width: dim(&mut self.rng),
            height: dim(&mut self.rng),
            layers: if self.rng.chance(1, 8) {
                self.rng.range(1, 2048) as u16
            } else {
                1
            },
            samples: *self.rng.pick(&[1u8, 2, 4]).unwrap_or(&1),
            utile: *self
                .rng
                .pick(&[(32u8, 32u8), (32, 16), (16, 16)])
                .unwrap_or(&(32, 32)),
        };
        if self.defect(1, 16) {
            match self.rng.below(5) {
                0 => g.width = *self.rng.pick(&[0u16, 16385, 0xffff]).unwrap_or(&0),
                1 => g.height = *self.rng.pick(&[0u16, 16385, 0xffff]).unwrap_or(&0),
                2 => g.layers = *self.rng.pick(&[0u16, 2049, 0xffff]).unwrap_or(&0),
                3 => g.samples = *self.rng.pick(&[0u8, 3, 8, 0xff]).unwrap_or(&3),
                _ => {
                    g.utile = *self
                        .rng
                        .pick(&[(0u8, 0u8), (8, 8), (16, 32), (64, 64)])
                        .unwrap_or(&(8, 8))
                }
            }
        }
        g
    }

    /// A GPU address for a stream op to touch.
    pub(super) fn stream_target(&mut self) -> u64 {
        match self.rng.below(12) {
            0 => CMD_VA + self.rng.below(BUF_SIZE),
            1 => self.pick_va(None),
            2 => self.rng.edge_u64(),
            3 => DATA_VA + BUF_SIZE - self.rng.below(8),
            _ => DATA_VA + self.rng.below(BUF_SIZE / 8) * 8,
        }
    }

    /// Writes a random job (a Mesa-shaped VDM stream if `vdm`, else CDM, launching a virtual
    /// shader of random ops) into the command buffer; returns its stream's GPU address.
    pub(super) fn gen_stream(&mut self, vdm: bool) -> u64 {
        let n = self.rng.range(0, 6);
        let mut ops = Vec::new();
        for _ in 0..n {
            let a = self.stream_target();
            let o = match self.rng.below(16) {
                0..=3 => (op::WRITE32, a, self.rng.next_u64(), 0),
                4..=6 => (op::WRITE64, a, self.rng.next_u64(), 0),
                7..=8 => {
                    let len = match self.rng.below(8) {
                        0 => self.rng.edge_u64(),
                        1 => BUF_SIZE,
                        _ => self.rng.below(4096),
                    };
                    (op::COPY, a, self.stream_target(), len)
                }
                9..=10 => (op::FILL, a, self.rng.next_u64(), self.rng.below(2 * PAGE)),
                11 => (op::DELAY, 0, 0, self.rng.below(500)),
                12..=13 => (op::READ32, a, 0, 0),
                _ => (self.rng.range(7, 1 << 20) as u32, a, 0, 0),
            };
            ops.push(o);
        }
        let len = gpu::cdm_job(CMD_VA, &ops).len() as u64;
        if self.next_stream + len > BUF_SIZE {
            self.next_stream = 0;
        }
        let at = self.next_stream;
        let mut bytes = if vdm {
            gpu::vdm_job(CMD_VA + at, &ops)
        } else {
            gpu::cdm_job(CMD_VA + at, &ops)
        };
        self.mutate_job(&mut bytes, CMD_VA + at);
        if let Some(m) = &self.cmd.1 {
            m.write(at as usize, &bytes);
        }
        self.next_stream = (at + len + 63) & !63;
        match self.rng.below(16) {
            0 => 0,
            1 => self.stream_target(),
            _ => CMD_VA + at,
        }
    }

    /// Sometimes damages a job the way a buggy or hostile client would: a stream word (block
    /// type, presence bits, a pointer half) flipped or replaced, a link to anywhere (itself, a
    /// random address, the middle of a block), the USC words or the virtual shader's marker
    /// corrupted. The GPU's verdict (fault, timeout or completion) is not predicted: the
    /// kernel must survive each, and the harness judges that.
    fn mutate_job(&mut self, job: &mut [u8], va: u64) {
        if self.clean || !self.rng.chance(1, 3) {
            return;
        }
        // Jobs are laid out as gpu::job does: stream at 0, USC words at 128, shader at 192.
        let (stream, usc, code) = (0..128usize, 128..192usize, 192..job.len());
        let word = |r: &std::ops::Range<usize>, rng: &mut crate::rng::Rng| {
            r.start + (rng.below(((r.end - r.start) / 4) as u64) as usize) * 4
        };
        let put = |job: &mut [u8], at: usize, w: u32| {
            job[at..at + 4].copy_from_slice(&w.to_le_bytes());
        };
        match self.rng.below(8) {
            0 => {
                let at = word(&stream, &mut self.rng);
                let bit = self.rng.below(32) as u32;
                let w = u32::from_le_bytes(job[at..at + 4].try_into().unwrap()) ^ (1 << bit);
                put(job, at, w);
            }
            1 => {
                let at = word(&stream, &mut self.rng);
                put(job, at, self.rng.next_u64() as u32);
            }
            2 => {
                // Block type in bits 31:29 of the first word.
                let ty = (self.rng.below(8) as u32) << 29;
                let w = u32::from_le_bytes(job[0..4].try_into().unwrap()) & !(7 << 29);
                put(job, 0, w | ty);
            }
            3 | 4 => {
                // A Stream Link (type 1 in both CDM and VDM, bit 28 with return) somewhere in
                // the stream, to itself, to a random place or into the middle of the job.
                let at = word(&(0..32), &mut self.rng);
                let target = match self.rng.below(4) {
                    0 => va + at as u64,
                    1 => self.stream_target() & !3,
                    2 => va + (self.rng.below(job.len() as u64 / 4) * 4),
                    _ => self.rng.edge_u64() & ((1 << 40) - 4),
                };
                let call = if self.rng.chance(1, 2) { 1 << 28 } else { 0 };
                put(job, at, (1 << 29) | call | ((target >> 32) as u32 & 0xff));
                put(job, at + 4, target as u32);
            }
            5 => {
                let at = usc.start + self.rng.below((usc.end - usc.start) as u64) as usize;
                job[at] = self.rng.next_u64() as u8;
            }
            6 if code.len() > 16 => {
                // The marker's version or payload length.
                let at = code.start + 8 + (self.rng.below(2) as usize) * 4;
                put(job, at, self.rng.next_u64() as u32);
            }
            _ => {
                let at = self.rng.below(job.len() as u64) as usize;
                job[at] = self.rng.next_u64() as u8;
            }
        }
    }

    /// A payload of `size` bytes from `base`, zero-extended or with a tail (verdict adjusted).
    pub(super) fn payload(&mut self, base: &[u8], v: &mut Verdict) -> Vec<u8> {
        let mut p = base.to_vec();
        let k = match self.rng.below(10) {
            2 if self.clean => 9,
            k => k,
        };
        match k {
            0 => p.truncate(self.rng.below(base.len() as u64) as usize),
            1 => p.extend(std::iter::repeat_n(0, self.rng.range(1, 64) as usize)),
            2 => {
                p.extend(std::iter::repeat_n(0, self.rng.range(1, 64) as usize));
                let last = p.len() - 1;
                p[last] = 1;
                *v = v.and(Verdict::Invalid("non-zero payload tail"));
            }
            _ => {}
        }
        p
    }

    pub(super) fn push_cmd(buf: &mut Vec<u8>, ty: u16, vdm: u16, cdm: u16, payload: &[u8]) {
        buf.extend_from_slice(&ty.to_le_bytes());
        // CAST: payloads are far below 64 KiB.
        buf.extend_from_slice(&(payload.len() as u16).to_le_bytes());
        buf.extend_from_slice(&vdm.to_le_bytes());
        buf.extend_from_slice(&cdm.to_le_bytes());
        buf.extend_from_slice(payload);
    }

    /// True with probability `num / den`, never in clean mode: whether to inject a defect.
    pub(super) fn defect(&mut self, num: u64, den: u64) -> bool {
        !self.clean && self.rng.chance(num, den)
    }

    pub(super) fn barrier(&mut self, seen: u32, v: &mut Verdict) -> u16 {
        let k = if self.clean {
            self.rng.range(1, 9)
        } else {
            self.rng.below(10)
        };
        match k {
            0 => {
                *v = v.and(Verdict::Invalid("barrier beyond earlier commands"));
                // CAST: command counts are at most 65.
                (seen + 1 + self.rng.below(3) as u32).min(0xfffe) as u16
            }
            1..=3 => self.rng.below(u64::from(seen) + 1) as u16,
            _ => 0xffff,
        }
    }

    /// A command buffer and its verdict.
    pub(super) fn gen_cmdbuf(&mut self) -> (Vec<u8>, Verdict) {
        let mut v = Verdict::Valid;
        let mut buf = Vec::new();
        let (mut renders, mut computes) = (0u32, 0u32);
        let n = match self.rng.below(24) {
            0 if !self.clean => 0,
            1 => 64,
            2 if !self.clean => 65,
            _ => self.rng.range(1, 4),
        };
        for _ in 0..n {
            let kinds = if self.clean { 18 } else { 20 };
            match self.rng.below(kinds) {
                0..=9 => {
                    let vdm = self.barrier(renders, &mut v);
                    let cdm = self.barrier(computes, &mut v);
                    let mut c = [0u8; 64];
                    let s = self.gen_stream(false);
                    c[8..16].copy_from_slice(&s.to_le_bytes());
                    if self.defect(1, 16) {
                        c[0] = 1;
                    }
                    let p = self.payload(&c, &mut v);
                    // A flag truncated away is not seen: the kernel zero-extends short payloads.
                    if p.first().is_some_and(|b| *b != 0) {
                        v = v.and(Verdict::Invalid("compute flags != 0"));
                    }
                    Self::push_cmd(&mut buf, 1, vdm, cdm, &p);
                    computes += 1;
                }
                10..=14 => {
                    let vdm = self.barrier(renders, &mut v);
                    let cdm = self.barrier(computes, &mut v);
                    let mut r = [0u8; 240];
                    let s = self.gen_stream(true);
                    r[8..16].copy_from_slice(&s.to_le_bytes());
                    let g = self.gen_geometry();
                    render::set_geometry(&mut r, &g);
                    let known = DRM_ASAHI_RENDER_VERTEX_SCRATCH
                        | DRM_ASAHI_RENDER_PROCESS_EMPTY_TILES
                        | DRM_ASAHI_RENDER_NO_VERTEX_CLUSTERING
                        | DRM_ASAHI_RENDER_DBIAS_IS_INT;
                    let mut flags = (self.rng.next_u64() as u32) & known;
                    if self.defect(1, 16) {
                        flags |= 1 << self.rng.range(3, 17);
                    }
                    r[0..4].copy_from_slice(&flags.to_le_bytes());
                    let mut p = self.payload(&r, &mut v);
                    // Clean mode truncates only past the framebuffer fields.
                    let fb_end = std::mem::offset_of!(drm_asahi_cmd_render, sample_size_B);
                    if self.clean && p.len() < fb_end {
                        p = r.to_vec();
                    }
                    // The flags the kernel sees: bytes truncated away read as zero.
                    let mut seen = [0u8; 4];
                    let n = p.len().min(4);
                    seen[..n].copy_from_slice(&p[..n]);
                    if u32::from_le_bytes(seen) & !known != 0 {
                        v = v.and(Verdict::Invalid("unknown render flag"));
                    }
                    // The framebuffer the kernel sees: likewise zero-extended.
                    let mut full = [0u8; 240];
                    let n = p.len().min(240);
                    full[..n].copy_from_slice(&p[..n]);
                    if !render::tileable(&seen_geometry(&full)) {
                        v = v.and(Verdict::Invalid("framebuffer the hardware cannot tile"));
                    }
                    Self::push_cmd(&mut buf, 0, vdm, cdm, &p);
                    renders += 1;
                }
                15..=17 => {
                    let ty = self.rng.range(2, 4) as u16;
                    let mut count = self.rng.range(0, 4);
                    if self.defect(1, 16) {
                        count = 65;
                        v = v.and(Verdict::Invalid("more than 64 attachments"));
                    }
                    let mut p = vec![0u8; count as usize * 24];
                    for a in p.chunks_mut(24) {
                        a[..8].copy_from_slice(&(DATA_VA + self.rng.below(BUF_SIZE)).to_le_bytes());
                        a[8..16].copy_from_slice(&self.rng.below(PAGE).to_le_bytes());
                    }
                    match if self.clean { 11 } else { self.rng.below(12) } {
                        0 if count > 0 => {
                            let i = (self.rng.below(count) * 24 + 16 + self.rng.below(8)) as usize;
                            p[i] = 1;
                            v = v.and(Verdict::Invalid("attachment pad or flags != 0"));
                        }
                        1 => {
                            p.extend(std::iter::repeat_n(0, self.rng.range(1, 23) as usize));
                            v = v.and(Verdict::Invalid("attachments not a multiple of 24"));
                        }
                        _ => {}
                    }
                    let (vdm, cdm) = if self.defect(1, 12) {
                        v = v.and(Verdict::Invalid("attachments with a barrier"));
                        (0, 0xffff)
                    } else {
                        (0xffff, 0xffff)
                    };
                    Self::push_cmd(&mut buf, ty, vdm, cdm, &p);
                }
                _ => {
                    let ty = *self.rng.pick(&[5u16, 6, 0x100, 0xffff]).unwrap_or(&5);
                    let mut p = vec![0u8; self.rng.below(64) as usize];
                    self.rng.fill(&mut p);
                    Self::push_cmd(&mut buf, ty, 0xffff, 0xffff, &p);
                    v = v.and(Verdict::Invalid("unknown command type"));
                }
            }
        }
        let commands = renders + computes;
        if commands == 0 || commands > 64 {
            v = v.and(Verdict::Invalid("0 or more than 64 hardware commands"));
        }
        match if self.clean { 23 } else { self.rng.below(24) } {
            0 => {
                // A truncated trailing header.
                buf.extend(std::iter::repeat_n(0, self.rng.range(1, 7) as usize));
                v = v.and(Verdict::Invalid("truncated header"));
            }
            1 if buf.len() >= 8 => {
                // The first payload's size runs past the end.
                let big = (buf.len() as u16).saturating_add(1);
                buf[2..4].copy_from_slice(&big.to_le_bytes());
                v = v.and(Verdict::Invalid("payload past the buffer"));
            }
            _ => {}
        }
        (buf, v)
    }
}
