//! VM_BIND: GPU addresses, bind and unbind ops (with one defect or none), the verdict of an op
//! against the model, and the op array (stride, count, user pointer).

use super::verdict::{Verdict, A_VM_BIND};
use super::{aligned, Fuzzer, BUF_SIZE};
use crate::gpu::{CMD_VA, DATA_VA, PAGE};
use crate::guard::GuardBuf;
use asahi_uapi::bindings::*;
use std::time::Instant;

/// Where fuzzed binds go: 256 slots of 16 MiB from 4 GiB.
const BIND_BASE: u64 = 1 << 32;

impl Fuzzer<'_> {
    /// A GPU address for a bind: a slot, the standard buffers, or an edge.
    pub(super) fn pick_va(&mut self, vm: Option<usize>) -> u64 {
        let k = vm.map(|i| self.vms[i].kernel.clone()).unwrap_or(0..0);
        let va = match self.rng.below(16) {
            0 => DATA_VA,
            1 => CMD_VA,
            2 => *self
                .rng
                .pick(&[
                    0,
                    self.params.vm_start,
                    self.params.vm_start - PAGE,
                    self.params.vm_end - PAGE,
                    self.params.vm_end,
                    1 << 39,
                    !(PAGE - 1),
                    k.start,
                    k.start.wrapping_sub(PAGE),
                    k.end.wrapping_sub(PAGE),
                ])
                .unwrap_or(&0),
            _ => BIND_BASE + self.rng.below(256) * (16 << 20) + self.rng.below(4) * PAGE,
        };
        if self.rng.chance(1, 24) {
            va.wrapping_add(*self.rng.pick(&[1, 0x1000, PAGE / 2]).unwrap_or(&1))
        } else {
            va
        }
    }

    pub(super) fn gen_bind_op(&mut self, vm: Option<usize>) -> drm_asahi_gem_bind_op {
        let addr = self.pick_va(vm);
        if self.rng.chance(1, 4) {
            let mut o = drm_asahi_gem_bind_op {
                flags: DRM_ASAHI_BIND_UNBIND,
                handle: 0,
                offset: 0,
                range: self.rng.range(1, 64) * PAGE,
                addr,
            };
            match self.rng.below(16) {
                0 => o.handle = self.rng.edge_u32().max(1),
                1 => o.offset = PAGE,
                2 => o.flags |= DRM_ASAHI_BIND_READ,
                3 => o.range = self.rng.edge_u64(),
                _ => {}
            }
            return o;
        }
        let (handle, bo) = self.pick_bo();
        let size = bo.map_or(BUF_SIZE, |i| self.bos[i].size);
        let pages = size / PAGE;
        let n = self.rng.range(1, pages.min(16));
        let mut flags = match self.rng.below(8) {
            0 => DRM_ASAHI_BIND_READ,
            1 => DRM_ASAHI_BIND_WRITE,
            _ => DRM_ASAHI_BIND_READ | DRM_ASAHI_BIND_WRITE,
        };
        if self.rng.chance(1, 8) {
            flags |= DRM_ASAHI_BIND_SINGLE_PAGE;
        }
        let mut o = drm_asahi_gem_bind_op {
            flags,
            handle,
            offset: self.rng.below(pages - n + 1) * PAGE,
            range: n * PAGE,
            addr,
        };
        match self.rng.below(24) {
            0 => o.flags = 0,
            1 => o.flags |= 1 << self.rng.range(4, 31),
            2 => o.range = self.rng.edge_u64(),
            3 => o.offset = self.rng.edge_u64(),
            4 => o.offset = size,
            5 => o.range += 0x1000,
            6 => o.range = size + PAGE,
            // Overflow of addr + range.
            7 => {
                o.addr = !(PAGE - 1);
                o.range = 2 * PAGE;
            }
            // Overflow of offset + range.
            8 => {
                o.offset = !(PAGE - 1);
                o.range = 2 * PAGE;
            }
            _ => {}
        }
        o
    }

    /// The verdict of one bind op in the VM at model index `vm`.
    pub(super) fn op_verdict(&self, o: &drm_asahi_gem_bind_op, vm: Option<usize>) -> Verdict {
        const KNOWN: u32 = DRM_ASAHI_BIND_UNBIND
            | DRM_ASAHI_BIND_READ
            | DRM_ASAHI_BIND_WRITE
            | DRM_ASAHI_BIND_SINGLE_PAGE;
        let Some(vm) = vm.map(|i| &self.vms[i]) else {
            return Verdict::Invalid("stale VM id");
        };
        let mut v = Verdict::Valid
            .check(o.flags & !KNOWN == 0, "unknown bind flag")
            .check(
                aligned(o.addr) && aligned(o.range) && aligned(o.offset),
                "misaligned bind",
            )
            .check(o.range != 0, "empty range");
        let Some(end) = o.addr.checked_add(o.range) else {
            return Verdict::Invalid("addr + range overflows");
        };
        v = v
            .check(
                o.addr >= self.params.vm_start && end <= self.params.vm_end,
                "range outside the VM",
            )
            .check(
                !(o.addr < vm.kernel.end && vm.kernel.start < end),
                "range in the kernel window",
            );
        if o.flags & DRM_ASAHI_BIND_UNBIND != 0 {
            return v.check(
                o.flags == DRM_ASAHI_BIND_UNBIND && o.handle == 0 && o.offset == 0,
                "unbind with map fields",
            );
        }
        v = v.check(
            o.flags & (DRM_ASAHI_BIND_READ | DRM_ASAHI_BIND_WRITE) != 0,
            "map without READ or WRITE",
        );
        let Some(bo) = self.bos.iter().find(|b| b.handle == o.handle) else {
            return v.and(Verdict::Invalid("stale handle"));
        };
        let used = if o.flags & DRM_ASAHI_BIND_SINGLE_PAGE != 0 {
            PAGE
        } else {
            o.range
        };
        match o.offset.checked_add(used) {
            Some(e) if e <= bo.size => {}
            _ => return v.and(Verdict::Invalid("offset + range past the object")),
        }
        v.check(
            bo.private.is_none_or(|p| p == vm.serial),
            "private object of another VM",
        )
    }

    pub(super) fn vm_bind(&mut self) {
        let (vm_id, vm) = self.pick_vm();
        let n = match self.rng.below(16) {
            0 => 0,
            1 => 16,
            _ => self.rng.range(1, 4),
        };
        let ops: Vec<drm_asahi_gem_bind_op> = (0..n).map(|_| self.gen_bind_op(vm)).collect();
        let size = std::mem::size_of::<drm_asahi_gem_bind_op>();
        // CAST: the stride choices are small or deliberate edges.
        let stride = match self.rng.below(24) {
            0 => 32,
            1 => 48,
            2 => 64,
            3 => 0,
            4 => 1,
            5 => 41,
            6 => 4096,
            7 => u32::MAX,
            8 => 1 << 31,
            _ => size as u32,
        };
        let mut v = Verdict::Valid;
        let mut bytes = Vec::new();
        let small = (stride as usize) <= 4096;
        if small {
            for o in &ops {
                // SAFETY: `drm_asahi_gem_bind_op` is plain integers without padding.
                let raw = unsafe {
                    std::slice::from_raw_parts(
                        (o as *const drm_asahi_gem_bind_op).cast::<u8>(),
                        size,
                    )
                };
                let s = stride as usize;
                let mut chunk = vec![0u8; s];
                let k = s.min(size);
                chunk[..k].copy_from_slice(&raw[..k]);
                let mut eff = drm_asahi_gem_bind_op::default();
                // SAFETY: Zero-extension of the first `k` bytes into a plain-data struct.
                unsafe {
                    std::ptr::copy_nonoverlapping(raw.as_ptr(), (&raw mut eff).cast::<u8>(), k);
                }
                if s > size && self.rng.chance(1, 6) {
                    chunk[s - 1] = 1;
                    v = v.and(Verdict::Invalid("non-zero tail past the op"));
                }
                v = v.and(self.op_verdict(&eff, vm));
                bytes.extend_from_slice(&chunk);
            }
        }
        if stride == 0 {
            v = if n == 0 {
                Verdict::Unknown
            } else {
                Verdict::Invalid("stride 0")
            };
        }
        let mut num_binds = n;
        let guard = GuardBuf::new(&bytes);
        let mut userptr = guard.as_ref().map_or(0, GuardBuf::addr);
        match self.rng.below(20) {
            0 if n > 0 => {
                num_binds = n + 1;
            }
            1 if n > 0 => num_binds = u32::MAX as u64,
            2 if n > 0 => num_binds = 65537,
            3 if n > 0 => {
                userptr = *self.rng.pick(&[0, 8, 0xffff_8000_0000_0000]).unwrap_or(&0);
            }
            _ => {}
        }
        // CAST: `num_binds` was chosen to fit in a u32.
        let num_binds = num_binds as u32;
        if (!small || num_binds != n as u32 || userptr != guard.as_ref().map_or(0, GuardBuf::addr))
            && num_binds > 0
            && stride != 0
        {
            // The kernel would read past the guarded bytes (or from nowhere).
            v = v.and(Verdict::Invalid("ops beyond the user buffer"));
        }
        if vm.is_none() {
            v = v.and(Verdict::Invalid("stale VM id"));
        }
        let (pad, pv) = self.maybe_pad();
        let args = drm_asahi_vm_bind {
            vm_id,
            num_binds,
            stride,
            pad,
            userptr,
        };
        let t = Instant::now();
        let r = self.dev.vm_bind_raw(&args);
        self.judge("VM_BIND", A_VM_BIND, v.and(pv), t, &r, &(args, &ops));
    }
}
