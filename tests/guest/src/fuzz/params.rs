//! GET_PARAMS and GET_TIME: bad groups, sizes, pointers and flags, and the consistency of what
//! they return (the parameter bytes, a timestamp within the monotonic clock).

use super::verdict::{Verdict, A_PARAMS, A_TIME};
use super::Fuzzer;
use crate::gpu;
use crate::guard::GuardBuf;
use asahi_uapi::bindings::*;
use asahi_uapi::ioctl;
use std::time::Instant;

fn now_ns() -> i64 {
    gpu::deadline(0)
}

impl Fuzzer<'_> {
    pub(super) fn get_params(&mut self) {
        let expected = *self.params_bytes();
        let (group, mut v) = if self.rng.chance(1, 10) {
            (
                self.rng.edge_u32().max(1),
                Verdict::Invalid("param group != 0"),
            )
        } else {
            (0, Verdict::Valid)
        };
        let (pad, pv) = self.maybe_pad();
        v = v.and(pv);
        let size = match self.rng.below(4) {
            0 => self.rng.below(700),
            1 => self.rng.edge_u64(),
            _ => expected.len() as u64,
        };
        let mut buf = vec![0xa5u8; 1024];
        let guard = GuardBuf::new(&[0xa5; 16]);
        let pointer = match self.rng.below(10) {
            0 if size > 0 && size <= 1024 => {
                v = v.and(Verdict::Invalid("bad pointer"));
                *self
                    .rng
                    .pick(&[0u64, 8, 0xffff_8000_0000_0000])
                    .unwrap_or(&0)
            }
            // Past a guard page: faults iff more than 16 bytes are written.
            1 => {
                if size > 16 {
                    v = v.and(Verdict::Invalid("buffer shorter than size"));
                }
                guard.as_ref().map_or(0, GuardBuf::addr)
            }
            _ if size > 1024 => {
                // Only the struct is written, and it fits in `buf`.
                buf.as_mut_ptr() as u64
            }
            _ => buf.as_mut_ptr() as u64,
        };
        let args = drm_asahi_get_params {
            param_group: group,
            pad,
            pointer,
            size,
        };
        let t = Instant::now();
        // SAFETY: The kernel writes at most `min(size, 592)` bytes at `pointer`, which is `buf`
        // (1024 bytes), the guard buffer (16 bytes, then a fault) or an address that faults.
        let r = unsafe {
            self.dev.ioctl(
                ioctl::DRM_IOCTL_ASAHI_GET_PARAMS,
                (&raw const args).cast_mut(),
            )
        };
        let ok = self.judge("GET_PARAMS", A_PARAMS, v, t, &r, &args);
        if ok && pointer == buf.as_ptr() as u64 {
            let n = (size as usize).min(expected.len());
            if buf[..n] != expected[..n] || buf[n..].iter().any(|b| *b != 0xa5) {
                self.finding(format_args!(
                    "GET_PARAMS size {size} wrote other than the first {n} parameter bytes"
                ));
            }
        }
    }

    pub(super) fn params_bytes(&self) -> &[u8; 592] {
        // SAFETY: `drm_asahi_params_global` is 592 bytes of plain integers.
        unsafe { &*(&raw const self.params).cast::<[u8; 592]>() }
    }

    pub(super) fn get_time(&mut self) {
        let (flags, v) = if self.rng.chance(1, 8) {
            (self.rng.edge_u64().max(1), Verdict::Invalid("flags != 0"))
        } else {
            (0, Verdict::Valid)
        };
        let mut args = drm_asahi_get_time {
            flags,
            gpu_timestamp: self.rng.next_u64(),
        };
        let before = now_ns();
        let t = Instant::now();
        let r = self.dev.get_time(&mut args);
        let after = now_ns();
        if self.judge("GET_TIME", A_TIME, v, t, &r, &args) {
            // CAST: monotonic nanoseconds are non-negative.
            let ts = args.gpu_timestamp as i64;
            if ts < before || ts > after {
                self.finding(format_args!(
                    "GET_TIME {ts} outside the monotonic clock window {before}..{after}"
                ));
            }
        }
    }
}
