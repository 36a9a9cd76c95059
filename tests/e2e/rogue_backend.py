#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A deliberately misbehaving vfio-user backend for negative end-to-end tests.

It speaks just enough vfio-user (VERSION, DMA_MAP/UNMAP, DEVICE_GET_INFO,
GET_REGION_INFO, GET_IRQ_INFO, SET_IRQS, REGION_READ/WRITE, DEVICE_RESET) to
get QEMU's vfio-user-platform device to read its control region, and serves a
control region broken in one named way (--mutate).  The layout below mirrors
include/vup/control-region.h (whose _Static_asserts pin the sizes used here);
it exists only to produce *wrong* bytes on purpose.

  rogue_backend.py --socket PATH [--mutate NAME] [--list]
"""

import argparse
import json
import os
import socket
import struct
import sys

# vfio-user
HDR = struct.Struct("<HHIII")
VERSION, DMA_MAP, DMA_UNMAP, GET_INFO, GET_REGION_INFO = 1, 2, 3, 4, 5
GET_IRQ_INFO, SET_IRQS, REGION_READ, REGION_WRITE, DEVICE_RESET = 7, 8, 9, 10, 13
REPLY, NO_REPLY, ERROR = 0x1, 0x10, 0x20
# linux/vfio.h
DEVICE_FLAGS_RESET, DEVICE_FLAGS_PLATFORM = 1 << 0, 1 << 2
REGION_READ_F, REGION_WRITE_F, REGION_CAPS_F = 1 << 0, 1 << 1, 1 << 3
CAP_TYPE_ID = 2           # VFIO_REGION_INFO_CAP_TYPE
IRQ_INFO_EVENTFD = 1 << 0

# control region (include/vup/control-region.h)
CR_TYPE, CR_SUBTYPE = 0x56555043, 1
CR_MAGIC = 0x43505556
HEADER = struct.Struct("<IHHIIIIII32s")            # 64
ENTRY_MMIO = struct.Struct("<HHIIIQQBB6x32s")        # 72
ENTRY_IRQ = struct.Struct("<HHIIIII32s")            # 56
MMIO, IRQ = 1, 2
LEVEL = 1 << 0
LIVE_OFFSET = 4096
CR_SIZE = 8192
WIN_BASE, WIN_SIZE = 0x40013800, 0x400


def build_cr(mutate):
    """A valid control region (one window, one IRQ), then broken as asked."""
    mmio = dict(type=MMIO, flags=0, length=ENTRY_MMIO.size, region=1, mflags=0,
                base=WIN_BASE, size=WIN_SIZE, mina=1, maxa=4, name=b"usart1")
    irq = dict(type=IRQ, flags=0, length=ENTRY_IRQ.size, index=0, line=37,
               iflags=LEVEL, name=b"usart1")
    hdr = dict(magic=CR_MAGIC, major=1, minor=0, hsize=HEADER.size,
               nent=2, live=LIVE_OFFSET, live_size=168, flags=0, name=b"rogue")
    extra = b""
    if mutate == "bad-magic":
        hdr["magic"] = 0xdeadbeef
    elif mutate == "bad-major":
        hdr["major"] = 7
    elif mutate == "zero-size-window":
        mmio["size"] = 0
    elif mutate == "entry-overruns":
        mmio["length"] = 4096
    elif mutate == "short-entry":
        mmio["length"] = 16
    elif mutate == "unterminated-name":
        mmio["name"] = b"x" * 32
    elif mutate == "bad-region-index":
        mmio["region"] = 9
    elif mutate == "window-larger-than-region":
        mmio["size"] = 0x100000
    elif mutate == "bad-irq-index":
        irq["index"] = 5
    elif mutate == "too-many-entries":
        hdr["nent"] = 100000
    elif mutate == "unknown-required-entry":
        hdr["nent"] = 3
        extra = struct.pack("<HHI", 99, 1, 8)
    elif mutate == "unknown-optional-entry":   # valid: must be skipped
        hdr["nent"] = 3
        extra = struct.pack("<HHI", 99, 0, 8)
    elif mutate not in (None, "none"):
        raise SystemExit(f"rogue_backend: unknown mutation {mutate!r}")
    e1 = ENTRY_MMIO.pack(mmio["type"], mmio["flags"], mmio["length"], mmio["region"],
                         mmio["mflags"], mmio["base"], mmio["size"], mmio["mina"],
                         mmio["maxa"], mmio["name"])
    e2 = ENTRY_IRQ.pack(irq["type"], irq["flags"], irq["length"], irq["index"],
                        irq["line"], irq["iflags"], 0, irq["name"])
    desc_size = HEADER.size + len(e1) + len(e2) + len(extra)
    h = HEADER.pack(hdr["magic"], hdr["major"], hdr["minor"], hdr["hsize"], desc_size,
                    hdr["nent"], hdr["live"], hdr["live_size"], hdr["flags"], hdr["name"])
    cr = bytearray(CR_SIZE)
    body = h + e1 + e2 + extra
    cr[:len(body)] = body
    return cr


MUTATIONS = ["none", "bad-magic", "bad-major", "zero-size-window", "entry-overruns",
             "short-entry", "unterminated-name", "bad-region-index",
             "window-larger-than-region", "bad-irq-index", "too-many-entries",
             "unknown-required-entry", "unknown-optional-entry"]


class Conn:
    def __init__(self, s, cr, log):
        self.s, self.cr, self.log = s, cr, log
        self.window = bytearray(WIN_SIZE)

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

    def reply(self, mid, cmd, payload=b"", error=0):
        flags = REPLY | (ERROR if error else 0)
        self.s.sendall(HDR.pack(mid, cmd, HDR.size + len(payload), flags, error) + payload)

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
        if cmd == VERSION:
            caps = json.dumps({"capabilities": {"max_msg_fds": 8,
                                                "max_data_xfer_size": 1048576,
                                                "pgsizes": 4096,
                                                "max_dma_maps": 65535}}).encode()
            self.reply(mid, cmd, struct.pack("<HH", 0, 0) + caps + b"\0")
        elif cmd in (DMA_MAP, DMA_UNMAP):
            for fd in fds:
                os.close(fd)
            self.reply(mid, cmd, body[:8] if cmd == DMA_MAP else body)
        elif cmd == GET_INFO:
            self.reply(mid, cmd, struct.pack("<IIII", 16,
                                             DEVICE_FLAGS_PLATFORM | DEVICE_FLAGS_RESET, 2, 1))
        elif cmd == GET_REGION_INFO:
            argsz, _, index, _, _, _ = struct.unpack("<IIIIQQ", body[:32])
            if index == 0:
                need = 32 + 16
                caps = struct.pack("<HHIII", CAP_TYPE_ID, 1, 0, CR_TYPE, CR_SUBTYPE)
                fl = REGION_READ_F | REGION_WRITE_F | REGION_CAPS_F
                if argsz < need:
                    self.reply(mid, cmd, struct.pack("<IIIIQQ", need, fl, 0, 0, CR_SIZE, 0))
                else:
                    self.reply(mid, cmd, struct.pack("<IIIIQQ", need, fl, 0, 32, CR_SIZE, 0)
                               + caps)
            elif index == 1:
                self.reply(mid, cmd, struct.pack("<IIIIQQ", 32, REGION_READ_F | REGION_WRITE_F,
                                                 1, 0, WIN_SIZE, 0))
            else:
                self.reply(mid, cmd, error=22)
        elif cmd == GET_IRQ_INFO:
            _, _, index, _ = struct.unpack("<IIII", body[:16])
            if index == 0:
                self.reply(mid, cmd, struct.pack("<IIII", 16, IRQ_INFO_EVENTFD, 0, 1))
            else:
                self.reply(mid, cmd, error=22)
        elif cmd == SET_IRQS:
            for fd in fds:
                os.close(fd)
            self.reply(mid, cmd, body[:20])
        elif cmd in (REGION_READ, REGION_WRITE):
            off, region, count = struct.unpack("<QII", body[:16])
            mem = self.cr if region == 0 else self.window
            if region > 1 or off + count > len(mem):
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
    ap.add_argument("--list", action="store_true", help="list mutations and exit")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    if a.list:
        print("\n".join(MUTATIONS))
        return 0
    if not a.socket:
        ap.error("--socket is required")
    cr = build_cr(a.mutate)

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
            Conn(c, cr, log).serve()
        except (ConnectionError, OSError) as e:
            log(f"connection ended: {e}")
        finally:
            c.close()


if __name__ == "__main__":
    sys.exit(main())
