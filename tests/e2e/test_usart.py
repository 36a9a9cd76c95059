# SPDX-License-Identifier: BSD-3-Clause
"""Firmware on the generic board prints and echoes through an external USART."""

import re

from conftest import BACKEND, GREETING, VUP_INFO


def test_greeting_arrives_through_external_usart(stack):
    backend, sock = stack.backend()
    qemu = stack.qemu([sock])
    assert backend.wait_for(GREETING + b"\r\nready\r\n", timeout=20), \
        "greeting not received from the backend's USART1"
    assert qemu.p.poll() is None, "QEMU exited while the firmware should idle"


def test_output_not_held_back_without_polling(stack):
    """The backend coalesces output while the mailbox is busy; nothing may
    stay buffered once it sleeps, even when it does not poll at all (the
    same as a poll cut short by a loaded host)."""
    backend, sock = stack.backend(extra=("--spin-us", "0"))
    stack.qemu([sock])
    assert backend.wait_for(GREETING + b"\r\nready\r\n", timeout=20), \
        backend.out[-200:]
    for ch in b"abc":
        backend.write(bytes([ch]))
        assert backend.wait_for(b"ready\r\n" + b"abc"[:b"abc".index(ch) + 1],
                                timeout=20), backend.out[-200:]


def test_fixed_polling_on_both_sides(stack):
    """spin-adaptive off (QEMU) and --spin-adaptive off (backend): the
    firmware greets and echoes as with the default adaptive polling."""
    backend, sock = stack.backend(extra=("--spin-adaptive", "off"))
    stack.qemu([sock], machine_opts="spin-adaptive=off")
    assert backend.wait_for(GREETING + b"\r\nready\r\n", timeout=20), \
        backend.out[-200:]
    backend.write(b"fix")
    assert backend.wait_for(b"ready\r\nfix", timeout=10), backend.out[-200:]


def test_spin_adaptive_refuses_other_values(stack):
    b = stack.run([BACKEND, "--socket", stack.sock("bad"),
                   "--spin-adaptive", "maybe"], "backend")
    assert b.wait_exit(10) == 1, b.log()
    assert b"--spin-adaptive 'maybe': not on or off" in b.err, b.log()
    backend, sock = stack.backend()
    q = stack.qemu([sock], machine_opts="spin-adaptive=maybe")
    assert q.wait_exit(20) == 1, q.log()
    assert b"spin-adaptive" in q.err, q.log()


def test_rx_byte_raises_usart_irq_and_firmware_echoes(stack):
    backend, sock = stack.backend()
    stack.qemu([sock])
    assert backend.wait_for(b"ready\r\n", timeout=20)
    before = len(backend.out)
    backend.write(b"vfio")
    assert backend.wait_for(b"ready\r\nvfio", timeout=10), \
        f"echo missing; USART output after ready: {backend.out[before:]!r}"


def test_qemu_restart_against_running_backend(stack):
    """A backend outlives its client: a second QEMU gets a reset device."""
    backend, sock = stack.backend()
    first = stack.qemu([sock])
    assert backend.wait_for(b"ready\r\n", timeout=20)
    first.stop()
    mark = len(backend.out)
    stack.qemu([sock])
    assert backend.wait_for(b"ready\r\n" + GREETING, timeout=20) or \
        GREETING in backend.out[mark:], "second QEMU run printed no greeting"


def test_vup_info_lists_windows_and_irqs(stack):
    backend, sock = stack.backend()
    info = stack.run([VUP_INFO, sock], "vup-info")
    assert info.wait_exit(10) == 0, info.log()
    out = info.out.decode()
    assert re.search(r"usart1", out) and re.search(r"0x40013800", out), out
    assert re.search(r"rcc", out) and re.search(r"0x40021000", out), out
    assert re.search(r"\b37\b", out), "USART1's NVIC line 37 not shown:\n" + out
