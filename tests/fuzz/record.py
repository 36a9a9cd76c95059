#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A recording vfio-user proxy: the seed corpora come from real sessions.

  record.py --listen PATH --backend PATH --out PREFIX
  record.py --split SESSION --out PREFIX

Accepts one client on PATH, connects to the backend on --backend and
forwards both ways, file descriptors (SCM_RIGHTS) included, until either
side closes.  Then it writes what the client sent:

  PREFIX.session   the client-to-server stream, as fuzz_server reads it
  PREFIX.cr        the control region as the client read it (region 0
                   REGION_READ replies put together), if it read one

fuzz_server's input is the raw stream, with one convention: a request's
error_reply field (unused in requests) says which fds go with it, bits 0-3
the count and bit 4 memfd (else eventfd).  The proxy writes that field
from the fds the client really passed.

--split writes small seeds from a session: its VERSION message followed by
the first message of each kind (command, NO_REPLY, fds) the session has,
as PREFIX-CMD[-posted][-fds].
"""

import argparse
import os
import select
import socket
import struct

HDR = struct.Struct("<HHIII")
VERSION, REGION_READ = 1, 9
REPLY, NO_REPLY = 0x1, 0x10
FD_MEMFD = 0x10


def recv(s):
    data, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(32 * 4))
    fds = []
    for level, typ, cdata in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds += struct.unpack(f"{len(cdata) // 4}i", cdata[:len(cdata) // 4 * 4])
    return data, list(fds)


def send(s, data, fds):
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack(f"{len(fds)}i", *fds))] if fds else []
    sent = s.sendmsg([data], anc)
    if sent < len(data):
        s.sendall(data[sent:])


def fd_kind(fd):
    try:
        return "eventfd" if "eventfd" in os.readlink(f"/proc/self/fd/{fd}") else "memfd"
    except OSError:
        return "eventfd"


def messages(stream):
    """(offset, header tuple) of each whole message in @stream."""
    off = 0
    while off + HDR.size <= len(stream):
        h = HDR.unpack_from(stream, off)
        if h[2] < HDR.size or off + h[2] > len(stream):
            return
        yield off, h
        off += h[2]


def annotate(stream, fd_marks):
    """Writes each request's fd count/kind into its error_reply field."""
    out = bytearray(stream)
    for off, (mid, cmd, size, flags, _) in messages(stream):
        marks = [m for m in fd_marks if off <= m[0] < off + size]
        n = sum(m[1] for m in marks)
        if n:
            kind = FD_MEMFD if any(m[2] == "memfd" for m in marks) else 0
            struct.pack_into("<I", out, off + 12, min(n, 15) | kind)
    return bytes(out)


def cr_image(c2s, s2c):
    """Region 0 as the client read it, from its requests and our replies."""
    reads = {}
    for off, (mid, cmd, size, flags, _e) in messages(c2s):
        if cmd == REGION_READ and size >= HDR.size + 16:
            roff, region, count = struct.unpack_from("<QII", c2s, off + HDR.size)
            if region == 0:
                reads[mid] = (roff, count)
    image = bytearray()
    for off, (mid, cmd, size, flags, err) in messages(s2c):
        if cmd == REGION_READ and flags == REPLY and mid in reads:
            roff, count = reads.pop(mid)
            data = s2c[off + HDR.size + 16:off + size]
            if len(image) < roff + len(data):
                image.extend(bytes(roff + len(data) - len(image)))
            image[roff:roff + len(data)] = data
    return bytes(image)


def split(session, prefix):
    msgs = [(h, session[off:off + h[2]]) for off, h in messages(session)]
    if not msgs or msgs[0][0][1] != VERSION:
        raise SystemExit(f"record.py: {prefix}: the session does not start with VERSION")
    seen = set()
    for (mid, cmd, size, flags, fds), raw in msgs[1:]:
        kind = (cmd, bool(flags & NO_REPLY), bool(fds))
        if kind in seen:
            continue
        seen.add(kind)
        name = f"{prefix}-{cmd}" + ("-posted" if kind[1] else "") + ("-fds" if kind[2] else "")
        with open(name, "wb") as f:
            f.write(msgs[0][1] + raw)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen")
    ap.add_argument("--backend")
    ap.add_argument("--split", metavar="SESSION")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.split:
        with open(a.split, "rb") as f:
            split(f.read(), a.out)
        return
    if not a.listen or not a.backend:
        ap.error("--listen and --backend are needed to record")

    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(a.listen):
        os.unlink(a.listen)
    ls.bind(a.listen)
    ls.listen(1)
    client, _ = ls.accept()
    backend = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    backend.connect(a.backend)

    c2s, s2c, fd_marks = bytearray(), bytearray(), []
    peer = {client: backend, backend: client}
    open_ = True
    while open_:
        ready, _, _ = select.select([client, backend], [], [])
        for s in ready:
            data, fds = recv(s)
            if not data:
                open_ = False
                break
            if s is client:
                if fds:
                    fd_marks.append((len(c2s), len(fds), fd_kind(fds[0])))
                c2s += data
            else:
                s2c += data
            send(peer[s], data, fds)
            for fd in fds:
                os.close(fd)
    client.close()
    backend.close()
    ls.close()
    os.unlink(a.listen)

    with open(a.out + ".session", "wb") as f:
        f.write(annotate(bytes(c2s), fd_marks))
    cr = cr_image(bytes(c2s), bytes(s2c))
    if cr:
        with open(a.out + ".cr", "wb") as f:
            f.write(cr)


if __name__ == "__main__":
    main()
