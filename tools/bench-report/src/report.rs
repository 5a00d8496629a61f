//! Turns a bench run into ratios against the peers, linearity verdicts, tables and the JSON
//! report.

use crate::console::{Record, Run};
use crate::json::Value;
use std::fmt::Write as _;

/// One ratio the project has a target for (or shows for information).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// The figure.
    pub group: &'static str,
    /// The driver's subject.
    pub subject: &'static str,
    /// Its peer.
    pub peer: &'static str,
    /// The largest acceptable subject/peer ratio, if the project has one.
    pub target: Option<f64>,
}

/// The comparisons the report makes, in table order (see BENCHMARKS.md for the targets).
pub const COMPARISONS: &[Comparison] = &[
    Comparison {
        group: "submit_latency",
        subject: "asahi",
        peer: "sw_sync",
        target: Some(3.0),
    },
    Comparison {
        group: "submit_latency",
        subject: "asahi",
        peer: "vgem",
        target: None,
    },
    Comparison {
        group: "submit_pipelined",
        subject: "asahi",
        peer: "sw_sync",
        target: Some(3.0),
    },
    Comparison {
        group: "bo",
        subject: "asahi",
        peer: "vgem",
        target: Some(1.2),
    },
    Comparison {
        group: "vm_bind_real",
        subject: "asahi_one_call",
        peer: "memfd_populate",
        target: Some(1.0),
    },
    Comparison {
        group: "vm_bind_real",
        subject: "asahi_16k_pieces",
        peer: "memfd_populate",
        target: Some(1.0),
    },
    Comparison {
        group: "vm_bind_sparse",
        subject: "asahi_one_call",
        peer: "anon_populate",
        target: Some(1.0),
    },
    Comparison {
        group: "vm_bind_sparse",
        subject: "asahi_16k_pieces",
        peer: "anon_populate",
        target: Some(1.0),
    },
    Comparison {
        group: "snapshot",
        subject: "asahi",
        peer: "memcpy",
        target: Some(2.0),
    },
    Comparison {
        group: "fw_alloc",
        subject: "asahi",
        peer: "kmalloc",
        target: None,
    },
];

/// Figures whose value is a per-unit cost over a size, which must not grow with the size.
pub const CURVES: &[&str] = &["bo", "vm_bind_real", "vm_bind_sparse", "snapshot"];

/// A curve is called linear when its per-unit cost at the largest size is within this factor of
/// the cost at the smallest (the guest is emulated and noisy; a quadratic walk over 16 MiB to
/// 4 GiB shows as a factor in the hundreds).
pub const LINEAR_TOLERANCE: f64 = 2.0;

/// One computed ratio.
#[derive(Debug, Clone, PartialEq)]
pub struct Ratio {
    /// What it compares.
    pub cmp: Comparison,
    /// At which `x`.
    pub x: u64,
    /// The subject's median.
    pub subject: f64,
    /// The peer's median.
    pub peer: f64,
    /// subject / peer of the medians.
    pub ratio: f64,
    /// subject / peer of the p99s, where both have one.
    pub p99_ratio: Option<f64>,
}

impl Ratio {
    /// `Some(true)` if the ratio meets its target, `None` without a target.
    pub fn meets(&self) -> Option<bool> {
        self.cmp.target.map(|t| self.ratio <= t)
    }
}

/// The linearity of one subject's curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// The figure.
    pub group: String,
    /// The subject.
    pub subject: String,
    /// `(x, per-unit median)` at each measured size, ascending.
    pub points: Vec<(u64, f64)>,
    /// Sizes reported as skipped.
    pub skipped: Vec<u64>,
}

impl Curve {
    /// Per-unit cost at the largest measured size over that at the smallest.
    pub fn growth(&self) -> Option<f64> {
        let (first, last) = (self.points.first()?, self.points.last()?);
        (self.points.len() >= 2 && first.1 > 0.0).then(|| last.1 / first.1)
    }

    /// Whether the curve is linear within [`LINEAR_TOLERANCE`] (`None`: fewer than 2 points).
    pub fn linear(&self) -> Option<bool> {
        self.growth().map(|g| g <= LINEAR_TOLERANCE)
    }
}

fn find<'a>(run: &'a Run, group: &str, subject: &str, x: u64) -> Option<&'a Record> {
    run.records
        .iter()
        .find(|r| r.group == group && r.subject == subject && r.x == x && r.median.is_some())
}

/// The ratios of every comparison at every `x` both sides measured.
pub fn ratios(run: &Run) -> Vec<Ratio> {
    let mut out = Vec::new();
    for cmp in COMPARISONS {
        let mut xs: Vec<u64> = run
            .records
            .iter()
            .filter(|r| r.group == cmp.group && r.subject == cmp.subject)
            .map(|r| r.x)
            .collect();
        xs.sort_unstable();
        xs.dedup();
        for x in xs {
            let (Some(s), Some(p)) = (
                find(run, cmp.group, cmp.subject, x),
                find(run, cmp.group, cmp.peer, x),
            ) else {
                continue;
            };
            let (sm, pm) = (s.median.unwrap_or(0.0), p.median.unwrap_or(0.0));
            if pm <= 0.0 {
                continue;
            }
            let p99_ratio = match (s.p99, p.p99) {
                (Some(a), Some(b)) if b > 0.0 => Some(a / b),
                _ => None,
            };
            out.push(Ratio {
                cmp: *cmp,
                x,
                subject: sm,
                peer: pm,
                ratio: sm / pm,
                p99_ratio,
            });
        }
    }
    out
}

/// The curve of every subject of the [`CURVES`] figures.
pub fn curves(run: &Run) -> Vec<Curve> {
    let mut out: Vec<Curve> = Vec::new();
    for r in run
        .records
        .iter()
        .filter(|r| CURVES.contains(&r.group.as_str()))
    {
        let i = match out
            .iter()
            .position(|c| c.group == r.group && c.subject == r.subject)
        {
            Some(i) => i,
            None => {
                out.push(Curve {
                    group: r.group.clone(),
                    subject: r.subject.clone(),
                    points: Vec::new(),
                    skipped: Vec::new(),
                });
                out.len() - 1
            }
        };
        match r.median {
            Some(m) if r.skipped.is_none() => out[i].points.push((r.x, m)),
            _ => out[i].skipped.push(r.x),
        }
    }
    for c in &mut out {
        c.points.sort_by_key(|p| p.0);
        c.skipped.sort_unstable();
    }
    out
}

/// Formats a value of `unit` for people: nanosecond units are scaled to µs/ms/s.
pub fn human(v: f64, unit: &str) -> String {
    let Some(rest) = unit.strip_prefix("ns") else {
        return format!("{} {unit}", sig(v));
    };
    let (scaled, prefix) = if v >= 1e9 {
        (v / 1e9, "s")
    } else if v >= 1e6 {
        (v / 1e6, "ms")
    } else if v >= 1e3 {
        (v / 1e3, "µs")
    } else {
        (v, "ns")
    };
    format!("{} {prefix}{rest}", sig(scaled))
}

/// Three significant digits, no exponent.
pub fn sig(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn x_label(group: &str, x: u64) -> String {
    match group {
        "submit_latency" => "-".into(),
        "submit_pipelined" => format!("{x} in flight"),
        "fw_alloc" if x == 1 => "1 thread".into(),
        "fw_alloc" => format!("{x} threads"),
        _ if x >= 1024 && x % 1024 == 0 => format!("{} GiB", x / 1024),
        _ => format!("{x} MiB"),
    }
}

/// The Markdown tables: measurements, ratios against targets, curves, then problems.
pub fn tables(target: &str, run: &Run) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "### {target} ({})\n",
        run.guest.as_deref().unwrap_or("guest unknown")
    );
    o.push_str("| figure | size / depth | subject | median | p99 | n | breakdown (median) |\n");
    o.push_str("|---|---|---|---|---|---|---|\n");
    for r in &run.records {
        let (median, p99, n) = match (&r.skipped, r.median) {
            (Some(why), _) => (format!("skipped: {why}"), String::new(), String::new()),
            (None, Some(m)) => (
                human(m, &r.unit),
                r.p99.map(|p| human(p, &r.unit)).unwrap_or_default(),
                r.n.to_string(),
            ),
            (None, None) => Default::default(),
        };
        let breakdown: Vec<String> = r
            .extra
            .iter()
            .map(|(k, v)| match k.strip_suffix("_per_s") {
                // A rate, not a value of the figure's unit.
                Some(what) => format!("{} {what}/s", sig(*v)),
                None => format!("{k} {}", human(*v, &r.unit)),
            })
            .collect();
        let _ = writeln!(
            o,
            "| {} | {} | {} | {median} | {p99} | {n} | {} |",
            r.group,
            x_label(&r.group, r.x),
            r.subject,
            breakdown.join(", ")
        );
    }
    o.push_str("\n| ratio (driver / peer, medians) | size / depth | ratio | p99 ratio | target | verdict |\n");
    o.push_str("|---|---|---|---|---|---|\n");
    for r in ratios(run) {
        let verdict = match r.meets() {
            Some(true) => "meets",
            Some(false) => "**misses**",
            None => "info",
        };
        let _ = writeln!(
            o,
            "| {}: {} / {} | {} | {:.2} | {} | {} | {verdict} |",
            r.cmp.group,
            r.cmp.subject,
            r.cmp.peer,
            x_label(r.cmp.group, r.x),
            r.ratio,
            r.p99_ratio.map(|p| format!("{p:.2}")).unwrap_or_default(),
            r.cmp
                .target
                .map(|t| format!("≤ {t}"))
                .unwrap_or_else(|| "-".into()),
        );
    }
    o.push_str("\n| curve (per-unit cost) | smallest | largest measured | largest / smallest | linear (≤ 2) | not measured |\n");
    o.push_str("|---|---|---|---|---|---|\n");
    for c in curves(run) {
        let unit = run
            .records
            .iter()
            .find(|r| r.group == c.group)
            .map(|r| r.unit.as_str())
            .unwrap_or("");
        let at = |p: Option<&(u64, f64)>| {
            p.map(|(x, v)| format!("{}: {}", x_label(&c.group, *x), human(*v, unit)))
                .unwrap_or_default()
        };
        let _ = writeln!(
            o,
            "| {}: {} | {} | {} | {} | {} | {} |",
            c.group,
            c.subject,
            at(c.points.first()),
            at(c.points.last()),
            c.growth().map(|g| format!("{g:.2}")).unwrap_or_default(),
            match c.linear() {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "?",
            },
            c.skipped
                .iter()
                .map(|x| x_label(&c.group, *x))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !run.notes.is_empty() {
        o.push('\n');
        for n in &run.notes {
            let _ = writeln!(o, "- note: {n}");
        }
    }
    if !run.problems.is_empty() {
        o.push('\n');
        for p in &run.problems {
            let _ = writeln!(o, "- PROBLEM: {p}");
        }
    }
    o
}

fn num(v: f64) -> Value {
    Value::Num(v)
}

fn s(v: &str) -> Value {
    Value::Str(v.to_owned())
}

fn opt(v: Option<f64>) -> Value {
    v.map_or(Value::Null, Value::Num)
}

/// The JSON report written to `build/bench/<target>.json`.
pub fn to_json(target: &str, run: &Run) -> Value {
    let records = run
        .records
        .iter()
        .map(|r| {
            let mut m = vec![
                ("program".into(), s(&r.program)),
                ("group".into(), s(&r.group)),
                ("subject".into(), s(&r.subject)),
                ("x".into(), num(r.x as f64)),
                ("unit".into(), s(&r.unit)),
                ("median".into(), opt(r.median)),
                ("p99".into(), opt(r.p99)),
                ("n".into(), num(r.n as f64)),
            ];
            if !r.extra.is_empty() {
                let extra = r.extra.iter().map(|(k, v)| (k.clone(), num(*v))).collect();
                m.push(("breakdown".into(), Value::Obj(extra)));
            }
            if let Some(why) = &r.skipped {
                m.push(("skipped".into(), s(why)));
            }
            Value::Obj(m)
        })
        .collect();
    let ratios = ratios(run)
        .into_iter()
        .map(|r| {
            Value::Obj(vec![
                ("group".into(), s(r.cmp.group)),
                ("subject".into(), s(r.cmp.subject)),
                ("peer".into(), s(r.cmp.peer)),
                ("x".into(), num(r.x as f64)),
                ("ratio".into(), num(r.ratio)),
                ("p99_ratio".into(), opt(r.p99_ratio)),
                ("target".into(), opt(r.cmp.target)),
                ("meets".into(), r.meets().map_or(Value::Null, Value::Bool)),
            ])
        })
        .collect();
    let curves = curves(run)
        .into_iter()
        .map(|c| {
            Value::Obj(vec![
                ("group".into(), s(&c.group)),
                ("subject".into(), s(&c.subject)),
                (
                    "points".into(),
                    Value::Arr(
                        c.points
                            .iter()
                            .map(|(x, v)| Value::Arr(vec![num(*x as f64), num(*v)]))
                            .collect(),
                    ),
                ),
                ("growth".into(), opt(c.growth())),
                ("linear".into(), c.linear().map_or(Value::Null, Value::Bool)),
                (
                    "not_measured".into(),
                    Value::Arr(c.skipped.iter().map(|x| num(*x as f64)).collect()),
                ),
            ])
        })
        .collect();
    let texts = |v: &[String]| Value::Arr(v.iter().map(|t| s(t)).collect());
    Value::Obj(vec![
        ("target".into(), s(target)),
        ("guest".into(), run.guest.as_deref().map_or(Value::Null, s)),
        ("records".into(), Value::Arr(records)),
        ("ratios".into(), Value::Arr(ratios)),
        ("curves".into(), Value::Arr(curves)),
        ("notes".into(), texts(&run.notes)),
        ("problems".into(), texts(&run.problems)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::parse;

    fn line(group: &str, subject: &str, x: u64, median: f64, p99: Option<f64>) -> String {
        let p99 = p99.map(|p| format!(",\"p99\":{p}")).unwrap_or_default();
        format!(
            "ASAHI-BENCH-RESULT {{\"group\":\"{group}\",\"subject\":\"{subject}\",\"x\":{x},\
             \"unit\":\"ns/16KiB\",\"median\":{median}{p99},\"n\":3}}\n"
        )
    }

    fn run() -> Run {
        let mut log = String::from("ASAHI-BENCH-BEGIN b\n");
        log += &line("submit_latency", "asahi", 1, 300.0, Some(900.0));
        log += &line("submit_latency", "sw_sync", 1, 100.0, Some(200.0));
        log += &line("vm_bind_sparse", "asahi_16k_pieces", 16, 10.0, None);
        log += &line("vm_bind_sparse", "asahi_16k_pieces", 64, 40.0, None);
        log += "ASAHI-BENCH-RESULT {\"group\":\"vm_bind_sparse\",\"subject\":\"asahi_16k_pieces\",\
                \"x\":256,\"unit\":\"ns/16KiB\",\"skipped\":\"slow\"}\n";
        log += &line("vm_bind_sparse", "asahi_one_call", 16, 10.0, None);
        log += &line("vm_bind_sparse", "asahi_one_call", 4096, 12.0, None);
        log += &line("vm_bind_sparse", "anon_populate", 16, 20.0, None);
        log += &line("vm_bind_sparse", "anon_populate", 64, 20.0, None);
        log += "ASAHI-BENCH-END b exit=0\n";
        parse(&log)
    }

    #[test]
    fn ratios_against_targets() {
        let r = ratios(&run());
        assert_eq!(r.len(), 4, "{r:?}");
        assert_eq!((r[0].cmp.peer, r[0].ratio), ("sw_sync", 3.0));
        assert_eq!(r[0].p99_ratio, Some(4.5));
        assert_eq!(r[0].meets(), Some(true));
        // The one-call curve has no peer at 4096: only 16 is compared; pieces at 16 and 64.
        assert_eq!(
            (r[1].cmp.subject, r[1].x, r[1].ratio),
            ("asahi_one_call", 16, 0.5)
        );
        assert_eq!(
            (r[2].cmp.subject, r[2].x, r[2].ratio),
            ("asahi_16k_pieces", 16, 0.5)
        );
        assert_eq!((r[3].x, r[3].ratio, r[3].meets()), (64, 2.0, Some(false)));
    }

    #[test]
    fn curve_linearity() {
        let c = curves(&run());
        let pieces = c.iter().find(|c| c.subject == "asahi_16k_pieces").unwrap();
        assert_eq!(pieces.points, vec![(16, 10.0), (64, 40.0)]);
        assert_eq!(pieces.skipped, vec![256]);
        assert_eq!(pieces.growth(), Some(4.0));
        assert_eq!(pieces.linear(), Some(false));
        let one = c.iter().find(|c| c.subject == "asahi_one_call").unwrap();
        assert_eq!(one.linear(), Some(true));
        let single = Curve {
            group: "bo".into(),
            subject: "x".into(),
            points: vec![(1, 1.0)],
            skipped: vec![],
        };
        assert_eq!(single.linear(), None);
    }

    #[test]
    fn human_units() {
        assert_eq!(human(999.0, "ns/job"), "999 ns/job");
        assert_eq!(human(12_345.0, "ns/job"), "12.3 µs/job");
        assert_eq!(human(2.5e6, "ns/MiB"), "2.50 ms/MiB");
        assert_eq!(human(3e9, "ns"), "3.00 s");
        assert_eq!(human(0.5, "x"), "0.500 x");
    }

    #[test]
    fn fw_alloc_rows_name_threads_and_rates() {
        let log = "ASAHI-BENCH-BEGIN b\n\
            ASAHI-BENCH-RESULT {\"group\":\"fw_alloc\",\"subject\":\"asahi\",\"x\":2,\"unit\":\"ns/op\",\"median\":23495.2,\"n\":4,\"ops_per_s\":42561.8}\n\
            ASAHI-BENCH-RESULT {\"group\":\"fw_alloc\",\"subject\":\"kmalloc\",\"x\":1,\"unit\":\"ns/op\",\"median\":346243.5,\"n\":3,\"ops_per_s\":2888.1}\n\
            ASAHI-BENCH-END b exit=0\n";
        let t = tables("x86_64", &crate::console::parse(log));
        assert!(
            t.contains("| fw_alloc | 2 threads | asahi | 23.5 µs/op |  | 4 | 42562 ops/s |"),
            "{t}"
        );
        assert!(
            t.contains("| fw_alloc | 1 thread | kmalloc | 346 µs/op |"),
            "{t}"
        );
    }

    #[test]
    fn tables_and_json() {
        let run = run();
        let t = tables("x86_64", &run);
        assert!(t.contains("| submit_latency: asahi / sw_sync | - | 3.00 | 4.50 | ≤ 3 | meets |"));
        assert!(t.contains("| vm_bind_sparse: asahi_16k_pieces | 16 MiB: 10.0 ns/16KiB | 64 MiB: 40.0 ns/16KiB | 4.00 | **no** | 256 MiB |"));
        let j = to_json("x86_64", &run);
        let back = Value::parse(&j.to_string()).unwrap();
        assert_eq!(back, j);
        let Some(Value::Arr(ratios)) = j.get("ratios") else {
            panic!()
        };
        assert_eq!(ratios.len(), 4);
        assert_eq!(ratios[3].get("meets"), Some(&Value::Bool(false)));
    }
}
