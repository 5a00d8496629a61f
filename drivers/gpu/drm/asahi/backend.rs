// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The backend boundary: the one place the driver learns what kind of AGX it drives.
//!
//! Everything above this trait (DRM device, files, VMs, queues, job tracking, fences) is the
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
//! - [`Backend::boot`]: where the firmware finds its init data (a GPU address in the kernel
//!   half and that half's page-table root, see [`crate::fwmem`]), the shared event page
//!   ([`event_page`]), and the handler its interrupt calls, in hard-IRQ context;
//! - [`Backend::submit`]: the doorbell for one command ([`Doorbell`]): the firmware reads the
//!   command through the kernel half's page tables, and the memory it names through the page
//!   tables of the command's address space;
//! - [`Backend::doorbell_device_control`]: the doorbell of the device-control channel, a ring in
//!   firmware memory (`DestroyContext` to forget a queue's context or, for context 0xff, to
//!   flush the firmware's caches; `Initialize` at boot), acknowledged through the ring's read
//!   index (see [`crate::channel`]);
//! - [`Backend::shutdown`]: stop, and never call the handler again;
//! - [`IrqHandler::crashed`]: the firmware died, with its crash log.
//!
//! A real RTKit backend carries the same information in the firmware's own structures (work
//! queue rings, event stamps, the Flag event message) instead of these simplified ones.

pub(crate) mod virtual_agx;

use crate::fwmem::FwLayout;
use crate::hw::HwConfig;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;

/// Layout of the event page the driver shares with the firmware (one 16 KiB GPU page).
///
/// The firmware writes a slot's stamp when work of that slot completes, then sets the slot's
/// bit in `fired` and interrupts; the driver atomically takes and clears `fired`. A fault is
/// reported through the fault mailbox, which the firmware fills only when it is free.
pub(crate) mod event_page {
    /// `u32` completion stamps, one per event slot (128).
    pub(crate) const STAMPS: usize = 0x0;
    /// 128-bit "slot completed work" mask, as four `u32`.
    pub(crate) const FIRED: usize = 0x200;
    /// Fault mailbox: `u32` valid (1 = holds a fault; the driver writes 0 when done).
    pub(crate) const FAULT_VALID: usize = 0x300;
    /// Fault mailbox: `u32` event slot of the faulting work.
    pub(crate) const FAULT_SLOT: usize = 0x304;
    /// Fault mailbox: `u32` stamp value of the faulting work.
    pub(crate) const FAULT_STAMP: usize = 0x308;
    /// Fault mailbox: `u64` fault information, in the fault register's encoding
    /// (`fw::fault::FaultInfo`).
    pub(crate) const FAULT_INFO: usize = 0x310;
}

/// A doorbell: one command for the firmware to run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Doorbell {
    /// Firmware address of the submitting queue's `GpuContextData` (so the firmware can drop a
    /// destroyed context's queued work).
    pub(crate) context: u64,
    /// Firmware (kernel-half) address of the command, in the firmware-private heap
    /// (`fw::job::VirtualRunCommand` for the virtual AGX). The driver keeps it alive until the
    /// job it belongs to has completed.
    pub(crate) command: u64,
}

/// The driver's handlers for what the firmware reports.
pub(crate) trait IrqHandler: Send + Sync {
    /// Handles the firmware's interrupt: completions and faults in the event page. Hard-IRQ
    /// context.
    fn handle_irq(&self);
    /// The firmware crashed and is dead; `crashlog` is its crash log (RTKit's crash message on
    /// real hardware). Process context; called at most once.
    fn crashed(&self, crashlog: &[u8]);
}

/// A transport to AGX firmware and the SoC's identity.
pub(crate) trait Backend: Send + Sync {
    /// A short name for logs ("virtual", "rtkit").
    fn name(&self) -> &'static CStr;
    /// The SoC this backend drives.
    fn hw(&self) -> &'static HwConfig;
    /// Starts the firmware from the init data and page tables in `layout`, with `irq` as its
    /// interrupt handler. Process context.
    fn boot(&self, layout: FwLayout, irq: Arc<dyn IrqHandler>) -> Result;
    /// Rings the doorbell for a command. Any context; never allocates. `EBUSY` if the
    /// firmware's queue is full (the driver bounds work in flight, so this is a driver bug).
    fn submit(&self, doorbell: Doorbell) -> Result;
    /// Stops the firmware: no work runs and the handler is not called after this returns; the
    /// handler reference is dropped. Process context.
    fn shutdown(&self);
    /// Rings the device-control doorbell: the firmware consumes the messages the driver put on
    /// the device-control channel (`RuntimePointers::device_control`) and advances its read
    /// index for each one it has handled (a `DestroyContext` once the context is forgotten).
    /// `ENODEV` if no firmware runs (not booted, crashed, shut down): then nothing will consume
    /// them. Process context.
    fn doorbell_device_control(&self) -> Result;
    /// Makes the firmware crash (test and debug aid, debugfs `crash_firmware`). The crash is
    /// reported through [`IrqHandler::crashed`]. Any later call does nothing.
    fn crash(&self);
}
