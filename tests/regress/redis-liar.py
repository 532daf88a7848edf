#!/usr/bin/python3
"""A Redis that lies, for the regress tests: a proxy to a real Redis that
slips bytes of its own into what Redis sends back.

usage: redis-liar.py REDIS_PORT CONTROL_DIR
Listens on a free loopback port and prints "ready PORT"; forwards every
connection to REDIS_PORT. A file CONTROL_DIR/sub or CONTROL_DIR/cmd is
taken (and removed) and its bytes are sent to the client on its
subscribed connection (the newest that sent SUBSCRIBE) or its other one,
once that has been quiet for a moment (so they fall between replies);
then "lied on sub" or "lied on cmd" is printed.
"""

import os
import selectors
import socket
import sys
import time

QUIET = 0.3


def drop(sel, conns, client):
    """Close a client's connection and its connection to Redis."""
    for s in (client, conns.pop(client)["server"]):
        sel.unregister(s)
        s.close()


def main():
    redis_port, control = int(sys.argv[1]), sys.argv[2]
    sel = selectors.DefaultSelector()
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    sel.register(lsock, selectors.EVENT_READ, None)
    print("ready %d" % lsock.getsockname()[1], flush=True)
    conns = {}      # client socket -> {"server", "sub", "last"}
    while True:
        for key, _ in sel.select(0.05):
            if key.data is None:
                client, _ = lsock.accept()
                server = socket.create_connection(("127.0.0.1", redis_port))
                conns[client] = {"server": server, "sub": False,
                                 "last": time.monotonic()}
                sel.register(client, selectors.EVENT_READ, (client, True))
                sel.register(server, selectors.EVENT_READ, (client, False))
                continue
            client, upward = key.data
            # Both ends of a pair can be ready in one select(): the
            # first may have closed the pair already.
            c = conns.get(client)
            if c is None:
                continue
            src, dst = (client, c["server"]) if upward else \
                (c["server"], client)
            try:
                data = src.recv(65536)
                if data:
                    dst.sendall(data)
            except OSError:
                data = b""
            if not data:
                drop(sel, conns, client)
                continue
            if upward and b"SUBSCRIBE" in data.upper():
                c["sub"] = True
            c["last"] = time.monotonic()
        now = time.monotonic()
        for kind in ("sub", "cmd"):
            path = os.path.join(control, kind)
            if not os.path.exists(path):
                continue
            quiet = [cl for cl, c in conns.items()
                     if c["sub"] == (kind == "sub") and
                     now - c["last"] >= QUIET]
            if not quiet:
                continue
            with open(path, "rb") as f:
                lie = f.read()
            os.unlink(path)
            try:
                quiet[-1].sendall(lie)
            except OSError:
                drop(sel, conns, quiet[-1])
            print("lied on %s" % kind, flush=True)


if __name__ == "__main__":
    main()
