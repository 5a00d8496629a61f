// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Command queues (`DRM_IOCTL_ASAHI_QUEUE_CREATE`).
//!
//! A queue holds a reference to the VM its work runs in, so the VM lives as long as any queue
//! that can still submit to it, whatever order userspace destroys them in.

use crate::bindings;
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
}

/// A command queue.
pub(crate) struct Queue {
    // Held so the VM outlives every queue that can run work in it.
    _vm: Arc<Vm>,
    #[expect(dead_code, reason = "read by the submit path")]
    priority: Priority,
    #[expect(dead_code, reason = "read by the submit path")]
    usc_exec_base: u64,
}

impl Queue {
    /// Creates a queue running in `vm`.
    pub(crate) fn new(vm: Arc<Vm>, priority: Priority, usc_exec_base: u64) -> Self {
        Self {
            _vm: vm,
            priority,
            usc_exec_base,
        }
    }
}
