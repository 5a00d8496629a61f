//! Syncobjs: SYNCOBJ_CREATE/DESTROY, the waits, SIGNAL/RESET (timeline or binary), QUERY,
//! TRANSFER and the fd/sync-file round trips, and the updates of the modelled syncobj state.

use super::model::SyncState;
use super::verdict::{Verdict, A_SYNCOBJ};
use super::Fuzzer;
use crate::gpu;
use asahi_uapi::bindings::*;
use asahi_uapi::ioctl;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

/// `DRM_IOCTL_SYNCOBJ_TRANSFER` (not in the uAPI crate).
const SYNCOBJ_TRANSFER: u32 = ioctl::drm_iowr::<SyncobjTransfer>(0xcc);

/// `struct drm_syncobj_transfer`.
#[repr(C)]
#[derive(Debug, Default)]
struct SyncobjTransfer {
    src_handle: u32,
    dst_handle: u32,
    src_point: u64,
    dst_point: u64,
    flags: u32,
    pad: u32,
}

impl Fuzzer<'_> {
    pub(super) fn syncobj_create(&mut self) {
        let (flags, v) = match self.rng.below(10) {
            0 => (
                self.rng.edge_u32() | 2,
                Verdict::Invalid("unknown syncobj flag"),
            ),
            1..=3 => (DRM_SYNCOBJ_CREATE_SIGNALED, Verdict::Valid),
            _ => (0, Verdict::Valid),
        };
        let t = Instant::now();
        let r = self.dev.syncobj_create(flags);
        if self.judge("SYNCOBJ_CREATE", A_SYNCOBJ, v, t, &r, &flags) {
            if let Ok(h) = r {
                if self.syncs.iter().any(|s| s.0 == h) {
                    self.finding(format_args!("SYNCOBJ_CREATE returned live handle {h}"));
                }
                let st = if flags != 0 {
                    SyncState::Binary
                } else {
                    SyncState::Empty
                };
                self.syncs.push((h, st));
            }
        }
    }

    pub(super) fn syncobj_destroy(&mut self) {
        let (h, idx) = self.pick_sync();
        let v = Verdict::Valid.check(idx.is_some(), "stale syncobj");
        let t = Instant::now();
        let r = self.dev.syncobj_destroy(h);
        if self.judge("SYNCOBJ_DESTROY", A_SYNCOBJ, v, t, &r, &h) {
            if let Some(i) = idx {
                self.syncs.remove(i);
            }
            Self::remember(&mut self.dead_syncs, h);
        }
    }

    pub(super) fn sync_list(&mut self) -> (Vec<u32>, Verdict) {
        let n = match self.rng.below(16) {
            0 => 0,
            1 => 16,
            _ => self.rng.range(1, 3),
        };
        let mut v = Verdict::Valid;
        let hs = (0..n)
            .map(|_| {
                let (h, i) = self.pick_sync();
                v = v.check(i.is_some(), "stale syncobj");
                h
            })
            .collect();
        (hs, v)
    }

    pub(super) fn syncobj_wait(&mut self) {
        let (hs, mut v) = self.sync_list();
        v = v.and(Verdict::Unknown);
        let flags = (self.rng.below(8) as u32)
            & (DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL
                | DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT
                | DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE);
        // Absolute deadlines only, never far off: every wait returns promptly.
        let budget_ms = *self.rng.pick(&[0i64, -1000, 1, 20, 200]).unwrap_or(&0);
        let timeout = if budget_ms == 0 && self.rng.chance(1, 2) {
            0
        } else {
            gpu::deadline(budget_ms)
        };
        let timeline = self.rng.chance(1, 2);
        let t = Instant::now();
        let r = if timeline {
            let points: Vec<u64> = hs.iter().map(|_| self.rng.below(1000)).collect();
            self.dev.syncobj_timeline_wait(&hs, &points, timeout, flags)
        } else {
            self.dev
                .syncobj_wait(&hs, timeout, flags & !DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE)
        };
        let took = t.elapsed();
        if took > Duration::from_millis(budget_ms.max(0) as u64 + 3000) {
            self.finding(format_args!(
                "syncobj wait for {budget_ms} ms took {took:?} ({hs:?}, flags {flags})"
            ));
        }
        self.judge("SYNCOBJ_WAIT", A_SYNCOBJ, v, t, &r, &(hs, flags, timeline));
    }

    pub(super) fn syncobj_signal_reset(&mut self) {
        let (hs, v) = self.sync_list();
        let kind = self.rng.below(3);
        let t = Instant::now();
        let points: Vec<u64> = hs.iter().map(|_| self.rng.below(100)).collect();
        let r = match kind {
            0 => self.dev.syncobj_signal(&hs),
            1 => self.dev.syncobj_reset(&hs),
            _ => self.dev.syncobj_timeline_signal(&hs, &points),
        };
        // An empty list is refused by the core for some of these: not modelled.
        let v = if hs.is_empty() { Verdict::Unknown } else { v };
        if self.judge(
            "SYNCOBJ_SIGNAL/RESET",
            A_SYNCOBJ,
            v,
            t,
            &r,
            &(kind, &hs, &points),
        ) {
            for (i, h) in hs.iter().enumerate() {
                if let Some(e) = self.syncs.iter_mut().find(|e| e.0 == *h) {
                    e.1 = match (kind, e.1) {
                        (_, SyncState::Weird) => SyncState::Weird,
                        (0, _) => SyncState::Binary,
                        (1, _) => SyncState::Empty,
                        _ if points[i] == 0 => SyncState::Binary,
                        (_, SyncState::Chain(m)) => SyncState::Chain(m.max(points[i])),
                        _ => SyncState::Chain(points[i]),
                    };
                }
            }
        }
    }

    pub(super) fn syncobj_query_transfer(&mut self) {
        if self.rng.chance(1, 2) {
            let (hs, v) = self.sync_list();
            let flags = (self.rng.below(2) as u32) | if self.rng.chance(1, 12) { 2 } else { 0 };
            let v = if hs.is_empty() { Verdict::Unknown } else { v };
            let t = Instant::now();
            let r = self.dev.syncobj_query(&hs, flags);
            self.judge(
                "SYNCOBJ_QUERY",
                A_SYNCOBJ,
                v.and(Verdict::Unknown),
                t,
                &r,
                &(hs, flags),
            );
            return;
        }
        let (src, si) = self.pick_sync();
        let (dst, di) = self.pick_sync();
        let mut args = SyncobjTransfer {
            src_handle: src,
            dst_handle: dst,
            src_point: self.rng.below(4),
            dst_point: self.rng.below(4),
            flags: (self.rng.below(4) as u32) & DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
            pad: 0,
        };
        let v = Verdict::Unknown
            .check(si.is_some() && di.is_some(), "stale syncobj")
            .and(Verdict::Unknown);
        let t = Instant::now();
        // SAFETY: `SyncobjTransfer` is the 32-byte `drm_syncobj_transfer`, without pointers.
        let r = unsafe { self.dev.ioctl(SYNCOBJ_TRANSFER, &raw mut args) };
        self.judge("SYNCOBJ_TRANSFER", A_SYNCOBJ, v, t, &r, &args);
        if let Some(i) = di {
            self.syncs[i].1 = SyncState::Weird;
        }
    }

    pub(super) fn syncobj_fd(&mut self) {
        let (h, idx) = self.pick_sync();
        let sync_file = self.rng.chance(1, 2);
        let flags = if sync_file {
            DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE
        } else {
            0
        };
        let v = Verdict::Valid
            .check(idx.is_some(), "stale syncobj")
            .and(if sync_file {
                Verdict::Unknown
            } else {
                Verdict::Valid
            });
        let t = Instant::now();
        let r = self.dev.syncobj_handle_to_fd(h, flags);
        if !self.judge("SYNCOBJ_HANDLE_TO_FD", A_SYNCOBJ, v, t, &r, &(h, flags)) {
            return;
        }
        let Ok(fd) = r else { return };
        let (target, iflags) = if sync_file {
            (h, DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE)
        } else {
            (0, 0)
        };
        let t = Instant::now();
        let r = self.dev.syncobj_fd_to_handle(fd.as_fd(), target, iflags);
        if self.judge(
            "SYNCOBJ_FD_TO_HANDLE",
            A_SYNCOBJ,
            Verdict::Valid,
            t,
            &r,
            &(h, iflags),
        ) {
            // Aliases are not modelled.
            for e in self.syncs.iter_mut().filter(|e| e.0 == h) {
                e.1 = SyncState::Weird;
            }
            if let Ok(h2) = r {
                if !sync_file && !self.syncs.iter().any(|e| e.0 == h2) {
                    self.syncs.push((h2, SyncState::Weird));
                }
            }
        }
    }
}
