#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A deliberately misbehaving vfio-user backend for negative end-to-end tests.

It speaks just enough vfio-user (VERSION, DMA_MAP/UNMAP, DEVICE_GET_INFO,
GET_REGION_INFO, GET_IRQ_INFO, SET_IRQS, REGION_READ/WRITE, DEVICE_RESET) to
get QEMU's vfio-user-platform device to read its control region, and
misbehaves in one named way (--mutate):

* control-region mutations serve a description broken in that way;
* protocol mutations (region-info-*, irq-info-*, version-*) break a reply
  during negotiation;
* run-time mutations (reply-*, stall, die-*, error-reply, live-*) serve a
  valid device and misbehave on the first guest read of the window (or,
  for live-*, on the first read of the live part);
* signal modes (signals-*) serve a valid 1.5 device with signal groups
  whose lines follow window registers (see SIGNAL_MODES);
* mirror mutations (mirror-*) serve a valid device whose window is
  DIRECT_MAPPED with one DIRECT range over all of it, and offer its
  read-only mirror (a memfd whose words all read MIRROR_WORD, while
  REGION_READ of the window gives 0) in the region info, correctly for
  mirror-ok and broken in one way otherwise.

The layout below mirrors include/vup/control-region.h (whose _Static_asserts
pin the sizes used here); it exists only to produce *wrong* bytes on purpose.

  rogue_backend.py --socket PATH [--mutate NAME] [--base ADDR] [--line N]
                   [--list]

--base and --line move the window and its NVIC line (to fit a board).
"""

import argparse
import json
import os
import socket
import struct
import sys
import tempfile
import time

# vfio-user
HDR = struct.Struct("<HHIII")
VERSION, DMA_MAP, DMA_UNMAP, GET_INFO, GET_REGION_INFO = 1, 2, 3, 4, 5
GET_IRQ_INFO, SET_IRQS, REGION_READ, REGION_WRITE, DEVICE_RESET = 7, 8, 9, 10, 13
REPLY, NO_REPLY, ERROR = 0x1, 0x10, 0x20
# linux/vfio.h
DEVICE_FLAGS_RESET, DEVICE_FLAGS_PLATFORM = 1 << 0, 1 << 2
REGION_READ_F, REGION_WRITE_F, REGION_CAPS_F = 1 << 0, 1 << 1, 1 << 3
REGION_MMAP_F = 1 << 2
CAP_SPARSE_MMAP_ID = 1    # VFIO_REGION_INFO_CAP_SPARSE_MMAP
CAP_TYPE_ID = 2           # VFIO_REGION_INFO_CAP_TYPE
IRQ_INFO_EVENTFD = 1 << 0

# control region (include/vup/control-region.h)
CR_TYPE, CR_SUBTYPE = 0x56555043, 1
CR_MAGIC = 0x43505556
HEADER = struct.Struct("<IHHIIIIII32s")            # 64
ENTRY_MMIO = struct.Struct("<HHIIIQQBB6x32s")        # 72
ENTRY_IRQ = struct.Struct("<HHIIIII32s")            # 56
ENTRY_CLOCK = struct.Struct("<HHIIIQ32s")           # 56
ENTRY_DIRECT = struct.Struct("<HHIIIQQ")            # 32
ENTRY_SIGNAL = struct.Struct("<HHIIHH32s")          # 48
MMIO, IRQ, CLOCK, DIRECT, SIGNAL = 1, 2, 3, 7, 8
SIG_OUT, SIG_IN, SIG_PULSE = 1 << 0, 1 << 1, 1 << 2
# struct vup_cr_live of 1.5: its size and the signal fields' offsets
LIVE_SIZE_1_5 = 888
LIVE_SIG_OUT, LIVE_SIG_OUT_PULSES = 312, 344
LIVE_SIG_IN, LIVE_SIG_IN_PULSES = 600, 632      # QEMU's: one block
MMIO_DIRECT_MAPPED = 1 << 1
MAX_DIRECT = 64
CLOCK_OUTPUT = 1 << 0
CLOCK_MAX_HZ = 10_000_000_000
LIVE_CLOCK_HZ = 40          # offsetof(struct vup_cr_live, clock_hz)
LEVEL = 1 << 0
LIVE_OFFSET = 4096
HDR_SIZE = 64              # sizeof(struct vup_cr_header)
CR_SIZE = 8192
WIN_BASE, WIN_SIZE = 0x40013800, 0x400
PAGE = 4096
MIRROR_WORD = 0xD10000C0    # TXE set: poll.elf's putc goes on


def mmio_entry(region, base, size, name, mina=1, maxa=4):
    return ENTRY_MMIO.pack(MMIO, 0, ENTRY_MMIO.size, region, 0, base, size,
                           mina, maxa, name)


def irq_entry(index, line, name):
    return ENTRY_IRQ.pack(IRQ, 0, ENTRY_IRQ.size, index, line, LEVEL, 0, name)


def clock_entry(live_index, hz, name):
    return ENTRY_CLOCK.pack(CLOCK, 0, ENTRY_CLOCK.size, CLOCK_OUTPUT,
                            live_index, hz, name)


def direct_entry(region, offset, size, flags=0):
    return ENTRY_DIRECT.pack(DIRECT, 0, ENTRY_DIRECT.size, region, flags,
                             offset, size)


def signal_entry(flags, first, width, name):
    return ENTRY_SIGNAL.pack(SIGNAL, 0, ENTRY_SIGNAL.size, flags, first,
                             width, name)


def signals(*entries, **hdr):
    """A 1.5 device (live part of 888 bytes) with signal @entries."""
    return dict(hdr={"minor": 5, "live_size": LIVE_SIZE_1_5, **hdr},
                add=list(entries))


GPIOA_OUT = signal_entry(SIG_OUT, 0, 16, b"gpioa")
GPIOA_IN = signal_entry(SIG_IN, 0, 16, b"gpioa")


def direct(*entries, **mmio):
    """A DIRECT_MAPPED window with @entries (its DIRECT ranges) after it."""
    return dict(mmio=dict(mflags=MMIO_DIRECT_MAPPED, **mmio), add=list(entries))


# The valid description: a header, one window and one IRQ entry.
VALID_HDR = dict(magic=CR_MAGIC, major=1, minor=0, hsize=HEADER.size,
                 live=LIVE_OFFSET, live_size=168, flags=0, name=b"rogue")
VALID_MMIO = dict(type=MMIO, flags=0, length=ENTRY_MMIO.size, region=1,
                  mflags=0, base=WIN_BASE, size=WIN_SIZE, mina=1, maxa=4,
                  name=b"usart1")
VALID_IRQ = dict(type=IRQ, flags=0, length=ENTRY_IRQ.size, index=0, line=37,
                 iflags=LEVEL, name=b"usart1")
DIRECT_WINDOW = direct(direct_entry(1, 0, WIN_SIZE))

# What each control-region mutation changes in it: fields of the header
# (hdr), of the window's (mmio) and of the IRQ's entry (irq), and entries
# added after those (add) or before them (before).  The header's entry
# count counts them unless the mutation sets it.
CR_CHANGES = {
    "none": {},
    "bad-magic": dict(hdr=dict(magic=0xdeadbeef)),
    "bad-major": dict(hdr=dict(major=7)),
    "zero-size-window": dict(mmio=dict(size=0)),
    "entry-overruns": dict(mmio=dict(length=4096)),
    "short-entry": dict(mmio=dict(length=16)),
    "unterminated-name": dict(mmio=dict(name=b"x" * 32)),
    "bad-region-index": dict(mmio=dict(region=9)),
    "window-larger-than-region": dict(mmio=dict(size=0x100000)),
    "bad-irq-index": dict(irq=dict(index=5)),
    "too-many-entries": dict(hdr=dict(nent=100000)),
    "unknown-required-entry": dict(add=[struct.pack("<HHI", 99, 1, 8)]),
    # valid: must be skipped
    "unknown-optional-entry": dict(add=[struct.pack("<HHI", 99, 0, 8)]),
    "newer-minor": dict(hdr=dict(minor=99)),    # valid: minor versions add
    "misaligned-window": dict(mmio=dict(base=WIN_BASE + 2, mina=4)),
    "window-wraps": dict(mmio=dict(base=0xfffffffffffff000)),
    "window-above-4g": dict(mmio=dict(base=0x100000000)),
    "bad-access-size": dict(mmio=dict(maxa=3)),
    # two windows of one backend
    "overlapping-windows":
        dict(add=[mmio_entry(2, WIN_BASE + 0x200, WIN_SIZE, b"usart2")]),
    "duplicate-window-names":
        dict(add=[mmio_entry(2, WIN_BASE + 0x1000, WIN_SIZE, b"usart1")]),
    "duplicate-irq-names": dict(add=[irq_entry(1, 38, b"usart1")]),
    "same-nvic-line": dict(add=[irq_entry(1, 37, b"usart2")]),
    # a valid NVIC line the board lacks
    "irq-beyond-num-irq": dict(irq=dict(line=200)),
    "irq-beyond-nvic": dict(irq=dict(line=0xffffffff)),
    "absurd-clock": dict(add=[clock_entry(0, CLOCK_MAX_HZ + 1, b"sysclk")]),
    "live-outside-region": dict(hdr=dict(live_size=CR_SIZE)),
    "desc-size-huge": dict(hdr=dict(desc_size=0xfffffff0)),
    "header-size-odd": dict(hdr=dict(hsize=65)),
    "direct-not-direct-mapped": dict(add=[direct_entry(1, 0, 0x20)]),
    "direct-no-window": direct(direct_entry(2, 0, 0x20)),
    "direct-outside-window": direct(direct_entry(1, WIN_SIZE - 0x10, 0x20)),
    "direct-overlap": direct(direct_entry(1, 0, 0x20),
                             direct_entry(1, 0x10, 0x10)),
    "direct-bad-flags": direct(direct_entry(1, 0, 0x20, flags=1)),
    "direct-misaligned": direct(direct_entry(1, 2, 4), mina=4),
    "direct-empty": direct(direct_entry(1, 0, 0)),
    "direct-wraps": direct(direct_entry(1, 0xfffffffffffffff0, 0x20)),
    "direct-too-many":
        direct(*(direct_entry(1, i * 8, 4) for i in range(MAX_DIRECT + 1))),
    # valid: checked after all entries
    "direct-before-window": dict(DIRECT_WINDOW, add=[],
                                 before=DIRECT_WINDOW["add"]),
    # valid, for attaching to b-l475e-iot01a (test_attach.py): a window
    # over the TIM6 placeholder, whose IRQ is USART1's in-process line 37
    # or a line that SoC's NVIC (112 lines) lacks
    "attach-line-taken": dict(mmio=dict(base=0x40001000)),
    "attach-line-beyond-nvic": dict(mmio=dict(base=0x40001000),
                                    irq=dict(line=200)),
    # signal groups (1.5) broken in one way each
    "signal-bad-flags": signals(signal_entry(SIG_OUT | 8, 0, 16, b"gpioa")),
    "signal-no-direction": signals(signal_entry(SIG_PULSE, 0, 1, b"trig")),
    "signal-both-directions":
        signals(signal_entry(SIG_OUT | SIG_IN, 0, 16, b"gpioa")),
    "signal-width-0": signals(signal_entry(SIG_OUT, 0, 0, b"gpioa")),
    "signal-width-33": signals(signal_entry(SIG_IN, 0, 33, b"gpioa")),
    "signal-lines-beyond": signals(signal_entry(SIG_OUT, 250, 16, b"gpioa")),
    "signal-overlap": signals(GPIOA_OUT,
                              signal_entry(SIG_OUT, 8, 16, b"gpiob")),
    "signal-duplicate-name": signals(GPIOA_OUT,
                                     signal_entry(SIG_IN, 0, 16, b"gpioa")),
    "signal-bad-name": signals(signal_entry(SIG_OUT, 0, 16, b"gpio/a")),
    "signal-sysbus-name": signals(signal_entry(SIG_OUT, 0, 1, b"sysbus-irq")),
    "signal-no-1.5-live": signals(GPIOA_OUT, minor=4, live_size=312),
    # valid: an IN group and an OUT group may share lines (two directions)
    "signal-in-and-out-same-lines":
        signals(GPIOA_OUT, signal_entry(SIG_IN, 0, 16, b"gpiob")),
}

# Valid 1.5 devices whose signal groups follow their window's registers
# (Conn.signal_access): "out" drives OUT groups "gpioa" (16 lines: the
# value written at +0x14, like an ODR) and "trig" (2 PULSE lines: a write
# of N << 8 | line at +0x20 pulses that line N times); "in" takes IN groups
# "gpioa" and "trig" and shows them at +0x10 (the levels, like an IDR),
# +0x18 (the input-block writes QEMU sent) and +0x1c (trig's two pulse
# counts).  "in" sits one window further on and drives NVIC line 38, so
# both fit on one board; "in-8" and "in-pulse" are "in" with a gpioa of 8
# lines or of pulses, which no "out" can drive; "in-die" is "in" that dies
# when QEMU writes it a line at 1; "out-8" drives a gpioa of 8 lines.
SIG_IN_BASE = WIN_BASE + 0x1000
SIGNAL_MODES = {
    "signals-out": signals(GPIOA_OUT, signal_entry(SIG_OUT | SIG_PULSE, 16,
                                                   2, b"trig")),
    "signals-in": dict(signals(GPIOA_IN, signal_entry(SIG_IN | SIG_PULSE, 16,
                                                      2, b"trig")),
                       mmio=dict(base=SIG_IN_BASE), irq=dict(line=38)),
    "signals-out-8": signals(signal_entry(SIG_OUT, 0, 8, b"gpioa")),
    "signals-in-die": dict(signals(GPIOA_IN),
                           mmio=dict(base=SIG_IN_BASE), irq=dict(line=38)),
    "signals-in-8": dict(signals(signal_entry(SIG_IN, 0, 8, b"gpioa")),
                         mmio=dict(base=SIG_IN_BASE), irq=dict(line=38)),
    "signals-in-pulse": dict(signals(signal_entry(SIG_IN | SIG_PULSE, 0, 16,
                                                  b"gpioa")),
                             mmio=dict(base=SIG_IN_BASE), irq=dict(line=38)),
}


def cr_changes(mutate):
    """The control region a mutation serves: its own if it is one of
    CR_CHANGES, else the valid one (mirror mutations: with a direct-mapped
    window; live-*: with a clock output)."""
    if mutate in CR_CHANGES:
        return CR_CHANGES[mutate]
    if mutate in SIGNAL_MODES:
        return SIGNAL_MODES[mutate]
    if mutate in MIRROR_MUTATIONS:
        return DIRECT_WINDOW
    if mutate in ("live-absurd-clock", "live-clock-ok"):
        return dict(add=[clock_entry(0, 4_000_000, b"sysclk")])
    if mutate in MUTATIONS:
        return {}
    raise SystemExit(f"rogue_backend: unknown mutation {mutate!r}")


def build_cr(mutate, base=None, line=None):
    """A valid control region (one window, one IRQ), then broken as asked."""
    ch = cr_changes(mutate)
    mmio = {**VALID_MMIO, **ch.get("mmio", {})}
    irq = {**VALID_IRQ, **ch.get("irq", {})}
    if base is not None:
        mmio["base"] = base
    if line is not None:
        irq["line"] = line
    prefix, extra = b"".join(ch.get("before", [])), b"".join(ch.get("add", []))
    hdr = {**VALID_HDR,
           "nent": 2 + len(ch.get("before", [])) + len(ch.get("add", [])),
           **ch.get("hdr", {})}
    e1 = ENTRY_MMIO.pack(mmio["type"], mmio["flags"], mmio["length"], mmio["region"],
                         mmio["mflags"], mmio["base"], mmio["size"], mmio["mina"],
                         mmio["maxa"], mmio["name"])
    e2 = ENTRY_IRQ.pack(irq["type"], irq["flags"], irq["length"], irq["index"],
                        irq["line"], irq["iflags"], 0, irq["name"])
    desc_size = hdr.get("desc_size",
                        HEADER.size + len(prefix) + len(e1) + len(e2) + len(extra))
    h = HEADER.pack(hdr["magic"], hdr["major"], hdr["minor"], hdr["hsize"], desc_size,
                    hdr["nent"], hdr["live"], hdr["live_size"], hdr["flags"], hdr["name"])
    cr = bytearray(CR_SIZE)
    body = h + prefix + e1 + e2 + extra
    cr[:len(body)] = body
    return cr


CR_MUTATIONS = list(CR_CHANGES)
# Broken replies while QEMU negotiates and reads the device's description.
NEGOTIATION_MUTATIONS = ["version-garbage", "version-truncated", "info-not-platform",
                         "region-info-truncated", "region-info-cap-loop",
                         "region-info-cap-outside", "region-info-huge-argsz",
                         "irq-info-no-eventfd", "irq-info-truncated",
                         "cr-read-truncated", "cr-read-stall", "cr-read-die"]
# A valid device that misbehaves on the first guest read of its window.
RUNTIME_MUTATIONS = ["reply-truncated", "reply-wrong-id", "reply-wrong-command",
                     "reply-oversized", "reply-with-fd", "stall", "stall-mid-reply",
                     "die", "die-mid-reply", "error-reply", "live-absurd-clock",
                     "live-clock-ok", "die-at-live-read"]
# A DIRECT_MAPPED window whose mirror is offered correctly (mirror-ok), or
# not: no mmap, an area too small or not at offset 0, no fd, an fd shorter
# than the mirror (a load would be a SIGBUS), an unaligned offset in the fd.
MIRROR_MUTATIONS = ["mirror-ok", "mirror-no-mmap", "mirror-small-area",
                    "mirror-area-offset", "mirror-no-fd", "mirror-short-fd",
                    "mirror-unaligned-offset"]
MUTATIONS = CR_MUTATIONS + NEGOTIATION_MUTATIONS + RUNTIME_MUTATIONS + \
    MIRROR_MUTATIONS + list(SIGNAL_MODES)


def mirror_fd(mutate):
    """A memfd holding page 0 of garbage, then the mirror at PAGE (the
    region info's offset); mirror-short-fd ends it early."""
    fd = os.memfd_create("rogue-mirror")
    os.ftruncate(fd, PAGE + 0x100 if mutate == "mirror-short-fd" else 2 * PAGE)
    os.pwrite(fd, struct.pack("<I", 0xBAD0BAD0) * (PAGE // 4), 0)
    if mutate != "mirror-short-fd":
        os.pwrite(fd, struct.pack("<I", MIRROR_WORD) * (PAGE // 4), PAGE)
    return fd


def mirror_region_info(mutate, argsz):
    """GET_REGION_INFO of the window's region (1) under a mirror mutation:
    (payload, send the fd?)."""
    fl = REGION_READ_F | REGION_WRITE_F
    if mutate == "mirror-no-mmap":
        return struct.pack("<IIIIQQ", 32, fl, 1, 0, WIN_SIZE, 0), False
    fl |= REGION_MMAP_F | REGION_CAPS_F
    need = 32 + 32
    area_off, area_size, offset = 0, PAGE, PAGE
    if mutate == "mirror-small-area":
        area_size = WIN_SIZE // 2
    elif mutate == "mirror-area-offset":
        area_off = PAGE
    elif mutate == "mirror-unaligned-offset":
        offset = PAGE + 0x10
    if argsz < need:        # like the kernel: "ask again with this argsz"
        return struct.pack("<IIIIQQ", need, fl, 1, 0, WIN_SIZE, offset), False
    cap = struct.pack("<HHIII", CAP_SPARSE_MMAP_ID, 1, 0, 1, 0) + \
        struct.pack("<QQ", area_off, area_size)
    return (struct.pack("<IIIIQQ", need, fl, 1, 32, WIN_SIZE, offset) + cap,
            mutate != "mirror-no-fd")


class Conn:
    def __init__(self, s, cr, log, mutate="none"):
        self.s, self.cr, self.log, self.mutate = s, cr, log, mutate
        self.window = bytearray(WIN_SIZE)
        self.cr_reads = 0
        self.cr_faulted = False
        self.window_read = False
        self.triggered = False
        self.sig_writes = 0         # input-block writes (signals-in*)

    def hang(self):
        """Never answer again, but keep the connection open."""
        self.log("stalling")
        while True:
            time.sleep(3600)

    def die(self):
        self.log("dying")
        os._exit(3)

    def misbehave(self, mid, cmd, body):
        """A run-time mutation's answer to the first window access."""
        m = self.mutate
        off, region, count = struct.unpack("<QII", body[:16])
        ok = body[:16] + (bytes(count) if cmd == REGION_READ else b"")
        if m == "reply-truncated":      # the data is missing
            self.reply(mid, cmd, body[:16])
        elif m == "reply-wrong-id":
            self.reply(mid + 1000, cmd, ok)
        elif m == "reply-wrong-command":
            self.reply(mid, DEVICE_RESET if cmd != DEVICE_RESET else cmd, ok)
        elif m == "reply-oversized":
            self.reply(mid, cmd, ok + bytes(4096))
        elif m == "reply-with-fd":      # an fd QEMU did not ask for
            with tempfile.NamedTemporaryFile(prefix="rogue-stray-fd-") as f:
                data = HDR.pack(mid, cmd, HDR.size + len(ok), REPLY, 0) + ok
                self.s.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                         struct.pack("i", f.fileno()))])
                print(f"rogue: sent fd for {f.name}", file=sys.stderr, flush=True)
        elif m == "stall":
            self.hang()
        elif m in ("stall-mid-reply", "die-mid-reply"):
            data = HDR.pack(mid, cmd, HDR.size + len(ok), REPLY, 0) + ok
            self.s.sendall(data[:len(data) - 2])
            self.hang() if m == "stall-mid-reply" else self.die()
        elif m == "die":
            self.die()
        elif m == "error-reply":
            self.reply(mid, cmd, error=5)   # EIO, every time
            return False
        return True

    def bump_seq(self):
        seq = struct.unpack_from("<I", self.cr, LIVE_OFFSET)[0]
        struct.pack_into("<I", self.cr, LIVE_OFFSET, (seq + 1) & 0xffffffff)

    def signal_access(self, cmd, region, off, count, body):
        """Signal modes: the window registers behind the groups.  Returns
        the value read, or None for a write (stored as usual)."""
        live = LIVE_OFFSET
        if cmd == REGION_WRITE and region == 1 and count == 4:
            val = struct.unpack("<I", body[16:20])[0]
            if off == 0x14:
                word = struct.unpack_from("<I", self.cr, live + LIVE_SIG_OUT)[0]
                word = (word & ~0xffff) | (val & 0xffff)
                struct.pack_into("<I", self.cr, live + LIVE_SIG_OUT, word)
                self.bump_seq()
            elif off == 0x20:
                at = live + LIVE_SIG_OUT_PULSES + 16 + (val & 1)
                self.cr[at] = (self.cr[at] + (val >> 8)) & 0xff
                self.bump_seq()
            return None
        if cmd == REGION_READ and region == 1 and count == 4:
            if off == 0x10:
                return struct.unpack_from("<I", self.cr, live + LIVE_SIG_IN)[0] & 0xffff
            if off == 0x18:
                return self.sig_writes
            if off == 0x1c:
                at = live + LIVE_SIG_IN_PULSES + 16
                return self.cr[at] | self.cr[at + 1] << 8
        return None

    def recv_exact(self, n):
        buf, fds = b"", []
        while len(buf) < n:
            data, anc, _, _ = self.s.recvmsg(n - len(buf), socket.CMSG_SPACE(16 * 4))
            if not data:
                return None, fds
            for level, typ, cdata in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                    fds += list(struct.unpack(f"{len(cdata) // 4}i",
                                              cdata[:len(cdata) // 4 * 4]))
            buf += data
        return buf, fds

    def reply(self, mid, cmd, payload=b"", error=0, fd=None):
        flags = REPLY | (ERROR if error else 0)
        data = HDR.pack(mid, cmd, HDR.size + len(payload), flags, error) + payload
        if fd is None:
            self.s.sendall(data)
        else:
            self.s.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                     struct.pack("i", fd))])

    def serve(self):
        while True:
            hdr, fds = self.recv_exact(HDR.size)
            if hdr is None:
                return
            mid, cmd, size, flags, _ = HDR.unpack(hdr)
            body, more = self.recv_exact(size - HDR.size) if size > HDR.size else (b"", [])
            fds += more
            self.log(f"cmd {cmd} size {size} fds {len(fds)}")
            self.handle(mid, cmd, flags, body, fds)

    def handle(self, mid, cmd, flags, body, fds):
        m = self.mutate
        if cmd == VERSION:
            caps = json.dumps({"capabilities": {"max_msg_fds": 8,
                                                "max_data_xfer_size": 1048576,
                                                "pgsizes": 4096,
                                                "max_dma_maps": 65535}}).encode()
            if m == "version-garbage":
                caps = b"{capabilities: \xff\xfe not json"
            if m == "version-truncated":
                self.reply(mid, cmd, b"\1")
                return
            self.reply(mid, cmd, struct.pack("<HH", 0, 0) + caps + b"\0")
        elif cmd in (DMA_MAP, DMA_UNMAP):
            for fd in fds:
                os.close(fd)
            self.reply(mid, cmd, body[:8] if cmd == DMA_MAP else body)
        elif cmd == GET_INFO:
            fl = DEVICE_FLAGS_RESET | (0 if m == "info-not-platform" else DEVICE_FLAGS_PLATFORM)
            self.reply(mid, cmd, struct.pack("<IIII", 16, fl, 3, 2))
        elif cmd == GET_REGION_INFO:
            argsz, _, index, _, _, _ = struct.unpack("<IIIIQQ", body[:32])
            if index == 0:
                need = 32 + 16
                nxt, cap_off = 0, 32
                if m == "region-info-cap-loop":
                    nxt = 32              # the capability points to itself
                    caps = struct.pack("<HHIII", CAP_TYPE_ID + 7, 1, nxt, 0, 0)
                else:
                    caps = struct.pack("<HHIII", CAP_TYPE_ID, 1, nxt, CR_TYPE, CR_SUBTYPE)
                if m == "region-info-cap-outside":
                    cap_off = 0x10000
                if m == "region-info-huge-argsz":
                    need = 0xffffffff
                fl = REGION_READ_F | REGION_WRITE_F | REGION_CAPS_F
                if m == "region-info-truncated":
                    self.reply(mid, cmd, struct.pack("<II", need, fl))
                elif argsz < need:
                    self.reply(mid, cmd, struct.pack("<IIIIQQ", need, fl, 0, 0, CR_SIZE, 0))
                else:
                    self.reply(mid, cmd, struct.pack("<IIIIQQ", need, fl, 0, cap_off,
                                                     CR_SIZE, 0) + caps)
            elif index == 1 and m in MIRROR_MUTATIONS:
                payload, with_fd = mirror_region_info(m, argsz)
                if with_fd:
                    fd = mirror_fd(m)
                    self.reply(mid, cmd, payload, fd=fd)
                    os.close(fd)
                else:
                    self.reply(mid, cmd, payload)
            elif index in (1, 2):
                self.reply(mid, cmd, struct.pack("<IIIIQQ", 32, REGION_READ_F | REGION_WRITE_F,
                                                 index, 0, WIN_SIZE, 0))
            else:
                self.reply(mid, cmd, error=22)
        elif cmd == GET_IRQ_INFO:
            _, _, index, _ = struct.unpack("<IIII", body[:16])
            if index == 0 and m == "irq-info-truncated":
                self.reply(mid, cmd, struct.pack("<I", 16))
            elif index == 0 and m == "irq-info-no-eventfd":
                self.reply(mid, cmd, struct.pack("<IIII", 16, 0, 0, 1))
            elif index in (0, 1):
                self.reply(mid, cmd, struct.pack("<IIII", 16, IRQ_INFO_EVENTFD, index, 1))
            else:
                self.reply(mid, cmd, error=22)
        elif cmd == SET_IRQS:
            for fd in fds:
                os.close(fd)
            self.reply(mid, cmd, body[:20])
        elif cmd in (REGION_READ, REGION_WRITE):
            off, region, count = struct.unpack("<QII", body[:16])
            mem = self.cr if region == 0 else self.window
            if region == 0 and cmd == REGION_READ:
                self.cr_reads += 1
                # The first read of the entries (QEMU reads the header first,
                # vup-info the whole region at once).
                if off + count > HDR_SIZE and off < LIVE_OFFSET and \
                        not self.cr_faulted and m in ("cr-read-truncated",
                                                      "cr-read-stall", "cr-read-die"):
                    self.cr_faulted = True
                    if m == "cr-read-truncated":
                        self.reply(mid, cmd, body[:16] + bytes(mem[off:off + count // 2]))
                        return
                    self.hang() if m == "cr-read-stall" else self.die()
                # Dies in the synchronisation after the first window read.
                if off >= LIVE_OFFSET and m == "die-at-live-read" and self.window_read:
                    self.die()
                if off >= LIVE_OFFSET and m.startswith("live-") and not self.triggered:
                    self.triggered = True
                    hz = CLOCK_MAX_HZ * 100 if m == "live-absurd-clock" else 48_000_000
                    struct.pack_into("<I", mem, LIVE_OFFSET, 1)       # seq
                    struct.pack_into("<Q", mem, LIVE_OFFSET + LIVE_CLOCK_HZ, hz)
                    self.log(f"live part: clock {hz} Hz")
            if region in (1, 2) and cmd == REGION_READ:
                self.window_read = True
            if m in SIGNAL_MODES:
                val = self.signal_access(cmd, region, off, count, body)
                if val is not None:
                    self.reply(mid, cmd, body[:16] + struct.pack("<I", val))
                    return
                if region == 0 and cmd == REGION_WRITE and off >= LIVE_OFFSET \
                        and off + count <= LIVE_OFFSET + LIVE_SIZE_1_5:
                    mem[off:off + count] = body[16:16 + count]
                    if off <= LIVE_OFFSET + LIVE_SIG_IN < off + count:
                        self.sig_writes += 1
                        if m == "signals-in-die" and struct.unpack_from(
                                "<I", mem, LIVE_OFFSET + LIVE_SIG_IN)[0]:
                            self.die()
                        self.log(f"input block {bytes(mem[off:off + 8]).hex()}")
            if region in (1, 2) and cmd == REGION_READ and m in RUNTIME_MUTATIONS \
                    and not m.startswith("live-") and m != "die-at-live-read" \
                    and (m == "error-reply" or not self.triggered):
                self.triggered = True
                if self.misbehave(mid, cmd, body):
                    return
                return
            if region > 2 or off + count > len(mem):
                self.reply(mid, cmd, error=22)
            elif cmd == REGION_READ:
                self.reply(mid, cmd, body[:16] + bytes(mem[off:off + count]))
            else:
                if region == 1:
                    mem[off:off + count] = body[16:16 + count]
                if not flags & NO_REPLY:
                    self.reply(mid, cmd, body[:16])
        elif cmd == DEVICE_RESET:
            self.reply(mid, cmd)
        else:
            self.reply(mid, cmd, error=38)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--socket", help="Unix socket path to listen on")
    ap.add_argument("--mutate", default="none", choices=MUTATIONS)
    ap.add_argument("--base", type=lambda v: int(v, 0),
                    help="guest address of the window")
    ap.add_argument("--line", type=int, help="NVIC line of its IRQ")
    ap.add_argument("--list", action="store_true", help="list mutations and exit")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    if a.list:
        print("\n".join(MUTATIONS))
        return 0
    if not a.socket:
        ap.error("--socket is required")
    cr = build_cr(a.mutate, a.base, a.line)

    def log(msg):
        if a.verbose:
            print(f"rogue: {msg}", file=sys.stderr, flush=True)

    if os.path.exists(a.socket):
        os.unlink(a.socket)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(a.socket)
    srv.listen(1)
    print(f"rogue: listening on {a.socket} ({a.mutate})", file=sys.stderr, flush=True)
    while True:
        c, _ = srv.accept()
        try:
            Conn(c, cr, log, a.mutate).serve()
        except (ConnectionError, OSError) as e:
            log(f"connection ended: {e}")
        finally:
            c.close()


if __name__ == "__main__":
    sys.exit(main())
