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

/// The crash dump a guest printed as base64 between `ASAHI-DUMP-BEGIN` and `ASAHI-DUMP-END`
/// (kernel lines in between are skipped), decoded; `None` if there is none or it is malformed.
pub fn extract_dump(log: &str) -> Option<Vec<u8>> {
    let mut text = String::new();
    let mut inside = false;
    let mut complete = false;
    for raw in log.lines() {
        let raw = raw.trim_end_matches('\r');
        if raw.starts_with("ASAHI-DUMP-BEGIN") {
            inside = true;
            text.clear();
        } else if raw.starts_with("ASAHI-DUMP-END") {
            complete = inside;
            inside = false;
        } else if inside {
            // The console may put a kernel line in the middle of one the guest printed (under
            // load it does): keep what precedes the kernel line's timestamp (base64 has no `[`).
            let guest = raw
                .char_indices()
                .filter(|&(_, c)| c == '[')
                .map(|(i, _)| i)
                .find(|&i| {
                    raw.get(i..)
                        .is_some_and(|k| strip_timestamp(k).len() != k.len())
                })
                .and_then(|i| raw.get(..i))
                .unwrap_or(raw);
            text.push_str(guest.trim());
        }
    }
    if !complete {
        return None;
    }
    base64_decode(&text)
}

/// Decodes standard base64 (with `=` padding); `None` on any invalid character.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let bytes = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c)? << (18 - 6 * i);
        }
        let n = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&acc.to_be_bytes()[1..1 + n]);
    }
    Some(out)
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
    fn refusal_debug_messages_are_not_failures() {
        // What `module asahi +p` prints (the `refusals` program and anyone debugging a client):
        // refusals naming field, rule and errno, on the console if the log level lets them.
        let log = CLEAN.replace(
            "ok 2 - version",
            "[    3.2] asahi agx-virtual: VM_BIND: ops[1].flags: unknown flag 0x100: EINVAL\n\
             [    3.2] asahi agx-virtual: SUBMIT: syncs[0].handle: no such syncobj 999: ENOENT\n\
             [    3.3] asahi agx-virtual: VM_CREATE: VMs: the file already holds 1024: ENOSPC\n\
             [    3.3] asahi agx-virtual: SUBMIT: cmdbuf@0x0.cmd_type: unknown command type 9: \
             EINVAL\n\
             ok 2 - version",
        );
        let r = parse(&log);
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
    fn base64_round_trips_known_vectors() {
        assert_eq!(base64_decode("").unwrap(), b"");
        assert_eq!(base64_decode("Zg==").unwrap(), b"f");
        assert_eq!(base64_decode("Zm8=").unwrap(), b"fo");
        assert_eq!(base64_decode("Zm9vYmFy").unwrap(), b"foobar");
        assert_eq!(base64_decode("f\x00o"), None);
    }

    #[test]
    fn dump_is_extracted_between_markers_skipping_kernel_lines() {
        let log = "x\nASAHI-DUMP-BEGIN x86_64\nZm9v\n[   1.0] kernel noise\nYmFy\nASAHI-DUMP-END\n";
        assert_eq!(extract_dump(log).unwrap(), b"foobar");
        // A kernel line printed in the middle of a guest line, its newline on a line of its own.
        let log =
            "ASAHI-DUMP-BEGIN x86_64\nZm9v[  125.378346] sched: lagged\n\nYmFy\nASAHI-DUMP-END\n";
        assert_eq!(extract_dump(log).unwrap(), b"foobar");
        // A kernel line that interrupts a dump line mid-way.
        let log = "ASAHI-DUMP-BEGIN x86_64\nZm[   1.0] sched: noise\n9vYmFy\nASAHI-DUMP-END\n";
        assert_eq!(extract_dump(log).unwrap(), b"foobar");
        assert_eq!(extract_dump("ASAHI-DUMP-BEGIN\nZm9v\n"), None, "truncated");
        assert_eq!(extract_dump(CLEAN), None);
    }

    #[test]
    fn kernel_lines_do_not_count_for_user_programs() {
        let log = CLEAN.replace(
            "ok 2 - version name is asahi\n",
            "ok 2 - version name is asahi\n[   5.1] ok 1 asahi_idmap\n[   5.2] 1..7\n",
        );
        assert_eq!(parse(&log).failures(&["drm_basics"]), vec![]);
        assert_eq!(parse(&log).counts(), (2, 0));
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
            "1..2\n    KTAP version 1\n    1..1\n    ok 1 case\nok 1 - render node exists",
        );
        // Indented subtest lines do not count as top-level points.
        assert_eq!(parse(&log).counts(), (2, 0));
        assert_eq!(parse(&log).failures(&["drm_basics"]), vec![]);
    }

    #[test]
    fn failed_ktap_subtest_fails_even_under_an_ok_parent() {
        let log = CLEAN.replace(
            "1..2\nok 1 - render node exists",
            "1..2\n    KTAP version 1\n    # Subtest: nodes\n    1..1\n    not ok 1 case\n\
             ok 1 - render node exists",
        );
        assert_eq!(parse(&log).counts(), (2, 0));
        assert_eq!(
            parse(&log).failures(&["drm_basics"]),
            vec![Failure("drm_basics: nodes: not ok 1 case".into())]
        );
    }

    /// A real run's module load in test mode (x86_64 guest, console as captured), KUnit's KTAP
    /// included.
    const KUNIT: &str = "\
ASAHI-HARNESS-BEGIN arch=x86_64 pagesize=?
KernelPageSize:        4 kB
ASAHI-TEST-BEGIN kunit
[   14.906047] asahi: loading out-of-tree module taints kernel.
[   14.961099] asahi agx-virtual: AGX G13G C0 (chip 0x8103), virtual backend
[   14.996819] [drm] Initialized asahi 1.0.0 for agx-virtual on minor 1
[   14.997373] asahi agx-virtual: registered asahi DRM device
[   15.003343] KTAP version 1
[   15.004498] 1..2
[   15.010096]     KTAP version 1
[   15.010772]     # Subtest: asahi_idmap
[   15.011216]     # module: asahi
[   15.012415]     1..5
[   15.025750]     ok 1 ids_start_at_one
[   15.037278]     ok 2 reuses_lowest_free_id
[   15.047877]     ok 3 limit_gives_enospc
[   15.060322]     ok 4 remove_unknown_and_zero_ids
[   15.069600]     ok 5 get_after_remove
[   15.070426] # asahi_idmap: pass:5 fail:0 skip:0 total:5
[   15.071066] # Totals: pass:5 fail:0 skip:0 total:5
[   15.072044] ok 1 asahi_idmap
[   15.074616]     KTAP version 1
[   15.074830]     # Subtest: asahi_vm
[   15.075007]     # module: asahi
[   15.076286]     1..7
[   15.082802]     ok 1 accepts_mesa_window
[   15.089697]     ok 2 accepts_boundaries
[   15.102205]     ok 3 rejects_outside_user_range
[   15.110388]     ok 4 rejects_empty_and_reversed
[   15.118023]     ok 5 rejects_too_small
[   15.126525]     ok 6 rejects_unaligned
[   15.136022]     ok 7 serials_unique_and_nonzero
[   15.136713] # asahi_vm: pass:7 fail:0 skip:0 total:7
[   15.137352] # Totals: pass:7 fail:0 skip:0 total:7
[   15.137974] ok 2 asahi_vm
ASAHI-TEST-END kunit exit=0
ASAHI-INSMOD exit=0
ASAHI-RMMOD exit=0
ASAHI-KMEMLEAK-BEGIN
ASAHI-KMEMLEAK-END
ASAHI-HARNESS-DONE
";

    /// The same suites with one failed expectation in each (a deliberately broken test, as
    /// captured): an `expect_eq!` in `asahi_idmap` and an `Err` return in `asahi_vm`.
    const KUNIT_FAILED: &str = "\
ASAHI-HARNESS-BEGIN arch=x86_64 pagesize=?
ASAHI-TEST-BEGIN kunit
[   15.960109] KTAP version 1
[   15.960993] 1..2
[   15.965807]     KTAP version 1
[   15.966399]     # Subtest: asahi_idmap
[   15.966870]     # module: asahi
[   15.967882]     1..5
[   15.975628]     # ids_start_at_one: EXPECTATION FAILED at /work/kunit-wt/build/x86_64/module/drivers/gpu/drm/asahi/idmap.rs:76
[   15.975628]     Expected map.insert(10) == Ok(2), but
[   15.975628]         map.insert(10) == Ok(1)
[   15.975628]         Ok(2) == Ok(2)
[   15.983669]     not ok 1 ids_start_at_one
[   15.992938]     ok 2 reuses_lowest_free_id
[   16.002186]     ok 3 limit_gives_enospc
[   16.010627]     ok 4 remove_unknown_and_zero_ids
[   16.021559]     ok 5 get_after_remove
[   16.022362] # asahi_idmap: pass:4 fail:1 skip:0 total:5
[   16.023154] # Totals: pass:4 fail:1 skip:0 total:5
[   16.023813] not ok 1 asahi_idmap
[   16.026726]     KTAP version 1
[   16.026950]     # Subtest: asahi_vm
[   16.027125]     # module: asahi
[   16.027535]     1..7
[   16.031963]     # accepts_mesa_window: EXPECTATION FAILED at /work/kunit-wt/build/x86_64/module/drivers/gpu/drm/asahi/vm.rs:146
[   16.031963]     Test returned Err(Error(22))
[   16.037929]     not ok 1 accepts_mesa_window
[   16.044346]     ok 2 accepts_boundaries
[   16.055287]     ok 3 rejects_outside_user_range
[   16.062860]     ok 4 rejects_empty_and_reversed
[   16.071203]     ok 5 rejects_too_small
[   16.080416]     ok 6 rejects_unaligned
[   16.087809]     ok 7 serials_unique_and_nonzero
[   16.088958] # asahi_vm: pass:6 fail:1 skip:0 total:7
[   16.089512] # Totals: pass:6 fail:1 skip:0 total:7
[   16.090031] not ok 2 asahi_vm
ASAHI-TEST-END kunit exit=0
ASAHI-INSMOD exit=0
ASAHI-RMMOD exit=0
ASAHI-KMEMLEAK-BEGIN
ASAHI-KMEMLEAK-END
ASAHI-HARNESS-DONE
";

    const KUNIT_EXPECTED: &[&str] = &["kunit", "kunit/asahi_idmap", "kunit/asahi_vm"];

    #[test]
    fn kunit_suites_count_as_points() {
        let r = parse(KUNIT);
        assert_eq!(r.failures(KUNIT_EXPECTED), vec![]);
        assert_eq!(r.counts(), (2, 0));
        let kunit = &r.programs[0];
        assert_eq!(kunit.plan, Some(2));
        assert_eq!(kunit.point("asahi_vm").map(|p| p.number), Some(2));
        assert_eq!(r.insmod, Some(0));
    }

    #[test]
    fn failed_kunit_cases_fail_the_run_by_name() {
        let r = parse(KUNIT_FAILED);
        assert_eq!(r.counts(), (0, 2));
        assert_eq!(
            r.failures(KUNIT_EXPECTED),
            vec![
                Failure("kunit: not ok 1 - asahi_idmap".into()),
                Failure("kunit: not ok 2 - asahi_vm".into()),
                Failure("kunit: asahi_idmap: not ok 1 ids_start_at_one".into()),
                Failure("kunit: asahi_vm: not ok 1 accepts_mesa_window".into()),
            ]
        );
    }

    #[test]
    fn missing_or_skipped_kunit_suite_fails() {
        let r = parse(KUNIT);
        let f = r.failures(&["kunit", "kunit/asahi_idmap", "kunit/asahi_gem"]);
        assert_eq!(f, vec![Failure("kunit/asahi_gem: not reported".into())]);

        let skipped = KUNIT.replace("] ok 2 asahi_vm", "] ok 2 asahi_vm # SKIP no GPU");
        let r = parse(&skipped);
        assert_eq!(r.counts(), (2, 0));
        let f = r.failures(KUNIT_EXPECTED);
        assert_eq!(f, vec![Failure("kunit/asahi_vm: skipped".into())]);
    }

    #[test]
    fn kunit_disabled_or_missing_fails() {
        // Without kunit.enable=1 the suites do not run and KUnit says only this.
        let start = KUNIT.find("[   15.003343]").unwrap();
        let end = KUNIT.find("ASAHI-TEST-END").unwrap();
        let disabled = format!(
            "{}[   15.0] kunit: disabled\n{}",
            &KUNIT[..start],
            &KUNIT[end..]
        );
        let f = parse(&disabled).failures(KUNIT_EXPECTED);
        assert!(f.contains(&Failure("kunit: no TAP plan".into())), "{f:?}");
        assert!(
            f.contains(&Failure("kunit/asahi_vm: not reported".into())),
            "{f:?}"
        );

        // An /init without the kunit frame.
        let unframed = KUNIT
            .replace("ASAHI-TEST-BEGIN kunit\n", "")
            .replace("ASAHI-TEST-END kunit exit=0\n", "");
        let f = parse(&unframed).failures(KUNIT_EXPECTED);
        assert_eq!(
            f,
            vec![
                Failure("kunit: never ran".into()),
                Failure("kunit/asahi_idmap: never ran".into()),
                Failure("kunit/asahi_vm: never ran".into()),
            ]
        );
    }

    #[test]
    fn crash_inside_a_kunit_suite_fails() {
        let cut = KUNIT.find("[   15.089697]").unwrap();
        let r = parse(&KUNIT[..cut]);
        let f = r.failures(KUNIT_EXPECTED);
        assert!(
            f.contains(&Failure("kunit: did not finish".into())),
            "{f:?}"
        );
        assert!(f.contains(&Failure("kunit: planned 2 tests, reported 1".into())));
        assert!(f.contains(&Failure("kunit/asahi_vm: not reported".into())));
    }

    #[test]
    fn end_marker_of_another_program_does_not_end_the_current_one() {
        let log = CLEAN.replace(
            "ok 2 - version",
            "ASAHI-TEST-END other exit=0\nok 2 - version",
        );
        let r = parse(&log);
        assert_eq!(r.failures(&["drm_basics"]), vec![]);
        assert_eq!(r.counts(), (2, 0));
    }
}
