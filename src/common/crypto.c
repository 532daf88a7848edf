/*
 * Cryptography, all through libgcrypt: RSA-3072 identities stored as
 * S-expressions, JWK public keys with RFC 7638 thumbprints, RSA-PSS-SHA256
 * signatures and the handshake signature made with them. Chat messages
 * are sealed with sender keys (senderkey.c, distribution.c). The byte
 * layouts are specified in tvchat-protocol(5).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gcrypt.h>

#include "base64.h"
#include "buf.h"
#include "crypto-internal.h"
#include "crypto.h"
#include "log.h"
#include "proto.h"
#include "util.h"
#include "xmalloc.h"

static const char *const errors[] = {
	"success",
	"cryptographic library failure",
	"key file could not be read or written",
	"key file is readable by group or others (chmod 600 it)",
	"malformed key or message",
	"unsupported key (RSA 2048-4096 bits, odd exponent)",
	"message is not addressed to this user",
	"signature does not verify",
	"wrapped message key cannot be unwrapped",
	"message fails authentication",
	"private key needed",
	"a message needs 1 to 256 recipients",
	"message too long",
	"unknown format version",
	"replayed: this message was opened already",
	"sent before its session reached us (before we joined)",
	"too old: its key was dropped after 2000 later messages",
	"too far ahead: more than 25000 messages skipped",
	"the signed sender is not the one the server names",
	"the signed room or names are not the ones the server names",
	"its sender key session has not arrived",
};

/* Return a human description of a crypto_error. */
const char *
crypto_strerror(int e)
{
	if (e > 0 || -e >= (int)(sizeof errors / sizeof errors[0]))
		return "unknown crypto error";
	return errors[-e];
}

/* Initialise libgcrypt once; a version mismatch is fatal. */
void
crypto_init(void)
{
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
		return;
	if (gcry_check_version(GCRYPT_VERSION) == NULL)
		fatalx("libgcrypt is older than %s", GCRYPT_VERSION);
	/*
	 * Private keys live in ordinary memory: the secure-memory pool
	 * cannot hold them across fork() without warnings, and the identity
	 * file itself is the long-lived copy.
	 */
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
}

/* Fill p with len bytes of strong randomness. */
void
crypto_random(uint8_t *p, size_t len)
{
	gcry_randomize(p, len, GCRY_STRONG_RANDOM);
}

/* Return the big-endian unsigned bytes of MPI token name in sexp, padded
 * on the left to want bytes (0: minimal length). */
int
crypto_sexp_bytes(gcry_sexp_t sexp, const char *name, size_t want,
    uint8_t **out, size_t *outlen)
{
	gcry_sexp_t	 tok;
	gcry_mpi_t	 mpi;
	size_t		 len;
	uint8_t		*buf;

	if ((tok = gcry_sexp_find_token(sexp, name, 0)) == NULL)
		return CRYPTO_E_FORMAT;
	mpi = gcry_sexp_nth_mpi(tok, 1, GCRYMPI_FMT_USG);
	gcry_sexp_release(tok);
	if (mpi == NULL)
		return CRYPTO_E_FORMAT;
	len = (gcry_mpi_get_nbits(mpi) + 7) / 8;
	if (len == 0)
		len = 1;
	if (want != 0 && len > want) {
		gcry_mpi_release(mpi);
		return CRYPTO_E_FORMAT;
	}
	if (want == 0)
		want = len;
	buf = xcalloc(1, want);
	if (gcry_mpi_print(GCRYMPI_FMT_USG, buf + (want - len), len, NULL,
	    mpi) != 0) {
		gcry_mpi_release(mpi);
		free(buf);
		return CRYPTO_E_LIBRARY;
	}
	gcry_mpi_release(mpi);
	*out = buf;
	*outlen = want;
	return CRYPTO_OK;
}

/* Free a key (private parts included). NULL is fine. */
void
crypto_key_free(struct crypto_key *k)
{
	if (k == NULL)
		return;
	gcry_sexp_release(k->pub);
	gcry_sexp_release(k->priv);
	free(k->n_b64);
	free(k->e_b64);
	free(k);
}

/* Return 1 if k can sign and decrypt. */
int
crypto_key_has_private(const struct crypto_key *k)
{
	return k->priv != NULL;
}

/* Return the modulus size in bits. */
unsigned int
crypto_key_bits(const struct crypto_key *k)
{
	return k->bits;
}

/* Return "SHA256:<base64>", the RFC 7638 thumbprint of k. */
const char *
crypto_key_fingerprint(const struct crypto_key *k)
{
	return k->fingerprint;
}

/*
 * Compute the RFC 7638 JWK thumbprint of an RSA key given its base64url n
 * and e: SHA-256 over {"e":"..","kty":"RSA","n":".."}. Writes 32 bytes.
 */
int
crypto_thumbprint(const char *n_b64, const char *e_b64, uint8_t *out)
{
	char	*json;
	int	 len;

	len = xasprintf(&json, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}",
	    e_b64, n_b64);
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, json, (size_t)len);
	free(json);
	return CRYPTO_OK;
}

/*
 * Finish a key whose pub S-expression is set: check n and e, fill the
 * base64url members, size and fingerprint. Returns 0 or an error.
 */
static int
key_complete(struct crypto_key *k)
{
	uint8_t	*n, *e, digest[32];
	size_t	 nlen, elen;
	char	*fp;
	int	 r;

	if ((r = crypto_sexp_bytes(k->pub, "n", 0, &n, &nlen)) != 0)
		return r;
	if ((r = crypto_sexp_bytes(k->pub, "e", 0, &e, &elen)) != 0) {
		free(n);
		return r;
	}
	k->bits = gcry_pk_get_nbits(k->pub);
	k->modlen = (k->bits + 7) / 8;
	if (k->bits < CRYPTO_RSA_MIN_BITS || k->bits > CRYPTO_RSA_MAX_BITS ||
	    elen > 4 || (e[elen - 1] & 1) == 0 || (elen == 1 && e[0] < 3)) {
		free(n);
		free(e);
		return CRYPTO_E_KEY;
	}
	k->n_b64 = base64url_encode(n, nlen);
	k->e_b64 = base64url_encode(e, elen);
	free(n);
	free(e);
	crypto_thumbprint(k->n_b64, k->e_b64, digest);
	fp = base64_encode_nopad(digest, sizeof digest);
	snprintf(k->fingerprint, sizeof k->fingerprint, "SHA256:%s", fp);
	free(fp);
	return CRYPTO_OK;
}

/* Build the public-key S-expression from a private key's n and e. */
static int
public_from_private(gcry_sexp_t priv, gcry_sexp_t *pub)
{
	gcry_sexp_t	 nt, et;
	gcry_mpi_t	 n, e;
	int		 r = CRYPTO_E_FORMAT;

	nt = gcry_sexp_find_token(priv, "n", 0);
	et = gcry_sexp_find_token(priv, "e", 0);
	n = nt ? gcry_sexp_nth_mpi(nt, 1, GCRYMPI_FMT_USG) : NULL;
	e = et ? gcry_sexp_nth_mpi(et, 1, GCRYMPI_FMT_USG) : NULL;
	if (n != NULL && e != NULL &&
	    gcry_sexp_build(pub, NULL, "(public-key (rsa (n %m) (e %m)))",
	    n, e) == 0)
		r = CRYPTO_OK;
	gcry_mpi_release(n);
	gcry_mpi_release(e);
	gcry_sexp_release(nt);
	gcry_sexp_release(et);
	return r;
}

/* Wrap a private-key S-expression (taking ownership) into a key. */
static int
key_from_private(gcry_sexp_t priv, struct crypto_key **out)
{
	struct crypto_key	*k;
	int			 r;

	k = xcalloc(1, sizeof *k);
	k->priv = priv;
	if ((r = public_from_private(priv, &k->pub)) != 0 ||
	    (r = key_complete(k)) != 0) {
		crypto_key_free(k);
		return r;
	}
	*out = k;
	return CRYPTO_OK;
}

/* Generate a new RSA-3072 identity key into *out (takes a moment). */
int
crypto_key_generate(struct crypto_key **out)
{
	gcry_sexp_t	parms, pair, priv;

	if (gcry_sexp_build(&parms, NULL, "(genkey (rsa (nbits %d)))",
	    CRYPTO_RSA_BITS) != 0)
		return CRYPTO_E_LIBRARY;
	if (gcry_pk_genkey(&pair, parms) != 0) {
		gcry_sexp_release(parms);
		return CRYPTO_E_LIBRARY;
	}
	gcry_sexp_release(parms);
	priv = gcry_sexp_find_token(pair, "private-key", 0);
	gcry_sexp_release(pair);
	if (priv == NULL)
		return CRYPTO_E_LIBRARY;
	return key_from_private(priv, out);
}

/* Return k's public key as a JWK object {"kty":"RSA","n":..,"e":..}. */
json_object *
crypto_key_to_jwk(const struct crypto_key *k)
{
	json_object	*jwk = json_object_new_object();

	json_object_object_add(jwk, "kty", json_object_new_string("RSA"));
	json_object_object_add(jwk, "n", json_object_new_string(k->n_b64));
	json_object_object_add(jwk, "e", json_object_new_string(k->e_b64));
	return jwk;
}

/* Return v's string if it is one without embedded NULs, else NULL. */
const char *
crypto_exact_string(json_object *v)
{
	if (v == NULL || !json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) !=
	    (size_t)json_object_get_string_len(v))
		return NULL;
	return json_object_get_string(v);
}

/* Decode a base64url JWK member into a positive MPI with no leading zero. */
static int
jwk_member(json_object *jwk, const char *name, gcry_mpi_t *out)
{
	json_object	*v;
	uint8_t		*bytes;
	size_t		 len;
	gcry_error_t	 err;

	if (!json_object_object_get_ex(jwk, name, &v) ||
	    crypto_exact_string(v) == NULL ||
	    base64url_decode(crypto_exact_string(v), &bytes, &len) != 0)
		return CRYPTO_E_FORMAT;
	/* RFC 7518 6.3.1: minimal octets, so every key has one thumbprint. */
	if (len == 0 || bytes[0] == 0 || len > CRYPTO_RSA_MAX_BITS / 8) {
		free(bytes);
		return CRYPTO_E_KEY;
	}
	err = gcry_mpi_scan(out, GCRYMPI_FMT_USG, bytes, len, NULL);
	free(bytes);
	return err == 0 ? CRYPTO_OK : CRYPTO_E_FORMAT;
}

/*
 * Import a public key from a JWK object. Checks kty, canonical base64url
 * members and the key size. Returns 0 with *out set, or an error.
 */
int
crypto_key_from_jwk(json_object *jwk, struct crypto_key **out)
{
	struct crypto_key	*k;
	json_object		*kty;
	gcry_mpi_t		 n = NULL, e = NULL;
	int			 r;

	*out = NULL;
	if (!json_object_is_type(jwk, json_type_object) ||
	    !json_object_object_get_ex(jwk, "kty", &kty) ||
	    crypto_exact_string(kty) == NULL ||
	    strcmp(crypto_exact_string(kty), "RSA") != 0)
		return CRYPTO_E_FORMAT;
	if ((r = jwk_member(jwk, "n", &n)) != 0 ||
	    (r = jwk_member(jwk, "e", &e)) != 0) {
		gcry_mpi_release(n);
		return r;
	}
	k = xcalloc(1, sizeof *k);
	if (gcry_sexp_build(&k->pub, NULL, "(public-key (rsa (n %m) (e %m)))",
	    n, e) != 0)
		r = CRYPTO_E_LIBRARY;
	gcry_mpi_release(n);
	gcry_mpi_release(e);
	if (r == 0)
		r = key_complete(k);
	if (r != 0) {
		crypto_key_free(k);
		return r;
	}
	*out = k;
	return CRYPTO_OK;
}

/* Return 1 if a and b are the same public key. */
int
crypto_key_equal(const struct crypto_key *a, const struct crypto_key *b)
{
	return strcmp(a->n_b64, b->n_b64) == 0 &&
	    strcmp(a->e_b64, b->e_b64) == 0;
}

/* Return the default identity path, $XDG_CONFIG_HOME/tvchat/identity. */
char *
crypto_identity_path(void)
{
	return util_xdg_path("XDG_CONFIG_HOME", ".config", "tvchat/identity");
}

/*
 * Save k's private key to path, mode 0600, creating its directory with
 * mode 0700; the file is written whole to a temporary name then renamed.
 */
int
crypto_identity_save(const struct crypto_key *k, const char *path)
{
	char	*text;
	size_t	 len;
	int	 r = CRYPTO_OK;

	if (k->priv == NULL)
		return CRYPTO_E_NO_PRIVATE;
	len = gcry_sexp_sprint(k->priv, GCRYSEXP_FMT_ADVANCED, NULL, 0);
	text = xmalloc(len);
	len = gcry_sexp_sprint(k->priv, GCRYSEXP_FMT_ADVANCED, text, len);
	if (util_write_file_atomic(path, text, len, 0600) != 0)
		r = CRYPTO_E_IO;
	freezero(text, len);
	return r;
}

static int	key_self_test(const struct crypto_key *);

/*
 * Load a private key from path into *out. Refuses a file that is not a
 * regular file or that group or others may read (CRYPTO_E_PERMS), and one
 * whose key fails libgcrypt's consistency test or cannot sign
 * (CRYPTO_E_FORMAT).
 */
int
crypto_identity_load(const char *path, struct crypto_key **out)
{
	struct stat	 st;
	uint8_t		*text;
	size_t		 len;
	gcry_sexp_t	 sexp, priv;
	int		 fd, r;

	*out = NULL;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK))
	    == -1)
		return CRYPTO_E_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return CRYPTO_E_IO;
	}
	if ((st.st_mode & 077) != 0) {
		close(fd);
		return CRYPTO_E_PERMS;
	}
	r = util_read_file(fd, CRYPTO_IDENTITY_MAX, &text, &len);
	close(fd);
	if (r != 0)
		return CRYPTO_E_IO;
	r = gcry_sexp_sscan(&sexp, NULL, (const char *)text, len);
	freezero(text, len);
	if (r != 0)
		return CRYPTO_E_FORMAT;
	priv = gcry_sexp_find_token(sexp, "private-key", 0);
	gcry_sexp_release(sexp);
	if (priv == NULL || gcry_pk_testkey(priv) != 0) {
		gcry_sexp_release(priv);
		return CRYPTO_E_FORMAT;
	}
	if ((r = key_from_private(priv, out)) != CRYPTO_OK)
		return r;
	if ((r = key_self_test(*out)) != CRYPTO_OK) {
		crypto_key_free(*out);
		*out = NULL;
	}
	return r;
}

/* Append a 4-byte big-endian length and then the bytes. */
void
crypto_put_string(struct buf *b, const void *p, size_t len)
{
	uint8_t	hdr[4];

	be32enc(hdr, (uint32_t)len);
	if (buf_append(b, hdr, 4) != 0 || buf_append(b, p, len) != 0)
		fatalx("crypto: signed data over its cap");
}

/* Sign the SHA-256 digest of data with RSA-PSS; *sig gets modlen bytes. */
int
crypto_pss_sign(const struct crypto_key *k, const struct buf *data,
    uint8_t **sig, size_t *siglen)
{
	uint8_t		digest[32];
	gcry_sexp_t	hash, result;
	int		r;

	if (k->priv == NULL)
		return CRYPTO_E_NO_PRIVATE;
	gcry_md_hash_buffer(GCRY_MD_SHA256, digest, buf_ptr(data),
	    buf_len(data));
	if (gcry_sexp_build(&hash, NULL,
	    "(data (flags pss) (hash sha256 %b) (salt-length %d))",
	    (int)sizeof digest, digest, CRYPTO_SALT_LEN) != 0)
		return CRYPTO_E_LIBRARY;
	r = gcry_pk_sign(&result, hash, k->priv);
	gcry_sexp_release(hash);
	if (r != 0)
		return CRYPTO_E_LIBRARY;
	r = crypto_sexp_bytes(result, "s", k->modlen, sig, siglen);
	gcry_sexp_release(result);
	return r;
}

/* Verify an RSA-PSS signature over data; returns 0 or CRYPTO_E_SIGNATURE. */
int
crypto_pss_verify(const struct crypto_key *k, const struct buf *data,
    const uint8_t *sig, size_t siglen)
{
	uint8_t		digest[32];
	gcry_sexp_t	hash, sexp;
	gcry_mpi_t	s;
	int		r;

	if (siglen != k->modlen)
		return CRYPTO_E_SIGNATURE;
	gcry_md_hash_buffer(GCRY_MD_SHA256, digest, buf_ptr(data),
	    buf_len(data));
	if (gcry_mpi_scan(&s, GCRYMPI_FMT_USG, sig, siglen, NULL) != 0)
		return CRYPTO_E_SIGNATURE;
	r = gcry_sexp_build(&sexp, NULL, "(sig-val (rsa (s %m)))", s);
	gcry_mpi_release(s);
	if (r != 0)
		return CRYPTO_E_LIBRARY;
	if (gcry_sexp_build(&hash, NULL,
	    "(data (flags pss) (hash sha256 %b) (salt-length %d))",
	    (int)sizeof digest, digest, CRYPTO_SALT_LEN) != 0) {
		gcry_sexp_release(sexp);
		return CRYPTO_E_LIBRARY;
	}
	r = gcry_pk_verify(sexp, hash, k->pub);
	gcry_sexp_release(sexp);
	gcry_sexp_release(hash);
	return r == 0 ? CRYPTO_OK : CRYPTO_E_SIGNATURE;
}

/*
 * Sign and verify a test text with k: libgcrypt's key test checks only
 * n = pq, so a damaged d or u would load and then fail every signature.
 * Returns 0 or CRYPTO_E_FORMAT.
 */
static int
key_self_test(const struct crypto_key *k)
{
	static const char	 text[] = "tvchat identity self-test";
	struct buf		 data;
	uint8_t			*sig;
	size_t			 siglen;
	int			 r;

	buf_init(&data, sizeof text);
	if (buf_append(&data, text, sizeof text) != 0)
		fatalx("crypto: self-test text");
	if ((r = crypto_pss_sign(k, &data, &sig, &siglen)) == CRYPTO_OK) {
		r = crypto_pss_verify(k, &data, sig, siglen);
		free(sig);
	}
	buf_free(&data);
	return r == CRYPTO_OK ? CRYPTO_OK : CRYPTO_E_FORMAT;
}

/* Build the bytes a hello signature covers. */
static void
hello_data(struct buf *b, const uint8_t *nonce, size_t nonce_len,
    const char *name)
{
	buf_init(b, 4096);
	if (buf_append(b, CRYPTO_HELLO_CONTEXT, sizeof CRYPTO_HELLO_CONTEXT)
	    != 0)
		fatalx("crypto: hello context");
	crypto_put_string(b, nonce, nonce_len);
	crypto_put_string(b, name, strlen(name));
}

/* Sign the challenge nonce and name for hello; *sig is new base64url. */
int
crypto_hello_sign(const struct crypto_key *k, const uint8_t *nonce,
    size_t nonce_len, const char *name, char **sig)
{
	struct buf	 data;
	uint8_t		*s;
	size_t		 slen;
	int		 r;

	if (nonce_len > 1024 || strlen(name) > 1024)
		return CRYPTO_E_FORMAT;
	hello_data(&data, nonce, nonce_len, name);
	r = crypto_pss_sign(k, &data, &s, &slen);
	buf_free(&data);
	if (r != 0)
		return r;
	*sig = base64url_encode(s, slen);
	free(s);
	return CRYPTO_OK;
}

/* Verify a hello signature (base64url) by k over nonce and name. */
int
crypto_hello_verify(const struct crypto_key *k, const uint8_t *nonce,
    size_t nonce_len, const char *name, const char *sig_b64)
{
	struct buf	 data;
	uint8_t		*sig;
	size_t		 siglen;
	int		 r;

	if (nonce_len > 1024 || strlen(name) > 1024)
		return CRYPTO_E_FORMAT;
	if (base64url_decode(sig_b64, &sig, &siglen) != 0)
		return CRYPTO_E_SIGNATURE;
	hello_data(&data, nonce, nonce_len, name);
	r = crypto_pss_verify(k, &data, sig, siglen);
	buf_free(&data);
	free(sig);
	return r;
}
