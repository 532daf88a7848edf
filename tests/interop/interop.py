#!/usr/bin/python3
"""An independent implementation of the tvchat crypto formats.

Written from the description of the formats with only
python3-cryptography and the standard library (its own X25519, Ed25519,
HMAC, HKDF, AES-GCM and RSA-PSS; none of src/common's code), so that the
interoperability test can check crypto.c and the sender keys
(senderkey.c, distribution.c) against it.  Identities are
unencrypted PKCS#8 PEM files (the C tool's S-expression files are not read
here); public keys travel as JWK JSON text; other byte strings (Ed25519
seeds and keys, X25519 secrets and keys, session ids, chain keys, blobs,
signatures) as unpadded base64url.  Exit status: 0 success, 1 crypto
failure (reason on stderr), 2 usage error.

The sender-key byte layouts are those of tvchat-protocol(5), "Sender
keys".

  keygen PEMFILE                         new RSA-3072 key, print fingerprint
  jwk PEMFILE                            print the public JWK
  fingerprint PEMFILE | fingerprint-jwk JWKJSON
  hello-sign PEMFILE NONCE_B64URL NAME   print the signature
  hello-verify JWKJSON NONCE_B64URL NAME SIG
  ed25519-pub SEED | x25519-pub SECRET   print the public key
  sk-target FROM TOJSON                  print the canonical target
  sk-seal SEED SID INDEX CK FROM TOJSON  plaintext on stdin; prints
                                         {blob, sid, index, ck}, moved on
  sk-open SIGPUB SID INDEX CK FROM TOJSON   blobs on stdin, one a line
  prekey-sign PEMFILE NAME PREKEY CREATED   print the signature
  prekey-verify JWKJSON NAME PREKEY CREATED SIG
  dist-seal PEMFILE SEED SID INDEX CK CREATED FROM TOJSON RCPT PREKEY
                                         print the envelope (INTEROP_LIE=
                                         makes it lie: see cmd_dist_seal)
  dist-open SECRET MYNAME SENDERJWKJSON FROM TOJSON   envelope on stdin;
                                         prints the session's JSON
"""

import base64
import binascii
import hashlib
import json
import os
import struct
import sys

try:
    from cryptography.exceptions import InvalidSignature, InvalidTag
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import (ed25519, padding,
                                                           rsa, x25519)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.hmac import HMAC
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
except ImportError as exc:
    sys.exit("interop.py: python3-cryptography is missing for %s (%s); "
             "scripts/deps installs it" % (sys.executable, exc))

HELLO_CONTEXT = b"tvchat-hello-v1\0"
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


class Failure(Exception):
    """A cryptographic failure: exit status 1."""


class Usage(Exception):
    """A bad command line: exit status 2."""


def b64url(data):
    """Return base64url of data without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text):
    """Decode canonical unpadded base64url, or raise Failure."""
    if not isinstance(text, str) or len(text) % 4 == 1 or "=" in text:
        raise Failure("bad base64url")
    std = text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4)
    try:
        data = base64.b64decode(std, validate=True)
    except (binascii.Error, ValueError):
        raise Failure("bad base64url") from None
    if b64url(data) != text:
        raise Failure("non-canonical base64url")
    return data


def int_bytes(value):
    """Minimal big-endian bytes of a positive integer."""
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def lp(data):
    """u32 big-endian length followed by data."""
    return struct.pack(">I", len(data)) + data


def load_private(path):
    """Load an RSA private key from a PEM file."""
    with open(path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise Failure("%s: not an RSA key" % path)
    return key


def to_jwk(public):
    """Return the JWK dict of an RSA public key."""
    nums = public.public_numbers()
    return {"kty": "RSA", "n": b64url(int_bytes(nums.n)),
            "e": b64url(int_bytes(nums.e))}


def from_jwk(jwk):
    """Return the RSA public key of a JWK dict (RFC 7518 6.3.1 members)."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "RSA":
        raise Failure("not an RSA JWK")
    n, e = unb64url(jwk.get("n")), unb64url(jwk.get("e"))
    if not n or not e or n[0] == 0 or e[0] == 0:
        raise Failure("JWK member not minimal")
    try:
        return rsa.RSAPublicNumbers(int.from_bytes(e, "big"),
                                    int.from_bytes(n, "big")).public_key()
    except ValueError as exc:
        raise Failure("bad RSA key: %s" % exc) from None


def parse_json(text):
    """Parse a JSON command-line argument, or raise Usage."""
    try:
        return json.loads(text)
    except ValueError:
        raise Usage("not JSON: %.40s" % text) from None


def fingerprint(public):
    """Return "SHA256:" + unpadded base64 of the RFC 7638 thumbprint."""
    jwk = to_jwk(public)
    canon = '{"e":"%s","kty":"RSA","n":"%s"}' % (jwk["e"], jwk["n"])
    digest = hashlib.sha256(canon.encode("ascii")).digest()
    return "SHA256:" + base64.b64encode(digest).rstrip(b"=").decode()


def modulus_len(key):
    """Modulus length in bytes."""
    return (key.key_size + 7) // 8


def sign(private, data):
    """RSA-PSS-SHA256 signature (salt 32) of data, modulus-length bytes."""
    sig = private.sign(data, PSS, hashes.SHA256())
    assert len(sig) == modulus_len(private)
    return sig


def verify(public, sig, data, what):
    """Check an RSA-PSS-SHA256 signature, or raise Failure."""
    try:
        if len(sig) != modulus_len(public):
            raise InvalidSignature
        public.verify(sig, data, PSS, hashes.SHA256())
    except InvalidSignature:
        raise Failure("%s: signature does not verify" % what) from None


def hello_data(nonce, name):
    """The bytes a hello signature covers."""
    return HELLO_CONTEXT + lp(nonce) + lp(name.encode("utf-8"))


def cmd_keygen(path):
    """Generate an RSA-3072 identity into a new 0600 PEM file."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    print(fingerprint(key.public_key()))


def cmd_jwk(path):
    """Print the public JWK of a PEM identity."""
    print(json.dumps(to_jwk(load_private(path).public_key()),
                     separators=(",", ":")))


def cmd_fingerprint(path):
    """Print the fingerprint of a PEM identity."""
    print(fingerprint(load_private(path).public_key()))


def cmd_fingerprint_jwk(jwk):
    """Print the fingerprint of a JWK."""
    print(fingerprint(from_jwk(parse_json(jwk))))


def cmd_hello_sign(path, nonce, name):
    """Print the hello signature over nonce and name."""
    data = hello_data(unb64url(nonce), name)
    print(b64url(sign(load_private(path), data)))


def cmd_hello_verify(jwk, nonce, name, sig):
    """Check a hello signature."""
    data = hello_data(unb64url(nonce), name)
    verify(from_jwk(parse_json(jwk)), unb64url(sig), data, "hello")


# ---- sender keys ----------------------------------------------------------
# A session is (sid, index, ck) plus its Ed25519 signing key; byte strings
# are unpadded base64url on the command line.

MESSAGE_CONTEXT = b"tvchat-message-v1\0"
SESSION_CONTEXT = b"tvchat-session-v1\0"
CHAIN_CONTEXT = b"tvchat-chain-v1\0"
DIST_CONTEXT = b"tvchat-distribution-v1\0"
PREKEY_CONTEXT = b"tvchat-prekey-v1\0"
SK_VERSION, SK_KIND_MESSAGE, SK_KIND_SESSION = 1, 1, 2
SID_LEN, CK_LEN, KEY_LEN, SIG_LEN, TAG_LEN = 16, 32, 32, 64, 16
SK_HEADER_LEN = 2 + SID_LEN + 4
DIST_HEADER_LEN = 2 + 2 * KEY_LEN


def raw_public(key):
    """The raw 32 bytes of an Ed25519 or X25519 public key."""
    return key.public_bytes(serialization.Encoding.Raw,
                            serialization.PublicFormat.Raw)


def bytes_arg(what, text, length):
    """Decode a base64url argument of exactly length bytes, or raise Usage."""
    try:
        data = unb64url(text)
    except Failure as exc:
        raise Usage("%s: %s" % (what, exc)) from None
    if len(data) != length:
        raise Usage("%s: %d bytes, not %d" % (what, len(data), length))
    return data


def number_arg(what, text, low, high):
    """Parse a decimal argument in [low, high], or raise Usage."""
    try:
        value = int(text, 10)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise Usage("%s: not a number from %d to %d: %.40s" %
                    (what, low, high, text))
    return value


def chain_args(sid, index, ck):
    """A chain position (sid, index, ck) from its three arguments."""
    return (bytes_arg("sid", sid, SID_LEN),
            number_arg("index", index, 0, 2**32 - 1),
            bytes_arg("ck", ck, CK_LEN))


def signer_arg(seed):
    """The Ed25519 key of a base64url 32-byte seed (RFC 8032's secret)."""
    return ed25519.Ed25519PrivateKey.from_private_bytes(
        bytes_arg("seed", seed, KEY_LEN))


def hmac_sha256(key, data):
    """HMAC-SHA256 of data under key."""
    h = HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def chain_step(ck):
    """The message key of chain key ck and the next chain key."""
    return hmac_sha256(ck, b"\x01"), hmac_sha256(ck, b"\x02")


def key_and_nonce(ikm, info):
    """AES-256 key and 12-byte nonce: HKDF-SHA256, no salt, over ikm."""
    okm = HKDF(algorithm=hashes.SHA256(), length=44, salt=None,
               info=info).derive(ikm)
    return okm[:32], okm[32:]


def lower(name):
    """The UTF-8 bytes of name with ASCII letters lowercased."""
    return name.encode("utf-8").lower()


def target_of(sender, to):
    """The canonical target: a room lowercased, or every name and the
    sender's, lowercased, sorted, once each, joined by commas."""
    if isinstance(to, str):
        return lower(to)
    if not isinstance(to, list) or not all(isinstance(t, str) for t in to):
        raise Failure("target: malformed")
    return b",".join(sorted({lower(t) for t in to + [sender]}))


def target_arg(sender, to):
    """The canonical target of a TOJSON argument sent by sender."""
    return target_of(sender, parse_json(to))


def message_signed(aad, ct, tag):
    """What a message's session key signs."""
    return MESSAGE_CONTEXT + aad + ct + tag


def cmd_ed25519_pub(seed):
    """Print the Ed25519 public key of a seed."""
    print(b64url(raw_public(signer_arg(seed).public_key())))


def cmd_x25519_pub(secret):
    """Print the X25519 public key of a secret."""
    key = x25519.X25519PrivateKey.from_private_bytes(
        bytes_arg("secret", secret, KEY_LEN))
    print(b64url(raw_public(key.public_key())))


def cmd_sk_target(sender, to):
    """Print the canonical target of to sent by sender."""
    print(target_arg(sender, to).decode("utf-8"))


def cmd_sk_seal(seed, sid, index, ck, sender, to):
    """Seal stdin with the chain at index; print the blob, chain moved on."""
    signer = signer_arg(seed)
    sid, index, ck = chain_args(sid, index, ck)
    target = target_arg(sender, to)
    plain = sys.stdin.buffer.read()
    if not plain:
        raise Failure("empty message")
    mk, next_ck = chain_step(ck)
    key, nonce = key_and_nonce(mk, MESSAGE_CONTEXT + sid +
                               struct.pack(">I", index))
    header = bytes([SK_VERSION, SK_KIND_MESSAGE]) + sid + \
        struct.pack(">I", index)
    aad = header + lp(target) + lp(sender.encode("utf-8"))
    sealed = AESGCM(key).encrypt(nonce, plain, aad)
    ct, tag = sealed[:-TAG_LEN], sealed[-TAG_LEN:]
    sig = signer.sign(message_signed(aad, ct, tag))
    print(json.dumps({"blob": b64url(header + ct + tag + sig),
                      "sid": b64url(sid), "index": index + 1,
                      "ck": b64url(next_ck)}, separators=(",", ":")))


def sk_open_one(blob, sigpub, chain, sender, target, opened):
    """Open one message blob of the session whose chain position we were
    given; opened holds the indices already opened. Returns plaintext."""
    sid, first, ck = chain
    if len(blob) < 1 or blob[0] != SK_VERSION:
        raise Failure("unknown format version")
    if len(blob) < SK_HEADER_LEN + 1 + TAG_LEN + SIG_LEN or \
            blob[1] != SK_KIND_MESSAGE:
        raise Failure("malformed message")
    header, sig = blob[:SK_HEADER_LEN], blob[-SIG_LEN:]
    ct, tag = blob[SK_HEADER_LEN:-SIG_LEN - TAG_LEN], \
        blob[-SIG_LEN - TAG_LEN:-SIG_LEN]
    index = struct.unpack(">I", header[2 + SID_LEN:])[0]
    aad = header + lp(target) + lp(sender.encode("utf-8"))
    try:
        sigpub.verify(sig, message_signed(aad, ct, tag))
    except InvalidSignature:
        raise Failure("message: signature does not verify") from None
    if header[2:2 + SID_LEN] != sid:
        raise Failure("message of another session")
    if index < first:
        raise Failure("sent before its session reached us")
    if index in opened:
        raise Failure("replayed")
    for _ in range(index - first):
        ck = chain_step(ck)[1]
    key, nonce = key_and_nonce(chain_step(ck)[0], MESSAGE_CONTEXT + sid +
                               struct.pack(">I", index))
    try:
        plain = AESGCM(key).decrypt(nonce, ct + tag, aad)
    except InvalidTag:
        raise Failure("message fails authentication") from None
    opened.add(index)
    return plain


def cmd_sk_open(sigpub, sid, index, ck, sender, to):
    """Open the base64url blobs on stdin (one a line) in order, as a
    receiver of the chain at index; write their plaintexts."""
    sigpub = ed25519.Ed25519PublicKey.from_public_bytes(
        bytes_arg("sigpub", sigpub, KEY_LEN))
    chain = chain_args(sid, index, ck)
    target = target_arg(sender, to)
    opened = set()
    for line in sys.stdin.read().split("\n"):
        if line:
            sys.stdout.buffer.write(sk_open_one(unb64url(line), sigpub,
                                                chain, sender, target,
                                                opened))
            sys.stdout.buffer.flush()


def prekey_data(name, pub, created):
    """What an identity signs to publish a prekey."""
    return (PREKEY_CONTEXT + lp(name.encode("utf-8")) + pub +
            struct.pack(">q", created))


def prekey_args(pub, created):
    """The prekey and creation time (ms) arguments."""
    return (bytes_arg("prekey", pub, KEY_LEN),
            number_arg("created", created, -2**63, 2**63 - 1))


def cmd_prekey_sign(path, name, pub, created):
    """Print the identity's signature of name's prekey."""
    data = prekey_data(name, *prekey_args(pub, created))
    print(b64url(sign(load_private(path), data)))


def cmd_prekey_verify(jwk, name, pub, created, sig):
    """Check an identity's signature of name's prekey."""
    data = prekey_data(name, *prekey_args(pub, created))
    verify(from_jwk(parse_json(jwk)), unb64url(sig), data, "prekey")


def session_data(sender, target, sid, sigpub, created):
    """What the sender's identity signs: the session, once."""
    return (SESSION_CONTEXT + lp(sender) + lp(target) + sid + sigpub +
            struct.pack(">q", created))


def chain_data(sid, index, ck):
    """What the session key signs: the chain position handed out."""
    return CHAIN_CONTEXT + sid + struct.pack(">I", index) + ck


def envelope_aad(header, sender, recipient, target):
    """The AAD of an envelope: its header, then the HKDF info."""
    return header + DIST_CONTEXT + lp(sender) + lp(recipient) + \
        lp(target) + header[2:]


def flip_bit(data):
    """data with the low bit of its middle byte flipped."""
    out = bytearray(data)
    out[len(out) // 2] ^= 0x01
    return bytes(out)


def cmd_dist_seal(path, seed, sid, index, ck, created, sender, to, rcpt,
                  prekey):
    """Sign the session and its chain, seal them for rcpt to prekey and
    print the envelope.  With INTEROP_LIE in the environment it lies, for
    the opener to catch: sender:NAME or target:TARGET inside (signed as
    such), idsig or chainsig damaged, or trailing bytes after the session.
    """
    private, signer = load_private(path), signer_arg(seed)
    sid, index, ck = chain_args(sid, index, ck)
    created = number_arg("created", created, -2**63, 2**63 - 1)
    target, name = target_arg(sender, to), sender.encode("utf-8")
    prekey = bytes_arg("prekey", prekey, KEY_LEN)
    lie = os.environ.get("INTEROP_LIE", "")
    said_name, said_target = name, target
    if lie.startswith("sender:"):
        said_name = lie[len("sender:"):].encode("utf-8")
    elif lie.startswith("target:"):
        said_target = lie[len("target:"):].encode("utf-8")
    sigpub = raw_public(signer.public_key())
    idsig = sign(private, session_data(said_name, said_target, sid, sigpub,
                                       created))
    chainsig = signer.sign(chain_data(sid, index, ck))
    if lie == "idsig":
        idsig = flip_bit(idsig)
    elif lie == "chainsig":
        chainsig = flip_bit(chainsig)
    inner = (lp(said_name) + lp(said_target) + sid + sigpub +
             struct.pack(">q", created) + lp(idsig) +
             struct.pack(">I", index) + ck + chainsig)
    if lie == "trailing":
        inner += b"\0"
    eph = x25519.X25519PrivateKey.generate()
    try:
        shared = eph.exchange(x25519.X25519PublicKey.from_public_bytes(
            prekey))
    except ValueError:
        raise Failure("bad prekey") from None
    header = bytes([SK_VERSION, SK_KIND_SESSION]) + \
        raw_public(eph.public_key()) + prekey
    aad = envelope_aad(header, name, rcpt.encode("utf-8"), target)
    key, nonce = key_and_nonce(shared, aad[DIST_HEADER_LEN:])
    print(b64url(header + AESGCM(key).encrypt(nonce, inner, aad)))


class Reader:
    """A cursor over bytes; take() past the end raises Failure."""

    def __init__(self, data):
        self.data, self.off = data, 0

    def take(self, n):
        if n > len(self.data) - self.off:
            raise Failure("distribution: malformed session")
        self.off += n
        return self.data[self.off - n:self.off]

    def string(self):
        return self.take(struct.unpack(">I", self.take(4))[0])


def dist_open(mine, my_name, identity, sender, target, blob):
    """Open envelope blob with our X25519 prekey mine, as my_name, from
    sender (whose RSA identity is identity) for target (canonical bytes);
    check it and return (sid, index, ck, sigpub, created)."""
    name = sender.encode("utf-8")
    if len(blob) < 1 or blob[0] != SK_VERSION:
        raise Failure("unknown format version")
    if len(blob) < DIST_HEADER_LEN + 1 + TAG_LEN or \
            blob[1] != SK_KIND_SESSION:
        raise Failure("malformed distribution")
    header = blob[:DIST_HEADER_LEN]
    if header[2 + KEY_LEN:] != raw_public(mine.public_key()):
        raise Failure("distribution: not sealed to this prekey")
    try:
        shared = mine.exchange(x25519.X25519PublicKey.from_public_bytes(
            header[2:2 + KEY_LEN]))
    except ValueError:
        raise Failure("distribution: bad ephemeral key") from None
    aad = envelope_aad(header, name, my_name.encode("utf-8"), target)
    key, nonce = key_and_nonce(shared, aad[DIST_HEADER_LEN:])
    try:
        inner = AESGCM(key).decrypt(nonce, blob[DIST_HEADER_LEN:], aad)
    except InvalidTag:
        raise Failure("distribution fails authentication") from None
    rd = Reader(inner)
    got_sender, got_target = rd.string(), rd.string()
    sid, sigpub = rd.take(SID_LEN), rd.take(KEY_LEN)
    created = struct.unpack(">q", rd.take(8))[0]
    idsig = rd.string()
    index = struct.unpack(">I", rd.take(4))[0]
    ck, chainsig = rd.take(CK_LEN), rd.take(SIG_LEN)
    if rd.off != len(inner):
        raise Failure("distribution: bytes after the session")
    if got_sender != name:
        raise Failure("distribution: signed sender is %r" % got_sender)
    if got_target != target:
        raise Failure("distribution: signed target is %r" % got_target)
    verify(identity, idsig,
           session_data(name, target, sid, sigpub, created), "session")
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(sigpub).verify(
            chainsig, chain_data(sid, index, ck))
    except InvalidSignature:
        raise Failure("chain: signature does not verify") from None
    return sid, index, ck, sigpub, created


def cmd_dist_open(secret, my_name, sender_jwk, sender, to):
    """Open the base64url envelope on stdin with the prekey of secret,
    check it and print the session."""
    mine = x25519.X25519PrivateKey.from_private_bytes(
        bytes_arg("secret", secret, KEY_LEN))
    identity = from_jwk(parse_json(sender_jwk))
    target = target_arg(sender, to)
    blob = unb64url(sys.stdin.read().strip("\n"))
    sid, index, ck, sigpub, created = dist_open(mine, my_name, identity,
                                                sender, target, blob)
    print(json.dumps({"sender": sender, "target": target.decode("utf-8"),
                      "sigpub": b64url(sigpub), "created": created,
                      "sid": b64url(sid), "index": index, "ck": b64url(ck)},
                     separators=(",", ":")))


COMMANDS = {
    "keygen": cmd_keygen,
    "jwk": cmd_jwk,
    "fingerprint": cmd_fingerprint,
    "fingerprint-jwk": cmd_fingerprint_jwk,
    "hello-sign": cmd_hello_sign,
    "hello-verify": cmd_hello_verify,
    "ed25519-pub": cmd_ed25519_pub,
    "x25519-pub": cmd_x25519_pub,
    "sk-target": cmd_sk_target,
    "sk-seal": cmd_sk_seal,
    "sk-open": cmd_sk_open,
    "prekey-sign": cmd_prekey_sign,
    "prekey-verify": cmd_prekey_verify,
    "dist-seal": cmd_dist_seal,
    "dist-open": cmd_dist_open,
}


def main(argv):
    """Run the command in argv; return the exit status."""
    func = COMMANDS.get(argv[1]) if len(argv) > 1 else None
    try:
        if func is None or len(argv) - 2 != func.__code__.co_argcount:
            raise Usage("usage:\n" + __doc__.split("\n\n")[-1].rstrip())
        func(*argv[2:])
    except Usage as exc:
        print("interop.py: %s" % exc, file=sys.stderr)
        return 2
    except (Failure, OSError, ValueError) as exc:
        print("interop.py: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
