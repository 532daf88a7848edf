#!/usr/bin/python3
"""A recording TCP proxy for the regress tests.

usage: proxy.py LISTEN_PORT TARGET_PORT RECORD_FILE
Forwards every connection on 127.0.0.1:LISTEN_PORT to TARGET_PORT and
appends every byte in either direction to RECORD_FILE. Prints "ready"
once listening.
"""

import selectors
import socket
import sys


def main():
    listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
    record = open(sys.argv[3], "ab", buffering=0)
    sel = selectors.DefaultSelector()
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", listen_port))
    lsock.listen(64)
    sel.register(lsock, selectors.EVENT_READ, None)
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                client, _ = lsock.accept()
                server = socket.create_connection(("127.0.0.1", target_port))
                sel.register(client, selectors.EVENT_READ, server)
                sel.register(server, selectors.EVENT_READ, client)
                continue
            src, dst = key.fileobj, key.data
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                for s in (src, dst):
                    try:
                        sel.unregister(s)
                    except (KeyError, ValueError):
                        pass
                    s.close()
                continue
            record.write(data)
            dst.sendall(data)


if __name__ == "__main__":
    main()
