#!/usr/bin/python3
"""An independent implementation of the tvchat crypto formats.

Written from the description of the formats, not from src/crypto.c, with
only python3-cryptography and the standard library, so that the
interoperability test can check src/crypto.c against it.  Identities are
unencrypted PKCS#8 PEM files (the C tool's S-expression files are not read
here); public keys travel as JWK JSON text.  Exit status: 0 success,
1 crypto failure (reason on stderr), 2 usage error.

  keygen PEMFILE                         new RSA-3072 key, print fingerprint
  jwk PEMFILE                            print the public JWK
  fingerprint PEMFILE | fingerprint-jwk JWKJSON
  hello-sign PEMFILE NONCE_B64URL NAME   print the signature
  hello-verify JWKJSON NONCE_B64URL NAME SIG
  seal PEMFILE FROM TOJSON ID RCPTSJSON  plaintext on stdin, sealed JSON out
  open PEMFILE MYNAME SENDERJWKJSON FROM TOJSON ID   sealed JSON on stdin
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
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError as exc:
    sys.exit("interop.py: python3-cryptography is missing for %s (%s); "
             "scripts/deps installs it" % (sys.executable, exc))

HELLO_CONTEXT = b"tvchat-hello-v1\0"
CHAT_CONTEXT = b"tvchat-chat-v1\0"
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
                    algorithm=hashes.SHA256(), label=None)


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


def chat_data(sender, to, msg_id, iv, ct, tag):
    """The bytes a chat signature covers."""
    if isinstance(to, str):
        items = [to.encode("utf-8")]
    elif isinstance(to, list) and to and all(isinstance(t, str) for t in to):
        items = sorted(t.encode("utf-8") for t in to)
    else:
        raise Failure("bad recipients")
    return (CHAT_CONTEXT + lp(sender.encode("utf-8")) +
            struct.pack(">I", len(items)) + b"".join(lp(i) for i in items) +
            lp(msg_id.encode("utf-8")) + iv + lp(ct) + tag)


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


def cmd_seal(path, sender, to, msg_id, rcpts):
    """Seal stdin from sender to to, for rcpts {name: jwk}; print JSON."""
    private, to, rcpts = load_private(path), parse_json(to), parse_json(rcpts)
    if not isinstance(rcpts, dict) or not rcpts:
        raise Usage("recipients must be a non-empty object")
    plain = sys.stdin.buffer.read()
    key, iv = os.urandom(32), os.urandom(12)
    sealed = AESGCM(key).encrypt(iv, plain, None)
    ct, tag = sealed[:-16], sealed[-16:]
    sig = sign(private, chat_data(sender, to, msg_id, iv, ct, tag))
    keys = {name: b64url(from_jwk(jwk).encrypt(key, OAEP))
            for name, jwk in rcpts.items()}
    print(json.dumps({"iv": b64url(iv), "ct": b64url(ct), "tag": b64url(tag),
                      "sig": b64url(sig), "keys": keys},
                     separators=(",", ":")))


def find_wrapped(sealed, my_name):
    """Return my wrapped key: "key" as delivered, or keys[my_name]."""
    if "key" in sealed:
        return sealed["key"]
    keys = sealed.get("keys")
    if isinstance(keys, dict):
        for name, wrapped in keys.items():
            if name.encode().lower() == my_name.encode().lower():
                return wrapped
    raise Failure("message is not addressed to %s" % my_name)


def cmd_open(path, my_name, sender_jwk, sender, to, msg_id):
    """Open the sealed JSON on stdin; write the plaintext bytes."""
    private = load_private(path)
    sender_key = from_jwk(parse_json(sender_jwk))
    to = parse_json(to)
    try:
        sealed = json.loads(sys.stdin.buffer.read())
    except ValueError:
        raise Failure("sealed message is not JSON") from None
    if not isinstance(sealed, dict):
        raise Failure("sealed message is not an object")
    wrapped = unb64url(find_wrapped(sealed, my_name))
    iv, ct, tag = (unb64url(sealed.get(k)) for k in ("iv", "ct", "tag"))
    if len(iv) != 12 or len(tag) != 16:
        raise Failure("bad IV or tag length")
    verify(sender_key, unb64url(sealed.get("sig")),
           chat_data(sender, to, msg_id, iv, ct, tag), "chat")
    if len(wrapped) != modulus_len(private):
        raise Failure("wrapped key has the wrong length")
    try:
        key = private.decrypt(wrapped, OAEP)
    except ValueError:
        raise Failure("wrapped key cannot be unwrapped") from None
    if len(key) != 32:
        raise Failure("content key is not 32 bytes")
    try:
        plain = AESGCM(key).decrypt(iv, ct + tag, None)
    except InvalidTag:
        raise Failure("message fails authentication") from None
    sys.stdout.buffer.write(plain)
    sys.stdout.buffer.flush()


COMMANDS = {
    "keygen": cmd_keygen,
    "jwk": cmd_jwk,
    "fingerprint": cmd_fingerprint,
    "fingerprint-jwk": cmd_fingerprint_jwk,
    "hello-sign": cmd_hello_sign,
    "hello-verify": cmd_hello_verify,
    "seal": cmd_seal,
    "open": cmd_open,
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
