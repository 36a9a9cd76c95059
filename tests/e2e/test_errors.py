# SPDX-License-Identifier: BSD-3-Clause
"""Bad backends and bad configurations: QEMU fails fast with a clear error."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import GREETING, wait_socket

ROGUE = Path(__file__).with_name("rogue_backend.py")
EXIT_TIMEOUT = 20  # seconds; QEMU's message timeout is set lower below


def expect_error(qemu, *needles):
    code = qemu.wait_exit(EXIT_TIMEOUT)
    assert code is not None, "QEMU hung instead of failing"
    assert code != 0, f"QEMU exited 0\n{qemu.log()}"
    err = qemu.err.decode(errors="replace")
    for n in needles:
        assert n in err, f"{n!r} not in QEMU's error:\n{err}"
    return err


def rogue(stack, mutate, name="rogue"):
    sock = stack.sock(name)
    p = stack.run([sys.executable, ROGUE, "--socket", sock, "--mutate", mutate],
                  f"rogue {mutate}")
    wait_socket(sock, p)
    return sock


def test_no_backend_listening(stack):
    sock = stack.sock("nobody")
    qemu = stack.qemu([sock])
    expect_error(qemu, sock)


def test_missing_sockets_property(stack):
    qemu = stack.run([stack_qemu_binary(), "-M", "vfio-user-mcu", "-nographic",
                      "-monitor", "none", "-serial", "null"], "qemu")
    expect_error(qemu, "sockets")


def stack_qemu_binary():
    from conftest import QEMU
    return QEMU


@pytest.mark.parametrize("mutate,needle", [
    ("bad-magic", "magic"),
    ("bad-major", "version"),
    ("zero-size-window", "size"),
    ("entry-overruns", "entry 0"),
    ("short-entry", "entry 0"),
    ("unterminated-name", "name"),
    ("bad-region-index", "region"),
    ("window-larger-than-region", "size"),
    ("bad-irq-index", "irq"),
    ("too-many-entries", "entries"),
    ("unknown-required-entry", "entry 2"),
])
def test_malformed_control_region(stack, mutate, needle):
    sock = rogue(stack, mutate)
    qemu = stack.qemu([sock], firmware=None, extra=("-S",))
    err = expect_error(qemu, sock)
    assert needle.lower() in err.lower(), f"{needle!r} not named in:\n{err}"


def test_unknown_optional_entry_is_skipped(stack):
    sock = rogue(stack, "unknown-optional-entry")
    qemu = stack.qemu([sock], firmware=None, extra=("-S",))
    assert qemu.wait_exit(3) is None, f"QEMU refused a valid device\n{qemu.log()}"


def test_overlapping_windows_across_backends(stack):
    _, a = stack.backend("a", periph="usart1", stdin=False)
    _, b = stack.backend("b", periph="usart1", stdin=False)
    qemu = stack.qemu([a, b])
    err = expect_error(qemu, "overlap")
    assert a in err and b in err, f"both sockets should be named:\n{err}"


def test_irq_beyond_num_irq(stack):
    _, sock = stack.backend()
    qemu = stack.qemu([sock], machine_opts="num-irq=32")
    err = expect_error(qemu, sock)
    assert "37" in err and "num-irq" in err, err


def test_backend_dies_mid_run(stack):
    backend, sock = stack.backend()
    qemu = stack.qemu([sock], machine_opts="msg-timeout=2000")
    assert backend.wait_for(b"ready\r\n", timeout=20)
    backend.p.send_signal(signal.SIGKILL)
    backend.p.wait(5)
    expect_error(qemu, sock)


def test_backend_dies_under_a_busy_guest(stack):
    """With on-failure=stop, QEMU exits with status 1 and the reason, and
    the guest sees no bus error meanwhile: a fault would run the firmware's
    fault handler, whose own accesses to a dead backend fault again until
    the CPU locks up and QEMU aborts.  RCC and USART1 live in two backends,
    so a fault report would still reach the host."""
    rcc, rcc_sock = stack.backend("rcc", periph="rcc")
    uart, uart_sock = stack.backend("uart", periph="usart1")
    # Every read forwarded, so the failure meets a guest access.
    qemu = stack.qemu([rcc_sock, uart_sock], firmware="bench_mmio.elf",
                      machine_opts="msg-timeout=2000,fast-path=live")
    # Kill it inside a long loop of RCC reads.
    assert uart.wait_for(b"B read 8192", timeout=20)
    time.sleep(0.05)
    rcc.p.send_signal(signal.SIGKILL)
    rcc.p.wait(5)
    err = expect_error(qemu, rcc_sock, "stopping")
    assert qemu.p.returncode == 1, f"exit status {qemu.p.returncode}\n{err}"
    uart.stop()
    assert b"FAULT" not in uart.out, uart.out[-300:]
