# SPDX-License-Identifier: BSD-3-Clause
"""Backends attached to QEMU's own STM32 boards (-M b-l475e-iot01a,
vfio-user=PATH and -M netduinoplus2,vfio-user=PATH): the peripheral the
SoC model lacks comes from a vup-stm32l4 process, everything else stays
in-process.  Real backends, the real patched QEMU, real firmware."""

import re
import sys

import pytest

from conftest import QEMU, wait_socket
from test_errors import ROGUE

# Deterministic virtual time: the in-process SysTick and the external
# TIM6 are compared in guest time only.
ICOUNT = ["-icount", "shift=4,align=off,sleep=off"]

BOARDS = [("b-l475e-iot01a", "attach_tim.elf"),
          ("netduinoplus2", "attach_tim_f405.elf")]


def run_until_done(qemu, stack, timeout=30):
    assert qemu.wait_for(b"done\r\n", timeout=timeout), \
        f"firmware did not finish\n{stack.logs()}"
    qemu.stop()
    return qemu.out.decode(errors="replace")


def refused(qemu, stack):
    code = qemu.wait_exit(20)
    assert code == 1, f"QEMU exit {code}, expected 1\n{stack.logs()}"
    return qemu.err.decode(errors="replace")


@pytest.mark.parametrize("board,firmware", BOARDS)
def test_external_tim6_next_to_inprocess_devices(stack, board, firmware):
    """TIM6 in a backend, USART1 and SysTick in QEMU: 100 updates of a
    1 kHz timer in 100 ticks of a 1 kHz SysTick, printed by the SoC's
    own USART."""
    _, sock = stack.backend("tim", periph="tim6,tim7", stdin=False)
    out = run_until_done(stack.qemu_board(board, [sock], firmware,
                                          extra=ICOUNT), stack)
    assert "attach: tim6 updates=100 systicks=100" in out, out


@pytest.mark.parametrize("board,firmware", BOARDS)
def test_without_the_backend_tim6_is_a_placeholder(stack, board, firmware):
    """The control: the same firmware on the plain board counts no update
    (QEMU's placeholder reads 0, never interrupts)."""
    out = run_until_done(stack.qemu_board(board, [], firmware,
                                          extra=ICOUNT), stack)
    assert "attach: tim6 updates=0 systicks=100" in out, out


def test_tim2_and_tim6_from_two_backends_on_b_l475e(stack):
    """firmware/tim2.c (TIM2 at 1 kHz with a CC1 compare, timed by TIM6)
    with the two timers in two backend processes."""
    _, s2 = stack.backend("tim2", periph="tim2", stdin=False)
    _, s6 = stack.backend("tim6", periph="tim6", stdin=False)
    out = run_until_done(stack.qemu_board("b-l475e-iot01a", [s2, s6],
                                          "tim2.elf", extra=ICOUNT), stack)
    f = dict(re.findall(r"(\w+)=(\d+)", out))
    assert f.get("rate_hz") == "1000", out
    # TIM6 ends the window 100.5 ms on: 100 updates and 101 CC1 matches.
    assert (f.get("updates"), f.get("cc1")) == ("100", "101"), out
    assert f.get("cnt_moves") == "1", out


@pytest.mark.parametrize("periph,device", [
    ("tim6,usart1", r"/machine/soc/usart\[0\]"),
    ("rcc", r"/machine/soc/rcc"),
])
def test_overlap_with_an_inprocess_device_is_refused(stack, periph, device):
    _, sock = stack.backend("b", periph=periph, stdin=False)
    err = refused(stack.qemu_board("b-l475e-iot01a", [sock], "hello.elf"),
                  stack)
    name = periph.split(",")[-1]
    assert re.search(rf'window "{name}" of {re.escape(sock)} \[0x[0-9a-f]+, '
                     rf'0x[0-9a-f]+\) overlaps the in-process device region '
                     rf'"[^"]+" of {device}', err), err


def test_overlap_with_an_inprocess_timer_on_netduinoplus2(stack):
    """The STM32F405 model has TIM2..TIM5 in-process."""
    _, sock = stack.backend("b", periph="tim2", stdin=False)
    err = refused(stack.qemu_board("netduinoplus2", [sock], "hello.elf"),
                  stack)
    assert f'window "tim2" of {sock}' in err, err
    assert "/machine/soc/timer[0]" in err, err


def test_two_backends_with_the_same_window(stack):
    _, a = stack.backend("a", periph="tim6", stdin=False)
    _, b = stack.backend("b", periph="tim6,tim7", stdin=False)
    err = refused(stack.qemu_board("b-l475e-iot01a", [a, b], "hello.elf"),
                  stack)
    assert f'window "tim6" of {b}' in err and f'window "tim6" of {a}' in err, \
        err


def rogue(stack, mutate):
    sock = stack.sock("rogue")
    p = stack.run([sys.executable, ROGUE, "--socket", sock, "--mutate",
                   mutate], f"rogue {mutate}")
    wait_socket(sock, p)
    return sock


def test_nvic_line_of_an_inprocess_device_is_refused(stack):
    """Line 37 (USART1) reaches this SoC's NVIC through its EXTI (line 26,
    the USART1 wakeup event), so the EXTI is the driver named."""
    sock = rogue(stack, "attach-line-taken")
    err = refused(stack.qemu_board("b-l475e-iot01a", [sock], "hello.elf"),
                  stack)
    assert (f'irq "usart1" of {sock}: NVIC line 37 is already driven by '
            "/machine/soc/exti (sysbus-irq[26])") in err, err


def test_nvic_line_beyond_the_socs_nvic_is_refused(stack):
    sock = rogue(stack, "attach-line-beyond-nvic")
    err = refused(stack.qemu_board("b-l475e-iot01a", [sock], "hello.elf"),
                  stack)
    assert "drives NVIC line 200, but this SoC's NVIC has 112 lines" in err, err


@pytest.mark.parametrize("value,message", [
    ("{sock}::{sock}", "has an empty path"),
    ("{sock}:{sock}", "is listed twice"),
])
def test_bad_socket_lists(stack, value, message):
    _, sock = stack.backend("tim", periph="tim6", stdin=False)
    q = stack.run([QEMU, "-M", "b-l475e-iot01a,vfio-user=" +
                   value.format(sock=sock), "-nographic", "-monitor", "none"],
                  "qemu")
    assert message in refused(q, stack)


def test_no_backend_listening(stack):
    sock = stack.sock("nobody")
    err = refused(stack.qemu_board("b-l475e-iot01a", [sock], "hello.elf"),
                  stack)
    assert sock in err, err


@pytest.mark.parametrize("board", ["b-l475e-iot01a", "netduinoplus2"])
def test_board_help_lists_the_property_and_device_options(stack, board):
    q = stack.run([QEMU, "-M", f"{board},help"], "qemu")
    assert q.wait_exit(10) == 0
    out = q.out.decode()
    assert re.search(r"^\s+vfio-user=<str>", out, re.M), out
    assert re.search(r"^\s+fast-path=", out, re.M), out
