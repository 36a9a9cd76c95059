# SPDX-License-Identifier: BSD-3-Clause
"""Tables and the markdown report from bench/run.py's results (a dict, as in
its JSON file).  `python3 bench/report.py results.json` prints the tables
again; --doc FILE [--plot PNG] rewrites the report from a saved run."""

import argparse
import json
import statistics
import sys


def us(s):
    return "n/a" if s is None else f"{s * 1e6:.3g}"


def fig(x, key="med"):
    return None if not x else x[key]


def rng(x):
    if not x:
        return "n/a"
    return f"{x['min'] * 1e6:.3g}–{x['max'] * 1e6:.3g}"


def ratio(a, b):
    return None if (a is None or b is None or b == 0) else a / b


def fmt_ratio(r):
    return "n/a" if r is None else f"{r:.3g}×"


def med(xs):
    return statistics.median(xs) if xs else None


def table(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def mmio_rows(R):
    m = R.get("mmio", {})
    base_r = fig(m.get("inproc.read"))
    base_w = fig(m.get("inproc.write"))
    rows = []
    for key, label in R.get("mmio_modes", {}).items():
        r, w = m.get(f"{key}.read"), m.get(f"{key}.write")
        rows.append([label, us(fig(r)), rng(r), fmt_ratio(ratio(fig(r), base_r)),
                     us(fig(w)), rng(w), fmt_ratio(ratio(fig(w), base_w))])
    if "fast" not in R.get("mmio_modes", {}):
        rows.append(["external, fast path on", "not in this build", "", "",
                     "", "", ""])
    up = m.get("upstream.read")
    rows.append(["upstream: vfio-user-pci + gpio-pci-idio-16 (-M virt, I/O BAR)",
                 us(fig(up)), rng(up), fmt_ratio(ratio(fig(up), base_r)),
                 "", "", ""])
    v = m.get("virt_inproc.read")
    rows.append(["in-process PL011 UARTFR on -M virt (same run)", us(fig(v)), rng(v),
                 fmt_ratio(ratio(fig(v), base_r)), "", "", ""])
    s = m.get("inproc.sram")
    rows.append(["loop baseline: SRAM read (b-l475e-iot01a)", us(fig(s)), rng(s),
                 fmt_ratio(ratio(fig(s), base_r)), "", "", ""])
    return rows


def bps(x):
    return None if not x else 1.0 / x["med"]


def fmt_bps(b):
    if b is None:
        return "n/a"
    if b >= 1e6:
        return f"{b / 1e6:.3g} MB/s"
    return f"{b / 1e3:.3g} kB/s"


def tx_rows(R):
    t = R.get("tx", {})
    rows = []
    for key, label in (("inproc", "in-process"), ("std", "external, standard"),
                       ("posted", "external, posted writes")):
        p, r = t.get(f"{key}.txpoll"), t.get(f"{key}.txraw")
        rows.append([label, fmt_bps(bps(p)), us(fig(p)), fmt_bps(bps(r)), us(fig(r))])
    return rows


def targets(R):
    m, out = R.get("mmio", {}), []

    def add(name, value, limit, ok, margin):
        out.append([name, value, limit,
                    "n/a" if ok is None else ("**met**" if ok else "**missed**"),
                    margin])

    std, up = fig(m.get("std.read")), fig(m.get("upstream.read"))
    r = ratio(std, up)
    add("standard-path read ≤ ½ upstream vfio-user-pci read",
        f"{us(std)} µs vs {us(up)} µs ({fmt_ratio(r)})", "≤ 0.5×",
        None if r is None else r <= 0.5,
        "" if r is None else f"{abs(0.5 - r) / 0.5 * 100:.0f} % {'under' if r <= 0.5 else 'over'}")
    fast, base = fig(m.get("fast.read")), fig(m.get("inproc.read"))
    r = ratio(fast, base)
    add("fast-path read ≤ 5× in-process read",
        "no fast path in this build" if fast is None
        else f"{us(fast)} µs vs {us(base)} µs ({fmt_ratio(r)})", "≤ 5×",
        None if r is None else r <= 5,
        "" if r is None else f"{abs(5 - r) / 5 * 100:.0f} % {'under' if r <= 5 else 'over'}")
    t = R.get("tx", {})
    for key, what in (("txraw", "posted TDR writes"), ("txpoll", "TX loop polling TXE")):
        b = bps(t.get(f"posted.{key}"))
        add(f"posted writes ≥ 1 MB/s ({what})", fmt_bps(b), "≥ 1 MB/s",
            None if b is None else b >= 1e6,
            "" if b is None else f"{abs(b - 1e6) / 1e6 * 100:.0f} % {'over' if b >= 1e6 else 'under'}")
    bt = R.get("boot", {})
    bi, bw, bc = med(bt.get("inproc")), med(bt.get("ext_warm")), med(bt.get("ext_cold"))
    for label, b in (("backend already listening", bw), ("incl. backend start", bc)):
        r = ratio(b, bi)
        add(f"boot-to-greeting ≤ 1.5× in-process ({label})",
            "n/a" if r is None else f"{b * 1e3:.0f} ms vs {bi * 1e3:.0f} ms ({fmt_ratio(r)})",
            "≤ 1.5×", None if r is None else r <= 1.5,
            "" if r is None else f"{abs(1.5 - r) / 1.5 * 100:.0f} % {'under' if r <= 1.5 else 'over'}")
    ms = R.get("msg", {})
    a, b = med(ms.get("libvup")), med(ms.get("libvfio-user"))
    r = ratio(a, b)
    add("libvup REGION_READ throughput ≥ libvfio-user's",
        "n/a" if r is None else f"{a:,.0f}/s vs {b:,.0f}/s ({fmt_ratio(r)})", "≥ 1×",
        None if r is None else r >= 1,
        "" if r is None else f"{abs(r - 1) * 100:.0f} % {'more' if r >= 1 else 'less'}")
    idle = R.get("idle", {})
    if "ext_qemu" in idle:
        c = idle["ext_qemu"] + idle["ext_backend"]
        add("idle CPU (QEMU + backend, guest in WFI) ≤ 2 % of one core",
            f"{c:.2f} %", "≤ 2 %", c <= 2,
            f"{abs(2 - c) / 2 * 100:.0f} % {'under' if c <= 2 else 'over'}")
    return out


def tables(R):
    parts = ["## Targets", table(["target", "measured", "limit", "verdict", "margin"],
                                  targets(R))]
    if "mmio" in R:
        parts += ["## Guest MMIO cost per access (µs; ratio to the in-process read/write)",
                  table(["path", "read", "read range", "read ratio", "write",
                         "write range", "write ratio"], mmio_rows(R))]
    if "tx" in R:
        parts += ["## USART1 transmit from firmware",
                  table(["path", "TX loop polling TXE", "µs/byte",
                         "TDR writes only", "µs/byte"], tx_rows(R))]
    if "irq" in R:
        q = R["irq"]

        def row(label, xs, scale):
            xs = xs or []
            if not xs:
                return [label, "n/a", "", 0]
            return [label, f"{med(xs) * scale:.3g}",
                    f"{min(xs) * scale:.3g}–{max(xs) * scale:.3g}", len(xs)]
        rows = [row("external: TIM6 deadline → first ISR instruction, virtual time",
                    q.get("ext_virtual_ns"), 1e-3),
                row("external, posted writes: same", q.get("ext_posted_virtual_ns"), 1e-3),
                row("external: byte into backend → ISR's first TDR write out, host time",
                    q.get("ext_rx_s"), 1e6),
                row("external, posted writes: same", q.get("ext_posted_rx_s"), 1e6),
                row("in-process: byte into QEMU's chardev → same, host time",
                    q.get("inproc_rx_s"), 1e6)]
        parts += ["## Interrupt latency (µs)",
                  table(["what", "median", "range", "samples"], rows)]
    if "boot" in R:
        b = R["boot"]
        rows = [[label, f"{med(b[k]) * 1e3:.0f}",
                 f"{min(b[k]) * 1e3:.0f}–{max(b[k]) * 1e3:.0f}", len(b[k])]
                for k, label in (("inproc", "in-process b-l475e-iot01a"),
                                 ("ext_warm", "vfio-user-mcu, backend already listening"),
                                 ("ext_cold", "vfio-user-mcu, incl. starting the backend"))
                if b.get(k)]
        parts += ["## Boot to greeting (ms, process start → greeting line on the host)",
                  table(["board", "median", "range", "runs"], rows)]
    if "msg" in R:
        rows = [[k, f"{med(v):,.0f}", f"{min(v):,.0f}–{max(v):,.0f}",
                 f"{1e6 / med(v):.3g}", len(v)] for k, v in R["msg"].items() if v]
        parts += ["## Library message throughput (REGION_READ round trips, 4 bytes, "
                  "same client: bench/msg_throughput)",
                  table(["server", "round trips/s", "range", "µs each", "samples"], rows)]
    if "idle" in R:
        d = R["idle"]
        rows = [["external: QEMU", f"{d['ext_qemu']:.2f}"],
                ["external: vup-stm32l4", f"{d['ext_backend']:.2f}"],
                ["external: total", f"{d['ext_qemu'] + d['ext_backend']:.2f}"],
                ["in-process: QEMU", f"{d['inproc_qemu']:.2f}"]]
        parts += [f"## Idle cost (% of one core, guest in WFI for "
                  f"{R['args']['idle_s']:.0f} s)", table(["process", "CPU %"], rows)]
    return "\n\n".join(parts)


def profile_section(R):
    p = R.get("profile") or {}
    out = []
    st = p.get("strace")
    if st:
        out.append(f"System calls per guest read, counted by `strace -f -tt` over exactly "
                   f"one loop of {st['n']} reads of `RCC_CR` on the standard path "
                   f"(cut at the backend's writes of the loop's markers; strace "
                   f"itself made that loop take {st['seconds']:.1f} s, so only the "
                   f"counts mean something):\n")
        rows = []
        for th in st["threads"]:
            calls = ", ".join(f"{k} {v:.2f}" for k, v in th["per_read"].items()
                              if v >= 0.05)
            rows.append([th["process"], th.get("comm", "?"),
                         f"{sum(th['per_read'].values()):.1f}", calls])
        out.append(table(["process", "thread", "syscalls/read", "breakdown"], rows))
    if p.get("perf"):
        out.append("\n`perf record` of QEMU and the backend (all threads) during the "
                   "standard-path read loops (samples ≥ 1.5 %, by process, object, "
                   "symbol):\n")
        out.append("```\n" + p["perf"].strip()[:4000] + "\n```")
    return "\n".join(out)


PATH_NOTE = """\
Route of one guest read of an external register on the standard path
(`qemu/hw/vfio-user/platform.c` and QEMU's `hw/vfio-user/proxy.c`): the vCPU
thread (holding the BQL) builds a `REGION_READ` and `vfio_user_send_wait()`
queues it for the proxy's own iothread (`IO VFIO user`), kicks it through an
eventfd and sleeps on a condition variable; the iothread `sendmsg`s it; the
backend wakes in `epoll_wait`, reads the message, runs the register hook and
`sendmsg`s the reply; the iothread wakes in `ppoll`, `recvmsg`s it and wakes
the vCPU thread (futex). After the reply, `vfio_user_platform_sync()` reads
the control region's live part (IRQ levels, clocks, deadline) with a second
`REGION_READ` by the same route, and tests each IRQ eventfd and the doorbell
(the vCPU thread's `read`s)."""


def path_findings(R):
    st = (R.get("profile") or {}).get("strace")
    m = R.get("mmio", {})
    out = []
    if st:
        b = next((t for t in st["threads"] if t["process"] == "backend"), None)
        if b:
            rt = b["per_read"].get("sendmsg", 0)
            what = ("two full round trips (the access and the live-part read)"
                    if rt >= 1.5 else "one round trip")
            out.append(f"- Measured: the backend sends **{rt:.2f} replies per guest "
                       f"read**, i.e. every non-posted access costs {what}, each "
                       f"through three thread wake-ups (iothread, backend, vCPU).")
        tot = sum(sum(t["per_read"].values()) for t in st["threads"])
        each = ", ".join("%s: %.0f" % (t.get("comm", "?"), sum(t["per_read"].values()))
                         for t in st["threads"])
        out.append(f"- {tot:.0f} system calls per guest read in total ({each}).")
    std, msg = m.get("std.read"), R.get("msg", {}).get("libvup")
    if std and msg:
        rt = 1.0 / med(msg)
        out.append(f"- A bare client→libvup round trip costs {rt * 1e6:.3g} µs "
                   f"(message throughput below); the guest read costs "
                   f"{std['med'] * 1e6:.3g} µs ≈ {std['med'] / rt:.1f} of them: "
                   f"the second round trip plus the extra iothread hop and the "
                   f"vCPU's wake-up make up the rest.")
    pin = m.get("std_1cpu.read")
    if std and pin:
        out.append(f"- Pinning QEMU and the backend to one CPU gives "
                   f"{pin['med'] * 1e6:.3g} µs per read ({pin['med'] / std['med']:.2f}× "
                   + ("the unpinned figure): cross-core wake-ups are not the main "
                      "cost here; the number of sleeps/wake-ups per access is."
                      if pin["med"] / std["med"] > 0.8 else
                      "the unpinned figure): cross-core wake-ups are a large part."))
    up = m.get("upstream.read")
    if up and std:
        out.append(f"- Upstream `vfio-user-pci` needs one round trip per read "
                   f"({up['med'] * 1e6:.3g} µs); dropping the live-part read "
                   f"(shared-memory live part, or reading it only when an eventfd "
                   f"or the doorbell rang) would bring the standard path to about "
                   f"that figure, and a vCPU-thread send/receive without the "
                   f"iothread hop below it.")
    out.append("- `perf` agrees: the samples sit in the scheduler's context-switch "
               "path (`finish_task_switch`), not in QEMU, libvup or the models.")
    return "\n".join(out)


def document(R, plot_path=None):
    m = R["machine"]
    lb, la = m["load_before"], m.get("load_after", m["load_before"])
    head = f"""<!-- SPDX-License-Identifier: BSD-3-Clause -->
<!-- Generated by bench/run.py ({R['command']}); do not edit by hand. -->
# Performance: external MMIO against in-process QEMU and upstream vfio-user

All figures below come from **one run** of

```
{R['command']}
```

on {R['started']}, {R['duration_s'] / 60:.1f} minutes.

| machine | |
|---|---|
| CPU | {m['cpu']} |
| cores (`nproc`) | {m['nproc']} |
| kernel | {m['kernel']} |
| QEMU | {m['qemu']} (this project's trimmed build) |
| load average (1/5/15 min) at start | {lb[0]:.2f} / {lb[1]:.2f} / {lb[2]:.2f} |
| load average at end | {la[0]:.2f} / {la[1]:.2f} / {la[2]:.2f} |

The machine is small and shared, so absolute numbers are noisy; the ratios
within one run are what to compare. Each figure is the median over
{R['args']['runs']} run(s) × 3 firmware repetitions; ranges are min–max over
all of them.
"""
    plot = f"\n![per-access cost]({plot_path.split('/')[-1]})\n" if plot_path else ""
    method = """
## How it is measured

- **MMIO** (`firmware/bench_mmio.c`): the firmware prints `B read <n>`, does
  n reads of `RCC_CR` (0x40021000; loop unrolled ×8), prints `E`; the same
  with n writes of `RCC_AHB1SMENR`'s own value, and n reads of an SRAM word
  (the loop's own cost). n doubles from 1024, three runs each; the host
  (bench/run.py) timestamps the marker lines as they arrive on the USART's
  stream and takes the slope between the longest loop (≥ `--min-dt` s) and
  one 4× shorter, so the markers' cost cancels. The same ELF runs on
  `b-l475e-iot01a` (QEMU's own RCC/USART) and on `vfio-user-mcu` with
  `vup-stm32l4 --periph rcc,usart1`, in each mode it offers (standard,
  `--posted-writes`, and the fast path when the build has one).
- **Upstream reference** (`bench/virt/bench_virt_pio.c`): bare-metal
  Cortex-A15 code on `-M virt,highmem=off` that assigns the I/O BAR2 of
  libvfio-user's `gpio-pci-idio-16` sample (built from QEMU's
  `subprojects/libvfio-user`, unmodified, run with `-M`: no migration
  region) through ECAM at 0x3f000000, enables I/O decode and reads port
  0x1000 (PIO window 0x3eff0000) with the same marker protocol over the
  PL011, alternating with reads of the in-process PL011's UARTFR.
- **TX** (`firmware/bench_tx.c`): n bytes to USART1, either polling TXE
  before each TDR write (what firmware does) or TDR writes only (the
  posted-write stream alone); the host counts the bytes it receives.
- **IRQ** (`firmware/bench_irq.c`): TIM6 (in the backend, virtual time)
  one-pulse with a 1 ms update; the ISR's first act reads SysTick, so the
  virtual-time latency is SysTick ticks from CEN to ISR minus the period
  (250 ns resolution). Host time: a byte written to the USART's input,
  echoed by the RX ISR, timed until it comes back out (so it includes the
  TDR write out); in-process via QEMU's `-serial mon:stdio`.
- **Boot**: `hello.elf`, from starting QEMU (or the backend) to the greeting
  line arriving on the host.
- **Message throughput** (`bench/msg_throughput.c`, libvup's client):
  4-byte `REGION_READ` round trips for 2 s against `vup-stm32l4` (RCC
  window) and against `gpio-pci-idio-16` (BAR2), same client binary.
- **Idle**: `utime + stime` from `/proc/PID/stat` over the interval, guest
  in WFI after `hello.elf` printed `ready`.
"""
    prof = profile_section(R)
    return "\n".join([head, plot, tables(R), method,
                      "## Where the time of one external read goes\n", PATH_NOTE,
                      "", path_findings(R), "", prof, ""])


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("results", help="JSON written by bench/run.py")
    ap.add_argument("--doc", help="write the markdown report here")
    ap.add_argument("--plot", help="plot file name to reference (and write)")
    a = ap.parse_args()
    R = json.load(open(a.results))
    print(tables(R))
    if a.doc:
        open(a.doc, "w").write(document(R, a.plot))
    if a.plot:
        sys.path.insert(0, __file__.rsplit("/", 1)[0])
        import plot
        plot.plot(R, a.plot)


if __name__ == "__main__":
    main()
