//! `agx-coredump`: decodes asahi GPU crash dumps.
fn main() {}
