#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (a project of its own, in build-fuzz) and runs each for a
# set time and/or number of executions with its corpus, then prints a table (target, executions,
# exec/s, crashes, seconds) and writes a JSON summary. The first crash input of each distinct bug lands
# in tests/fuzz/crashes/<target>/ with the fuzzer's report beside it (<input>.log); the corpus in
# tests/fuzz/corpus/<target>/ is minimised at the end (hand-written seed-* files are always kept).
#
#   tests/fuzz/run_fuzz.sh                     every target, 60 s each
#   tests/fuzz/run_fuzz.sh -t 600 -r 1000000   each until a million executions or 10 minutes
#   tests/fuzz/run_fuzz.sh -k idx labels       only these, and go on after a crash
#
# Builds and runs under `nice -n 10`: the machine is shared with people building the workbench.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${GW_FUZZ_BUILD:-$root/build-fuzz}
all_targets=(idx safetensors config labels codecarbon forecast label_stdin)

seconds=60
runs=""
keep_going=0
invariants=1
do_build=1
do_merge=1
jobs=2
cap_kb=48
max_restarts=50
summary="$here/summary.json"

usage() {
    cat <<EOF
usage: $(basename "$0") [options] [target ...]
targets: ${all_targets[*]} (default: all)
  -t, --time S        seconds per target (default 60; 0: no limit, needs --runs)
  -r, --runs N        stop a target after N executions
  -k, --keep-going    after a crash, keep the input and go on fuzzing that target
      --max-restarts N  with -k, restarts per target at most (default $max_restarts)
      --no-invariants only sanitizer reports and escaping exceptions count (GW_FUZZ_INVARIANTS=0)
      --no-build      use the binaries in the build folder as they are
      --no-merge      leave the committed corpus as it is
  -j N                build jobs (default 2)
  -o FILE             JSON summary (default tests/fuzz/summary.json)
      --cap-kb N      committed corpus per target at most N KiB after the merge (default 48)
environment: GW_FUZZ_BUILD (build folder, default build-fuzz), CC/CXX (default clang/clang++),
             extra libFuzzer flags in GW_FUZZ_FLAGS
EOF
}

targets=()
while (($#)); do
    case "$1" in
    -t | --time) seconds=$2; shift 2 ;;
    -r | --runs) runs=$2; shift 2 ;;
    -k | --keep-going) keep_going=1; shift ;;
    --no-invariants) invariants=0; shift ;;
    --no-build) do_build=0; shift ;;
    --no-merge) do_merge=0; shift ;;
    -j) jobs=$2; shift 2 ;;
    -o) summary=$2; shift 2 ;;
    --cap-kb) cap_kb=$2; shift 2 ;;
    --max-restarts) max_restarts=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
    esac
done
((${#targets[@]})) || targets=("${all_targets[@]}")
if [[ $seconds == 0 && -z $runs ]]; then
    echo "-t 0 needs --runs" >&2
    exit 2
fi
for t in "${targets[@]}"; do
    [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "unknown target $t (${all_targets[*]})" >&2; exit 2; }
done

# Inputs longer than any real file of the kind only slow the search down; the protocol's is above
# TerminalLabeling::kMaxLineBytes (4096) so that overlong lines are tried.
max_len_of() {
    case "$1" in
    label_stdin) echo 6000 ;;
    codecarbon | forecast) echo 2048 ;;
    *) echo 4096 ;;
    esac
}

if ((do_build)); then
    if [[ ! -f $build/CMakeCache.txt ]]; then
        generator=()
        command -v ninja >/dev/null && generator=(-G Ninja)
        CC=${CC:-clang} CXX=${CXX:-clang++} nice -n 10 cmake -S "$here" -B "$build" "${generator[@]}"
    fi
    nice -n 10 cmake --build "$build" -j "$jobs"
fi

now() { date +%s.%N; }
# Executions of one libFuzzer run from its log: the final statistics, or the last status line when it
# died before printing them.
executions_in() {
    local n
    n=$(grep -ao 'stat::number_of_executed_units: [0-9]*' "$1" | tail -1 | awk '{print $2}')
    [[ -n $n ]] || n=$(grep -aoE '^#[0-9]+' "$1" | tail -1 | tr -d '#')
    echo "${n:-0}"
}
# One line that tells one bug from another: the broken promise with its particulars (numbers, quoted
# values, paths) left out; or what escaped / what the sanitizer said, and the first function of the
# workbench's own code on the stack, without its parameter list.
signature_of() {
    local inv frame verdict
    inv=$(grep -a -m1 '^INVARIANT VIOLATED' "$1" || true)
    if [[ -n $inv ]]; then
        # "label 3 changed in a csv write and read: {...}" -> "label N changed in a csv write and read"
        echo "$inv" | sed -E 's/^INVARIANT VIOLATED: //; s/(: |\{|\(| \/).*$//; s/[0-9]+/N/g; s/^/invariant: /' | cut -c1-120
        return
    fi
    verdict=$(grep -a -m1 -oE "terminate called after throwing an instance of '[^']+'" "$1" | sed -E "s/.*instance of '([^']+)'/uncaught \1/; s/nlohmann::json_abi_v[0-9_]+::/nlohmann::/" || true)
    [[ -n $verdict ]] || verdict=$(grep -a -m1 -oE '(ERROR: AddressSanitizer: [a-z-]+|runtime error: [^:]*|ERROR: libFuzzer: [a-z-]+)' "$1" || true)
    frame=$(grep -aE '^ +#[0-9]+ 0x[0-9a-f]+ in ' "$1" | grep -aE ' /[^ ]*/(core|app)/[^ ]+:[0-9]+' | head -1 | sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ in //' || true)
    [[ -n $frame ]] || frame=$(grep -aE '^ +#[0-9]+ 0x[0-9a-f]+ in ' "$1" | grep -av -e 'fuzzer::' -e sanitizer -e __asan -e __ubsan -e 'libc.so' -e 'libstdc++' -e abort -e raise -e __cxa -e 'std::terminate' -e pthread_kill | head -1 | sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ in //' || true)
    # The function's name only: "gw::RunParameters::overrideInJson(nlohmann::...) /path:1:2" -> "gw::RunParameters::overrideInJson"
    frame=$(echo "$frame" | sed -E 's/\(.*$//; s/ .*$//')
    echo "${verdict:-unknown} in ${frame:-?}"
}

# What the files of a folder hold, in KiB (not the blocks du counts, nor the folder's own size).
kib_of() { find "$1" -maxdepth 1 -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", (s + 1023) / 1024 }'; }

declare -A r_execs r_secs r_crashes r_distinct r_files r_sigs r_regressions
mkdir -p "$build/fuzz-work"

for t in "${targets[@]}"; do
    bin="$build/fuzz_$t"
    if [[ ! -x $bin ]]; then
        echo "== $t: $bin is not built (LibTorch missing? see CMakeLists.txt), skipped" >&2
        continue
    fi
    work="$build/fuzz-work/$t"
    crashes_dir="$here/crashes/$t"
    mkdir -p "$work/new" "$crashes_dir" "$here/corpus/$t"
    max_len=$(max_len_of "$t")
    dict=()
    [[ -f $here/dicts/$t.dict ]] && dict=(-dict="$here/dicts/$t.dict")

    echo "== $t: up to ${runs:-unlimited} executions, ${seconds} s (0: no limit), max_len $max_len"
    # The reproducers of bugs found before (regressions/<target>/): each replayed once, pass or fail.
    failed=""
    for input in "$here/regressions/$t"/*; do
        [[ -f $input ]] || continue
        if GW_FUZZ_INVARIANTS=$invariants "$bin" "$input" >"$work/regression.log" 2>&1; then
            echo "   regression $(basename "$input"): passes"
        else
            echo "   regression $(basename "$input"): FAILS: $(signature_of "$work/regression.log")"
            failed+="${failed:+,}\"$(basename "$input")\""
        fi
    done
    r_regressions[$t]=$failed
    start=$(now)
    execs=0 crashes=0 attempt=0
    sigs="" files=""
    # Bugs already on file (a crash input with its report from an earlier run): a new input with the
    # same signature goes to the build folder, so tests/fuzz/crashes keeps one input per bug.
    known=""
    for report in "$crashes_dir"/*.log; do
        [[ -f $report ]] && known+="${known:+$'\n'}$(signature_of "$report")"
    done
    while :; do
        elapsed=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%d", b - a }')
        args=(-rss_limit_mb=2048 -timeout=10 -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$crashes_dir/" "${dict[@]}")
        if ((seconds > 0)); then
            left=$((seconds - elapsed))
            ((left > 0)) || break
            args+=(-max_total_time="$left")
        fi
        if [[ -n $runs ]]; then
            ((runs - execs > 0)) || break
            args+=(-runs=$((runs - execs)))
        fi
        log="$work/run-$attempt.log"
        set +e
        # The new inputs go to the working corpus (build folder); the committed one is only read.
        # shellcheck disable=SC2086
        GW_FUZZ_INVARIANTS=$invariants nice -n 10 "$bin" "${args[@]}" ${GW_FUZZ_FLAGS:-} "$work/new" "$here/corpus/$t" >"$log" 2>&1
        rc=$?
        set -e
        n=$(executions_in "$log")
        execs=$((execs + n))
        if ((rc == 0)); then
            break
        fi
        crashes=$((crashes + 1))
        unit=$(grep -ao 'Test unit written to .*' "$log" | tail -1 | sed 's/^Test unit written to //' || true)
        sig=$(signature_of "$log")
        if [[ -n $unit && -f $unit ]]; then
            # The report without the search's progress lines, next to the input it belongs to.
            grep -av -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|INITED|RELOAD)' "$log" | tail -n 150 >"$unit.log"
            if [[ $'\n'"$known"$'\n' == *$'\n'"$sig"$'\n'* ]]; then
                mkdir -p "$work/duplicates"
                mv -f "$unit" "$unit.log" "$work/duplicates/"
                unit="$work/duplicates/$(basename "$unit") (a bug already on file)"
            else
                known+="${known:+$'\n'}$sig"
                files+="${files:+,}\"${unit#"$root"/}\""
            fi
        else
            # Not a finding but a harness that cannot run (a bad flag, a missing library): stop.
            echo "   $t ended with status $rc without a crash input; see $log:" >&2
            tail -n 5 "$log" >&2
            crashes=$((crashes - 1))
            break
        fi
        echo "   crash $crashes: $sig"
        echo "     input: ${unit#"$root"/}"
        if [[ $'\n'"$sigs"$'\n' != *$'\n'"$sig"$'\n'* ]]; then
            sigs+="${sigs:+$'\n'}$sig"
        fi
        ((keep_going)) || break
        attempt=$((attempt + 1))
        ((attempt < max_restarts)) || { echo "   $max_restarts restarts: giving up on $t"; break; }
    done
    secs=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
    distinct=0
    [[ -n $sigs ]] && distinct=$(printf '%s\n' "$sigs" | wc -l)
    r_execs[$t]=$execs r_secs[$t]=$secs r_crashes[$t]=$crashes r_distinct[$t]=$distinct r_files[$t]=$files r_sigs[$t]=$sigs

    if ((do_merge)); then
        # Minimise: the seeds, then whatever of the committed and the new inputs adds coverage.
        merged=$(mktemp -d)
        cp "$here/corpus/$t"/seed-* "$merged"/ 2>/dev/null || true
        if GW_FUZZ_INVARIANTS=$invariants nice -n 10 "$bin" -merge=1 -rss_limit_mb=2048 -timeout=10 -max_len="$max_len" \
            "$merged" "$here/corpus/$t" "$work/new" >"$work/merge.log" 2>&1; then
            find "$here/corpus/$t" -maxdepth 1 -type f ! -name 'seed-*' -delete
            find "$merged" -maxdepth 1 -type f ! -name 'seed-*' -exec cp {} "$here/corpus/$t"/ \;
            # Over the cap: drop the largest found inputs first (the seeds stay).
            while (($(kib_of "$here/corpus/$t") > cap_kb)); do
                largest=$(find "$here/corpus/$t" -maxdepth 1 -type f ! -name 'seed-*' -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2-)
                [[ -n $largest ]] || break
                rm -f "$largest"
            done
            echo "   corpus: $(find "$here/corpus/$t" -maxdepth 1 -type f | wc -l) files, $(kib_of "$here/corpus/$t") KiB"
        else
            echo "   merge failed, corpus left as it was; see $work/merge.log" >&2
        fi
        rm -rf "$merged"
    fi
done

printf '\n%-12s %12s %9s %8s %9s %9s\n' target executions exec/s crashes distinct seconds
json_targets=""
for t in "${targets[@]}"; do
    [[ -n ${r_execs[$t]:-} ]] || continue
    rate=$(awk -v n="${r_execs[$t]}" -v s="${r_secs[$t]}" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
    printf '%-12s %12s %9s %8s %9s %9s\n' "$t" "${r_execs[$t]}" "$rate" "${r_crashes[$t]}" "${r_distinct[$t]}" "${r_secs[$t]}"
    sig_json=""
    while IFS= read -r s; do
        [[ -n $s ]] || continue
        s=${s//\\/\\\\}
        s=${s//\"/\\\"}
        s=${s//$'\t'/ }
        sig_json+="${sig_json:+, }\"$s\""
    done <<<"${r_sigs[$t]}"
    json_targets+="${json_targets:+,
}    {\"target\": \"$t\", \"executions\": ${r_execs[$t]}, \"exec_per_s\": $rate, \"crashes\": ${r_crashes[$t]}, \"distinct_crashes\": ${r_distinct[$t]}, \"seconds\": ${r_secs[$t]}, \"crash_inputs\": [${r_files[$t]}], \"signatures\": [$sig_json], \"regressions_failing\": [${r_regressions[$t]}]}"
done
mkdir -p "$(dirname "$summary")"
cat >"$summary" <<EOF
{
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "commit": "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)",
  "seconds_per_target": $seconds,
  "runs_per_target": ${runs:-null},
  "invariants": $( ((invariants)) && echo true || echo false),
  "keep_going": $( ((keep_going)) && echo true || echo false),
  "targets": [
$json_targets
  ]
}
EOF
echo "summary: ${summary#"$root"/}"
