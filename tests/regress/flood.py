#!/usr/bin/python3
"""A connection flood against tvchatd for the regress tests (stdlib only).

Holds COUNT connections open from one source address without ever
logging in: idle ones send nothing, PARTIAL of every COUNT send the first
bytes of a frame header and stall. With --reopen, every connection the server
closes is opened again at once. Every half second, and at the end, it
prints one JSON line of counts:

  opened     connect() calls
  errors     connects that failed
  challenged connections that got the server's challenge (a session)
  refused    connections whose first frame was an error, by code
  closed     connections the server closed (refused or not)
  held       connections open now that got the challenge
  max_held   the most held at once
  rate       connections opened per second so far

usage: flood.py PORT [--source ADDR] [--count N] [--partial N] [--reopen]
                     [--duration S]
       flood.py PORT --probe [--source ADDR]
--probe opens one connection, prints {"probe": FIRST-FRAME} and exits.
"""

import argparse
import errno
import json
import resource
import selectors
import signal
import socket
import struct
import sys
import time

PARTIAL = b"\x01\x00\x00"	# 3 of a frame header's 5 bytes


def first_frame(buf):
    """The first frame's JSON in buf, or None while it is incomplete."""
    if len(buf) < 5:
        return None
    ftype, length = struct.unpack(">BI", buf[:5])
    if len(buf) < 5 + length:
        return None
    try:
        return json.loads(buf[5:5 + length])
    except ValueError:
        return {"type": "unreadable", "frame-type": ftype}


def connect(source, port):
    """A non-blocking socket connecting from source to the port."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.bind((source, 0))
    err = s.connect_ex(("127.0.0.1", port))
    if err not in (0, errno.EINPROGRESS):
        s.close()
        raise OSError(err, "connect")
    return s


def probe(args):
    """Print the first frame the server sends a fresh connection."""
    s = socket.create_connection(("127.0.0.1", args.port), timeout=10,
                                 source_address=(args.source, 0))
    buf = b""
    deadline = time.monotonic() + 10
    msg = None
    while msg is None and time.monotonic() < deadline:
        try:
            data = s.recv(65536)
        except OSError:
            break
        if not data:
            break
        buf += data
        msg = first_frame(buf)
    print(json.dumps({"probe": msg}), flush=True)
    s.close()


class Conn:
    """One flooding connection."""

    def __init__(self, sock, partial):
        self.sock = sock
        self.partial = partial
        self.connected = False
        self.buf = b""
        self.first = None


def flood(args):
    """Hold the connections, reopening them if asked, until the end."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.count + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    sel = selectors.DefaultSelector()
    counts = {"opened": 0, "errors": 0, "challenged": 0, "refused": {},
              "closed": 0, "held": 0, "max_held": 0}
    start = time.monotonic()
    next_report = start + 0.5
    conns = 0

    def report():
        elapsed = time.monotonic() - start
        line = dict(counts, t=round(elapsed, 2),
                    rate=round(counts["opened"] / max(elapsed, 0.001)))
        print(json.dumps(line), flush=True)

    def drop(c):
        nonlocal conns
        sel.unregister(c.sock)
        c.sock.close()
        conns -= 1
        if c.first is not None and c.first.get("type") == "challenge":
            counts["held"] -= 1

    while not stop and (args.duration is None or
                        time.monotonic() - start < args.duration):
        # Open what is missing, a batch at a time so reads go on.
        for _ in range(256):
            if conns >= args.count or (not args.reopen and
                                       counts["opened"] >= args.count):
                break
            counts["opened"] += 1
            try:
                s = connect(args.source, args.port)
            except OSError:
                counts["errors"] += 1
                break
            # PARTIAL of every COUNT connections stall mid-header.
            c = Conn(s, counts["opened"] * args.partial % args.count <
                     args.partial)
            sel.register(s, selectors.EVENT_WRITE, c)
            conns += 1
        for key, _ in sel.select(0.05):
            c = key.data
            if not c.connected:
                if c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    counts["errors"] += 1
                    drop(c)
                    continue
                c.connected = True
                if c.partial:
                    try:
                        c.sock.send(PARTIAL)
                    except OSError:
                        pass
                sel.modify(c.sock, selectors.EVENT_READ, c)
                continue
            try:
                data = c.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data and c.first is None:
                c.buf += data
                c.first = first_frame(c.buf)
                if c.first is not None:
                    if c.first.get("type") == "challenge":
                        counts["challenged"] += 1
                        counts["held"] += 1
                        counts["max_held"] = max(counts["max_held"],
                                                 counts["held"])
                    else:
                        code = c.first.get("code", "?")
                        counts["refused"][code] = \
                            counts["refused"].get(code, 0) + 1
                    c.buf = b""
            if not data:
                counts["closed"] += 1
                drop(c)
        if time.monotonic() >= next_report:
            report()
            next_report += 0.5
    report()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--source", default="127.0.0.1")
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--partial", type=int, default=0)
    ap.add_argument("--reopen", action="store_true")
    ap.add_argument("--duration", type=float)
    ap.add_argument("--probe", action="store_true")
    args = ap.parse_args()
    if args.probe:
        probe(args)
    else:
        flood(args)


if __name__ == "__main__":
    sys.exit(main())
