//! The model of what the kernel holds for a fuzzer's file (its VMs, GEM objects and syncobjs,
//! next to the queue ids in [`Fuzzer`]), and the choice of ids from it: live, recently
//! destroyed (stale) or edge values.

use super::Fuzzer;
use asahi_uapi::Mapping;
use std::ops::Range;

/// What a syncobj holds, as far as the model knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SyncState {
    /// No fence.
    Empty,
    /// A plain fence (signal, binary out-sync, signalled creation).
    Binary,
    /// A timeline chain whose highest point is this.
    Chain(u64),
    /// Aliased or transferred: not modelled any more.
    Weird,
}

pub(super) struct VmM {
    pub(super) id: u32,
    /// Model-unique (ids are reused, VM_PRIVATE binds to the VM itself).
    pub(super) serial: u64,
    pub(super) kernel: Range<u64>,
}

pub(super) struct Bo {
    pub(super) handle: u32,
    pub(super) size: u64,
    /// The serial of the VM a VM_PRIVATE object belongs to.
    pub(super) private: Option<u64>,
    pub(super) map: Option<Mapping>,
}

impl Fuzzer<'_> {
    /// A VM id: live (with its model index), stale, or an edge value.
    pub(super) fn pick_vm(&mut self) -> (u32, Option<usize>) {
        match self.rng.below(12) {
            0 => {
                let id = self.rng.pick(&self.dead_vms).copied().unwrap_or(0);
                (id, self.vms.iter().position(|v| v.id == id))
            }
            1 => {
                let id = self.rng.edge_u32();
                (id, self.vms.iter().position(|v| v.id == id))
            }
            _ => match self.rng.index(self.vms.len()) {
                Some(i) => (self.vms[i].id, Some(i)),
                None => (0, None),
            },
        }
    }

    pub(super) fn pick_id(&mut self, live: &[u32], dead: &[u32]) -> (u32, bool) {
        let id = match self.rng.below(12) {
            0 => self.rng.pick(dead).copied().unwrap_or(0),
            1 => self.rng.edge_u32(),
            _ => self.rng.pick(live).copied().unwrap_or(0),
        };
        (id, live.contains(&id))
    }

    pub(super) fn pick_bo(&mut self) -> (u32, Option<usize>) {
        let live: Vec<u32> = self.bos.iter().map(|b| b.handle).collect();
        let dead = self.dead_bos.clone();
        let (h, _) = self.pick_id(&live, &dead);
        (h, self.bos.iter().position(|b| b.handle == h))
    }

    pub(super) fn pick_sync(&mut self) -> (u32, Option<usize>) {
        let live: Vec<u32> = self.syncs.iter().map(|s| s.0).collect();
        let dead = self.dead_syncs.clone();
        let (h, _) = self.pick_id(&live, &dead);
        (h, self.syncs.iter().position(|s| s.0 == h))
    }

    pub(super) fn remember(dead: &mut Vec<u32>, id: u32) {
        dead.push(id);
        if dead.len() > 16 {
            dead.remove(0);
        }
    }
}
