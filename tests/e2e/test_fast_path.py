# SPDX-License-Identifier: BSD-3-Clause
"""The fast paths are negotiated and used: QEMU's trace events count the
window accesses that went through the shared-memory mailbox and those that
went over the socket, for each combination of QEMU's fast-path property and
vup-stm32l4 --no-fast-path.  Same firmware output whichever path carries it,
and under -icount the same virtual times."""

import re

import pytest

from conftest import FAST_PATH, GREETING

ICOUNT = ["-icount", "shift=4,align=off,sleep=off"]

# (QEMU fast-path, backend extra) -> what QEMU says it mapped, mailbox used
CASES = [
    ("auto", (), "live part and mailbox mapped", True),
    ("live", (), "live part mapped", False),
    ("off", (), None, False),
    ("auto", ("--no-fast-path",), "no sparse-mmap area", False),
]


def run(stack, qemu_mode, backend_extra, firmware="hello.elf", end=GREETING,
        extra=()):
    trace = stack.tmp / f"fp-{qemu_mode}-{len(backend_extra)}.trace"
    b, sock = stack.backend("fp", periph="rcc,usart1,tim6", stdin=False,
                            extra=backend_extra)
    q = stack.qemu([sock], firmware=firmware,
                   machine_opts=f"fast-path={qemu_mode}",
                   extra=["-trace", "vfio_user_platform_*",
                          "-D", str(trace), *extra])
    assert b.wait_for(end, timeout=30), b.log() if hasattr(b, "log") else b.out
    q.stop()
    return b.out, trace.read_text()


@pytest.mark.skipif(FAST_PATH != "auto",
                    reason="sets the modes itself (default suite run only)")
@pytest.mark.parametrize("qemu_mode,backend_extra,shm,mailbox", CASES)
def test_path_used(stack, qemu_mode, backend_extra, shm, mailbox):
    out, trace = run(stack, qemu_mode, backend_extra)
    assert GREETING in out
    mbox = len(re.findall(r"^vfio_user_platform_mbox ", trace, re.M))
    sock_reads = len(re.findall(r"^vfio_user_platform_read ", trace, re.M))
    said = re.findall(r"^vfio_user_platform_shm .*\) (.*)$", trace, re.M)
    if shm is None:
        assert not said, said
    else:
        assert said and said[0] == shm, said
    # Every read is traced; with the mailbox they all went through it.
    assert sock_reads > 10
    if mailbox:
        assert mbox >= sock_reads, (mbox, sock_reads)
    else:
        assert mbox == 0


@pytest.mark.skipif(FAST_PATH != "auto",
                    reason="sets the modes itself (default suite run only)")
def test_same_virtual_times_on_every_path(stack):
    """Under -icount, TIM2 and the clock tree give the same UART output and
    the same sequence of forwarded accesses and virtual times whether they
    go through the mailbox, the mapped live part or messages only."""
    seen = {}
    for qemu_mode, backend_extra in (("auto", ()), ("live", ()),
                                     ("off", ("--no-fast-path",))):
        out, trace = run(stack, qemu_mode, backend_extra,
                         firmware="clocks.elf", end=b"clocks done",
                         extra=ICOUNT)
        accesses = re.findall(r"^vfio_user_platform_(?:read|write) .*$",
                              trace, re.M)
        vtimes = re.findall(r"^vfio_user_platform_vtime .* vtime (\d+) ns",
                            trace, re.M)
        text = out.decode(errors="replace")
        uart = [ln for ln in text.splitlines() if not ln.startswith("vup")]
        seen[qemu_mode] = (uart, accesses, sorted(set(vtimes)))
        stack.close()
        stack.procs.clear()
    assert seen["auto"][0] == seen["off"][0] == seen["live"][0]
    # QEMU is stopped after the last line at a host-timed point: compare
    # the accesses all three runs made.
    n = min(len(v[1]) for v in seen.values())
    assert n > 100
    assert seen["auto"][1][:n] == seen["off"][1][:n] == seen["live"][1][:n]
