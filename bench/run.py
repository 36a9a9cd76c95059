#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmarks of the external MMIO path against in-process QEMU devices and
upstream vfio-user (QEMU's vfio-user-pci + libvfio-user), all in one run.

Every scenario starts real processes (QEMU, backends, servers) and times
what the guest prints from the host: firmware prints `B <op> <n>` and `E`
around n accesses, so per-access costs are slopes over n (fixed costs of the
markers cancel).  Results go to a JSON file; with --doc they are written to
docs/performance.md, with --plot to docs/performance.png (bench/plot.py).

External modes run vfio-user-mcu + vup-stm32l4 with the QEMU options
(-global vfio-user-platform.PROP=VALUE), backend options and CPU pin
listed below; each scenario runs a subset of them (--modes narrows it).
A mode whose QEMU exits before the firmware runs (e.g. a fast-path value
this QEMU build does not know) is left out with a warning, and the report
says so.

`make bench` runs this with the defaults (about 7 minutes on 2 cores; the
report lists each benchmark's time).  A smoke run of about 20 s:
--only mmio --runs 1 --modes std
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("BUILD", ROOT / "build")).resolve()
QEMU = Path(os.environ.get("QEMU", BUILD / "qemu/build/qemu-system-arm")).resolve()
BACKEND = BUILD / "bin/vup-stm32l4"
FW = BUILD / "firmware"
BB = BUILD / "bench"
GPIO = BB / "libvfio-user/samples/gpio-pci-idio-16"
MSG = BB / "msg_throughput"
VIRT_ELF = BB / "bench_virt_pio.elf"
GREETING = b"Hello from STM32L4 firmware over vfio-user!"
REPS = 3            # runs per n inside the firmware
TICK_NS = 250.0     # bench_irq's SysTick: 4 MHz processor clock (MSI reset)

MARK_B = re.compile(rb"^B (\w+) (\d+)$")


def qprop(prop, value):
    """A QEMU option that sets a property of every vfio-user-platform."""
    return ["-global", f"vfio-user-platform.{prop}={value}"]


LIVE = qprop("fast-path", "live")
POSTED = ["--posted-writes"]

# The external modes: key -> (label, backend options, QEMU options, CPU to
# pin QEMU and the backend to, or None), and what each one shows.
MODES = {
    "msg": ("messages only", [], qprop("fast-path", "off"), None),
    "std": ("standard", [], LIVE, None),
    "std_post": ("standard + posted writes", POSTED, LIVE, None),
    "std_1cpu": ("standard, pinned to one CPU", [], LIVE, 0),
    "std_fixed": ("standard, fixed polling", ["--spin-adaptive", "off"],
                  LIVE + qprop("spin-adaptive", "off"), None),
    "std_nospin": ("standard, no polling", ["--spin-us", "0"],
                   LIVE + qprop("spin-us", 0), None),
    "direct": ("direct-mapped reads", [], qprop("fast-path", "direct"), None),
    "mbox": ("mailbox", [], qprop("fast-path", "mailbox"), None),
    "mbox_post": ("mailbox + posted writes", POSTED, qprop("fast-path", "mailbox"), None),
    "auto": ("fast path, all", [], qprop("fast-path", "auto"), None),
    "auto_post": ("fast path, all + posted writes", POSTED,
                  qprop("fast-path", "auto"), None),
}
MODE_NOTES = {
    "msg": "no shared memory: each access is a message, then a REGION_READ "
           "of the live part (2 round trips); the path for backends without mmap",
    "std": "QEMU maps the backend's live part: 1 round trip per access; both "
           "sides poll for the reply before sleeping, for up to spin-us "
           "(default 50) and less while polling does not pay (spin-adaptive)",
    "std_fixed": "as std, both sides poll the whole spin-us every time "
                 "(spin-adaptive off): the polling before it adapted",
    "std_post": "as std, writes posted (no reply)",
    "std_1cpu": "as std, QEMU and the backend both on CPU 0 (taskset -c 0)",
    "std_nospin": "as std, both sides sleep at once (spin-us 0): what the "
                  "wake-ups cost",
    "direct": "live part + reads of registers without a read hook (RCC_CR) "
              "from a read-only mirror, no message; other accesses by messages",
    "mbox": "live part + accesses through the shared-memory mailbox, no direct "
            "reads",
    "mbox_post": "as mbox, writes posted",
    "auto": "QEMU's default: live part, direct reads and the mailbox",
    "auto_post": "as auto, writes posted",
}
# The external modes each scenario runs (before --modes narrows them).
SCENARIO_MODES = {
    "mmio": tuple(MODES),
    "tx": ("std", "std_post", "mbox_post", "auto_post"),
    "irq": ("std", "std_post", "auto", "auto_post"),
    "boot": ("msg", "std", "auto"),
    "idle": ("msg", "std", "auto"),
    "profile": ("std", "auto"),
    "stacks": ("std", "std_fixed", "std_nospin"),
}
STACKS = (1, 16)    # concurrent stacks of the "stacks" scenario


class ModeFailed(RuntimeError):
    """QEMU or the backend exited before the firmware got far enough: the
    mode is not available in this build (or broke); its row is left out."""


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class Stream:
    """Reads a pipe in a thread; timestamps chunks (host monotonic clock)
    and parses the firmware's markers and lines as they arrive."""

    def __init__(self, fd):
        self.fd = fd
        self.cond = threading.Condition()
        self.events = []        # dicts: op, n, t0, t1, nbytes
        self.lines = []         # (t, bytes) outside B/E blocks
        self.total = 0          # bytes received
        self.last_t = None
        self.eof = False
        self._pending = b""
        self._block = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except OSError:
                data = b""
            t = time.perf_counter()
            with self.cond:
                if not data:
                    self.eof = True
                    self.cond.notify_all()
                    return
                self.total += len(data)
                self.last_t = t
                self._parse(data, t)
                self.cond.notify_all()

    def _parse(self, data, t):
        p = self._pending + data
        while True:
            if self._block is None:
                i = p.find(b"\n")
                if i < 0:
                    break
                line, p = p[:i].rstrip(b"\r"), p[i + 1:]
                m = MARK_B.match(line)
                if m:
                    self._block = {"op": m.group(1).decode(),
                                   "n": int(m.group(2)), "t0": t, "nbytes": 0}
                else:
                    self.lines.append((t, line))
            else:
                i = p.find(b"E\r\n")
                if i < 0:
                    keep = min(2, len(p))
                    self._block["nbytes"] += len(p) - keep
                    p = p[len(p) - keep:]
                    break
                self._block["nbytes"] += i
                self._block["t1"] = t
                self.events.append(self._block)
                self._block = None
                p = p[i + 3:]
        self._pending = p

    def wait(self, pred, timeout):
        end = time.monotonic() + timeout
        with self.cond:
            while not pred(self):
                left = end - time.monotonic()
                if left <= 0 or self.eof:
                    return pred(self)
                self.cond.wait(min(left, 0.5))
            return True

    def has_line(self, needle):
        return any(needle in line for _, line in self.lines)

    def line_time(self, needle):
        for t, line in self.lines:
            if needle in line:
                return t
        return None


class Procs:
    """Processes of one scenario; all stopped (by pid) on exit."""

    def __init__(self):
        self.procs = []
        self.tmp = tempfile.TemporaryDirectory(prefix="vup-bench-")

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def start(self, argv, stdin=False, stdout=True, pin=None):
        argv = [str(a) for a in argv]
        if pin is not None:
            argv = ["taskset", "-c", str(pin)] + argv
        err = self.path(f"stderr.{len(self.procs)}")
        p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                             stdout=subprocess.PIPE if stdout else subprocess.DEVNULL,
                             stderr=open(err, "wb"))
        p.err_path = err
        self.procs.append(p)
        p.stream = Stream(p.stdout.fileno()) if stdout else None
        return p

    @staticmethod
    def stderr_of(proc):
        try:
            return open(proc.err_path, "rb").read().decode(errors="replace")
        except OSError:
            return ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
        self.tmp.cleanup()


def wait_path(path, proc, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.01)
    raise RuntimeError(f"{proc.args} did not create {path}")


def exit_reason(ps, proc, who):
    """Why a process exited, from its stderr (without the scenario's
    temporary directory, so that the same reason reads the same)."""
    err = ps.stderr_of(proc).replace(ps.tmp.name + "/", "")
    err = " / ".join(line.strip() for line in err.splitlines() if line.strip())
    if len(err) > 200:
        err = err[:197] + "..."
    return f"{who} exited with status {proc.returncode}" + (f": {err}" if err else "")


def backend(ps, periph="rcc,usart1", extra=(), stdin=False, pin=None):
    sock = ps.path(f"b{len(ps.procs)}.sock")
    p = ps.start([BACKEND, "--socket", sock, "--periph", periph,
                  "--serial", "stdio", *extra], stdin=stdin, pin=pin)
    try:
        wait_path(sock, p)
    except RuntimeError:
        if p.poll() is not None:        # e.g. an option this build lacks
            raise ModeFailed(exit_reason(ps, p, "the backend"))
        raise
    return p, sock


def wait_ext(ps, stream, q, pred, timeout):
    """stream.wait(pred), but give up as soon as QEMU exits (ModeFailed)."""
    stream.wait(lambda s: pred(s) or q.poll() is not None, timeout)
    with stream.cond:
        if pred(stream):
            return True
    if q.poll() is not None:
        raise ModeFailed(exit_reason(ps, q, "QEMU"))
    return False


def ext_start(ps, mode, elf, periph="rcc,usart1", stdin=False, qemu_extra=()):
    """Backend and QEMU (vfio-user-mcu) of one external mode."""
    _, bargs, qargs, pin = mode
    b, sock = backend(ps, periph=periph, extra=bargs, stdin=stdin, pin=pin)
    q = qemu_mcu(ps, sock, elf, pin=pin, extra=[*qargs, *qemu_extra])
    return b, q


def qemu_mcu(ps, sock, elf, stdout=False, pin=None, extra=()):
    return ps.start([QEMU, "-M", f"vfio-user-mcu,sockets={sock}", "-kernel", elf,
                     "-nographic", "-serial", "null", "-monitor", "none", *extra],
                    stdout=stdout, pin=pin)


def qemu_inproc(ps, elf, stdin=False, serial="stdio"):
    return ps.start([QEMU, "-M", "b-l475e-iot01a", "-kernel", elf, "-nographic",
                     "-serial", serial] + (["-monitor", "none"] if serial == "stdio" else []),
                    stdin=stdin)


# ---------------------------------------------------------------- analysis

def levels(events, op):
    by = {}
    for e in events:
        if e["op"] == op:
            by.setdefault(e["n"], []).append(e["t1"] - e["t0"])
    return {n: d for n, d in by.items() if len(d) >= REPS}


SLOW_CAP = 4        # × min_dt: see done_ops


def done_ops(ops, min_dt):
    """Predicate: every op has two complete levels (a slope needs a shorter
    level below the long one) and its largest one lasts ≥ min_dt -- or some
    op's largest one lasts ≥ SLOW_CAP × min_dt.  The firmware runs all ops
    at the same n, so when one op is much slower than another (writes by
    messages next to direct-mapped reads, or posted writes next to reads
    that wait for a reply) the fast op's loop would reach min_dt only when
    the slow op's lasts minutes; the fast op then uses the longest loop it
    has."""
    def pred(stream):
        lv = {op: levels(stream.events, op) for op in ops}
        if any(len(v) < 2 for v in lv.values()):
            return False
        top = [statistics.median(v[max(v)]) for v in lv.values()]
        return min(top) >= min_dt or max(top) >= SLOW_CAP * min_dt
    return pred


def slope(events, op):
    """Seconds per access: slope between the largest complete level and the
    one 4x smaller, per firmware repetition; median and range."""
    lv = levels(events, op)
    if len(lv) < 2:
        return None
    nl = max(lv)
    smaller = [n for n in lv if n <= nl // 4] or [n for n in lv if n < nl]
    ns = max(smaller)
    s = sorted((a - b) / (nl - ns) for a, b in zip(lv[nl], lv[ns]))
    return {"med": statistics.median(s), "min": s[0], "max": s[-1],
            "n": nl, "dt": statistics.median(lv[nl])}


def lost_bytes(events, op):
    """Bytes sent but not received: both USART models drop output that the
    host side cannot take at once rather than stall the guest."""
    return sum(e["n"] - e["nbytes"] for e in events if e["op"] == op)


# ---------------------------------------------------------------- scenarios

def run_markers(elf, ops, args, mode=None):
    """One firmware run: in-process without @mode, else external in @mode.
    Returns the events."""
    with Procs() as ps:
        if mode is None:
            q = qemu_inproc(ps, elf)
            ok = q.stream.wait(done_ops(ops, args.min_dt), args.timeout)
            events = list(q.stream.events)
            if q.poll() is not None and not events:
                raise RuntimeError(f"QEMU exited: {Procs.stderr_of(q)}")
        else:
            b, q = ext_start(ps, mode, elf)
            ok = wait_ext(ps, b.stream, q, done_ops(ops, args.min_dt), args.timeout)
            events = list(b.stream.events)
        if not ok:
            log(f"  warning: {elf.name} {mode[0] if mode else 'in-process'}: not "
                f"all of {ops} reached {args.min_dt} s within {args.timeout} s")
    return events


def virt_start(ps):
    """Upstream's reference: libvfio-user's gpio-pci-idio-16 server and a
    -M virt QEMU whose vfio-user-pci device reads its I/O BAR."""
    sock = ps.path(f"gpio{len(ps.procs)}.sock")
    g = ps.start([GPIO, "-M", sock], stdout=False)
    wait_path(sock, g)
    dev = json.dumps({"driver": "vfio-user-pci",
                      "socket": {"type": "unix", "path": sock}})
    return ps.start([QEMU, "-M", "virt,highmem=off", "-cpu", "cortex-a15",
                     "-nographic", "-monitor", "none", "-serial", "stdio",
                     "-kernel", VIRT_ELF, "-device", dev])


def run_virt(args):
    with Procs() as ps:
        q = virt_start(ps)
        ok = q.stream.wait(done_ops(["pio", "pl011"], args.min_dt), args.timeout)
        if q.stream.has_line(b"no device"):
            raise RuntimeError("bench_virt_pio: vfio-user-pci device not found")
        if not ok:
            log("  warning: virt: not all ops reached the minimum duration")
        return list(q.stream.events)


def merge(results, key, events, op):
    s = slope(events, op)
    if s:
        results.setdefault(key, []).append(s)


def summarize(samples):
    """Several runs of one figure: median of medians, overall range."""
    if not samples:
        return None
    return {"med": statistics.median(s["med"] for s in samples),
            "min": min(s["min"] for s in samples),
            "max": max(s["max"] for s in samples),
            "runs": len(samples), "n": max(s["n"] for s in samples),
            "dt": min(s["dt"] for s in samples)}


def ext_modes(args, R, scen, **first):
    """key -> (label, backend options, QEMU options, CPU) of the modes that
    scenario @scen runs: @first (in-process ones), then the external modes
    narrowed by --modes.  Their labels go to R["<scen>_modes"] (the
    report's)."""
    modes = dict(first)
    modes.update({k: (f"external, {MODES[k][0]}",) + MODES[k][1:]
                  for k in SCENARIO_MODES[scen] if k in args.modes})
    R[f"{scen}_modes"] = {k: v[0] for k, v in modes.items()}
    return modes


def attempt(R, scen, key, label, fn, *a, **kw):
    """fn(*a, **kw); None if the mode failed to start (logged, recorded in
    R["failed"][scen][key] for the report)."""
    try:
        return fn(*a, **kw)
    except ModeFailed as e:
        log(f"  warning: {scen}: {label}: {e}; left out")
        R.setdefault("failed", {}).setdefault(scen, {})[key] = str(e)
        return None


def started(R, scen, modes, fn, *a, what=None):
    """(key, fn(*a, mode)) for each of @modes that started (attempt()),
    each first logged as "<scen>: <label><what>" unless @what is None."""
    for key, mode in modes.items():
        if what is not None:
            log(f"{scen}: {mode[0]}{what}")
        got = attempt(R, scen, key, mode[0], fn, *a, mode)
        if got:
            yield key, got


def bench_mmio(args, R):
    modes = ext_modes(args, R, "mmio",
                      inproc=("in-process (b-l475e-iot01a)", None, None, None))
    raw = {}
    for rep in range(args.runs):
        for key, mode in modes.items():
            log(f"mmio: {mode[0]} (run {rep + 1}/{args.runs})")
            ext = key != "inproc"
            # The SRAM loop is only a baseline: used as far as it got.
            ev = attempt(R, "mmio", key, mode[0], run_markers, FW / "bench_mmio.elf",
                         ["read", "write"], args, mode if ext else None)
            for op in ["read", "write"] + ([] if ext else ["sram"]):
                merge(raw, f"{key}.{op}", ev or [], op)
        log(f"virt: vfio-user-pci + gpio-pci-idio-16 (run {rep + 1}/{args.runs})")
        ev = run_virt(args)
        merge(raw, "upstream.read", ev, "pio")
        merge(raw, "virt_inproc.read", ev, "pl011")
    R["mmio"] = {k: summarize(v) for k, v in raw.items()}


def across(slopes):
    """One run of n concurrent stacks: the median of their medians and the
    range of all their samples (None if a stack has no figure)."""
    if not slopes or any(x is None for x in slopes):
        return None
    return {"med": statistics.median(x["med"] for x in slopes),
            "min": min(x["min"] for x in slopes),
            "max": max(x["max"] for x in slopes),
            "n": max(x["n"] for x in slopes), "dt": min(x["dt"] for x in slopes)}


def stacks_run(args, n, mode):
    """@n stacks at once, each running bench_mmio.elf (external @mode) or
    bench_virt_pio.elf (upstream, @mode None) until its read loop is long
    enough; the seconds per read of each."""
    op = "read" if mode else "pio"
    with Procs() as ps:
        if mode:
            streams = [(b.stream, q) for b, q in
                       (ext_start(ps, mode, FW / "bench_mmio.elf") for _ in range(n))]
        else:
            streams = [(q.stream, q) for q in (virt_start(ps) for _ in range(n))]
        end = time.monotonic() + args.timeout * 2
        for stream, q in streams:
            if not wait_ext(ps, stream, q, done_ops([op], args.min_dt),
                            max(1.0, end - time.monotonic())):
                log(f"  warning: stacks: not every stack's {op} loop reached "
                    f"{args.min_dt} s")
        return [slope(list(stream.events), op) for stream, _ in streams]


def bench_stacks(args, R):
    """The standard read with 1 and with 16 stacks sharing the machine:
    adaptive polling against fixed polling, no polling and upstream."""
    modes = ext_modes(args, R, "stacks")
    modes["upstream"] = ("upstream: vfio-user-pci + gpio-pci-idio-16 (-M virt)",
                         None, None, None)
    R["stacks_modes"]["upstream"] = modes["upstream"][0]
    raw = {}
    for rep in range(args.runs):
        for n in STACKS:
            for key, mode in modes.items():
                log(f"stacks: {mode[0]}, {n} at once (run {rep + 1}/{args.runs})")
                got = attempt(R, "stacks", key, mode[0], stacks_run, args, n,
                              mode if mode[1] is not None else None)
                x = across(got)
                if x:
                    raw.setdefault(f"{key}.{n}", []).append(x)
    R["stacks"] = {k: summarize(v) for k, v in raw.items()}
    R["stacks_counts"] = list(STACKS)


def bench_tx(args, R):
    modes = ext_modes(args, R, "tx", inproc=("in-process", None, None, None))
    raw, lost = {}, {}
    for rep in range(args.runs):
        for key, mode in modes.items():
            log(f"tx: {mode[0]} (run {rep + 1}/{args.runs})")
            ev = attempt(R, "tx", key, mode[0], run_markers, FW / "bench_tx.elf",
                         ["txpoll", "txraw"], args,
                         None if key == "inproc" else mode) or []
            for op in ("txpoll", "txraw"):
                lost[f"{key}.{op}"] = lost.get(f"{key}.{op}", 0) + lost_bytes(ev, op)
                merge(raw, f"{key}.{op}", ev, op)
    R["tx"] = {k: summarize(v) for k, v in raw.items()}
    R["tx_lost"] = lost


def echo_rtt(stream, proc, samples):
    """Host time from a byte written to the USART's input to the first byte
    the RX interrupt handler sends back."""
    out = []
    for i in range(samples):
        time.sleep(0.02)
        with stream.cond:
            before = stream.total
        t0 = time.perf_counter()
        proc.stdin.write(b"a")
        proc.stdin.flush()
        if not stream.wait(lambda s: s.total > before, 5.0):
            raise RuntimeError(f"no echo for byte {i}")
        out.append(stream.last_t - t0)
    return out


def irq_ext(args, mode, qemu_extra=(), echo=True):
    """TIM6 virtual-time latencies (ns) and RX echo times (s) of one mode."""
    with Procs() as ps:
        b, q = ext_start(ps, mode, FW / "bench_irq.elf", periph="rcc,usart1,tim6",
                         stdin=True, qemu_extra=qemu_extra)
        if not wait_ext(ps, b.stream, q, lambda s: s.has_line(b"ready"), 60):
            raise RuntimeError("bench_irq: no 'ready'")
        v = [int(line[2:]) * TICK_NS for _, line in b.stream.lines
             if re.match(rb"^V -?\d+$", line)]
        # The core's own SysTick in the same QEMU: the in-process reference.
        s = [int(line[2:]) * TICK_NS for _, line in b.stream.lines
             if re.match(rb"^S -?\d+$", line)]
        return (v, s), echo_rtt(b.stream, b, args.irq_samples) if echo else []


# Under -icount a guest instruction takes 2^8 ns: about one SysTick tick
# (250 ns), so the latencies count instructions, and runs must repeat.
ICOUNT = "shift=8,sleep=off"
ICOUNT_RUNS = 2


def bench_irq(args, R):
    res = {}
    modes = ext_modes(args, R, "irq")
    for key, got in started(R, "irq", modes, irq_ext, args,
                            what=" (TIM6 deadline -> ISR; USART RX -> ISR)"):
        (res[f"{key}_virtual_ns"], res[f"{key}_systick_ns"]), \
            res[f"{key}_rx_s"] = got
    with Procs() as ps:
        log("irq: in-process (USART RX -> ISR)")
        q = qemu_inproc(ps, FW / "bench_irq.elf", stdin=True, serial="mon:stdio")
        if not q.stream.wait(lambda s: s.has_line(b"ready"), 60):
            raise RuntimeError("bench_irq in-process: no 'ready'")
        res["inproc_rx_s"] = echo_rtt(q.stream, q, args.irq_samples)
    if "std" in args.modes:
        mode = (f"external, {MODES['std'][0]}",) + MODES["std"][1:]
        runs = []
        for rep in range(ICOUNT_RUNS):
            log(f"irq: {mode[0]}, -icount {ICOUNT} (run {rep + 1}/{ICOUNT_RUNS})")
            got = attempt(R, "irq", "icount", mode[0], irq_ext, args, mode,
                          qemu_extra=["-icount", ICOUNT], echo=False)
            if got:
                runs.append(got[0])
        res["icount"] = {"option": ICOUNT, "label": mode[0],
                         "virtual_ns": [v for v, _ in runs],
                         "systick_ns": [s for _, s in runs]}
    R["irq"] = res


def boot_ext(mode):
    """Seconds from starting the backend, and from starting QEMU, to the
    greeting on the host."""
    with Procs() as ps:
        t0 = time.perf_counter()
        b, sock = backend(ps, extra=mode[1], pin=mode[3])
        t1 = time.perf_counter()
        q = qemu_mcu(ps, sock, FW / "hello.elf", pin=mode[3], extra=mode[2])
        if not wait_ext(ps, b.stream, q, lambda s: s.has_line(GREETING), 30):
            raise RuntimeError("hello.elf: no greeting within 30 s")
        t = b.stream.line_time(GREETING)
        return t - t0, t - t1


def bench_boot(args, R):
    modes = ext_modes(args, R, "boot")
    res = {"inproc": []}
    for rep in range(args.boot_runs):
        log(f"boot: run {rep + 1}/{args.boot_runs}")
        with Procs() as ps:
            t0 = time.perf_counter()
            q = qemu_inproc(ps, FW / "hello.elf")
            if not q.stream.wait(lambda s: s.has_line(GREETING), 30):
                raise RuntimeError("hello.elf in-process: no greeting within 30 s")
            res["inproc"].append(q.stream.line_time(GREETING) - t0)
        for key, got in started(R, "boot", modes, boot_ext):
            res.setdefault(f"{key}_cold", []).append(got[0])
            res.setdefault(f"{key}_warm", []).append(got[1])
    R["boot"] = res


def cpu_ns(pid):
    """CPU time of all of a process's threads (schedstat: ns, not ticks)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError):
            pass
    return total


def idle_ext(args, mode):
    with Procs() as ps:
        b, q = ext_start(ps, mode, FW / "hello.elf")
        if not wait_ext(ps, b.stream, q, lambda s: s.has_line(b"ready"), 30):
            raise RuntimeError("hello.elf: no 'ready' within 30 s")
        time.sleep(1.0)
        a = [cpu_ns(q.pid), cpu_ns(b.pid)]
        time.sleep(args.idle_s)
        z = [cpu_ns(q.pid), cpu_ns(b.pid)]
        return {"label": mode[0],
                "qemu": (z[0] - a[0]) / 1e9 / args.idle_s * 100,
                "backend": (z[1] - a[1]) / 1e9 / args.idle_s * 100}


def bench_idle(args, R):
    res = {}
    modes = ext_modes(args, R, "idle")
    for key, got in started(R, "idle", modes, idle_ext, args,
                            what=f", hello.elf in WFI, {args.idle_s} s"):
        res[key] = got
    with Procs() as ps:
        log(f"idle: in-process, hello.elf in WFI, {args.idle_s} s")
        q = qemu_inproc(ps, FW / "hello.elf")
        q.stream.wait(lambda s: s.has_line(b"ready"), 30)
        time.sleep(1.0)
        a = cpu_ns(q.pid)
        time.sleep(args.idle_s)
        res["inproc"] = {"label": "in-process", "qemu": (cpu_ns(q.pid) - a) / 1e9
                         / args.idle_s * 100, "backend": 0.0}
    R["idle"] = res


def msg_run(sock, region, args):
    out = subprocess.run([MSG, "-r", str(region), "-s", str(args.msg_seconds),
                          "-n", str(args.msg_repeat), sock],
                         capture_output=True, text=True, timeout=120)
    if out.returncode:
        raise RuntimeError(f"msg_throughput: {out.stderr.strip()}")
    return [float(line.split()[1]) for line in out.stdout.splitlines()]


# The message servers: key -> (label, backend options or None for
# libvfio-user's gpio-pci-idio-16).
MSG_SERVERS = {
    "libvup": ("libvup (vup-stm32l4, default options)", []),
    "libvup_nospin": ("libvup (vup-stm32l4 --spin-us 0)", ["--spin-us", "0"]),
    "libvfio-user": ("libvfio-user (gpio-pci-idio-16)", None),
}


def bench_msg(args, R):
    res = {k: [] for k in MSG_SERVERS}
    R["msg_servers"] = {k: v[0] for k, v in MSG_SERVERS.items()}
    for rep in range(args.runs):
        for key, (label, extra) in MSG_SERVERS.items():
            log(f"msg: REGION_READ round trips, {label} (run {rep + 1}/{args.runs})")
            with Procs() as ps:
                if extra is not None:
                    got = attempt(R, "msg", key, label, backend, ps, extra=extra)
                    if got:
                        res[key] += msg_run(got[1], 1, args)
                else:
                    sock = ps.path("gpio.sock")
                    g = ps.start([GPIO, "-M", sock], stdout=False)
                    wait_path(sock, g)
                    res[key] += msg_run(sock, 2, args)
    R["msg"] = res


STRACE_LINE = re.compile(r"^(?:(\d+) +)?(\d\d):(\d\d):(\d\d\.\d+) (?:<\.\.\. )?(\w+)")


def strace_parse(path):
    """(time, tid, syscall, line) of each syscall in an `strace -f -tt` log
    (an interrupted call counts once, where it started)."""
    out = []
    for line in open(path, errors="replace"):
        m = STRACE_LINE.match(line)
        if not m or "resumed>" in line or line.rstrip().endswith("+++"):
            continue
        t = int(m.group(2)) * 3600 + int(m.group(3)) * 60 + float(m.group(4))
        out.append((t, m.group(1), m.group(5), line))
    return out


def stdout_writes(calls):
    """Bytes the backend wrote to stdout, with the time of each write."""
    out = []
    for t, _, name, line in calls:
        if name == "write" and line.split("(", 1)[1].startswith("1, \""):
            s = line.split("\"", 1)[1].rsplit("\"", 1)[0]
            out.append((t, s.encode().decode("unicode_escape").encode("latin-1")))
    return out


def read_loop_seen(n_min, after=None):
    """Predicate: the backend printed a read loop of ≥ n_min reads (one that
    started after @after, if given)."""
    return lambda s: any(e["op"] == "read" and e["n"] >= n_min and
                         (after is None or e["t0"] > after) for e in s.events)


def strace_ext(mode):
    """Syscalls per guest read of one external mode (profile_cut), or None."""
    with Procs() as ps:
        b, q = ext_start(ps, mode, FW / "bench_mmio.elf",
                         qemu_extra=("-name", "bench,debug-threads=on"))
        if not wait_ext(ps, b.stream, q, read_loop_seen(4096), 60):
            log("  warning: profile: no read loop of 4096 within 60 s")
            return None
        logs = {k: ps.path(f"strace.{k}") for k in ("qemu", "backend")}
        tr = [subprocess.Popen(["strace", "-f", "-tt", "-s", "32", "-p", str(pid),
                                "-o", logs[k]], stderr=subprocess.DEVNULL)
              for k, pid in (("qemu", q.pid), ("backend", b.pid))]
        time.sleep(1.0)
        comm = {}
        for tid in os.listdir(f"/proc/{q.pid}/task"):
            with open(f"/proc/{q.pid}/task/{tid}/comm") as f:
                comm[tid] = f.read().strip()
        comm[str(b.pid)] = "vup-stm32l4"
        t_att = time.perf_counter()
        ok = b.stream.wait(read_loop_seen(0, t_att), 120)
        for t in tr:
            t.send_signal(signal.SIGINT)
            t.wait(20)
        if not ok:
            return None
        cut = profile_cut(strace_parse(logs["backend"]), strace_parse(logs["qemu"]),
                          comm)
        if cut:
            cut["label"] = mode[0]
        return cut


def perf_ext(args, mode):
    """perf's hottest symbols in QEMU and the backend during read loops."""
    with Procs() as ps:
        b, q = ext_start(ps, mode, FW / "bench_mmio.elf")
        wait_ext(ps, b.stream, q, read_loop_seen(4096), 60)
        data = ps.path("perf.data")
        p = subprocess.run(["perf", "record", "-q", "-o", data, "-p",
                            f"{q.pid},{b.pid}", "--", "sleep", str(args.profile_s)],
                           capture_output=True, text=True)
        if p.returncode:
            return None
        rep = subprocess.run(["perf", "report", "-i", data, "--stdio",
                              "--no-children", "--sort", "comm,dso,sym",
                              "--percent-limit", "1.5"],
                             capture_output=True, text=True)
        return "\n".join(line for line in rep.stdout.splitlines()
                         if line and not line.startswith("#"))


def bench_profile(args, R):
    """Where one external read's time goes: the syscalls of QEMU's threads
    and of the backend during exactly one read loop (strace -f -tt, cut at
    the marker writes), per mode, and perf's hottest symbols (standard)."""
    res = {"strace": {}}
    modes = ext_modes(args, R, "profile")
    if modes and not shutil.which("strace"):
        log("  warning: profile: no strace")
    else:
        for key, cut in started(R, "profile", modes, strace_ext,
                                what=": strace -f -tt on QEMU and the "
                                     "backend, one read loop"):
            res["strace"][key] = cut
    if shutil.which("perf") and "std" in modes:
        log(f"profile: perf record on QEMU and the backend during read loops, "
            f"{modes['std'][0]}")
        perf = attempt(R, "profile", "std", modes["std"][0], perf_ext, args,
                       modes["std"])
        if perf:
            res["perf"] = perf
    R["profile"] = res


def profile_cut(bcalls, qcalls, comm):
    """Syscalls per guest read, per process/thread, inside the first read
    loop that the backend's stdout writes show whole."""
    writes = stdout_writes(bcalls)
    text, times = b"", []
    for t, data in writes:
        text += data
        times += [t] * len(data)
    m = re.search(rb"B read (\d+)\r\n", text)
    if not m:
        return None
    e = text.find(b"E\r\n", m.end())
    if e < 0:
        return None
    n, t0, t1 = int(m.group(1)), times[m.end() - 1], times[e]
    per = {}
    for who, calls in (("backend", bcalls), ("qemu", qcalls)):
        for t, tid, name, _ in calls:
            if t0 < t < t1:
                key = (who, tid or str(next(iter(comm))))
                per.setdefault(key, {}).setdefault(name, 0)
                per[key][name] += 1
    threads = []
    for (who, tid), c in sorted(per.items()):
        total = sum(c.values())
        if total < n / 10:          # threads that do not take part per read
            continue
        threads.append({"process": who, "tid": tid, "comm": comm.get(tid, "?"),
                        "per_read": {k: v / n for k, v in
                                     sorted(c.items(), key=lambda kv: -kv[1])}})
    return {"n": n, "seconds": t1 - t0, "threads": threads}


# ---------------------------------------------------------------- report

def machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "load_before": os.getloadavg(),
            "qemu": subprocess.run([QEMU, "--version"], capture_output=True,
                                   text=True).stdout.splitlines()[0]}


BENCHES = {"mmio": bench_mmio, "tx": bench_tx, "irq": bench_irq, "boot": bench_boot,
           "idle": bench_idle, "msg": bench_msg, "stacks": bench_stacks,
           "profile": bench_profile}


def modes_help():
    """The external modes, for --help (and what each scenario runs)."""
    out = ["external modes (--modes KEY,...):"]
    wrap = dict(width=78, break_on_hyphens=False, break_long_words=False)
    for k, (label, bargs, qargs, pin) in MODES.items():
        out.append(f"  {k:<10} {label}")
        out.append(f"{'':13}QEMU:    {' '.join(qargs)}")
        out.append(f"{'':13}backend: {' '.join(bargs) or '(defaults)'}"
                   + ("" if pin is None else f"; taskset -c {pin} on both"))
        out += textwrap.wrap(MODE_NOTES[k], initial_indent=" " * 13,
                             subsequent_indent=" " * 13, **wrap)
    out.append("scenarios run, besides their in-process/upstream references:")
    for scen, keys in SCENARIO_MODES.items():
        out.append(f"  {scen:<8} {', '.join(keys)}")
    out.append("  msg      libvup (default, --spin-us 0) and libvfio-user, "
               "no QEMU")
    out.append(f"  stacks   {' and '.join(map(str, STACKS))} concurrent stacks "
               "of each, and of upstream's")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, epilog=modes_help(),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(BENCHES),
                    help="comma-separated subset of: " + ", ".join(BENCHES))
    ap.add_argument("--modes", default=",".join(MODES),
                    help="comma-separated external modes to run (default: all; "
                         "each scenario runs those of its own list that are "
                         "given; in-process and upstream references always run)")
    ap.add_argument("--runs", type=int, default=2,
                    help="runs of each MMIO/TX/message scenario (default 2; "
                         "the firmware repeats each n 3 times per run)")
    ap.add_argument("--min-dt", type=float, default=0.3,
                    help="a loop must last this long (s) before its slope is "
                         "used (default 0.3), unless another op in the same "
                         f"firmware run already takes {SLOW_CAP}× as long")
    ap.add_argument("--timeout", type=float, default=90,
                    help="per firmware run (s, default 90)")
    ap.add_argument("--boot-runs", type=int, default=5,
                    help="boot-to-greeting runs per mode (default 5)")
    ap.add_argument("--irq-samples", type=int, default=30,
                    help="RX echoes per mode (default 30)")
    ap.add_argument("--idle-s", type=float, default=10,
                    help="idle interval per mode (s, default 10)")
    ap.add_argument("--msg-seconds", type=float, default=2,
                    help="message throughput: seconds per sample (default 2)")
    ap.add_argument("--msg-repeat", type=int, default=3,
                    help="message throughput: samples per server and run "
                         "(default 3)")
    ap.add_argument("--profile-s", type=float, default=3,
                    help="perf record duration (s, default 3)")
    ap.add_argument("--json", default=str(BB / "results.json"),
                    help="where to write the raw results")
    ap.add_argument("--doc", default=None, help="write the report (markdown) here")
    ap.add_argument("--plot", default=None, help="write the plot (png) here")
    ap.add_argument("--command", default=None,
                    help="the command line to quote in the report")
    args = ap.parse_args()
    only = [x for x in args.only.split(",") if x]
    bad = [x for x in only if x not in BENCHES]
    if bad:
        ap.error(f"--only: unknown {', '.join(bad)} (from: {', '.join(BENCHES)})")
    args.modes = [x for x in args.modes.split(",") if x]
    bad = [x for x in args.modes if x not in MODES]
    if bad:
        ap.error(f"--modes: unknown {', '.join(bad)} (from: {', '.join(MODES)})")

    need = [QEMU, BACKEND, FW / "bench_mmio.elf", GPIO, MSG, VIRT_ELF]
    missing = [str(p) for p in need if not p.exists()]
    if missing:
        sys.exit("bench: missing " + ", ".join(missing) + " (run `make bench`)")

    R = {"machine": machine(), "args": vars(args),
         "command": args.command or " ".join(sys.argv),
         "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
         "modes": {k: {"label": f"external, {v[0]}", "backend": v[1], "qemu": v[2],
                       "pin": v[3], "note": MODE_NOTES[k]}
                   for k, v in MODES.items() if k in args.modes},
         "timing": {}}
    t0 = time.monotonic()
    loads = []
    for name in only:
        loads.append(os.getloadavg()[0])
        ts = time.monotonic()
        BENCHES[name](args, R)
        R["timing"][name] = time.monotonic() - ts
        log(f"bench: {name} took {R['timing'][name]:.3g} s")
    loads.append(os.getloadavg()[0])
    R["machine"]["load_1min_during"] = [min(loads), max(loads)]
    R["machine"]["load_after"] = os.getloadavg()
    R["duration_s"] = time.monotonic() - t0
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(R, indent=1))
    sys.path.insert(0, str(Path(__file__).parent))
    import report
    print(report.tables(R))
    if args.doc:
        Path(args.doc).write_text(report.document(R, args.plot))
        log(f"bench: wrote {args.doc}")
    if args.plot:
        import plot
        plot.plot(R, args.plot)
        log(f"bench: wrote {args.plot}")


if __name__ == "__main__":
    main()
