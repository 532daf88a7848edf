#!/usr/bin/python3
"""A raw tvchat protocol peer for the regress tests.

Speaks the wire protocol directly (framing, handshake with a signed
prekey, chat sealed with a sender session) with the RSA of
tests/interop/interop.py and python3-cryptography, so tests can send what
a well-behaved client never would: bad frames, forged fields, a signature
by the wrong key, or simply stop reading.
"""

import json
import os
import select
import selectors
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "interop"))
import interop  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa  # noqa
from cryptography.hazmat.primitives.asymmetric import x25519  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

PROTOCOL_VERSION = 2

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


target_of = interop.target_of


class Session:
    """A sender session of ours (tvchat-protocol(5), "Sender keys"),
    sealed and given with the formats of tests/interop/interop.py."""

    def __init__(self, sender, target):
        self.sender, self.target = sender, target
        self.sid, self.ck, self.index = os.urandom(16), os.urandom(32), 0
        self.signer = ed25519.Ed25519PrivateKey.generate()
        self.created = int(time.time() * 1000)

    def seal(self, plain):
        """The sealed blob of the next message."""
        header = bytes([1, 1]) + self.sid + struct.pack(">I", self.index)
        mk, self.ck = interop.chain_step(self.ck)
        key, nonce = interop.key_and_nonce(mk, interop.MESSAGE_CONTEXT +
                                           header[2:])
        aad = header + interop.lp(self.target) + \
            interop.lp(self.sender.encode())
        sealed = AESGCM(key).encrypt(nonce, plain, aad)
        self.index += 1
        return header + sealed + self.signer.sign(
            interop.MESSAGE_CONTEXT + aad + sealed)

    def envelope(self, identity, recipient, prekey):
        """The session at its index, signed by identity, sealed for
        recipient to its prekey (32 raw bytes)."""
        name = self.sender.encode()
        sigpub = interop.raw_public(self.signer.public_key())
        idsig = interop.sign(identity, interop.session_data(
            name, self.target, self.sid, sigpub, self.created))
        inner = (interop.lp(name) + interop.lp(self.target) + self.sid +
                 sigpub + struct.pack(">q", self.created) +
                 interop.lp(idsig) + struct.pack(">I", self.index) +
                 self.ck + self.signer.sign(interop.chain_data(
                     self.sid, self.index, self.ck)))
        eph = x25519.X25519PrivateKey.generate()
        shared = eph.exchange(x25519.X25519PublicKey.from_public_bytes(
            prekey))
        header = bytes([1, 2]) + interop.raw_public(eph.public_key()) + \
            prekey
        aad = interop.envelope_aad(header, name, recipient.encode(),
                                   self.target)
        key, nonce = interop.key_and_nonce(shared,
                                           aad[interop.DIST_HEADER_LEN:])
        return header + AESGCM(key).encrypt(nonce, inner, aad)


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

    def hello_message(self, name, key, sig, version=PROTOCOL_VERSION):
        """A hello for name with key and the challenge's signature sig,
        and a fresh prekey signed by key."""
        self.prekey = x25519.X25519PrivateKey.generate()
        pub = interop.raw_public(self.prekey.public_key())
        created = int(time.time() * 1000)
        return {"type": "hello", "version": version, "name": name,
                "key": interop.to_jwk(key.public_key()),
                "sig": interop.b64url(sig),
                "prekey": {"key": interop.b64url(pub), "created": created,
                           "sig": interop.b64url(interop.sign(
                               key, interop.prekey_data(name, pub,
                                                        created)))}}

    def hello(self, name, key=None, version=PROTOCOL_VERSION, sig="good",
              extra=None):
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
        msg = self.hello_message(name, key, s, version)
        msg.update(extra or {})
        self.send(msg)
        self.name, self.key = name, key
        return self.recv_json()

    def session(self, to):
        """Our sender session for to (a room or names), made once."""
        sessions = self.__dict__.setdefault("sessions", {})
        target = target_of(self.name, to)
        if target not in sessions:
            sessions[target] = Session(self.name, target)
        return sessions[target]

    def give(self, to, users):
        """sender-key messages giving our session for to to each user
        object of users (from a welcome or who), but ourselves."""
        s = self.session(to)
        return [{"type": "sender-key", "to": u["name"], "target": to,
                 "blob": interop.b64url(s.envelope(
                     self.key, u["name"],
                     interop.unb64url(u["prekey"]["key"])))}
                for u in users if u["name"] != self.name]

    def seal(self, to, text, msg_id="m1", signer=None):
        """A chat message to `to`, sealed with our session for it. Only
        members given the session (give()) can open it. A signer other
        than the session's makes a forged signature."""
        s = self.session(to)
        real = s.signer
        if signer is not None:
            s.signer = signer
        plain = json.dumps({"id": msg_id, "text": text}).encode()
        try:
            blob = s.seal(plain)
        finally:
            s.signer = real
        return {"type": "chat", "to": to, "id": msg_id,
                "sealed": interop.b64url(blob)}

    def take_key(self, msg, identity):
        """Keep the session of sender-key msg (identity: the sender's RSA
        public key, as the roster has it); raise interop.Failure if it
        does not open or check."""
        target = target_of(msg["from"], msg["target"])
        sid, index, ck, sigpub, _ = interop.dist_open(
            self.prekey, self.name, identity, msg["from"], target,
            interop.unb64url(msg["blob"]))
        self.__dict__.setdefault("received", {})[(msg["from"].lower(),
                                                  sid)] = (
            (sid, index, ck), ed25519.Ed25519PublicKey.from_public_bytes(
                sigpub), set())

    def open(self, msg):
        """The plaintext object of chat msg, opened with a session given
        to us; raise interop.Failure (or KeyError: no such session)."""
        blob = interop.unb64url(msg["sealed"])
        chain, sigpub, opened = self.__dict__.get("received", {})[
            (msg["from"].lower(), blob[2:18])]
        plain = json.loads(interop.sk_open_one(
            blob, sigpub, chain, msg["from"],
            target_of(msg["from"], msg["to"]), opened))
        if plain.get("id") != msg["id"]:
            raise interop.Failure("the sealed id is not the message's")
        return plain

    def close(self):
        self.sock.close()


def pump(peers, until, timeout, tick=None):
    """Read from every peer, calling until(p, payload) per JSON frame,
    until all have returned True or the timeout passes; tick() runs
    between rounds. Returns the indices of the peers not done."""
    sel = selectors.DefaultSelector()
    waiting = set(range(len(peers)))
    for i, p in enumerate(peers):
        p.sock.setblocking(False)
        sel.register(p.sock, selectors.EVENT_READ, i)
    deadline = time.monotonic() + timeout
    while waiting and time.monotonic() < deadline:
        for key, _ in sel.select(0.2):
            p = peers[key.data]
            try:
                data = p.sock.recv(1 << 20)
            except BlockingIOError:
                continue
            if not data:
                sel.unregister(p.sock)
                continue
            p.buf += data
            for ftype, payload in p.frames():
                if ftype == 1 and until(p, payload):
                    waiting.discard(key.data)
        if tick is not None:
            tick()
    sel.close()
    for p in peers:
        p.sock.setblocking(True)
    return waiting
