//! PRIME: export of GEM objects to dma-bufs and their import into the fuzzer's own file, into
//! the shared file and back, and the import of fds that are not dma-bufs.

use super::verdict::{Verdict, A_PRIME};
use super::Fuzzer;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Instant;

/// `DRM_CLOEXEC` and `DRM_RDWR` (`O_CLOEXEC`, `O_RDWR`).
// CAST: the open flags are positive.
const DRM_CLOEXEC: u32 = libc::O_CLOEXEC as u32;
// CAST: as above.
const DRM_RDWR: u32 = libc::O_RDWR as u32;

impl Fuzzer<'_> {
    pub(super) fn prime(&mut self) {
        let (handle, idx) = self.pick_bo();
        let mut v = Verdict::Valid.check(idx.is_some(), "stale handle");
        if let Some(i) = idx {
            v = v.check(
                self.bos[i].private.is_none(),
                "export of a VM-private object",
            );
        }
        let mut flags = *self
            .rng
            .pick(&[0, DRM_CLOEXEC, DRM_CLOEXEC | DRM_RDWR])
            .unwrap_or(&0);
        if self.rng.chance(1, 12) {
            flags |= 1 << self.rng.range(0, 31);
            if flags & !(DRM_CLOEXEC | DRM_RDWR) != 0 {
                v = v.and(Verdict::Invalid("unknown PRIME flag"));
            }
        }
        let t = Instant::now();
        let r = self.dev.prime_handle_to_fd(handle, flags);
        if !self.judge("PRIME_HANDLE_TO_FD", A_PRIME, v, t, &r, &(handle, flags)) {
            // Import of a bad fd.
            let fd = *self.rng.pick(&[-1, 0, 1, 9999]).unwrap_or(&-1);
            // SAFETY: The borrowed fd is only passed to the kernel, which validates it.
            let b = unsafe { BorrowedFd::borrow_raw(fd.max(0)) };
            let v = if (0..=2).contains(&fd) {
                Verdict::Invalid("not a dma-buf")
            } else {
                Verdict::Unknown
            };
            let t = Instant::now();
            let r = self.dev.prime_fd_to_handle(b);
            self.judge("PRIME_FD_TO_HANDLE", A_PRIME, v, t, &r, &fd);
            return;
        }
        let Ok(fd) = r else { return };
        match self.rng.below(3) {
            0 => {
                // Into our own file: the same handle comes back.
                let t = Instant::now();
                let r = self.dev.prime_fd_to_handle(fd.as_fd());
                let ok = self.judge(
                    "PRIME_FD_TO_HANDLE",
                    A_PRIME,
                    Verdict::Valid,
                    t,
                    &r,
                    &handle,
                );
                if ok && r.as_ref().ok() != Some(&handle) {
                    self.finding(format_args!(
                        "self-import of handle {handle} returned {r:?}"
                    ));
                }
            }
            _ => {
                // Into the shared file, then back from there into ours as a foreign object.
                let t = Instant::now();
                let r = self.shared.prime_fd_to_handle(fd.as_fd());
                self.judge(
                    "PRIME_FD_TO_HANDLE (shared)",
                    A_PRIME,
                    Verdict::Unknown,
                    t,
                    &r,
                    &handle,
                );
                if let Ok(h2) = r {
                    if let Ok(fd2) = self.shared.prime_handle_to_fd(h2, DRM_CLOEXEC) {
                        let t = Instant::now();
                        let r = self.dev.prime_fd_to_handle(fd2.as_fd());
                        self.judge("PRIME_FD_TO_HANDLE", A_PRIME, Verdict::Valid, t, &r, &h2);
                        if r.as_ref().ok() != Some(&handle) {
                            self.finding(format_args!(
                                "re-import of handle {handle} via another file returned {r:?}"
                            ));
                        }
                    }
                    if self.rng.chance(1, 2) {
                        let _ = self.shared.gem_close(h2);
                    }
                }
            }
        }
    }
}
