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


def failed(R, scen, key):
    """Why mode @key of scenario @scen was left out (or None)."""
    return (R.get("failed") or {}).get(scen, {}).get(key)


def not_measured(R, scen, key):
    """Cell text for a figure mode @key did not produce (the reason is in
    the table of external modes)."""
    if failed(R, scen, key):
        return "not measured: left out (see External modes)"
    return "not measured"


def mode_opts(d):
    """QEMU and backend options of a mode in R["modes"], as code spans."""
    q = " ".join(d["qemu"])
    return (f"`{q}`" if q else "—",
            f"`{' '.join(d['backend'])}`" if d["backend"] else "(defaults)",
            "all" if d["pin"] is None else f"`taskset -c {d['pin']}` (both)")


SCENARIOS = ("mmio", "tx", "irq", "boot", "idle", "profile")


def modes_table(R):
    rows = []
    for key, d in (R.get("modes") or {}).items():
        q, b, cpu = mode_opts(d)
        ran = [s for s in SCENARIOS if key in (R.get(f"{s}_modes") or {})]
        out = [s for s in ran if failed(R, s, key)]
        status = ", ".join(ran) or "—"
        if out:
            reasons = sorted({failed(R, s, key) for s in out})
            status += f"; **left out** in {', '.join(out)}: " + "; ".join(reasons)
        rows.append([f"`{key}`", d["label"].removeprefix("external, "), q, b, cpu,
                     d.get("note", ""), status])
    return table(["key", "mode", "QEMU options", "backend options (vup-stm32l4)",
                  "CPUs", "what it is", "benchmarks (this run)"], rows)


def mmio_rows(R):
    m = R.get("mmio", {})
    base_r = fig(m.get("inproc.read"))
    base_w = fig(m.get("inproc.write"))
    rows = []
    for key, label in R.get("mmio_modes", {}).items():
        r, w = m.get(f"{key}.read"), m.get(f"{key}.write")
        if not r and not w and key != "inproc":
            rows.append([label, not_measured(R, "mmio", key), "", "", "", "", ""])
            continue
        rows.append([label, us(fig(r)), rng(r), fmt_ratio(ratio(fig(r), base_r)),
                     us(fig(w)), rng(w), fmt_ratio(ratio(fig(w), base_w))])
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


def short_loops(R):
    """MMIO figures whose longest loop stayed under --min-dt because the
    other op of the same firmware run was much slower (run.py done_ops)."""
    m, lim = R.get("mmio", {}), R["args"]["min_dt"]
    out = []
    for key, label in R.get("mmio_modes", {}).items():
        for op in ("read", "write"):
            x = m.get(f"{key}.{op}")
            if x and x.get("dt") is not None and x["dt"] < lim:
                out.append(f"{label.removeprefix('external, ')}: {op}s "
                           f"({x['dt'] * 1e3:.3g} ms)")
    if not out:
        return ""
    return ("\n\nShorter loops than `--min-dt` "
            f"({lim:g} s): the firmware runs reads and writes at the same n, so "
            "when one of them is much slower the run stops once the slow one's "
            "loop lasts 4× `--min-dt`, and the fast one is timed on the longest "
            "loop it has (the shortest such loop of all runs): " +
            "; ".join(out) + ".")


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
        if not p and not r and key != "inproc":
            rows.append([label, not_measured(R, "tx", key), "", "", ""])
            continue
        rows.append([label, fmt_bps(bps(p)), us(fig(p)), fmt_bps(bps(r)), us(fig(r))])
    return rows


def best_ext(table_modes, prefer, have=lambda k: True):
    """The first of @prefer that the run has (and measured, by @have)."""
    return next((k for k in prefer if k in table_modes and have(k)), None)


def targets(R):
    m, out = R.get("mmio", {}), []
    mm = R.get("mmio_modes", {})

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

    def absent(scen, key, modes):
        """What to print when mode @key has no figure."""
        if key not in modes:
            return "not in this run"
        return not_measured(R, scen, key)

    std, up = fig(m.get("std.read")), fig(m.get("upstream.read"))
    r = ratio(std, up)
    add("standard-path read ≤ ½ upstream vfio-user-pci read (`std`: "
        "fast-path=live, one round trip per read)",
        f"{us(std)} µs vs {us(up)} µs ({fmt_ratio(r)})" if std is not None
        else absent("mmio", "std", mm), "≤ 0.5×",
        None if r is None else r <= 0.5, over(r, 0.5))
    base = fig(m.get("inproc.read"))
    for key, what in (("direct", "direct-mapped reads: fast-path=direct"),
                      ("mbox", "mailbox: fast-path=mailbox")):
        fast = fig(m.get(f"{key}.read"))
        r = ratio(fast, base)
        add(f"fast-path read ≤ 5× in-process read (`{key}`: {what})",
            f"{us(fast)} µs vs {us(base)} µs ({fmt_ratio(r)})" if fast is not None
            else absent("mmio", key, mm), "≤ 5×",
            None if r is None else r <= 5, over(r, 5))
    t, tm = R.get("tx", {}), R.get("tx_modes", {})
    if "tx" in R:
        # The first posted-write mode that has figures (or, failing that, the
        # first one that ran, to say why it has none).
        pref = ("auto_post", "mbox_post", "std_post")
        k = (best_ext(tm, pref, lambda k: t.get(f"{k}.txraw"))
             or best_ext(tm, pref))
        for op, what in (("txraw", "TDR writes"), ("txpoll", "TX loop polling TXE")):
            b = bps(t.get(f"{k}.{op}"))
            add(f"posted writes ≥ 1 MB/s ({what}; "
                + (f"`{k}`)" if k else "no posted-write mode in this run)"),
                fmt_bps(b) if b is not None or not k else not_measured(R, "tx", k),
                "≥ 1 MB/s", None if b is None else b >= 1e6,
                "" if b is None else over(b / 1e6, 1, True))
    bt = R.get("boot", {})
    bi = med(bt.get("inproc"))
    for key, label in R.get("boot_modes", {}).items():
        for sfx, what in (("warm", "backend already listening"),
                          ("cold", "incl. backend start")):
            b = med(bt.get(f"{key}_{sfx}"))
            r = ratio(b, bi)
            add(f"boot-to-greeting ≤ 1.5× in-process (`{key}`, {what})",
                f"{b * 1e3:.0f} ms vs {bi * 1e3:.0f} ms ({fmt_ratio(r)})"
                if r is not None else not_measured(R, "boot", key),
                "≤ 1.5×", None if r is None else r <= 1.5, over(r, 1.5))
    ms = R.get("msg", {})
    if ms:
        a, b = med(ms.get("libvup")), med(ms.get("libvfio-user"))
        r = ratio(a, b)
        add("libvup REGION_READ throughput ≥ libvfio-user's (default options)",
            "n/a" if r is None else f"{a:,.0f}/s vs {b:,.0f}/s ({fmt_ratio(r)})",
            "≥ 1×", None if r is None else r >= 1, over(r, 1, True))
    idle = R.get("idle", {})
    for key in R.get("idle_modes", {}):
        d = idle.get(key)
        if not d:
            add(f"idle CPU (QEMU + backend, guest in WFI) ≤ 2 % of one core (`{key}`)",
                not_measured(R, "idle", key), "≤ 2 %", None, "")
            continue
        c = d["qemu"] + d["backend"]
        add(f"idle CPU (QEMU + backend, guest in WFI) ≤ 2 % of one core (`{key}`)",
            f"{c:.2f} %", "≤ 2 %", c <= 2, over(c, 2))
    return out


def tables(R):
    parts = ["## Targets", table(["target", "measured", "limit", "verdict", "margin"],
                                  targets(R))]
    if R.get("modes"):
        parts += ["## External modes",
                  "Every external row runs `qemu-system-arm -M vfio-user-mcu` with "
                  "`vup-stm32l4 --periph rcc,usart1` (`rcc,usart1,tim6` for the "
                  "interrupt benchmark) and these options; the labels in the "
                  "tables below are the \"mode\" column, prefixed \"external\".",
                  modes_table(R)]
    if "mmio" in R:
        m = R["mmio"]
        slow = []
        for key in ("std", "mbox", "auto"):
            f, fp = fig(m.get(f"{key}.read")), fig(m.get(f"{key}_post.read"))
            if f and fp and fp > 3 * f:
                slow.append(f"`{key}_post` {us(fp)} µs against `{key}` {us(f)} µs")
        note = ("" if not slow else
                "\n\nWith posted writes on, reads cost more than without: " +
                "; ".join(slow) + ".")
        parts += ["## Guest MMIO cost per access (µs; ratio to the in-process read/write)",
                  table(["path", "read", "read range", "read ratio", "write",
                         "write range", "write ratio"], mmio_rows(R))
                  + note + short_loops(R)]
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

        def row(label, xs, scale, key=None):
            xs = xs or []
            if not xs:
                return [label, "n/a" if key is None else not_measured(R, "irq", key),
                        "", 0]
            return [label, f"{med(xs) * scale:.3g}",
                    f"{min(xs) * scale:.3g}–{max(xs) * scale:.3g}", len(xs)]
        rows = []
        for key, label in R.get("irq_modes", {}).items():
            rows.append(row(f"{label}: TIM6 deadline → first ISR instruction, "
                            "virtual time", q.get(f"{key}_virtual_ns"), 1e-3, key))
            rows.append(row(f"{label}: in-process SysTick reload → first ISR "
                            "instruction, virtual time (same QEMU)",
                            q.get(f"{key}_systick_ns"), 1e-3, key))
        ic = q.get("icount") or {}
        for what, runs in (("TIM6 deadline", ic.get("virtual_ns") or []),
                           ("in-process SysTick reload (same QEMU)",
                            ic.get("systick_ns") or [])):
            if not runs:
                continue
            same = ("the same sample for sample on all "
                    f"{len(runs)} runs" if all(r == runs[0] for r in runs)
                    else "runs differ")
            rows.append(row(f"{ic['label']}, `-icount {ic['option']}`: {what} → "
                            f"first ISR instruction, virtual time ({same})",
                            [x for r in runs for x in r], 1e-3))
        for key, label in R.get("irq_modes", {}).items():
            rows.append(row(f"{label}: byte into the backend → the ISR's first "
                            "TDR write out, host time", q.get(f"{key}_rx_s"), 1e6, key))
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
        if ic.get("virtual_ns"):
            note += ("\n\nUnder `-icount` a TIM6 sample counts from the SysTick "
                     "read that `firmware/bench_irq.c` takes two instructions "
                     "before the CEN store that starts the timer (`ldr`, "
                     "`movs`, `str`): at shift 8 (256 ns an instruction, a "
                     "SysTick tick 250 ns) that is 0.5 µs, so a TIM6 figure "
                     "0.5 µs (± one 250 ns tick) above SysTick's is the same "
                     "number of instructions after its deadline.")
        parts += ["## Interrupt latency (µs)",
                  table(["what", "median", "range", "samples"], rows) + note]
    if "boot" in R:
        b = R["boot"]
        rows = []
        if b.get("inproc"):
            rows.append(["in-process b-l475e-iot01a", *boot_cells(b["inproc"])])
        for key, label in R.get("boot_modes", {}).items():
            for sfx, what in (("warm", "backend already listening"),
                              ("cold", "incl. starting the backend")):
                xs = b.get(f"{key}_{sfx}")
                rows.append([f"vfio-user-mcu, {label}, {what}",
                             *(boot_cells(xs) if xs else
                               [not_measured(R, "boot", key), "", 0])])
        parts += ["## Boot to greeting (ms, process start → greeting line on the host)",
                  table(["board", "median", "range", "runs"], rows)]
    if "msg" in R:
        names = R.get("msg_servers") or {k: k for k in R["msg"]}
        rows = [[names.get(k, k), f"{med(v):,.0f}", f"{min(v):,.0f}–{max(v):,.0f}",
                 f"{1e6 / med(v):.3g}", len(v)] for k, v in R["msg"].items() if v]
        a, z = med(R["msg"].get("libvup")), med(R["msg"].get("libvup_nospin"))
        note = ""
        if a and z:
            note = (f"\n\nlibvup polls for the next request after each reply "
                    f"(default 50 µs); with `--spin-us 0` it does "
                    f"{fmt_ratio(z / a)} the default's round trips/s in this "
                    f"run.")
        parts += ["## Library message throughput (REGION_READ round trips, 4 bytes, "
                  "same client: bench/msg_throughput)",
                  table(["server", "round trips/s", "range", "µs each", "samples"],
                        rows) + note]
    if "stacks" in R:
        parts += [stacks_section(R)]
    if "idle" in R:
        rows = [[d["label"], f"{d['qemu']:.3f}", f"{d['backend']:.3f}",
                 f"{d['qemu'] + d['backend']:.3f}"] for d in R["idle"].values()]
        rows += [[label, not_measured(R, "idle", k), "", ""]
                 for k, label in R.get("idle_modes", {}).items() if k not in R["idle"]]
        parts += [f"## Idle cost (% of one core, guest in WFI for "
                  f"{R['args']['idle_s']:.0f} s; all threads' schedstat run time)",
                  table(["stack", "QEMU", "backend", "total"], rows)]
    return "\n\n".join(parts)


def stacks_section(R):
    st, counts = R["stacks"], R.get("stacks_counts", [1, 16])
    lo, hi = counts[0], counts[-1]
    up_hi = fig(st.get(f"upstream.{hi}"))
    rows = []
    for key, label in R.get("stacks_modes", {}).items():
        cells = []
        for n in counts:
            x = st.get(f"{key}.{n}")
            cells += [us(fig(x)), rng(x)] if x else [not_measured(R, "stacks", key), ""]
        a, b = fig(st.get(f"{key}.{lo}")), fig(st.get(f"{key}.{hi}"))
        rows.append([label, *cells, fmt_ratio(ratio(b, a)),
                     fmt_ratio(ratio(b, up_hi)) if key != "upstream" else ""])
    head = ["path"]
    for n in counts:
        head += [f"{n} stack{'s' if n > 1 else ''}", "range"]
    head += [f"{hi}/{lo}", f"{hi} stacks vs upstream"]
    return (f"## Standard read with concurrent stacks (µs per read; {hi} stacks "
            f"on {R['machine']['nproc']} CPUs)\n\n"
            f"Each stack is one QEMU and its backend running `bench_mmio.elf` "
            f"(upstream: one `-M virt` QEMU and its `gpio-pci-idio-16` running "
            f"`bench_virt_pio.elf`), all started at once; a figure is the median "
            f"over the stacks of each one's median, the range that of all their "
            f"samples (under this load a stack's long loop can take less time "
            f"than its short one, hence negative ends).\n\n" + table(head, rows) + stacks_note(st, hi))


def stacks_note(st, hi):
    """What the table says about polling under load, from its figures."""
    a, f, z, u = (fig(st.get(f"{k}.{hi}"))
                  for k in ("std", "std_fixed", "std_nospin", "upstream"))
    if not (a and f and z and u):
        return ""
    return (f"\n\nWith {hi} stacks, adaptive polling costs {a / f:.2f}× fixed "
            f"polling and {a / z:.2f}× no polling per read, and "
            f"{a / u:.2f}× upstream's read. A poll that yields its CPU to "
            f"another thread keeps its length (it costs no more than sleeping "
            f"and still saves the wake-up); one that runs its full length on "
            f"a CPU nobody else wanted, for a request that comes later than "
            f"spin-us, shrinks. On {hi} stacks these figures move by 20 % and "
            f"more from run to run: compare them within one run.")


def boot_cells(xs):
    return [f"{med(xs) * 1e3:.0f}", f"{min(xs) * 1e3:.0f}–{max(xs) * 1e3:.0f}", len(xs)]


def secs(x):
    return f"{x:.3g} s" if x >= 1 else f"{x * 1e3:.3g} ms"


def profile_section(R):
    p = R.get("profile") or {}
    out = []
    for key, label in (R.get("profile_modes") or {}).items():
        st = (p.get("strace") or {}).get(key)
        if not st:
            out.append(f"\n**{label}** (`{key}`): strace profile "
                       f"{not_measured(R, 'profile', key)}.")
            continue
        head = (f"\n**{label}** (`{key}`): system calls per guest read, counted by "
                f"`strace -f -tt` over exactly one loop of {st['n']} reads of "
                f"`RCC_CR` (cut at the backend's writes of the loop's markers; "
                f"strace itself made that loop take {secs(st['seconds'])}, "
                f"so only the counts mean something)")
        if not st["threads"]:
            out.append(head + ": none, in any thread of QEMU or the backend.")
            continue
        out.append(head + ":\n")
        rows = []
        for th in st["threads"]:
            calls = ", ".join(f"{k} {v:.2f}" for k, v in th["per_read"].items()
                              if v >= 0.05)
            rows.append([th["process"], th.get("comm", "?"),
                         f"{sum(th['per_read'].values()):.1f}", calls])
        out.append(table(["process", "thread", "syscalls/read", "breakdown"], rows))
    if p.get("perf"):
        label = (R.get("profile_modes") or {}).get("std", "standard")
        out.append(f"\n`perf record` of QEMU and the backend (all threads) during "
                   f"the read loops of {label} (samples ≥ 1.5 %, by process, "
                   f"object, symbol):\n")
        out.append("```\n" + p["perf"].strip()[:4000] + "\n```")
    return "\n".join(out)


PATH_NOTE = """\
How an external access travels (`qemu/hw/vfio-user/platform-io.c` on top of
QEMU's `hw/vfio-user/proxy.c`; backend: libvup), by mode:

- **messages only** (`fast-path=off`, the compatibility path for backends
  that offer no shared memory): the access is one vfio-user request on the
  socket and, unless posted, the vCPU thread waits for its reply holding
  the BQL; QEMU then reads the backend's live part (IRQ levels, clocks,
  next deadline) with a second request, a `REGION_READ`: two round trips
  per non-posted access.
- **standard** (`fast-path=live`): QEMU maps the live part and reads it
  from shared memory after the reply: one round trip per non-posted
  access. Both sides poll before they sleep (for up to `spin-us`, default
  50 µs, and less while polling does not pay: `spin-adaptive`): QEMU's
  vCPU thread for the reply, the backend for the next request after a
  reply; *fixed polling* polls the whole 50 µs every time, *no polling*
  sets both to 0.
- **direct-mapped reads** (`fast-path=direct`): reads of registers without
  a read hook (`RCC_CR` is one) come from a read-only mirror of the
  backend's register window in shared memory, with no message; other
  accesses go by messages as on the standard path.
- **mailbox** (`fast-path=mailbox`): requests and replies go through a
  shared-memory mailbox that the backend polls, with an eventfd doorbell
  when it sleeps; no direct reads.
- **fast path, all** (`fast-path=auto`, QEMU's default): direct-mapped
  reads where the backend offers them, the mailbox for the rest.

On the message paths the backend wakes in `epoll_wait`, reads the message,
runs the register hook and `sendmsg`s the reply. The findings below are
computed from this run: system calls per guest read from one strace'd
loop per profiled mode, and the per-read times above."""


def backend_replies(st):
    """Replies the backend sent per guest read (its sendmsg calls)."""
    b = next((t for t in st["threads"] if t["process"] == "backend"), None)
    return b["per_read"].get("sendmsg", 0.0) if b else 0.0


def trips(n):
    n = round(n)
    return "no round trip" if n == 0 else "one round trip" if n == 1 else \
        f"{n} round trips"


def path_findings(R):
    prof = (R.get("profile") or {}).get("strace") or {}
    m = R.get("mmio", {})
    out = []
    for key, st in prof.items():
        label = st.get("label", key)
        if not st["threads"]:
            f = m.get(f"{key}.read")
            out.append(f"- **{label}** (`{key}`): no system call in any thread of "
                       f"QEMU or the backend during {st['n']} guest reads"
                       + (f"; {f['med'] * 1e6:.3g} µs per read." if f else "."))
            continue
        rt = backend_replies(st)
        tot = sum(sum(t["per_read"].values()) for t in st["threads"])
        each = ", ".join("%s: %.1f" % (t.get("comm", "?"), sum(t["per_read"].values()))
                         for t in st["threads"])
        out.append(f"- **{label}** (`{key}`): the backend sends **{rt:.2f} replies "
                   f"per guest read** ({trips(rt)} per read); {tot:.0f} system "
                   f"calls per read in total ({each}).")
        q = [t for t in st["threads"] if t["process"] == "qemu"]

        def top(call):
            t = max(q, key=lambda t: t["per_read"].get(call, 0), default=None)
            return (t.get("comm", "?"), t["per_read"].get(call, 0)) if t else ("?", 0)
        snd, rcv = top("sendmsg"), top("recvmsg")
        if snd[1] or rcv[1]:
            out.append(f"  In QEMU, requests are sent by thread `{snd[0]}` "
                       f"({snd[1]:.2f} `sendmsg`/read) and replies received by "
                       f"`{rcv[0]}` ({rcv[1]:.2f} `recvmsg`/read; a message takes "
                       f"header, payload and a final EAGAIN). Futex calls per read: " +
                       ", ".join("`%s` %.1f" % (t.get("comm", "?"),
                                                t["per_read"].get("futex", 0))
                                 for t in q) +
                       " — each is a thread hand-off on top of the backend's wake-up.")
        polls = [(t.get("comm", "?"), t["per_read"].get("sched_yield", 0))
                 for t in st["threads"] if t["per_read"].get("sched_yield", 0) >= 0.05]
        if polls:
            out.append("  `sched_yield` per read (a polling side giving its CPU "
                       "away while it waits): " +
                       ", ".join(f"`{c}` {n:.2f}" for c, n in polls) +
                       "; the backend's `epoll_wait` calls beyond one per reply are "
                       "its polls.")
    std, msg = m.get("std.read"), m.get("msg.read")
    nstd = backend_replies(prof["std"]) if "std" in prof else None
    if std and msg:
        r = msg["med"] / std["med"]
        out.append(f"- **Messages only** (`msg`): {msg['med'] * 1e6:.3g} µs per read, "
                   f"{r:.2f}× the standard read ({std['med'] * 1e6:.3g} µs): the "
                   f"`REGION_READ` of the live part after each access makes it "
                   f"two round trips"
                   + (f" against the standard path's {nstd:.2f} measured above"
                      if nstd is not None else "") + ".")
    rtm = med((R.get("msg") or {}).get("libvup"))
    if std and rtm:
        rt = 1.0 / rtm
        n = nstd if nstd else 1.0
        out.append(f"- A bare client→libvup round trip costs {rt * 1e6:.3g} µs "
                   f"(message throughput above); the standard guest read costs "
                   f"{std['med'] * 1e6:.3g} µs ≈ {std['med'] / rt:.1f} of them"
                   + (f": its {trips(n)} per read accounts for it."
                      if std["med"] / rt <= n * 1.25 else
                      f": beyond its {trips(n)} per read, the time goes to "
                      f"QEMU's thread hand-offs and wake-ups."))
    nospin = m.get("std_nospin.read")
    if std and nospin:
        d = nospin["med"] - std["med"]
        out.append(f"- Without polling (`std_nospin`, spin-us 0 on both sides) a "
                   f"standard read costs {nospin['med'] * 1e6:.3g} µs "
                   f"({nospin['med'] / std['med']:.2f}× the polled one): "
                   + (f"the wake-ups that polling avoids cost {d * 1e6:.3g} µs "
                      f"per read." if d > 0 else
                      "polling saves nothing in this run."))
    pin = m.get("std_1cpu.read")
    if std and pin:
        out.append(f"- Pinning QEMU and the backend to one CPU (`std_1cpu`) gives "
                   f"{pin['med'] * 1e6:.3g} µs per read ({pin['med'] / std['med']:.2f}× "
                   + ("the unpinned figure): on one CPU a polling side holds the "
                      "CPU the other side needs to answer until it yields or "
                      "sleeps."
                      if pin["med"] / std["med"] > 1.2 else
                      "the unpinned figure): cross-core wake-ups are not the main "
                      "cost." if pin["med"] / std["med"] > 0.8 else
                      "the unpinned figure): cross-core wake-ups are a large part."))
    up = m.get("upstream.read")
    if up and std:
        out.append(f"- Upstream `vfio-user-pci` makes one round trip per read "
                   f"({up['med'] * 1e6:.3g} µs, {up['med'] / std['med']:.2f}× our "
                   f"standard read), without polling.")
    base = m.get("inproc.read")
    fast = [(k, m[f"{k}.read"]) for k in ("direct", "mbox", "auto")
            if m.get(f"{k}.read")]
    if fast and base:
        out.append("- Without messages: " + "; ".join(
            f"`{k}` {x['med'] * 1e6:.3g} µs per read ({x['med'] / base['med']:.2f}× "
            f"in-process)" for k, x in fast) +
            f" — the in-process read costs {base['med'] * 1e6:.3g} µs.")
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
    timing = ", ".join(f"{k} {v:.3g} s" for k, v in (R.get("timing") or {}).items()) \
        or "n/a"
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
| time per benchmark | {timing} |

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
  one 4× shorter, so the markers' cost cancels. Reads and writes run at the
  same n, so when one is far slower than the other (direct-mapped reads
  next to writes by messages, or reads next to posted writes) the run stops
  once the slow one's loop lasts 4× `--min-dt` and the fast one uses the
  longest loop it has (noted under the table). The same ELF runs on
  `b-l475e-iot01a` (QEMU's own RCC/USART) and on `vfio-user-mcu` with
  `vup-stm32l4 --periph rcc,usart1` in each external mode of the table
  above: QEMU's `fast-path` property picks which of the backend's shared
  memory QEMU uses (none, the live part, direct-mapped reads, the mailbox,
  or all), `spin-us` and `spin-adaptive` on both sides how long each
  polls before sleeping,
  `--posted-writes` whether writes wait for a reply, and `taskset` pins
  both processes to one CPU.
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
  (250 ns resolution). The reference, in the same QEMU: the core's own
  SysTick interrupt after a 1 ms reload, its ISR's first act reading CVR
  (ticks since the reload). The goal: TIM6 no later than SysTick. Under
  `-icount` (standard mode, two runs) the same, where runs must give the
  same figures sample for sample. Host time: a byte written to the USART's input,
  echoed by the RX ISR, timed until it comes back out (so it includes the
  TDR write out); in-process via QEMU's `-serial mon:stdio`.
- **Boot**: `hello.elf`, from starting QEMU (or the backend) to the greeting
  line arriving on the host.
- **Concurrent stacks**: 1, then 16 stacks started at once, each a QEMU
  and its backend running the MMIO firmware (upstream: a `-M virt` QEMU
  and its `gpio-pci-idio-16` running the upstream reference), in the
  standard mode with adaptive, fixed and no polling; each stack's read
  slope as above, then the median over the stacks.
- **Message throughput** (`bench/msg_throughput.c`, libvup's client):
  4-byte `REGION_READ` round trips for 2 s against `vup-stm32l4` (RCC
  window; with its default options, which poll 50 µs for the next request
  after a reply, and with `--spin-us 0`) and against `gpio-pci-idio-16`
  (BAR2, which does not poll), same client binary.
- **Profile**: `strace -f -tt` on QEMU and the backend over one read loop
  of the standard and the fast-path-all modes (system calls per read), and
  `perf record` of both during the standard mode's read loops.
- **Idle**: run time of all threads (`/proc/PID/task/*/schedstat`, ns)
  over the interval, guest in WFI after `hello.elf` printed `ready`.
"""
    method += """
## Caveats

- Polling (`spin-us`, up to 50 µs by default on both sides) needs a free
  core for each side: the vCPU thread polls for the reply (socket or
  mailbox) and the backend for the next request. With other load on a
  2-core machine the poll loses, each side yields (`sched_yield` in the
  profile below) and the figures fall toward the *no polling* row. Read the
  standard and mailbox rows together with the load figures above.
- Wake-up costs depend on the other load: on a quiet machine the idle
  core sleeps deeper and a cross-core wake-up takes longer than on a busy
  one, so the *no polling* and upstream rows and the message round trips
  can be *slower* when nothing else runs (compare the pinned row).
- Direct-mapped reads involve neither a message nor the backend: QEMU
  reads a read-only mirror in which libvup stores a register's value
  whenever it changes. Only registers without a read hook (no read side
  effect, no value computed at read time; `RCC_CR` is one) are mirrored;
  the same mode's writes, and every access to other registers, go by
  messages. The fast-path-all mode reads `RCC_CR` the same way, so the
  `RCC_CR` loop says little about the mailbox inside that mode: the
  mailbox mode's row does.
- QEMU and the backends are being changed while these benchmarks were
  written; the figures describe the build that ran.
- The upstream reference runs on another board and CPU model (`-M virt`,
  Cortex-A15, an I/O BAR); its in-process PL011 row is the comparison on
  that board.
- Host-time interrupt latency includes the way back out (the ISR's TDR
  write: a round trip without posted writes, posted otherwise) and the
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
