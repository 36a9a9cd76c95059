#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs the unit tests (cmocka) and the end-to-end tests (pytest).
#   tests/run-all.sh [--unit-only | --e2e-only] [pytest args...]
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD

mode=all
case "${1:-}" in
    --unit-only) mode=unit; shift ;;
    --e2e-only) mode=e2e; shift ;;
esac

failed=0
if [ "$mode" != e2e ]; then
    shopt -s nullglob
    units=("$BUILD"/tests/test_*)
    [ ${#units[@]} -gt 0 ] || { echo "run-all: no unit tests in $BUILD/tests" >&2; exit 1; }
    for t in "${units[@]}"; do
        echo "=== $t"
        "$t" || failed=1
    done
fi
if [ "$mode" != unit ]; then
    echo "=== end-to-end tests (tests/e2e)"
    # Debian's python3 (the one install-deps.sh gives pytest to).
    /usr/bin/python3 -m pytest -v -p no:cacheprovider tests/e2e "$@" || failed=1
    # Again on the standard path alone (no shared memory on either side).
    echo "=== end-to-end tests (tests/e2e), VUP_E2E_FAST_PATH=off"
    VUP_E2E_FAST_PATH=off /usr/bin/python3 -m pytest -v -p no:cacheprovider \
        tests/e2e "$@" || failed=1
fi
if [ $failed -ne 0 ]; then
    echo "run-all: FAILED" >&2
fi
exit $failed
