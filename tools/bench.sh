#!/usr/bin/env bash
# Benchmarks the driver against in-kernel peers measured in the same guest boot (see
# BENCHMARKS.md): builds like tools/test.sh (kernel cached, module, guest programs, initramfs),
# boots each target with asahi.mode=bench, which runs the /bench/bench_* programs, then
# asahi-bench (tools/bench-report) extracts their results from the console, prints a table and
# writes build/bench/<target>.json and build/bench/<target>-*.svg.
#
# ASAHI_TARGETS="x86_64" limits the targets (default: x86_64 arm64); ASAHI_BENCH=bench_fw,bench_bo
# runs only those benchmark programs. Exits non-zero if a target
# failed to build, boot or report.
set -uo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
cd "$top"
export PATH="$HOME/.cargo/bin:$PATH"
TARGETS="${ASAHI_TARGETS:-x86_64 arm64}"
OUT="$top/build/bench"
mkdir -p "$OUT"
bash tools/setup.sh >/dev/null || { echo "setup failed"; exit 1; }
cargo build -q --locked -p asahi-bench || exit 1
REPORT="$top/target/debug/asahi-bench"
status=0
for t in $TARGETS; do
  printf '\n==== %s\n' "$t"
  K=$(tools/kernel/build.sh "$t") || { echo "$t: kernel build failed"; status=1; continue; }
  KO=$(tools/build-module.sh "$t" "$K") || { echo "$t: module build failed"; status=1; continue; }
  B=$(tests/guest/build.sh "$t") || { echo "$t: guest program build failed"; status=1; continue; }
  INITRD="$top/build/$t/bench-initramfs.cpio.gz"
  tests/guest/mkinitramfs.sh "$t" "$KO" "$B" "$INITRD"
  CONSOLE="$top/build/$t/bench-console.log"
  start=$(date +%s)
  # The guest's RAM is allocated and touched by the host up front, so that no figure pays the
  # host's first touch of a guest page (an emulator artifact a real machine does not have).
  ASAHI_QEMU_ARGS="-mem-prealloc" \
    tools/qemu/run.sh "$t" "$K/kernel-image" "$INITRD" "$CONSOLE" asahi.mode=bench \
    ${ASAHI_BENCH:+asahi.bench=$ASAHI_BENCH}
  echo "guest ran in $(( $(date +%s) - start ))s; console log: $CONSOLE"
  "$REPORT" report --target "$t" --out "$OUT" "$CONSOLE" || status=1
done
exit $status
