//! VM_CREATE and VM_DESTROY: kernel windows (valid, misaligned, reversed, outside the VM), the
//! standard command and data buffer mappings of a new VM, and stale VM ids.

use super::model::VmM;
use super::verdict::{Verdict, A_DESTROY, A_VM_BIND, A_VM_CREATE};
use super::{aligned, Fuzzer, BUF_SIZE};
use crate::gpu::{CMD_VA, DATA_VA, PAGE};
use asahi_uapi::bindings::*;
use std::time::Instant;

impl Fuzzer<'_> {
    pub(super) fn vm_window(&mut self) -> (u64, u64, Verdict) {
        let (s, e, min) = (
            self.params.vm_start,
            self.params.vm_end,
            self.params.vm_kernel_min_size,
        );
        let (ks, ke) = match self.rng.below(12) {
            0..=4 => (e - (32 << 30), e),
            5 => (s, s + min),
            6 => {
                let start = s + self.rng.below((e - s - min) / PAGE) * PAGE;
                let len = min + self.rng.below((e - start - min) / PAGE + 1) * PAGE;
                (start, start + len)
            }
            7 => (
                e - (32 << 30) + *self.rng.pick(&[1, 0x1000, PAGE - 1]).unwrap_or(&1),
                e,
            ),
            8 => (e, e - (32 << 30)),
            9 => (e - min + PAGE, e),
            10 => (s - PAGE, s - PAGE + min),
            _ => (self.rng.edge_u64(), self.rng.edge_u64()),
        };
        let v = Verdict::Valid
            .check(aligned(ks) && aligned(ke), "misaligned kernel window")
            .check(ks >= s && ke <= e, "kernel window outside the VM")
            .check(
                ks < ke && ke - ks >= min,
                "kernel window too small or reversed",
            );
        (ks, ke, v)
    }

    pub(super) fn vm_create(&mut self) {
        let (kernel_start, kernel_end, v) = self.vm_window();
        let (pad, pv) = self.maybe_pad();
        let mut args = drm_asahi_vm_create {
            kernel_start,
            kernel_end,
            vm_id: self.rng.edge_u32(),
            pad,
        };
        let t = Instant::now();
        let r = self.dev.vm_create(&mut args);
        if !self.judge("VM_CREATE", A_VM_CREATE, v.and(pv), t, &r, &args) {
            return;
        }
        if self.vms.iter().any(|m| m.id == args.vm_id) {
            self.finding(format_args!("VM_CREATE returned live id {}", args.vm_id));
        }
        let vm = VmM {
            id: args.vm_id,
            serial: self.next_serial,
            kernel: kernel_start..kernel_end,
        };
        self.next_serial += 1;
        // Map the command and data buffers where streams expect them, when the window allows.
        let ro = DRM_ASAHI_BIND_READ;
        let rw = DRM_ASAHI_BIND_READ | DRM_ASAHI_BIND_WRITE;
        let ops = [(self.cmd.0, CMD_VA, ro), (self.data, DATA_VA, rw)];
        self.vms.push(vm);
        for (handle, addr, flags) in ops {
            let o = drm_asahi_gem_bind_op {
                flags,
                handle,
                offset: 0,
                range: BUF_SIZE,
                addr,
            };
            let idx = self.vms.len() - 1;
            let v = self.op_verdict(&o, Some(idx));
            let t = Instant::now();
            let r = self.dev.vm_bind(args.vm_id, &[o]);
            self.judge("VM_BIND (setup)", A_VM_BIND, v, t, &r, &o);
        }
    }

    pub(super) fn vm_destroy(&mut self) {
        let (vm_id, idx) = self.pick_vm();
        let (pad, pv) = self.maybe_pad();
        let v = Verdict::Valid.check(idx.is_some(), "stale VM id").and(pv);
        let args = drm_asahi_vm_destroy { vm_id, pad };
        let t = Instant::now();
        let r = self.dev.vm_destroy(&args);
        if self.judge("VM_DESTROY", A_DESTROY, v, t, &r, &args) {
            if let Some(i) = idx {
                self.vms.remove(i);
            }
            Self::remember(&mut self.dead_vms, vm_id);
        }
    }
}
