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
         dict(name="a b", version=2)),
        ("a bad name before a malformed key", "bad-name",
         dict(name="a b", extra={"key": EC_KEY})),
        ("a malformed key before an unsupported version", "bad-key",
         dict(name="future", version=2, extra={"key": EC_KEY})),
        ("a signature not as long as the key before the version",
         "bad-message", dict(name="future", version=2, key=weak, sig="bad")),
        ("an unsupported version before an unacceptable key", "version",
         dict(name="future", version=2, key=weak)),
        ("an unacceptable key before a bad signature", "bad-key",
         dict(name="weak", key=weak, extra=weak_bad_sig)),
        ("an unsupported version before a taken name", "version",
         dict(name="keeper", version=2)),
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


def sealed_for(keys):
    """A chat's sealed member as uploaded, with these wrapped keys; the
    server checks its shape only, so the values need not open."""
    b64 = peer.interop.b64url
    return {"iv": b64(bytes(12)), "ct": b64(b"x"), "tag": b64(bytes(16)),
            "sig": "AA", "keys": keys}


def wrapped_key_spelling(keeper):
    """Which member of "keys" a recipient gets: the one spelled as in the
    roster, else the first equal ignoring case (tvchat-protocol(5),
    "Sealed chat")."""
    sender = peer.Peer(PORT)
    welcome = sender.hello("wkey")
    report(welcome.get("type") == "welcome", "wkey joins",
           json.dumps(welcome)[:200])
    cases = [
        ("the roster's spelling wins over the others", ["Keeper"],
         {"KEEPER": "AAAA", "keeper": "BBBB", "Keeper": "CCCC",
          "wkey": "DDDD"}, "CCCC", None),
        ("without it, the first equal ignoring case", ["Keeper"],
         {"KEEPER": "AAAA", "keeper": "BBBB", "wkey": "DDDD"}, "AAAA", None),
        ("the roster's spelling, not the one in \"to\"", ["KEEPER"],
         {"keeper": "BBBB", "Keeper": "CCCC", "wkey": "DDDD"}, "CCCC", None),
        ("member names are compared as JSON decodes them", ["Keeper"],
         {"keeper": "BBBB", "Keeper": "CCCC", "wkey": "DDDD"}, "CCCC",
         ('"Keeper":"CCCC"', '"\\u004beeper":"CCCC"')),
    ]
    for n, (what, to, keys, want, edit) in enumerate(cases):
        msg = {"type": "chat", "to": to, "id": "wk%d" % n,
               "sealed": sealed_for(keys)}
        text = json.dumps(msg, separators=(",", ":"))
        if edit is not None:
            text = text.replace(*edit)
        sender.send_raw(peer.frame(text))
        try:
            got = keeper.recv_json()
            echo = sender.recv_json()
        except (peer.Closed, TimeoutError) as e:
            report(False, "wrapped key: " + what, repr(e))
            continue
        report(got.get("type") == "chat" and got.get("id") == "wk%d" % n and
               got["sealed"].get("key") == want and
               echo.get("type") == "chat" and
               echo["sealed"].get("key") == "DDDD",
               "wrapped key: " + what, "%s / echo %s" % (
                   json.dumps(got)[:300], json.dumps(echo)[:200]))
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
                 lambda p: p.hello("future", version=2))
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
                 joined_then({"type": "hello", "version": 1, "name": "again",
                              "key": interop_jwk(), "sig": "A" * 512}),
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
    keeper.send(keeper.seal("#lobby", "still here", {
        "Keeper": keeper.key.public_key()}, msg_id="k1"))
    echo = keeper.recv_json()
    report(echo.get("type") == "chat" and echo.get("from") == "Keeper",
           "Keeper still chats", json.dumps(echo)[:200])
    wrapped_key_spelling(keeper)

    # A forged "from" is ignored: the server stamps the sender.
    mallory = peer.Peer(PORT)
    mallory.hello("mallory")
    msg = mallory.seal("#lobby", "I am Keeper", {
        "Keeper": keeper.key.public_key(),
        "mallory": mallory.key.public_key()}, msg_id="f1")
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
