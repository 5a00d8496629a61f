//! QUEUE_CREATE and QUEUE_DESTROY: priorities, flags, exec bases and stale ids.

use super::verdict::{Verdict, A_DESTROY, A_QUEUE_CREATE};
use super::Fuzzer;
use asahi_uapi::bindings::*;
use std::time::Instant;

impl Fuzzer<'_> {
    pub(super) fn queue_create(&mut self) {
        let (vm_id, vm) = self.pick_vm();
        let mut v = Verdict::Valid.check(vm.is_some(), "stale VM id");
        let priority = match self.rng.below(10) {
            0 => {
                v = v.and(Verdict::Unknown);
                self.rng.range(2, 3) as u32
            }
            1 => {
                v = v.and(Verdict::Invalid("unknown priority"));
                self.rng.edge_u32().max(4)
            }
            2 => DRM_ASAHI_PRIORITY_LOW,
            _ => DRM_ASAHI_PRIORITY_MEDIUM,
        };
        let flags = if self.rng.chance(1, 12) {
            v = v.and(Verdict::Invalid("flags != 0"));
            self.rng.edge_u32().max(1)
        } else {
            0
        };
        let mut args = drm_asahi_queue_create {
            flags,
            vm_id,
            priority,
            queue_id: self.rng.next_u64() as u32,
            usc_exec_base: if self.rng.chance(1, 4) {
                self.rng.edge_u64()
            } else {
                crate::gpu::USC_BASE
            },
        };
        let t = Instant::now();
        let r = self.dev.queue_create(&mut args);
        if self.judge("QUEUE_CREATE", A_QUEUE_CREATE, v, t, &r, &args) {
            if self.queues.contains(&args.queue_id) {
                self.finding(format_args!(
                    "QUEUE_CREATE returned live id {}",
                    args.queue_id
                ));
            }
            self.queues.push(args.queue_id);
        }
    }

    pub(super) fn queue_destroy(&mut self) {
        let live = self.queues.clone();
        let dead = self.dead_queues.clone();
        let (queue_id, is_live) = self.pick_id(&live, &dead);
        let (pad, pv) = self.maybe_pad();
        let v = Verdict::Valid.check(is_live, "stale queue id").and(pv);
        let args = drm_asahi_queue_destroy { queue_id, pad };
        let t = Instant::now();
        let r = self.dev.queue_destroy(&args);
        if self.judge("QUEUE_DESTROY", A_DESTROY, v, t, &r, &args) {
            self.queues.retain(|q| *q != queue_id);
            Self::remember(&mut self.dead_queues, queue_id);
        }
    }
}
