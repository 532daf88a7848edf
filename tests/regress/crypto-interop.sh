#!/bin/sh
# Cross-check the crypto formats of src/crypto.c (through tvchat-cryptotool)
# against tests/interop/interop.py, an independent implementation written
# with python3-cryptography: fingerprints, hello signatures, sealed chat.
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

# edit FIELD [VALUE] <IN >OUT: flip one bit of base64url member FIELD, or
# set FIELD to VALUE (a JSON value; "-" deletes it).
edit() {
	"$PYTHON3" -c '
import base64, json, sys
obj = json.load(sys.stdin)
if len(sys.argv) > 2:
    if sys.argv[2] == "-":
        del obj[sys.argv[1]]
    else:
        obj[sys.argv[1]] = json.loads(sys.argv[2])
else:
    s = obj[sys.argv[1]]
    raw = bytearray(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
    raw[len(raw) // 2] ^= 0x01
    obj[sys.argv[1]] = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
json.dump(obj, sys.stdout)
' "$@"
}

# member KEY... <JSON: print the JSON member at that path.
member() {
	"$PYTHON3" -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = v[k]
print(json.dumps(v))
' "$@"
}

echo "1..7"

# alice has a tvchat identity (C), zed a Python one.
if ! c keygen "$work/alice.id" >/dev/null ||
    ! py keygen "$work/zed.pem" >/dev/null ||
    ! alice=$(c jwk "$work/alice.id") || ! zed=$(py jwk "$work/zed.pem"); then
	echo "Bail out! cannot make the identities"
	exit 1
fi
both="{\"alice\":$alice,\"zed\":$zed}"

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

t_room() {
	for m in empty utf8.txt 10k.bin; do
		c seal "$work/alice.id" alice '"#lobby"' "room-$m" "$both" \
		    <"$work/$m" >"$work/sealed" || return 1
		py open "$work/zed.pem" zed "$alice" alice '"#lobby"' \
		    "room-$m" <"$work/sealed" >"$work/out" || return 1
		cmp "$work/$m" "$work/out" || return 1
		# The sender reads its own echo too.
		c open "$work/alice.id" alice "$alice" alice '"#lobby"' \
		    "room-$m" <"$work/sealed" >"$work/out" || return 1
		cmp "$work/$m" "$work/out" || return 1
	done
	# As delivered: only zed's wrapped key, as "key".
	key=$(member keys zed <"$work/sealed") || return 1
	edit key "$key" <"$work/sealed" | edit keys - >"$work/delivered" ||
	    return 1
	py open "$work/zed.pem" zed "$alice" alice '"#lobby"' room-10k.bin \
	    <"$work/delivered" >"$work/out" || return 1
	cmp "$work/10k.bin" "$work/out"
}
point "room message sealed in C opens in Python" t_room

t_dm() {
	# Sorted bytewise the names are Bob, alice, zed (not alice, Bob, zed);
	# Bob is zed's key under another name.
	to='["zed","alice","Bob"]'
	rcpts="{\"zed\":$zed,\"alice\":$alice,\"Bob\":$zed}"
	for m in utf8.txt 10k.bin; do
		py seal "$work/zed.pem" zed "$to" "dm-$m" "$rcpts" \
		    <"$work/$m" >"$work/sealed" || return 1
		c open "$work/alice.id" alice "$zed" zed "$to" "dm-$m" \
		    <"$work/sealed" >"$work/out" || return 1
		cmp "$work/$m" "$work/out" || return 1
		c open "$work/alice.id" alice "$zed" zed '["alice","Bob","zed"]' \
		    "dm-$m" <"$work/sealed" >"$work/out" || return 1
		cmp "$work/$m" "$work/out" || return 1
	done
	# As delivered to alice; and the recipients are part of what is signed.
	key=$(member keys alice <"$work/sealed") || return 1
	edit key "$key" <"$work/sealed" | edit keys - >"$work/delivered" ||
	    return 1
	c open "$work/alice.id" alice "$zed" zed "$to" dm-10k.bin \
	    <"$work/delivered" >"$work/out" || return 1
	cmp "$work/10k.bin" "$work/out" || return 1
	status 1 c open "$work/alice.id" alice "$zed" zed '["zed","alice"]' \
	    dm-10k.bin <"$work/sealed" || return 1
	said "signature does not verify"
}
point "direct message sealed in Python opens in C" t_dm

t_tamper() {
	py seal "$work/zed.pem" zed '"#lobby"' t1 "$both" <"$work/utf8.txt" \
	    >"$work/py1" || return 1
	c seal "$work/alice.id" alice '"#lobby"' t1 "$both" \
	    <"$work/utf8.txt" >"$work/c1" || return 1
	# Untouched, they open.
	c open "$work/alice.id" alice "$zed" zed '"#lobby"' t1 \
	    <"$work/py1" >"$work/out" || return 1
	cmp "$work/utf8.txt" "$work/out" || return 1
	py open "$work/zed.pem" zed "$alice" alice '"#lobby"' t1 \
	    <"$work/c1" >"$work/out" || return 1
	cmp "$work/utf8.txt" "$work/out" || return 1
	# One bit of ciphertext, IV, tag or signature changed: the signature
	# fails.
	for f in ct iv tag sig; do
		edit $f <"$work/py1" >"$work/bad" || return 1
		status 1 c open "$work/alice.id" alice "$zed" zed '"#lobby"' \
		    t1 <"$work/bad" || return 1
		said "signature does not verify" || return 1
		[ ! -s "$work/out" ] || { echo "C printed plaintext"; return 1; }
		edit $f <"$work/c1" >"$work/bad" || return 1
		status 1 py open "$work/zed.pem" zed "$alice" alice \
		    '"#lobby"' t1 <"$work/bad" || return 1
		said "signature does not verify" || return 1
		[ ! -s "$work/out" ] || { echo "Python printed"; return 1; }
	done
	# The wrapped key of the other message (unsigned, so the signature
	# holds): that content key fails GCM authentication.
	key=$(member keys alice <"$work/c1") || return 1
	edit keys "{\"alice\":$key}" <"$work/py1" >"$work/bad" || return 1
	status 1 c open "$work/alice.id" alice "$zed" zed '"#lobby"' t1 \
	    <"$work/bad" || return 1
	said "message fails authentication" || return 1
	key=$(member keys zed <"$work/py1") || return 1
	edit keys "{\"zed\":$key}" <"$work/c1" >"$work/bad" || return 1
	status 1 py open "$work/zed.pem" zed "$alice" alice '"#lobby"' t1 \
	    <"$work/bad" || return 1
	said "fails authentication"
}
point "tampered messages are rejected by C and by Python" t_tamper

t_not_addressed() {
	py seal "$work/zed.pem" zed '"#lobby"' na "{\"zed\":$zed}" \
	    <"$work/utf8.txt" >"$work/sealed" || return 1
	status 1 c open "$work/alice.id" alice "$zed" zed '"#lobby"' na \
	    <"$work/sealed" || return 1
	said "message is not addressed to this user" || return 1
	c seal "$work/alice.id" alice '"#lobby"' na "{\"alice\":$alice}" \
	    <"$work/utf8.txt" >"$work/sealed" || return 1
	status 1 py open "$work/zed.pem" zed "$alice" alice '"#lobby"' na \
	    <"$work/sealed" || return 1
	said "not addressed"
}
point "a user not among the wrapped keys cannot open" t_not_addressed
