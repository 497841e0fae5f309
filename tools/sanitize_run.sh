#!/usr/bin/env bash
# Runs LearnKit's CPU tests under AddressSanitizer + UndefinedBehaviorSanitizer and fails on any report.
#
#   tools/sanitize_run.sh                        # every CPU test: ~2.5 min on 2 cores (+2.5 to build)
#   tools/sanitize_run.sh tests/test_hostile.py  # chosen test files (kernel tests go to the second run)
#
# 1. `scons sanitize=address,undefined` builds an instrumented extension (its own objects and library name)
#    and points learnkit.gdextension at it; on exit a plain `scons` points it back at the normal build.
# 2. Godot is not instrumented; it gets the sanitizer runtime loaded first. A provisioned Godot (Debian unstable,
#    newer C library than the host's) runs through its root's own loader, so tools/godot passes the runtime
#    with that loader's --preload; the runtime is the compiler's own (g++ -print-file-name), whose libasan
#    runs on the newer C library. ASan wants to be the very first library (it checks: verify_asan_link_order),
#    but tools/sanitize/no_deepbind.c must come before it: Godot opens extensions with RTLD_DEEPBIND, which
#    ASan refuses (google/sanitizers#611, godotengine/godot#83212), and the shim strips that flag.
# 3. Leaks are not checked (detect_leaks=0): Godot is not instrumented and frees some things only at exit.
# 4. The CPU kernel tests (tests/test_kernels_*.py) load the generated kernels into pytest itself: they are
#    built instrumented (LEARNKIT_SANITIZE) and pytest runs with libasan in LD_PRELOAD.
# ASan reports go to files (log_path), printed at the end; any report, or any failed test, fails the run.
# Environment: CXX/CC (the compilers; libasan and libubsan are theirs), LEARNKIT_SANITIZERS (default
# address,undefined).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
sanitizers=${LEARNKIT_SANITIZERS:-address,undefined}
cxx=${CXX:-g++}
cc=${CC:-gcc}
# Every test file but the exported-game test (an exported game runs Godot's export template, not the editor
# binary this preloads into); the kernel tests separately, see 4.
godot_tests=()
kernel_tests=()
for t in tests/test_*.py; do
  case "$t" in
    */test_export.py) ;;
    # Builds and runs its own plain (unsanitized) library in a copy of the tree: nothing of this build to check.
    */test_extension_spec.py) ;;
    */test_kernels_*) kernel_tests+=("$t") ;;
    *) godot_tests+=("$t") ;;
  esac
done
if [ $# -gt 0 ]; then
  godot_tests=(); kernel_tests=()
  for t in "$@"; do
    case "$t" in *test_kernels_*) kernel_tests+=("$t") ;; *) godot_tests+=("$t") ;; esac
  done
fi

runtime() {  # the shared runtime library of the compiler, resolved to its real file
  local f
  f=$("$cxx" -print-file-name="$1")
  [ -e "$f" ] || { echo "sanitize_run: $cxx has no $1 (Debian: apt-get install libasan8 libubsan1)" >&2; exit 1; }
  readlink -f "$f"
}
preload=()
case ",$sanitizers," in *,address,*) preload+=("$(runtime libasan.so)") ;; esac
case ",$sanitizers," in *,undefined,*) preload+=("$(runtime libubsan.so)") ;; esac

mkdir -p build/sanitize
shim=$PWD/build/sanitize/no_deepbind.so
"$cc" -O2 -shared -fPIC -o "$shim" tools/sanitize/no_deepbind.c
reports=$(mktemp -d)
restore() { scons -Q >/dev/null || echo "sanitize_run: the plain rebuild failed: run scons" >&2; rm -rf "$reports"; }
trap restore EXIT
scons -Q sanitize="$sanitizers"

export ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=0:log_path=$reports/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# UBSan next to ASan prints to stderr whatever log_path says: its reports show in the failing test's output (the
# build aborts on the first one, -fno-sanitize-recover=all, so a launch that hits one fails its tests).
export UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LEARNKIT_BACKENDS=cpu
started=$SECONDS
rc=0
if [ ${#godot_tests[@]} -gt 0 ]; then
  LEARNKIT_SANITIZE_PRELOAD=$(IFS=:; echo "$shim:${preload[*]}") python -m pytest -q "${godot_tests[@]}" || rc=$?
fi
if [ ${#kernel_tests[@]} -gt 0 ]; then
  LD_PRELOAD=$(IFS=:; echo "${preload[*]}") LEARNKIT_SANITIZE=$sanitizers \
    python -m pytest -q "${kernel_tests[@]}" || rc=$?
fi
found=$(find "$reports" -type f | sort)
if [ -n "$found" ]; then
  echo "sanitize_run: sanitizer reports:" >&2
  for f in $found; do echo "== $f" >&2; cat "$f" >&2; done
  rc=1
fi
echo "sanitize_run: ${sanitizers} run finished in $((SECONDS - started)) s with $(echo "$found" | grep -c . || true) report(s), pytest exit $rc"
exit $rc
