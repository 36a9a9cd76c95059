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
        rows.append(["external, fast path", "not in this build", "", "",
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
    for key, label in R.get("tx_modes", {}).items():
        p, r = t.get(f"{key}.txpoll"), t.get(f"{key}.txraw")
        rows.append([label, fmt_bps(bps(p)), us(fig(p)), fmt_bps(bps(r)), us(fig(r))])
    return rows


def best_ext(R, table_modes, prefer):
    """The first of @prefer that the run has."""
    return next((k for k in prefer if k in table_modes), None)


def targets(R):
    m, out = R.get("mmio", {}), []

    def add(name, value, limit, ok, margin):
        out.append([name, value, limit,
                    "n/a" if ok is None else ("**met**" if ok else "**missed**"),
                    margin])

    def over(r, lim, more_is_better=False):
        if r is None:
            return ""
        good = r >= lim if more_is_better else r <= lim
        word = ("over" if more_is_better else "under") if good else \
               ("under" if more_is_better else "over")
        return f"{abs(r - lim) / lim * 100:.0f} % {word}"

    std, up = fig(m.get("std.read")), fig(m.get("upstream.read"))
    r = ratio(std, up)
    add("standard-path read ≤ ½ upstream vfio-user-pci read",
        f"{us(std)} µs vs {us(up)} µs ({fmt_ratio(r)})", "≤ 0.5×",
        None if r is None else r <= 0.5, over(r, 0.5))
    fast, base = fig(m.get("fast.read")), fig(m.get("inproc.read"))
    r = ratio(fast, base)
    add("fast-path read (polling loop) ≤ 5× in-process read",
        "no fast path in this build" if fast is None
        else f"{us(fast)} µs vs {us(base)} µs ({fmt_ratio(r)})", "≤ 5×",
        None if r is None else r <= 5, over(r, 5))
    t = R.get("tx", {})
    k = best_ext(R, R.get("tx_modes", {}), ("fast_posted", "posted"))
    label = R.get("tx_modes", {}).get(k, "")
    for op, what in (("txraw", "TDR writes"), ("txpoll", "TX loop polling TXE")):
        b = bps(t.get(f"{k}.{op}"))
        add(f"posted writes ≥ 1 MB/s ({what}; {label})", fmt_bps(b), "≥ 1 MB/s",
            None if b is None else b >= 1e6,
            "" if b is None else over(b / 1e6, 1, True))
    bt = R.get("boot", {})
    bi = med(bt.get("inproc"))
    for key, label in R.get("boot_modes", {}).items():
        for sfx, what in (("warm", "backend already listening"),
                          ("cold", "incl. backend start")):
            b = med(bt.get(f"{key}_{sfx}"))
            r = ratio(b, bi)
            add(f"boot-to-greeting ≤ 1.5× in-process ({label}, {what})",
                "n/a" if r is None else f"{b * 1e3:.0f} ms vs {bi * 1e3:.0f} ms ({fmt_ratio(r)})",
                "≤ 1.5×", None if r is None else r <= 1.5, over(r, 1.5))
    ms = R.get("msg", {})
    a, b = med(ms.get("libvup")), med(ms.get("libvfio-user"))
    r = ratio(a, b)
    add("libvup REGION_READ throughput ≥ libvfio-user's",
        "n/a" if r is None else f"{a:,.0f}/s vs {b:,.0f}/s ({fmt_ratio(r)})", "≥ 1×",
        None if r is None else r >= 1, over(r, 1, True))
    for key, d in R.get("idle", {}).items():
        if key == "inproc":
            continue
        c = d["qemu"] + d["backend"]
        add(f"idle CPU (QEMU + backend, guest in WFI) ≤ 2 % of one core ({d['label']})",
            f"{c:.2f} %", "≤ 2 %", c <= 2, over(c, 2))
    return out


def tables(R):
    parts = ["## Targets", table(["target", "measured", "limit", "verdict", "margin"],
                                  targets(R))]
    if "mmio" in R:
        m = R["mmio"]
        note = ""
        f, fp = fig(m.get("fast.read")), fig(m.get("fast_posted.read"))
        if f and fp and fp > 5 * f:
            note = (f"\n\nWith posted writes on, reads do not take the fast path "
                    f"({us(fp)} µs instead of {us(f)} µs).")
        parts += ["## Guest MMIO cost per access (µs; ratio to the in-process read/write)",
                  table(["path", "read", "read range", "read ratio", "write",
                         "write range", "write ratio"], mmio_rows(R)) + note]
    if "tx" in R:
        lost = {k: v for k, v in R.get("tx_lost", {}).items() if v}
        note = ("" if not lost else
                "\n\nBytes the host did not receive (the model dropped them when "
                "the pipe to the harness was full; timing is the guest's loop): " +
                ", ".join(f"{k} {v}" for k, v in lost.items()) + ".")
        parts += ["## USART1 transmit from firmware",
                  table(["path", "TX loop polling TXE", "µs/byte",
                         "TDR writes only", "µs/byte"], tx_rows(R)) + note]
    if "irq" in R:
        q = R["irq"]

        def row(label, xs, scale):
            xs = xs or []
            if not xs:
                return [label, "n/a", "", 0]
            return [label, f"{med(xs) * scale:.3g}",
                    f"{min(xs) * scale:.3g}–{max(xs) * scale:.3g}", len(xs)]
        rows = []
        for key, label in R.get("irq_modes", {}).items():
            rows.append(row(f"{label}: TIM6 deadline → first ISR instruction, "
                            "virtual time", q.get(f"{key}_virtual_ns"), 1e-3))
        for key, label in R.get("irq_modes", {}).items():
            rows.append(row(f"{label}: byte into the backend → the ISR's first "
                            "TDR write out, host time", q.get(f"{key}_rx_s"), 1e6))
        rows.append(row("in-process: byte into QEMU's chardev → same, host time",
                        q.get("inproc_rx_s"), 1e6))
        neg = [R["irq_modes"][k] for k in R.get("irq_modes", {})
               if q.get(f"{k}_virtual_ns") and med(q[f"{k}_virtual_ns"]) < 0]
        note = ("" if not neg else
                "\n\nA negative virtual latency means the ISR ran *before* the "
                "timer's period had elapsed in guest time since its CEN write: "
                "the backend started the timer from an older virtual time than "
                "that write's (seen with: " + "; ".join(neg) + "; the CEN write "
                "is posted there).")
        parts += ["## Interrupt latency (µs)",
                  table(["what", "median", "range", "samples"], rows) + note]
    if "boot" in R:
        b = R["boot"]
        names = [("inproc", "in-process b-l475e-iot01a")]
        for key, label in R.get("boot_modes", {}).items():
            names += [(f"{key}_warm", f"vfio-user-mcu, {label}, backend already listening"),
                      (f"{key}_cold", f"vfio-user-mcu, {label}, incl. starting the backend")]
        rows = [[label, f"{med(b[k]) * 1e3:.0f}",
                 f"{min(b[k]) * 1e3:.0f}–{max(b[k]) * 1e3:.0f}", len(b[k])]
                for k, label in names if b.get(k)]
        parts += ["## Boot to greeting (ms, process start → greeting line on the host)",
                  table(["board", "median", "range", "runs"], rows)]
    if "msg" in R:
        rows = [[k, f"{med(v):,.0f}", f"{min(v):,.0f}–{max(v):,.0f}",
                 f"{1e6 / med(v):.3g}", len(v)] for k, v in R["msg"].items() if v]
        parts += ["## Library message throughput (REGION_READ round trips, 4 bytes, "
                  "same client: bench/msg_throughput)",
                  table(["server", "round trips/s", "range", "µs each", "samples"], rows)]
    if "idle" in R:
        rows = [[d["label"], f"{d['qemu']:.3f}", f"{d['backend']:.3f}",
                 f"{d['qemu'] + d['backend']:.3f}"] for d in R["idle"].values()]
        parts += [f"## Idle cost (% of one core, guest in WFI for "
                  f"{R['args']['idle_s']:.0f} s; all threads' schedstat run time)",
                  table(["stack", "QEMU", "backend", "total"], rows)]
    return "\n\n".join(parts)


def profile_section(R):
    p = R.get("profile") or {}
    out = []
    for key, st in (p.get("strace") or {}).items():
        out.append(f"\n**{st['label']}**: system calls per guest read, counted by "
                   f"`strace -f -tt` over exactly one loop of {st['n']} reads of "
                   f"`RCC_CR` (cut at the backend's writes of the loop's markers; "
                   f"strace itself made that loop take {st['seconds']:.1f} s, so "
                   f"only the counts mean something):\n")
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
On the standard path (`qemu/hw/vfio-user/platform.c` on top of QEMU's
`hw/vfio-user/proxy.c`) a guest access is one vfio-user request on the
socket and, unless posted, a wait for its reply while the vCPU thread holds
the BQL; after a non-posted reply QEMU synchronises with the backend's live
part (IRQ levels, clocks, deadline) and tests the IRQ eventfds. The backend
wakes in `epoll_wait`, reads the message, runs the register hook and
`sendmsg`s the reply. The figures below are measured, per guest read, from
one strace'd loop (the QEMU side is being changed, so they describe the
build that ran, not the text above)."""


def path_findings(R):
    st = ((R.get("profile") or {}).get("strace") or {}).get("std")
    m = R.get("mmio", {})
    out = []
    if st:
        b = next((t for t in st["threads"] if t["process"] == "backend"), None)
        if b:
            rt = b["per_read"].get("sendmsg", 0)
            what = ("two round trips (the access, then a `REGION_READ` of the "
                    "live part)" if rt >= 1.5 else "one round trip")
            out.append(f"- The backend sends **{rt:.2f} replies per guest read**: "
                       f"every non-posted access costs {what}.")
        q = [t for t in st["threads"] if t["process"] == "qemu"]

        def top(call):
            t = max(q, key=lambda t: t["per_read"].get(call, 0), default=None)
            return (t.get("comm", "?"), t["per_read"].get(call, 0)) if t else ("?", 0)
        snd, rcv = top("sendmsg"), top("recvmsg")
        out.append(f"- In QEMU, requests are sent by thread `{snd[0]}` "
                   f"({snd[1]:.2f} `sendmsg`/read) and replies received by `{rcv[0]}` "
                   f"({rcv[1]:.2f} `recvmsg`/read; a message takes header, payload "
                   f"and a final EAGAIN). Futex wake-ups per read: " +
                   ", ".join("`%s` %.1f" % (t.get("comm", "?"),
                                            t["per_read"].get("futex", 0)) for t in q) +
                   " — each is a thread hand-off on top of the backend's wake-up.")
        tot = sum(sum(t["per_read"].values()) for t in st["threads"])
        each = ", ".join("%s: %.0f" % (t.get("comm", "?"), sum(t["per_read"].values()))
                         for t in st["threads"])
        out.append(f"- {tot:.0f} system calls per guest read in total ({each}).")
    std, msg = m.get("std.read"), R.get("msg", {}).get("libvup")
    nrt = 1.0
    if st:
        nrt = next((t["per_read"].get("sendmsg", 1.0) for t in st["threads"]
                    if t["process"] == "backend"), 1.0)
    if std and msg:
        rt = 1.0 / med(msg)
        out.append(f"- A bare client→libvup round trip costs {rt * 1e6:.3g} µs "
                   f"(message throughput below); the guest read costs "
                   f"{std['med'] * 1e6:.3g} µs ≈ {std['med'] / rt:.1f} of them"
                   + (f": the {nrt:.0f} round trips per read account for it."
                      if std["med"] / rt <= nrt * 1.25 else
                      f": beyond its {nrt:.0f} round trips, the time goes to "
                      f"QEMU's thread hand-offs and wake-ups."))
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
        out.append(f"- Upstream `vfio-user-pci` makes one round trip per read "
                   f"({up['med'] * 1e6:.3g} µs, {up['med'] / std['med']:.2f}× our "
                   f"standard read) and no live-part synchronisation.")
    fst = ((R.get("profile") or {}).get("strace") or {}).get("fast")
    if fst:
        tot = sum(sum(t["per_read"].values()) for t in fst["threads"])
        each = ", ".join("%s: %.1f" % (t.get("comm", "?"), sum(t["per_read"].values()))
                         for t in fst["threads"])
        f = m.get("fast.read")
        out.append(f"- With the fast path: {tot:.1f} system calls per guest read "
                   f"({each or 'none in any thread'})"
                   + (f", {f['med'] * 1e6:.3g} µs per read." if f else "."))
    perf = (R.get("profile") or {}).get("perf") or ""
    if "finish_task_switch" in "\n".join(perf.splitlines()[:2]):
        out.append("- `perf` agrees: the most samples sit in the scheduler's "
                   "context-switch path (`finish_task_switch`), not in QEMU, "
                   "libvup or the models.")
    return "\n".join(out)


def document(R, plot_path=None):
    m = R["machine"]
    lb, la = m["load_before"], m.get("load_after", m["load_before"])
    ld = "–".join(f"{x:.2f}" for x in m.get("load_1min_during", [])) or "n/a"
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
| 1-min load between benchmarks (min–max) | {ld} |

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
  `vup-stm32l4 --periph rcc,usart1`, in each mode it offers: standard
  (messages only: `--no-fast-path`), `--posted-writes`, the shared-memory
  fast path (the default when the build has one), and both; the standard
  path once more with QEMU and the backend pinned to one CPU (`taskset`).
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
- **Idle**: run time of all threads (`/proc/PID/task/*/schedstat`, ns)
  over the interval, guest in WFI after `hello.elf` printed `ready`.
"""
    method += """
## Caveats

- The fast path spins (`vup-stm32l4 --spin-us`, default 50 µs) in the
  backend and in QEMU's vCPU thread. It needs a free core for each: with
  other load on a 2-core machine the spin loses, each side yields
  (`sched_yield` in the fast-path profile below) and its figures fall
  toward wake-up costs. Read the fast-path rows together with the load
  figures above.
- Wake-up costs depend on the other load: on a quiet machine the idle
  core sleeps deeper and a cross-core wake-up takes longer than on a busy
  one, so the standard path and the message round trips can be *slower*
  when nothing else runs (compare the "pinned to one CPU" row, and this
  file's history: a run at load 5–7 measured 72 µs per standard read and
  11 µs per bare round trip).
- QEMU and the backends are being changed while these benchmarks were
  written; the figures describe the build that ran.
- The upstream reference runs on another board and CPU model (`-M virt`,
  Cortex-A15, an I/O BAR); its in-process PL011 row is the comparison on
  that board.
- Host-time interrupt latency includes the way back out (the ISR's TDR
  write: a round trip on the standard path, posted otherwise) and the
  harness's pipe; the virtual-time figure assumes the 4 MHz reset clock.
- Both USART models drop output the host cannot take at once (see the TX
  note); throughput is timed on the guest's loop, so it is not affected.
- Boot time starts at process start, so it includes QEMU's own start-up
  (the in-process board creates many more devices than the generic one).
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
