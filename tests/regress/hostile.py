#!/usr/bin/python3
"""A hostile tvchat server for the regress tests.

Speaks just enough of the protocol to log a client in, then sends every
free-text field a server controls with terminal controls, escape
sequences and bidi overrides in it: the motd, a user's fingerprint and
what they watch, a leave reason, an error message, video titles (in the
library, a stream and watch-together) and a stream-end message. A client
must show each of them visibly and never let them move its cursor.

usage: hostile.py PORTFILE    (writes "PORT" to PORTFILE once listening)
"""

import json
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402

# What each field carries; screen-safe.sh checks the same strings.
HOSTILE = {
    "motd": "MOTD\r02:03 <alice> motd forged\x1b[2J",
    "fingerprint": "FP\x1b]0;pwned\x07",
    "watching": "WATCHING\u202eevil",
    "reason": "LEAVE\n02:03 -!- forged notice",
    "error": "ERROR\b\bXX\u202eabc",
    "title": "TITLE\x9b2J\x7f",
    "end": "END\u2066iso\u2069\r",
}


def recv_frame(sock, buf):
    """Read one frame; return (type, payload, rest) or None on close."""
    while len(buf) < 5 or len(buf) < 5 + struct.unpack(">I", buf[1:5])[0]:
        data = sock.recv(65536)
        if not data:
            return None
        buf += data
    n = struct.unpack(">I", buf[1:5])[0]
    return buf[0], buf[5:5 + n], buf[5 + n:]


def serve(conn, key_jwk):
    """Log one client in and send it every hostile field."""
    send = lambda m: conn.sendall(peer.frame(m))  # noqa: E731
    send({"type": "challenge", "version": 1, "server": "hostile",
          "nonce": peer.interop.b64url(os.urandom(32))})
    buf = b""
    got = recv_frame(conn, buf)
    if got is None:
        return
    _, payload, buf = got
    hello = json.loads(payload)
    videos = [{"name": HOSTILE["title"], "qualities": ["240p"],
               "duration": 3}]
    eve = {"name": "eve", "key": key_jwk,
           "fingerprint": HOSTILE["fingerprint"],
           "watching": HOSTILE["watching"], "rooms": ["#lobby"]}
    me = {"name": hello["name"], "key": hello["key"], "fingerprint": "x",
          "rooms": ["#lobby"]}
    send({"type": "welcome", "name": hello["name"], "users": [me, eve],
          "videos": videos, "motd": HOSTILE["motd"]})
    time.sleep(0.3)
    send({"type": "stream", "id": 7, "name": HOSTILE["title"],
          "quality": "240p", "fps": 30, "frames": 90, "duration": 3,
          "w": 160, "h": 90})
    send({"type": "stream-end", "id": 7, "reason": "error",
          "message": HOSTILE["end"]})
    send({"type": "watch", "room": "#lobby", "name": HOSTILE["title"],
          "quality": "240p", "by": "eve"})
    send({"type": "error", "code": "internal", "message": HOSTILE["error"]})
    send({"type": "leave", "name": "eve", "reason": HOSTILE["reason"]})
    send({"type": "videos", "videos": videos})
    # Answer what the client asks until it goes.
    while True:
        got = recv_frame(conn, buf)
        if got is None:
            return
        _, payload, buf = got
        msg = json.loads(payload)
        if msg.get("type") == "ping":
            send({"type": "pong", "id": msg.get("id", 0)})
        elif msg.get("type") == "videos":
            send({"type": "videos", "videos": videos})


def main():
    key_jwk = peer.interop.to_jwk(peer.shared_key().public_key())
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(8)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % lsock.getsockname()[1])
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=serve_one, args=(conn, key_jwk),
                         daemon=True).start()


def serve_one(conn, key_jwk):
    """Serve a connection until either side closes it."""
    try:
        serve(conn, key_jwk)
    except (OSError, ValueError):
        pass
    conn.close()


if __name__ == "__main__":
    main()
