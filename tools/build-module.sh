#!/usr/bin/env bash
# Builds asahi.ko for one target against a test kernel build and prints the .ko path last.
#
#   tools/build-module.sh x86_64|arm64 <kernel build dir>
#
# The sources are mirrored into build/<target>/module so the two targets never share objects.
# Any compiler warning fails the build: kernel code must build clean.
set -euo pipefail

ARCH_NAME="${1:?usage: build-module.sh x86_64|arm64 <kernel build dir>}"
KDIR="${2:?kernel build dir}"
top="$(cd "$(dirname "$0")/.." && pwd)"
CACHE_DIR="${ASAHI_CACHE:-/var/cache/asahi-dev}"
case "$ARCH_NAME" in
  x86_64) KARCH=x86_64 ;;
  arm64) KARCH=arm64 ;;
  *) echo "unknown target $ARCH_NAME" >&2; exit 2 ;;
esac

out="$top/build/$ARCH_NAME/module"
mkdir -p "$out"
# The module's sources: drivers/ and what it mounts by #[path] (firmware-defs/, uapi/ with the
# crash-dump format in uapi/coredump/). Nothing under tools/ is kernel code: a mirror from an
# older layout is removed so that it cannot satisfy a stale #[path].
rm -rf "$out/tools"
rsync -a --exclude 'bindings_generated.rs' --exclude 'target/' --exclude 'fuzz/' --include '*/' --include '*.rs' --include '*.c' \
  --include '*.h' --include 'Kbuild' --include 'bindgen_parameters' --exclude '*' \
  "$top/Kbuild" "$top/drivers" "$top/firmware-defs" "$top/uapi" "$out/"

log="$out/build.log"
# The module is compiled by clippy (the kernel's `CLIPPY=1`, with the kernel's lint set) of the
# same Debian toolchain: a clippy warning is a build warning and fails below.
# Only a deliberately unlinted build (ASAHI_NO_CLIPPY=1, for bisecting) skips it.
clippy=(CLIPPY=1 CLIPPY_DRIVER=/usr/bin/clippy-driver)
if [ "${ASAHI_NO_CLIPPY:-0}" = 1 ]; then clippy=(); fi
if ! make -C "$KDIR" M="$out" ARCH="$KARCH" LLVM=-14 RUSTC=/usr/bin/rustc "${clippy[@]}" \
     BINDGEN="$CACHE_DIR/bindgen-0.70.1/bin/bindgen" -j"$(nproc)" modules >"$log" 2>&1; then
  cat "$log" >&2
  echo "module build failed for $ARCH_NAME" >&2
  exit 1
fi
if grep -Ei '(^|[^a-z_])warning[:(]' "$log" >&2; then
  echo "module build for $ARCH_NAME has warnings (see above)" >&2
  exit 1
fi
echo "$out/drivers/gpu/drm/asahi/asahi.ko"
