#!/usr/bin/env bash
# Proves that the build refuses what the type system is meant to refuse, by building the module
# with one snippet of tests/compile-fail/ mounted at a time:
#   implicit_drop.rs     an implicit drop of an `ExplicitDrop` value: must fail, rejected by
#                        modpost for its reference to the unexported `rust_build_error`;
#   explicit_release.rs  its control: must build;
#   plain_padding.rs     a firmware layout with implicit padding through `plain_layout!`,
#                        `FwObject::new` and `fwmem::zeroed`: must fail on the layout check;
#   plain_pointer.rs     a pointer field through `plain_fields!`, a struct holding a reference
#                        through `FwObject::new`, a reference type through `fwmem::zeroed`: each
#                        must be refused for not being `Plain`;
#   plain_ok.rs          their control (explicit padding, plain fields): must build.
# A failing case passes only if the build log shows every expected reason, so a snippet that
# fails for another reason (a typo, a renamed API) is reported, not counted.
#
#   tools/compile-fail.sh x86_64|arm64 <kernel build dir>
# Prints "ok"/"not ok" lines; exits non-zero if any expectation fails.
set -uo pipefail
ARCH_NAME="${1:?usage: compile-fail.sh x86_64|arm64 <kernel build dir>}"
KDIR="${2:?kernel build dir}"
top="$(cd "$(dirname "$0")/.." && pwd)"
CACHE_DIR="${ASAHI_CACHE:-/var/cache/asahi-dev}"
case "$ARCH_NAME" in x86_64) KARCH=x86_64 ;; arm64) KARCH=arm64 ;; *) exit 2 ;; esac
src="$top/build/$ARCH_NAME/module"
[ -d "$src" ] || { echo "build the module first (tools/build-module.sh)" >&2; exit 2; }

status=0
check() { # name expect(fail|build) description [regex of an expected error]...
  local name=$1 expect=$2 what=$3 dir="$top/build/$ARCH_NAME/compile-fail/$1"
  shift 3
  rm -rf "$dir" && mkdir -p "$dir"
  rsync -a --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' "$src/" "$dir/"
  local main="$dir/drivers/gpu/drm/asahi/asahi_main.rs"
  printf '\n#[path = "%s"]\nmod compile_fail_probe;\n' "$top/tests/compile-fail/$name.rs" >> "$main"
  make -C "$KDIR" M="$dir" ARCH="$KARCH" LLVM=-14 RUSTC=/usr/bin/rustc \
    BINDGEN="$CACHE_DIR/bindgen-0.70.1/bin/bindgen" -j"$(nproc)" modules > "$dir/build.log" 2>&1
  local rc=$?
  if [ "$expect" = fail ]; then
    local missing="" re
    for re in "$@"; do grep -qE -- "$re" "$dir/build.log" || missing="$missing [$re]"; done
    if [ $rc != 0 ] && [ -z "$missing" ]; then
      echo "ok - $name: the build refuses $what"
    else
      echo "not ok - $name: expected the build to refuse $what (rc $rc, not in the log:$missing; $dir/build.log)"
      status=1
    fi
  else
    if [ $rc = 0 ]; then
      echo "ok - $name: $what builds"
    else
      echo "not ok - $name: expected $what to build ($dir/build.log)"
      status=1
    fi
  fi
}
check implicit_drop fail "an implicit drop (modpost: rust_build_error undefined)" \
  '"rust_build_error" .* undefined'
check explicit_release build "an explicit release"
check plain_padding fail "a layout with implicit padding (not Plain)" \
  'Padded has padding: its fields do not fill it'
check plain_pointer fail "a pointer or reference as plain data" \
  'the trait bound `\*const u8: ([a-z_]+::)*Plain` is not satisfied' \
  'the trait bound `WithRef: ([a-z_]+::)*Plain` is not satisfied' \
  "the trait bound \`&('static )?u32: ([a-z_]+::)*Plain\` is not satisfied"
check plain_ok build "a plain layout with explicit padding, through FwObject::new and zeroed,"
exit $status
