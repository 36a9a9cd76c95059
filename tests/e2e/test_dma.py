# SPDX-License-Identifier: BSD-3-Clause
"""DMA by a backend (issue 10, item 2): vup-stm32l4's DMA1 copies guest
SRAM1 to SRAM1 (firmware/dma.c checks every word), once with the board's
RAM shared (its default, aux-ram-share=on: DMA_MAP carries fds, the
backend copies with memcpy and sends no DMA_READ/WRITE) and once without
(aux-ram-share=off, anonymous RAM: the backend asks QEMU with
DMA_READ/DMA_WRITE).  A destination outside
the board's RAM is refused with an error naming the address, the
firmware sees TEIF with EN cleared, and QEMU keeps running."""

import re

import pytest

BAD = b"0x60000000"


def run_dma(stack, machine_opts=""):
    b, sock = stack.backend("dma", periph="usart1,rcc,dma1", extra=("-v",),
                            stdin=False)
    q = stack.qemu([sock], firmware="dma.elf", machine_opts=machine_opts)
    assert b.wait_for(b"done\r\n", timeout=60), \
        f"firmware did not finish\n{stack.logs()}"
    out = b.out.decode()
    assert "dma: words=64 ok=1" in out, out
    assert "dma: widen=16 ok=1" in out, out
    assert "dma: bad-address teif=1 en=0 tcif=0" in out, out
    # The refusal names the peripheral, the address and what is mapped.
    err = b.err.decode(errors="replace")
    assert re.search(r"dma1: DMA write of 0x100 bytes at 0x60000000: "
                     r"0x60000000 is not in guest memory the client mapped "
                     r"\(mapped: .*0x20000000\+0x18000 rw", err), err
    assert q.p.poll() is None, f"QEMU exited\n{stack.logs()}"
    return err


@pytest.mark.parametrize("shared", [True, False], ids=["memcpy", "messages"])
def test_dma_mem2mem(stack, shared):
    err = run_dma(stack, "" if shared else "aux-ram-share=off")
    maps = re.findall(r"DMA_MAP iova (0x[0-9a-f]+) size (0x[0-9a-f]+) (\w+), "
                      r"(.*)", err)
    sram1 = [m for m in maps if m[0] == "0x20000000"]
    assert sram1 and sram1[0][1] == "0x18000" and sram1[0][2] == "rw", maps
    requests = re.findall(r"dma1: (DMA_READ|DMA_WRITE) request id", err)
    copies = re.findall(r"dma1: DMA (read|write) by memcpy", err)
    if shared:
        assert all(m[3] == "mmap'd from its fd" for m in maps), maps
        assert not requests, err
        # Two good transfers (a read and a write each), the bad one's read.
        assert len(copies) == 5, err
    else:
        assert all(m[3].startswith("no fd") for m in maps), maps
        assert not copies, err
        assert requests == ["DMA_READ", "DMA_WRITE"] * 2 + ["DMA_READ"], err
        assert len(re.findall(r"dma1: DMA_(READ|WRITE) reply id", err)) == 5
