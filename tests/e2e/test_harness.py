# SPDX-License-Identifier: BSD-3-Clause
"""The harness itself: a sanitizer report from any process a test starts
fails that test (conftest.sanitizer_failures, called by the `stack`
fixture's teardown), whether it is printed or only seen in the exit status
QEMU_SANITIZER_ENV gives; and an ASan/UBSan QEMU gets QEMU_SANITIZER_ENV.
Real sanitizer reports, from tiny programs built here with the C compiler
the project is built with."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (ASAN_EXITCODE, QEMU, QEMU_SANITIZED, QEMU_SANITIZER_ENV,
                      UBSAN_EXITCODE, Stack, sanitizer_failures)

CC = os.environ.get("CC", "cc")

PROGRAMS = {
    # (source, sanitizer flags)
    "heap_overflow": ("""
        #include <stdlib.h>
        int main(int argc, char **argv) {
            (void)argv;
            char *p = malloc(8);
            p[8 + argc - 1] = 1;
            free(p);
            return 0;
        }""", ["-fsanitize=address"]),
    # Recoverable, as QEMU's --enable-ubsan builds it without
    # -fno-sanitize-recover: UBSAN_OPTIONS must stop it.
    "signed_overflow": ("""
        #include <limits.h>
        #include <stdio.h>
        int main(int argc, char **argv) {
            (void)argv;
            int x = INT_MAX - 1 + argc;
            x += argc;
            printf("%d\\n", x);
            return 0;
        }""", ["-fsanitize=undefined"]),
    "leak": ("""
        #include <stdlib.h>
        void *keep;
        int main(void) {
            keep = malloc(64);
            keep = 0;
            return 0;
        }""", ["-fsanitize=address"]),
    "clean": ("""
        #include <stdlib.h>
        int main(void) {
            char *p = malloc(8);
            p[7] = 1;
            free(p);
            return 0;
        }""", ["-fsanitize=address,undefined"]),
}


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    if shutil.which(CC) is None:
        pytest.skip(f"no C compiler {CC!r}")
    d = tmp_path_factory.mktemp("sanitized")
    out = {}
    for name, (src, flags) in PROGRAMS.items():
        c = d / f"{name}.c"
        c.write_text(src)
        exe = d / name
        subprocess.run([CC, "-O0", "-g", *flags, "-o", exe, c], check=True,
                       timeout=120)
        out[name] = exe
    return out


def run(tmp_path, argv, **kw):
    """Runs @argv to its end in a Stack of its own (not the fixture's, whose
    teardown would fail this test); returns (exit status, failures)."""
    s = Stack(tmp_path)
    try:
        p = s.run(argv, Path(argv[0]).name, **kw)
        code = p.wait_exit(60)
    finally:
        s.close()
    return code, sanitizer_failures(s.procs)


def test_asan_report_fails_the_test(programs, tmp_path):
    code, bad = run(tmp_path, [programs["heap_overflow"]], sanitized=True)
    assert code == ASAN_EXITCODE, (code, bad)
    assert "ERROR: AddressSanitizer: heap-buffer-overflow" in bad, bad


def test_ubsan_report_fails_the_test(programs, tmp_path):
    code, bad = run(tmp_path, [programs["signed_overflow"]], sanitized=True)
    assert code == UBSAN_EXITCODE, (code, bad)
    assert "runtime error: signed integer overflow" in bad, bad


def test_leak_report_fails_the_test(programs, tmp_path):
    """QEMU_SANITIZER_ENV keeps LeakSanitizer on; so does make check-asan's
    environment for the backends."""
    code, bad = run(tmp_path, [programs["leak"]], sanitized=True)
    assert code == ASAN_EXITCODE, (code, bad)
    assert "ERROR: LeakSanitizer: detected memory leaks" in bad, bad
    env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=1"}
    code, bad = run(tmp_path, [programs["leak"]], env=env)
    assert code != 0, bad
    assert "ERROR: LeakSanitizer: detected memory leaks" in bad, bad


def test_sanitizer_exit_status_alone_fails_the_test(tmp_path):
    """A report that went elsewhere than stderr still shows in the status."""
    for status in (ASAN_EXITCODE, UBSAN_EXITCODE):
        code, bad = run(tmp_path, ["sh", "-c", f"exit {status}"], sanitized=True)
        assert code == status and bad, (code, bad)
    code, bad = run(tmp_path, ["sh", "-c", f"exit {ASAN_EXITCODE}"])
    assert code == ASAN_EXITCODE and not bad, bad


def test_clean_run_passes(programs, tmp_path):
    code, bad = run(tmp_path, [programs["clean"]], sanitized=True)
    assert code == 0 and not bad, (code, bad)


def test_sanitized_process_killed_fails_the_test(tmp_path):
    """A sanitized QEMU that needs SIGKILL never ran its leak check."""
    s = Stack(tmp_path)
    p = s.run(["sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"],
              "ignores SIGTERM", sanitized=True)
    time.sleep(0.3)     # the trap is set
    p.stop(grace=0.5)
    assert p.killed
    assert "its exit-time leak check did not run" in sanitizer_failures([p])
    p.sanitized = False
    assert not sanitizer_failures([p])


@pytest.mark.skipif(not QEMU_SANITIZED, reason="QEMU is not an ASan/UBSan build")
def test_sanitized_qemu_gets_the_options(stack):
    """The QEMU of `make check-qemu-asan` runs with QEMU_SANITIZER_ENV."""
    _, sock = stack.backend()
    qemu = stack.qemu([sock], firmware=None, extra=("-S",))
    assert qemu.sanitized
    assert qemu.wait_exit(1) is None, qemu.log()
    env = open(f"/proc/{qemu.p.pid}/environ", "rb").read().split(b"\0")
    for k, v in QEMU_SANITIZER_ENV.items():
        assert f"{k}={v}".encode() in env, env
    assert Path(qemu.argv[0]).resolve() == QEMU
