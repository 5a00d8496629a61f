// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Where the firmware finds what it reads: byte offsets inside its own structures (the layouts in
//! `crate::fw`, which the driver fills too). Real firmware knows its layouts; so does this
//! model, and it takes nothing else from the driver.

use crate::fw::channels::ChannelState;
use crate::fw::variants::g13_v13_5 as fwv;
use core::mem::offset_of;

/// `ChannelState::read_ptr`.
pub(super) const STATE_READ_PTR: usize = offset_of!(ChannelState, read_ptr);
/// `ChannelState::write_ptr`.
pub(super) const STATE_WRITE_PTR: usize = offset_of!(ChannelState, write_ptr);
/// `InitData::fw_status`.
pub(super) const INITDATA_FW_STATUS: usize = offset_of!(fwv::InitData, fw_status);
/// `FwStatus::fwctl_channel` (a `ChannelRing`).
pub(super) const FW_STATUS_FWCTL: usize = offset_of!(crate::fw::job::FwStatus, fwctl_channel);
/// `InitData::runtime_pointers`.
pub(super) const INITDATA_RUNTIME_POINTERS: usize = offset_of!(fwv::InitData, runtime_pointers);
/// The buffers `RuntimePointers` names that the firmware writes or reads at run time (the
/// statistics, which every command's Start and Finalize ops point into, and the unknown
/// buffers downstream allocates): each must be there.
pub(super) const RUNTIME_BUFFERS: [usize; 8] = [
    offset_of!(fwv::RuntimePointers, stats_vtx),
    offset_of!(fwv::RuntimePointers, stats_frag),
    offset_of!(fwv::RuntimePointers, stats_comp),
    offset_of!(fwv::RuntimePointers, unkptr_190),
    offset_of!(fwv::RuntimePointers, unkptr_198),
    offset_of!(fwv::RuntimePointers, unkptr_1b8),
    offset_of!(fwv::RuntimePointers, unkptr_1c0),
    offset_of!(fwv::RuntimePointers, unkptr_1c8),
];
/// `InitData::unk_buf`.
pub(super) const INITDATA_UNK_BUF: usize = offset_of!(fwv::InitData, unk_buf);
/// `RuntimePointers::event` (a `ChannelRing { state, ring }`).
pub(super) const RUNTIME_EVENT: usize = offset_of!(fwv::RuntimePointers, event);
/// `QueueInfo::state`.
pub(super) const QUEUE_INFO_STATE: usize = offset_of!(fwv::QueueInfo, state);
/// `QueueInfo::ring`.
pub(super) const QUEUE_INFO_RING: usize = offset_of!(fwv::QueueInfo, ring);
/// `QueueInfo::gpu_context`.
pub(super) const QUEUE_INFO_GPU_CONTEXT: usize = offset_of!(fwv::QueueInfo, gpu_context);
/// `RuntimePointers::pipes` (4 priorities × `PipeChannels { vtx, frag, comp }`, each a
/// `ChannelRing`).
pub(super) const RUNTIME_PIPES: usize = offset_of!(fwv::RuntimePointers, pipes);
/// `RuntimePointers::device_control` (a `ChannelRing`).
pub(super) const RUNTIME_DEVCTRL: usize = offset_of!(fwv::RuntimePointers, device_control);
/// `RuntimePointers::fw_log`.
pub(super) const RUNTIME_FWLOG: usize = offset_of!(fwv::RuntimePointers, fw_log);
/// `RuntimePointers::ktrace`.
pub(super) const RUNTIME_KTRACE: usize = offset_of!(fwv::RuntimePointers, ktrace);
/// `RuntimePointers::stats`.
pub(super) const RUNTIME_STATS: usize = offset_of!(fwv::RuntimePointers, stats);
/// `RuntimePointers::fwlog_buf`.
pub(super) const RUNTIME_FWLOG_BUF: usize = offset_of!(fwv::RuntimePointers, fwlog_buf);
/// `ChannelRing::ring` (after `state`).
pub(super) const RING_RING: usize = offset_of!(crate::fw::job::ChannelRing, ring);
/// `InitData::globals`.
pub(super) const INITDATA_GLOBALS: usize = offset_of!(fwv::InitData, globals);

/// Entries of the event ring (fixed by the firmware: downstream `channel.rs`).
pub(super) const EVENT_ENTRIES: u32 = crate::fw::channels::ChannelId::Event.entries();
/// Entries of the device-control ring.
pub(super) const DEVCTRL_ENTRIES: u32 = crate::fw::channels::ChannelId::DeviceControl.entries();
/// Entries of the FwCtl ring.
pub(super) const FWCTL_ENTRIES: u32 = crate::fw::channels::ChannelId::FwCtl.entries();
/// Entries of each pipe ring.
pub(super) const PIPE_ENTRIES: u32 = crate::fw::channels::ChannelId::Pipe {
    pipe: crate::fw::channels::PipeType::Vertex,
    priority: 0,
}
.entries();

/// Entries per FwLog sub-ring, of the KTrace ring and of the Stats ring.
pub(super) const FWLOG_ENTRIES: u32 = crate::fw::channels::ChannelId::FwLog.entries();
/// See [`FWLOG_ENTRIES`].
pub(super) const KTRACE_ENTRIES: u32 = crate::fw::channels::ChannelId::KTrace.entries();
/// See [`FWLOG_ENTRIES`].
pub(super) const STATS_ENTRIES: u32 = crate::fw::channels::ChannelId::Stats.entries();

/// GPU pages (16 KiB) a ring of `entries` messages of `T` covers.
const fn pages<T>(entries: usize) -> usize {
    (entries * core::mem::size_of::<T>()).div_ceil(0x4000)
}

/// Pages of the FwLog rings (all sub-rings), its payload buffer, the KTrace and Stats rings.
pub(super) const FWLOG_RING_PAGES: usize = pages::<crate::fw::crashlog::RawFwLogMsg>(
    crate::fw::channels::FWLOG_SUB_RINGS * FWLOG_ENTRIES as usize,
);
/// See [`FWLOG_RING_PAGES`].
pub(super) const FWLOG_BUF_PAGES: usize = pages::<crate::fw::crashlog::RawFwLogPayloadMsg>(
    crate::fw::channels::FWLOG_SUB_RINGS * crate::fw::crashlog::FWLOG_PAYLOADS_PER_RING,
);
/// See [`FWLOG_RING_PAGES`].
pub(super) const KTRACE_RING_PAGES: usize =
    pages::<crate::fw::crashlog::RawKTraceMsg>(KTRACE_ENTRIES as usize);
/// See [`FWLOG_RING_PAGES`].
pub(super) const STATS_RING_PAGES: usize =
    pages::<crate::fw::crashlog::RawStatsMsg>(STATS_ENTRIES as usize);
