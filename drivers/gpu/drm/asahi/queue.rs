// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Command queues (`DRM_IOCTL_ASAHI_QUEUE_CREATE`).
//!
//! A queue holds a reference to the VM its work runs in and to its firmware work queue (see
//! [`crate::gpu`]), so both live as long as any queue that can still submit to them, whatever
//! order userspace destroys things in; jobs in flight hold their own references.

use crate::bindings;
use crate::fdinfo::Usage;
use crate::gpu::{Gpu, WorkQueue};
use crate::vm::Vm;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Queue priority, as the uAPI numbers it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Priority {
    /// `DRM_ASAHI_PRIORITY_LOW`.
    Low,
    /// `DRM_ASAHI_PRIORITY_MEDIUM`.
    Medium,
}

impl Priority {
    /// Parses a uAPI priority. HIGH and REALTIME are refused (`EINVAL`) until there is a
    /// permission model for them, as upstream does; unknown values too.
    pub(crate) fn from_uapi(value: u32) -> Result<Self> {
        match value {
            bindings::DRM_ASAHI_PRIORITY_LOW => Ok(Self::Low),
            bindings::DRM_ASAHI_PRIORITY_MEDIUM => Ok(Self::Medium),
            _ => Err(EINVAL),
        }
    }

    /// The firmware priority (0 highest, 3 lowest) of the queue's pipes.
    pub(crate) fn firmware(self) -> u32 {
        match self {
            Self::Low => 3,
            Self::Medium => 2,
        }
    }
}

/// A command queue.
pub(crate) struct Queue {
    vm: Arc<Vm>,
    wq: Arc<WorkQueue>,
    #[expect(
        dead_code,
        reason = "kept for queue parameters; its firmware priority selects the pipes"
    )]
    priority: Priority,
    /// Base of the queue's shader addresses (`RunCompute`'s `usc_exec_base_cp`).
    usc_exec_base: u64,
}

impl Queue {
    /// Creates a queue running in `vm`, its work's busy time counted in `usage` (its file's).
    /// It holds an event slot only while it has work.
    pub(crate) fn new(
        gpu: &Arc<Gpu>,
        vm: Arc<Vm>,
        priority: Priority,
        usc_exec_base: u64,
        usage: Arc<Usage>,
    ) -> Result<Self> {
        Ok(Self {
            vm,
            wq: WorkQueue::new(gpu, priority.firmware(), usage)?,
            priority,
            usc_exec_base,
        })
    }

    /// The VM this queue's work runs in.
    pub(crate) fn vm(&self) -> &Arc<Vm> {
        &self.vm
    }

    /// Base of the USC (shader) addresses of the queue's commands.
    pub(crate) fn usc_exec_base(&self) -> u64 {
        self.usc_exec_base
    }

    /// The firmware work queue.
    pub(crate) fn wq(&self) -> &Arc<WorkQueue> {
        &self.wq
    }
}

impl Drop for Queue {
    /// The queue's owner let go of it (QUEUE_DESTROY, or the file closed). As with drm_sched,
    /// work already submitted runs to completion (a client may submit, export a sync_file and
    /// exit: its jobs hold the work queue), unless the process is being killed: then its
    /// backlog is cancelled (`ECANCELED`), so a killed client neither keeps the GPU busy nor
    /// holds an event slot.
    fn drop(&mut self) {
        // SAFETY: Reads the current task's flags, exit code and pending signals.
        if unsafe { bindings::asahi_helper_current_is_killed() } {
            self.wq.cancel();
        }
    }
}
