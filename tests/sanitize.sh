#!/usr/bin/env bash
# Builds the test suite with AddressSanitizer and UndefinedBehaviorSanitizer in a build folder of
# its own (default build-asan/ at the top of the tree) and runs it through ctest. Every sanitizer
# report of every process (the suites and the green-workbench processes they start) goes to a log
# folder; the script fails when a suite fails or when any report was written, and prints them.
#
#   tests/sanitize.sh                          configure, build everything, run every suite
#   tests/sanitize.sh --target tst_idxreader   build only that target (repeatable) and run its suite
#   tests/sanitize.sh -- -R label              pass the rest to ctest (here: only suites matching "label")
# Environment: BUILD_DIR (build folder), JOBS (parallel compile jobs, default: all cores),
# CTEST_JOBS (suites at once, default 1: timing tests share the machine badly), NICE (niceness of
# the compile, default 0), TIMEOUT_SCALE (the suites' ctest timeouts are multiplied by it, default 5:
# instrumented code runs several times slower).
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$top/build-asan}"
jobs="${JOBS:-$(nproc)}"
ctest_jobs="${CTEST_JOBS:-1}"
niceness="${NICE:-0}"
targets=()
ctest_args=()
while (( $# > 0 )); do
  case "$1" in
    --target) targets+=("${2:?--target needs a name}"); shift 2 ;;
    --jobs) jobs="${2:?--jobs needs a number}"; shift 2 ;;
    --) shift; ctest_args=("$@"); break ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sanitize.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

# -O1: the sanitizers' usual level (readable stacks, tests still fast); NDEBUG as in the release
# build, so the same code paths run.
san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

# The suites' time limits are sized for the release build; instrumented code runs several times slower.
scale="${TIMEOUT_SCALE:-5}"
start=$(date +%s)
echo "sanitize.sh: configuring $build"
mkdir -p "$build"
cmake -S "$top" -B "$build" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g -DNDEBUG" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g -DNDEBUG" \
  -DCMAKE_CXX_FLAGS="$san" -DCMAKE_C_FLAGS="$san" \
  -DCMAKE_EXE_LINKER_FLAGS="$san" -DCMAKE_SHARED_LINKER_FLAGS="$san" -DCMAKE_MODULE_LINKER_FLAGS="$san" \
  -DGW_BUILD_TESTS=ON -DGW_BUILD_BENCHMARKS=OFF -DGW_TEST_TIMEOUT_SCALE="$scale" >"$build/sanitize-configure.log" 2>&1 \
  || { cat "$build/sanitize-configure.log"; exit 1; }
target_args=()
for t in "${targets[@]}"; do target_args+=(--target "$t"); done
echo "sanitize.sh: building ${targets[*]:-everything} with $jobs jobs"
nice -n "$niceness" cmake --build "$build" --parallel "$jobs" "${target_args[@]}"
built=$(date +%s)
echo "sanitize.sh: configure and build took $(( built - start )) s"

# Only the suites that were built when targets were named (ctest would report the others as not run).
if (( ${#targets[@]} > 0 && ${#ctest_args[@]} == 0 )); then
  regex=$(IFS='|'; echo "${targets[*]}")
  ctest_args=(-R "^($regex)\$")
fi


logs="$build/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs"
supp="$top/tests/sanitizers"
# detect_leaks: LeakSanitizer is on. lsan.supp names only what a system library keeps for itself
# (each entry says why), never our code; ubsan.supp is empty.
export ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1:detect_stack_use_after_return=1:strict_string_checks=1:halt_on_error=1:abort_on_error=0:log_path=$logs/asan:log_exe_name=1"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp:log_path=$logs/ubsan:log_exe_name=1"
export QT_QPA_PLATFORM=offscreen
# For suites that bound how long something may take (a cancel within a second): the instrumented
# build is this many times slower, so such bounds may be scaled by it.
export GW_TEST_TIME_SCALE="$scale"
echo "sanitize.sh: running the suites (ASAN_OPTIONS=$ASAN_OPTIONS)"
status=0
ctest --test-dir "$build" --output-on-failure --timeout 300 -j "$ctest_jobs" "${ctest_args[@]}" || status=$?
tested=$(date +%s)
echo "sanitize.sh: tests took $(( tested - built )) s"

reports=$(find "$logs" -type f | sort)
if [[ -n "$reports" ]]; then
  echo "sanitize.sh: sanitizer reports:" >&2
  for f in $reports; do
    echo "==== $f" >&2
    cat "$f" >&2
  done
  status=1
fi
echo "sanitize.sh: total $(( tested - start )) s (build $(( built - start )) s, tests $(( tested - built )) s)"
if (( status == 0 )); then
  echo "sanitize.sh: clean"
else
  echo "sanitize.sh: FAILED (ctest failures or sanitizer reports above)" >&2
fi
exit "$status"
