#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Valgrind soak: vup-stm32l4 under valgrind (leak check, every error fatal)
# serves tests/stress/soak.c's accesses, resets and reconnects, then is
# stopped with SIGTERM; fails if the client saw a wrong value or valgrind
# reports an error or a definite/indirect leak.
#   tests/stress/soak.sh BUILD ACCESSES [RESET_EVERY [RECONNECT_EVERY]]
set -uo pipefail
cd "$(dirname "$0")/../.."
build=$1 accesses=$2
shift 2
tmp=$(mktemp -d /tmp/vup-soak-XXXXXX)
trap 'kill "$vg" 2>/dev/null; rm -rf "$tmp"' EXIT

valgrind --leak-check=full --error-exitcode=99 \
    --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --track-fds=no \
    --log-file="$tmp/valgrind.log" \
    "$build/bin/vup-stm32l4" --socket "$tmp/soak.sock" --periph rcc,usart1 \
    --serial null 2>"$tmp/backend.err" &
vg=$!
for _ in $(seq 300); do
    [ -S "$tmp/soak.sock" ] && break
    sleep 0.1
done
start=$(date +%s)
"$build/tests/soak" "$tmp/soak.sock" "$accesses" "$@"
client=$?
kill -TERM "$vg"
wait "$vg"
vgrc=$?
echo "soak: backend under valgrind for $(( $(date +%s) - start )) s, exit status $vgrc"
grep -E "ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable|All heap blocks" \
    "$tmp/valgrind.log" | sed 's/^==[0-9]*== */valgrind: /'
if [ $client -ne 0 ] || [ $vgrc -ne 0 ]; then
    echo "soak: FAILED (client $client, valgrind/backend $vgrc)" >&2
    cat "$tmp/valgrind.log" >&2
    exit 1
fi
echo "soak: OK"
