# SPDX-License-Identifier: BSD-3-Clause
"""Signal lines across the boundary (control region 1.5, SIGNAL entries):
each signal group of a backend is a named GPIO group of its
vfio-user-platform device, boards connect OUT groups to IN groups of the
same name in other backends or to their own devices, and the edges of one
guest instant travel in one message.

Real backends (vup-stm32l4, whose GPIO ports publish their pins as OUT
groups "gpioa".., whose SYSCFG takes IN groups of those names), the
rogue backend's signal modes (rogue_backend.py, SIGNAL_MODES: registers
that move the lines directly), the real patched QEMU under qtest and
real firmware."""

import re
import socket
import subprocess
import sys
import time

import pytest

from conftest import BACKEND, BUILD, QEMU, VUP_INFO, wait_socket
from test_errors import ROGUE

VUP_CTL = BUILD / "bin/vup-ctl"
WIN = 0x40013800                # the rogue's window ("signals-out")
WIN_IN = WIN + 0x1000           # ... and the "signals-in*" one's

# STM32L4x5 (vup-stm32l4) registers, RM0351
GPIOA, GPIOC = 0x48000000, 0x48000800
GPIO_MODER, GPIO_IDR, GPIO_ODR = 0x00, 0x10, 0x14
SYSCFG, EXTI = 0x40010000, 0x40010400
SYSCFG_EXTICR1 = 0x08
SYSCFG_EXTICR4 = 0x14
EXTI_IMR1, EXTI_RTSR1, EXTI_FTSR1, EXTI_PR1 = 0x00, 0x08, 0x0c, 0x14


def backend_help():
    try:
        return subprocess.run([str(BACKEND), "--help"], capture_output=True,
                              text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def backend_has(*periphs):
    """vup-stm32l4 serves @periphs (its --help lists what it knows)."""
    text = backend_help()
    return all(re.search(rf"\b{p}\b", text) for p in periphs)


def backend_relocates():
    return "NAME@ADDR" in backend_help()


needs_exti = pytest.mark.skipif(
    not backend_has("syscfg", "exti"),
    reason="vup-stm32l4 has no SYSCFG/EXTI models yet")
needs_relocation = pytest.mark.skipif(
    not backend_relocates(),
    reason="vup-stm32l4 has no --periph NAME@ADDR yet")


def rogue(stack, mode, name="rogue", base=None, line=None):
    sock = stack.sock(name)
    where = ([f"--base=0x{base:x}"] if base is not None else []) + \
        ([f"--line={line}"] if line is not None else [])
    p = stack.run([sys.executable, ROGUE, "--socket", sock, "--mutate", mode,
                   *where], f"rogue {mode}")
    wait_socket(sock, p)
    return sock


def refused(qemu, stack):
    code = qemu.wait_exit(20)
    assert code == 1, f"QEMU exit {code}, expected 1\n{stack.logs()}"
    return qemu.err.decode(errors="replace")


class QTest:
    """QEMU's qtest protocol on a socket QEMU connects to; the IRQ
    messages of irq_intercept_out are collected in @irqs."""

    def __init__(self, stack, socks, board=None, extra=()):
        self.path = str(stack.tmp / "sig.qtest")
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(self.path)
        lsock.listen(1)
        lsock.settimeout(15)
        argv = ["-accel", "qtest", "-qtest", f"unix:{self.path}", *extra]
        if board:
            opts = board + (f",vfio-user={':'.join(socks)}" if socks else "")
            self.q = stack.run([QEMU, "-M", opts, "-nographic", "-monitor",
                                "none", "-serial", "null", *argv], "qemu")
        else:
            self.q = stack.qemu(socks, firmware=None, extra=argv)
        self.s, _ = lsock.accept()
        lsock.close()
        self.s.settimeout(15)
        self.buf = b""
        self.irqs = []

    def _line(self):
        while b"\n" not in self.buf:
            data = self.s.recv(4096)
            assert data, f"qtest connection closed\n{self.q.log()}"
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def cmd(self, line):
        self.s.sendall(line.encode() + b"\n")
        while True:
            reply = self._line()
            if reply.startswith("IRQ "):
                self.irqs.append(reply)
                continue
            assert reply.startswith("OK"), f"{line}: {reply}"
            return reply

    def writel(self, addr, val):
        self.cmd(f"writel 0x{addr:x} 0x{val:x}")

    def readl(self, addr):
        return int(self.cmd(f"readl 0x{addr:x}").split()[1], 16)

    def take_irqs(self):
        """The IRQ messages so far (after a round trip that flushes them)."""
        self.cmd("clock_step 1")
        irqs, self.irqs = self.irqs, []
        return irqs


# --- the QEMU side with the rogue's signal modes (no backend needed) -------

def test_out_group_is_named_gpio_out(stack):
    """A write that moves the rogue's OUT lines: one qemu_irq change per
    line that changed, at the synchronisation point after the reply."""
    qt = QTest(stack, [rogue(stack, "signals-out")])
    qt.cmd("irq_intercept_out /machine/backend[0] gpioa")
    qt.writel(WIN + 0x14, 0x8005)
    assert sorted(qt.take_irqs()) == ["IRQ raise 0", "IRQ raise 15",
                                      "IRQ raise 2"]
    qt.writel(WIN + 0x14, 0x8004)
    assert qt.take_irqs() == ["IRQ lower 0"]
    qt.writel(WIN + 0x14, 0x8004)           # no change, nothing
    assert qt.take_irqs() == []


def test_out_pulse_group_pulses_once_per_count(stack):
    qt = QTest(stack, [rogue(stack, "signals-out")])
    qt.cmd("irq_intercept_out /machine/backend[0] trig")
    qt.writel(WIN + 0x20, 3 << 8 | 1)       # three pulses on trig[1]
    assert qt.take_irqs() == ["IRQ raise 1", "IRQ lower 1"] * 3


def test_in_group_reaches_the_backend_before_its_next_access(stack):
    """set_irq_in on an IN group: the backend has the level by the next
    access to its window, and a level that does not change sends
    nothing."""
    qt = QTest(stack, [rogue(stack, "signals-in")])
    dev = "/machine/backend[0]"
    writes = qt.readl(WIN_IN + 0x18)        # the reset's push
    assert writes >= 1
    qt.cmd(f"set_irq_in {dev} gpioa 3 1")
    assert qt.readl(WIN_IN + 0x10) == 1 << 3
    qt.cmd(f"set_irq_in {dev} gpioa 3 1")
    assert qt.readl(WIN_IN + 0x18) == writes + 1
    qt.cmd(f"set_irq_in {dev} gpioa 3 0")
    qt.cmd(f"set_irq_in {dev} gpioa 15 1")
    assert qt.readl(WIN_IN + 0x10) == 1 << 15
    # IN PULSE group: a count per rising edge.
    for _ in range(5):
        qt.cmd(f"set_irq_in {dev} trig 1 1")
        qt.cmd(f"set_irq_in {dev} trig 1 0")
    assert qt.readl(WIN_IN + 0x1c) == 5 << 8


def test_two_backends_routed_by_name_one_message_per_instant(stack):
    """The OUT group "gpioa" of one backend drives the IN group "gpioa" of
    the other: 16 lines changed by one write arrive in one input-block
    write, and pulses arrive as counts."""
    out, inp = rogue(stack, "signals-out", "out"), rogue(stack, "signals-in",
                                                         "in")
    qt = QTest(stack, [out, inp], extra=["-trace",
                                         "vfio_user_platform_signal_*"])
    writes = qt.readl(WIN_IN + 0x18)
    qt.writel(WIN + 0x14, 0xffff)
    assert qt.readl(WIN_IN + 0x10) == 0xffff
    assert qt.readl(WIN_IN + 0x18) == writes + 1, "one write per instant"
    qt.writel(WIN + 0x14, 0x00f0)
    assert qt.readl(WIN_IN + 0x10) == 0x00f0
    assert qt.readl(WIN_IN + 0x18) == writes + 2
    qt.writel(WIN + 0x20, 7 << 8 | 0)       # 7 pulses on trig[0]
    assert qt.readl(WIN_IN + 0x1c) == 7
    qt.q.stop()
    err = qt.q.err.decode(errors="replace")
    assert re.search(rf"signal gpioa: {re.escape(out)} -> {re.escape(inp)}, "
                     r"16 lines", err), err
    assert re.search(rf"signal trig: {re.escape(out)} -> {re.escape(inp)}, "
                     r"2 lines", err), err


def test_backend_dying_on_the_inputs_write_stops_qemu(stack):
    sock = rogue(stack, "signals-in-die")
    qt = QTest(stack, [sock])
    qt.cmd("set_irq_in /machine/backend[0] gpioa 0 1")
    assert qt.q.wait_exit(15) == 1, qt.q.log()
    err = qt.q.err.decode(errors="replace")
    assert re.search(rf"vfio-user-platform {re.escape(sock)}: writing the "
                     r"input signals to the live part: .*; stopping", err), err


def test_inputs_are_written_again_after_a_reconnect(stack):
    """on-failure=bus-error,reconnect-ms: a backend that comes back gets
    the whole input state at once."""
    sock = rogue(stack, "signals-in")
    qt = QTest(stack, [sock], extra=["-global",
                                     "vfio-user-platform.on-failure=bus-error",
                                     "-global",
                                     "vfio-user-platform.reconnect-ms=50"])
    dev = "/machine/backend[0]"
    qt.cmd(f"set_irq_in {dev} gpioa 5 1")
    qt.cmd(f"set_irq_in {dev} gpioa 9 1")
    assert qt.readl(WIN_IN + 0x10) == 1 << 5 | 1 << 9
    stack.procs[0].stop()                   # the rogue dies...
    qt.readl(WIN_IN + 0x10)                 # (noticed here or by the loop)
    qt.cmd(f"set_irq_in {dev} gpioa 9 0")   # an edge while it is away
    rogue(stack, "signals-in")              # ... and comes back
    assert qt.q.wait_for(b"reconnected; the device was reset", 15,
                         stream="err"), qt.q.log()
    assert qt.readl(WIN_IN + 0x10) == 1 << 5


def test_unconnected_groups_are_traced(stack):
    sock = rogue(stack, "signals-in")
    qt = QTest(stack, [sock], extra=["-trace",
                                     "vfio_user_platform_signal_unconnected"])
    qt.cmd("clock_step 1")
    qt.q.stop()
    err = qt.q.err.decode(errors="replace")
    assert f"signal gpioa of {sock} unconnected: nothing drives it" in err
    assert f"signal trig of {sock} unconnected: nothing drives it" in err


@pytest.mark.parametrize("mode,what", [
    ("signals-in-8", r"\(8 lines\)"),
    ("signals-in-pulse", r"\(16 lines, pulses\)"),
])
def test_mismatch_between_two_backends_is_refused(stack, mode, what):
    out, inp = rogue(stack, "signals-out", "out"), rogue(stack, mode, "in")
    err = refused(stack.qemu([out, inp], firmware=None), stack)
    assert re.search(rf'vfio-user-mcu: signal "gpioa": the OUT group "gpioa" '
                     rf'of {re.escape(out)} \(16 lines\) cannot drive the IN '
                     rf'group "gpioa" of {re.escape(inp)} {what}', err), err


def test_two_drivers_of_one_name_are_refused(stack):
    a = rogue(stack, "signals-out", "a")
    b = rogue(stack, "signals-out", "b", base=WIN + 0x2000, line=39)
    err = refused(stack.qemu([a, b], firmware=None), stack)
    assert re.search(rf'vfio-user-mcu: signal "gpioa" is driven twice: by the '
                     rf'OUT group "gpioa" of {re.escape(a)} \(16 lines\) and '
                     rf'by the OUT group "gpioa" of {re.escape(b)}', err), err


# Malformed SIGNAL entries: QEMU refuses the device, naming the entry.
REFUSED_SIGNALS = [
    ("signal-bad-flags", 'signal "gpioa"', "unknown flags 0x8"),
    ("signal-no-direction", 'signal "trig"',
     "must have exactly one of OUT, IN"),
    ("signal-both-directions", 'signal "gpioa"',
     "must have exactly one of OUT, IN"),
    ("signal-width-0", 'signal "gpioa"', "width 0 is not in [1, 32]"),
    ("signal-width-33", 'signal "gpioa"', "width 33 is not in [1, 32]"),
    ("signal-lines-beyond", 'signal "gpioa"',
     "lines 250..265 are not below 256"),
    ("signal-overlap", 'signal "gpiob"', 'overlap those of "gpioa"'),
    ("signal-duplicate-name", 'signal "gpioa"', "name also used by entry"),
    ("signal-bad-name", "signal", "'/' is not a letter"),
    ("signal-sysbus-name", 'signal "sysbus-irq"', "names are QEMU's own"),
    ("signal-no-1.5-live", 'signal "gpioa"',
     "a signal needs a 1.5 live part of 888 bytes, but the header says "
     "version 1.4, live_size 312"),
]


@pytest.mark.parametrize("mutate,entry,needle", REFUSED_SIGNALS)
def test_malformed_signal_entry_is_refused(stack, mutate, entry, needle):
    sock = rogue(stack, mutate)
    err = refused(stack.qemu([sock], firmware=None), stack)
    assert re.search(rf"vfio-user-platform {re.escape(sock)}: control region "
                     rf"entry \d+ \({re.escape(entry)}", err), err
    assert needle in err, err


@pytest.mark.parametrize("mutate,entry,needle", REFUSED_SIGNALS)
def test_vup_info_refuses_the_same_signal_entries(stack, mutate, entry,
                                                  needle):
    """vup-info runs the same decoder: the same verdict, the same words."""
    sock = rogue(stack, mutate)
    p = stack.run([VUP_INFO, "--timeout", "3000", sock], "vup-info")
    assert p.wait_exit(15) == 1, p.log()
    err = p.err.decode(errors="replace")
    assert "not conformant" in err and needle in err, p.log()


def test_in_and_out_groups_may_share_line_numbers(stack):
    """The two directions have their own lines: accepted."""
    qt = QTest(stack, [rogue(stack, "signal-in-and-out-same-lines")])
    qt.cmd("set_irq_in /machine/backend[0] gpiob 0 1")
    qt.cmd("clock_step 1")
    assert qt.q.p.poll() is None, qt.q.log()


# --- vup-stm32l4's GPIO, SYSCFG and EXTI (needs the backend's signals) ----

@needs_exti
def test_qtest_gpio_pins_and_syscfg_inputs(stack):
    """(b) On the generic board: a GPIOA ODR write moves the OUT group
    "gpioa" of the backend that serves GPIOA; set_irq_in on the IN group
    "gpioa" of a backend that serves SYSCFG and EXTI (and not GPIOA) sets
    the EXTI pending bit of the line SYSCFG selects."""
    _, g = stack.backend("gpio", periph="rcc,gpioa", stdin=False)
    _, e = stack.backend("exti", periph="syscfg,exti", stdin=False)
    qt = QTest(stack, [g, e])
    qt.cmd("irq_intercept_out /machine/backend[0] gpioa")
    moder = qt.readl(GPIOA + GPIO_MODER)
    qt.writel(GPIOA + GPIO_MODER, (moder & ~(3 << 2)) | (1 << 2))   # PA1 out
    qt.take_irqs()
    qt.writel(GPIOA + GPIO_ODR, 1 << 1)
    assert "IRQ raise 1" in qt.take_irqs()
    qt.writel(GPIOA + GPIO_ODR, 0)
    assert "IRQ lower 1" in qt.take_irqs()

    # Backend 1: EXTI0 on port A (EXTICR1 = 0), rising edge, unmasked.
    qt.writel(SYSCFG + SYSCFG_EXTICR1, 0)
    qt.writel(EXTI + EXTI_RTSR1, 1)
    qt.writel(EXTI + EXTI_IMR1, 1)
    assert not qt.readl(EXTI + EXTI_PR1) & 1
    qt.cmd("set_irq_in /machine/backend[1] gpioa 0 1")
    assert qt.readl(EXTI + EXTI_PR1) & 1


@needs_exti
def test_gpio_of_one_backend_drives_exti_of_another(stack):
    """(c) GPIOC in one process, SYSCFG and EXTI (with RCC and USART1) in
    another, routed by name: PC13 (pulled up, the button) falling, driven
    from the control channel, sets EXTI13's pending bit."""
    ctl = stack.sock("ctl")
    _, g = stack.backend("gpio", periph="gpioc", stdin=False,
                         extra=("--ctl", ctl))
    _, e = stack.backend("soc", periph="rcc,usart1,syscfg,exti", stdin=False)
    qt = QTest(stack, [g, e])
    qt.writel(SYSCFG + SYSCFG_EXTICR4, 2 << 4)      # EXTI13 <- port C
    qt.writel(EXTI + EXTI_FTSR1, 1 << 13)
    qt.writel(EXTI + EXTI_IMR1, 1 << 13)
    moder = qt.readl(GPIOC + GPIO_MODER)
    qt.writel(GPIOC + GPIO_MODER, moder & ~(3 << 26))             # input
    pupdr = qt.readl(GPIOC + 0x0c)
    qt.writel(GPIOC + 0x0c, (pupdr & ~(3 << 26)) | (1 << 26))     # pull-up
    assert not qt.readl(EXTI + EXTI_PR1) & (1 << 13)
    rc = subprocess.run([str(VUP_CTL), ctl, "set-pin", "gpioc.13", "0"],
                        capture_output=True, text=True, timeout=30)
    assert rc.returncode == 0, rc.stdout + rc.stderr
    end = time.monotonic() + 10
    while not qt.readl(EXTI + EXTI_PR1) & (1 << 13):
        assert time.monotonic() < end, "EXTI13 never pending"
        time.sleep(0.05)


# --- attach mode: QEMU's own boards ------------------------------------------

F405_GPIOA = 0x40020000
# A placeholder on both SoCs (TIM6) and its NVIC line, for the rogue.
TIM6, TIM6_IRQ = 0x40001000, 54


@needs_relocation
def test_external_gpio_drives_inprocess_exti_on_netduinoplus2(stack):
    """(a) netduinoplus2: GPIOA served by vup-stm32l4 at the F405 address,
    its pins routed to the SoC's SYSCFG and EXTI; firmware/exti_f405.c
    prints a line per EXTI0 interrupt on the in-process USART1."""
    ctl = stack.sock("ctl")
    _, sock = stack.backend("gpio", periph=f"gpioa@0x{F405_GPIOA:x}",
                            stdin=False, extra=("--ctl", ctl))
    q = stack.qemu_board("netduinoplus2", [sock], "exti_f405.elf")
    assert q.wait_for(b"exti: ready\r\n", 20), stack.logs()
    for n, level in enumerate((1, 0, 1, 0), start=1):
        rc = subprocess.run([str(VUP_CTL), ctl, "set-pin", "gpioa.0",
                             str(level)], capture_output=True, text=True,
                            timeout=30)
        assert rc.returncode == 0, rc.stdout + rc.stderr
        line = f"exti: {n} pa0={level}\r\n".encode()
        assert q.wait_for(line, 10), f"no {line!r}\n{stack.logs()}"


ICOUNT = ["-icount", "shift=4,align=off,sleep=off"]


@needs_relocation
def test_external_gpio_interrupt_lands_at_once_under_icount(stack):
    """The firmware's own ODR writes on the external GPIOA: each EXTI0
    interrupt comes a few instructions after the write (the OUT lines are
    applied at the synchronisation point after the write's reply), the
    same number of SysTick ticks in every run under -icount."""
    _, sock = stack.backend("gpio", periph=f"gpioa@0x{F405_GPIOA:x}",
                            stdin=False)
    runs = []
    for _ in range(2):
        q = stack.qemu_board("netduinoplus2", [sock], "exti_f405.elf",
                             extra=ICOUNT)
        assert q.wait_for(b"exti: ready\r\n", 20), stack.logs()
        q.stop()
        runs.append(re.findall(r"exti: self \d+ pa0=\d after (\d+) ticks",
                               q.out.decode(errors="replace")))
    assert runs[0] == runs[1] and len(runs[0]) == 4, runs
    # 168 MHz SysTick, 16 ns per instruction: ~2.7 ticks per instruction.
    assert all(int(t) < 100 for t in runs[0]), runs


def test_netduinoplus2_takes_gpio_groups_and_leaves_others(stack):
    """The board's gpioa is 16 SYSCFG inputs, which the rogue's gpioa
    drives; its trig (2 PULSE lines) is nothing the board knows: traced,
    unconnected."""
    sock = rogue(stack, "signals-out", base=TIM6, line=TIM6_IRQ)
    qt = QTest(stack, [sock], board="netduinoplus2",
               extra=["-trace", "vfio_user_platform_signal_*"])
    qt.writel(TIM6 + 0x14, 1)
    qt.cmd("clock_step 1")
    qt.q.stop()
    err = qt.q.err.decode(errors="replace")
    assert re.search(rf"signal gpioa: {re.escape(sock)} -> the board, 16 "
                     r"lines", err), err
    assert f"signal trig of {sock} unconnected: nothing takes it" in err, err


def test_netduinoplus2_refuses_a_gpio_group_of_another_width(stack):
    sock = rogue(stack, "signals-out-8", base=TIM6, line=TIM6_IRQ)
    q = stack.qemu_board("netduinoplus2", [sock], "exti_f405.elf")
    err = refused(q, stack)
    assert (f'signal "gpioa": the OUT group "gpioa" of {sock} (8 lines) '
            "does not fit the board's 16 level lines of that name") in err, err


def test_inprocess_gpio_drives_a_backend_on_b_l475e(stack):
    """b-l475e-iot01a: the in-process GPIOA's pins drive a backend's IN
    group "gpioa" (here the rogue's), and still the SoC's SYSCFG."""
    sock = rogue(stack, "signals-in", base=TIM6, line=TIM6_IRQ)
    qt = QTest(stack, [sock], board="b-l475e-iot01a")
    qt.writel(0x4002104c, 1)                # RCC AHB2ENR: GPIOA clock
    moder = qt.readl(GPIOA + GPIO_MODER)
    qt.writel(GPIOA + GPIO_MODER, (moder & ~0xf) | 0x5)   # PA0, PA1 out
    writes = qt.readl(TIM6 + 0x18)
    qt.writel(GPIOA + GPIO_ODR, 0x3)        # two pins, one instant
    assert qt.readl(TIM6 + 0x10) & 0x3 == 0x3
    assert qt.readl(TIM6 + 0x18) == writes + 1, "one write per instant"
    qt.writel(GPIOA + GPIO_ODR, 0x2)
    assert qt.readl(TIM6 + 0x10) & 0x3 == 0x2
    # The in-process GPIO reads its own pins as before.
    assert qt.readl(GPIOA + GPIO_IDR) & 0x3 == 0x2


@needs_relocation
def test_inprocess_gpio_drives_a_relocated_syscfg_on_b_l475e(stack):
    """b-l475e-iot01a with vup-stm32l4's SYSCFG moved onto a placeholder
    (TIM6's): the in-process GPIOA's pins reach its IN group "gpioa", and
    its EXTI multiplexer's output (the OUT group "syscfg.exti", which no
    one takes here) follows the pin it selects."""
    _, sock = stack.backend("syscfg", periph=f"syscfg@0x{TIM6:x}",
                            stdin=False)
    qt = QTest(stack, [sock], board="b-l475e-iot01a")
    qt.cmd("irq_intercept_out /machine/backend[0] syscfg.exti")
    qt.writel(TIM6 + SYSCFG_EXTICR1, 0)     # EXTI0..3 <- port A
    qt.writel(0x4002104c, 1)                # RCC AHB2ENR: GPIOA clock
    moder = qt.readl(GPIOA + GPIO_MODER)
    qt.writel(GPIOA + GPIO_MODER, (moder & ~0x3) | 0x1)   # PA0 out
    qt.take_irqs()
    qt.writel(GPIOA + GPIO_ODR, 1)
    qt.readl(TIM6 + SYSCFG_EXTICR1)         # the next access: inputs first
    assert "IRQ raise 0" in qt.take_irqs()
    qt.writel(GPIOA + GPIO_ODR, 0)
    qt.readl(TIM6 + SYSCFG_EXTICR1)
    assert "IRQ lower 0" in qt.take_irqs()
