#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs each libFuzzer target for a bounded time and reports its executions
# and crashes.  The committed seeds (tests/fuzz/corpus/TARGET) are read; new
# inputs go to DIR/corpus/TARGET, crashes to DIR/artifacts/.
#   tests/fuzz/run.sh SECONDS DIR TARGET...
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=$1 dir=$2
shift 2

total_execs=0 total_crashes=0
summary=()
for t in "$@"; do
    work="$dir/corpus/$t" art="$dir/artifacts"
    log="$dir/$t.log"
    mkdir -p "$work" "$art"
    echo "=== fuzz $t: ${secs}s"
    # -timeout: an input taking 10 s counts as a hang (a crash).
    "$dir/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$art/$t-" \
        "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    crashes=0
    if [ $rc -ne 0 ]; then
        crashes=1
        tail -40 "$log"
    fi
    execs=${execs:-0}
    total_execs=$((total_execs + execs))
    total_crashes=$((total_crashes + crashes))
    summary+=("$(printf '%-16s %10s executions  %d crashes  corpus %s inputs' \
        "$t" "$execs" "$crashes" "$(ls "$work" "tests/fuzz/corpus/$t" | wc -l)")")
done
echo "=== fuzz summary (${secs}s per target)"
printf '%s\n' "${summary[@]}"
printf 'total            %10s executions  %d crashes\n' "$total_execs" "$total_crashes"
[ $total_crashes -eq 0 ]
