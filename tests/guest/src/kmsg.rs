//! The kernel log as `/dev/kmsg` gives it, read without blocking: every record so far, or the
//! records logged since a point.

use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;

/// One kernel log record.
#[derive(Debug, Clone)]
pub struct Record {
    /// Its log level (`KERN_ERR` 3 ... `KERN_DEBUG` 7).
    pub level: u32,
    /// Its message (the record's first line; the key-value lines after it are left out).
    pub text: String,
}

/// A non-blocking reader of `/dev/kmsg`.
pub struct Kmsg(std::fs::File);

impl Kmsg {
    /// Opens the log at its oldest record still held.
    pub fn open() -> io::Result<Self> {
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open("/dev/kmsg")
            .map(Self)
    }

    /// Opens the log after its last record: [`Kmsg::take`] returns what is logged from now on.
    pub fn open_at_end() -> io::Result<Self> {
        let k = Self::open()?;
        // SAFETY: Plain syscall on our fd; SEEK_END on /dev/kmsg skips to after the last record.
        if unsafe { libc::lseek(k.0.as_raw_fd(), 0, libc::SEEK_END) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(k)
    }

    /// The records logged since the last call (or since where the reader was opened).
    pub fn take(&mut self) -> Vec<Record> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 8192];
        loop {
            match self.0.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let rec = String::from_utf8_lossy(&buf[..n]);
                    // "prefix,seq,usec,flags;message\n"; the level is the prefix's low 3 bits.
                    let Some((head, msg)) = rec.split_once(';') else {
                        continue;
                    };
                    let level = head
                        .split(',')
                        .next()
                        .and_then(|p| p.parse::<u32>().ok())
                        .map_or(0, |p| p & 7);
                    let text = msg.lines().next().unwrap_or("").to_string();
                    out.push(Record { level, text });
                }
                // EPIPE: records were overwritten since the last read; keep reading.
                Err(e) if e.raw_os_error() == Some(libc::EPIPE) => continue,
                Err(_) => break,
            }
        }
        out
    }
}

/// The message of every kernel log record still held (empty if `/dev/kmsg` cannot be opened).
pub fn kernel_log() -> Vec<String> {
    Kmsg::open().map_or_else(
        |_| Vec::new(),
        |mut k| k.take().into_iter().map(|r| r.text).collect(),
    )
}

/// Whether any kernel log record still held contains every one of `want`.
pub fn logged(want: &[&str]) -> bool {
    kernel_log()
        .iter()
        .any(|t| want.iter().all(|w| t.contains(w)))
}
