#!/usr/bin/env bash
# Boots a test kernel and initramfs under QEMU and writes the serial console to a log file.
#
#   tools/qemu/run.sh x86_64|arm64 <kernel image> <initramfs> <log> [extra kernel args...]
#
# x86_64 tries KVM first with a short probe boot (a KVM boot was seen to hang on this kind of
# machine) and falls back to TCG; arm64 always runs under TCG. The guest gets 2 CPUs so
# concurrency bugs have a chance to show. ASAHI_QEMU_TIMEOUT (seconds, default 1200) bounds a run;
# ASAHI_QEMU_ARGS adds QEMU options (tools/bench.sh passes -mem-prealloc).
# On arm64 the guest boots with QEMU's own device tree plus fake AGX nodes
# (tools/qemu/agx-fake-nodes.dtsi, built with the kernel build's dtc), which the driver's probe
# must refuse (tests/guest/src/bin/agx_probe.rs); ASAHI_NO_FAKE_AGX=1 boots without them.
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
    MACHINE=pc
    QEMU=(qemu-system-x86_64 -m 2048 -smp 2)
    CONSOLE=ttyS0 ;;
  arm64)
    MACHINE=virt
    QEMU=(qemu-system-aarch64 -cpu max,pauth-impdef=on -m 2048 -smp 2)
    CONSOLE=ttyAMA0 ;;
  *) echo "unknown target $ARCH_NAME" >&2; exit 2 ;;
esac
COMMON=(-machine "$MACHINE" -nographic -no-reboot -kernel "$KERNEL" -initrd "$INITRD")
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

DTB_ARGS=()
if [ "$ARCH_NAME" = arm64 ] && [ "${ASAHI_NO_FAKE_AGX:-0}" != 1 ]; then
  # QEMU's tree for exactly these machine options, decompiled, the fake nodes appended,
  # recompiled with the dtc the kernel build made.
  DTC="$(dirname "$KERNEL")/scripts/dtc/dtc"
  dtdir="$(dirname "$LOG")"
  here="$(cd "$(dirname "$0")" && pwd)"
  if ! "${QEMU[@]}" "${accel[@]}" -machine "$MACHINE,dumpdtb=$dtdir/virt.dtb" -nographic \
         </dev/null >/dev/null 2>&1 \
     || ! "$DTC" -q -I dtb -O dts -o "$dtdir/virt.dts" "$dtdir/virt.dtb" \
     || ! cat "$dtdir/virt.dts" "$here/agx-fake-nodes.dtsi" > "$dtdir/virt-agx.dts" \
     || ! "$DTC" -q -I dts -O dtb -o "$dtdir/virt-agx.dtb" "$dtdir/virt-agx.dts"; then
    echo "[qemu $ARCH_NAME] could not build the device tree with the fake AGX nodes" >&2
    exit 1
  fi
  DTB_ARGS=(-dtb "$dtdir/virt-agx.dtb")
fi

echo "[qemu $ARCH_NAME] ${accel[*]}, log: $LOG" >&2
# shellcheck disable=SC2086 # ASAHI_QEMU_ARGS is a list of options.
timeout --foreground "$TIMEOUT" "${QEMU[@]}" "${accel[@]}" "${COMMON[@]}" "${DTB_ARGS[@]}" ${ASAHI_QEMU_ARGS:-} \
  -append "$BASE_ARGS $EXTRA" </dev/null >"$LOG" 2>&1
rc=$?
if [ $rc = 124 ]; then echo "[qemu $ARCH_NAME] timed out after ${TIMEOUT}s" >&2; fi
exit $rc
