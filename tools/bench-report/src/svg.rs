//! Hand-written SVG charts: a log-log line chart for the scaling curves and a grouped bar chart
//! for single-point figures. No scripts, no external resources.

use crate::report::{human, sig};
use std::fmt::Write as _;

const W: f64 = 720.0;
const H: f64 = 420.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 200.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;
const COLORS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
];

/// One named series of `(x, y)` points.
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Points, ascending in x; non-positive values are left out of log axes.
    pub points: Vec<(f64, f64)>,
}

/// Escapes text for SVG.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn header(title: &str) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" \
         viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(o, "<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>");
    let _ = writeln!(
        o,
        "<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{}</text>",
        (LEFT + W - RIGHT) / 2.0,
        esc(title)
    );
    o
}

/// The plot area's frame, `pw` by `ph` at (`LEFT`, `TOP`).
fn frame(o: &mut String, pw: f64, ph: f64) {
    let _ = writeln!(
        o,
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#444\"/>"
    );
}

/// A horizontal grid line across the plot area (`pw` wide) at `py`, labelled `label` on the
/// left.
fn y_grid_line(o: &mut String, pw: f64, py: f64, label: &str) {
    let _ = writeln!(
        o,
        "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{py:.1}\" y2=\"{py:.1}\" stroke=\"#ddd\"/>\
         <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
        LEFT + pw,
        LEFT - 6.0,
        py + 4.0,
        esc(label)
    );
}

/// Decades (1, 10, 100, ...) covering `lo..=hi`, for a log axis.
fn decades(lo: f64, hi: f64) -> (f64, f64) {
    let a = 10f64.powf(lo.log10().floor());
    let mut b = 10f64.powf(hi.log10().ceil());
    if b <= a {
        b = a * 10.0;
    }
    (a, b)
}

/// A log-log line chart. `x_unit` labels ticks (e.g. "MiB"), `y_unit` is the values' unit
/// (nanosecond units are shown scaled).
pub fn line_chart(title: &str, x_label: &str, y_unit: &str, series: &[Series]) -> String {
    let pts = || {
        series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|p| p.0 > 0.0 && p.1 > 0.0)
    };
    let mut o = header(title);
    let (Some(xmin), Some(xmax)) = (
        pts().map(|p| p.0).min_by(f64::total_cmp),
        pts().map(|p| p.0).max_by(f64::total_cmp),
    ) else {
        o.push_str("<text x=\"40\" y=\"80\">no data</text>\n</svg>\n");
        return o;
    };
    let ymin = pts().map(|p| p.1).min_by(f64::total_cmp).unwrap_or(1.0);
    let ymax = pts().map(|p| p.1).max_by(f64::total_cmp).unwrap_or(10.0);
    let (ya, yb) = decades(ymin, ymax);
    let (xa, xb) = if xmax > xmin {
        (xmin.log2(), xmax.log2())
    } else {
        (xmin.log2() - 1.0, xmin.log2() + 1.0)
    };
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let sx = |x: f64| LEFT + (x.log2() - xa) / (xb - xa) * pw;
    let sy = |y: f64| TOP + ph - (y.log10() - ya.log10()) / (yb.log10() - ya.log10()) * ph;
    frame(&mut o, pw, ph);
    // Y grid per decade.
    let mut y = ya;
    while y <= yb * 1.0001 {
        let py = sy(y);
        y_grid_line(&mut o, pw, py, &human(y, y_unit));
        y *= 10.0;
    }
    // X ticks at each distinct x.
    let mut xs: Vec<f64> = pts().map(|p| p.0).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    for x in xs {
        let px = sx(x);
        let whole = |v: f64| {
            if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                sig(v)
            }
        };
        let label = if x >= 1024.0 && x_label == "MiB" {
            format!("{} GiB", whole(x / 1024.0))
        } else {
            format!("{} {x_label}", whole(x))
        };
        let _ = writeln!(
            o,
            "<line x1=\"{px:.1}\" x2=\"{px:.1}\" y1=\"{TOP}\" y2=\"{}\" stroke=\"#eee\"/>\
             <text x=\"{px:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            TOP + ph,
            TOP + ph + 18.0,
            esc(&label)
        );
    }
    let _ = writeln!(
        o,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">log scales; y: median per unit</text>",
        LEFT + pw / 2.0,
        H - 14.0
    );
    for (i, s) in series.iter().enumerate() {
        let c = COLORS[i % COLORS.len()];
        let p: Vec<String> = s
            .points
            .iter()
            .filter(|p| p.0 > 0.0 && p.1 > 0.0)
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        if p.len() > 1 {
            let _ = writeln!(
                o,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"2\"/>",
                p.join(" ")
            );
        }
        for q in &p {
            let (x, y) = q.split_once(',').unwrap_or(("0", "0"));
            let _ = writeln!(o, "<circle cx=\"{x}\" cy=\"{y}\" r=\"3.5\" fill=\"{c}\"/>");
        }
        let ly = TOP + 10.0 + 20.0 * i as f64;
        let lx = W - RIGHT + 12.0;
        let _ = writeln!(
            o,
            "<line x1=\"{lx}\" x2=\"{}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{c}\" stroke-width=\"3\"/>\
             <text x=\"{}\" y=\"{}\">{}</text>",
            lx + 18.0,
            lx + 24.0,
            ly + 4.0,
            esc(&s.name)
        );
    }
    o.push_str("</svg>\n");
    o
}

/// A grouped bar chart on a linear axis: one group per label, one bar per `(series, value)`.
pub fn bar_chart(title: &str, y_unit: &str, groups: &[(String, Vec<(String, f64)>)]) -> String {
    let mut o = header(title);
    let ymax = groups
        .iter()
        .flat_map(|g| g.1.iter().map(|b| b.1))
        .fold(0.0f64, f64::max);
    if ymax <= 0.0 {
        o.push_str("<text x=\"40\" y=\"80\">no data</text>\n</svg>\n");
        return o;
    }
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let top = ymax * 1.1;
    let sy = |y: f64| TOP + ph - y / top * ph;
    frame(&mut o, pw, ph);
    for i in 0..=4 {
        let y = top * f64::from(i) / 4.0;
        let py = sy(y);
        y_grid_line(&mut o, pw, py, &human(y, y_unit));
    }
    let gw = pw / groups.len().max(1) as f64;
    let mut legend: Vec<&str> = Vec::new();
    for (gi, (label, bars)) in groups.iter().enumerate() {
        let bw = gw * 0.8 / bars.len().max(1) as f64;
        for (bi, (name, v)) in bars.iter().enumerate() {
            let li = legend.iter().position(|n| n == name).unwrap_or_else(|| {
                legend.push(name);
                legend.len() - 1
            });
            let c = COLORS[li % COLORS.len()];
            let x = LEFT + gw * gi as f64 + gw * 0.1 + bw * bi as f64;
            let _ = writeln!(
                o,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{c}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\">{}</text>",
                sy(*v),
                bw * 0.9,
                TOP + ph - sy(*v),
                x + bw * 0.45,
                sy(*v) - 4.0,
                esc(&human(*v, y_unit))
            );
        }
        let _ = writeln!(
            o,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            LEFT + gw * (gi as f64 + 0.5),
            TOP + ph + 18.0,
            esc(label)
        );
    }
    for (i, name) in legend.iter().enumerate() {
        let ly = TOP + 10.0 + 20.0 * i as f64;
        let lx = W - RIGHT + 12.0;
        let _ = writeln!(
            o,
            "<rect x=\"{lx}\" y=\"{}\" width=\"14\" height=\"10\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{}\">{}</text>",
            ly - 5.0,
            COLORS[i % COLORS.len()],
            lx + 20.0,
            ly + 4.0,
            esc(name)
        );
    }
    o.push_str("</svg>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_chart_is_well_formed() {
        let s = vec![
            Series {
                name: "a<b".into(),
                points: vec![(16.0, 10.0), (64.0, 40.0), (4096.0, 0.0)],
            },
            Series {
                name: "peer".into(),
                points: vec![(16.0, 20.0), (1024.0, 5.0)],
            },
        ];
        let svg = line_chart("t & u", "MiB", "ns/16KiB", &s);
        assert!(svg.starts_with("<svg "));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("t &amp; u"));
        assert!(svg.contains("a&lt;b"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 4);
        assert!(svg.contains(">10.0 ns/16KiB<"));
        assert!(svg.contains(">16 MiB<") && svg.contains(">1 GiB<"), "{svg}");
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        let empty = line_chart("e", "MiB", "ns", &[]);
        assert!(empty.contains("no data"));
    }

    #[test]
    fn bar_chart_is_well_formed() {
        let g = vec![
            (
                "median".to_string(),
                vec![("asahi".to_string(), 300.0), ("sw_sync".to_string(), 100.0)],
            ),
            ("p99".to_string(), vec![("asahi".to_string(), 900.0)]),
        ];
        let svg = bar_chart("lat", "ns/job", &g);
        assert_eq!(svg.matches("<rect").count(), 2 + 3 + 2);
        assert!(svg.contains(">900 ns/job<"));
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn decade_bounds() {
        assert_eq!(decades(15.0, 900.0), (10.0, 1000.0));
        assert_eq!(decades(10.0, 10.0), (10.0, 100.0));
    }
}
