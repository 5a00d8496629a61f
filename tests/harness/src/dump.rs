//! The crash dump a guest prints on its console (base64 between `ASAHI-DUMP-BEGIN` and
//! `ASAHI-DUMP-END`), taken back out of the log.

use crate::strip_timestamp;

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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(extract_dump(crate::tests::CLEAN), None);
    }
}
