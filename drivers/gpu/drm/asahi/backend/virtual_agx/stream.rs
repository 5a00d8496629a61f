// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The GPU's execution of one unit of work: it walks the real control stream userspace wrote
//! (CDM for compute, VDM for vertex work) through the work's address space, and runs what each
//! launch or draw binds, within a wall-clock limit (the report of a fault or timeout is in
//! [`super::events`]).
//!
//! The walk is the shared `fw::ctrl_stream::walk` (Mesa's block encodings, links, calls,
//! returns, barriers, terminate): every address a word names is read through the page tables,
//! so a bad one is a GPU fault at that address with the walk's real encoding (level, reason,
//! read). A launch runs its shader (the CDM Launch's pipeline, resolved through the USC words
//! relative to the queue's `usc_exec_base`); a draw runs the vertex shader of the VDM state in
//! force. The model cannot run AGX code, so a shader runs as the *virtual shader* convention of
//! `fw::ctrl_stream::virt` says: code starting with the `AGXVIRT` marker runs the op list after
//! it (WRITE32, WRITE64, COPY, FILL, DELAY, READ32), any other code is a no-op.
//!
//! A stream that cannot be decoded (an unknown block, a bad USC word, a bad virtual shader, a
//! return without a call, calls nested too deep) is a GPU fault at the offending word (read,
//! no access); an unterminated or looping stream, or one that runs past [`WORK_TIMEOUT_MS`],
//! is stopped and reported as a timeout.

use super::memory::{Fault, Space};
use super::{Firmware, Work};
use crate::bindings;
use crate::fw::ctrl_stream::{self, virt, walk, Chip, GpuMemory, StreamError};
use crate::fw::fault::FaultReason;
use crate::fw::job::CommandType;
use kernel::time::Ktime;

/// Longest a unit of work may run (wall clock, whatever its stream) before the firmware stops
/// it and reports a timeout.
pub(crate) const WORK_TIMEOUT_MS: i64 = 2000;

/// The modelled GPU (t8103, M1): what the CDM Launch encoding depends on.
const CHIP: Chip = Chip::G13G;

/// Why a unit of work stopped early.
pub(super) enum Abort {
    /// A GPU fault.
    Fault(Fault),
    /// It ran past [`WORK_TIMEOUT_MS`], or its stream did not terminate.
    Timeout,
}

impl From<Fault> for Abort {
    fn from(f: Fault) -> Self {
        Self::Fault(f)
    }
}

/// Reads between two looks at the clock while walking a stream.
const READS_PER_CLOCK: u32 = 64;

/// A work's address space as the stream walker reads it, keeping the last fault in the
/// model's encoding (the walker only reports its address), and the wall clock: a walk past
/// [`WORK_TIMEOUT_MS`] (a long stream with little work) is stopped at its next read.
struct Mem<'s, 'a> {
    space: &'s Space<'a>,
    fault: Option<Fault>,
    start: Ktime,
    reads: u32,
    timed_out: bool,
}

impl Mem<'_, '_> {
    /// Records a fault of a write (or a read outside the walker) and converts it for the walker.
    fn keep(&mut self, f: Fault) -> StreamError {
        let va = f.address;
        self.fault = Some(f);
        StreamError::Fault(ctrl_stream::Fault { va })
    }
}

impl GpuMemory for Mem<'_, '_> {
    fn read(&mut self, va: u64, buf: &mut [u8]) -> Result<(), ctrl_stream::Fault> {
        self.reads = self.reads.wrapping_add(1);
        if self.reads % READS_PER_CLOCK == 0
            && (Ktime::ktime_get() - self.start).to_ms() >= WORK_TIMEOUT_MS
        {
            self.timed_out = true;
            return Err(ctrl_stream::Fault { va });
        }
        self.space.read_bytes(va, buf).map_err(|f| {
            let va = f.address;
            self.fault = Some(f);
            ctrl_stream::Fault { va }
        })
    }
}

/// Runs the shaders of launches and draws, checking the wall clock between ops.
struct Runner {
    start: Ktime,
}

impl Runner {
    fn check_time(&self, va: u64) -> Result<(), StreamError> {
        if (Ktime::ktime_get() - self.start).to_ms() >= WORK_TIMEOUT_MS {
            Err(StreamError::Timeout { va })
        } else {
            Ok(())
        }
    }

    /// Runs the shader whose code is at `code` (if any): its virtual ops if it carries the
    /// marker, nothing otherwise.
    fn run_shader(
        &self,
        mem: &mut Mem<'_, '_>,
        at: u64,
        code: Option<u64>,
    ) -> Result<(), StreamError> {
        self.check_time(at)?;
        let Some(code) = code else {
            return Ok(());
        };
        let Some(prog) = virt::parse_virtual_shader(mem, code)? else {
            return Ok(());
        };
        let mut i = 0;
        while let Some(op) = prog.op(mem, i)? {
            self.check_time(at)?;
            let space = mem.space;
            let r = match op {
                virt::Op::End => return Ok(()),
                virt::Op::Write32 { addr, value } => space.write(addr, &value.to_le_bytes()),
                virt::Op::Write64 { addr, value } => space.write(addr, &value.to_le_bytes()),
                virt::Op::Copy { dst, src, len } => space.copy(dst, src, len),
                virt::Op::Fill { dst, byte, len } => space.fill(dst, byte, len),
                virt::Op::Delay { us } => {
                    // SAFETY: Plain sleep in process context (the firmware core is a work
                    // item); `us` is at most `virt::MAX_DELAY_US` (100 ms).
                    unsafe { bindings::asahi_helper_fsleep(us as _) };
                    Ok(())
                }
                virt::Op::Read32 { addr } => space.translate(addr, 4, false).map(|_| ()),
            };
            r.map_err(|f| mem.keep(f))?;
            i += 1;
        }
        Ok(())
    }
}

impl<'s, 'a> walk::Visitor<Mem<'s, 'a>> for Runner {
    fn launch(&mut self, mem: &mut Mem<'s, 'a>, d: &walk::Dispatch) -> Result<(), StreamError> {
        self.run_shader(mem, d.va, d.shader.code_va)
    }

    fn draw(&mut self, mem: &mut Mem<'s, 'a>, d: &walk::Draw) -> Result<(), StreamError> {
        self.run_shader(mem, d.va, d.vertex.and_then(|s| s.code_va))
    }
}

impl Firmware {
    /// Walks one unit of work's control stream and runs what it launches.
    pub(super) fn run_stream(&self, work: &Work) -> Result<(), Abort> {
        if work.stream == 0 {
            return Ok(());
        }
        let Some(space) = Space::new(work.ttb, &self.tlb) else {
            return Err(Abort::Fault(Fault {
                address: 0,
                level: 0,
                read: true,
                reason: FaultReason::Unmapped,
            }));
        };
        let start = Ktime::ktime_get();
        let mut mem = Mem {
            space: &space,
            fault: None,
            start,
            reads: 0,
            timed_out: false,
        };
        let cfg = walk::Config {
            chip: CHIP,
            usc_base: work.usc_base,
            limits: walk::Limits::default(),
        };
        let mut runner = Runner { start };
        let r = match work.tag {
            CommandType::RunCompute => {
                walk::walk_cdm(&mut mem, work.stream, &cfg, &mut runner).map(|_| ())
            }
            _ => walk::walk_vdm(&mut mem, work.stream, &cfg, &mut runner).map(|_| ()),
        };
        match r {
            Ok(()) => Ok(()),
            Err(_) if mem.timed_out => Err(Abort::Timeout),
            Err(StreamError::Fault(f)) => Err(Abort::Fault(mem.fault.take().unwrap_or(Fault {
                address: f.va,
                level: 3,
                read: true,
                reason: FaultReason::Unmapped,
            }))),
            Err(StreamError::Timeout { .. }) => Err(Abort::Timeout),
            Err(e) => Err(Abort::Fault(Fault {
                address: error_va(&e),
                level: 3,
                read: true,
                reason: FaultReason::NoAccess,
            })),
        }
    }
}

/// The address a stream error names (0 for one that names none).
fn error_va(e: &StreamError) -> u64 {
    match *e {
        StreamError::Unknown { va, .. }
        | StreamError::DepthOverflow { va }
        | StreamError::ReturnUnderflow { va }
        | StreamError::BadUsc { va, .. }
        | StreamError::BadVirtual { va, .. }
        | StreamError::Timeout { va } => va,
        StreamError::Fault(f) => f.va,
        _ => 0,
    }
}
