// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The RTKit crash log section: its printable text runs and a hex dump.

use core::fmt::Write as _;

use super::memory::hexdump;

/// Runs of at least four printable characters in `bytes`, with their offsets.
pub fn printable_runs(bytes: &[u8]) -> Vec<(usize, &str)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, b) in bytes.iter().chain(core::iter::once(&0)).enumerate() {
        let printable = b.is_ascii_graphic() || *b == b' ' || *b == b'\t';
        match (printable, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i.saturating_sub(s) >= 4 {
                    if let Some(text) = bytes.get(s..i).and_then(|t| core::str::from_utf8(t).ok()) {
                        runs.push((s, text));
                    }
                }
                start = None;
            }
            _ => {}
        }
    }
    runs
}

pub(super) fn crashlog(out: &mut String, log: Option<&[u8]>) {
    let Some(log) = log else {
        out.push_str("RTKit crash log: none\n");
        return;
    };
    let _ = writeln!(out, "RTKit crash log ({} bytes)", log.len());
    out.push_str(" text:\n");
    let runs = printable_runs(log);
    if runs.is_empty() {
        out.push_str("  (no printable text)\n");
    }
    for (off, text) in runs {
        let _ = writeln!(out, "  +{off:#06x}  {text}");
    }
    out.push_str(" hex:\n");
    hexdump(out, 0, log);
}
