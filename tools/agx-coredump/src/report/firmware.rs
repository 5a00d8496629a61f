// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The firmware structure walk: the per-layout views of `InitData`, `RuntimePointers`,
//! `QueueInfo` and `RunWorkQueueMsg`, the layout dispatch, and the walk from the init-data
//! address to the channels, work queues, logs and `FwStatus`.

use core::fmt::Write as _;

use agx_firmware_defs::channels::{ChannelId, PipeType};
use agx_firmware_defs::job::{ChannelRing, CommandType};
use agx_firmware_defs::types::GpuPtr;
use agx_firmware_defs::ver::Variant;
use zerocopy::{FromBytes, Immutable, KnownLayout};

use super::channels::{channel, fw_status};
use super::hwdata::{globals, hwdata_a, hwdata_b, GlobalsView, HwDataAView, HwDataBView};
use super::identity::{firmware_version_string, guess_variant, variant_name};
use super::logs::{firmware_log, ktrace_records};
use super::memory::read_struct;
use super::queues::work_queues;
use super::VaErrorDisplay;
use crate::format::{AgxDumpInfo, Dump};

/// The parts of a versioned `InitData` the decoder follows.
trait InitDataView: FromBytes + KnownLayout + Immutable {
    fn runtime_pointers(&self) -> GpuPtr;
    fn globals(&self) -> GpuPtr;
    fn fw_status(&self) -> GpuPtr;
    fn uat_geometry(&self) -> (u16, u8, u8);
}

/// The channels of a versioned `RuntimePointers`.
trait RuntimePointersView: FromBytes + KnownLayout + Immutable {
    fn channels(&self) -> Vec<(ChannelId, ChannelRing)>;
    /// The `HwDataA` and `HwDataB` pointers.
    fn hwdata(&self) -> (GpuPtr, GpuPtr);
    /// The FwLog channel and its payload buffer, and the KTrace channel.
    fn logs(&self) -> (ChannelRing, GpuPtr, ChannelRing);
}

/// Where a versioned run command keeps what the decoder shows: its context slot,
/// microsequence pointer and size, and `JobMeta` (byte offsets).
#[derive(Clone, Copy, Debug)]
pub(super) struct RunOffsets {
    pub(super) vm_slot: usize,
    pub(super) microsequence: usize,
    pub(super) microsequence_size: usize,
    pub(super) meta: usize,
}

/// The [`RunOffsets`] of run command type `$t`.
macro_rules! run_offsets {
    ($t:ty) => {
        RunOffsets {
            vm_slot: core::mem::offset_of!($t, vm_slot),
            microsequence: core::mem::offset_of!($t, microsequence),
            microsequence_size: core::mem::offset_of!($t, microsequence_size),
            meta: core::mem::offset_of!($t, meta),
        }
    };
}

/// The parts of a versioned `QueueInfo` the decoder shows, and the layout of the run
/// commands its ring names (same firmware layout).
pub(super) trait QueueInfoView: FromBytes + KnownLayout + Immutable {
    /// The offsets in this layout's run command of type `tag` (`None`: not a run command).
    fn run_offsets(tag: CommandType) -> Option<RunOffsets>;
    fn state(&self) -> GpuPtr;
    fn ring(&self) -> GpuPtr;
    fn gpu_context(&self) -> GpuPtr;
    fn event_id(&self) -> i32;
    fn priority(&self) -> u32;
}

/// A versioned `RunWorkQueueMsg` (its size varies): the queue it names.
pub(super) trait RunMsgView: FromBytes + KnownLayout + Immutable {
    fn work_queue(&self) -> GpuPtr;
}

macro_rules! impl_views {
    ($($m:ident),*) => {$(
        impl QueueInfoView for agx_firmware_defs::variants::$m::QueueInfo {
            fn run_offsets(tag: CommandType) -> Option<RunOffsets> {
                use agx_firmware_defs::variants::$m as v;
                match tag {
                    CommandType::RunVertex => Some(run_offsets!(v::RunVertex)),
                    CommandType::RunFragment => Some(run_offsets!(v::RunFragment)),
                    CommandType::RunCompute => Some(run_offsets!(v::RunCompute)),
                    _ => None,
                }
            }
            fn state(&self) -> GpuPtr {
                self.state
            }
            fn ring(&self) -> GpuPtr {
                self.ring
            }
            fn gpu_context(&self) -> GpuPtr {
                self.gpu_context
            }
            fn event_id(&self) -> i32 {
                self.event_id
            }
            fn priority(&self) -> u32 {
                self.priority.level
            }
        }

        impl RunMsgView for agx_firmware_defs::variants::$m::RunWorkQueueMsg {
            fn work_queue(&self) -> GpuPtr {
                self.work_queue
            }
        }

        impl InitDataView for agx_firmware_defs::variants::$m::InitData {
            fn runtime_pointers(&self) -> GpuPtr {
                self.runtime_pointers
            }
            fn globals(&self) -> GpuPtr {
                self.globals
            }
            fn fw_status(&self) -> GpuPtr {
                self.fw_status
            }
            fn uat_geometry(&self) -> (u16, u8, u8) {
                (self.uat_page_size, self.uat_page_bits, self.uat_num_levels)
            }
        }

        impl RuntimePointersView for agx_firmware_defs::variants::$m::RuntimePointers {
            fn channels(&self) -> Vec<(ChannelId, ChannelRing)> {
                let mut v = Vec::new();
                for (priority, p) in (0u32..).zip(self.pipes.iter()) {
                    for (pipe, ring) in PipeType::ALL.into_iter().zip([p.vtx, p.frag, p.comp]) {
                        v.push((ChannelId::Pipe { pipe, priority }, ring));
                    }
                }
                v.push((ChannelId::DeviceControl, self.device_control));
                v.push((ChannelId::Event, self.event));
                v.push((ChannelId::FwLog, self.fw_log));
                v.push((ChannelId::KTrace, self.ktrace));
                v.push((ChannelId::Stats, self.stats));
                v
            }
            fn logs(&self) -> (ChannelRing, GpuPtr, ChannelRing) {
                (self.fw_log, self.fwlog_buf, self.ktrace)
            }
            fn hwdata(&self) -> (GpuPtr, GpuPtr) {
                (self.hwdata_a, self.hwdata_b)
            }
        }
    )*};
}

impl_views!(g13_v12_3, g13_v13_5, g14_v12_3, g14_v12_4, g14_v13_5);

pub(super) fn firmware(
    out: &mut String,
    dump: &Dump<'_>,
    info: &AgxDumpInfo,
    forced: Option<Variant>,
) {
    let variant = match forced {
        Some(v) => {
            let _ = writeln!(
                out,
                "Firmware structures (layout {}, forced)",
                variant_name(v)
            );
            v
        }
        None => match guess_variant(info) {
            Some(v) => {
                let _ = writeln!(
                    out,
                    "Firmware structures (layout {}, from G{} firmware {})",
                    variant_name(v),
                    info.gpu_gen,
                    firmware_version_string(&info.firmware_version)
                );
                v
            }
            None => {
                let _ = writeln!(
                    out,
                    "Firmware structures: no known layout for G{} firmware {} (use --variant)",
                    info.gpu_gen,
                    firmware_version_string(&info.firmware_version)
                );
                return;
            }
        },
    };
    let va = info.initdata_address;
    match variant_name(variant) {
        "g13_v12_3" => walk::<G13V12_3>(out, dump, va),
        "g13_v13_5" => walk::<G13V13_5>(out, dump, va),
        "g14_v12_3" => walk::<G14V12_3>(out, dump, va),
        "g14_v12_4" => walk::<G14V12_4>(out, dump, va),
        "g14_v13_5" => walk::<G14V13_5>(out, dump, va),
        _ => out.push_str("  no layout module for this variant\n"),
    }
}

/// The layouts of one variant the walk reads.
trait Layouts {
    type I: InitDataView;
    type R: RuntimePointersView;
    type Q: QueueInfoView;
    type M: RunMsgView;
    type A: HwDataAView;
    type B: HwDataBView;
    type G: GlobalsView;
}

macro_rules! layouts {
    ($($m:ident => $name:ident),*) => {$(
        struct $name;
        impl Layouts for $name {
            type I = agx_firmware_defs::variants::$m::InitData;
            type R = agx_firmware_defs::variants::$m::RuntimePointers;
            type Q = agx_firmware_defs::variants::$m::QueueInfo;
            type M = agx_firmware_defs::variants::$m::RunWorkQueueMsg;
            type A = agx_firmware_defs::variants::$m::HwDataA;
            type B = agx_firmware_defs::variants::$m::HwDataB;
            type G = agx_firmware_defs::variants::$m::Globals;
        }
    )*};
}

layouts!(
    g13_v12_3 => G13V12_3,
    g13_v13_5 => G13V13_5,
    g14_v12_3 => G14V12_3,
    g14_v12_4 => G14V12_4,
    g14_v13_5 => G14V13_5
);

fn walk<L: Layouts>(out: &mut String, dump: &Dump<'_>, va: u64) {
    walk_init::<L::I, L::R, L::Q, L::M>(out, dump, va);
    let Ok(init) = read_struct::<L::I>(dump, va) else {
        return;
    };
    if let Some(Ok(r)) = init
        .runtime_pointers()
        .get()
        .map(|rp| read_struct::<L::R>(dump, rp))
    {
        let (a, b) = r.hwdata();
        hwdata_a::<L::A>(out, dump, a);
        hwdata_b::<L::B>(out, dump, b);
    }
    globals::<L::G>(out, dump, init.globals());
}

fn walk_init<I: InitDataView, R: RuntimePointersView, Q: QueueInfoView, M: RunMsgView>(
    out: &mut String,
    dump: &Dump<'_>,
    va: u64,
) {
    let init: I = match read_struct(dump, va) {
        Ok(i) => i,
        Err(e) => {
            let _ = writeln!(out, "  InitData @ {va:#x}: {}", VaErrorDisplay(&e));
            return;
        }
    };
    let (page_size, page_bits, levels) = init.uat_geometry();
    let _ = writeln!(
        out,
        "  InitData @ {va:#x}: runtime_pointers {:#x}, globals {:#x}, fw_status {:#x}, uat page {page_size:#x} ({page_bits} bits, {levels} levels)",
        init.runtime_pointers().va(),
        init.globals().va(),
        init.fw_status().va()
    );
    match init.runtime_pointers().get() {
        None => out.push_str("  RuntimePointers: null pointer\n"),
        Some(rp) => match read_struct::<R>(dump, rp) {
            Err(e) => {
                let _ = writeln!(out, "  RuntimePointers @ {rp:#x}: {}", VaErrorDisplay(&e));
            }
            Ok(r) => {
                let _ = writeln!(out, "  RuntimePointers @ {rp:#x}: channels");
                let channels = r.channels();
                for &(id, ring) in &channels {
                    channel(out, dump, id, ring);
                }
                work_queues::<Q, M>(out, dump, &channels);
                let (fw_log, fwlog_buf, ktrace) = r.logs();
                firmware_log(out, dump, fw_log, fwlog_buf);
                ktrace_records(out, dump, ktrace);
            }
        },
    }
    match init.fw_status().get() {
        None => out.push_str("  FwStatus: null pointer\n"),
        Some(fs) => fw_status(out, dump, fs),
    }
}
