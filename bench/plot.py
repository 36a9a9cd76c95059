#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Plot of bench/run.py's results: guest MMIO cost per access for every path
(log scale, with min-max whiskers), coloured by the way the access went.
`python3 bench/plot.py results.json out.png`."""

import argparse
import json
import sys


COLORS = {"in-process": "tab:blue", "external, by messages": "tab:orange",
          "external, through shared memory": "tab:green",
          "upstream vfio-user-pci": "tab:red"}


def bar_color(key, op):
    """By the path the access takes: in-process, messages (the standard
    modes; the direct-mapped mode's writes), or shared memory."""
    if key == "inproc":
        return COLORS["in-process"]
    mode = key.split("_")[0]
    if mode in ("mbox", "auto") or (mode == "direct" and op == "read"):
        return COLORS["external, through shared memory"]
    return COLORS["external, by messages"]


def plot(R, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = R.get("mmio", {})
    bars = []
    for key, label in R.get("mmio_modes", {}).items():
        for op in ("read", "write"):
            if m.get(f"{key}.{op}"):
                bars.append((f"{label}: {op}", m[f"{key}.{op}"], bar_color(key, op)))
    for key, label, color in (("upstream.read", "upstream vfio-user-pci: read",
                               COLORS["upstream vfio-user-pci"]),
                              ("virt_inproc.read", "-M virt in-process PL011: read",
                               COLORS["in-process"])):
        if m.get(key):
            bars.append((label, m[key], color))
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(bars) + 1.5))
    y = range(len(bars))
    vals = [b[1]["med"] * 1e6 for b in bars]
    # A noisy slope can come out negative; a log axis cannot show it.
    lo = [v - max(b[1]["min"] * 1e6, v / 100) for v, b in zip(vals, bars)]
    hi = [max(b[1]["max"] * 1e6 - v, 0) for v, b in zip(vals, bars)]
    ax.barh(list(y), vals, xerr=[lo, hi], color=[b[2] for b in bars], capsize=3)
    ax.set_yticks(list(y))
    ax.set_yticklabels([b[0] for b in bars], fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(right=max(v + h for v, h in zip(vals, hi)) * 6)
    ax.set_xlabel("µs per guest access (log scale; median, min–max)")
    from matplotlib.patches import Patch
    used = {b[2] for b in bars}
    ax.legend(handles=[Patch(color=c, label=n) for n, c in COLORS.items() if c in used],
              fontsize=7, loc="upper right")
    for i, (v, h) in enumerate(zip(vals, hi)):
        ax.text((v + h) * 1.2, i, f"{v:.3g} µs", va="center", fontsize=7)
    mc = R.get("machine", {})
    ax.set_title(f"Guest MMIO cost per access — {mc.get('nproc', '?')} cores, "
                 f"{mc.get('cpu', '')[:40]}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("results", help="JSON written by bench/run.py")
    ap.add_argument("out", help="PNG to write")
    a = ap.parse_args()
    plot(json.load(open(a.results)), a.out)


if __name__ == "__main__":
    sys.exit(main())
