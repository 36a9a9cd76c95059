# SPDX-License-Identifier: BSD-3-Clause
"""The fast paths are negotiated and used: QEMU's trace events count the
window reads served from a register mirror (direct reads), the accesses
that went through the shared-memory mailbox and those that went over the
socket, for each combination of QEMU's fast-path property and vup-stm32l4
--no-fast-path.  Same firmware output whichever path carries it, and under
-icount the same accesses, with the same values."""

import re

import pytest

from conftest import FAST_PATH, GREETING

ICOUNT = ["-icount", "shift=4,align=off,sleep=off"]

# (QEMU fast-path, backend extra) -> what QEMU says it mapped, mailbox
# used, reads served from the mirrors
CASES = [
    ("auto", (), "live part and mailbox mapped", True, True),
    ("mailbox", (), "live part and mailbox mapped", True, False),
    ("direct", (), "live part mapped", False, True),
    ("live", (), "live part mapped", False, False),
    ("off", (), None, False, False),
    ("auto", ("--no-fast-path",), "no sparse-mmap area", False, False),
]

# A forwarded read, a direct read, or a write: "<kind> <window>+0x<off> ..."
ACCESS = re.compile(r"^vfio_user_platform_(read|read_direct|write)\s+(.*)$",
                    re.M)

RCC_CR = "rcc+0x0 "
USART_ISR, USART_RDR = "usart1+0x1c ", "usart1+0x24 "

skip_unless_auto = pytest.mark.skipif(
    FAST_PATH != "auto",
    reason="sets the modes itself (default suite run only)")


def run(stack, qemu_mode, backend_extra, firmware="hello.elf", end=GREETING,
        extra=(), send=None):
    """Runs @firmware until the backend prints @end (then, with @send,
    types it on the backend's stdin and waits for its echo); returns the
    backend's output and QEMU's trace."""
    trace = stack.tmp / f"fp-{qemu_mode}-{len(backend_extra)}.trace"
    b, sock = stack.backend("fp", periph="rcc,usart1,tim6",
                            stdin=send is not None, extra=backend_extra)
    q = stack.qemu([sock], firmware=firmware,
                   machine_opts=f"fast-path={qemu_mode}",
                   extra=["-trace", "vfio_user_platform_*",
                          "-D", str(trace), *extra])
    assert b.wait_for(end, timeout=30), b.log()
    if send is not None:
        mark = len(b.out)
        b.write(send)
        assert b.wait_for(send, timeout=10) and send in b.out[mark:], b.log()
    q.stop()
    return b.out, trace.read_text()


def accesses(trace):
    """(kind, "window+0xoff ", value) of every window access, in order."""
    out = []
    for kind, rest in ACCESS.findall(trace):
        where, _, what = rest.partition(" ")
        out.append((kind, where + " ", what))
    return out


def direct_reads(trace, where=None):
    return [a for a in accesses(trace)
            if a[0] == "read_direct" and (where is None or a[1] == where)]


def forwarded_reads(trace, where=None):
    return [a for a in accesses(trace)
            if a[0] == "read" and (where is None or a[1] == where)]


@skip_unless_auto
@pytest.mark.parametrize("qemu_mode,backend_extra,shm,mailbox,direct", CASES)
def test_path_used(stack, qemu_mode, backend_extra, shm, mailbox, direct):
    out, trace = run(stack, qemu_mode, backend_extra)
    assert GREETING in out
    mbox = len(re.findall(r"^vfio_user_platform_mbox ", trace, re.M))
    sock_reads = len(forwarded_reads(trace))
    n_direct = len(direct_reads(trace))
    said = re.findall(r"^vfio_user_platform_shm .*\) (.*)$", trace, re.M)
    mirrors = re.findall(r"^vfio_user_platform_mirror .* window (\S+): (.*)$",
                         trace, re.M)
    if shm is None:
        assert not said, said
    else:
        assert said and said[0] == shm, said
    # Every read is traced, as forwarded or direct; forwarded reads all
    # went through the mailbox when it is used.
    assert sock_reads + n_direct > 10, (sock_reads, n_direct)
    if mailbox:
        assert mbox >= sock_reads, (mbox, sock_reads)
    else:
        assert mbox == 0
    if direct:
        assert sorted(mirrors) == [("rcc", "mirror mapped"),
                                   ("tim6", "mirror mapped"),
                                   ("usart1", "mirror mapped")], mirrors
        # The greeting's TXE polling is all direct.
        assert len(direct_reads(trace, USART_ISR)) >= len(GREETING), trace
    else:
        assert n_direct == 0 and not mirrors, (n_direct, mirrors)


@skip_unless_auto
def test_same_virtual_times_on_every_path(stack):
    """Under -icount, TIM2 and the clock tree give the same UART output and
    the same sequence of accesses, with the same values, whether reads are
    served from the register mirrors, go through the mailbox, the mapped
    live part's socket path or messages only."""
    seen = {}
    for qemu_mode, backend_extra in (("auto", ()), ("mailbox", ()),
                                     ("direct", ()), ("live", ()),
                                     ("off", ("--no-fast-path",))):
        out, trace = run(stack, qemu_mode, backend_extra,
                         firmware="clocks.elf", end=b"clocks done",
                         extra=ICOUNT)
        # A direct read is the same access as a forwarded one.
        acc = [("read" if k == "read_direct" else k, w, v)
               for k, w, v in accesses(trace)]
        text = out.decode(errors="replace")
        uart = [ln for ln in text.splitlines() if not ln.startswith("vup")]
        seen[qemu_mode] = (uart, acc, len(direct_reads(trace)))
        stack.close()
        stack.procs.clear()
    uarts = {m: v[0] for m, v in seen.items()}
    assert all(u == uarts["off"] for u in uarts.values()), uarts
    assert seen["auto"][2] > 0 and seen["direct"][2] > 0
    assert seen["mailbox"][2] == seen["live"][2] == seen["off"][2] == 0
    # QEMU is stopped after the last line at a host-timed point: compare
    # the accesses all runs made.
    n = min(len(v[1]) for v in seen.values())
    assert n > 100
    for mode, v in seen.items():
        assert v[1][:n] == seen["off"][1][:n], mode


@skip_unless_auto
def test_direct_reads_of_rcc_cr_while_clocks_switch(stack):
    """Firmware that polls RCC_CR for PLLRDY (clocks.elf) reads it from the
    mirror, sees the bit the backend set, and runs to the end with the
    expected clock tree."""
    out, trace = run(stack, "auto", (), firmware="clocks.elf",
                     end=b"clocks done")
    text = out.decode(errors="replace")
    assert "brr=0x000002b6" in text, text      # 80 MHz / 115200
    cr = direct_reads(trace, RCC_CR)
    assert cr, trace
    pllrdy = 1 << 25
    assert any(int(v.split()[1], 16) & pllrdy for _, _, v in cr), cr


@skip_unless_auto
def test_rdr_is_never_read_directly(stack):
    """USART1's ISR is mirrored (hello.elf's TXE and RXNE polling is
    direct), its RDR is not: reading it pops the received byte, so every
    read of RDR is forwarded and the echo is exact."""
    send = b"direct-echo-42"
    out, trace = run(stack, "auto", (), send=send)
    assert send in out
    assert direct_reads(trace, USART_ISR), trace
    assert not direct_reads(trace, USART_RDR), direct_reads(trace, USART_RDR)
    rdr = forwarded_reads(trace, USART_RDR)
    assert len(rdr) >= len(send), rdr


@skip_unless_auto
@pytest.mark.parametrize("qemu_mode", ["auto", "direct"])
def test_read_after_posted_write_is_forwarded(stack, qemu_mode):
    """With posted writes (vup-stm32l4 --posted-writes), a read that
    follows a posted write is forwarded (so it sees what the write did);
    reads are served from the mirror again once a reply came back."""
    out, trace = run(stack, qemu_mode, ("--posted-writes",))
    assert GREETING in out
    acc = accesses(trace)
    posted = [i for i, (k, _, v) in enumerate(acc)
              if k == "write" and v.endswith("posted 1")]
    assert len(posted) >= len(GREETING), acc[:20]
    checked = 0
    for i in posted:
        nxt = next((a for a in acc[i + 1:] if a[0] != "write"), None)
        if nxt is not None:
            assert nxt[0] == "read", (acc[i], nxt)
            checked += 1
    assert checked >= len(GREETING)
    assert direct_reads(trace), "no direct read at all"
