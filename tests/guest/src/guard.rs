//! User buffers that end right before an inaccessible page, so that a kernel reading even one
//! byte past the end fails with `EFAULT` instead of reading neighbouring heap memory.

use std::ptr::{self, NonNull};

/// A buffer of `len` bytes whose last byte is followed by a `PROT_NONE` page.
pub struct GuardBuf {
    base: NonNull<u8>,
    map_len: usize,
    len: usize,
}

fn page_size() -> usize {
    // SAFETY: `sysconf` has no memory-safety preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(p).unwrap_or(4096)
}

impl GuardBuf {
    /// A zeroed guarded buffer holding a copy of `data`; `None` if mmap fails.
    pub fn new(data: &[u8]) -> Option<Self> {
        let page = page_size();
        let body = data.len().div_ceil(page).max(1) * page;
        let map_len = body + page;
        // SAFETY: A fresh anonymous private mapping overlaps nothing.
        let base = unsafe {
            libc::mmap(
                ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return None;
        }
        // SAFETY: The last page is inside the mapping just made.
        let r =
            unsafe { libc::mprotect(base.cast::<u8>().add(body).cast(), page, libc::PROT_NONE) };
        let base = NonNull::new(base.cast::<u8>())?;
        let buf = Self {
            base,
            map_len,
            len: data.len(),
        };
        if r != 0 {
            return None;
        }
        // SAFETY: `data.len()` bytes end exactly at `body`, inside the writable part.
        unsafe {
            ptr::copy_nonoverlapping(data.as_ptr(), buf.ptr().cast_mut(), data.len());
        }
        Some(buf)
    }

    /// The address of the first byte (the data ends at the guard page).
    pub fn ptr(&self) -> *const u8 {
        let body = self.map_len - page_size();
        // SAFETY: `body - len` is within the mapping.
        unsafe { self.base.as_ptr().add(body - self.len) }
    }

    /// The address of the first byte, as a uAPI pointer.
    pub fn addr(&self) -> u64 {
        self.ptr() as u64
    }

    /// The length of the data.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the buffer holds no data.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Overwrites byte `i` of the data (for racing writers: volatile).
    pub fn write_byte(&self, i: usize, v: u8) {
        if i < self.len {
            // SAFETY: `i` is within the data, which is writable.
            unsafe { self.ptr().cast_mut().add(i).write_volatile(v) };
        }
    }
}

// SAFETY: The buffer is plain memory owned by this value; concurrent writes go through
// `write_byte` (volatile), and the kernel only reads it.
unsafe impl Send for GuardBuf {}
// SAFETY: As above.
unsafe impl Sync for GuardBuf {}

impl Drop for GuardBuf {
    fn drop(&mut self) {
        // SAFETY: The mapping was made in `new` and is unmapped once.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.map_len) };
    }
}
