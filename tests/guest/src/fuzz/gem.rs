//! GEM objects: GEM_CREATE (sizes, flags, VM-private objects, zeroed new memory), GEM_CLOSE,
//! GEM_MMAP_OFFSET, GEM_BIND_OBJECT, and CPU access through the objects' mappings.

use super::model::Bo;
use super::verdict::{Verdict, A_BIND_OBJECT, A_GEM_CLOSE, A_GEM_CREATE, A_MMAP_OFFSET};
use super::Fuzzer;
use crate::gpu::PAGE;
use asahi_uapi::bindings::*;
use std::time::Instant;

impl Fuzzer<'_> {
    pub(super) fn gem_create(&mut self) {
        let mut v = Verdict::Valid;
        let size = match self.rng.below(16) {
            0 => {
                v = Verdict::Invalid("size 0");
                0
            }
            1 => {
                v = Verdict::Invalid("size overflows");
                u64::MAX - self.rng.below(PAGE)
            }
            2 => self.rng.range(1, 4 << 20),
            3 => PAGE * self.rng.range(1, 8) + self.rng.below(2),
            _ => self.rng.range(1, 128 << 10),
        };
        let mut flags = match self.rng.below(4) {
            0 => DRM_ASAHI_GEM_WRITEBACK,
            1 => DRM_ASAHI_GEM_VM_PRIVATE,
            _ => 0,
        };
        if self.rng.chance(1, 16) {
            flags |= 1 << self.rng.range(2, 31);
            v = v.and(Verdict::Invalid("unknown GEM flag"));
        }
        let mut private = None;
        let vm_id = if flags & DRM_ASAHI_GEM_VM_PRIVATE != 0 {
            let (id, idx) = self.pick_vm();
            v = v.check(idx.is_some(), "VM_PRIVATE with a stale VM");
            private = idx.map(|i| self.vms[i].serial);
            id
        } else if self.rng.chance(1, 16) {
            // A vm_id without VM_PRIVATE: the kernel refuses it; upstream says nothing.
            v = v.and(Verdict::Unknown);
            self.rng.edge_u32()
        } else {
            0
        };
        let (pad, pv) = self.maybe_pad();
        let mut args = drm_asahi_gem_create {
            size,
            flags,
            vm_id,
            handle: self.rng.next_u64() as u32,
            pad,
        };
        let t = Instant::now();
        let r = self.dev.gem_create(&mut args);
        if !self.judge("GEM_CREATE", A_GEM_CREATE, v.and(pv), t, &r, &args) {
            return;
        }
        if self.bos.iter().any(|b| b.handle == args.handle) {
            self.finding(format_args!(
                "GEM_CREATE returned live handle {}",
                args.handle
            ));
        }
        let mut bo = Bo {
            handle: args.handle,
            size: size.next_multiple_of(PAGE),
            private,
            map: None,
        };
        // New memory must read as zero (sampled).
        if self.rng.chance(1, 3) {
            let mut o = drm_asahi_gem_mmap_offset {
                handle: bo.handle,
                flags: 0,
                offset: 0,
            };
            if let Ok(m) = self
                .dev
                .gem_mmap_offset(&mut o)
                .and_then(|_| self.dev.mmap(o.offset, bo.size as usize))
            {
                let mut b = [0u8; 64];
                let mut dirty = false;
                for _ in 0..4 {
                    let at = self.rng.below(bo.size - 64) as usize;
                    m.read(at, &mut b);
                    dirty |= b.iter().any(|x| *x != 0);
                }
                if dirty {
                    self.finding(format_args!("new GEM object {} is not zeroed", bo.handle));
                }
                bo.map = Some(m);
            }
        }
        self.bos.push(bo);
    }

    pub(super) fn gem_close(&mut self) {
        let (handle, idx) = self.pick_bo();
        if idx.is_some() && (handle == self.cmd.0 || handle == self.data) {
            return;
        }
        let v = Verdict::Valid.check(idx.is_some(), "stale handle");
        let t = Instant::now();
        let r = self.dev.gem_close(handle);
        if self.judge("GEM_CLOSE", A_GEM_CLOSE, v, t, &r, &handle) {
            if let Some(i) = idx {
                self.bos.remove(i);
            }
            Self::remember(&mut self.dead_bos, handle);
        }
    }

    pub(super) fn gem_mmap_offset(&mut self) {
        let (handle, idx) = self.pick_bo();
        let mut v = Verdict::Valid.check(idx.is_some(), "stale handle");
        let flags = if self.rng.chance(1, 10) {
            v = v.and(Verdict::Invalid("flags != 0"));
            self.rng.edge_u32().max(1)
        } else {
            0
        };
        let mut args = drm_asahi_gem_mmap_offset {
            handle,
            flags,
            offset: 0,
        };
        let t = Instant::now();
        let r = self.dev.gem_mmap_offset(&mut args);
        if self.judge("GEM_MMAP_OFFSET", A_MMAP_OFFSET, v, t, &r, &args) {
            if let Some(i) = idx {
                if self.bos[i].map.is_none() {
                    // The offset must be mappable for the object's size.
                    let m = self.dev.mmap(args.offset, self.bos[i].size as usize);
                    match m {
                        Ok(m) => self.bos[i].map = Some(m),
                        Err(e) => self.finding(format_args!("mmap of a valid offset: {e}")),
                    }
                }
            }
        }
    }

    pub(super) fn bind_object(&mut self) {
        let (pad, pv) = self.maybe_pad();
        let (handle, _) = self.pick_bo();
        let (vm_id, _) = self.pick_vm();
        let mut args = drm_asahi_gem_bind_object {
            op: self.rng.below(3) as u32,
            flags: self.rng.below(3) as u32,
            handle,
            vm_id,
            offset: self.rng.below(4) * PAGE,
            range: self.rng.range(1, 4) * PAGE,
            object_handle: self.rng.edge_u32(),
            pad,
        };
        let t = Instant::now();
        let r = self.dev.gem_bind_object(&mut args);
        let v = Verdict::Unknown.and(pv);
        self.judge("GEM_BIND_OBJECT", A_BIND_OBJECT, v, t, &r, &args);
    }

    // ---- CPU access ------------------------------------------------------------------------

    pub(super) fn cpu_touch(&mut self) {
        let Some(i) = self.rng.index(self.bos.len()) else {
            return;
        };
        let at = self.rng.below(self.bos[i].size - 8) as usize;
        let v = self.rng.next_u64().to_le_bytes();
        if let Some(m) = &self.bos[i].map {
            m.write(at, &v);
            let mut b = [0u8; 8];
            m.read(at, &mut b);
        } else if self.rng.chance(1, 4) {
            self.bos[i].map = None;
        }
        if self.rng.chance(1, 8) {
            // Drop a CPU mapping (munmap) while the GPU may still use the object.
            self.bos[i].map = None;
        }
    }
}
