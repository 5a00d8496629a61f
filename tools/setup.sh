#!/usr/bin/env bash
# Installs everything the build and the tests need, from Debian's packages and crates.io only.
# Idempotent: a second run installs nothing that is already there.
#
# Versions follow shared/reference/toolchain.md (measured on this machine kind).
set -euo pipefail

RUSTC_WEB_VERSION="1.85.0+dfsg3-1~deb12u3"
BINDGEN_VERSION="0.70.1"
CACHE_DIR="${ASAHI_CACHE:-/var/cache/asahi-dev}"
BINDGEN_ROOT="$CACHE_DIR/bindgen-$BINDGEN_VERSION"

log() { printf '[setup] %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# Debian packages. The arm64 entries come from multiarch (guest busybox for the arm64 initramfs and
# the Rust standard library for cross-building guest programs).
PKGS_HOST=(
  linux-source-6.12
  "rustc-web=$RUSTC_WEB_VERSION" "rust-web-src=$RUSTC_WEB_VERSION" "libstd-rust-web-dev=$RUSTC_WEB_VERSION"
  # The kernel's `make CLIPPY=1` lints the module with the clippy of the same rustc.
  "rust-web-clippy=$RUSTC_WEB_VERSION"
  clang llvm lld libclang-dev
  # drm.h for the uapi crate's bindgen run and C layout test (Debian's linux-libc-dev omits drm/).
  libdrm-dev
  flex bison bc libelf-dev libssl-dev cpio xz-utils kmod rsync
  qemu-system-x86 qemu-system-arm
  busybox-static
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  binutils binutils-aarch64-linux-gnu gdb-multiarch  # readelf: the host tests need it
)
PKGS_ARM64=(
  "libstd-rust-web-dev:arm64=$RUSTC_WEB_VERSION"
)

missing=()
for p in "${PKGS_HOST[@]}" "${PKGS_ARM64[@]}"; do
  name="${p%%=*}"
  want="${p#*=}"; [ "$want" = "$p" ] && want=""
  have=$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null || true)
  case "$have" in
    "install ok installed"*)
      if [ -n "$want" ] && [ "${have##* }" != "$want" ]; then missing+=("$p"); fi ;;
    *) missing+=("$p") ;;
  esac
done

if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    --allow-downgrades "${missing[@]}" >/dev/null
else
  log "Debian packages: all present"
fi

# bindgen-cli from crates.io (Debian's 0.60 is too old for 6.12).
if [ ! -x "$BINDGEN_ROOT/bin/bindgen" ]; then
  log "installing bindgen-cli $BINDGEN_VERSION"
  $SUDO mkdir -p "$CACHE_DIR"
  cargo install --locked bindgen-cli --version "$BINDGEN_VERSION" --root "$BINDGEN_ROOT" -q
else
  log "bindgen-cli $BINDGEN_VERSION: present"
fi

# The arm64 busybox conflicts with the amd64 one as an installed package: unpack its .deb into the
# cache instead, for the arm64 initramfs.
BUSYBOX_ARM64="$CACHE_DIR/busybox-arm64/bin/busybox"
if [ ! -x "$BUSYBOX_ARM64" ]; then
  log "unpacking busybox-static:arm64"
  tmp=$(mktemp -d)
  chmod 755 "$tmp"
  (cd "$tmp" && apt-get download -qq busybox-static:arm64)
  $SUDO mkdir -p "$CACHE_DIR/busybox-arm64"
  dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$tmp/x"
  install -D -m 0755 "$tmp/x/bin/busybox" "$BUSYBOX_ARM64"
  rm -rf "$tmp"
fi

# The host workspace's tools (rustfmt and clippy ship with the machine's rustup toolchain).
log "done"
