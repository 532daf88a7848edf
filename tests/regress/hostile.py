#!/usr/bin/python3
"""A hostile tvchat server for the regress tests.

Speaks just enough of the protocol to log a client in, then sends every
free-text field a server controls with terminal controls, escape
sequences and bidi overrides in it: the motd, a user's fingerprint and
what they watch, a leave reason, an error message, video titles (in the
library, a stream and watch-together) and a stream-end message. A client
must show each of them visibly and never let them move its cursor.

Other modes attack the client in other ways:
  joins N   announce N newcomers, then an error "joins done"
  silent    accept and send nothing
  drip      send the challenge one byte a second
  bad KIND  after the welcome, one thing the client must refuse (and
            close for): video (a malformed video frame), utf8, type (an
            unknown type), chat (a chat missing fields), nan (a pong
            with NaN in it), challenge or welcome (a second one)
  early KIND  before the welcome, a well-formed message that only comes
            after it, which the client must refuse: chat, join, video
            (a sound video frame), stream

usage: hostile.py PORTFILE [MODE [ARG]]   (writes the port to PORTFILE)
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


BAD = {
    "video": peer.frame(b"\0" * 7, 2),
    "utf8": peer.frame(b'{"type":"pong","id":1,"x":"\xff"}'),
    "type": peer.frame({"type": "teleport"}),
    "chat": peer.frame({"type": "chat", "from": "eve"}),
    "nan": peer.frame(b'{"type":"pong","id":1,"x":NaN}'),
    "challenge": peer.frame({"type": "challenge",
                             "version": peer.PROTOCOL_VERSION,
                             "server": "hostile", "nonce": "A" * 43}),
    "welcome": peer.frame({"type": "welcome", "name": "someone",
                           "users": [], "videos": []}),
}

# A prekey of the right shape (not signed: clients check, and seal
# nothing to it).
PREKEY = {"key": "A" * 43, "created": 0, "sig": "AA"}

# Valid messages, but not allowed before the welcome.
EARLY = {
    "chat": peer.frame({"type": "chat", "from": "eve", "to": "#lobby",
                        "id": "early", "ts": 1, "sealed": "A" * 200}),
    "video": peer.frame(struct.pack(">IIIHHBBH", 7, 0, 0, 160, 90, 1, 1, 0) +
                        b"\xff\xd8\xff\xd9", 2),
    "stream": peer.frame({"type": "stream", "id": 7, "name": "early",
                          "quality": "240p", "fps": 30, "frames": 90,
                          "duration": 3, "w": 160, "h": 90}),
}


def serve(conn, key_jwk, mode, arg):
    """Log one client in and attack it as mode says."""
    send = lambda m: conn.sendall(peer.frame(m))  # noqa: E731
    challenge = peer.frame({"type": "challenge",
                             "version": peer.PROTOCOL_VERSION,
                            "server": "hostile",
                            "nonce": peer.interop.b64url(os.urandom(32))})
    if mode == "silent":
        time.sleep(600)
        return
    if mode == "drip":
        for b in challenge:
            conn.sendall(bytes([b]))
            time.sleep(1)
        return
    conn.sendall(challenge)
    buf = b""
    got = recv_frame(conn, buf)
    if got is None:
        return
    _, payload, buf = got
    hello = json.loads(payload)
    if mode == "early":
        conn.sendall(EARLY[arg] if arg != "join" else peer.frame({
            "type": "join", "user": {"name": "eve", "key": key_jwk,
                                     "fingerprint": "x",
                                     "prekey": PREKEY}}))
    videos = [{"name": HOSTILE["title"], "qualities": ["240p"],
               "duration": 3}]
    eve = {"name": "eve", "key": key_jwk,
           "fingerprint": HOSTILE["fingerprint"], "prekey": PREKEY,
           "watching": HOSTILE["watching"], "rooms": ["#lobby"]}
    me = {"name": hello["name"], "key": hello["key"], "fingerprint": "x",
          "prekey": hello["prekey"], "rooms": ["#lobby"]}
    send({"type": "welcome", "name": hello["name"], "users": [me, eve],
          "videos": videos, "motd": HOSTILE["motd"]})
    if mode == "joins":
        conn.sendall(b"".join(peer.frame({"type": "join", "user": {
            "name": "n%05d" % i, "key": key_jwk, "fingerprint": "x",
            "prekey": PREKEY, "rooms": ["#lobby"]}})
            for i in range(int(arg))))
        send({"type": "error", "code": "internal", "message": "joins done"})
    elif mode == "bad":
        conn.sendall(BAD[arg])
        send({"type": "error", "code": "internal", "message": "after bad"})
    elif mode == "early":
        send({"type": "error", "code": "internal", "message": "after bad"})
    else:
        fields(send, videos)
    answer(conn, buf, send, videos)


def fields(send, videos):
    """Send every free-text field with controls in it."""
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


def answer(conn, buf, send, videos):
    """Answer what the client asks until it goes."""
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
    mode = sys.argv[2] if len(sys.argv) > 2 else "fields"
    arg = sys.argv[3] if len(sys.argv) > 3 else None
    # Listen at once: the key (for eve and the newcomers) is made in the
    # background, as that takes a while on a loaded machine.
    keys = []
    maker = threading.Thread(target=lambda: keys.append(
        peer.interop.to_jwk(peer.shared_key().public_key())), daemon=True)
    maker.start()
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(8)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % lsock.getsockname()[1])
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    while True:
        conn, _ = lsock.accept()
        if mode not in ("silent", "drip"):
            maker.join()
        threading.Thread(target=serve_one,
                         args=(conn, keys[0] if keys else None, mode, arg),
                         daemon=True).start()


def serve_one(conn, key_jwk, mode, arg):
    """Serve a connection until either side closes it."""
    try:
        serve(conn, key_jwk, mode, arg)
    except (OSError, ValueError):
        pass
    conn.close()


if __name__ == "__main__":
    main()
