//! `asahi-test-harness check <console log> [expected program or program/point...]`: judges a
//! guest run.
//!
//! `asahi-test-harness extract-dump <console log> <out>`: writes the crash dump the guest
//! printed (base64) to `out`; exits 1 if the log holds none.
//!
//! Prints one TAP line per guest test point and per failure, then `N passed, N failed`, and
//! exits non-zero if the run failed for any reason (see the library docs).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(cmd), Some(path)) = (args.first(), args.get(1)) else {
        eprintln!(
            "usage: asahi-test-harness check <console log> [expected program or program/point...]"
        );
        return ExitCode::from(2);
    };
    let log = match std::fs::read(path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    if cmd == "extract-dump" {
        let Some(out) = args.get(2) else {
            eprintln!("usage: asahi-test-harness extract-dump <console log> <out>");
            return ExitCode::from(2);
        };
        let Some(dump) = asahi_test_harness::extract_dump(&log) else {
            eprintln!("{path}: no complete crash dump in the log");
            return ExitCode::FAILURE;
        };
        if let Err(e) = std::fs::write(out, &dump) {
            eprintln!("{out}: {e}");
            return ExitCode::from(2);
        }
        println!("{out}: {} bytes", dump.len());
        return ExitCode::SUCCESS;
    }
    if cmd != "check" {
        eprintln!("unknown command {cmd}");
        return ExitCode::from(2);
    }
    let expected: Vec<&str> = args[2..].iter().map(String::as_str).collect();
    let report = asahi_test_harness::parse(&log);
    for p in &report.programs {
        for t in &p.points {
            let status = if t.ok { "ok" } else { "not ok" };
            println!("{status} - {}: {}", p.name, t.description);
        }
    }
    let failures = report.failures(&expected);
    for f in &failures {
        println!("not ok - {f}");
    }
    let (passed, failed) = report.counts();
    // Harness-level failures (splats, leaks, rmmod) count as failed tests too.
    let harness_failed = failures.len().saturating_sub(failed);
    println!("{passed} passed, {} failed", failed + harness_failed);
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
