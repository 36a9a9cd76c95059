#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Load run: N concurrent QEMU + vup-stm32l4 stacks, ROUNDS times, each
# running the firmware checks of tests/e2e/test_usart.py (the greeting,
# then typed strings echoed through the USART's RX interrupt, ECHOES of
# them), with BUSY more processes spinning on the CPUs.  Reports runs,
# failures and spurious timeouts (QEMU giving up on a busy backend).
#   tests/load/run-stacks.sh [N=16] [ROUNDS=3]
# BUILD and QEMU as for tests/run-all.sh; WAIT (s, default 120) bounds each
# check; ECHOES (default 20); BUSY (default: the number of CPUs); KEEP=1
# keeps the logs.
set -uo pipefail
cd "$(dirname "$0")/../.."
n=${1:-16} rounds=${2:-3}
BUILD=${BUILD:-build}
QEMU=${QEMU:-$BUILD/qemu/build/qemu-system-arm}
WAIT=${WAIT:-120}
ECHOES=${ECHOES:-20}
BUSY=${BUSY:-$(nproc)}
for f in "$QEMU" "$BUILD/bin/vup-stm32l4" "$BUILD/firmware/hello.elf"; do
    [ -x "$f" ] || [ -f "$f" ] || { echo "run-stacks: missing $f (make all qemu)" >&2; exit 2; }
done
tmp=$(mktemp -d /tmp/vup-load-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

# until SECONDS COMMAND...: polls COMMAND every 0.1 s; false on timeout.
until_ok() {
    local end=$(( $(date +%s) + $1 ))
    shift
    while [ "$(date +%s)" -lt "$end" ]; do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}

# One stack; writes "ok SECONDS" or "FAIL REASON" to DIR/result.
stack() {
    local d=$1 start result b q
    start=$(date +%s.%N)
    mkdir -p "$d"
    mkfifo "$d/in"
    "$BUILD/bin/vup-stm32l4" --socket "$d/sock" --periph rcc,usart1 \
        <"$d/in" >"$d/out" 2>"$d/backend.err" &
    b=$!
    exec 3>"$d/in"
    if ! until_ok "$WAIT" test -S "$d/sock"; then
        echo "FAIL backend did not listen" >"$d/result"
        kill "$b"; return
    fi
    "$QEMU" -M "vfio-user-mcu,sockets=$d/sock" -kernel "$BUILD/firmware/hello.elf" \
        -nographic -serial null -monitor none >/dev/null 2>"$d/qemu.err" &
    q=$!
    if ! until_ok "$WAIT" grep -q "^ready" "$d/out"; then
        result="FAIL no greeting"
    else
        result=""
        for j in $(seq "$ECHOES"); do
            printf 'x%dy' "$j" >&3
            if ! until_ok "$WAIT" grep -qF "x${j}y" "$d/out"; then
                result="FAIL no echo $j"
                break
            fi
        done
        [ -n "$result" ] ||
            result="ok $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"
    fi
    kill -0 "$q" 2>/dev/null || result="FAIL QEMU exited"
    echo "$result" >"$d/result"
    kill "$q" "$b" 2>/dev/null
    wait "$q" "$b" 2>/dev/null
    exec 3>&-
}

hogs=()
for _ in $(seq "$BUSY"); do
    while :; do :; done &
    hogs+=($!)
done
runs=0 failures=0 timeouts=0 t0=$(date +%s)
for r in $(seq "$rounds"); do
    for i in $(seq "$n"); do
        stack "$tmp/r$r-s$i" &
    done
    for i in $(seq "$n"); do
        while [ ! -f "$tmp/r$r-s$i/result" ]; do sleep 0.2; done
    done
    for i in $(seq "$n"); do
        d="$tmp/r$r-s$i"
        res=$(cat "$d/result" 2>/dev/null || echo "FAIL no result")
        runs=$((runs + 1))
        if grep -qiE "timed out|timeout" "$d/qemu.err" 2>/dev/null; then
            timeouts=$((timeouts + 1))
        fi
        case $res in
        ok*) ;;
        *)
            failures=$((failures + 1))
            echo "run-stacks: round $r stack $i: $res"
            sed 's/^/  qemu: /' "$d/qemu.err" 2>/dev/null | head -5
            sed 's/^/  backend: /' "$d/backend.err" 2>/dev/null | tail -5
            ;;
        esac
    done
    slowest=$(cat "$tmp"/r"$r"-s*/result | awk '$1 == "ok" && $2 > m { m = $2 } END { printf "%.1f", m }')
    echo "run-stacks: round $r: $n stacks, slowest greeting + $ECHOES echoes ${slowest} s"
done
kill "${hogs[@]}"
echo "run-stacks: $runs runs ($n concurrent stacks x $rounds rounds, $ECHOES echoes each," \
     "$BUSY CPU hogs, $(nproc) CPUs, $(( $(date +%s) - t0 )) s): $failures failures," \
     "$timeouts spurious timeouts"
[ $failures -eq 0 ] && [ $timeouts -eq 0 ]
