#!/bin/sh
# Cross-check the crypto formats of src/common (through tvchat-cryptotool)
# against tests/interop/interop.py, an independent implementation written
# with python3-cryptography: fingerprints, hello signatures, and the
# sender keys' messages, signed prekeys and distributions, both ways.
# Environment: top_srcdir, top_builddir, PYTHON3 (set by make check).
set -eu

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
PYTHON3=${PYTHON3:-/usr/bin/python3}
TOOL=$top_builddir/tests/interop/tvchat-cryptotool
INTEROP=$top_srcdir/tests/interop/interop.py

if [ ! -x "$TOOL" ]; then
	echo "Bail out! $TOOL not built (make check, or set top_builddir)"
	exit 1
fi
if ! "$PYTHON3" -c 'import cryptography.hazmat.primitives.ciphers.aead' \
    >/dev/null 2>&1; then
	echo "Bail out! python3-cryptography is missing for $PYTHON3" \
	    "(scripts/deps installs it)"
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/crypto-interop.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

c() { "$TOOL" "$@"; }
py() { "$PYTHON3" "$INTEROP" "$@"; }

# Each test point is a function that returns non-zero on the first failed
# check, after printing why; set -e does not apply inside it (it runs as an
# if condition), so every step below ends in || return 1.
n=0
point() {
	n=$((n + 1))
	if "$2" >"$work/log" 2>&1; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/# /' "$work/log"
	fi
}

# same WHAT A B: A and B are equal and not empty.
same() {
	[ -n "$2" ] && [ "$2" = "$3" ] && return 0
	echo "$1 differ: '$2' vs '$3'"
	return 1
}

# status WANT CMD...: CMD exits with status WANT; its stdout and stderr
# are left in $work/out and $work/err.
status() {
	want=$1
	shift
	"$@" >"$work/out" 2>"$work/err" && got=0 || got=$?
	[ "$got" -eq "$want" ] && return 0
	printf "exit %s, expected %s: %.160s\n" "$got" "$want" "$*"
	cat "$work/err"
	return 1
}

# said TEXT: the stderr of the last status command contains TEXT.
said() {
	grep -F -q -- "$1" "$work/err" && return 0
	echo "stderr lacks '$1':"
	cat "$work/err"
	return 1
}

# field KEY <JSON: print member KEY of a JSON object, a string as it is.
field() {
	"$PYTHON3" -c '
import json, sys
v = json.load(sys.stdin)[sys.argv[1]]
print(v if isinstance(v, str) else json.dumps(v))
' "$1"
}

# randbytes N: N random bytes in base64url.
randbytes() {
	"$PYTHON3" -c 'import base64, os, sys
print(base64.urlsafe_b64encode(os.urandom(int(sys.argv[1])))
      .rstrip(b"=").decode())' "$1"
}

# hex2b64 HEX: the bytes of HEX in base64url.
hex2b64() {
	"$PYTHON3" -c 'import base64, sys
print(base64.urlsafe_b64encode(bytes.fromhex(sys.argv[1]))
      .rstrip(b"=").decode())' "$1"
}

# flip OFFSET <B64URL: the bytes with the low bit of byte OFFSET (from the
# end if negative) flipped, in base64url.
flip() {
	"$PYTHON3" -c 'import base64, sys
s = sys.stdin.read().strip()
raw = bytearray(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
raw[int(sys.argv[1])] ^= 0x01
print(base64.urlsafe_b64encode(raw).rstrip(b"=").decode())' "$1"
}

# trim N <B64URL: the first N bytes (all but the last -N if negative), in
# base64url.
trim() {
	"$PYTHON3" -c 'import base64, sys
s = sys.stdin.read().strip()
raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))[:int(sys.argv[1])]
print(base64.urlsafe_b64encode(raw).rstrip(b"=").decode())' "$1"
}

# refused TEXT CMD...: CMD fails (status 1) saying TEXT and prints nothing.
refused() {
	text=$1
	shift
	status 1 "$@" || return 1
	said "$text" || return 1
	[ ! -s "$work/out" ] && return 0
	printf "printed though it failed: %.160s\n" "$*"
	return 1
}

echo "1..10"

# alice has a tvchat identity (C), zed a Python one.
if ! c keygen "$work/alice.id" >/dev/null ||
    ! py keygen "$work/zed.pem" >/dev/null ||
    ! alice=$(c jwk "$work/alice.id") || ! zed=$(py jwk "$work/zed.pem"); then
	echo "Bail out! cannot make the identities"
	exit 1
fi

# Messages: UTF-8 with emoji and CJK (no final newline), 10 KiB of random
# bytes, and nothing at all.
{
	printf 'h\303\251llo \360\237\216\254\360\237\215\277 '
	printf '\344\275\240\345\245\275\357\274\214\344\270\226\347\225\214 '
	printf '\342\200\224 caf\303\251'
} >"$work/utf8.txt"
dd if=/dev/urandom of="$work/10k.bin" bs=1024 count=10 2>/dev/null
: >"$work/empty"

t_fingerprint() {
	fa=$(c fingerprint "$work/alice.id") || return 1
	fz=$(py fingerprint "$work/zed.pem") || return 1
	case $fa$fz in SHA256:*SHA256:*) ;; *) echo "bad: $fa $fz"; return 1;; esac
	[ "$fa" != "$fz" ] || { echo "two keys, one fingerprint"; return 1; }
	same "C key, Python" "$fa" "$(py fingerprint-jwk "$alice")" || return 1
	same "C key, C jwk" "$fa" "$(c fingerprint-jwk "$alice")" || return 1
	same "Python key, C" "$fz" "$(c fingerprint-jwk "$zed")" || return 1
}
point "fingerprints agree in C and Python, both ways" t_fingerprint

t_rfc7638() {
	# RFC 7638 section 3.1, with its extra members, which do not count.
	m=0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1
	m=${m}RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5
	m=${m}n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8K
	m=${m}JZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQF
	m=${m}h6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJz
	m=${m}KnqDKgw
	jwk="{\"kty\":\"RSA\",\"n\":\"$m\",\"e\":\"AQAB\","
	jwk="$jwk\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}"
	want=NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs
	fc=$(c fingerprint-jwk "$jwk") || return 1
	fp=$(py fingerprint-jwk "$jwk") || return 1
	same "C thumbprint" "$want" "$(echo "${fc#SHA256:}" | tr '+/' '-_')" &&
	same "Python thumbprint" "$want" "$(echo "${fp#SHA256:}" | tr '+/' '-_')"
}
point "RFC 7638 thumbprint known answer in C and Python" t_rfc7638

t_hello() {
	nonce=$("$PYTHON3" -c 'import base64, os
print(base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode())')
	sc=$(c hello-sign "$work/alice.id" "$nonce" alice) || return 1
	sp=$(py hello-sign "$work/zed.pem" "$nonce" zed) || return 1
	# 384 bytes (the modulus) are 512 base64url characters.
	same "C signature length" 512 "${#sc}" || return 1
	same "Python signature length" 512 "${#sp}" || return 1
	status 0 py hello-verify "$alice" "$nonce" alice "$sc" || return 1
	status 0 c hello-verify "$zed" "$nonce" zed "$sp" || return 1
	status 1 py hello-verify "$alice" "$nonce" alicf "$sc" || return 1
	status 1 c hello-verify "$zed" "$nonce" zee "$sp" || return 1
	said "signature does not verify" || return 1
	status 1 c hello-verify "$alice" "$nonce" alice "$sp" || return 1
}
point "hello signatures verify across C and Python, wrong name fails" t_hello


# Sender keys. A session: an Ed25519 seed, a session id and the chain key
# at index 0; message I is $work/msg.I.
cp "$work/utf8.txt" "$work/msg.0"
cp "$work/10k.bin" "$work/msg.1"
for i in 2 3 4 5; do
	printf 'message %s \360\237\224\221' "$i" >"$work/msg.$i"
done
if ! seed=$(randbytes 32) || ! sid=$(randbytes 16) || ! ck0=$(randbytes 32) ||
    ! sigpub=$(py ed25519-pub "$seed") ||
    ! other=$(py ed25519-pub "$(randbytes 32)"); then
	echo "Bail out! cannot make a sender-key session"
	exit 1
fi
# chain SIDE FROM TOJSON COUNT: SIDE (c or py) seals msg.0 to msg.COUNT-1
# from index 0 on, each with the chain its last seal moved on to; blob I
# is left in $work/blob.I, the chain key at index I in $work/ck.I.
chain() {
	cur=$ck0
	i=0
	while [ "$i" -lt "$4" ]; do
		echo "$cur" >"$work/ck.$i"
		"$1" sk-seal "$seed" "$sid" "$i" "$cur" "$2" "$3" \
		    <"$work/msg.$i" >"$work/sealed" || return 1
		field blob <"$work/sealed" >"$work/blob.$i" || return 1
		same "sid after $i" "$sid" "$(field sid <"$work/sealed")" ||
		    return 1
		same "index after $i" $((i + 1)) \
		    "$(field index <"$work/sealed")" || return 1
		cur=$(field ck <"$work/sealed") || return 1
		i=$((i + 1))
	done
}

# blobs I...: the blobs I, one a line, in that order.
blobs() {
	for i; do cat "$work/blob.$i"; done
}

# msgs I...: the messages I, in that order.
msgs() {
	for i; do cat "$work/msg.$i"; done
}

t_sk_keys() {
	# RFC 8032 section 7.1 test 1, RFC 7748 section 6.1 (Alice).
	s=9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60
	want=d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a
	s=$(hex2b64 $s) && want=$(hex2b64 $want) || return 1
	same "C Ed25519 key" "$want" "$(c ed25519-pub "$s")" || return 1
	same "Python Ed25519 key" "$want" "$(py ed25519-pub "$s")" || return 1
	s=77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a
	want=8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a
	s=$(hex2b64 $s) && want=$(hex2b64 $want) || return 1
	same "C X25519 key" "$want" "$(c x25519-pub "$s")" || return 1
	same "Python X25519 key" "$want" "$(py x25519-pub "$s")" || return 1
	s=$(randbytes 32)
	same "Ed25519 keys" "$(c ed25519-pub "$s")" "$(py ed25519-pub "$s")" ||
	    return 1
	same "X25519 keys" "$(c x25519-pub "$s")" "$(py x25519-pub "$s")" ||
	    return 1
	# Canonical targets: a room lowercased; names and the sender's,
	# lowercased, sorted, once each, whatever their spelling.
	for to in '"#Lobby"' '[]' '["zed"]' '["Bob","zed"]' '["bob","ZED"]' \
	    '["BOB","alice","bob"]' '["Alice","a.b","A_b","a-b","zed"]'; do
		same "target of $to" "$(c sk-target alice "$to")" \
		    "$(py sk-target alice "$to")" || return 1
	done
	same "target" "alice,bob,zed" \
	    "$(c sk-target Alice '["BOB","zed","bob"]')" || return 1
	for to in '["bob",null]' '["bob",5]' '{"bob":1}' 7; do
		status 1 c sk-target alice "$to" || return 1
		status 1 py sk-target alice "$to" || return 1
	done
}
point "sender keys: Ed25519, X25519 keys and targets agree in C and Python" \
    t_sk_keys

t_sk_c_py() {
	chain c alice '["Bob","zed"]' 6 || return 1
	# Ed25519 and AES-GCM are deterministic: at one chain position both
	# seal the same bytes.
	for i in 0 1 4; do
		py sk-seal "$seed" "$sid" "$i" "$(cat "$work/ck.$i")" alice \
		    '["Bob","zed"]' <"$work/msg.$i" >"$work/sealed" || return 1
		same "blob $i" "$(cat "$work/blob.$i")" \
		    "$(field blob <"$work/sealed")" || return 1
		same "chain key after $i" "$(cat "$work/ck.$((i + 1))")" \
		    "$(field ck <"$work/sealed")" || return 1
	done
	# zed spells the names its way; out of order, from index 0.
	blobs 5 0 3 1 | py sk-open "$sigpub" "$sid" 0 "$ck0" alice \
	    '["zed","bob"]' >"$work/out" || return 1
	msgs 5 0 3 1 | cmp - "$work/out" || return 1
	# The target and the sender are bound: bob sending to zed and alice
	# has the same target, another sender.
	refused "signature does not verify" py sk-open "$sigpub" "$sid" 0 \
	    "$ck0" alice '["zed"]' <"$work/blob.3" || return 1
	refused "signature does not verify" py sk-open "$sigpub" "$sid" 0 \
	    "$ck0" bob '["zed","alice"]' <"$work/blob.3" || return 1
	refused "signature does not verify" py sk-open "$other" "$sid" 0 \
	    "$ck0" alice '["zed","bob"]' <"$work/blob.3" || return 1
	blobs 2 2 >"$work/two"
	status 1 py sk-open "$sigpub" "$sid" 0 "$ck0" alice '["zed","bob"]' \
	    <"$work/two" || return 1
	said "replayed"
}
point "sender-key messages sealed in C open in Python, bound to their names" \
    t_sk_c_py

t_sk_py_c() {
	chain py zed '"#Lobby"' 6 || return 1
	# Message 5 first: C walks the chain five steps and keeps the keys it
	# passes, for 2 and 0; 2 again is a replay.
	blobs 5 2 0 | c sk-open "$sigpub" "$sid" 0 "$ck0" zed '"#lobby"' \
	    >"$work/out" || return 1
	msgs 5 2 0 | cmp - "$work/out" || return 1
	blobs 4 2 2 >"$work/three"
	status 1 c sk-open "$sigpub" "$sid" 0 "$ck0" zed '"#LOBBY"' \
	    <"$work/three" || return 1
	said "replayed" || return 1
	msgs 4 2 | cmp - "$work/out" || return 1
	# A receiver given the chain at index 3 (as a distribution does).
	blobs 4 3 | c sk-open "$sigpub" "$sid" 3 "$(cat "$work/ck.3")" zed \
	    '"#lobby"' >"$work/out" || return 1
	msgs 4 3 | cmp - "$work/out" || return 1
	refused "sent before its session reached us" c sk-open "$sigpub" \
	    "$sid" 3 "$(cat "$work/ck.3")" zed '"#lobby"' <"$work/blob.2" ||
	    return 1
	# Signed, but under another chain key: GCM refuses it.
	refused "message fails authentication" c sk-open "$sigpub" "$sid" 0 \
	    "$(randbytes 32)" zed '"#lobby"' <"$work/blob.1" || return 1
	# Another room, sender or signer.
	refused "signature does not verify" c sk-open "$sigpub" "$sid" 0 \
	    "$ck0" zed '"#other"' <"$work/blob.1" || return 1
	refused "signature does not verify" c sk-open "$sigpub" "$sid" 0 \
	    "$ck0" alice '"#lobby"' <"$work/blob.1" || return 1
	refused "signature does not verify" c sk-open "$other" "$sid" 0 \
	    "$ck0" zed '"#lobby"' <"$work/blob.1"
}
point "sender-key messages sealed in Python open in C, the ratchet moved on" \
    t_sk_py_c

t_sk_tamper() {
	for side in c py; do
		chain "$side" zed '"#Lobby"' 2 || return 1
		[ $side = c ] && opener=py || opener=c
		# Version, kind, session id, index, ciphertext, tag, signature.
		for off in 0 1 2 21 22 -81 -80 -65 -64 -1; do
			case $off in
			0) why="unknown format version" ;;
			1) why="malformed" ;;
			*) why="signature does not verify" ;;
			esac
			flip $off <"$work/blob.1" >"$work/bad" || return 1
			refused "$why" "$opener" sk-open "$sigpub" "$sid" 0 \
			    "$ck0" zed '"#lobby"' <"$work/bad" ||
			    { echo "byte $off of a $side blob"; return 1; }
		done
		# One byte short, and nothing but a header and 8 bytes.
		trim -1 <"$work/blob.1" >"$work/bad" || return 1
		refused "signature does not verify" "$opener" sk-open "$sigpub" \
		    "$sid" 0 "$ck0" zed '"#lobby"' <"$work/bad" || return 1
		trim 30 <"$work/blob.1" >"$work/bad" || return 1
		refused "malformed" "$opener" sk-open "$sigpub" "$sid" 0 "$ck0" \
		    zed '"#lobby"' <"$work/bad" || return 1
	done
}
point "tampered sender-key messages are refused by C and by Python" t_sk_tamper

# Creation times in ms, past 2^32 so that both halves of the u64 count.
created=1733200000123

t_prekey() {
	pk=$(py x25519-pub "$(randbytes 32)")
	sc=$(c prekey-sign "$work/alice.id" alice "$pk" "$created") || return 1
	sp=$(py prekey-sign "$work/zed.pem" zed "$pk" "$created") || return 1
	same "C signature length" 512 "${#sc}" || return 1
	status 0 py prekey-verify "$alice" alice "$pk" "$created" "$sc" ||
	    return 1
	status 0 c prekey-verify "$zed" zed "$pk" "$created" "$sp" || return 1
	# Another name, key, time (its low or high 32 bits) or signer.
	bad="signature does not verify"
	refused "$bad" py prekey-verify "$alice" bob "$pk" "$created" "$sc" ||
	    return 1
	refused "$bad" py prekey-verify "$alice" alice "$other" "$created" \
	    "$sc" || return 1
	refused "$bad" py prekey-verify "$alice" alice "$pk" \
	    $((created + 1)) "$sc" || return 1
	refused "$bad" py prekey-verify "$zed" alice "$pk" "$created" "$sc" ||
	    return 1
	refused "$bad" c prekey-verify "$zed" bob "$pk" "$created" "$sp" ||
	    return 1
	refused "$bad" c prekey-verify "$zed" zed "$other" "$created" "$sp" ||
	    return 1
	refused "$bad" c prekey-verify "$zed" zed "$pk" \
	    $((created - 4294967296)) "$sp" || return 1
	refused "$bad" c prekey-verify "$alice" zed "$pk" "$created" "$sp"
}
point "prekeys signed in C verify in Python and the other way" t_prekey

# check_session FILE SENDER TARGET INDEX: the session dist-open printed is
# the one sealed.
check_session() {
	same sender "$2" "$(field sender <"$1")" &&
	same target "$3" "$(field target <"$1")" &&
	same sigpub "$sigpub" "$(field sigpub <"$1")" &&
	same created "$created" "$(field created <"$1")" &&
	same sid "$sid" "$(field sid <"$1")" &&
	same index "$4" "$(field index <"$1")" &&
	same "chain key" "$(cat "$work/ck.$4")" "$(field ck <"$1")"
}

# opened SIDE SESSION FROM TOJSON I...: SIDE opens blobs I... with the
# session dist-open printed, and they are msgs I....
opened() {
	side=$1 sess=$2 from=$3 to=$4
	shift 4
	blobs "$@" | "$side" sk-open "$(field sigpub <"$sess")" \
	    "$(field sid <"$sess")" "$(field index <"$sess")" \
	    "$(field ck <"$sess")" "$from" "$to" >"$work/out" || return 1
	msgs "$@" | cmp - "$work/out"
}

t_dist_c_py() {
	# zed (Python) holds a prekey and publishes it, signed; alice (C)
	# checks it, then seals her session at index 2 to it.
	secret=$(randbytes 32)
	pk=$(py x25519-pub "$secret") || return 1
	psig=$(py prekey-sign "$work/zed.pem" zed "$pk" "$created") || return 1
	c prekey-verify "$zed" zed "$pk" "$created" "$psig" || return 1
	chain c alice '["Zed","bob"]' 5 || return 1
	c dist-seal "$work/alice.id" "$seed" "$sid" 2 "$(cat "$work/ck.2")" \
	    "$created" alice '["Zed","bob"]' zed "$pk" >"$work/env" || return 1
	py dist-open "$secret" zed "$alice" alice '["bob","zed"]' \
	    <"$work/env" >"$work/session" || return 1
	check_session "$work/session" alice alice,bob,zed 2 || return 1
	opened py "$work/session" alice '["bob","zed"]' 4 2 3 || return 1
	refused "sent before" py sk-open "$sigpub" "$sid" 2 \
	    "$(cat "$work/ck.2")" alice '["bob","zed"]' <"$work/blob.1" ||
	    return 1
	# Another recipient, sender, target or prekey; another identity.
	auth="fails authentication"
	refused "$auth" py dist-open "$secret" bob "$alice" alice \
	    '["bob","zed"]' <"$work/env" || return 1
	refused "$auth" py dist-open "$secret" zed "$alice" bob \
	    '["alice","zed"]' <"$work/env" || return 1
	refused "$auth" py dist-open "$secret" zed "$alice" alice '["zed"]' \
	    <"$work/env" || return 1
	refused "not sealed to this prekey" py dist-open "$(randbytes 32)" zed \
	    "$alice" alice '["bob","zed"]' <"$work/env" || return 1
	refused "session: signature does not verify" py dist-open "$secret" \
	    zed "$zed" alice '["bob","zed"]' <"$work/env" || return 1
	# Version, kind, ephemeral key, prekey, ciphertext, tag.
	for off in 0 1 2 34 66 -1; do
		case $off in
		0) why="unknown format version" ;;
		1) why="malformed" ;;
		34) why="not sealed to this prekey" ;;
		*) why=$auth ;;
		esac
		flip $off <"$work/env" >"$work/bad" || return 1
		refused "$why" py dist-open "$secret" zed "$alice" alice \
		    '["bob","zed"]' <"$work/bad" ||
		    { echo "byte $off"; return 1; }
	done
}
point "a distribution sealed in C opens in Python, and its messages" \
    t_dist_c_py

t_dist_py_c() {
	# alice (C) holds a prekey and publishes it, signed; zed (Python)
	# checks it, then seals his session at index 3 to it.
	secret=$(randbytes 32)
	pk=$(c x25519-pub "$secret") || return 1
	psig=$(c prekey-sign "$work/alice.id" alice "$pk" "$created") ||
	    return 1
	py prekey-verify "$alice" alice "$pk" "$created" "$psig" || return 1
	chain py zed '"#Lobby"' 6 || return 1
	py dist-seal "$work/zed.pem" "$seed" "$sid" 3 "$(cat "$work/ck.3")" \
	    "$created" zed '"#Lobby"' alice "$pk" >"$work/env" || return 1
	c dist-open "$secret" alice "$zed" zed '"#lobby"' <"$work/env" \
	    >"$work/session" || return 1
	check_session "$work/session" zed '#lobby' 3 || return 1
	opened c "$work/session" zed '"#LOBBY"' 5 3 4 || return 1
	# Another recipient, sender, room or prekey; another identity.
	auth="message fails authentication"
	refused "$auth" c dist-open "$secret" bob "$zed" zed '"#lobby"' \
	    <"$work/env" || return 1
	refused "$auth" c dist-open "$secret" alice "$zed" bob '"#lobby"' \
	    <"$work/env" || return 1
	refused "$auth" c dist-open "$secret" alice "$zed" zed '"#other"' \
	    <"$work/env" || return 1
	refused "not addressed to this user" c dist-open "$(randbytes 32)" \
	    alice "$zed" zed '"#lobby"' <"$work/env" || return 1
	refused "signature does not verify" c dist-open "$secret" alice \
	    "$alice" zed '"#lobby"' <"$work/env" || return 1
	# Version, kind, ephemeral key, prekey, ciphertext, tag.
	for off in 0 1 2 34 66 -1; do
		case $off in
		0) why="unknown format version" ;;
		1) why="malformed" ;;
		34) why="not addressed to this user" ;;
		*) why=$auth ;;
		esac
		flip $off <"$work/env" >"$work/bad" || return 1
		refused "$why" c dist-open "$secret" alice "$zed" zed \
		    '"#lobby"' <"$work/bad" || { echo "byte $off"; return 1; }
	done
	# What only a dishonest sealer makes, C and Python find inside.
	for lie in sender:bob target:#other idsig chainsig trailing; do
		case $lie in
		sender:*) why="the signed sender is not the one"
			pywhy="signed sender is" ;;
		target:*) why="the signed room or names are not"
			pywhy="signed target is" ;;
		idsig) why="signature does not verify"
			pywhy="session: signature does not verify" ;;
		chainsig) why="signature does not verify"
			pywhy="chain: signature does not verify" ;;
		trailing) why="malformed"
			pywhy="bytes after the session" ;;
		esac
		INTEROP_LIE=$lie py dist-seal "$work/zed.pem" "$seed" "$sid" 3 \
		    "$(cat "$work/ck.3")" "$created" zed '"#Lobby"' alice \
		    "$pk" >"$work/bad" || return 1
		refused "$why" c dist-open "$secret" alice "$zed" zed \
		    '"#lobby"' <"$work/bad" || { echo "C, $lie"; return 1; }
		refused "$pywhy" py dist-open "$secret" alice "$zed" zed \
		    '"#lobby"' <"$work/bad" || { echo "Py, $lie"; return 1; }
	done
}
point "a distribution sealed in Python opens in C, and its messages" \
    t_dist_py_c
