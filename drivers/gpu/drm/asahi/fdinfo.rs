// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Per-client usage statistics in `/proc/<pid>/fdinfo/<fd>`, as
//! `Documentation/gpu/drm-usage-stats.rst` (6.12) defines them, which `gputop`, `nvtop` and
//! other monitors read.
//!
//! The DRM core prints `drm-driver` and `drm-client-id`; [`show`] adds:
//!
//! - `drm-engine-render: <ns> ns` and `drm-engine-compute: <ns> ns`: the time the GPU spent on
//!   the client's render (vertex and fragment) and compute work, measured from completion times.
//!   A job's busy time is `completion - max(the time it reached the firmware, the previous
//!   completion on the same work queue)` (the queue runs its jobs one after another, so a job
//!   that waited behind its predecessor is not counted twice); a job mixing render and compute
//!   commands is split by its units of work. The counters only ever grow.
//! - the DRM core's GEM memory statistics (`drm-total-memory`, `drm-shared-memory`,
//!   `drm-active-memory`, `drm-resident-memory`, `drm-purgeable-memory`) over the file's handles.
//!
//! [`Usage`] belongs to the open file and is shared (`Arc`) with the file's work queues, whose
//! jobs may complete after the file is closed. It is updated on the completion path (hard-IRQ
//! context, in a fence-signalling section) with atomics only: no lock, no allocation.

use crate::driver::AsahiDrmDevice;
use crate::file::DrmFile;
use crate::kernel_ext::drm::Printer;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

/// Busy-time counters of one open file.
pub(crate) struct Usage {
    /// Nanoseconds of render (vertex + fragment) work.
    render_ns: AtomicU64,
    /// Nanoseconds of compute work.
    compute_ns: AtomicU64,
}

impl Usage {
    /// Fresh counters.
    pub(crate) fn new() -> Result<Arc<Self>> {
        let usage = Self {
            render_ns: AtomicU64::new(0),
            compute_ns: AtomicU64::new(0),
        };
        Ok(Arc::new(usage, GFP_KERNEL)?)
    }

    /// Accounts one completed job: it reached the firmware at `submitted`, the previous job of
    /// its work queue completed at `prev_done`, it completed at `done` (monotonic ns), and
    /// `render` of its `units` units of work were render work. Any context; lock-free.
    pub(crate) fn account(
        &self,
        submitted: u64,
        prev_done: u64,
        done: u64,
        render: u32,
        units: u32,
    ) {
        let (r, c) = split(busy_ns(submitted, prev_done, done), render, units);
        if r != 0 {
            self.render_ns.fetch_add(r, Ordering::Relaxed);
        }
        if c != 0 {
            self.compute_ns.fetch_add(c, Ordering::Relaxed);
        }
    }

    /// `(render, compute)` nanoseconds so far.
    pub(crate) fn read(&self) -> (u64, u64) {
        (
            self.render_ns.load(Ordering::Relaxed),
            self.compute_ns.load(Ordering::Relaxed),
        )
    }
}

/// The busy time of a job that reached the firmware at `submitted` and completed at `done`,
/// when its queue's previous job completed at `prev_done`: never negative.
fn busy_ns(submitted: u64, prev_done: u64, done: u64) -> u64 {
    done.saturating_sub(submitted.max(prev_done))
}

/// Splits `busy` between render and compute: `render` of `units` units were render work.
fn split(busy: u64, render: u32, units: u32) -> (u64, u64) {
    if units == 0 {
        return (0, 0);
    }
    let (render, units) = (u64::from(render.min(units)), u64::from(units));
    // `busy * render / units` without a 128-bit division (which the kernel does not link):
    // neither term overflows, as `render <= units` and `busy % units < units`.
    let r = busy / units * render + busy % units * render / units;
    (r, busy - r)
}

/// The driver's part of a file's fdinfo (see the module docs).
pub(crate) fn show(_dev: &AsahiDrmDevice, file: &DrmFile, p: &mut Printer<'_>) {
    let (render, compute) = file.inner().usage().read();
    p.print(format_args!("drm-engine-render:\t{render} ns\n"));
    p.print(format_args!("drm-engine-compute:\t{compute} ns\n"));
    p.memory_stats(file);
}

#[cfg(CONFIG_KUNIT)]
mod tests {
    use super::{busy_ns, split, Usage};
    use crate::kernel_ext::kunit::{expect_eq, kunit_suite, Context};
    use kernel::prelude::*;

    fn busy_counts_from_the_later_start(ctx: &mut Context) {
        // Reached the firmware at 100, the queue was idle since 50: 100..250.
        expect_eq!(ctx, busy_ns(100, 50, 250), 150);
        // Queued behind a job that completed at 200: only 200..250 is this job's.
        expect_eq!(ctx, busy_ns(100, 200, 250), 50);
        // Completed in the same interrupt as its predecessor: nothing more.
        expect_eq!(ctx, busy_ns(100, 250, 250), 0);
        // Clocks read out of order never make it negative.
        expect_eq!(ctx, busy_ns(300, 0, 250), 0);
    }

    fn split_keeps_the_total(ctx: &mut Context) {
        expect_eq!(ctx, split(90, 2, 2), (90, 0));
        expect_eq!(ctx, split(90, 0, 1), (0, 90));
        expect_eq!(ctx, split(90, 2, 3), (60, 30));
        expect_eq!(ctx, split(100, 1, 3), (33, 67));
        expect_eq!(
            ctx,
            split(u64::MAX, 1, 2),
            (u64::MAX / 2, u64::MAX - u64::MAX / 2)
        );
        expect_eq!(ctx, split(10, 5, 2), (10, 0));
        expect_eq!(ctx, split(10, 0, 0), (0, 0));
    }

    fn counters_only_grow(ctx: &mut Context) -> Result {
        let u = Usage::new()?;
        u.account(0, 0, 1000, 2, 2);
        expect_eq!(ctx, u.read(), (1000, 0));
        u.account(500, 1000, 1800, 0, 1);
        expect_eq!(ctx, u.read(), (1000, 800));
        // A job whose clocks went the wrong way adds nothing.
        u.account(5000, 0, 4000, 2, 2);
        expect_eq!(ctx, u.read(), (1000, 800));
        Ok(())
    }

    kunit_suite!(
        asahi_fdinfo,
        [
            busy_counts_from_the_later_start,
            split_keeps_the_total,
            counters_only_grow,
        ]
    );
}
