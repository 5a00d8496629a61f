#!/usr/bin/env bash
# Proves that the build refuses an implicit drop of an `ExplicitDrop` value: builds the module
# with tests/compile-fail/implicit_drop.rs mounted (must fail, rejected by modpost for its
# reference to the unexported `rust_build_error`) and with explicit_release.rs (must build).
#
#   tools/compile-fail.sh x86_64|arm64 <kernel build dir>
# Prints "ok"/"not ok" lines; exits non-zero if either expectation fails.
set -uo pipefail
ARCH_NAME="${1:?usage: compile-fail.sh x86_64|arm64 <kernel build dir>}"
KDIR="${2:?kernel build dir}"
top="$(cd "$(dirname "$0")/.." && pwd)"
CACHE_DIR="${ASAHI_CACHE:-/var/cache/asahi-dev}"
case "$ARCH_NAME" in x86_64) KARCH=x86_64 ;; arm64) KARCH=arm64 ;; *) exit 2 ;; esac
src="$top/build/$ARCH_NAME/module"
[ -d "$src" ] || { echo "build the module first (tools/build-module.sh)" >&2; exit 2; }

status=0
check() { # name expect(fail|build)
  local name=$1 expect=$2 dir="$top/build/$ARCH_NAME/compile-fail/$1"
  rm -rf "$dir" && mkdir -p "$dir"
  rsync -a --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' "$src/" "$dir/"
  local main="$dir/drivers/gpu/drm/asahi/asahi_main.rs"
  printf '\n#[path = "%s"]\nmod compile_fail_probe;\n' "$top/tests/compile-fail/$name.rs" >> "$main"
  make -C "$KDIR" M="$dir" ARCH="$KARCH" LLVM=-14 RUSTC=/usr/bin/rustc \
    BINDGEN="$CACHE_DIR/bindgen-0.70.1/bin/bindgen" -j"$(nproc)" modules > "$dir/build.log" 2>&1
  local rc=$?
  if [ "$expect" = fail ]; then
    if [ $rc != 0 ] && grep -q '"rust_build_error" .* undefined' "$dir/build.log"; then
      echo "ok - $name: the build refuses an implicit drop (modpost: rust_build_error undefined)"
    else
      echo "not ok - $name: expected the build to fail on rust_build_error (rc $rc, $dir/build.log)"
      status=1
    fi
  else
    if [ $rc = 0 ]; then
      echo "ok - $name: an explicit release builds"
    else
      echo "not ok - $name: expected the build to succeed ($dir/build.log)"
      status=1
    fi
  fi
}
check implicit_drop fail
check explicit_release build
exit $status
