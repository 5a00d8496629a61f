// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The buffers the runtime pointers name besides the channels and HwDataA/B: the vertex,
//! fragment and compute statistics the firmware keeps (and that the Start and Finalize ops of
//! every command point into), and the unknown buffers downstream allocates for
//! `unkptr_190`/`198`/`1b8`/`1c0`/`1c8` and the init data's `unk_buf`.
//!
//! Sources: downstream `initdata.rs` `runtime_pointers` (stats in the private heap,
//! `array_empty_tagged` unknown buffers with tags I190, I198, I1B8, I1C0, I1C8) and `build`
//! (`unk_buf`, tag IDTA, shared); the sizes and fields are `firmware-defs`'s
//! (`hwdata::unk_buffer_size`, `GpuGlobalStatsVtx`, `GpuGlobalStatsFrag`, `GpuStatsComp`).
//! The fragment statistics' `cur_stamp_id` and `unk_id` are -1 at boot, as downstream sets them.
//!
//! Owned by [`super::FwBoot`] for the GPU's lifetime; takes no lock of its own.

use crate::fw::hwdata::{unk_buffer_size as size, GpuGlobalStatsVtx, GpuStatsComp};
use crate::fw::types::GpuPtr;
use crate::fw::variants::g13_v13_5 as fwv;
use crate::fwalloc::{FwAlloc, FwAllocator, HeapKind};
use core::mem::{offset_of, size_of};
use kernel::prelude::*;
use kernel::sync::Arc;

/// Where the commands' microsequences point for statistics.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct StatsPointers {
    /// The vertex statistics' inner block (`stats_vtx` + 4; reference §5.1).
    pub(crate) vtx: u64,
    /// The fragment statistics' inner block (`stats_frag` + 8).
    pub(crate) frag: u64,
    /// The compute statistics.
    pub(crate) comp: u64,
}

/// The runtime pointers' statistics and unknown buffers.
pub(crate) struct RuntimeBuffers {
    stats_vtx: FwAlloc,
    stats_frag: FwAlloc,
    stats_comp: FwAlloc,
    unk: [FwAlloc; 5],
    unk_buf: FwAlloc,
}

impl RuntimeBuffers {
    /// Allocates them zeroed (the fragment statistics' ids at -1). Process context, at boot.
    pub(crate) fn new(fw: &Arc<FwAllocator>) -> Result<Self> {
        let private = |n: usize| fw.alloc(HeapKind::Private, n);
        let stats_frag = private(size_of::<fwv::GpuGlobalStatsFrag>())?;
        for field in [
            offset_of!(fwv::GpuGlobalStatsFrag, cur_stamp_id),
            offset_of!(fwv::GpuGlobalStatsFrag, unk_id),
        ] {
            stats_frag.store_u32(field, u32::MAX);
        }
        Ok(Self {
            stats_vtx: private(size_of::<GpuGlobalStatsVtx>())?,
            stats_frag,
            stats_comp: private(size_of::<GpuStatsComp>())?,
            unk: [
                private(size::UNKPTR_190)?,
                private(size::UNKPTR_198)?,
                private(size::UNKPTR_1B8)?,
                private(size::UNKPTR_1C0)?,
                private(size::UNKPTR_1C8)?,
            ],
            unk_buf: fw.alloc(HeapKind::Shared, size::INITDATA_UNK_BUF)?,
        })
    }

    /// Points the runtime pointers at them.
    pub(crate) fn fill(&self, rp: &mut fwv::RuntimePointers) {
        rp.stats_vtx = GpuPtr::new(self.stats_vtx.va());
        rp.stats_frag = GpuPtr::new(self.stats_frag.va());
        rp.stats_comp = GpuPtr::new(self.stats_comp.va());
        let [a, b, c, d, e] = &self.unk;
        rp.unkptr_190 = GpuPtr::new(a.va());
        rp.unkptr_198 = GpuPtr::new(b.va());
        rp.unkptr_1b8 = GpuPtr::new(c.va());
        rp.unkptr_1c0 = GpuPtr::new(d.va());
        rp.unkptr_1c8 = GpuPtr::new(e.va());
    }

    /// The init data's `unk_buf`.
    pub(crate) fn unk_buf(&self) -> u64 {
        self.unk_buf.va()
    }

    /// What the commands' Start and Finalize ops name.
    pub(crate) fn stats(&self) -> StatsPointers {
        StatsPointers {
            vtx: self.stats_vtx.va() + crate::fw::hwdata::STATS_VTX_INNER_OFFSET,
            frag: self.stats_frag.va() + fwv::STATS_FRAG_INNER_OFFSET,
            comp: self.stats_comp.va(),
        }
    }
}
