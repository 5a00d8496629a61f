#!/usr/bin/env bash
# Packs the test guest's initramfs: busybox, the init script, the module and the test programs.
# Programs named bench_* go to /bench (run only in asahi.mode=bench), demo_* to /demo, the rest
# to /tests.
#
#   tests/guest/mkinitramfs.sh x86_64|arm64 <asahi.ko> <dir of test programs> <output .cpio.gz>
set -euo pipefail
ARCH_NAME="${1:?usage: mkinitramfs.sh x86_64|arm64 <asahi.ko> <programs dir> <out>}"
KO="${2:?module}"
PROGS="${3:?programs dir}"
OUT="${4:?output}"
here="$(cd "$(dirname "$0")" && pwd)"
CACHE_DIR="${ASAHI_CACHE:-/var/cache/asahi-dev}"
case "$ARCH_NAME" in
  x86_64) BUSYBOX=/bin/busybox ;;
  arm64) BUSYBOX="$CACHE_DIR/busybox-arm64/bin/busybox" ;;
  *) echo "unknown target $ARCH_NAME" >&2; exit 2 ;;
esac

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,lib/modules,tests,demo,bench}
install -m 0755 "$BUSYBOX" "$root/bin/busybox"
for applet in $("$here/list-applets.sh"); do ln -s busybox "$root/bin/$applet"; done
install -m 0755 "$here/rootfs/init" "$root/init"
for t in "$PROGS"/tools/*; do
  [ -f "$t" ] && install -m 0755 "$t" "$root/bin/"
done
install -m 0644 "$KO" "$root/lib/modules/asahi.ko"
# Programs named demo_* are the README's demo (run in asahi.mode=demo), bench_* the benchmarks
# (asahi.mode=bench, tools/bench.sh); the rest are tests.
for p in "$PROGS"/*; do
  [ -f "$p" ] && [ -x "$p" ] || continue
  case "$(basename "$p")" in
    demo_*) install -m 0755 "$p" "$root/demo/" ;;
    bench_*) install -m 0755 "$p" "$root/bench/" ;;
    *) install -m 0755 "$p" "$root/tests/" ;;
  esac
done
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) > "$OUT"
