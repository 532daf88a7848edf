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

mkdir -p "$out/frame" "$out/msg" "$out/jwk" "$out/open"
rm -f "$out"/frame/* "$out"/msg/* "$out"/jwk/* "$out"/open/*

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
EOF
ls "$out"/*/ | wc -l
