// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Feeds arbitrary bytes to the dump reader and to the decoder behind the `agx-coredump`
//! command. Run with `cargo +nightly fuzz run parse` from `tools/agx-coredump`; seed the corpus
//! with `tests/corpus/*.bin` and a generated dump.
//!
//! Without cargo-fuzz, the same instrumented build is (from `tools/agx-coredump/fuzz`):
//!
//! ```text
//! RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
//!   -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
//!   -Cllvm-args=-sanitizer-coverage-pc-table -Cllvm-args=-sanitizer-coverage-trace-compares \
//!   --cfg fuzzing -Cdebug-assertions -Coverflow-checks" \
//!   cargo +nightly build --release --target x86_64-unknown-linux-gnu --bin parse
//! target/x86_64-unknown-linux-gnu/release/parse -max_len=140000 CORPUS_DIR
//! ```

#![no_main]

use agx_coredump::format::Dump;
use agx_coredump::report::{self, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = Dump::parse(data);
    if let Ok(dump) = &parsed {
        let _ = dump.agx_info();
        let _ = dump.crashlog();
        for s in dump.segments() {
            let mut buf = [0u8; 64];
            let _ = dump.read_va(s.vaddr.wrapping_add(s.memsz).wrapping_sub(32), &mut buf);
            let _ = dump.slice_va(s.vaddr, 16);
        }
        let _ = report::memory_map(dump);
        let _ = report::read_memory(dump, 0xffff_ffa0_0000_0000, 256);
    }
    let rendered = report::render(data, &Options::default());
    // The decoder accepts exactly what the reader accepts.
    assert_eq!(rendered.is_ok(), parsed.is_ok());
});
