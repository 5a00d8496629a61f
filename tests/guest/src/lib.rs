//! Shared support for the guest test programs: a small TAP producer.
//!
//! Each program in `src/bin/` runs inside the test guest (see `tests/guest/rootfs/init`) and
//! prints TAP version 13 on standard output, which the host harness parses. A program exits with
//! status 1 if any of its tests failed.

pub mod bench;
pub mod fuzz;
pub mod gpu;
pub mod guard;
pub mod kmsg;
pub mod peers;
pub mod rawmap;
pub mod render;
pub mod rng;

use std::fmt::Display;
use std::io::{self, Write};

/// The errno of a failed call, `None` if it succeeded (or failed without one).
pub fn errno<T>(r: io::Result<T>) -> Option<i32> {
    r.err().and_then(|e| e.raw_os_error())
}

/// A TAP stream whose plan is printed at the end (a trailing plan, valid TAP 13): a program
/// that dies midway leaves no plan, which the harness reports.
pub struct Tap {
    next: u32,
    failed: u32,
}

impl Default for Tap {
    fn default() -> Self {
        Self::new()
    }
}

impl Tap {
    /// Starts a stream.
    pub fn new() -> Self {
        println!("TAP version 13");
        Self { next: 1, failed: 0 }
    }

    /// Reports one test.
    pub fn ok(&mut self, ok: bool, description: impl Display) {
        let status = if ok { "ok" } else { "not ok" };
        println!("{status} {} - {description}", self.next);
        // Interleaving with kernel messages on the console is less likely with whole lines.
        let _ = std::io::stdout().flush();
        self.next += 1;
        if !ok {
            self.failed += 1;
        }
    }

    /// Reports a test whose outcome is a `Result`: passes on `Ok`, shows the error otherwise.
    pub fn check<T, E: Display>(&mut self, result: Result<T, E>, description: impl Display) {
        let passed = result.is_ok();
        match result {
            Ok(_) => self.ok(passed, description),
            Err(e) => self.ok(passed, format_args!("{description} # {e}")),
        }
    }

    /// Reports a test that cannot run on this kernel (TAP `# SKIP`): only for a missing kernel
    /// feature the program detected (a syscall that returned `ENOSYS`), never to hide a result.
    pub fn skip(&mut self, description: impl Display, reason: impl Display) {
        println!("ok {} - {description} # SKIP {reason}", self.next);
        let _ = std::io::stdout().flush();
        self.next += 1;
    }

    /// Prints a diagnostic line.
    pub fn diag(&self, msg: impl Display) {
        println!("# {msg}");
    }

    /// The value of a set-up step the rest of the program needs; if it failed, reports a
    /// failed test `what` (with the error) and ends the stream.
    pub fn require<T, E: Display>(&mut self, result: Result<T, E>, what: impl Display) -> T {
        match result {
            Ok(v) => v,
            Err(e) => {
                self.ok(false, format_args!("{what} # {e}"));
                self.end()
            }
        }
    }

    /// Ends the stream with its plan; exits with status 1 if anything failed.
    pub fn finish(self) -> ! {
        self.end()
    }

    fn end(&self) -> ! {
        println!("1..{}", self.next - 1);
        let _ = std::io::stdout().flush();
        std::process::exit(if self.failed == 0 { 0 } else { 1 });
    }
}

/// Runs `f` in `n` child processes at once and returns how many exited with status 0.
pub fn in_processes(n: usize, f: impl Fn(usize) -> bool) -> usize {
    let mut pids = Vec::with_capacity(n);
    for i in 0..n {
        // SAFETY: The test programs are single-threaded, so the child may run arbitrary code.
        let pid = unsafe { libc::fork() };
        match pid {
            0 => {
                let ok = f(i);
                // SAFETY: Ends the child without running the parent's exit handlers twice.
                unsafe { libc::_exit(if ok { 0 } else { 1 }) }
            }
            p if p > 0 => pids.push(p),
            _ => break,
        }
    }
    let mut good = 0;
    for pid in pids {
        let mut status = 0;
        // SAFETY: `pid` is our child; `status` is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
            good += 1;
        }
    }
    good
}
