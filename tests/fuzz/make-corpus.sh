#!/bin/sh
# Regenerate the fuzz seed corpora in tests/fuzz/corpus (not run by make
# check). Needs a configured build tree with tests/interop/tvchat-cryptotool
# built, a C compiler, python3 (with python3-cryptography) and openssl.
# Sealed chats and sessions use the TEST-ONLY identities in fuzz_keys.h
# and the fixed session and prekey bytes of fuzz_senderkey.c and
# fuzz_util.c; fresh ephemeral keys and nonces make every run's files
# differ, and that is fine.
#
# usage: make-corpus.sh BUILDDIR [OUTDIR]
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 BUILDDIR [OUTDIR]" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
tool=$(cd "$1" && pwd)/tests/interop/tvchat-cryptotool
out=${2:-$here/corpus}
[ -x "$tool" ] || { echo "$0: build $tool first" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# Write the two test identities out as files the crypto tool can load.
cat >"$tmp/keys.c" <<'EOF'
#include <stdio.h>
#include "fuzz_keys.h"
int
main(int argc, char **argv)
{
	FILE	*a = fopen(argv[1], "w"), *b = fopen(argv[2], "w");

	if (argc != 3 || a == NULL || b == NULL ||
	    fputs(fuzz_alice_key, a) == EOF || fputs(fuzz_bob_key, b) == EOF ||
	    fclose(a) != 0 || fclose(b) != 0)
		return 1;
	return 0;
}
EOF
${CC:-cc} -I"$here" -o "$tmp/keys" "$tmp/keys.c"
(umask 077 && "$tmp/keys" "$tmp/alice" "$tmp/bob")

openssl genrsa 4096 2>/dev/null | openssl rsa -noout -modulus >"$tmp/n4096"
openssl genrsa -3 2048 2>/dev/null | openssl rsa -noout -modulus >"$tmp/n2048e3"

kinds="frame msg jwk senderkey distribution client knownkeys batch"
for k in $kinds; do
	mkdir -p "$out/$k"
	rm -f "$out/$k"/*
done

TOOL=$tool TMP=$tmp OUT=$out INTEROP=$here/../interop ${PYTHON3:-python3} - <<'EOF'
import base64, json, os, struct, subprocess, sys

tool, tmp, out = os.environ["TOOL"], os.environ["TMP"], os.environ["OUT"]
sys.path.insert(0, os.environ["INTEROP"])
import interop
alice, bob = tmp + "/alice", tmp + "/bob"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def text(obj):
    return json.dumps(obj, separators=(",", ":"))


def put(kind, name, data):
    if isinstance(data, str):
        data = data.encode()
    with open("%s/%s/%s" % (out, kind, name), "wb") as f:
        f.write(data)


def run(*args, stdin=b""):
    return subprocess.run((tool,) + args, input=stdin, check=True,
                          stdout=subprocess.PIPE).stdout.decode().strip()


ajwk = json.loads(run("jwk", alice))
bjwk = json.loads(run("jwk", bob))
afp = run("fingerprint", alice)


def unb64u(t):
    return base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))


# The fixed bytes of fuzz_senderkey.c (alice's session) and fuzz_util.c
# (bob's prekey secret).
SEED = b64u(bytes(range(1, 33)))
SID = b64u(bytes(range(0xa0, 0xb0)))
CK = b64u(bytes(range(0x40, 0x60)))
BOB_SECRET = b64u(bytes(range(0x70, 0x90)))
CREATED = 1700000000000
bob_prekey = run("x25519-pub", BOB_SECRET)
alice_prekey = run("x25519-pub", b64u(bytes(range(0x10, 0x30))))


class Sender:
    """alice's session from the fixed chain, sealing in order."""

    def __init__(self, sid=SID):
        self.sid, self.index, self.ck = sid, 0, CK

    def seal(self, to, plain):
        r = json.loads(run("sk-seal", SEED, self.sid, str(self.index), self.ck,
                           "alice", text(to), stdin=plain))
        self.index, self.ck = r["index"], r["ck"]
        return r["blob"]

    def give(self, to, rcpt="bob", prekey=None):
        """The session from its current index, sealed to rcpt."""
        return run("dist-seal", alice, SEED, self.sid, str(self.index),
                   self.ck,
                   str(CREATED), "alice", text(to), rcpt,
                   prekey or bob_prekey)


def prekey(path, name, pub):
    return {"key": pub, "created": CREATED,
            "sig": run("prekey-sign", path, name, pub, str(CREATED))}


def deliver(sealed, to, msgid, frm="alice"):
    return {"type": "chat", "from": frm, "to": to, "id": msgid,
            "ts": 1700000000123, "sealed": sealed}


def sender_key(blob, to, frm="alice"):
    return {"type": "sender-key", "from": frm, "target": to, "blob": blob}


# ---- senderkey: alice's blobs (mode 0) and scripts (mode 1) ------------
tx = Sender()
first = tx.seal("#lobby", b"hello #lobby")
put("senderkey", "room-0", b"\0" + unb64u(first))
put("senderkey", "one-byte-1", b"\0" + unb64u(tx.seal("#lobby", b"x")))
for i in range(3):
    tx.seal("#lobby", b"lost")
put("senderkey", "room-5", b"\0" + unb64u(tx.seal("#lobby", "caf\u00e9 \u2615"
                                                    .encode())))
put("senderkey", "names", b"\0" + unb64u(Sender().seal(["bob"], b"to bob")))
raw = bytearray(unb64u(first))
raw[30] ^= 1
put("senderkey", "ct-flipped", b"\0" + bytes(raw))
put("senderkey", "version-2", b"\0\2" + unb64u(first)[1:])
put("senderkey", "truncated", b"\0" + unb64u(first)[:101])


def script(*steps):
    return b"\1" + bytes(b for step in steps for b in step)


SEAL, OPEN, FLIP, MISATTR, SKIP = range(5)
put("senderkey", "script-order", script(
    (SEAL, 10, 120), (OPEN, 0, 0), (OPEN, 0, 0), (SEAL, 0, 0),
    (SEAL, 200, 65), (OPEN, 2, 0), (OPEN, 1, 0), (FLIP, 1, 9),
    (MISATTR, 0, 1), (MISATTR, 0, 2)))
put("senderkey", "script-skip", script(
    (SEAL, 5, 97), (SKIP, 20, 0x80), (SEAL, 5, 98), (OPEN, 1, 0),
    (OPEN, 0, 0), (SKIP, 250, 0x80), (SEAL, 1, 99), (OPEN, 2, 0)))
put("senderkey", "script-expire", script(
    (SEAL, 3, 97), (SKIP, 16, 0x80 | 52), (SEAL, 3, 98), (OPEN, 1, 0),
    (OPEN, 0, 0)))

# ---- distribution: envelopes to bob's prekey (mode 0), their insides ----
def inner_of(envelope):
    """Decrypt envelope (to bob, from alice, for #lobby) as bob."""
    blob = unb64u(envelope)
    mine = interop.x25519.X25519PrivateKey.from_private_bytes(
        bytes(range(0x70, 0x90)))
    header = blob[:interop.DIST_HEADER_LEN]
    shared = mine.exchange(interop.x25519.X25519PublicKey.from_public_bytes(
        header[2:2 + interop.KEY_LEN]))
    aad = interop.envelope_aad(header, b"alice", b"bob", b"#lobby")
    key, nonce = interop.key_and_nonce(shared,
                                       aad[interop.DIST_HEADER_LEN:])
    return interop.AESGCM(key).decrypt(
        nonce, blob[interop.DIST_HEADER_LEN:], aad)


tx = Sender()
room = tx.give("#lobby")
put("distribution", "room", b"\0" + unb64u(room))
put("distribution", "for-carol", b"\0" + unb64u(tx.give("#lobby", "carol")))
put("distribution", "other-target", b"\0" + unb64u(tx.give("#rust")))
put("distribution", "other-prekey",
    b"\0" + unb64u(tx.give("#lobby", prekey=alice_prekey)))
put("distribution", "inner", b"\1" + inner_of(room))
inner = bytearray(inner_of(room))
inner[-1] ^= 1
put("distribution", "inner-chainsig-flipped", b"\1" + bytes(inner))
put("distribution", "inner-truncated", b"\1" + inner_of(room)[:-65])
# Regression: an empty inside once sealed into an envelope nothing opens.
put("distribution", "inner-empty", b"\1")
tx.seal("#lobby", b"moved on")
put("distribution", "inner-index-1", b"\1" + inner_of(tx.give("#lobby")))

# ---- jwk ---------------------------------------------------------------
def modulus(path):
    return bytes.fromhex(open(path).read().strip().split("=", 1)[1])


put("jwk", "alice", text(ajwk))
put("jwk", "bob-spaced", json.dumps(bjwk, indent=1))
put("jwk", "rfc7638-example", text({"kty": "RSA", "e": "AQAB", "n":
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPF"
    "FxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93l"
    "qt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHz"
    "u6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPks"
    "INHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}))
put("jwk", "rsa4096", text({"kty": "RSA", "n": b64u(modulus(tmp + "/n4096")),
                            "e": "AQAB"}))
put("jwk", "rsa2048-e3", text({"kty": "RSA",
                               "n": b64u(modulus(tmp + "/n2048e3")),
                               "e": "Aw"}))
put("jwk", "extra-members", text(dict(ajwk, kid="alice", use="sig",
                                      alg="PS256")))
put("jwk", "even-e", text(dict(ajwk, e="Ag")))
put("jwk", "leading-zero-e", text(dict(ajwk, e="AAEAAQ")))
put("jwk", "too-small", text(dict(ajwk, n=b64u(base64.urlsafe_b64decode(
    ajwk["n"] + "==")[:128]))))
put("jwk", "kty-ec", text(dict(ajwk, kty="EC")))
put("jwk", "padded-n", text(dict(ajwk, n=ajwk["n"] + "==")))

# ---- msg: one of each message type ------------------------------------
apk = prekey(alice, "alice", alice_prekey)
user = {"name": "alice", "key": ajwk, "fingerprint": afp, "prekey": apk,
        "rooms": ["#lobby"], "watching": "big-buck-bunny"}
tx = Sender()
room_blob = tx.seal("#lobby", b'{"id":"m1","text":"hello #lobby"}')
pair_blob = Sender().seal(["alice", "bob"], b'{"id":"m3","text":"hi"}')
video = {"name": "big-buck-bunny", "qualities": ["240p", "720p", "1440p"],
         "fps": 24.0, "duration": 596.5, "frames": 14315}
nonce = b64u(bytes(range(32)))
msgs = {
    # to the server
    "hello": {"type": "hello", "version": 2, "name": "alice", "key": ajwk,
              "sig": b64u(b"\x01" * 256), "prekey": apk},
    "who-room": {"type": "who", "room": "#lobby"},
    "room-join-request": {"type": "room-join", "room": "#rust"},
    "chat-upload": {"type": "chat", "to": ["alice", "bob"], "id": "m3",
                    "sealed": pair_blob},
    "sender-key-upload": {"type": "sender-key", "to": "bob",
                          "target": "#lobby", "blob": Sender().give("#lobby")},
    "ping": {"type": "ping", "id": 42},
    "videos-request": {"type": "videos"},
    "play": {"type": "play", "name": "big-buck-bunny", "quality": "auto",
             "size": [160, 45], "start": 12.5},
    "pause": {"type": "pause"},
    "quality": {"type": "quality", "quality": "720p"},
    "resize": {"type": "resize", "size": [200, 60]},
    # to the client
    "challenge": {"type": "challenge", "version": 2, "server": "tvchatd 0.1",
                  "nonce": nonce},
    "welcome": {"type": "welcome", "name": "alice", "users": [user],
                "videos": [video], "motd": "caf\u00e9 \u263a",
                "rooms": ["#lobby", "#rust"], "more": True},
    "users": {"type": "users", "users": [user], "more": False},
    "error": {"type": "error", "code": "bad-json",
              "message": "bad JSON: unexpected end"},
    "join": {"type": "join", "user": user},
    "leave": {"type": "leave", "name": "bob", "reason": "quit"},
    "who-reply": {"type": "who", "users": [user], "room": "#lobby"},
    "chat-deliver": deliver(room_blob, "#lobby", "m1"),
    "sender-key-deliver": sender_key(Sender().give("#lobby"), "#lobby"),
    "stream": {"type": "stream", "id": 7, "name": "big-buck-bunny",
               "quality": "240p", "fps": 24, "frames": 14315,
               "duration": 596.46, "w": 160, "h": 90},
    "stream-end": {"type": "stream-end", "id": 7, "reason": "error",
                   "message": "decoder failed"},
    "quality-changed": {"type": "quality-changed", "quality": "1440p",
                        "why": "auto"},
}
for name, m in msgs.items():
    put("msg", name, text(m))

# ---- frame: chunking byte, caps byte (see fuzz_frame.c), the stream -----
def frame(kind, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return struct.pack(">BI", kind, len(payload)) + payload


def video(stream=7, seq=0, q=1, flags=1, w=160, h=90, reserved=0):
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01" \
        b"\x00\x00\xff\xd9"
    return frame(2, struct.pack(">IIIHHBBH", stream, seq, seq * 41, w, h, q,
                                flags, reserved) + jpeg)


ping = frame(1, text(msgs["ping"]))
put("frame", "json-whole", b"\x00\x00" + ping)
put("frame", "json-bytewise", b"\x01\x00" + ping)
put("frame", "video-key", b"\x00\x00" + video())
put("frame", "mixed-varying", b"\x83\x00" + frame(1, text(msgs["stream"])) +
    video() + video(seq=1, flags=0) + video(seq=2, flags=2) +
    frame(1, text(msgs["stream-end"])))
put("frame", "chat-chunks-7", b"\x07\x00" +
    frame(1, text(deliver(pair_blob, ["alice", "bob"], "m4"))) + ping)
put("frame", "video-bad-quality", b"\x05\x00" + video(q=4))
put("frame", "video-bad-reserved", b"\x00\x00" + video(reserved=1))
put("frame", "truncated", b"\x03\x00" + ping + ping[:-3])
put("frame", "bad-type", b"\x00\x00" + ping + b"\x03\x00\x00\x00\x01x")
put("frame", "json-empty", b"\x02\x00" + ping + b"\x01\x00\x00\x00\x00")
put("frame", "json-over-cap", b"\x00\x01" + ping +
    frame(1, text(msgs["stream-end"])))
put("frame", "video-refused", b"\x00\x84" + ping + video())
put("frame", "bad-utf8-json", b"\x00\x00" + frame(1, b'{"type":"\xc0\xaf"}'))

# ---- client: what a server sends bob (chunking byte, then the stream) ---
bfp = run("fingerprint", bob)
bpk = prekey(bob, "bob", bob_prekey)
au = {"name": "alice", "key": ajwk, "fingerprint": afp, "prekey": apk,
      "rooms": ["#lobby", "#rust"]}
bu = {"name": "bob", "key": bjwk, "fingerprint": bfp, "prekey": bpk,
      "rooms": ["#lobby"]}
cu = {"name": "carol", "key": ajwk, "fingerprint": afp,
      "prekey": prekey(alice, "carol", alice_prekey), "rooms": ["#rust"]}
vinfo = msgs["welcome"]["videos"][0]


def js(m):
    return frame(1, text(m))


hello_frames = js(msgs["challenge"]) + js({
    "type": "welcome", "name": "bob", "users": [au, bu], "videos": [vinfo],
    "motd": "welcome, bob", "rooms": ["#lobby", "#rust"]})
# What a client seals is {"id": ..., "text": ..[, "action": true]}.
# alice's room session and her session for the two of them reach bob
# before (or, for the held chat, after) the chats they open.
rtx, dtx = Sender(), Sender(b64u(bytes(range(0xb0, 0xc0))))
give_room = js(sender_key(rtx.give("#lobby"), "#lobby"))
give_dm = js(sender_key(dtx.give(["bob"]), ["bob"]))
chat_room = js(deliver(rtx.seal("#lobby", b'{"id":"c1","text":"hello #lobby"}'),
                       "#lobby", "c1"))
chat_dm = js(deliver(dtx.seal(["bob"], b'{"id":"c2","text":"\xe2\x80\xaeevil'
                              b'\x1b[2J","action":true}'), ["bob"], "c2"))
chat_held = js(deliver(rtx.seal("#lobby", b'{"id":"c3","text":"later"}'),
                       "#lobby", "c3"))
session = hello_frames + js({"type": "join", "user": cu}) + \
    js({"type": "room-join", "room": "#rust", "name": "bob"}) + give_room + \
    chat_room + give_dm + chat_dm + chat_dm + js({"type": "ping", "id": 7}) + \
    js({"type": "pong", "id": 9}) + \
    js({"type": "who", "users": [au, bu, cu], "room": "#lobby"}) + \
    js({"type": "room-leave", "room": "#rust", "name": "alice"}) + \
    js({"type": "leave", "name": "carol", "reason": "quit"}) + \
    js(msgs["error"])
put("client", "session", b"\x00" + session)
put("client", "session-varying", b"\x83" + session)
put("client", "handshake-bytewise", b"\x01" + hello_frames)
put("client", "key-changed", b"\x00" + hello_frames +
    js({"type": "join", "user": dict(au, key=bjwk, fingerprint=bfp)}) +
    give_room + chat_room + js({"type": "join", "user": au}))
# A chat whose session comes after it: held, then shown; one whose
# session never comes: reported when the connection ends.
put("client", "held", b"\x00" + hello_frames + chat_held + give_room +
    chat_room + chat_dm)
put("client", "roster-chunks", b"\x00" + js(msgs["challenge"]) + js({
    "type": "welcome", "name": "bob", "users": [bu], "videos": [],
    "more": True}) + js({"type": "users", "users": [au], "more": True}) +
    js({"type": "users", "users": [cu]}) + give_room + chat_room)
put("client", "renamed", b"\x00" + js(msgs["challenge"]) + js({
    "type": "welcome", "name": "BOB", "users": [dict(bu, name="Bob"),
                                                dict(au, name="ALICE")],
    "videos": []}) + js({"type": "join", "user": au}) + give_room + chat_room)
put("client", "video", b"\x00" + hello_frames + js(msgs["stream"]) +
    video() + video(seq=1, flags=0) + video(seq=2, flags=2) +
    js(msgs["stream-end"]) + js(msgs["quality-changed"]) +
    js({"type": "watch", "room": "#lobby", "name": "big-buck-bunny",
        "quality": "720p", "by": "alice"}) +
    js({"type": "watch-control", "room": "#lobby", "action": "seek",
        "by": "alice", "to": 12.5}) +
    js({"type": "videos", "videos": [vinfo]}))
put("client", "bad-video", b"\x00" + hello_frames + video(q=4))
put("client", "bad-json", b"\x00" + hello_frames + frame(1, b'{"type":"chat"'))
# A second challenge closes the connection, so it comes last.
put("client", "unexpected", b"\x00" + hello_frames +
    js(sender_key(Sender().give("#lobby"), "#lobby", frm="mallory")) +
    js(deliver(rtx.seal("#lobby", b'{"id":"c9","text":"x"}'),
               "#lobby", "c9", frm="mallory")) +
    js(msgs["chat-deliver"]) + js({"type": "leave", "name": "nobody",
                                   "reason": ""}) + js(msgs["challenge"]))
# Before the welcome, what only comes after it closes the connection.
put("client", "early", b"\x00" + js(msgs["challenge"]) +
    js({"type": "join", "user": au}) + js(msgs["chat-deliver"]) +
    hello_frames[len(js(msgs["challenge"])):])
put("client", "garbage", b"\x05" + hello_frames[:40] + bytes(range(256)))

# ---- knownkeys: known_keys files, then identities ----------------------
srv = "fuzz.example:10000"
put("knownkeys", "valid", "# tvchat known keys: server name fingerprint\n"
    "%s alice %s\n%s bob %s\nother:1 alice %s\n" % (srv, afp, srv, bfp, bfp))
put("knownkeys", "malformed", "%s alice %s\n%s\n%s bad/name %s\n"
    "%s carol MD5:00\n   \n\n%s dave\n# %s erin %s\n%s bob %s extra\n" %
    (srv, afp, srv, srv, afp, srv, srv, srv, afp, srv, bfp))
put("knownkeys", "crlf", "# header\r\n%s alice %s\r\n%s bob %s\r\n" %
    (srv, afp, srv, bfp))
# Only the one CR before a line's end is taken away: any other spoils it.
put("knownkeys", "cr-inside", "%s carol %s\rx\r\n%s da\rve %s\n"
    "%s erin %s\r\r\n%s\r frank %s\n\r\n%s bob %s\r\n%s alice %s\r" %
    (srv, afp, srv, afp, srv, afp, srv, afp, srv, bfp, srv, afp))
put("knownkeys", "tabs", "\t%s\talice\t%s\n  %s  bob \t %s  \n"
    " # %s carol %s\n" % (srv, afp, srv, bfp, srv, afp))
put("knownkeys", "case-dupes", "%s Alice %s\n%s alice %s\n%s ALICE %s\n"
    "other:1 alice %s\n" % (srv, afp, srv, bfp, srv, afp, bfp))
put("knownkeys", "nul", ("%s alice %s\n%s carol\0 %s\n%s bob %s\n" %
                         (srv, afp, srv, afp, srv, bfp)).encode())
put("knownkeys", "identity", open(bob, "rb").read())
key = open(alice, "rb").read()
put("knownkeys", "identity-truncated", key[:len(key) // 2])
# Regressions: an entry after leading blanks whose server starts with '#'
# (save() wrote it back as a comment); a d that libgcrypt's key test (n =
# pq) lets through but that cannot sign.
put("knownkeys", "comment-after-space",
    " #x alice SHA256:a\n%s bob SHA256:b\n" % srv)
key = open(bob, "rb").read()
d = key.index(b"(d #") + 10
put("knownkeys", "identity-damaged-d",
    key[:d] + (b"2" if key[d:d + 1] == b"1" else b"1") + key[d + 1:])

# ---- batch: command lines for bob, let in with alice and Carol ---------
def lines(*cmds):
    return "".join(c if isinstance(c, str) else text(c) + "\n"
                   for c in cmds)


put("batch", "chat", lines(
    {"cmd": "say", "text": "hello #lobby"}, {"cmd": "me", "text": "waves"},
    {"cmd": "msg", "to": "alice", "text": "hi alice"},
    {"cmd": "msg", "to": ["alice", "Carol"], "text": "hi both",
     "action": True},
    {"cmd": "say", "room": "#rust", "text": "caf\u00e9 \u2615"}))
put("batch", "rooms", lines(
    {"cmd": "join", "room": "#rust"}, {"cmd": "say", "text": "in rust"},
    {"cmd": "part"}, {"cmd": "join", "room": "#room1"},
    {"cmd": "say", "text": "still in the lobby"}, {"cmd": "who"},
    {"cmd": "who", "room": "#rust"}, {"cmd": "part", "room": "#rust"}))
put("batch", "trust", lines(
    {"cmd": "verify", "name": "alice"}, {"cmd": "trust", "name": "carol"},
    {"cmd": "verify", "name": "Carol"}, {"cmd": "verify", "name": "bob"},
    {"cmd": "trust", "name": "nobody"}, {"cmd": "verify", "name": "nobody"}))
put("batch", "video", lines(
    {"cmd": "videos"},
    {"cmd": "play", "name": "big-buck-bunny", "quality": "720p",
     "size": [320, 180], "start": 1.5},
    {"cmd": "pause"}, {"cmd": "resume"}, {"cmd": "seek", "to": 10},
    {"cmd": "seek", "by": -5}, {"cmd": "quality", "quality": "240p"},
    {"cmd": "resize", "size": [640, 360]},
    {"cmd": "watch", "room": "#lobby", "name": "big-buck-bunny",
     "quality": "720p"}, {"cmd": "watch", "room": "#rust"},
    {"cmd": "stop"}, {"cmd": "snapshot", "cols": 40, "rows": 10}))
put("batch", "raw", lines(
    {"cmd": "raw", "message": {"type": "ping", "id": 1}},
    {"cmd": "raw", "message": {"type": "bogus", "x": [1, 2]}},
    {"cmd": "raw", "message": "not an object"}))
put("batch", "errors", lines(
    "not json\n", "[]\n", "\n", {"cmd": 1}, {"cmd": "nope"}, {"cmd": "say"},
    {"cmd": "join", "room": "lobby"}, {"cmd": "msg", "to": [], "text": "x"},
    {"cmd": "play", "name": "x", "size": [0, 1]},
    {"cmd": "quality", "quality": "9000p"},
    {"cmd": "watch", "room": "#lobby", "quality": "auto"},
    {"cmd": "seek"}, {"cmd": "resize"}) + "{\"cmd\":\"say\",\"text\":\"\xff\"}\n")
# Regressions: commands whose messages the server refused (closing).
put("batch", "refused", lines(
    {"cmd": "who", "room": "room1"},
    '{"cmd":"play","name":"v","start":NaN}\n',
    '{"cmd":"play","name":"v","start":1e999}\n',
    {"cmd": "play", "name": "v", "start": 1e9},
    {"cmd": "play", "name": "x" * 65},
    '{"cmd":"seek","to":NaN}\n', '{"cmd":"seek","by":1e999}\n',
    {"cmd": "seek", "to": 1e9},
    {"cmd": "msg", "to": ["alice", "ALICE"], "text": "x"},
    '{"cmd":"msg","to":"al\\u0000ice","text":"x"}\n',
    {"cmd": "msg", "to": ["u%d" % i for i in range(257)], "text": "x"},
    {"cmd": "watch", "room": "#lobby", "name": ""}))
# Regression: a chat to a room no one else is in has no session to give.
put("batch", "room-not-joined", lines(
    {"cmd": "say", "room": "#elsewhere", "text": "nobody else is here"},
    {"cmd": "say", "text": "hello #lobby"}))
put("batch", "quit", lines(
    {"cmd": "say", "text": "bye"}, {"cmd": "quit"},
    {"cmd": "say", "text": "after quit"}))
EOF
ls "$out"/*/ | wc -l
