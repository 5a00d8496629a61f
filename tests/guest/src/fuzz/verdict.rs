//! Verdicts and judging: what the kernel must do with an input ([`Verdict`]: valid, invalid or
//! unknown, and how they combine), the errnos each ioctl may return, and [`Fuzzer::judge`], which
//! checks one ioctl's outcome against both (and its duration) and records the findings.
//!
//! # Allowed errnos
//!
//! | ioctl | allowed errnos |
//! |---|---|
//! | GET_PARAMS | EINVAL, EFAULT |
//! | GET_TIME | EINVAL |
//! | VM_CREATE | EINVAL, ENOMEM (chaos: also ENOSPC) |
//! | VM_DESTROY, QUEUE_DESTROY | EINVAL, ENOENT |
//! | GEM_CREATE | EINVAL, ENOENT, ENOMEM |
//! | QUEUE_CREATE | EINVAL, ENOENT, ENOMEM (chaos: also ENOSPC) |
//! | GEM_BIND_OBJECT | EINVAL, ENOENT, ENOMEM, ENOSPC |
//! | GEM_MMAP_OFFSET | EINVAL, ENOENT, ENOMEM |
//! | VM_BIND | EINVAL, ENOENT, EFAULT, ENOMEM |
//! | SUBMIT | EINVAL, ENOENT, EFAULT, ENOMEM |
//! | GEM_CLOSE | EINVAL |
//! | PRIME handle/fd | EINVAL, ENOENT, EBADF, ENOMEM, EMFILE, EFAULT |
//! | SYNCOBJ_* | EINVAL, ENOENT, EFAULT, ETIME, ENOMEM, EBADF, EMFILE |
//!
//! `EINTR` is never visible (the wrappers retry, and nothing here sends signals but `SIGKILL`).
//! ENOMEM is the one resource errno a valid input may still get. ENOSPC and EBUSY are defects
//! for a fuzzer's own file: it keeps a handful of VMs and queues, far below the per-file id
//! limits, so an ENOSPC/EBUSY there could only come from a device-wide resource that other
//! clients hold (the chaos ioctls leave idle VMs and queues behind in the shared files, and
//! `fuzz_uapi` runs a neighbour holding more idle queues than the GPU has event slots), and a
//! well-behaved client must never be refused because of someone else's idle state. SUBMIT never
//! returns EBUSY: a full queue or device waits (interruptibly) instead. The chaos ioctls on the
//! shared file may get ENOSPC from VM_CREATE and QUEUE_CREATE, at that file's own id limit
//! (they never destroy what they create beyond the first ids). GEM_BIND_OBJECT keeps ENOSPC: its
//! timestamp window is a device resource whose bound is a separate question (issue 12 item 3).

use super::Fuzzer;
use std::io;
use std::time::{Duration, Instant};

const EINVAL: i32 = libc::EINVAL;
const ENOENT: i32 = libc::ENOENT;
const EFAULT: i32 = libc::EFAULT;
const ENOMEM: i32 = libc::ENOMEM;
const ENOSPC: i32 = libc::ENOSPC;
const ETIME: i32 = libc::ETIME;
const EBADF: i32 = libc::EBADF;
const EMFILE: i32 = libc::EMFILE;

pub(super) const A_PARAMS: &[i32] = &[EINVAL, EFAULT];
pub(super) const A_TIME: &[i32] = &[EINVAL];
pub(super) const A_VM_CREATE: &[i32] = &[EINVAL, ENOMEM];
/// On the shared file: also its own id limit.
pub(super) const A_CHAOS_VM_CREATE: &[i32] = &[EINVAL, ENOMEM, ENOSPC];
pub(super) const A_DESTROY: &[i32] = &[EINVAL, ENOENT];
pub(super) const A_GEM_CREATE: &[i32] = &[EINVAL, ENOENT, ENOMEM];
pub(super) const A_QUEUE_CREATE: &[i32] = &[EINVAL, ENOENT, ENOMEM];
/// On the shared file: also its own id limit.
pub(super) const A_CHAOS_QUEUE_CREATE: &[i32] = &[EINVAL, ENOENT, ENOMEM, ENOSPC];
pub(super) const A_BIND_OBJECT: &[i32] = &[EINVAL, ENOENT, ENOMEM, ENOSPC];
pub(super) const A_MMAP_OFFSET: &[i32] = &[EINVAL, ENOENT, ENOMEM];
pub(super) const A_VM_BIND: &[i32] = &[EINVAL, ENOENT, EFAULT, ENOMEM];
pub(super) const A_SUBMIT: &[i32] = &[EINVAL, ENOENT, EFAULT, ENOMEM];
pub(super) const A_GEM_CLOSE: &[i32] = &[EINVAL];
pub(super) const A_PRIME: &[i32] = &[EINVAL, ENOENT, EBADF, ENOMEM, EMFILE, EFAULT];
pub(super) const A_SYNCOBJ: &[i32] = &[EINVAL, ENOENT, EFAULT, ETIME, ENOMEM, EBADF, EMFILE];
/// Errnos a valid input may still get: the system ran out of memory. Not ENOSPC or EBUSY (see
/// the module docs): no device-wide resource may refuse a well-behaved client.
const RESOURCE: &[i32] = &[ENOMEM];

/// Longest any single ioctl may take (submit backpressure included) before it counts as a hang.
const SLOW: Duration = Duration::from_secs(15);
/// Most findings printed per thread.
const MAX_REPORTS: usize = 12;

/// What the kernel must do with an input, known by construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Must succeed unless a resource ran out.
    Valid,
    /// Must fail: carries this defect.
    Invalid(&'static str),
    /// Either outcome is fine; only the errno set is checked.
    Unknown,
}

impl Verdict {
    /// The verdict of an input with one more property: the first defect wins.
    pub(super) fn and(self, other: Verdict) -> Verdict {
        match (self, other) {
            (Verdict::Invalid(w), _) | (_, Verdict::Invalid(w)) => Verdict::Invalid(w),
            (Verdict::Unknown, _) | (_, Verdict::Unknown) => Verdict::Unknown,
            _ => Verdict::Valid,
        }
    }

    pub(super) fn check(self, ok: bool, defect: &'static str) -> Verdict {
        if ok {
            self
        } else {
            self.and(Verdict::Invalid(defect))
        }
    }
}

fn errno<T>(r: &io::Result<T>) -> Option<i32> {
    r.as_ref().err().map(|e| e.raw_os_error().unwrap_or(-1))
}

impl Fuzzer<'_> {
    /// Reports a finding.
    pub(super) fn finding(&mut self, what: std::fmt::Arguments<'_>) {
        self.stats.findings += 1;
        if self.stats.findings <= MAX_REPORTS as u64 {
            println!("# FINDING [{} op {}] {what}", self.name, self.op_no);
        }
    }

    /// Judges one ioctl's outcome: the errno set, the verdict and the time it took.
    pub(super) fn judge<T>(
        &mut self,
        name: &str,
        allowed: &[i32],
        verdict: Verdict,
        started: Instant,
        r: &io::Result<T>,
        args: &dyn std::fmt::Debug,
    ) -> bool {
        self.stats.ops += 1;
        let took = started.elapsed();
        if took > SLOW {
            self.finding(format_args!("{name} took {took:?}: {args:?}"));
        }
        let e = errno(r);
        if let Some(e) = e {
            if !allowed.contains(&e) {
                self.finding(format_args!(
                    "{name} returned errno {e} ({}) outside {allowed:?}: {args:?}",
                    io::Error::from_raw_os_error(e)
                ));
            }
        }
        match (verdict, e) {
            (Verdict::Invalid(why), None) => {
                self.finding(format_args!(
                    "{name} accepted invalid input ({why}): {args:?}"
                ));
            }
            (Verdict::Invalid(_), Some(_)) => self.stats.invalid_refused += 1,
            (Verdict::Valid, Some(e)) if !RESOURCE.contains(&e) => {
                self.finding(format_args!(
                    "{name} rejected valid input with errno {e}: {args:?}"
                ));
            }
            (Verdict::Valid, None) => self.stats.valid_ok += 1,
            _ => self.stats.unknown += 1,
        }
        r.is_ok()
    }
}
