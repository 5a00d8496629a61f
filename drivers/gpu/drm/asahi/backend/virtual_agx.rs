// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The virtual AGX: an in-kernel model of AGX firmware, the default backend when no Apple GPU
//! is present.
//!
//! It presents itself as an M1 (`t8103`, G13G), the SoC Mesa knows best. Today it provides the
//! identity only; the firmware model (boot from the driver's init data, page-table walks, work
//! queues, interrupts, faults and crashes) lands behind the same [`Backend`] trait.

use super::Backend;
use crate::hw::{self, HwConfig};
use kernel::c_str;
use kernel::str::CStr;

/// The virtual AGX backend.
pub(crate) struct VirtualAgx {
    hw: &'static HwConfig,
}

impl VirtualAgx {
    /// Creates the model of an M1 GPU.
    pub(crate) fn new() -> Self {
        Self {
            hw: &hw::t8103::HWCONFIG,
        }
    }
}

impl Backend for VirtualAgx {
    fn name(&self) -> &'static CStr {
        c_str!("virtual")
    }

    fn hw(&self) -> &'static HwConfig {
        self.hw
    }
}
