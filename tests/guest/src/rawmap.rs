//! Raw CPU mappings for the tests that try every way userspace maps memory (`gem_mmap`): a mapping
//! owned by a value, `mincore`-based "is anything mapped here", and running a check in a child
//! process (so a `SIGBUS` shows as the child's wait status instead of killing the test).

use std::io;
use std::os::fd::RawFd;
use std::ptr;

/// The CPU page size.
pub fn cpu_page() -> usize {
    // SAFETY: `sysconf` has no memory-safety preconditions.
    usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096)
}

/// The calling thread's `errno`.
pub fn last_errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(-1)
}

/// A mapping, unmapped on drop.
///
/// # Invariants
///
/// `ptr..ptr + len` is a live mapping owned by this value (or `len` is 0).
pub struct Map {
    ptr: *mut u8,
    len: usize,
}

impl Map {
    /// `mmap(NULL, len, prot, flags, fd, off)`: the mapping, or the errno.
    pub fn new(fd: RawFd, off: u64, len: usize, prot: i32, flags: i32) -> Result<Self, i32> {
        let off = libc::off_t::try_from(off).map_err(|_| libc::EOVERFLOW)?;
        // SAFETY: The kernel picks the address (null hint), so nothing existing is replaced.
        let p = unsafe { libc::mmap(ptr::null_mut(), len, prot, flags, fd, off) };
        if p == libc::MAP_FAILED {
            return Err(last_errno());
        }
        // INVARIANT: the mapping just made.
        Ok(Self { ptr: p.cast(), len })
    }

    /// Takes ownership of a mapping.
    ///
    /// # Safety
    ///
    /// `ptr..ptr + len` is a live mapping that nothing else owns (it is unmapped on drop).
    pub unsafe fn from_raw(ptr: *mut u8, len: usize) -> Self {
        // INVARIANT: promised by the caller.
        Self { ptr, len }
    }

    /// Gives up the mapping without unmapping it: its start and length.
    pub fn into_raw(self) -> (*mut u8, usize) {
        let me = std::mem::ManuallyDrop::new(self);
        (me.ptr, me.len)
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the mapping is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Reads `n` bytes at `at` (volatile: other mappings and the GPU share the memory).
    ///
    /// # Panics
    ///
    /// If the range is outside the mapping. The caller must have mapped it readable.
    pub fn read(&self, at: usize, n: usize) -> Vec<u8> {
        assert!(at + n <= self.len);
        // SAFETY: Inside the live mapping (asserted above; type invariant).
        (0..n)
            .map(|i| unsafe { self.ptr.add(at + i).read_volatile() })
            .collect()
    }

    /// Writes `data` at `at`.
    ///
    /// # Panics
    ///
    /// If the range is outside the mapping. The caller must have mapped it writable.
    pub fn write(&self, at: usize, data: &[u8]) {
        assert!(at + data.len() <= self.len);
        for (i, b) in data.iter().enumerate() {
            // SAFETY: Inside the live mapping (asserted above), which no reference covers.
            unsafe { self.ptr.add(at + i).write_volatile(*b) };
        }
    }

    /// The address `at` bytes in (for syscalls; may point past the end).
    pub fn addr(&self, at: usize) -> *mut libc::c_void {
        self.ptr.wrapping_add(at).cast()
    }
}

impl Drop for Map {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: The mapping is ours (type invariant) and nothing borrows it any more.
            unsafe { libc::munmap(self.ptr.cast(), self.len) };
        }
    }
}

/// Whether all `len` bytes at address `addr` are mapped (`mincore` says `ENOMEM` for holes).
pub fn mapped(addr: usize, len: usize) -> bool {
    let mut vec = vec![0u8; len.div_ceil(cpu_page())];
    // SAFETY: `vec` has one byte per page of the range; `mincore` dereferences nothing at `addr`,
    // it only looks the range up in the page tables.
    unsafe { libc::mincore(addr as *mut libc::c_void, len, vec.as_mut_ptr()) == 0 }
}

/// Runs `f` in a child process; returns its wait status (so a SIGBUS shows as a signal). The
/// caller must be single-threaded.
pub fn in_child(f: impl FnOnce() -> bool) -> i32 {
    // SAFETY: The caller is single-threaded, so the child may run arbitrary code.
    match unsafe { libc::fork() } {
        0 => {
            let ok = f();
            // SAFETY: Ends the child without running the parent's exit handlers.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) }
        }
        pid if pid > 0 => {
            let mut status = 0;
            // SAFETY: `pid` is our child; `status` is a valid out-pointer.
            unsafe { libc::waitpid(pid, &mut status, 0) };
            status
        }
        _ => -1,
    }
}

/// Whether a wait status is a normal exit with status 0.
pub fn exited_ok(status: i32) -> bool {
    libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
}

/// A wait status in words.
pub fn describe(status: i32) -> String {
    if libc::WIFSIGNALED(status) {
        format!("killed by signal {}", libc::WTERMSIG(status))
    } else if libc::WIFEXITED(status) {
        format!("exit {}", libc::WEXITSTATUS(status))
    } else {
        format!("status {status:#x}")
    }
}

/// A pipe: (read end, write end), or (-1, -1).
pub fn pipe() -> (RawFd, RawFd) {
    let mut p = [-1; 2];
    // SAFETY: `p` is a valid two-element array.
    unsafe { libc::pipe(p.as_mut_ptr()) };
    (p[0], p[1])
}
