//! Extracts benchmark results from a guest's serial console log.
//!
//! In `asahi.mode=bench` the guest's `/init` frames each program of `/bench`:
//!
//! ```text
//! ASAHI-BENCH-BEGIN bench_submit
//! ASAHI-BENCH-RESULT {"group":"submit_latency","subject":"asahi","x":1,"unit":"ns/job",...}
//! ASAHI-BENCH-NOTE free text
//! ASAHI-BENCH-END bench_submit exit=0
//! ```
//!
//! Kernel messages share the console and may split a line; a result line that does not parse is
//! reported as a problem, never guessed at. Kernel splats anywhere in the log (the test harness's
//! [`SPLAT_PATTERNS`]) are problems too: a run that warned is not a clean measurement.

use crate::json::Value;
use asahi_test_harness::SPLAT_PATTERNS;

/// One measured (or skipped) figure, as the guest reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The guest program that reported it.
    pub program: String,
    /// The figure (`submit_latency`, `bo`, ...).
    pub group: String,
    /// The driver (`asahi...`) or a peer.
    pub subject: String,
    /// The scaling parameter (size in MiB, jobs in flight; 1 when there is none).
    pub x: u64,
    /// Unit of `median` and `p99`.
    pub unit: String,
    /// Median, absent when skipped.
    pub median: Option<f64>,
    /// 99th percentile, where reported.
    pub p99: Option<f64>,
    /// Number of samples.
    pub n: u64,
    /// Further numeric fields (a breakdown such as `map` and `unmap`), in order.
    pub extra: Vec<(String, f64)>,
    /// Why it was not measured.
    pub skipped: Option<String>,
}

/// Everything a bench run left on the console.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Run {
    /// `arch=... pagesize=...` from the harness's begin marker.
    pub guest: Option<String>,
    /// Results in console order.
    pub records: Vec<Record>,
    /// `ASAHI-BENCH-NOTE` texts.
    pub notes: Vec<String>,
    /// Programs and their exit status (`None`: no end marker).
    pub programs: Vec<(String, Option<i32>)>,
    /// What went wrong: unparsable results, programs that failed, splats.
    pub problems: Vec<String>,
}

const BEGIN: &str = "ASAHI-BENCH-BEGIN ";
const END: &str = "ASAHI-BENCH-END ";
const RESULT: &str = "ASAHI-BENCH-RESULT ";
const NOTE: &str = "ASAHI-BENCH-NOTE ";

/// Parses one result's JSON object.
///
/// # Errors
///
/// Returns a description of what is missing or malformed.
pub fn parse_record(program: &str, json: &str) -> Result<Record, String> {
    let v = Value::parse(json).map_err(|e| e.to_string())?;
    let Value::Obj(members) = &v else {
        return Err("not an object".into());
    };
    let text = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(format!("no string {k:?}"))
    };
    let x = v
        .get("x")
        .and_then(Value::as_f64)
        .filter(|x| *x >= 0.0 && x.fract() == 0.0)
        .ok_or("no integer \"x\"")?;
    let skipped = v.get("skipped").and_then(Value::as_str).map(str::to_owned);
    let median = v.get("median").and_then(Value::as_f64);
    if skipped.is_none() && median.is_none() {
        return Err("neither \"median\" nor \"skipped\"".into());
    }
    const KNOWN: [&str; 8] = [
        "group", "subject", "x", "unit", "median", "p99", "n", "skipped",
    ];
    let extra = members
        .iter()
        .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
        .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
        .collect();
    Ok(Record {
        program: program.to_owned(),
        group: text("group")?,
        subject: text("subject")?,
        // CAST: checked above to be a non-negative integer.
        x: x as u64,
        unit: text("unit")?,
        median,
        p99: v.get("p99").and_then(Value::as_f64),
        // CAST: a sample count.
        n: v.get("n").and_then(Value::as_f64).unwrap_or(0.0) as u64,
        extra,
        skipped,
    })
}

/// Strips a printk timestamp (`[   12.345678] `) some consoles put before user lines.
fn strip_stamp(line: &str) -> &str {
    let l = line.trim_end_matches('\r');
    if let Some(rest) = l.strip_prefix('[') {
        if let Some((stamp, tail)) = rest.split_once("] ") {
            if stamp.trim().chars().all(|c| c.is_ascii_digit() || c == '.') {
                return tail;
            }
        }
    }
    l
}

/// Extracts a bench run from a console log.
pub fn parse(log: &str) -> Run {
    let mut run = Run::default();
    let mut current: Option<String> = None;
    for (no, raw) in log.lines().enumerate() {
        let line = strip_stamp(raw);
        if let Some(p) = SPLAT_PATTERNS.iter().find(|p| raw.contains(*p)) {
            run.problems.push(format!(
                "line {}: kernel splat ({p}): {}",
                no + 1,
                raw.trim()
            ));
        }
        if let Some(rest) = line.strip_prefix("ASAHI-HARNESS-BEGIN ") {
            run.guest = Some(rest.trim().to_owned());
        } else if let Some(name) = line.strip_prefix(BEGIN) {
            let name = name.trim().to_owned();
            if let Some(prev) = current.replace(name.clone()) {
                run.problems.push(format!("{prev}: no end marker"));
            }
            run.programs.push((name, None));
        } else if let Some(rest) = line.strip_prefix(END) {
            let mut it = rest.split_whitespace();
            let name = it.next().unwrap_or_default();
            let exit = it
                .next()
                .and_then(|e| e.strip_prefix("exit="))
                .and_then(|e| e.parse().ok());
            if let Some(p) = run.programs.iter_mut().rev().find(|p| p.0 == name) {
                p.1 = exit;
            }
            if exit != Some(0) {
                run.problems.push(format!("{name}: exited with {exit:?}"));
            }
            current = None;
        } else if let Some(json) = line.find(RESULT).map(|i| &line[i + RESULT.len()..]) {
            let program = current.clone().unwrap_or_else(|| "?".into());
            match parse_record(&program, json.trim()) {
                Ok(r) => run.records.push(r),
                Err(e) => run
                    .problems
                    .push(format!("line {}: unreadable result ({e}): {json}", no + 1)),
            }
        } else if let Some(note) = line.strip_prefix(NOTE) {
            run.notes.push(note.trim().to_owned());
        }
    }
    if let Some(prev) = current {
        run.problems.push(format!("{prev}: no end marker"));
    }
    if run.programs.is_empty() {
        run.problems.push("no benchmark program ran".into());
    }
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
[    1.0] Linux version 6.12
ASAHI-HARNESS-BEGIN arch=x86_64 pagesize=4096
ASAHI-BENCH-BEGIN bench_bo
ASAHI-BENCH-RESULT {\"group\":\"bo\",\"subject\":\"asahi\",\"x\":4,\"unit\":\"ns/MiB\",\"median\":1500.5,\"n\":9,\"map\":3}
[    2.5] random kernel line
ASAHI-BENCH-RESULT {\"group\":\"bo\",\"subject\":\"vgem\",\"x\":64,\"unit\":\"ns/MiB\",\"skipped\":\"out of memory\"}
ASAHI-BENCH-RESULT {\"group\":\"bo\",\"subj[    3.1] interleaved
ASAHI-BENCH-NOTE bo: one byte per page
ASAHI-BENCH-END bench_bo exit=0
ASAHI-BENCH-BEGIN bench_submit
ASAHI-BENCH-RESULT {\"group\":\"submit_latency\",\"subject\":\"asahi\",\"x\":1,\"unit\":\"ns/job\",\"median\":10,\"p99\":20,\"n\":100}
";

    #[test]
    fn extracts_results_notes_and_problems() {
        let run = parse(LOG);
        assert_eq!(run.guest.as_deref(), Some("arch=x86_64 pagesize=4096"));
        assert_eq!(run.records.len(), 3);
        let r = &run.records[0];
        assert_eq!(
            (
                r.program.as_str(),
                r.group.as_str(),
                r.subject.as_str(),
                r.x
            ),
            ("bench_bo", "bo", "asahi", 4)
        );
        assert_eq!(r.median, Some(1500.5));
        assert_eq!(r.p99, None);
        assert_eq!(r.n, 9);
        assert_eq!(r.extra, vec![("map".to_owned(), 3.0)]);
        assert_eq!(run.records[1].skipped.as_deref(), Some("out of memory"));
        assert_eq!(run.records[2].p99, Some(20.0));
        assert_eq!(run.notes, vec!["bo: one byte per page"]);
        assert_eq!(
            run.programs,
            vec![("bench_bo".into(), Some(0)), ("bench_submit".into(), None)]
        );
        assert_eq!(run.problems.len(), 2, "{:?}", run.problems);
        assert!(run.problems[0].contains("unreadable result"));
        assert!(run.problems[1].contains("bench_submit: no end marker"));
    }

    #[test]
    fn splats_and_failures_are_problems() {
        let log =
            "ASAHI-BENCH-BEGIN b\n[ 1.0] WARNING: CPU: 0 PID: 1 at x\nASAHI-BENCH-END b exit=3\n";
        let run = parse(log);
        assert_eq!(run.problems.len(), 2, "{:?}", run.problems);
        assert!(run.problems[0].contains("kernel splat"));
        assert!(run.problems[1].contains("exited with Some(3)"));
        assert_eq!(parse("").problems, vec!["no benchmark program ran"]);
    }

    #[test]
    fn record_validation() {
        let ok = r#"{"group":"g","subject":"s","x":2,"unit":"u","median":1}"#;
        assert!(parse_record("p", ok).is_ok());
        for bad in [
            r#"{"group":"g","subject":"s","x":2,"unit":"u"}"#,
            r#"{"group":"g","subject":"s","x":2.5,"unit":"u","median":1}"#,
            r#"{"group":"g","subject":"s","x":-1,"unit":"u","median":1}"#,
            r#"{"subject":"s","x":2,"unit":"u","median":1}"#,
            r#"[1]"#,
        ] {
            assert!(parse_record("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timestamps_are_stripped() {
        assert_eq!(strip_stamp("[   12.5] ASAHI-X\r"), "ASAHI-X");
        assert_eq!(strip_stamp("[x] y"), "[x] y");
    }
}
