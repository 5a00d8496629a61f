//! Shared support for the guest benchmark programs (`src/bin/bench_*.rs`, run by `/init` in
//! `asahi.mode=bench`): a CLOCK_MONOTONIC clock, sample statistics, and the result lines the host
//! (`tools/bench-report`) extracts from the console.
//!
//! Every result is one line `ASAHI-BENCH-RESULT {json}` holding one flat JSON object, so that a
//! kernel message landing on the console mid-line spoils one record, never the whole run:
//!
//! ```text
//! ASAHI-BENCH-RESULT {"group":"bo","subject":"asahi","x":4,"unit":"ns/MiB","median":1.5e6,"n":9}
//! ASAHI-BENCH-RESULT {"group":"bo","subject":"asahi","x":64,"skipped":"out of memory"}
//! ```
//!
//! `group` names the figure, `subject` the driver or its peer, `x` the scaling parameter (size,
//! jobs in flight); `median` (and `p99` where meaningful) are in `unit`. Extra numeric fields
//! break a figure down (e.g. `map` and `unmap`). `ASAHI-BENCH-NOTE` lines carry free text.

use std::fmt::Write as _;
use std::io::Write as _;

/// CLOCK_MONOTONIC now, in nanoseconds.
pub fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    // CAST: CLOCK_MONOTONIC is never negative.
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Times `f`, returning its result and the elapsed nanoseconds.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let t0 = now_ns();
    let r = f();
    (r, now_ns() - t0)
}

/// Collected samples of one measurement, in any unit.
#[derive(Debug, Default, Clone)]
pub struct Samples(pub Vec<f64>);

impl Samples {
    /// Adds a sample.
    pub fn push(&mut self, v: f64) {
        self.0.push(v);
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn sorted(&self) -> Vec<f64> {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        v
    }

    /// The median (mean of the middle two for an even count); 0 when empty.
    pub fn median(&self) -> f64 {
        let v = self.sorted();
        match v.len() {
            0 => 0.0,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }

    /// The nearest-rank 99th percentile; 0 when empty.
    pub fn p99(&self) -> f64 {
        let v = self.sorted();
        if v.is_empty() {
            return 0.0;
        }
        let rank = (v.len() * 99).div_ceil(100).max(1);
        v[rank - 1]
    }
}

/// Escapes a string for a JSON string literal.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Formats a number for JSON (finite, at most 4 decimals).
fn json_num(v: f64) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s.into()
    }
}

fn print_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// One result: `group`/`subject` at `x`, in `unit`.
pub struct Figure<'a> {
    /// Figure name.
    pub group: &'a str,
    /// The driver or its peer.
    pub subject: &'a str,
    /// The scaling parameter.
    pub x: u64,
    /// Unit of the values.
    pub unit: &'a str,
}

impl Figure<'_> {
    /// Prints the result line: median, optionally p99, sample count and extra fields.
    pub fn emit(&self, s: &Samples, with_p99: bool, extra: &[(&str, f64)]) {
        let mut line = format!(
            "ASAHI-BENCH-RESULT {{\"group\":{},\"subject\":{},\"x\":{},\"unit\":{},\"median\":{}",
            json_str(self.group),
            json_str(self.subject),
            self.x,
            json_str(self.unit),
            json_num(s.median())
        );
        if with_p99 {
            let _ = write!(line, ",\"p99\":{}", json_num(s.p99()));
        }
        let _ = write!(line, ",\"n\":{}", s.len());
        for (k, v) in extra {
            let _ = write!(line, ",{}:{}", json_str(k), json_num(*v));
        }
        line.push('}');
        print_line(&line);
    }

    /// Prints that this result could not be measured, and why.
    pub fn skip(&self, why: impl std::fmt::Display) {
        print_line(&format!(
            "ASAHI-BENCH-RESULT {{\"group\":{},\"subject\":{},\"x\":{},\"unit\":{},\"skipped\":{}}}",
            json_str(self.group),
            json_str(self.subject),
            self.x,
            json_str(self.unit),
            json_str(&why.to_string())
        ));
    }
}

/// Prints a free-text note for the report.
pub fn note(msg: impl std::fmt::Display) {
    print_line(&format!("ASAHI-BENCH-NOTE {msg}"));
}

/// Repeats `f` (which returns one sample) at least `min` and at most `max` times, stopping once
/// `budget_ms` have passed; stops at the first error and returns it.
pub fn repeat<E>(
    min: usize,
    max: usize,
    budget_ms: u64,
    mut f: impl FnMut() -> std::result::Result<f64, E>,
) -> std::result::Result<Samples, E> {
    let mut s = Samples::default();
    let start = now_ns();
    while s.len() < max && (s.len() < min || now_ns() - start < budget_ms * 1_000_000) {
        s.push(f()?);
    }
    Ok(s)
}

/// Writes one byte in every CPU page of `len` bytes at `ptr`.
///
/// # Safety
///
/// `ptr..ptr + len` must be a live writable mapping that no Rust reference covers.
pub unsafe fn touch_pages(ptr: *mut u8, len: usize) {
    let page = page_size();
    let mut off = 0;
    while off < len {
        // SAFETY: `off < len`, inside the mapping the caller vouches for.
        unsafe { ptr.add(off).write_volatile(1) };
        off += page;
    }
}

/// The CPU page size.
pub fn page_size() -> usize {
    // SAFETY: `sysconf` has no memory-safety preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(p).unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_p99() {
        let s = Samples((1..=100).map(f64::from).collect());
        assert_eq!(s.median(), 50.5);
        assert_eq!(s.p99(), 99.0);
        let s = Samples(vec![3.0, 1.0, 2.0]);
        assert_eq!(s.median(), 2.0);
        assert_eq!(s.p99(), 3.0);
        assert_eq!(Samples::default().median(), 0.0);
    }

    #[test]
    fn json_formatting() {
        assert_eq!(json_num(1.5), "1.5");
        assert_eq!(json_num(2.0), "2");
        assert_eq!(json_num(f64::NAN), "0");
        assert_eq!(json_str("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
    }
}
