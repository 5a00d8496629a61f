// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The backend boundary: the one place the driver learns what kind of AGX it drives.
//!
//! Everything above this trait (DRM device, files, VMs, queues, the firmware protocol) is the
//! same for every backend. A backend provides the transport to the firmware and the SoC's
//! identity; it is chosen once, at probe, from the matched device:
//!
//! | device | backend |
//! |---|---|
//! | `agx-virtual` platform device (created by this module when the device tree has no AGX node) | [`virtual_agx::VirtualAgx`]: an in-kernel model of the firmware |
//! | `apple,agx-t8103`, `t8112`, `t6000`–`t6002`, `t6020`–`t6022` device-tree nodes | real hardware: RTKit mailbox to the ASC coprocessor, MMIO for doorbell and fault registers, CPU TLB invalidation. Not implemented yet: probe fails with `ENODEV` and says so. |
//!
//! What crosses the boundary, and nothing else:
//! - identity: the SoC's [`HwConfig`];
//! - (with the firmware model) boot with an init-data address, doorbells, TLB invalidation of a
//!   context, the interrupt that says "look at the rings", and the crash notification.

pub(crate) mod virtual_agx;

use crate::hw::HwConfig;
use kernel::str::CStr;

/// A transport to AGX firmware and the SoC's identity.
pub(crate) trait Backend: Send + Sync {
    /// A short name for logs ("virtual", "rtkit").
    fn name(&self) -> &'static CStr;
    /// The SoC this backend drives.
    fn hw(&self) -> &'static HwConfig;
}
