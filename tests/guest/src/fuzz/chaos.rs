//! Chaos: loosely typed ioctls on the file shared by a process's fuzzers, whose only check is
//! the errno set (every verdict is unknown).

use super::verdict::{
    Verdict, A_CHAOS_QUEUE_CREATE, A_CHAOS_VM_CREATE, A_DESTROY, A_GEM_CLOSE, A_GEM_CREATE,
    A_SUBMIT, A_SYNCOBJ, A_VM_BIND,
};
use super::Fuzzer;
use crate::gpu::{self, CMD_VA, DATA_VA, PAGE};
use asahi_uapi::bindings::*;
use std::time::Instant;

impl Fuzzer<'_> {
    pub(super) fn chaos(&mut self) {
        let d = self.shared;
        let id = self.rng.range(0, 8) as u32;
        let t = Instant::now();
        let u = Verdict::Unknown;
        match self.rng.below(12) {
            0 => {
                let mut a = drm_asahi_vm_create {
                    kernel_start: self.params.vm_end - (32 << 30),
                    kernel_end: self.params.vm_end,
                    ..Default::default()
                };
                let r = d.vm_create(&mut a);
                self.judge("chaos VM_CREATE", A_CHAOS_VM_CREATE, u, t, &r, &a);
            }
            1 => {
                let a = drm_asahi_vm_destroy { vm_id: id, pad: 0 };
                let r = d.vm_destroy(&a);
                self.judge("chaos VM_DESTROY", A_DESTROY, u, t, &r, &a);
            }
            2 => {
                let mut a = drm_asahi_gem_create {
                    size: self.rng.range(1, 64 << 10),
                    ..Default::default()
                };
                let r = d.gem_create(&mut a);
                self.judge("chaos GEM_CREATE", A_GEM_CREATE, u, t, &r, &a);
            }
            3 => {
                let r = d.gem_close(id);
                self.judge("chaos GEM_CLOSE", A_GEM_CLOSE, u, t, &r, &id);
            }
            4 => {
                let o = drm_asahi_gem_bind_op {
                    flags: if self.rng.chance(1, 3) {
                        DRM_ASAHI_BIND_UNBIND
                    } else {
                        DRM_ASAHI_BIND_READ | DRM_ASAHI_BIND_WRITE
                    },
                    handle: self.rng.range(1, 8) as u32,
                    offset: 0,
                    range: PAGE * self.rng.range(1, 4),
                    addr: *self.rng.pick(&[CMD_VA, DATA_VA]).unwrap_or(&CMD_VA),
                };
                let o = if o.flags == DRM_ASAHI_BIND_UNBIND {
                    drm_asahi_gem_bind_op { handle: 0, ..o }
                } else {
                    o
                };
                let r = d.vm_bind(id, &[o]);
                self.judge("chaos VM_BIND", A_VM_BIND, u, t, &r, &o);
            }
            5 => {
                let mut a = drm_asahi_queue_create {
                    vm_id: id,
                    priority: DRM_ASAHI_PRIORITY_MEDIUM,
                    usc_exec_base: gpu::USC_BASE,
                    ..Default::default()
                };
                let r = d.queue_create(&mut a);
                self.judge("chaos QUEUE_CREATE", A_CHAOS_QUEUE_CREATE, u, t, &r, &a);
            }
            6 => {
                let a = drm_asahi_queue_destroy {
                    queue_id: id,
                    pad: 0,
                };
                let r = d.queue_destroy(&a);
                self.judge("chaos QUEUE_DESTROY", A_DESTROY, u, t, &r, &a);
            }
            7..=8 => {
                let s = self.gen_stream(false);
                let cmd = gpu::compute_cmd(s);
                let syncs = [gpu::sync(self.rng.range(1, 8) as u32)];
                let (ins, outs): (&[drm_asahi_sync], &[drm_asahi_sync]) = match self.rng.below(3) {
                    0 => (&syncs, &[]),
                    1 => (&[], &syncs),
                    _ => (&[], &[]),
                };
                let r = d.submit(id, ins, outs, &cmd);
                self.judge("chaos SUBMIT", A_SUBMIT, u, t, &r, &(id, ins, outs));
            }
            9 => {
                let r = d.syncobj_create(self.rng.below(2) as u32);
                self.judge("chaos SYNCOBJ_CREATE", A_SYNCOBJ, u, t, &r, &id);
            }
            10 => {
                let r = d.syncobj_destroy(id);
                self.judge("chaos SYNCOBJ_DESTROY", A_SYNCOBJ, u, t, &r, &id);
            }
            _ => {
                let r = d.syncobj_wait(
                    &[id],
                    gpu::deadline(10),
                    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
                );
                self.judge("chaos SYNCOBJ_WAIT", A_SYNCOBJ, u, t, &r, &id);
            }
        }
    }
}
