#!/usr/bin/python3
"""A raw tvchat protocol peer for the regress tests.

Speaks the wire protocol directly (framing, handshake, sealed chat) with
the independent crypto of tests/interop/interop.py, so tests can send what
a well-behaved client never would: bad frames, forged fields, a signature
by the wrong key, or simply stop reading.
"""

import json
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "interop"))
import interop  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

_KEYS = []


def new_key():
    """A fresh RSA-3072 private key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


def shared_key(i=0):
    """The i-th key of a small per-process pool (key generation is slow)."""
    while len(_KEYS) <= i:
        _KEYS.append(new_key())
    return _KEYS[i]


def frame(payload, ftype=1):
    """One wire frame."""
    if isinstance(payload, (dict, list)):
        payload = json.dumps(payload, separators=(",", ":")).encode()
    elif isinstance(payload, str):
        payload = payload.encode()
    return struct.pack(">BI", ftype, len(payload)) + payload


class Closed(Exception):
    """The server closed the connection."""


class Peer:
    """One connection to tvchatd."""

    def __init__(self, port, host="127.0.0.1"):
        # Make the pool's first key before connecting: on a loaded machine
        # that can take longer than the server's handshake timeout.
        shared_key()
        self.sock = socket.create_connection((host, port), timeout=10)
        self.buf = b""
        self.closed = False
        self.name = None
        self.key = None

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, msg):
        self.send_raw(frame(msg))

    def take_frame(self):
        """The first complete frame buffered as (type, payload), or None."""
        if len(self.buf) < 5:
            return None
        ftype, length = struct.unpack(">BI", self.buf[:5])
        if len(self.buf) < 5 + length:
            return None
        payload = self.buf[5:5 + length]
        self.buf = self.buf[5 + length:]
        return ftype, payload

    def frames(self):
        """Yield every complete frame buffered, as (type, payload)."""
        while (f := self.take_frame()) is not None:
            yield f

    def recv(self, timeout=5.0):
        """The next frame as (type, payload), or raise Closed/TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            if (f := self.take_frame()) is not None:
                return f
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame")
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                continue
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                self.closed = True
                raise Closed()
            self.buf += data

    def recv_json(self, timeout=5.0, skip=("ping", "join", "leave",
                                           "room-join", "room-leave")):
        """The next JSON message not of a skipped type."""
        while True:
            ftype, payload = self.recv(timeout)
            if ftype != 1:
                continue
            msg = json.loads(payload)
            if msg.get("type") not in skip:
                return msg

    def wait_closed(self, timeout=5.0):
        """Collect messages until the server closes; return them."""
        msgs = []
        try:
            while True:
                ftype, payload = self.recv(timeout)
                if ftype == 1:
                    msgs.append(json.loads(payload))
        except Closed:
            return msgs

    def hello(self, name, key=None, version=1, sig="good", extra=None):
        """Answer the challenge; return the server's answer message."""
        challenge = self.recv_json()
        assert challenge["type"] == "challenge", challenge
        nonce = interop.unb64url(challenge["nonce"])
        key = key or shared_key()
        if sig == "good":
            s = interop.sign(key, interop.hello_data(nonce, name))
        elif sig == "other-key":
            s = interop.sign(new_key() if len(_KEYS) < 2 else shared_key(1),
                             interop.hello_data(nonce, name))
        else:
            s = b"\x01" * 384
        msg = {"type": "hello", "version": version, "name": name,
               "key": interop.to_jwk(key.public_key()),
               "sig": interop.b64url(s)}
        msg.update(extra or {})
        self.send(msg)
        self.name, self.key = name, key
        return self.recv_json()

    def seal(self, to, text, rcpts, msg_id="m1", signer=None):
        """A chat message to `to` for rcpts {name: public key}."""
        plain = json.dumps({"text": text}).encode()
        content_key, iv = os.urandom(32), os.urandom(12)
        sealed = AESGCM(content_key).encrypt(iv, plain, None)
        ct, tag = sealed[:-16], sealed[-16:]
        sig = interop.sign(signer or self.key,
                           interop.chat_data(self.name, to, msg_id, iv, ct,
                                             tag))
        keys = {n: interop.b64url(k.encrypt(content_key, interop.OAEP))
                for n, k in rcpts.items()}
        return {"type": "chat", "to": to, "id": msg_id,
                "sealed": {"iv": interop.b64url(iv), "ct": interop.b64url(ct),
                           "tag": interop.b64url(tag),
                           "sig": interop.b64url(sig), "keys": keys}}

    def close(self):
        self.sock.close()
