#!/usr/bin/env bash
# Builds the test kernel for one target and prints its build directory (the `O=` directory, which is
# also what the module's `make -C` points at) as the last line of standard output.
#
#   tools/kernel/build.sh x86_64|arm64
#
# The build is cached outside the work tree under a key made of everything that goes into it: the
# Debian kernel source version, the config fragments, the patches, this script and the toolchain
# versions. A second run with the same inputs is a cache hit and builds nothing.
set -euo pipefail

ARCH_NAME="${1:?usage: build.sh x86_64|arm64}"
here="$(cd "$(dirname "$0")" && pwd)"
CACHE_DIR="${ASAHI_CACHE:-/var/cache/asahi-dev}"
BINDGEN_ROOT="$CACHE_DIR/bindgen-0.70.1"
export PATH="$BINDGEN_ROOT/bin:$PATH"

case "$ARCH_NAME" in
  x86_64) KARCH=x86_64; IMAGE=arch/x86/boot/bzImage; IMAGE_TARGET=bzImage ;;
  arm64) KARCH=arm64; IMAGE=arch/arm64/boot/Image; IMAGE_TARGET=Image ;;
  *) echo "unknown target $ARCH_NAME" >&2; exit 2 ;;
esac

log() { printf '[kernel %s] %s\n' "$ARCH_NAME" "$*" >&2; }

SRC_TARBALL=/usr/src/linux-source-6.12.tar.xz
SRC_VERSION=$(dpkg-query -W -f='${Version}' linux-source-6.12)
fragments=("$here/config/common.config" "$here/config/$ARCH_NAME.config")
patches=("$here"/patches/*.patch)
MAKE_FLAGS=(ARCH="$KARCH" LLVM=-14 RUSTC=/usr/bin/rustc BINDGEN="$BINDGEN_ROOT/bin/bindgen")

# The key of the patched source tree, then of the build.
src_key=$( { echo "$SRC_VERSION"; cat "${patches[@]}"; } | sha256sum | cut -c1-16)
build_key=$( { echo "$src_key"; cat "${fragments[@]}" "$0"; /usr/bin/rustc --version;
               bindgen --version; clang-14 --version | head -n1; } | sha256sum | cut -c1-16)
SRC_DIR="$CACHE_DIR/kernel/src-$src_key"
OUT_DIR="$CACHE_DIR/kernel/build-$ARCH_NAME-$build_key"

if [ -f "$OUT_DIR/.asahi-build-ok" ]; then
  log "cache hit: $OUT_DIR"
  echo "$OUT_DIR"
  exit 0
fi

# Patched source, shared by both targets. Built with O= only, so it stays clean.
if [ ! -f "$SRC_DIR/.asahi-src-ok" ]; then
  log "unpacking $SRC_TARBALL ($SRC_VERSION)"
  rm -rf "$SRC_DIR" "$SRC_DIR.tmp"
  mkdir -p "$SRC_DIR.tmp"
  tar -C "$SRC_DIR.tmp" --strip-components=1 -xf "$SRC_TARBALL"
  for p in "${patches[@]}"; do
    log "applying $(basename "$p")"
    patch -d "$SRC_DIR.tmp" -p1 --quiet < "$p"
  done
  touch "$SRC_DIR.tmp/.asahi-src-ok"
  mv "$SRC_DIR.tmp" "$SRC_DIR"
fi

log "configuring in $OUT_DIR"
rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR"
make -s -C "$SRC_DIR" O="$OUT_DIR" "${MAKE_FLAGS[@]}" tinyconfig >&2
KCONFIG_CONFIG="$OUT_DIR/.config" "$SRC_DIR/scripts/kconfig/merge_config.sh" -m -O "$OUT_DIR" \
  "$OUT_DIR/.config" "${fragments[@]}" >/dev/null
make -s -C "$SRC_DIR" O="$OUT_DIR" "${MAKE_FLAGS[@]}" olddefconfig >&2

# Every option the fragments ask for must have survived olddefconfig (a dropped one means a missing
# dependency, and a test kernel silently without, say, lockdep would pass everything).
bad=0
while IFS= read -r line; do
  case "$line" in
    CONFIG_*=*) want="$line" ;;
    "# CONFIG_"*" is not set") want="$line" ;;
    *) continue ;;
  esac
  if [[ "$want" == "# "* ]]; then
    sym=${want#"# "}; sym=${sym%" is not set"}
    if grep -q "^$sym=" "$OUT_DIR/.config"; then log "config: $sym is set but was asked off"; bad=1; fi
  elif ! grep -qxF "$want" "$OUT_DIR/.config"; then
    log "config: asked for $want, got: $(grep "^${want%%=*}=" "$OUT_DIR/.config" || echo 'unset')"; bad=1
  fi
done < <(cat "${fragments[@]}")
[ "$bad" = 0 ] || { log "config fragment not satisfied"; exit 1; }

log "building $IMAGE_TARGET and modules (make -j$(nproc))"
start=$(date +%s)
make -s -C "$SRC_DIR" O="$OUT_DIR" "${MAKE_FLAGS[@]}" -j"$(nproc)" "$IMAGE_TARGET" modules >&2
# On arm64 the guest boots with a device tree the harness edits (QEMU's own plus AGX nodes the real
# transport's probe must refuse), so the kernel's own dtc is built beside it (no host package).
if [ "$ARCH_NAME" = arm64 ]; then
  make -s -C "$SRC_DIR" O="$OUT_DIR" "${MAKE_FLAGS[@]}" scripts_dtc >&2
  test -x "$OUT_DIR/scripts/dtc/dtc"
fi
log "built in $(( $(date +%s) - start )) s"
test -f "$OUT_DIR/$IMAGE"
ln -sf "$IMAGE" "$OUT_DIR/kernel-image"
touch "$OUT_DIR/.asahi-build-ok"

# Keep the cache bounded: drop older builds of this target.
for old in "$CACHE_DIR"/kernel/build-"$ARCH_NAME"-*; do
  [ "$old" = "$OUT_DIR" ] || rm -rf "$old"
done
echo "$OUT_DIR"
