# SPDX-License-Identifier: BSD-3-Clause
"""The control channel (docs/control-channel.md) end to end: vup-stm32l4
--ctl, the real patched QEMU, real firmware, driven by vup-ctl and by raw
sockets.  button.elf mirrors PC13 (the user button, pulled up) onto PA5
(the LED) and prints "button: N" on each change; hello.elf and button.elf
echo USART1 input."""

import json
import socket
import subprocess
import time

import pytest

from conftest import BUILD, GREETING

VUP_CTL = BUILD / "bin/vup-ctl"
PERIPHS = "rcc,usart1,gpioa,gpioc"


def run_ctl(*argv, timeout=60):
    """vup-ctl ARGV...: (exit status, stdout, stderr)."""
    p = subprocess.run([str(VUP_CTL), *argv], capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def ctl(sock, *args, **kw):
    """vup-ctl SOCK ARGS..."""
    return run_ctl(sock, *args, **kw)


def ctl_ok(sock, *args):
    rc, out, err = ctl(sock, *args)
    assert rc == 0, f"vup-ctl {' '.join(args)}: {rc}\n{out}{err}"
    return out


def start(stack, firmware="button.elf", extra_qemu=(), periph=PERIPHS):
    """Backend with the control channel, and QEMU running @firmware."""
    ctl_sock = stack.sock("ctl")
    backend, sock = stack.backend(periph=periph, extra=("--ctl", ctl_sock))
    qemu = stack.qemu([sock], firmware=firmware, extra=extra_qemu)
    return backend, qemu, ctl_sock


class Raw:
    """A control client on a plain socket: lines out, reply lines in."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)        # blocking: waits for backlog room
        self.s.settimeout(10)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def reply(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError(f"closed; buffered {self.buf[:200]!r}")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def req(self, obj_or_line):
        line = obj_or_line if isinstance(obj_or_line, bytes) else \
            json.dumps(obj_or_line).encode()
        self.send(line + b"\n")
        return self.reply()

    def closed(self):
        """True once the server closed the connection (after any reply)."""
        try:
            return self.s.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self):
        self.s.close()


def test_button_reported_and_mirrored(stack):
    """The brief's demonstration: vup-ctl sets a pin the firmware reports
    and waits for the pattern it prints; the LED follows."""
    backend, qemu, c = start(stack)
    ctl_ok(c, "wait-serial", "-t", "5s", "usart1", "ready")
    # At rest the pull-up gives 1, and the LED mirrors it.
    assert "gpioa.5 = 1 (output push-pull)" in ctl_ok(c, "get-pin", "gpioa.5")
    assert "gpioc.13 = 1 (input pull-up)" in ctl_ok(c, "get-pin", "gpioc.13")
    out = ctl_ok(c, "set-pin", "gpioc.13", "0")
    assert "gpioc.13 = 0 (input pull-up, driven to 0 from outside)" in out
    ctl_ok(c, "wait-serial", "-t", "2s", "usart1", "button: 0")
    assert "gpioa.5 = 0" in ctl_ok(c, "get-pin", "gpioa.5")
    # Let go: the pull-up again; wait-pin sees the LED come back.
    ctl_ok(c, "set-pin", "gpioc.13", "z")
    ctl_ok(c, "wait-serial", "-t", "2s", "usart1", "button: 1")
    ctl_ok(c, "wait-pin", "-t", "1s", "gpioa.5", "1")
    # The same through the serial stream of the backend.
    assert backend.wait_for(b"ready\r\nbutton: 0\r\nbutton: 1\r\n", 5), \
        backend.out
    assert qemu.p.poll() is None


@pytest.mark.parametrize("firmware", ["button.elf", "hello.elf"])
def test_inject_is_echoed(stack, firmware):
    backend, qemu, c = start(stack, firmware=firmware)
    ctl_ok(c, "wait-serial", "-t", "5s", "usart1", "ready\r\n")
    assert "usart1: 5 bytes injected" in ctl_ok(c, "inject", "usart1",
                                                 "ping!")
    ctl_ok(c, "wait-serial", "-t", "2s", "usart1", "ping!")
    # Any byte, by escape or hex.
    ctl_ok(c, "inject", "-e", "usart1", "\\xe9\\r")
    ctl_ok(c, "wait-serial", "-t", "2s", "-x", "usart1", "e90d")
    ctl_ok(c, "inject", "-x", "usart1", "4f4b")
    ctl_ok(c, "wait-serial", "-t", "2s", "usart1", "OK")
    assert backend.wait_for(b"ping!\xe9\rOK", 5), backend.out[-100:]
    out = subprocess.run([str(VUP_CTL), c, "read-serial", "usart1"],
                         capture_output=True, timeout=30).stdout
    assert out.endswith(b"ping!\xe9\rOK"), out
    if firmware == "hello.elf":
        assert out.startswith(GREETING), out


def test_wait_times_out_in_virtual_time(stack):
    """A wait that cannot be met: status 1 and a message naming the
    virtual time; the LED is 1 at rest, so waiting for 0 times out."""
    backend, qemu, c = start(stack)
    ctl_ok(c, "wait-serial", "-t", "5s", "usart1", "ready")
    t0 = time.monotonic()
    rc, out, err = ctl(c, "wait-pin", "-t", "300ms", "gpioa.5", "0")
    took = time.monotonic() - t0
    assert rc == 1, (rc, out, err)
    assert "gpioa.5 is still 1: not 0 within 300000000 ns of virtual " \
           "time" in err, err
    # Guest time runs about as fast as wall time without -icount.
    assert 0.2 < took < 20, took
    rc, out, err = ctl(c, "wait-serial", "-t", "100ms", "usart1", "never")
    assert rc == 1 and "usart1: pattern not seen within 100000000 ns" \
        in err, (rc, err)
    # Timeouts are refused when they are not times.
    rc, out, err = ctl(c, "wait-pin", "-t", "5", "gpioa.5", "0")
    assert rc == 2 and "want a number and a unit" in err, (rc, err)


def test_wait_under_icount(stack):
    """Under -icount with sleep=off an idle guest's time jumps to the next
    deadline: 5 s of guest time pass in much less of the host's, and the
    timeout is the guest's."""
    backend, qemu, c = start(stack, extra_qemu=(
        "-icount", "shift=4,align=off,sleep=off"))
    ctl_ok(c, "wait-serial", "-t", "5s", "usart1", "ready")
    t0 = time.monotonic()
    rc, out, err = ctl("--json", c, "wait-pin", "-t", "5s", "gpioa.5", "0")
    took = time.monotonic() - t0
    assert rc == 1, (rc, out, err)
    reply = json.loads(out)
    assert reply["code"] == "timeout"
    assert reply["vtime_ns"] - reply["start_ns"] == 5_000_000_000, reply
    assert took < 4.5, f"5 s of idle guest time took {took:.1f} s"


def test_wall_timeout_when_guest_is_stopped(stack):
    """QEMU started with -S: no guest time passes, so only the wall-clock
    safety net ends the wait."""
    backend, qemu, c = start(stack, extra_qemu=("-S",))
    t0 = time.monotonic()
    rc, out, err = ctl(c, "-w", "1", "wait-serial", "-t", "100ms", "usart1",
                       "ready")
    assert rc == 1, (rc, out, err)
    assert "no reply within the wall-clock timeout" in err, err
    assert time.monotonic() - t0 < 10
    assert qemu.p.poll() is None


def test_wait_ends_when_qemu_goes(stack):
    """A timeout counted in a QEMU's virtual time ends when that QEMU goes."""
    backend, qemu, c = start(stack)
    ctl_ok(c, "wait-serial", "-t", "5s", "usart1", "ready")
    w = subprocess.Popen([str(VUP_CTL), c, "wait-serial", "-t", "100s",
                          "usart1", "never"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    qemu.stop()
    out, err = w.communicate(timeout=30)
    assert w.returncode == 1, (out, err)
    assert "QEMU disconnected while waiting" in err, err


def test_list_read_reg_values(stack):
    backend, qemu, c = start(stack)
    ctl_ok(c, "wait-serial", "-t", "5s", "usart1", "ready")
    out = ctl_ok(c, "list", "gpioa")
    assert "gpioa at 0x48000000 (0x400 bytes)" in out, out
    assert "  pin gpioa.13 = 1 (alternate function pull-up)\n" in out, out
    out = ctl_ok(c, "list")
    for name in PERIPHS.split(","):
        assert f"\n{name} at 0x" in "\n" + out, out
    assert "serial line usart1" in out
    assert "value rcc.hse_hz = 48000000 Hz (4000000..48000000, whole)" in out
    # PA5 is an output (01) now; the firmware wrote it.
    out = ctl_ok(c, "read-reg", "gpioa", "MODER")
    assert out.strip() == "gpioa.MODER (+0x000) = 0xabfff7ff", out
    assert ctl_ok(c, "read-reg", "gpioc", "0x10").startswith("gpioc.IDR")
    assert "rcc.hse_hz = 8000000 Hz" in ctl_ok(c, "set-value", "rcc.hse_hz",
                                               "8000000")
    rc, out, err = ctl(c, "set-value", "rcc.hse_hz", "1000")
    assert rc == 1 and "1000 is outside 4000000..48000000 Hz" in err, err
    out = ctl_ok(c, "hello")
    assert "stm32l4: protocol vup-ctl 1.1" in out and "QEMU connected" in out


def test_vup_ctl_usage_and_errors(stack):
    backend, qemu, c = start(stack)
    for args, text in ((["--help"], "Exit status: 0 done"),
                       (["wait-serial", "--help"], "PATTERN"),
                       (["help", "list"], "[PERIPHERAL]"),
                       (["set-pin", "--help"], "PIN 0|1|z"),
                       ([c, "wait-pin", "--help"], "-t, --timeout TIME")):
        rc, out, err = run_ctl(*args)
        assert rc == 0 and text in out, (args, rc, out, err)
    for args, msg in ((["frobnicate"], "unknown command 'frobnicate'"),
                      (["set-pin", "gpioc.13", "high"], "want 0 or 1 or z"),
                      (["get-pin"], "1 argument expected, 0 given"),
                      (["inject", "-e", "usart1", "\\q"], "a bad escape")):
        rc, out, err = ctl(c, *args)
        assert rc == 2 and msg in err, (args, rc, err)
    # The firmware drives PA5 to 1 once it runs: wait for that first.
    ctl_ok(c, "wait-serial", "-t", "5s", "usart1", "ready")
    for args, msg in ((["get-pin", "gpioz.1"], 'no pin "gpioz.1"'),
                      (["read-reg", "gpioa", "NOPE"], 'no register "NOPE"'),
                      (["inject", "usart9", "x"], 'no serial line "usart9"'),
                      (["wait-pin", "-t", "0s", "gpioa.5", "0"],
                       "not 0 within 0 ns")):
        rc, out, err = ctl(c, *args)
        assert rc == 1 and msg in err, (args, rc, out, err)
    rc, out, err = ctl(c, "raw", '{"cmd":"reboot","id":5}')
    assert rc == 1 and json.loads(out)["code"] == "unknown-command", out
    assert json.loads(out)["id"] == 5
    rc, out, err = ctl(stack.sock("nothing"), "hello")
    assert rc == 1 and "cannot connect" in err, err


def test_hostile_lines_and_the_firmware_goes_on(stack):
    """Garbage, oversized and unknown lines get error replies naming what
    was wrong; floods, 17 clients and a client that never reads stall
    nobody; the backend keeps serving QEMU throughout."""
    backend, qemu, c = start(stack)
    ctl_ok(c, "wait-serial", "-t", "5s", "usart1", "ready")
    r = Raw(c)
    for line, code, text in (
            (b"\x00\xff garbage", "parse", "not JSON"),
            (b"{\"cmd\":\"hello\"", "parse", "ends inside a value"),
            (b"[]", "bad-request", "a request is a JSON object"),
            (b"{\"cmd\":\"format-disk\"}", "unknown-command", "format-disk"),
            (b"{\"cmd\":\"set-pin\",\"pin\":\"gpioc.13\"}", "bad-argument",
             "missing 'level'"),
            (b"{\"cmd\":\"set-pin\",\"pin\":\"gpioc.13\",\"level\":\"on\"}",
             "bad-argument", "'level' must be 0 or 1"),
            (b"{\"cmd\":\"get-pin\",\"pin\":\"gpioq.99\"}", "not-found",
             "gpioq.99")):
        rep = r.req(line)
        assert not rep["ok"] and rep["code"] == code and text in \
            rep["error"], (line, rep)
    # 17 clients: the last is told and closed.  (The vup-ctl runs above
    # are gone by now: their hang-ups came before these connections.)
    time.sleep(0.2)
    others = [Raw(c) for _ in range(15)]
    for o in others:
        assert o.req({"cmd": "hello"})["ok"]
    extra = Raw(c)
    rep = extra.reply()
    assert rep["code"] == "busy" and "at most 16" in rep["error"], rep
    assert extra.closed()
    for o in others:
        o.close()
    time.sleep(0.2)
    # A client that floods and never reads.
    flood = Raw(c)
    flood.s.setblocking(False)
    sent = 0
    try:
        while sent < 50 << 20:
            sent += flood.s.send(b'{"cmd":"list"}\n' * 256)
    except BlockingIOError:
        pass
    # Oversized: the limit named, the connection closed.
    big = Raw(c)
    big.send(b"{" + b" " * 70000 + b"}\n")
    rep = big.reply()
    assert rep["code"] == "too-long" and "65536" in rep["error"], rep
    assert big.closed()
    # Meanwhile the firmware is served: the button and the echo work.
    ctl_ok(c, "set-pin", "gpioc.13", "0")
    ctl_ok(c, "wait-serial", "-t", "2s", "usart1", "button: 0")
    assert r.req({"cmd": "inject", "line": "usart1", "data": "still"})["ok"]
    ctl_ok(c, "wait-serial", "-t", "2s", "usart1", "still")
    flood.close()
    r.close()
    assert qemu.p.poll() is None and backend.p.poll() is None
    # And the backend still answers on both sockets afterwards.
    assert "QEMU connected" in ctl_ok(c, "hello")


def test_ctl_needs_a_socket_path(stack):
    b = stack.run([BUILD / "bin/vup-stm32l4", "--socket", stack.sock("x"),
                   "--ctl", "/nonexistent-dir/ctl.sock"], "backend")
    assert b.wait_exit(10) == 1, b.log()
    assert b"--ctl /nonexistent-dir/ctl.sock:" in b.err, b.log()
