#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Re-records the fuzz seed corpora from real sessions: QEMU running the
# firmware against vup-stm32l4 (plain and posted writes) and vup-info, each
# through tests/fuzz/record.py; the rogue backend's broken control regions
# are added for the decoder.  Needs make all and the built QEMU.
#   tests/fuzz/record-corpus.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
QEMU=${QEMU:-$BUILD/qemu/build/qemu-system-arm}
srv=tests/fuzz/corpus/fuzz_server
crd=tests/fuzz/corpus/fuzz_cr_decode
tmp=$(mktemp -d /tmp/vup-record-XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$srv" "$crd"

wait_for() {  # FILE NEEDLE: wait (at most 20 s) until FILE contains NEEDLE
    for _ in $(seq 200); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "record-corpus: '$2' never appeared in $1" >&2
    return 1
}

# record NAME "BACKEND ARGS" CLIENT...: one session through the proxy.
record() {
    local name=$1 bargs=$2
    shift 2
    mkfifo "$tmp/$name.in"
    # shellcheck disable=SC2086
    "$BUILD/bin/vup-stm32l4" --socket "$tmp/$name.b" $bargs <"$tmp/$name.in" \
        >"$tmp/$name.out" 2>&1 &
    pids+=($!)
    exec 3>"$tmp/$name.in"
    wait_for "$tmp/$name.out" "listening on"
    python3 tests/fuzz/record.py --listen "$tmp/$name.p" --backend "$tmp/$name.b" \
        --out "$tmp/$name" &
    local proxy=$!
    while [ ! -S "$tmp/$name.p" ]; do sleep 0.05; done
    "$@" "$tmp/$name.p"
    wait "$proxy"
    exec 3>&-
    cp "$tmp/$name.session" "$srv/$name.session"
    python3 tests/fuzz/record.py --split "$tmp/$name.session" --out "$srv/$name"
    if [ -f "$tmp/$name.cr" ]; then cp "$tmp/$name.cr" "$crd/$name.cr"; fi
    echo "record-corpus: $name: $(stat -c %s "$tmp/$name.session") bytes"
}

# QEMU runs the firmware until it echoed a typed string, then is stopped.
qemu_session() {
    local name=$1 sock=$2
    "$QEMU" -M "vfio-user-mcu,sockets=$sock" -kernel "$BUILD/firmware/hello.elf" \
        -nographic -serial null -monitor none >/dev/null 2>&1 &
    local q=$!
    wait_for "$tmp/$name.out" "ready"
    printf 'vfio' >&3
    wait_for "$tmp/$name.out" "vfio"
    kill "$q"
    wait "$q" || true
}

# QEMU runs firmware/dma.c (DMA1 mem2mem by DMA_READ/WRITE messages, and a
# transfer to an address outside RAM) to its end.
qemu_dma_session() {
    local name=$1 sock=$2
    "$QEMU" -M "vfio-user-mcu,sockets=$sock" -kernel "$BUILD/firmware/dma.elf" \
        -nographic -serial null -monitor none >/dev/null 2>&1 &
    local q=$!
    wait_for "$tmp/$name.out" "done"
    kill "$q"
    wait "$q" || true
}

vup_info_session() {
    "$BUILD/bin/vup-info" "$1" >/dev/null
}

record qemu-hello "--periph rcc,usart1" qemu_session qemu-hello
record qemu-posted "--periph usart1,usart2,usart3,rcc --posted-writes" \
    qemu_session qemu-posted
record vup-info "--periph usart2,rcc" vup_info_session
# usart1, rcc, dma1: the regions of fuzz_server's device, in its order.
record qemu-dma "--periph usart1,rcc,dma1" qemu_dma_session qemu-dma

python3 - "$crd" <<'PY'
import sys
sys.path.insert(0, "tests/e2e")
import rogue_backend
for m in rogue_backend.MUTATIONS:
    with open(f"{sys.argv[1]}/rogue-{m}.cr", "wb") as f:
        f.write(bytes(rogue_backend.build_cr(m)))
PY
echo "record-corpus: $(ls "$srv" | wc -l) server seeds, $(ls "$crd" | wc -l) control regions"
