#!/usr/bin/env bash
# Boots a test kernel and initramfs under QEMU and writes the serial console to a log file.
#
#   tools/qemu/run.sh x86_64|arm64 <kernel image> <initramfs> <log> [extra kernel args...]
#
# x86_64 tries KVM first with a short probe boot (a KVM boot was seen to hang on this kind of
# machine) and falls back to TCG; arm64 always runs under TCG. The guest gets 2 CPUs so
# concurrency bugs have a chance to show. ASAHI_QEMU_TIMEOUT (seconds, default 1200) bounds a run;
# ASAHI_QEMU_ARGS adds QEMU options (tools/bench.sh passes -mem-prealloc).
set -uo pipefail
ARCH_NAME="${1:?usage: run.sh x86_64|arm64 <kernel> <initramfs> <log> [args...]}"
KERNEL="${2:?kernel}"
INITRD="${3:?initramfs}"
LOG="${4:?log}"
shift 4
EXTRA="$*"
TIMEOUT="${ASAHI_QEMU_TIMEOUT:-1200}"

case "$ARCH_NAME" in
  x86_64)
    QEMU=(qemu-system-x86_64 -machine pc -m 2048 -smp 2)
    CONSOLE=ttyS0 ;;
  arm64)
    QEMU=(qemu-system-aarch64 -machine virt -cpu max,pauth-impdef=on -m 2048 -smp 2)
    CONSOLE=ttyAMA0 ;;
  *) echo "unknown target $ARCH_NAME" >&2; exit 2 ;;
esac
COMMON=(-nographic -no-reboot -kernel "$KERNEL" -initrd "$INITRD")
BASE_ARGS="console=$CONSOLE panic=-1 oops=panic kasan.fault=report"

accel=(-accel tcg,thread=multi)
if [ "$ARCH_NAME" = x86_64 ] && [ -w /dev/kvm ] && [ "${ASAHI_NO_KVM:-0}" != 1 ]; then
  # The probe's verdict is remembered per kernel image on this machine.
  CACHE_DIR="${ASAHI_CACHE:-/var/cache/asahi-dev}"
  mkdir -p "$CACHE_DIR/kvm-probe"
  verdict_file="$CACHE_DIR/kvm-probe/$(realpath "$KERNEL" | sha256sum | cut -c1-16)"
  if [ ! -f "$verdict_file" ]; then
    # TIMEOUT: a KVM boot of this kernel reaches init in a few seconds when KVM works.
    if timeout 20 "${QEMU[@]}" -accel kvm -cpu host "${COMMON[@]}" \
         -append "$BASE_ARGS asahi.mode=probe" </dev/null 2>&1 | grep -q ASAHI-PROBE-OK; then
      echo kvm > "$verdict_file"
    else
      echo tcg > "$verdict_file"
    fi
  fi
  if [ "$(cat "$verdict_file")" = kvm ]; then
    accel=(-accel kvm -cpu host)
  else
    echo "[qemu] KVM probe failed or hung on this machine: using TCG" >&2
  fi
fi
if [ "${accel[1]}" != kvm ] && [ "$ARCH_NAME" = x86_64 ]; then accel+=(-cpu max); fi

echo "[qemu $ARCH_NAME] ${accel[*]}, log: $LOG" >&2
# shellcheck disable=SC2086 # ASAHI_QEMU_ARGS is a list of options.
timeout --foreground "$TIMEOUT" "${QEMU[@]}" "${accel[@]}" "${COMMON[@]}" ${ASAHI_QEMU_ARGS:-} \
  -append "$BASE_ARGS $EXTRA" </dev/null >"$LOG" 2>&1
rc=$?
if [ $rc = 124 ]; then echo "[qemu $ARCH_NAME] timed out after ${TIMEOUT}s" >&2; fi
exit $rc
