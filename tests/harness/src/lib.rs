//! Host side of the guest test harness: reads a guest's serial console log and judges it.
//!
//! The guest's `/init` (`tests/guest/rootfs/init`) frames everything it does with marker lines:
//!
//! ```text
//! ASAHI-HARNESS-BEGIN arch=... pagesize=...
//! ASAHI-INSMOD exit=0
//! ASAHI-TEST-BEGIN <program>      <- then the program's TAP (or KUnit's KTAP) output
//! ASAHI-TEST-END <program> exit=<status>
//! ASAHI-RMMOD exit=0
//! ASAHI-KMEMLEAK-BEGIN / ...report... / ASAHI-KMEMLEAK-END
//! ASAHI-HARNESS-DONE
//! ```
//!
//! Kernel messages share the console. A run passes only if every program ran to its end marker
//! with status 0, its TAP plan was met with no `not ok`, the module loaded and unloaded, the
//! kmemleak report was empty, and the kernel printed no splat anywhere (see [`SPLAT_PATTERNS`]).

#![forbid(unsafe_code)]

use std::fmt;

/// Substrings that mark a kernel splat: any of them anywhere in the log fails the run.
pub const SPLAT_PATTERNS: &[&str] = &[
    "BUG:",
    "WARNING:",
    "------------[ cut here ]------------",
    "Oops",
    "Kernel panic",
    "general protection fault",
    "Unable to handle kernel",
    "KASAN:",
    "UBSAN:",
    "DEBUG_LOCKS_WARN_ON",
    "turning off the locking correctness validator",
    "inconsistent lock state",
    "possible recursive locking",
    "possible circular locking",
    "suspicious RCU usage",
    "detected stalls on CPUs",
    "blocked for more than",
    "unreferenced object",
    "Call Trace:",
];

/// One TAP test point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestPoint {
    /// Whether it passed (`ok`), skips included.
    pub ok: bool,
    /// Its number.
    pub number: u32,
    /// Its description (and directive).
    pub description: String,
}

/// What one guest test program reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Program {
    /// The program's file name.
    pub name: String,
    /// Its exit status; `None` when the end marker never came (crash, hang, reboot).
    pub exit: Option<i32>,
    /// The TAP plan (`1..N`), if printed.
    pub plan: Option<u32>,
    /// Top-level test points, in order.
    pub points: Vec<TestPoint>,
}

impl Program {
    /// Why this program failed, if it did.
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self.exit {
            None => out.push(format!("{}: did not finish", self.name)),
            Some(0) => {}
            Some(code) => out.push(format!("{}: exited with status {code}", self.name)),
        }
        match self.plan {
            None => out.push(format!("{}: no TAP plan", self.name)),
            Some(n) if n as usize != self.points.len() => out.push(format!(
                "{}: planned {n} tests, reported {}",
                self.name,
                self.points.len()
            )),
            Some(_) => {}
        }
        for p in self.points.iter().filter(|p| !p.ok) {
            out.push(format!(
                "{}: not ok {} - {}",
                self.name, p.number, p.description
            ));
        }
        out
    }
}

/// Everything the harness learned from one console log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// `/init` started.
    pub began: bool,
    /// `insmod` exit status.
    pub insmod: Option<i32>,
    /// The test programs, in run order.
    pub programs: Vec<Program>,
    /// `rmmod` exit status.
    pub rmmod: Option<i32>,
    /// Lines of the kmemleak report (empty when clean); `None` if the scan never ran.
    pub kmemleak: Option<Vec<String>>,
    /// `/init` reached its end.
    pub done: bool,
    /// Log lines that matched a splat pattern.
    pub splats: Vec<String>,
}

fn parse_exit(rest: &str) -> Option<i32> {
    rest.split_whitespace()
        .find_map(|w| w.strip_prefix("exit="))
        .and_then(|v| v.parse().ok())
}

/// Parses a TAP/KTAP result line at the top level of a program's output (indented lines are
/// KTAP subtests and count through their parent).
fn parse_point(line: &str) -> Option<TestPoint> {
    let (ok, rest) = if let Some(r) = line.strip_prefix("ok ") {
        (true, r)
    } else if let Some(r) = line.strip_prefix("not ok ") {
        (false, r)
    } else {
        return None;
    };
    let (num, desc) = rest.split_once(' ').unwrap_or((rest, ""));
    let number = num.parse().ok()?;
    let description = desc.trim_start_matches("- ").to_string();
    Some(TestPoint {
        ok,
        number,
        description,
    })
}

/// Strips the printk timestamp (`[   12.345678] `) a kernel line may start with.
fn strip_timestamp(line: &str) -> &str {
    if let Some(rest) = line.strip_prefix('[') {
        if let Some((ts, tail)) = rest.split_once("] ") {
            if ts.trim().chars().all(|c| c.is_ascii_digit() || c == '.') {
                return tail;
            }
        }
    }
    line
}

/// Parses a console log.
pub fn parse(log: &str) -> Report {
    let mut r = Report::default();
    let mut current: Option<Program> = None;
    let mut in_kmemleak = false;
    for raw in log.lines() {
        let raw = raw.trim_end_matches('\r');
        if SPLAT_PATTERNS.iter().any(|p| raw.contains(p)) {
            r.splats.push(raw.to_string());
        }
        let line = strip_timestamp(raw);
        if in_kmemleak {
            if line.starts_with("ASAHI-KMEMLEAK-END") {
                in_kmemleak = false;
            } else if !line.trim().is_empty() {
                r.kmemleak
                    .get_or_insert_with(Vec::new)
                    .push(line.to_string());
            }
            continue;
        }
        if line.starts_with("ASAHI-HARNESS-BEGIN") {
            r.began = true;
        } else if let Some(rest) = line.strip_prefix("ASAHI-INSMOD ") {
            r.insmod = parse_exit(rest);
        } else if let Some(rest) = line.strip_prefix("ASAHI-TEST-BEGIN ") {
            if let Some(p) = current.take() {
                r.programs.push(p);
            }
            current = Some(Program {
                name: rest.trim().to_string(),
                ..Program::default()
            });
        } else if let Some(rest) = line.strip_prefix("ASAHI-TEST-END ") {
            if let Some(mut p) = current.take() {
                p.exit = parse_exit(rest);
                r.programs.push(p);
            }
        } else if let Some(rest) = line.strip_prefix("ASAHI-RMMOD ") {
            r.rmmod = parse_exit(rest);
        } else if line.starts_with("ASAHI-KMEMLEAK-BEGIN") {
            in_kmemleak = true;
            r.kmemleak = Some(Vec::new());
        } else if line.starts_with("ASAHI-HARNESS-DONE") {
            r.done = true;
        } else if let Some(p) = current.as_mut() {
            if let Some(n) = line.strip_prefix("1..") {
                // Leading or trailing plan; the first one counts.
                if p.plan.is_none() {
                    p.plan = n.trim().parse().ok();
                }
            } else if let Some(point) = parse_point(line) {
                p.points.push(point);
            }
        }
    }
    if let Some(p) = current.take() {
        r.programs.push(p);
    }
    r
}

/// A reason a run failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Report {
    /// Every reason this run failed; empty when it passed. `expected` lists the programs that
    /// must have run.
    pub fn failures(&self, expected: &[&str]) -> Vec<Failure> {
        let mut out = Vec::new();
        let mut push = |s: String| out.push(Failure(s));
        if !self.began {
            push("guest never reached /init".into());
        }
        if self.insmod != Some(0) {
            push(format!("insmod asahi: {:?}", self.insmod));
        }
        for name in expected {
            if !self.programs.iter().any(|p| p.name == *name) {
                push(format!("{name}: never ran"));
            }
        }
        for p in &self.programs {
            p.failures().into_iter().for_each(&mut push);
        }
        if self.rmmod != Some(0) {
            push(format!("rmmod asahi: {:?}", self.rmmod));
        }
        match &self.kmemleak {
            None => push("kmemleak scan did not run".into()),
            Some(lines) if !lines.is_empty() => {
                push(format!("kmemleak: {} report lines", lines.len()))
            }
            Some(_) => {}
        }
        if !self.done {
            push("guest did not reach the end of /init".into());
        }
        for s in &self.splats {
            push(format!("kernel splat: {s}"));
        }
        out
    }

    /// Counts of passed and failed test points over all programs.
    pub fn counts(&self) -> (usize, usize) {
        let points = self.programs.iter().flat_map(|p| &p.points);
        let passed = points.clone().filter(|p| p.ok).count();
        let failed = points.filter(|p| !p.ok).count();
        (passed, failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLEAN: &str = "\
[    0.000000] Linux version 6.12.117
ASAHI-HARNESS-BEGIN arch=x86_64 pagesize=4096
ASAHI-INSMOD exit=0
ASAHI-TEST-BEGIN drm_basics
TAP version 13
1..2
ok 1 - render node exists
[    3.100000] asahi agx-virtual: registered asahi DRM device
ok 2 - version name is asahi
ASAHI-TEST-END drm_basics exit=0
ASAHI-RMMOD exit=0
ASAHI-KMEMLEAK-BEGIN
ASAHI-KMEMLEAK-END
ASAHI-HARNESS-DONE
";

    #[test]
    fn clean_log_passes() {
        let r = parse(CLEAN);
        assert_eq!(r.failures(&["drm_basics"]), vec![]);
        assert_eq!(r.counts(), (2, 0));
    }

    #[test]
    fn missing_program_fails() {
        let r = parse(CLEAN);
        let f = r.failures(&["drm_basics", "uapi_conformance"]);
        assert_eq!(f, vec![Failure("uapi_conformance: never ran".into())]);
    }

    #[test]
    fn warn_splat_fails() {
        let log = CLEAN.replace(
            "ok 2 - version",
            "[    3.2] ------------[ cut here ]------------\n\
             [    3.2] WARNING: CPU: 1 PID: 77 at drivers/gpu/drm/asahi/x.c:1 f+0x1/0x2\n\
             ok 2 - version",
        );
        let f = parse(&log).failures(&["drm_basics"]);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f.iter().all(|x| x.0.starts_with("kernel splat")));
    }

    #[test]
    fn kasan_lockdep_and_sleep_splats_fail() {
        for s in [
            "BUG: KASAN: slab-use-after-free in asahi_foo+0x10/0x20",
            "WARNING: possible circular locking dependency detected",
            "BUG: sleeping function called from invalid context at mm/slub.c:1",
            "Unable to handle kernel NULL pointer dereference at virtual address 0",
        ] {
            let log = CLEAN.replace("ASAHI-RMMOD", &format!("[ 4.0] {s}\nASAHI-RMMOD"));
            assert!(!parse(&log).failures(&["drm_basics"]).is_empty(), "{s}");
        }
    }

    #[test]
    fn kmemleak_report_fails() {
        let log = CLEAN.replace(
            "ASAHI-KMEMLEAK-BEGIN\n",
            "ASAHI-KMEMLEAK-BEGIN\nunreferenced object 0xffff888 (size 64):\n  comm \"insmod\"\n",
        );
        let f = parse(&log).failures(&["drm_basics"]);
        assert!(f.iter().any(|x| x.0.starts_with("kmemleak")), "{f:?}");
    }

    #[test]
    fn failed_rmmod_fails() {
        let log = CLEAN.replace("ASAHI-RMMOD exit=0", "ASAHI-RMMOD exit=1");
        let f = parse(&log).failures(&["drm_basics"]);
        assert_eq!(f, vec![Failure("rmmod asahi: Some(1)".into())]);
    }

    #[test]
    fn crash_mid_program_fails() {
        let cut = CLEAN.find("ok 2").unwrap();
        let r = parse(&CLEAN[..cut]);
        let f = r.failures(&["drm_basics"]);
        assert!(f.contains(&Failure("drm_basics: did not finish".into())));
        assert!(f.contains(&Failure("drm_basics: planned 2 tests, reported 1".into())));
        assert!(f.contains(&Failure("guest did not reach the end of /init".into())));
    }

    #[test]
    fn not_ok_and_exit_status_fail() {
        let log = CLEAN
            .replace("ok 2 - version", "not ok 2 - version")
            .replace("drm_basics exit=0", "drm_basics exit=1");
        let f = parse(&log).failures(&["drm_basics"]);
        assert!(f.contains(&Failure("drm_basics: exited with status 1".into())));
        assert!(f.contains(&Failure(
            "drm_basics: not ok 2 - version name is asahi".into()
        )));
        assert_eq!(parse(&log).counts(), (1, 1));
    }

    #[test]
    fn trailing_plan_is_accepted() {
        let log = CLEAN.replace("1..2\n", "").replace(
            "ok 2 - version name is asahi\n",
            "ok 2 - version name is asahi\n1..2\n",
        );
        assert_eq!(parse(&log).failures(&["drm_basics"]), vec![]);
    }

    #[test]
    fn ktap_subtests_count_through_parent() {
        let log = CLEAN.replace(
            "1..2\nok 1 - render node exists",
            "1..2\n    KTAP version 1\n    1..1\n    not ok 1 case\nok 1 - render node exists",
        );
        // Indented subtest lines do not count as top-level points.
        assert_eq!(parse(&log).counts(), (2, 0));
    }
}
