//! Host side of the benchmarks (`tools/bench.sh`, `BENCHMARKS.md`): extracts the results the
//! guest's `bench_*` programs print on the console ([`console`]), compares each driver figure with
//! its in-kernel peer from the same boot and checks the scaling curves ([`report`]), and draws
//! the charts ([`svg`]). [`json`] is a small JSON reader/writer, so the crate needs nothing
//! beyond the workspace.

#![forbid(unsafe_code)]

pub mod console;
pub mod json;
pub mod report;
pub mod svg;

use report::CURVES;
use svg::Series;

/// The charts of a run: `(file name suffix, SVG)`.
pub fn charts(target: &str, run: &console::Run) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let lat: Vec<_> = run
        .records
        .iter()
        .filter(|r| r.group == "submit_latency" && r.median.is_some())
        .collect();
    if !lat.is_empty() {
        let groups = vec![
            (
                "median".to_string(),
                lat.iter()
                    .map(|r| (r.subject.clone(), r.median.unwrap_or(0.0)))
                    .collect(),
            ),
            (
                "p99".to_string(),
                lat.iter()
                    .filter_map(|r| Some((r.subject.clone(), r.p99?)))
                    .collect(),
            ),
        ];
        out.push((
            "submit_latency".into(),
            svg::bar_chart(
                &format!("{target}: submit round trip vs fence peers"),
                "ns/job",
                &groups,
            ),
        ));
    }
    let line_groups: Vec<(&str, &str, &str)> =
        std::iter::once(("submit_pipelined", "in flight", "time per job, pipelined"))
            .chain(std::iter::once((
                "fw_alloc",
                "threads",
                "firmware-heap alloc+free per object vs kzalloc/kfree",
            )))
            .chain(CURVES.iter().map(|g| {
                let what = match *g {
                    "bo" => "BO create+mmap+touch+close per MiB",
                    "vm_bind_real" => "VM_BIND map+unmap per 16K page (real object)",
                    "snapshot" => "crash snapshot per MiB vs in-kernel memcpy",
                    _ => "VM_BIND map+unmap per 16K page (SINGLE_PAGE, sparse)",
                };
                (*g, "MiB", what)
            }))
            .collect();
    for (group, x_unit, what) in line_groups {
        let mut series: Vec<Series> = Vec::new();
        let mut unit = String::new();
        for r in run.records.iter().filter(|r| r.group == group) {
            unit.clone_from(&r.unit);
            let Some(m) = r.median.filter(|_| r.skipped.is_none()) else {
                continue;
            };
            match series.iter_mut().find(|s| s.name == r.subject) {
                Some(s) => s.points.push((r.x as f64, m)),
                None => series.push(Series {
                    name: r.subject.clone(),
                    points: vec![(r.x as f64, m)],
                }),
            }
        }
        if series.is_empty() {
            continue;
        }
        for s in &mut series {
            s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        out.push((
            group.into(),
            svg::line_chart(&format!("{target}: {what}"), x_unit, &unit, &series),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn charts_per_figure() {
        let log = "ASAHI-BENCH-BEGIN b
ASAHI-BENCH-RESULT {\"group\":\"submit_latency\",\"subject\":\"asahi\",\"x\":1,\"unit\":\"ns/job\",\"median\":3,\"p99\":5,\"n\":3}
ASAHI-BENCH-RESULT {\"group\":\"bo\",\"subject\":\"asahi\",\"x\":1,\"unit\":\"ns/MiB\",\"median\":3,\"n\":3}
ASAHI-BENCH-RESULT {\"group\":\"bo\",\"subject\":\"asahi\",\"x\":4,\"unit\":\"ns/MiB\",\"median\":3,\"n\":3}
ASAHI-BENCH-END b exit=0
";
        let run = super::console::parse(log);
        let c = super::charts("x86_64", &run);
        let names: Vec<&str> = c.iter().map(|c| c.0.as_str()).collect();
        assert_eq!(names, vec!["submit_latency", "bo"]);
        assert!(c[1].1.contains("<polyline"));
    }
}
