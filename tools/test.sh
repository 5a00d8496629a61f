#!/usr/bin/env bash
# Runs every test of the project, from a fresh machine:
#   1. installs what is needed (tools/setup.sh, idempotent);
#   2. host crates: rustfmt, clippy -D warnings, cargo test; rustfmt of the kernel module;
#   3. for each target (x86_64, then arm64 with 16K pages): builds the test kernel (cached outside
#      the work tree), the module and the guest programs, boots QEMU and judges the console:
#      every guest test and every KUnit suite of the module passes, no kernel splat, kmemleak
#      clean, `rmmod asahi` succeeds.
# Ends with one line "N passed, N failed" and a non-zero status if anything failed.
#
# ASAHI_TARGETS="x86_64" limits the targets; ASAHI_SKIP_HOST=1 skips step 2. ASAHI_GUEST_ARGS adds
# guest kernel command line arguments, e.g. "asahi.seed=0x1234 asahi.fuzz_secs=600" to replay or
# soak the uAPI fuzzer (tests/guest/src/bin/fuzz_uapi.rs); "asahi.tests=fuzz_uapi" runs only that
# program (several: comma-separated).
set -uo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
cd "$top"
export PATH="$HOME/.cargo/bin:$PATH"
TARGETS="${ASAHI_TARGETS:-x86_64 arm64}"
# demo_* and bench_* programs are not tests (tools/demo.sh, tools/bench.sh run them).
GUEST_PROGRAMS=$(cd tests/guest/src/bin && ls *.rs | sed 's/\.rs$//' | grep -v '^\(demo\|bench\)_')
# asahi.tests=a,b in ASAHI_GUEST_ARGS runs (and requires) only those guest programs.
only=$(echo "${ASAHI_GUEST_ARGS:-}" | sed -n 's/.*asahi\.tests=\([^ ]*\).*/\1/p')
[ -z "$only" ] || GUEST_PROGRAMS=$(echo "$only" | tr , '\n')
# The module's KUnit suites (`kunit_suite!(name, ...)` in its sources) run at insmod, reported as
# the guest program "kunit"; "kunit/<suite>" makes the harness require each suite's result.
KUNIT_SUITES=$(find drivers/gpu/drm/asahi -name '*.rs' -exec \
  perl -0ne 'print "kunit/$1\n" while /^\s*kunit_suite!\(\s*(\w+)/mg' {} + | sort)
passed=0
failed=0
failures=()

note_fail() { failed=$((failed + 1)); failures+=("$1"); echo "not ok - $1"; }
step() { printf '\n==== %s\n' "$*"; }
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

step "setup"
bash tools/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

if [ "${ASAHI_SKIP_HOST:-0}" != 1 ]; then
  step "host: cargo fmt"
  if cargo fmt --all -- --check; then passed=$((passed + 1)); else note_fail "cargo fmt"; fi
  # The module is not a Cargo crate: rustfmt it from its root (following its `mod`s) with the
  # kernel's settings (linux/.rustfmt.toml: edition 2021, Unix newlines).
  step "host: rustfmt (kernel module)"
  if rustfmt --edition 2021 --config newline_style=Unix --check drivers/gpu/drm/asahi/asahi_main.rs; then
    passed=$((passed + 1)); else note_fail "rustfmt (kernel module)"; fi
  step "host: cargo clippy"
  if cargo clippy -q --locked --workspace --all-targets --all-features -- -D warnings; then
    passed=$((passed + 1)); else note_fail "cargo clippy"; fi
  step "host: cargo test"
  log=$(mktemp)
  cargo test --locked --workspace --all-features 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  p=$(sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1/p' "$log" | paste -sd+ | bc)
  f=$(sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\2/p' "$log" | paste -sd+ | bc)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  if [ "$rc" != 0 ] && [ "${f:-0}" = 0 ]; then note_fail "cargo test exited $rc"; fi
  rm -f "$log"
fi

cargo build -q --locked -p asahi-test-harness -p agx-coredump
HARNESS="$top/target/debug/asahi-test-harness"

for t in $TARGETS; do
  step "$t: kernel"
  start=$(date +%s)
  if ! K=$(tools/kernel/build.sh "$t"); then note_fail "$t: kernel build"; continue; fi
  echo "kernel ready in $(elapsed "$start")"
  step "$t: module"
  if ! KO=$(tools/build-module.sh "$t" "$K"); then note_fail "$t: module build"; continue; fi
  if [ "$t" = x86_64 ]; then
    step "$t: compile-fail (implicit drop of an ExplicitDrop value; non-Plain byte views)"
    while IFS= read -r line; do
      echo "$line"
      case "$line" in ok*) passed=$((passed + 1)) ;; "not ok"*) note_fail "$line" ;; esac
    done < <(tools/compile-fail.sh "$t" "$K")
  fi
  step "$t: guest programs"
  if ! B=$(tests/guest/build.sh "$t"); then note_fail "$t: guest program build"; continue; fi
  INITRD="$top/build/$t/initramfs.cpio.gz"
  tests/guest/mkinitramfs.sh "$t" "$KO" "$B" "$INITRD"
  step "$t: guest suite"
  start=$(date +%s)
  CONSOLE="$top/build/$t/console.log"
  tools/qemu/run.sh "$t" "$K/kernel-image" "$INITRD" "$CONSOLE" asahi.mode=test kunit.enable=1 \
    ${ASAHI_GUEST_ARGS:-}
  echo "guest ran in $(elapsed "$start"); console log: $CONSOLE"
  out=$("$HARNESS" check "$CONSOLE" kunit $KUNIT_SUITES $GUEST_PROGRAMS)
  rc=$?
  echo "$out" | sed "s/^/[$t] /"
  # Name each failed point in the summary too (CI shows only the end of the output).
  while IFS= read -r line; do failures+=("$t: ${line#not ok - }"); done < <(echo "$out" | grep '^not ok')
  summary=$(echo "$out" | tail -n 1)
  p=$(echo "$summary" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
  f=$(echo "$summary" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  # The crash dump the guest printed, read on the host by readelf, gdb and our decoder.
  DUMP="$top/build/$t/crash-dump.elf"
  if ! echo "$GUEST_PROGRAMS" | grep -qx z_crash; then
    echo "(no crash dump to read: z_crash did not run)"
  elif "$HARNESS" extract-dump "$CONSOLE" "$DUMP" \
     && readelf -a "$DUMP" > "$DUMP.readelf" 2>&1 && grep -q "CORE (Core file)" "$DUMP.readelf" \
     && gdb-multiarch -batch -nx -ex "set architecture aarch64" -ex "core-file $DUMP" \
          -ex "info files" > "$DUMP.gdb" 2>&1 && grep -q "0xffffffa000000000" "$DUMP.gdb" \
     && "$top/target/debug/agx-coredump" "$DUMP" > "$DUMP.txt" && grep -q "8103" "$DUMP.txt"; then
    passed=$((passed + 1)); echo "ok - $t: crash dump read by readelf, gdb and agx-coredump ($DUMP.txt)"
  else
    note_fail "$t: crash dump from the guest (readelf/gdb/agx-coredump)"
  fi
  if [ "$rc" != 0 ]; then
    failures+=("$t: guest suite")
    [ "${f:-0}" != 0 ] || failed=$((failed + 1))
    echo "---- last 60 console lines ($t) ----"
    tail -n 60 "$CONSOLE"
  fi
done

step "summary"
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ ${#failures[@]} = 0 ]
