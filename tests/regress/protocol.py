#!/usr/bin/python3
"""Bad input against a running tvchatd: every case must get the documented
error and a closed connection, and the server must stay healthy.

usage: protocol.py PORT HANDSHAKE_TIMEOUT
Prints one line per check: "ok - what" or "not ok - what: detail".
"""

import json
import random
import struct
import sys
import time

import peer

PORT = int(sys.argv[1])
GRACE = float(sys.argv[2])


def report(good, what, detail=""):
    print(("ok - %s" if good else "not ok - %s: " + detail) % what,
          flush=True)


def expect_error(what, code, action, fatal=True, timeout=5.0):
    """Run action(peer) on a fresh connection and expect error `code`."""
    p = peer.Peer(PORT)
    try:
        got = action(p)
        if got is None:
            got = p.recv_json(timeout)
        if got.get("type") != "error" or got.get("code") != code:
            report(False, what, "got %s" % json.dumps(got)[:200])
            return
        if fatal:
            rest = p.wait_closed(timeout)
            report(True if not rest else False, what,
                   "more after the error: %s" % rest)
        else:
            report(True, what)
    except peer.Closed:
        report(False, what, "closed without an error message")
    except TimeoutError:
        report(False, what, "no answer")
    finally:
        p.close()


def after_challenge(data):
    """An action: read the challenge, then send raw bytes."""
    def act(p):
        p.recv_json()
        p.send_raw(data)
    return act


def joined_then(msg):
    """An action: join under a unique name, then send msg."""
    def act(p):
        name = "p%d" % random.randrange(10 ** 8)
        welcome = p.hello(name)
        assert welcome["type"] == "welcome", welcome
        p.send(msg)
    return act


def interop_jwk():
    """The JWK of the shared test key."""
    return peer.interop.to_jwk(peer.shared_key().public_key())


EC_KEY = {"kty": "EC", "n": "AQAB", "e": "AQAB"}
FUTURE = peer.PROTOCOL_VERSION + 1
FAKE_PREKEY = {"key": "A" * 43, "created": 0, "sig": "A" * 512}


def hello_order():
    """A hello with several faults gets the error of the first check that
    fails, in the order of tvchat-protocol(5), "Handshake"."""
    # Well-formed, but too short for the server (bad-key once checked).
    weak = peer.rsa.generate_private_key(public_exponent=65537,
                                         key_size=1024)
    weak_bad_sig = {"sig": peer.interop.b64url(b"\x01" * 128)}
    cases = [
        ("a malformed version before a bad name", "version",
         dict(name="a b", version=0)),
        ("a missing version before a bad name", "bad-message",
         dict(name="a b", extra={"version": None})),
        ("a bad name before an unsupported version", "bad-name",
         dict(name="a b", version=FUTURE)),
        ("a bad name before a malformed key", "bad-name",
         dict(name="a b", extra={"key": EC_KEY})),
        ("a malformed key before an unsupported version", "bad-key",
         dict(name="future", version=FUTURE, extra={"key": EC_KEY})),
        ("a signature not as long as the key before the version",
         "bad-message", dict(name="future", version=FUTURE, key=weak,
                             sig="bad")),
        ("an unsupported version before an unacceptable key", "version",
         dict(name="future", version=FUTURE, key=weak)),
        ("an unacceptable key before a bad signature", "bad-key",
         dict(name="weak", key=weak, extra=weak_bad_sig)),
        ("an unsupported version before a taken name", "version",
         dict(name="keeper", version=FUTURE)),
        ("a version-1 hello, without a prekey, is told the version",
         "version", dict(name="old", version=1, extra={"prekey": None})),
        ("a bad signature before a taken name", "bad-signature",
         dict(name="KEEPER", sig="bad")),
    ]
    for what, code, kw in cases:
        expect_error("hello order: " + what, code,
                     lambda p, kw=kw: p.hello(**kw))
    # The fields are checked before the state: a malformed second hello
    # closes, where a well-formed one is only "unexpected".
    expect_error("hello order: the fields before \"already said hello\"",
                 "bad-name", joined_then({"type": "hello", "version": 1,
                                          "name": "a b",
                                          "key": interop_jwk(),
                                          "sig": "A" * 512}))


def same_bytes(keeper):
    """A chat is relayed as sent, the same sealed bytes to every
    recipient and the echo; a sender key reaches its one member stamped
    with its sender, and one for nobody is refused, not fatal
    (tvchat-protocol(5), "Sender keys")."""
    sender = peer.Peer(PORT)
    welcome = sender.hello("wkey")
    report(welcome.get("type") == "welcome", "wkey joins",
           json.dumps(welcome)[:200])
    msg = sender.seal("#lobby", "same for all", msg_id="sb1")
    sender.send(msg)
    try:
        got, echo = keeper.recv_json(), sender.recv_json()
        report(got.get("sealed") == msg["sealed"] == echo.get("sealed") and
               got.get("from") == "wkey" and got.get("id") == "sb1",
               "a room chat reaches everyone as sent",
               "%s / %s" % (json.dumps(got)[:200], json.dumps(echo)[:200]))
    except (peer.Closed, TimeoutError) as e:
        report(False, "a room chat reaches everyone as sent", repr(e))
    blob = peer.interop.b64url(bytes(200))
    sender.send({"type": "sender-key", "to": "KEEPER", "target": "#lobby",
                 "blob": blob, "from": "Keeper"})
    try:
        got = keeper.recv_json()
        report(got.get("type") == "sender-key" and got.get("from") ==
               "wkey" and got.get("blob") == blob and
               got.get("target") == "#lobby",
               "a sender key reaches its member, from stamped",
               json.dumps(got)[:200])
    except (peer.Closed, TimeoutError) as e:
        report(False, "a sender key reaches its member, from stamped",
               repr(e))
    for what, to in (("nobody", "nobody"), ("the sender itself", "wkey")):
        sender.send({"type": "sender-key", "to": to, "target": "#lobby",
                     "blob": blob})
        try:
            got = sender.recv_json()
            report(got.get("type") == "error" and
                   got.get("code") == "no-such-user",
                   "a sender key for %s is refused, not fatal" % what,
                   json.dumps(got)[:200])
        except (peer.Closed, TimeoutError) as e:
            report(False, "a sender key for %s is refused" % what, repr(e))
    sender.send({"type": "sender-key", "to": "Keeper", "target": "#lobby",
                 "blob": "A" * 10})
    try:
        got = sender.wait_closed()
        report(any(m.get("code") == "bad-message" for m in got),
               "a sender key too short to be one closes", str(got)[:200])
    except TimeoutError:
        report(False, "a sender key too short to be one closes", "open")
    sender.close()


def main():
    random.seed(7)
    peer.shared_key(0)
    peer.shared_key(1)

    # Handshake errors.
    expect_error("a name with a space is refused", "bad-name",
                 lambda p: p.hello("a b"))
    expect_error("a 33-character name is refused", "bad-name",
                 lambda p: p.hello("x" * 33))
    expect_error("a 1 MB name is too big", "too-big",
                 lambda p: p.hello("y" * 1000000))
    keeper = peer.Peer(PORT)
    welcome = keeper.hello("Keeper")
    report(welcome.get("type") == "welcome", "Keeper joins",
           json.dumps(welcome)[:200])
    expect_error("a taken name is refused, whatever its case", "name-taken",
                 lambda p: p.hello("kEEPER"))
    expect_error("a bad signature is refused", "bad-signature",
                 lambda p: p.hello("forger", sig="bad"))
    expect_error("a signature by another key is refused", "bad-signature",
                 lambda p: p.hello("forger", sig="other-key"))
    expect_error("another protocol version is refused", "version",
                 lambda p: p.hello("future", version=FUTURE))
    expect_error("a hello without a prekey is refused", "bad-message",
                 lambda p: p.hello("noprekey", extra={"prekey": None}))
    expect_error("a prekey not signed by the key is refused", "bad-key",
                 lambda p: p.hello("forged", extra={"prekey": FAKE_PREKEY}))
    expect_error("a prekey of 31 bytes is refused", "bad-key",
                 lambda p: p.hello("short", extra={"prekey": dict(
                     FAKE_PREKEY, key="A" * 42)}))
    expect_error("a non-RSA key is refused", "bad-key",
                 lambda p: p.hello("weird", extra={"key": {"kty": "EC",
                                                           "n": "AQAB",
                                                           "e": "AQAB"}}))
    expect_error("chat before hello is refused", "unexpected",
                 after_challenge(peer.frame({"type": "who"})))
    hello_order()

    # Framing errors.
    expect_error("an over-cap length is refused", "too-big",
                 after_challenge(struct.pack(">BI", 1, 0xFFFFFFFF)))
    expect_error("a zero-length JSON frame is refused", "empty",
                 after_challenge(struct.pack(">BI", 1, 0)))
    expect_error("an unknown frame type is refused", "bad-frame-type",
                 after_challenge(struct.pack(">BI", 9, 3) + b"abc"))
    expect_error("a video frame from a client is refused", "bad-frame-type",
                 after_challenge(peer.frame(b"\0" * 20 + b"\xff\xd8", 2)))
    expect_error("bad JSON is refused", "bad-json",
                 after_challenge(peer.frame(b'{"type":"who",}')))
    expect_error("a JSON array is refused", "bad-message",
                 after_challenge(peer.frame(b'["who"]')))
    expect_error("an unknown type is refused", "bad-type",
                 after_challenge(peer.frame({"type": "teleport"})))
    expect_error("invalid UTF-8 is refused", "bad-utf8",
                 after_challenge(peer.frame(b'{"type":"who","room":"#\xc0\xaf"}')))
    expect_error("a wrong field type is refused", "bad-message",
                 joined_then({"type": "chat", "to": 5, "id": "x",
                              "sealed": {}}))
    expect_error("a second hello is refused, not fatal", "unexpected",
                 joined_then({"type": "hello",
                              "version": peer.PROTOCOL_VERSION,
                              "name": "again", "key": interop_jwk(),
                              "sig": "A" * 512, "prekey": FAKE_PREKEY}),
                 fatal=False)

    # Random bytes: some error, then the connection closes.
    for i in range(5):
        junk = bytes(random.randrange(256) for _ in range(random.randrange(
            5, 400)))
        p = peer.Peer(PORT)
        p.recv_json()
        p.send_raw(junk)
        try:
            msgs = p.wait_closed(GRACE + 5)
            good = any(m.get("type") == "error" for m in msgs) or not msgs
            report(good, "random bytes #%d are refused" % i, str(msgs))
        except TimeoutError:
            report(False, "random bytes #%d are refused" % i, "still open")
        p.close()

    # Half a frame, then silence: dropped after the handshake timeout.
    p = peer.Peer(PORT)
    p.recv_json()
    start = time.monotonic()
    p.send_raw(struct.pack(">BI", 1, 100) + b'{"type":')
    try:
        msgs = p.wait_closed(GRACE + 5)
        took = time.monotonic() - start
        report(any(m.get("code") == "timeout" for m in msgs) and
               took < GRACE + 3, "a half frame is dropped after the "
               "handshake timeout", "%s after %.1fs" % (msgs, took))
    except TimeoutError:
        report(False, "a half frame is dropped after the handshake timeout",
               "still open")
    p.close()

    # The server is still healthy: Keeper is alone and can talk.
    keeper.send({"type": "who"})
    who = keeper.recv_json()
    names = sorted(u["name"] for u in who.get("users", []))
    report(names == ["Keeper"], "no slot leaked: only Keeper is present",
           str(names))
    keeper.send(keeper.seal("#lobby", "still here", msg_id="k1"))
    echo = keeper.recv_json()
    report(echo.get("type") == "chat" and echo.get("from") == "Keeper",
           "Keeper still chats", json.dumps(echo)[:200])
    same_bytes(keeper)

    # A forged "from" is ignored: the server stamps the sender.
    mallory = peer.Peer(PORT)
    mallory.hello("mallory")
    msg = mallory.seal("#lobby", "I am Keeper", msg_id="f1")
    msg["from"] = "Keeper"
    msg["ts"] = 1
    mallory.send(msg)
    got = keeper.recv_json()
    report(got.get("type") == "chat" and got.get("from") == "mallory" and
           got.get("ts", 0) > 1000000, "a forged from is replaced by the "
           "real sender", json.dumps(got)[:200])
    keeper.close()
    mallory.close()


if __name__ == "__main__":
    main()
