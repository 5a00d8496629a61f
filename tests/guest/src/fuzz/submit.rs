//! SUBMIT: sync entries (with their verdict against the modelled syncobj state), the submit
//! arguments and their defects, and the model update of the out-syncs of an accepted submit.

use super::model::SyncState;
use super::verdict::{Verdict, A_SUBMIT};
use super::Fuzzer;
use crate::gpu;
use crate::guard::GuardBuf;
use asahi_uapi::bindings::*;
use std::time::Instant;

impl Fuzzer<'_> {
    /// One sync entry, its verdict, and the model update it implies when the submit succeeds.
    pub(super) fn gen_sync(&mut self, input: bool) -> (drm_asahi_sync, Verdict) {
        let (handle, idx) = if self.clean {
            // Live syncobjs only; inputs must hold a fence.
            let ok: Vec<usize> = (0..self.syncs.len())
                .filter(|i| !input || !matches!(self.syncs[*i].1, SyncState::Empty))
                .collect();
            match self.rng.pick(&ok) {
                Some(i) => (self.syncs[*i].0, Some(*i)),
                None => self.pick_sync(),
            }
        } else {
            self.pick_sync()
        };
        let state = idx.map(|i| self.syncs[i].1);
        let mut v = Verdict::Valid.check(idx.is_some(), "stale syncobj");
        let timeline = self.rng.chance(1, 2);
        let mut s = drm_asahi_sync {
            sync_type: if timeline {
                DRM_ASAHI_SYNC_TIMELINE_SYNCOBJ
            } else {
                DRM_ASAHI_SYNC_SYNCOBJ
            },
            handle,
            timeline_value: 0,
        };
        if timeline {
            s.timeline_value = match (input, state) {
                (true, Some(SyncState::Chain(m))) if m > 0 => self.rng.range(1, m),
                _ => self.rng.range(1, 1000),
            };
        }
        match if self.clean { 23 } else { self.rng.below(24) } {
            0 => {
                s.sync_type = self.rng.edge_u32().max(2);
                v = v.and(Verdict::Invalid("unknown sync type"));
            }
            1 if !timeline => {
                s.timeline_value = self.rng.edge_u64().max(1);
                v = v.and(Verdict::Invalid("binary sync with a timeline value"));
            }
            2 if timeline => s.timeline_value = 0,
            _ => {}
        }
        if input {
            let p = s.timeline_value;
            v = v.and(match (state, timeline) {
                (None, _) => Verdict::Invalid("stale syncobj"),
                (Some(SyncState::Weird), _) => Verdict::Unknown,
                (Some(SyncState::Empty), _) => Verdict::Invalid("in-sync without a fence"),
                (Some(_), false) | (Some(_), true) if p == 0 => Verdict::Valid,
                (Some(SyncState::Binary), true) => Verdict::Invalid("point on a binary fence"),
                (Some(SyncState::Chain(m)), true) if p > m => {
                    Verdict::Invalid("point beyond the timeline")
                }
                _ => Verdict::Valid,
            });
        } else if timeline && s.timeline_value == 0 {
            v = v.and(Verdict::Unknown);
        }
        (s, v)
    }

    pub(super) fn submit(&mut self) {
        self.clean = self.rng.chance(1, 2);
        self.submit_inner();
        self.clean = false;
    }

    pub(super) fn submit_inner(&mut self) {
        let live = self.queues.clone();
        let dead = self.dead_queues.clone();
        let (queue_id, is_live) = match self.rng.pick(&live) {
            Some(q) if self.clean => (*q, true),
            _ => self.pick_id(&live, &dead),
        };
        let mut v = Verdict::Valid.check(is_live, "stale queue id");
        let nin = if self.rng.chance(1, 3) {
            self.rng.range(1, 3)
        } else {
            0
        };
        let nout = if self.rng.chance(1, 2) {
            self.rng.range(1, 3)
        } else {
            0
        };
        let mut syncs = Vec::new();
        for i in 0..nin + nout {
            let (s, sv) = self.gen_sync(i < nin);
            v = v.and(sv);
            syncs.push(s);
        }
        let (cmd, cv) = self.gen_cmdbuf();
        v = v.and(cv);
        // SAFETY: `drm_asahi_sync` is plain integers without padding.
        let sync_bytes = unsafe {
            std::slice::from_raw_parts(
                syncs.as_ptr().cast::<u8>(),
                syncs.len() * std::mem::size_of::<drm_asahi_sync>(),
            )
        };
        let sg = GuardBuf::new(sync_bytes);
        let cg = GuardBuf::new(&cmd);
        // CAST: counts are small.
        let mut args = drm_asahi_submit {
            syncs: sg.as_ref().map_or(0, GuardBuf::addr),
            cmdbuf: cg.as_ref().map_or(0, GuardBuf::addr),
            flags: 0,
            queue_id,
            in_sync_count: nin as u32,
            out_sync_count: nout as u32,
            cmdbuf_size: cmd.len() as u32,
            pad: 0,
        };
        match if self.clean { 31 } else { self.rng.below(32) } {
            0 => {
                args.flags = self.rng.edge_u32().max(1);
                v = v.and(Verdict::Invalid("flags != 0"));
            }
            1 => {
                args.pad = self.rng.edge_u32().max(1);
                v = v.and(Verdict::Invalid("pad != 0"));
            }
            2 => {
                args.in_sync_count = u32::MAX;
                v = v.and(Verdict::Invalid("sync count overflow"));
            }
            3 => {
                args.out_sync_count += 1;
                v = v.and(Verdict::Invalid("syncs beyond the user buffer"));
            }
            4 => {
                args.cmdbuf_size +=
                    1 + self.rng.below(u64::from(u32::MAX - args.cmdbuf_size)) as u32;
                v = v.and(Verdict::Invalid("cmdbuf_size beyond the user buffer"));
            }
            5 => {
                args.cmdbuf_size = 0;
                v = v.and(Verdict::Invalid("empty command buffer"));
            }
            6 => {
                args.cmdbuf = *self.rng.pick(&[0, 8, 0xffff_8000_0000_0000]).unwrap_or(&0);
                v = v.and(Verdict::Invalid("bad cmdbuf pointer"));
            }
            7 if nin + nout > 0 => {
                args.syncs = *self.rng.pick(&[0, 8, 0xffff_8000_0000_0000]).unwrap_or(&0);
                v = v.and(Verdict::Invalid("bad syncs pointer"));
            }
            _ => {}
        }
        let t = Instant::now();
        let r = self.dev.submit_raw(&args);
        if self.judge("SUBMIT", A_SUBMIT, v, t, &r, &(args, &syncs)) {
            self.stats.jobs += 1;
            for s in &syncs[nin as usize..] {
                if let Some(e) = self.syncs.iter_mut().find(|e| e.0 == s.handle) {
                    e.1 = match (s.sync_type, e.1) {
                        (_, SyncState::Weird) => SyncState::Weird,
                        (DRM_ASAHI_SYNC_SYNCOBJ, _) => SyncState::Binary,
                        (_, _) if s.timeline_value == 0 => SyncState::Weird,
                        (_, SyncState::Chain(m)) => SyncState::Chain(m.max(s.timeline_value)),
                        _ => SyncState::Chain(s.timeline_value),
                    };
                }
            }
            // Now and then, let the GPU catch up (bounded).
            if self.stats.jobs % 32 == 0 {
                if let Some(s) = syncs[nin as usize..]
                    .iter()
                    .find(|s| s.sync_type == DRM_ASAHI_SYNC_SYNCOBJ)
                {
                    let _ = self.dev.syncobj_wait(&[s.handle], gpu::deadline(2000), 0);
                }
            }
        }
    }
}
