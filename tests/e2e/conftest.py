# SPDX-License-Identifier: BSD-3-Clause
"""Fixtures for end-to-end tests: real backend processes, the real patched
qemu-system-arm, real firmware.  Every wait is bounded."""

import os
import select
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BUILD", ROOT / "build")).resolve()
QEMU = Path(os.environ.get("QEMU", BUILD / "qemu/build/qemu-system-arm")).resolve()
BACKEND = BUILD / "bin/vup-stm32l4"
VUP_INFO = BUILD / "bin/vup-info"
FIRMWARE = BUILD / "firmware"
GREETING = b"Hello from STM32L4 firmware over vfio-user!"
# Which path the whole suite runs on (tests/run-all.sh runs it twice):
# auto (default: mapped live part, direct reads from register mirrors,
# mailbox), mailbox or direct (QEMU uses only one of those two), live (QEMU
# maps the live part only), off (QEMU fast-path=off and vup-stm32l4
# --no-fast-path: messages only), qemu-off or backend-off (one side
# refuses).
FAST_PATH = os.environ.get("VUP_E2E_FAST_PATH", "auto")


def links_asan(binary):
    """True if @binary is linked against ASan (the build-asan QEMU of
    `make qemu-asan`)."""
    try:
        out = subprocess.run(["readelf", "-d", str(binary)], capture_output=True,
                             text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "libasan" in out


# An ASan/UBSan QEMU (make check-qemu-asan) gets these options, and only
# QEMU does (the backends keep whatever the environment says: make
# check-asan's sanitizer builds have their own).  A report makes QEMU exit
# with a status of its own, never QEMU's 1 that many tests expect, and goes
# to stderr, where the teardown of `stack` finds it.
#
# detect_leaks=1: LeakSanitizer stays on for QEMU, with no suppressions.
# Over the whole suite on both paths it reports nothing of upstream QEMU's
# (what QEMU keeps at exit is still reachable from globals, so LSan does
# not count it); it does report allocations of ours lost on an exit path.
# fast_unwind_on_malloc=0: such an allocation is usually made by glib
# through glibc's vasprintf (no frame pointers), where the fast unwinder
# stops after two frames; the slow one names our function (as upstream's
# build-oss-fuzz CI job does).  See docs/robustness.md, "QEMU under
# ASan/UBSan".
QEMU_SANITIZED = QEMU.exists() and links_asan(QEMU)
ASAN_EXITCODE, UBSAN_EXITCODE = 86, 87
QEMU_SANITIZER_ENV = {
    "ASAN_OPTIONS": ("detect_leaks=1:fast_unwind_on_malloc=0:halt_on_error=1:"
                     f"abort_on_error=0:exitcode={ASAN_EXITCODE}"),
    "UBSAN_OPTIONS": ("halt_on_error=1:print_stacktrace=1:"
                      f"exitcode={UBSAN_EXITCODE}"),
}


class Proc:
    """A child process whose stdout/stderr are collected without blocking."""

    def __init__(self, argv, name, stdin=subprocess.DEVNULL, env=None,
                 sanitized=False):
        self.name = name
        self.argv = [str(a) for a in argv]
        # Runs with QEMU_SANITIZER_ENV: its exit codes mean a report.
        self.sanitized = sanitized
        if sanitized:
            env = {**(env if env is not None else os.environ),
                   **QEMU_SANITIZER_ENV}
        self.p = subprocess.Popen(self.argv, stdin=stdin, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env)
        os.set_blocking(self.p.stdout.fileno(), False)
        os.set_blocking(self.p.stderr.fileno(), False)
        self.out = b""
        self.err = b""
        self.killed = False     # stop() had to SIGKILL it

    def _pump(self, timeout):
        fds = [f for f in (self.p.stdout, self.p.stderr) if not f.closed]
        if not fds:
            time.sleep(timeout)
            return
        ready, _, _ = select.select(fds, [], [], timeout)
        for f in ready:
            data = f.read()
            if data:
                if f is self.p.stdout:
                    self.out += data
                else:
                    self.err += data

    def wait_for(self, needle, timeout=15.0, stream="out"):
        """Wait until @needle (bytes) appears in stdout/stderr; False on timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self._pump(0.05)
            if needle in (self.out if stream == "out" else self.err):
                return True
            if self.p.poll() is not None:
                self._pump(0.05)
                return needle in (self.out if stream == "out" else self.err)
        return False

    def wait_exit(self, timeout=15.0):
        """Return the exit code, or None if still running after @timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self._pump(0.05)
            if self.p.poll() is not None:
                self._pump(0.05)
                return self.p.returncode
        return None

    def write(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def stop(self, sig=signal.SIGTERM, grace=5.0):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            if self.wait_exit(grace) is None:
                self.killed = True
                self.p.kill()
                self.p.wait(5)
        self._pump(0.01)
        for f in (self.p.stdin, self.p.stdout, self.p.stderr):
            if f:
                f.close()

    def log(self):
        return (f"--- {self.name}: {' '.join(self.argv)}\n"
                f"exit: {self.p.poll()}\n"
                f"stdout:\n{self.out.decode(errors='replace')}\n"
                f"stderr:\n{self.err.decode(errors='replace')}\n")


class Stack:
    """Starts backends and QEMU; tears everything down, dumps logs on failure."""

    def __init__(self, tmp):
        self.tmp = Path(tmp)
        self.procs = []

    def sock(self, name):
        return str(self.tmp / f"{name}.sock")

    def backend(self, name="b0", periph="rcc,usart1", extra=(), stdin=True):
        sock = self.sock(name)
        if FAST_PATH in ("off", "backend-off"):
            extra = ("--no-fast-path", *extra)
        p = Proc([BACKEND, "--socket", sock, "--periph", periph, *extra],
                 f"backend {name}",
                 stdin=subprocess.PIPE if stdin else subprocess.DEVNULL)
        self.procs.append(p)
        wait_socket(sock, p)
        return p, sock

    def qemu(self, sockets, firmware="hello.elf", machine_opts="", extra=()):
        opts = f"vfio-user-mcu,sockets={':'.join(sockets)}"
        if machine_opts:
            opts += "," + machine_opts
        argv = [QEMU, "-M", opts, "-nographic", "-serial", "null",
                "-monitor", "none"]
        if firmware:
            argv += ["-kernel", FIRMWARE / firmware]
        if FAST_PATH in ("mailbox", "direct", "live", "off", "qemu-off"):
            mode = "off" if FAST_PATH == "qemu-off" else FAST_PATH
            argv += ["-global", f"vfio-user-platform.fast-path={mode}"]
        return self.run([*argv, *extra], "qemu")

    def qemu_board(self, board, sockets, firmware, extra=()):
        """QEMU's own @board with backends attached (vfio-user=...); the
        SoC's in-process USART1 on QEMU's stdout."""
        opts = board + (f",vfio-user={':'.join(sockets)}" if sockets else "")
        argv = [QEMU, "-M", opts, "-nographic", "-serial", "stdio",
                "-monitor", "none", "-kernel", FIRMWARE / firmware]
        if sockets and FAST_PATH in ("mailbox", "direct", "live", "off",
                                     "qemu-off"):
            mode = "off" if FAST_PATH == "qemu-off" else FAST_PATH
            argv += ["-global", f"vfio-user-platform.fast-path={mode}"]
        return self.run([*argv, *extra], "qemu")

    def run(self, argv, name, **kw):
        if QEMU_SANITIZED and Path(argv[0]).resolve() == QEMU:
            kw.setdefault("sanitized", True)
        p = Proc(argv, name, **kw)
        self.procs.append(p)
        return p

    def close(self):
        for p in reversed(self.procs):
            p.stop()

    def logs(self):
        return "\n".join(p.log() for p in self.procs)


def wait_socket(path, proc, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path):
            return
        if proc.p.poll() is not None:
            break
        time.sleep(0.02)
    proc._pump(0.1)
    raise AssertionError(f"{proc.name} did not create {path}\n{proc.log()}")


# What ASan/LSan/UBSan print (make check-asan runs sanitizer builds of the
# backends here, make check-qemu-asan a sanitizer build of QEMU).
SANITIZER_ERRORS = (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer",
                    b"runtime error:", b"AddressSanitizer: CHECK failed",
                    b"LeakSanitizer has encountered a fatal error",
                    b"ERROR: UndefinedBehaviorSanitizer")


def sanitizer_failures(procs):
    """The logs of the processes that reported a sanitizer error (on stderr,
    or, run with QEMU_SANITIZER_ENV, by its exit codes), or "" if none did.
    A process run with QEMU_SANITIZER_ENV that had to be SIGKILLed counts
    too: its exit-time checks (LeakSanitizer) never ran.  The `stack`
    fixture fails a test with it; test_harness.py checks it."""
    out = []
    for p in procs:
        why = []
        if any(e in p.err for e in SANITIZER_ERRORS):
            why.append("sanitizer report on stderr")
        if p.sanitized and p.p.poll() in (ASAN_EXITCODE, UBSAN_EXITCODE):
            why.append(f"exit status {p.p.poll()} (a sanitizer's)")
        if p.sanitized and p.killed:
            why.append("SIGKILLed after SIGTERM: its exit-time leak check "
                       "did not run")
        if why:
            out.append(f"{p.name}: {', '.join(why)}\n{p.log()}")
    return "\n".join(out)


@pytest.fixture
def stack(request):
    with tempfile.TemporaryDirectory(prefix="vup-e2e-") as tmp:
        s = Stack(tmp)
        try:
            yield s
        finally:
            s.close()
            rep = getattr(request.node, "rep_call", None)
            if rep is not None and rep.failed:
                print(s.logs())
            bad = sanitizer_failures(s.procs)
            if bad:
                pytest.fail("sanitizer errors:\n" + bad)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def pytest_report_header(config):
    return (f"QEMU: {QEMU}" +
            (" (ASan/UBSan build, QEMU_SANITIZER_ENV)" if QEMU_SANITIZED else ""))


def pytest_sessionstart(session):
    missing = [str(p) for p in (QEMU, BACKEND, VUP_INFO, FIRMWARE / "hello.elf")
               if not p.exists()]
    if missing:
        raise pytest.UsageError("missing build outputs (run `make all qemu`): "
                                + ", ".join(missing))
