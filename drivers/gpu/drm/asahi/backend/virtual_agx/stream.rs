// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The firmware core's execution of one unit of work: its virtual control stream (see the
//! table in [`super`]) and the wall-clock limit past which it is stopped (the report of a fault
//! or timeout is in [`super::events`]).

use super::memory::{Fault, Space};
use super::{Firmware, Work};
use crate::bindings;
use crate::fw::fault::FaultReason;

/// Most ops one control stream may run.
pub(crate) const MAX_OPS: u64 = 4096;
/// Largest COPY or FILL.
pub(super) const MAX_BULK: u64 = 1 << 20;
/// Longest DELAY, in microseconds.
pub(super) const MAX_DELAY_US: u64 = 100_000;
/// Longest a unit of work may run (wall clock, whatever its ops) before the firmware stops it
/// and reports a timeout.
pub(crate) const WORK_TIMEOUT_MS: i64 = 2000;

/// Why a unit of work stopped early.
pub(super) enum Abort {
    /// A GPU fault.
    Fault(Fault),
    /// It ran past [`WORK_TIMEOUT_MS`].
    Timeout,
}

impl From<Fault> for Abort {
    fn from(f: Fault) -> Self {
        Self::Fault(f)
    }
}

impl Firmware {
    /// Runs one unit of work's control stream.
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
        let start = kernel::time::Ktime::ktime_get();
        let elapsed_ms = || (kernel::time::Ktime::ktime_get() - start).to_ms();
        for i in 0..MAX_OPS {
            if elapsed_ms() >= WORK_TIMEOUT_MS {
                return Err(Abort::Timeout);
            }
            let at = work.stream.wrapping_add(i * 32);
            let op = space.read_u64(at)?;
            let a = space.read_u64(at.wrapping_add(8))?;
            let b = space.read_u64(at.wrapping_add(16))?;
            let c = space.read_u64(at.wrapping_add(24))?;
            let bad = Fault {
                address: at,
                level: 3,
                read: true,
                reason: FaultReason::NoAccess,
            };
            // CAST: the opcode is the low word.
            match op as u32 {
                0 => return Ok(()),
                // CAST: WRITE32 stores the low 32 bits of `b`.
                1 => space.write(a, &(b as u32).to_le_bytes())?,
                2 => space.write(a, &b.to_le_bytes())?,
                3 if c <= MAX_BULK => space.copy(a, b, c)?,
                // CAST: FILL uses the low byte of `b`.
                4 if c <= MAX_BULK => space.fill(a, b as u8, c)?,
                5 if c <= MAX_DELAY_US => {
                    // CAST: at most 100 ms.
                    // SAFETY: Plain sleep in process context (the firmware core is a work item).
                    unsafe { bindings::asahi_helper_fsleep(c as _) };
                }
                6 => {
                    space.translate(a, 4, false)?;
                }
                _ => return Err(Abort::Fault(bad)),
            }
        }
        Ok(())
    }
}
