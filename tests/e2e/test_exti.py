# SPDX-License-Identifier: BSD-3-Clause
"""Signal lines between peripherals end to end: the B-L475E-IOT01A's user
button (PC13) as an interrupt through GPIOC, SYSCFG's EXTI multiplexer and
EXTI (firmware/exti.c), on the generic board.  The pin is driven with
vup-ctl set-pin; the firmware prints one line per EXTI15_10 interrupt, in
order, with the level it read from IDR.  Once with the whole chip in one
backend (the groups connected inside it), then with the chip cut in two or
three backends (QEMU routes "gpioc" and "syscfg.exti" between them by
name).  Also vup-stm32l4's --periph NAME@ADDR."""

import subprocess

import pytest

from conftest import BUILD, FAST_PATH, VUP_INFO

VUP_CTL = BUILD / "bin/vup-ctl"
WHOLE_CHIP = ("usart1,usart2,usart3,rcc,tim2,tim6,tim7,dma1,dma2,syscfg,"
              "exti,gpioa,gpiob,gpioc,gpiod,gpioe,gpiof,gpiog,gpioh")

# set-pin levels and the level PC13 then has (z: released, its pull-up).
# The first does not change the level (1 at rest): no interrupt.
PRESSES = [("1", None), ("0", 0), ("z", 1), ("0", 0), ("1", 1), ("0", 0),
           ("z", 1)]


def ctl(sock, *args):
    p = subprocess.run([str(VUP_CTL), sock, *args], capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def ctl_ok(sock, *args):
    rc, out, err = ctl(sock, *args)
    assert rc == 0, f"vup-ctl {' '.join(args)}: {rc}\n{out}{err}"
    return out


def press_and_check(pins, serial, backend, stack):
    """Drives PC13 through PRESSES with vup-ctl on @pins; each edge's line
    must come on @serial's usart1, numbered in order; @backend's stdout
    ends up with the whole transcript."""
    ctl_ok(serial, "wait-serial", "-t", "5s", "usart1", "ready\r\n")
    n = 1
    transcript = ("exti: line 13 from PC13, rising and falling edges\r\n"
                  "exti13 1: swier, PC13=1\r\n"
                  "ready\r\n")
    for level, now in PRESSES:
        ctl_ok(pins, "set-pin", "gpioc.13", level)
        if now is None:
            continue
        n += 1
        line = f"exti13 {n}: edge, PC13={now}\r\n"
        transcript += line
        ctl_ok(serial, "wait-serial", "-t", "2s", "usart1", line)
    # Nothing more came, and nothing out of order: the transcript as a whole.
    assert backend.wait_for(transcript.encode(), 5), \
        f"{backend.out!r}\n{stack.logs()}"
    assert b"error" not in backend.out, backend.out
    assert backend.out.endswith(transcript.encode()), backend.out


def test_button_interrupts_whole_chip(stack):
    """Every STM32L475 model in one backend: GPIOC's "gpioc" group goes to
    SYSCFG, SYSCFG's "syscfg.exti" to EXTI, inside the backend."""
    c = stack.sock("ctl")
    backend, sock = stack.backend(periph=WHOLE_CHIP, extra=("--ctl", c))
    qemu = stack.qemu([sock], firmware="exti.elf")
    press_and_check(c, c, backend, stack)
    # The firmware's configuration, as the registers have it.
    assert "= 0x00000020" in ctl_ok(c, "read-reg", "syscfg", "EXTICR4")
    assert "= 0xff822000" in ctl_ok(c, "read-reg", "exti", "IMR1")
    assert "= 0x00000000" in ctl_ok(c, "read-reg", "exti", "PR1")
    assert qemu.p.poll() is None


@pytest.mark.parametrize("layout", [
    ("gpioc", "rcc,usart1,syscfg,exti"),
    ("gpioc,syscfg", "rcc,usart1,exti"),
    ("gpioc", "syscfg", "rcc,usart1,exti"),
], ids=lambda layout: "|".join(layout))
def test_button_interrupts_across_backends(stack, layout):
    """The same with the chip cut in two or three backends: the generic
    board connects each OUT group ("gpioc", "syscfg.exti") to the IN
    groups of its name in the other backends.  Pins are driven on the
    control channel of the backend that has GPIOC, the firmware's lines
    read on the one that has USART1."""
    socks, pins, serial, backend = [], None, None, None
    for i, periph in enumerate(layout):
        c = stack.sock(f"ctl{i}")
        uart = "usart1" in periph.split(",")
        b, sock = stack.backend(f"b{i}", periph=periph, extra=("--ctl", c),
                                stdin=uart)
        socks.append(sock)
        if "gpioc" in periph.split(","):
            pins = c
        if uart:
            serial, backend = c, b
    qemu = stack.qemu(socks, firmware="exti.elf")
    press_and_check(pins, serial, backend, stack)
    assert qemu.p.poll() is None


def test_whole_chip_conforms(stack):
    """Every model in one backend: vup-info finds it conformant (35 vfio
    IRQ indexes of QEMU's 50: 33 lines, the doorbell, the mailbox kick unless the
    backend serves by messages only),
    EXTI's twelve NVIC lines, the signal groups connected inside it not
    published as inputs."""
    _, sock = stack.backend(periph=WHOLE_CHIP, stdin=False)
    p = subprocess.run([str(VUP_INFO), sock], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    # The mailbox kick only where the backend offers the fast path.
    kick = 0 if FAST_PATH in ("off", "backend-off") else 1
    assert f"Regions: 20, IRQs: {34 + kick}" in out, out
    for name, line in (("exti0", 6), ("exti4", 10), ("exti9_5", 23),
                       ("exti15_10", 40), ("pvd_pvm", 1), ("tamp_stamp", 2),
                       ("rtc_wkup", 3), ("rtc_alarm", 41), ("comp", 64)):
        assert f"IRQ  {name:<12} index" in out and \
            f"-> NVIC {line}, level" in out, (name, out)
    assert "Signal syscfg.exti out, 16 level lines" in out, out
    for port in "abcdefgh":
        assert f"Signal gpio{port}      out, 16 level lines" in out, out
        assert f"Signal gpio{port}      in" not in out, out
    assert "Signal syscfg.exti in" not in out, out
    assert "Signal pwr.pvm    in, 4 level lines" in out, out


def test_periph_at_another_address(stack):
    """gpioa@0x40020000 (an STM32F4's GPIOA): the window moves, its pins
    and signal group keep their names."""
    backend, sock = stack.backend(periph="gpioa@0x40020000,rcc",
                                  stdin=False)
    assert backend.wait_for(b"gpioa@0x40020000", 5, stream="err"), \
        backend.log()
    out = subprocess.run([str(VUP_INFO), sock], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "MMIO gpioa        region 1 at 0x40020000-0x400203ff" in \
        out.stdout, out.stdout
    assert "Signal gpioa      out, 16 level lines" in out.stdout, out.stdout


@pytest.mark.parametrize("periph,message", [
    ("gpioa@0x40020200", "--periph gpioa@0x40020200: 0x40020200 is not "
     "aligned: the window (0x400 bytes) must start at a multiple of 0x400"),
    ("gpioa@0x4002zz00", "--periph gpioa@0x4002zz00: '0x4002zz00' is not "
     "an address"),
    ("gpioa@", "--periph gpioa@: '' is not an address"),
    ("gpioa@0x100000000", "0x100000000 + 0x400 is beyond the 32-bit "
     "address space"),
    ("usart1,gpioa@0x40013800", "--periph: gpioa at 0x40013800-0x40013bff "
     "overlaps usart1 at 0x40013800-0x40013bff"),
    ("gpioa@0x20000400", "--periph: gpioa at 0x20000400-0x200007ff overlaps "
     "sram1 at 0x20000000-0x20017fff"),
    ("exti@0xe000e000", "overlaps the Cortex-M private peripheral bus"),
    ("gpioq@0x40020000", "--periph: unknown peripheral 'gpioq'"),
])
def test_periph_at_address_refused(stack, periph, message):
    b = stack.run([BUILD / "bin/vup-stm32l4", "--socket", stack.sock("x"),
                   "--periph", periph], "backend")
    assert b.wait_exit(10) == 1, b.log()
    assert message.encode() in b.err, b.log()
