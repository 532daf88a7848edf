#!/bin/sh
# Regenerate the fuzz seed corpora in tests/fuzz/corpus (not run by make
# check). Needs a configured build tree with tests/interop/tvchat-cryptotool
# built, a C compiler, python3 and openssl. Sealed chats use the TEST-ONLY
# identities in fuzz_keys.h; fresh random keys, IVs and nonces make every
# run's files differ, and that is fine.
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

mkdir -p "$out/frame" "$out/msg" "$out/jwk" "$out/open" "$out/client" \
    "$out/knownkeys" "$out/batch"
rm -f "$out"/frame/* "$out"/msg/* "$out"/jwk/* "$out"/open/* \
    "$out"/client/* "$out"/knownkeys/* "$out"/batch/*

TOOL=$tool TMP=$tmp OUT=$out ${PYTHON3:-python3} - <<'EOF'
import base64, json, os, struct, subprocess

tool, tmp, out = os.environ["TOOL"], os.environ["TMP"], os.environ["OUT"]
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


def seal(to, rcpts, plain, msgid):
    keys = {n: {"alice": ajwk, "bob": bjwk}[n] for n in rcpts}
    return json.loads(run("seal", alice, "alice", text(to), msgid, text(keys),
                          stdin=plain))


def deliver(sealed, to, msgid, who="bob", frm="alice"):
    down = {k: v for k, v in sealed.items() if k != "keys"}
    down["key"] = sealed["keys"][who]
    return {"type": "chat", "from": frm, "to": to, "id": msgid,
            "ts": 1700000000123, "sealed": down}


# ---- open: sealed chats from alice, opened by bob ----------------------
room = seal("#lobby", ["alice", "bob"], b"hello #lobby", "m1")
dm = seal(["bob"], ["alice", "bob"], b"hi bob, just you", "m2")
pair = seal(["alice", "bob"], ["alice", "bob"], "caf\u00e9 \u2615".encode(),
            "m3")
empty = seal(["bob"], ["bob"], b"", "m4")
only_alice = seal(["alice"], ["alice"], b"not for bob", "m5")

put("open", "room-valid", text(deliver(room, "#lobby", "m1")))
put("open", "dm-valid", text(deliver(dm, ["bob"], "m2")))
put("open", "dm-pair-valid", text(deliver(pair, ["alice", "bob"], "m3")))
put("open", "empty-valid", text(deliver(empty, ["bob"], "m4")))
put("open", "upload-valid", text({"type": "chat", "to": "#lobby", "id": "m1",
                                   "sealed": room}))
put("open", "upload-not-recipient", text({"type": "chat", "to": ["alice"],
                                           "id": "m5", "sealed": only_alice}))
m = deliver(room, "#lobby", "m1")
m["sealed"]["ct"] = ("A" if m["sealed"]["ct"][0] != "A" else "B") + \
    m["sealed"]["ct"][1:]
put("open", "ct-tampered", text(m))
put("open", "from-tampered", text(deliver(room, "#lobby", "m1", frm="mallory")))
m = deliver(room, "#lobby", "m1")
m["sealed"]["key"] = dm["keys"]["bob"]		# right key, wrong message
put("open", "key-swapped", text(m))
put("open", "key-for-alice", text(deliver(room, "#lobby", "m1", who="alice")))
m = deliver(dm, ["bob"], "m2")
del m["ts"]					# msg.c refuses; crypto opens
put("open", "raw-no-ts", text(m))

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
user = {"name": "alice", "key": ajwk, "fingerprint": afp,
        "rooms": ["#lobby"], "watching": "big-buck-bunny"}
video = {"name": "big-buck-bunny", "qualities": ["240p", "720p", "1440p"],
         "fps": 24.0, "duration": 596.5, "frames": 14315}
nonce = b64u(bytes(range(32)))
msgs = {
    # to the server
    "hello": {"type": "hello", "version": 1, "name": "alice", "key": ajwk,
              "sig": b64u(b"\x01" * 256)},
    "who-room": {"type": "who", "room": "#lobby"},
    "room-join-request": {"type": "room-join", "room": "#rust"},
    "chat-upload": {"type": "chat", "to": ["alice", "bob"], "id": "m3",
                    "sealed": pair},
    "ping": {"type": "ping", "id": 42},
    "videos-request": {"type": "videos"},
    "play": {"type": "play", "name": "big-buck-bunny", "quality": "auto",
             "size": [160, 45], "start": 12.5},
    "pause": {"type": "pause"},
    "quality": {"type": "quality", "quality": "720p"},
    "resize": {"type": "resize", "size": [200, 60]},
    # to the client
    "challenge": {"type": "challenge", "version": 1, "server": "tvchatd 0.1",
                  "nonce": nonce},
    "welcome": {"type": "welcome", "name": "alice", "users": [user],
                "videos": [video], "motd": "caf\u00e9 \u263a",
                "rooms": ["#lobby", "#rust"]},
    "error": {"type": "error", "code": "bad-json",
              "message": "bad JSON: unexpected end"},
    "join": {"type": "join", "user": user},
    "leave": {"type": "leave", "name": "bob", "reason": "quit"},
    "who-reply": {"type": "who", "users": [user], "room": "#lobby"},
    "chat-deliver": deliver(room, "#lobby", "m1"),
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
    frame(1, text(deliver(empty, ["bob"], "m4"))) + ping)
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
au = {"name": "alice", "key": ajwk, "fingerprint": afp,
      "rooms": ["#lobby", "#rust"]}
bu = {"name": "bob", "key": bjwk, "fingerprint": bfp, "rooms": ["#lobby"]}
cu = {"name": "carol", "key": ajwk, "fingerprint": afp, "rooms": ["#rust"]}
vinfo = msgs["welcome"]["videos"][0]


def js(m):
    return frame(1, text(m))


hello_frames = js(msgs["challenge"]) + js({
    "type": "welcome", "name": "bob", "users": [au, bu], "videos": [vinfo],
    "motd": "welcome, bob", "rooms": ["#lobby", "#rust"]})
# What a client seals is {"text": ..[, "action": true]}.
croom = seal("#lobby", ["alice", "bob"], b'{"text":"hello #lobby"}', "c1")
cdm = seal(["bob"], ["alice", "bob"],
           b'{"text":"\xe2\x80\xaeevil\x1b[2J","action":true}', "c2")
chat_room = js(deliver(croom, "#lobby", "c1"))
chat_dm = js(deliver(cdm, ["bob"], "c2"))
session = hello_frames + js({"type": "join", "user": cu}) + \
    js({"type": "room-join", "room": "#rust", "name": "bob"}) + chat_room + \
    chat_dm + chat_dm + js({"type": "ping", "id": 7}) + \
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
    chat_room + js({"type": "join", "user": au}))
put("client", "renamed", b"\x00" + js(msgs["challenge"]) + js({
    "type": "welcome", "name": "BOB", "users": [dict(bu, name="Bob"),
                                                dict(au, name="ALICE")],
    "videos": []}) + js({"type": "join", "user": au}) + chat_room)
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
    js(deliver(croom, "#lobby", "c1", frm="mallory")) +
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
put("batch", "quit", lines(
    {"cmd": "say", "text": "bye"}, {"cmd": "quit"},
    {"cmd": "say", "text": "after quit"}))
EOF
ls "$out"/*/ | wc -l
