#!/usr/bin/env bash
# The main job, on the virtual AGX: builds what is needed (cached), boots the x86_64 test guest
# (ASAHI_TARGETS=arm64 for the 16K-page one), loads the driver, runs the demo workload and shows
# what the guest printed.
set -uo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
cd "$top"
export PATH="$HOME/.cargo/bin:$PATH"
t="${ASAHI_TARGETS:-x86_64}"
t="${t%% *}"
bash tools/setup.sh >/dev/null || exit 1
K=$(tools/kernel/build.sh "$t") || exit 1
KO=$(tools/build-module.sh "$t" "$K") || exit 1
B=$(tests/guest/build.sh "$t") || exit 1
INITRD="$top/build/$t/demo-initramfs.cpio.gz"
tests/guest/mkinitramfs.sh "$t" "$KO" "$B" "$INITRD"
CONSOLE="$top/build/$t/demo-console.log"
tools/qemu/run.sh "$t" "$K/kernel-image" "$INITRD" "$CONSOLE" asahi.mode=demo
echo "---- guest ($t) ----"
sed -n '/ASAHI-HARNESS-BEGIN/,/ASAHI-HARNESS-DONE/p' "$CONSOLE" \
  | sed '/^ASAHI-DUMP-BEGIN/,/^ASAHI-DUMP-END/d' \
  | grep -v -e '^ASAHI-KMEMLEAK' -e '^ASAHI-HARNESS-DONE'
echo "---- host: the same dump, taken out of the guest ----"
cargo build -q --locked -p asahi-test-harness -p agx-coredump
DUMP="$top/build/$t/demo-crash-dump.elf"
if "$top/target/debug/asahi-test-harness" extract-dump "$CONSOLE" "$DUMP"; then
  readelf -h -l "$DUMP" | sed -n '/Type:/p;/Machine:/p;/Program Headers:/,$p'
  "$top/target/debug/agx-coredump" --map "$DUMP.map" "$DUMP" > "$DUMP.txt" \
    && echo "decoded: $DUMP.txt, memory map: $DUMP.map"
fi
if grep -q 'ASAHI-DEMO-END .* exit=0' "$CONSOLE" && grep -q 'ASAHI-RMMOD exit=0' "$CONSOLE"; then
  echo "demo: done"
else
  echo "demo: FAILED (console log: $CONSOLE)"
  exit 1
fi
