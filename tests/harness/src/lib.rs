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
//! with status 0, its TAP plan was met with no `not ok` at any nesting level, the module loaded
//! and unloaded, the kmemleak report was empty, and the kernel printed no splat anywhere (see
//! [`SPLAT_PATTERNS`]).
//!
//! The module's KUnit suites run inside `insmod`, which `/init` frames as the program `kunit`.
//! KUnit prints KTAP through printk, so its lines carry timestamps and nest by indentation:
//!
//! ```text
//! [   15.003343] KTAP version 1
//! [   15.004498] 1..2
//! [   15.010096]     KTAP version 1
//! [   15.010772]     # Subtest: asahi_idmap
//! [   15.012415]     1..5
//! [   15.025750]     ok 1 ids_start_at_one
//! ...
//! [   15.072044] ok 1 asahi_idmap
//! ```
//!
//! Top-level lines (one per suite) are the program's test points; a failed case deeper down fails
//! the run too, and is reported by name. An expected name `program/point` (e.g.
//! `kunit/asahi_vm`) requires that program to report that top-level point, not skipped.

#![forbid(unsafe_code)]

/// The crash dump a guest prints as base64, taken out of the log.
mod dump;
/// The verdicts on captured and edited console logs.
#[cfg(test)]
mod tests;

pub use dump::{base64_decode, extract_dump};
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
    /// Failed KTAP subtests (indented `not ok` lines), as `<subtest>: not ok <n> <name>`.
    pub failed_subtests: Vec<String>,
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
        for f in &self.failed_subtests {
            out.push(format!("{}: {f}", self.name));
        }
        out
    }

    /// The top-level point named `name` (its description up to any ` # ` directive).
    pub fn point(&self, name: &str) -> Option<&TestPoint> {
        self.points.iter().find(|p| p.name() == name)
    }
}

impl TestPoint {
    /// The description without its directive (`# SKIP ...`, `# TODO ...`).
    pub fn name(&self) -> &str {
        match self.description.split_once(" # ") {
            Some((name, _)) => name.trim_end(),
            None => self.description.trim_end(),
        }
    }

    /// Whether the point carries a `# SKIP` directive.
    pub fn skipped(&self) -> bool {
        self.description
            .split_once('#')
            .is_some_and(|(_, d)| d.trim_start().to_ascii_uppercase().starts_with("SKIP"))
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

/// Parses a TAP/KTAP result line (`ok 1 - name`, `not ok 2 name # SKIP why`), indentation
/// already removed.
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
pub(crate) fn strip_timestamp(line: &str) -> &str {
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
    // The innermost KTAP `# Subtest:` seen, naming failed subtests.
    let mut subtest = String::new();
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
            subtest.clear();
        } else if let Some(rest) = line.strip_prefix("ASAHI-TEST-END ") {
            // Only the running program's end marker ends it.
            let name = rest.split_whitespace().next().unwrap_or("");
            if let Some(mut p) = current.take_if(|p| p.name == name) {
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
            // Kernel messages (printk-timestamped) belong to a program only for KUnit, whose
            // KTAP the kernel prints; for the others they are noise (a program that reloads
            // the module makes the kernel print KUnit's KTAP again).
            let from_kernel = line.len() != raw.len();
            if from_kernel && p.name != "kunit" {
                continue;
            }
            let body = line.trim_start_matches(' ');
            if body.len() != line.len() {
                // Indented: a KTAP subtest line. Its parent's result counts; failures are kept
                // so that they are reported by name (and fail the run even if the parent
                // line never comes).
                if let Some(name) = body.strip_prefix("# Subtest: ") {
                    subtest = name.trim().to_string();
                } else if let Some(point) = parse_point(body).filter(|t| !t.ok) {
                    p.failed_subtests.push(format!(
                        "{subtest}: not ok {} {}",
                        point.number, point.description
                    ));
                }
            } else if let Some(n) = line.strip_prefix("1..") {
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
            let (program, point) = match name.split_once('/') {
                Some((program, point)) => (program, Some(point)),
                None => (*name, None),
            };
            let Some(p) = self.programs.iter().find(|p| p.name == program) else {
                push(format!("{name}: never ran"));
                continue;
            };
            match point.map(|point| p.point(point)) {
                None => {}
                Some(None) => push(format!("{name}: not reported")),
                Some(Some(t)) if t.skipped() => push(format!("{name}: skipped")),
                Some(Some(_)) => {}
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
