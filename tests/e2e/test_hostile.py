# SPDX-License-Identifier: BSD-3-Clause
"""Hostile and failing backends: QEMU validates what they send, never hangs,
never crashes, and applies its on-failure policy (stop or bus-error, with
optional reconnect-ms) when a backend dies, stalls or breaks the protocol.

Every case checks that QEMU ends (or keeps running) within a bound, that its
exit status is not a signal and that nothing aborted."""

import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from conftest import FAST_PATH, wait_socket

ROGUE = Path(__file__).with_name("rogue_backend.py")
MSG_TIMEOUT_MS = 1000
BOUND = 15  # seconds: far above msg-timeout, far below "hung"


def rogue(stack, mutate, name="rogue"):
    sock = stack.sock(name)
    p = stack.run([sys.executable, ROGUE, "--socket", sock, "--mutate", mutate],
                  f"rogue {mutate}")
    wait_socket(sock, p)
    return p, sock


def no_crash(qemu):
    err = qemu.err.decode(errors="replace")
    code = qemu.p.poll()
    assert code is None or code >= 0, f"QEMU died of signal {-code}\n{qemu.log()}"
    for bad in ("Aborted", "core dumped", "Segmentation fault", "assertion",
                "free(): ", "double free", "corrupted"):
        assert bad not in err, f"{bad!r} in QEMU's stderr\n{err}"
    return err


def expect_exit(qemu, *needles, bound=BOUND):
    t0 = time.monotonic()
    code = qemu.wait_exit(bound)
    assert code is not None, f"QEMU hung instead of failing\n{qemu.log()}"
    err = no_crash(qemu)
    assert code == 1, f"QEMU exited {code}, expected 1\n{qemu.log()}"
    for n in needles:
        assert n in err, f"{n!r} not in QEMU's error:\n{err}"
    return err, time.monotonic() - t0


def failures(qemu):
    """Lines where vfio-user-platform reports a failed backend."""
    return re.findall(rb"vfio-user-platform \S+: .*(?:stopping|bus errors)", qemu.err)


# -- run time: a valid device that misbehaves on the guest's first read -----

RUNTIME = [
    ("reply-truncated", "malformed read reply"),
    ("reply-wrong-id", "unexpected reply"),
    ("reply-wrong-command", "is for command"),
    ("reply-oversized", "larger than"),
    ("reply-with-fd", "unexpected FDs in reply"),
    ("stall", "timed out waiting for reply"),
    ("stall-mid-reply", "timed out waiting for reply"),
    ("die", "read of usart1"),
    ("die-mid-reply", "read of usart1"),
    ("live-absurd-clock", "above 10000000000"),
    # The failure comes in the synchronisation after the access: the report
    # still names the access (it once said only "reading the live part").
    ("die-at-live-read", "read of usart1+0x1c failed: reading the live part"),
]


@pytest.mark.parametrize("mutate,needle", RUNTIME)
def test_runtime_misbehaviour_stops(stack, mutate, needle):
    _, sock = rogue(stack, mutate)
    qemu = stack.qemu([sock], firmware="poll.elf",
                      machine_opts=f"msg-timeout={MSG_TIMEOUT_MS}")
    err, took = expect_exit(qemu, sock, needle, "stopping")
    assert took < MSG_TIMEOUT_MS / 1000 + 5, f"took {took:.1f} s"
    assert len(failures(qemu)) == 1, err


@pytest.mark.parametrize("mutate,needle", RUNTIME)
def test_runtime_misbehaviour_bus_error(stack, mutate, needle):
    _, sock = rogue(stack, mutate)
    qemu = stack.qemu([sock], firmware="poll.elf",
                      machine_opts=f"msg-timeout={MSG_TIMEOUT_MS},on-failure=bus-error")
    assert qemu.wait_for(b"now give bus errors", timeout=BOUND, stream="err"), qemu.log()
    assert qemu.wait_exit(2) is None, f"QEMU exited under bus-error\n{qemu.log()}"
    err = no_crash(qemu)
    assert sock in err and needle in err, err
    assert len(failures(qemu)) == 1, f"reported more than once:\n{err}"


def test_stray_fd_on_reply_is_closed(stack):
    rp, sock = rogue(stack, "reply-with-fd")
    qemu = stack.qemu([sock], firmware="poll.elf",
                      machine_opts="on-failure=bus-error")
    assert rp.wait_for(b"sent fd for ", timeout=BOUND, stream="err"), rp.log()
    name = re.search(rb"sent fd for (\S+)", rp.err).group(1).decode()
    assert qemu.wait_for(b"now give bus errors", timeout=BOUND, stream="err"), qemu.log()
    time.sleep(0.5)
    fd_dir = f"/proc/{qemu.p.pid}/fd"
    held = [os.readlink(os.path.join(fd_dir, f)) for f in os.listdir(fd_dir)]
    assert not any(name in h for h in held), f"QEMU still holds {name}: {held}"
    no_crash(qemu)


def test_error_reply_is_a_bus_error_not_a_failure(stack):
    """An error reply is the device's answer: a bus error, QEMU goes on."""
    _, sock = rogue(stack, "error-reply")
    qemu = stack.qemu([sock], firmware="poll.elf", extra=("-d", "guest_errors"))
    assert qemu.wait_for(b"backend refused the read", timeout=BOUND, stream="err"), \
        qemu.log()
    assert qemu.wait_exit(2) is None, qemu.log()
    assert not failures(qemu), qemu.err.decode(errors="replace")
    no_crash(qemu)


def test_live_clock_change_is_accepted(stack):
    _, sock = rogue(stack, "live-clock-ok")
    qemu = stack.qemu([sock], firmware="poll.elf")
    assert qemu.wait_exit(3) is None, qemu.log()
    no_crash(qemu)


# -- negotiation and description: QEMU refuses the device at start ----------

REFUSED = [
    ("version-garbage", "version negotiation"),
    ("version-truncated", "version negotiation"),
    ("info-not-platform", "not a platform device"),
    ("region-info-truncated", "no control region"),
    ("region-info-cap-loop", "no control region"),
    ("region-info-cap-outside", "no control region"),
    ("region-info-huge-argsz", "argsz 4294967295"),
    ("irq-info-no-eventfd", "eventfd"),
    ("irq-info-truncated", "eventfd"),
    ("cr-read-truncated", "malformed read reply"),
    ("cr-read-stall", "timed out"),
    ("cr-read-die", "reading the control region"),
    ("misaligned-window", "not aligned"),
    ("window-wraps", "beyond 4 GiB"),
    ("window-above-4g", "beyond 4 GiB"),
    ("bad-access-size", "max_access 3"),
    ("overlapping-windows", "overlaps"),
    ("duplicate-window-names", "name also used"),
    ("duplicate-irq-names", "name also used"),
    ("same-nvic-line", "NVIC line 37"),
    ("irq-beyond-num-irq", "num-irq"),
    ("irq-beyond-nvic", "line 4294967295 is above the NVIC's 496 inputs"),
    ("absurd-clock", "above 10000000000"),
    ("live-outside-region", "live part"),
    ("desc-size-huge", "desc_size"),
    ("header-size-odd", "header_size"),
    # Entry-level refusals name the entry, its offset and the cause.
    ("direct-not-direct-mapped",
     ("control region entry 2 (direct) at offset 0x",
      'mmio "usart1" (region 1) is not DIRECT_MAPPED (entry 0)')),
    ("direct-no-window", ("control region entry 2 (direct) at offset 0x",
                          "region_index 2 is no MMIO window's")),
    ("direct-outside-window", ("control region entry 2 (direct) at offset 0x",
                               "offset 0x3f0 + size 0x20 is outside mmio "
                               '"usart1" (0x400 bytes)')),
    ("direct-overlap", ("control region entry 3 (direct) at offset 0x",
                        "0x10+0x10 overlaps entry 2 (0x0+0x20) of mmio "
                        '"usart1"')),
    ("direct-bad-flags", ("control region entry 2 (direct) at offset 0x",
                          "unknown flags 0x1")),
    ("direct-misaligned", ("control region entry 2 (direct) at offset 0x",
                           "offset 0x2 or size 0x4 is not a multiple of "
                           "min_access 4")),
    ("direct-empty", ("control region entry 2 (direct) at offset 0x",
                      "size 0x0 is empty")),
    ("direct-wraps", ("control region entry 2 (direct) at offset 0x",
                      "offset 0xfffffffffffffff0 + size 0x20 wraps around")),
    ("direct-too-many", ("control region entry 66 (direct) at offset 0x",
                         "more than 64 direct entries")),
]


@pytest.mark.parametrize("mutate,needle", REFUSED)
def test_bad_backend_refused_at_start(stack, mutate, needle):
    _, sock = rogue(stack, mutate)
    qemu = stack.qemu([sock], firmware=None,
                      machine_opts=f"msg-timeout={MSG_TIMEOUT_MS}", extra=("-S",))
    expect_exit(qemu, sock, *(needle if isinstance(needle, tuple) else (needle,)))


def test_newer_minor_version_is_accepted(stack):
    _, sock = rogue(stack, "newer-minor")
    qemu = stack.qemu([sock], firmware=None, extra=("-S",))
    assert qemu.wait_exit(3) is None, qemu.log()


def test_direct_entry_before_its_window_is_accepted(stack):
    _, sock = rogue(stack, "direct-before-window")
    qemu = stack.qemu([sock], firmware=None, extra=("-S",))
    assert qemu.wait_exit(3) is None, qemu.log()


# -- register mirrors (DIRECT_MAPPED): a bad one is ignored, not fatal -------

def mirror_run(stack, mutate):
    """poll.elf against a rogue whose USART1 window is DIRECT_MAPPED, one
    DIRECT range over all of it: its putc polls ISR.  Returns QEMU's
    stderr and the trace of mirrors and reads."""
    _, sock = rogue(stack, mutate)
    trace = stack.tmp / f"{mutate}.trace"
    qemu = stack.qemu([sock], firmware="poll.elf",
                      machine_opts=f"msg-timeout={MSG_TIMEOUT_MS},fast-path=auto",
                      extra=("-trace", "vfio_user_platform_mirror",
                             "-trace", "vfio_user_platform_read*",
                             "-D", str(trace)))
    assert qemu.wait_exit(2) is None, f"QEMU exited\n{qemu.log()}"
    qemu.stop()
    err = no_crash(qemu)
    assert not failures(qemu), err
    return err, trace.read_text()


BAD_MIRRORS = [
    ("mirror-no-mmap", "no sparse-mmap area"),
    ("mirror-small-area", "the area is not the page-aligned window at offset 0"),
    ("mirror-area-offset", "the area is not the page-aligned window at offset 0"),
    ("mirror-no-fd", "no fd for the region"),
    ("mirror-short-fd", "the fd is not a file that holds the mirror"),
    ("mirror-unaligned-offset", "the mirror's offset in the fd is not page aligned"),
]


@pytest.mark.skipif(FAST_PATH != "auto",
                    reason="sets fast-path itself (default suite run only)")
@pytest.mark.parametrize("mutate,why", BAD_MIRRORS)
def test_bad_mirror_is_ignored_and_reads_forwarded(stack, mutate, why):
    """A DIRECT_MAPPED window whose mirror cannot be mapped safely: QEMU says
    why in a trace and keeps forwarding the window's reads (which give the
    window's real value, 0, not the mirror's)."""
    _, trace = mirror_run(stack, mutate)
    assert f"window usart1: {why}" in trace, trace
    assert "read_direct" not in trace, trace
    polls = re.findall(r"^vfio_user_platform_read\s+usart1\+0x1c -> 0x0 ",
                       trace, re.M)
    assert len(polls) > 10, trace


@pytest.mark.skipif(FAST_PATH != "auto",
                    reason="sets fast-path itself (default suite run only)")
def test_mirror_reads_come_from_the_mapped_fd(stack):
    """A correct mirror (at a page offset in the fd, after a page of other
    data): reads inside the DIRECT range come from it, none is forwarded."""
    _, trace = mirror_run(stack, "mirror-ok")
    assert "window usart1: mirror mapped" in trace, trace
    isr = re.findall(r"^vfio_user_platform_read_direct\s+usart1\+0x1c -> (\S+) ",
                     trace, re.M)
    assert isr and set(isr) == {"0xd10000c0"}, isr
    assert not re.search(r"^vfio_user_platform_read\s+usart1", trace, re.M), trace


@pytest.mark.parametrize("opts,needle", [
    ("on-failure=sometimes", "on-failure"),
    ("reconnect-ms=100", "reconnect-ms needs on-failure=bus-error"),
])
def test_policy_properties_are_checked(stack, opts, needle):
    _, sock = rogue(stack, "none")
    qemu = stack.qemu([sock], firmware=None, machine_opts=opts, extra=("-S",))
    expect_exit(qemu, needle)


# -- real backends: RCC in one process (the victim), USART1 in another ------

def poll_two_backends(stack, machine_opts, alive=b"poll: alive 2048",
                      **qemu_kw):
    """poll.elf with the RCC in one backend (the victim) and USART1 in
    another: (rcc, its socket, usart, QEMU) once the guest is polling."""
    rcc, rsock = stack.backend("rcc", periph="rcc", stdin=False)
    usart, usock = stack.backend("usart", periph="usart1", stdin=False)
    qemu = stack.qemu([rsock, usock], firmware="poll.elf",
                      machine_opts=machine_opts, **qemu_kw)
    assert usart.wait_for(alive, timeout=20), usart.log()
    return rcc, rsock, usart, qemu


# What QEMU was doing when it noticed: the guest's access, or nothing (the
# main loop saw the socket close first).
DOING = ("read of rcc+0x0 failed", "the backend closed the connection")


def kill(proc, sig=signal.SIGKILL):
    proc.p.send_signal(sig)
    if sig == signal.SIGKILL:
        proc.p.wait(5)


# A stopped (SIGSTOP) backend is noticed at the next access QEMU forwards
# to it.  poll.elf only reads RCC_CR, which the RCC's register mirror
# serves without a message under fast-path=auto|direct: QEMU cannot tell
# a stopped backend from an idle one then.  The stall cases forward reads.
FORWARD_READS = {"auto": ",fast-path=mailbox",
                 "direct": ",fast-path=live"}.get(FAST_PATH, "")


def stall_opts(how):
    return FORWARD_READS if how == "stall" else ""


def fail(rcc, how):
    """The RCC's backend dies (kill) or stops (stall); when it did."""
    t0 = time.monotonic()
    kill(rcc, signal.SIGKILL if how == "kill" else signal.SIGSTOP)
    return t0


@pytest.mark.parametrize("how", ["kill", "stall"])
def test_backend_failure_stops_qemu(stack, how):
    """on-failure=stop (default): exit 1 within msg-timeout, naming the
    backend and the access."""
    rcc, rsock, usart, qemu = poll_two_backends(
        stack, f"msg-timeout={MSG_TIMEOUT_MS}" + stall_opts(how))
    t0 = fail(rcc, how)
    err, _ = expect_exit(qemu, rsock, "stopping")
    took = time.monotonic() - t0
    assert took < MSG_TIMEOUT_MS / 1000 + 3, f"report after {took:.1f} s"
    assert any(d in err for d in DOING), err
    if how == "stall":
        assert "read of rcc+0x0 failed" in err and "timed out" in err, err
        rcc.p.send_signal(signal.SIGCONT)


@pytest.mark.parametrize("how", ["kill", "stall"])
def test_backend_failure_bus_error_policy(stack, how):
    """on-failure=bus-error: one report within msg-timeout, the guest takes
    a BusFault (its handler prints FAULT through the other backend's USART)
    and the VM keeps running."""
    rcc, rsock, usart, qemu = poll_two_backends(
        stack, f"msg-timeout={MSG_TIMEOUT_MS},on-failure=bus-error"
        + stall_opts(how))
    t0 = fail(rcc, how)
    assert qemu.wait_for(b"now give bus errors", timeout=BOUND, stream="err"), qemu.log()
    took = time.monotonic() - t0
    assert took < MSG_TIMEOUT_MS / 1000 + 3, f"report after {took:.1f} s"
    assert usart.wait_for(b"FAULT bus error reading 0x40021000", timeout=10), usart.log()
    assert qemu.wait_exit(2) is None, f"QEMU stopped under bus-error\n{qemu.log()}"
    err = no_crash(qemu)
    assert rsock in err and any(d in err for d in DOING), err
    assert len(failures(qemu)) == 1, f"reported more than once:\n{err}"
    if how == "stall":
        assert "read of rcc+0x0 failed" in err and "timed out" in err, err
        rcc.p.send_signal(signal.SIGCONT)


def test_backend_restart_reconnects(stack):
    """bus-error + reconnect-ms: the backend is killed, restarted on the same
    socket; QEMU reconnects, resets the device, and firmware goes on."""
    trace = stack.tmp / "reconnect.trace"
    rcc, rsock, usart, qemu = poll_two_backends(
        stack, "on-failure=bus-error,reconnect-ms=100",
        extra=("-trace", "vfio_user_platform_mirror", "-D", str(trace)))
    kill(rcc)
    assert usart.wait_for(b"FAULT bus error", timeout=10), usart.log()
    assert b"reconnected" not in qemu.err
    mark = len(usart.out)
    stack.backend("rcc", periph="rcc", stdin=False)
    assert qemu.wait_for(b"reconnected; the device was reset", timeout=10,
                         stream="err"), qemu.log()
    assert usart.wait_for(b"poll: back after", timeout=10), usart.log()
    back = usart.out.index(b"poll: back after", mark)
    end = time.monotonic() + 10
    while b"poll: alive" not in usart.out[back:] and time.monotonic() < end:
        usart.wait_for(b"\0", timeout=0.2)
    assert b"poll: alive" in usart.out[back:], usart.log()
    no_crash(qemu)
    # The RCC's register mirror: the new backend's, mapped again.
    mapped = trace.read_text().count(f"({rsock}) window rcc: mirror mapped")
    assert mapped == (2 if FAST_PATH in ("auto", "direct") else 0), \
        trace.read_text()


def test_reconnect_refuses_a_different_device(stack):
    """A backend that comes back with another description is refused (once),
    and QEMU keeps trying until the right one is back."""
    rcc, rsock, usart, qemu = poll_two_backends(
        stack, "on-failure=bus-error,reconnect-ms=100",
        alive=b"poll: alive 1024")
    kill(rcc)
    assert usart.wait_for(b"FAULT bus error", timeout=10), usart.log()
    other, _ = stack.backend("rcc", periph="rcc,usart2", stdin=False)
    assert qemu.wait_for(b"is back but refused", timeout=10, stream="err"), qemu.log()
    time.sleep(0.5)
    assert qemu.err.count(b"is back but refused") == 1, qemu.log()
    other.stop()
    stack.backend("rcc", periph="rcc", stdin=False)
    assert qemu.wait_for(b"reconnected", timeout=10, stream="err"), qemu.log()
    assert usart.wait_for(b"poll: back after", timeout=10), usart.log()
    no_crash(qemu)
