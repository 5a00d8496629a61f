#!/usr/bin/env bash
# Builds the guest test programs as static binaries for one target and prints their directory.
#
#   tests/guest/build.sh x86_64|arm64
#
# They are built with Debian's rustc (the kernel's toolchain, which has the arm64 standard library
# through multiarch) rather than the rustup toolchain, into build/guest-target.
set -euo pipefail
ARCH_NAME="${1:?usage: build.sh x86_64|arm64}"
top="$(cd "$(dirname "$0")/../.." && pwd)"
case "$ARCH_NAME" in
  x86_64) TRIPLE=x86_64-unknown-linux-gnu ;;
  arm64) TRIPLE=aarch64-unknown-linux-gnu
         export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc ;;
  *) echo "unknown target $ARCH_NAME" >&2; exit 2 ;;
esac
upper=$(echo "$TRIPLE" | tr 'a-z-' 'A-Z_')
export "CARGO_TARGET_${upper}_RUSTFLAGS=-C target-feature=+crt-static"
export CARGO_TARGET_DIR="$top/build/guest-target"
export RUSTC=/usr/bin/rustc
(cd "$top" && cargo build -q --locked --release -p asahi-guest-tests -p agx-coredump \
  --target "$TRIPLE" >&2)

out="$top/build/$ARCH_NAME/guest-bin"
rm -rf "$out"
mkdir -p "$out"
for src in "$top"/tests/guest/src/bin/*.rs; do
  name=$(basename "$src" .rs)
  install -m 0755 "$CARGO_TARGET_DIR/$TRIPLE/release/$name" "$out/$name"
done
# The dump decoder goes to the guest's /bin (the demo and the crash test run it there).
mkdir -p "$out/tools"
install -m 0755 "$CARGO_TARGET_DIR/$TRIPLE/release/agx-coredump" "$out/tools/agx-coredump"
echo "$out"
