#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The demo: STM32L4 firmware runs in QEMU on the generic vfio-user-mcu board;
# its USART1 and RCC live in a separate process (vup-stm32l4) reached over
# vfio-user.  The firmware's greeting is what that process's USART prints.
#
# On a terminal it stays up: type, and the firmware echoes each byte through
# the external USART's RX interrupt; Ctrl-C ends it.  Without a terminal (CI)
# it stops once the firmware is ready and exits 0 only if the greeting came.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
QEMU=${QEMU:-$BUILD/qemu/build/qemu-system-arm}
BACKEND=$BUILD/bin/vup-stm32l4
FW=$BUILD/firmware/hello.elf
for f in "$QEMU" "$BACKEND" "$FW"; do
    [ -x "$f" ] || [ -f "$f" ] || { echo "demo: $f is missing: run 'make demo'" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/vup-demo.XXXXXX)
sock=$tmp/stm32l4.sock
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_qemu() {
    for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
    echo "demo: $QEMU -M vfio-user-mcu,sockets=$sock -kernel $FW" >&2
    exec "$QEMU" -M "vfio-user-mcu,sockets=$sock" -kernel "$FW" \
        -nographic -serial null -monitor none 2> "$tmp/qemu.err"
}

echo "demo: backend: $BACKEND --socket $sock --periph rcc,usart1 --serial stdio" >&2
if [ -t 0 ] && [ -t 1 ]; then
    echo "demo: type to have the firmware echo through the external USART; Ctrl-C quits" >&2
    start_qemu &
    pids+=($!)
    "$BACKEND" --socket "$sock" --periph rcc,usart1 --serial stdio || true
    exit 0
fi

"$BACKEND" --socket "$sock" --periph rcc,usart1 --serial stdio < /dev/null > "$tmp/usart1.out" &
pids+=($!)
start_qemu &
pids+=($!)
for _ in $(seq 200); do
    grep -q ready "$tmp/usart1.out" 2>/dev/null && break
    sleep 0.1
done
echo "demo: USART1 output (read from the backend process):" >&2
cat "$tmp/usart1.out"
if grep -q "Hello from STM32L4 firmware over vfio-user!" "$tmp/usart1.out"; then
    echo "demo: OK" >&2
else
    echo "demo: FAILED: no greeting within 20 s; QEMU said:" >&2
    cat "$tmp/qemu.err" >&2
    exit 1
fi
