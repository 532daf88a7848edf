/*
 * Cryptography, all through libgcrypt: RSA-3072 identities stored as
 * S-expressions, JWK public keys with RFC 7638 thumbprints, the handshake
 * signature, and sealed chat messages (AES-256-GCM content, key wrapped per
 * recipient with RSA-OAEP-SHA256, signed with RSA-PSS-SHA256). The byte
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
#include "crypto.h"
#include "log.h"
#include "proto.h"
#include "util.h"
#include "xmalloc.h"

struct crypto_key {
	gcry_sexp_t	 pub;		/* (public-key (rsa (n)(e))) */
	gcry_sexp_t	 priv;		/* NULL for a public key */
	char		*n_b64;
	char		*e_b64;
	unsigned int	 bits;
	size_t		 modlen;	/* modulus length in bytes */
	char		 fingerprint[CRYPTO_FINGERPRINT_LEN];
};

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
static int
sexp_bytes(gcry_sexp_t sexp, const char *name, size_t want, uint8_t **out,
    size_t *outlen)
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

	if ((r = sexp_bytes(k->pub, "n", 0, &n, &nlen)) != 0)
		return r;
	if ((r = sexp_bytes(k->pub, "e", 0, &e, &elen)) != 0) {
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
static const char *
exact_string(json_object *v)
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
	    exact_string(v) == NULL ||
	    base64url_decode(exact_string(v), &bytes, &len) != 0)
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
	    exact_string(kty) == NULL || strcmp(exact_string(kty), "RSA") != 0)
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
	char	*text, *tmp, *dir;
	size_t	 len;
	int	 fd, r = CRYPTO_OK;

	if (k->priv == NULL)
		return CRYPTO_E_NO_PRIVATE;
	dir = util_dirname(path);
	if (util_mkdir_p(dir, 0700) != 0) {
		free(dir);
		return CRYPTO_E_IO;
	}
	free(dir);
	len = gcry_sexp_sprint(k->priv, GCRYSEXP_FMT_ADVANCED, NULL, 0);
	text = xmalloc(len);
	len = gcry_sexp_sprint(k->priv, GCRYSEXP_FMT_ADVANCED, text, len);
	xasprintf(&tmp, "%s.tmp%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1 || util_write_all(fd, text, len) != 0 || fsync(fd) != 0)
		r = CRYPTO_E_IO;
	if (fd != -1 && close(fd) != 0)
		r = CRYPTO_E_IO;
	if (r == 0 && rename(tmp, path) != 0)
		r = CRYPTO_E_IO;
	if (r != 0 && fd != -1)
		unlink(tmp);
	freezero(text, len);
	free(tmp);
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
static void
put_string(struct buf *b, const void *p, size_t len)
{
	uint8_t	hdr[4];

	be32enc(hdr, (uint32_t)len);
	if (buf_append(b, hdr, 4) != 0 || buf_append(b, p, len) != 0)
		fatalx("crypto: signed data over its cap");
}

/* Sign the SHA-256 digest of data with RSA-PSS; *sig gets modlen bytes. */
static int
pss_sign(const struct crypto_key *k, const struct buf *data, uint8_t **sig,
    size_t *siglen)
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
	r = sexp_bytes(result, "s", k->modlen, sig, siglen);
	gcry_sexp_release(result);
	return r;
}

/* Verify an RSA-PSS signature over data; returns 0 or CRYPTO_E_SIGNATURE. */
static int
pss_verify(const struct crypto_key *k, const struct buf *data,
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
	if ((r = pss_sign(k, &data, &sig, &siglen)) == CRYPTO_OK) {
		r = pss_verify(k, &data, sig, siglen);
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
	put_string(b, nonce, nonce_len);
	put_string(b, name, strlen(name));
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
	r = pss_sign(k, &data, &s, &slen);
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
	r = pss_verify(k, &data, sig, siglen);
	buf_free(&data);
	free(sig);
	return r;
}

/* Compare two strings for qsort. */
static int
compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Build the bytes a chat signature covers: context, sender, the recipients
 * (a room name, or the user names sorted bytewise), id, IV, ciphertext, tag.
 */
static int
chat_data(struct buf *b, const char *from, json_object *to, const char *id,
    const uint8_t *iv, const uint8_t *ct, size_t ctlen, const uint8_t *tag)
{
	const char	**names;
	size_t		  n;
	uint8_t		  count[4];

	/* Bound every part, so the buffer's cap can never be reached. */
	if (ctlen > CHAT_MAX_PLAINTEXT || strlen(from) > CRYPTO_FIELD_MAX ||
	    strlen(id) > CRYPTO_FIELD_MAX)
		return CRYPTO_E_FORMAT;
	buf_init(b, FRAME_MAX_JSON + 64 * 1024);
	if (buf_append(b, CRYPTO_CHAT_CONTEXT, sizeof CRYPTO_CHAT_CONTEXT) != 0)
		fatalx("crypto: chat context");
	put_string(b, from, strlen(from));
	if (json_object_is_type(to, json_type_string)) {
		if (strlen(json_object_get_string(to)) > CRYPTO_FIELD_MAX) {
			buf_free(b);
			return CRYPTO_E_FORMAT;
		}
		be32enc(count, 1);
		if (buf_append(b, count, 4) != 0)
			fatalx("crypto: chat data");
		put_string(b, json_object_get_string(to),
		    strlen(json_object_get_string(to)));
	} else if (json_object_is_type(to, json_type_array)) {
		n = json_object_array_length(to);
		if (n == 0 || n > CHAT_MAX_RECIPIENTS) {
			buf_free(b);
			return CRYPTO_E_FORMAT;
		}
		names = xreallocarray(NULL, n, sizeof *names);
		for (size_t i = 0; i < n; i++) {
			json_object *v = json_object_array_get_idx(to, i);

			if (!json_object_is_type(v, json_type_string) ||
			    strlen(json_object_get_string(v)) >
			    CRYPTO_FIELD_MAX) {
				free(names);
				buf_free(b);
				return CRYPTO_E_FORMAT;
			}
			names[i] = json_object_get_string(v);
		}
		qsort(names, n, sizeof *names, compare_strings);
		be32enc(count, (uint32_t)n);
		if (buf_append(b, count, 4) != 0)
			fatalx("crypto: chat data");
		for (size_t i = 0; i < n; i++)
			put_string(b, names[i], strlen(names[i]));
		free(names);
	} else {
		buf_free(b);
		return CRYPTO_E_FORMAT;
	}
	put_string(b, id, strlen(id));
	if (buf_append(b, iv, CRYPTO_IV_LEN) != 0)
		fatalx("crypto: chat data");
	put_string(b, ct, ctlen);
	if (buf_append(b, tag, CRYPTO_TAG_LEN) != 0)
		fatalx("crypto: chat data");
	return CRYPTO_OK;
}

/* Wrap the content key for one recipient with RSA-OAEP-SHA256. */
static int
oaep_wrap(const struct crypto_key *k, const uint8_t *key, char **out)
{
	gcry_sexp_t	 data, result;
	uint8_t		*wrapped;
	size_t		 len;
	int		 r;

	if (gcry_sexp_build(&data, NULL,
	    "(data (flags oaep) (hash-algo sha256) (value %b))",
	    CRYPTO_KEY_LEN, key) != 0)
		return CRYPTO_E_LIBRARY;
	r = gcry_pk_encrypt(&result, data, k->pub);
	gcry_sexp_release(data);
	if (r != 0)
		return CRYPTO_E_LIBRARY;
	r = sexp_bytes(result, "a", k->modlen, &wrapped, &len);
	gcry_sexp_release(result);
	if (r != 0)
		return r;
	*out = base64url_encode(wrapped, len);
	free(wrapped);
	return CRYPTO_OK;
}

/* Unwrap a content key with our private key; returns 0 or CRYPTO_E_UNWRAP. */
static int
oaep_unwrap(const struct crypto_key *k, const uint8_t *wrapped, size_t len,
    uint8_t *key)
{
	gcry_sexp_t	 enc, result;
	gcry_mpi_t	 a;
	const char	*value;
	size_t		 vlen;
	int		 r;

	if (len != k->modlen ||
	    gcry_mpi_scan(&a, GCRYMPI_FMT_USG, wrapped, len, NULL) != 0)
		return CRYPTO_E_UNWRAP;
	r = gcry_sexp_build(&enc, NULL,
	    "(enc-val (flags oaep) (hash-algo sha256) (rsa (a %m)))", a);
	gcry_mpi_release(a);
	if (r != 0)
		return CRYPTO_E_LIBRARY;
	r = gcry_pk_decrypt(&result, enc, k->priv);
	gcry_sexp_release(enc);
	if (r != 0)
		return CRYPTO_E_UNWRAP;
	value = gcry_sexp_nth_data(result, 1, &vlen);
	if (value == NULL || vlen != CRYPTO_KEY_LEN) {
		gcry_sexp_release(result);
		return CRYPTO_E_UNWRAP;
	}
	memcpy(key, value, CRYPTO_KEY_LEN);
	gcry_sexp_release(result);
	return CRYPTO_OK;
}

/* Run AES-256-GCM over in (encrypting, or decrypting and checking tag). */
static int
gcm(int encrypt, const uint8_t *key, const uint8_t *iv, const uint8_t *in,
    size_t len, uint8_t *out, uint8_t *tag)
{
	gcry_cipher_hd_t	h;
	gcry_error_t		err;

	if (gcry_cipher_open(&h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM, 0)
	    != 0)
		return CRYPTO_E_LIBRARY;
	err = gcry_cipher_setkey(h, key, CRYPTO_KEY_LEN);
	if (err == 0)
		err = gcry_cipher_setiv(h, iv, CRYPTO_IV_LEN);
	if (err == 0)
		err = gcry_cipher_final(h);
	if (err == 0 && encrypt) {
		err = gcry_cipher_encrypt(h, out, len, in, len);
		if (err == 0)
			err = gcry_cipher_gettag(h, tag, CRYPTO_TAG_LEN);
	} else if (err == 0) {
		err = gcry_cipher_decrypt(h, out, len, in, len);
		if (err == 0 && gcry_cipher_checktag(h, tag, CRYPTO_TAG_LEN)
		    != 0) {
			gcry_cipher_close(h);
			return CRYPTO_E_AUTH;
		}
	}
	gcry_cipher_close(h);
	return err == 0 ? CRYPTO_OK : CRYPTO_E_LIBRARY;
}

/* Add a base64url string member to obj. */
static void
add_b64(json_object *obj, const char *key, const uint8_t *p, size_t len)
{
	char	*s = base64url_encode(p, len);

	json_object_object_add(obj, key, json_object_new_string(s));
	free(s);
}

/*
 * Seal plaintext from sender (name from) to the target to (a room string or
 * an array of names) with message id, for the given recipients (include the
 * sender to read one's own echo). On success *sealed is a new object
 * {iv, ct, tag, sig, keys: {name: wrapped}}.
 */
int
crypto_seal(const struct crypto_key *sender, const char *from, json_object *to,
    const char *id, const struct crypto_recipient *rcpt, size_t nrcpt,
    const uint8_t *plain, size_t plen, json_object **sealed)
{
	uint8_t		 key[CRYPTO_KEY_LEN], iv[CRYPTO_IV_LEN];
	uint8_t		 tag[CRYPTO_TAG_LEN], *ct, *sig;
	size_t		 siglen;
	struct buf	 data;
	json_object	*obj, *keys;
	char		*wrapped;
	int		 r;

	*sealed = NULL;
	if (sender->priv == NULL)
		return CRYPTO_E_NO_PRIVATE;
	if (nrcpt == 0 || nrcpt > CHAT_MAX_KEYS)
		return CRYPTO_E_RECIPIENTS;
	if (plen > CHAT_MAX_PLAINTEXT)
		return CRYPTO_E_TOO_BIG;
	gcry_randomize(key, sizeof key, GCRY_STRONG_RANDOM);
	gcry_create_nonce(iv, sizeof iv);
	ct = xmalloc(plen);
	if ((r = gcm(1, key, iv, plain, plen, ct, tag)) != 0)
		goto out;
	if ((r = chat_data(&data, from, to, id, iv, ct, plen, tag)) != 0)
		goto out;
	r = pss_sign(sender, &data, &sig, &siglen);
	buf_free(&data);
	if (r != 0)
		goto out;
	obj = json_object_new_object();
	add_b64(obj, "iv", iv, sizeof iv);
	add_b64(obj, "ct", ct, plen);
	add_b64(obj, "tag", tag, sizeof tag);
	add_b64(obj, "sig", sig, siglen);
	free(sig);
	keys = json_object_new_object();
	json_object_object_add(obj, "keys", keys);
	for (size_t i = 0; i < nrcpt; i++) {
		if ((r = oaep_wrap(rcpt[i].key, key, &wrapped)) != 0) {
			json_object_put(obj);
			goto out;
		}
		json_object_object_add(keys, rcpt[i].name,
		    json_object_new_string(wrapped));
		free(wrapped);
	}
	*sealed = obj;
out:
	explicit_bzero(key, sizeof key);
	free(ct);
	return r;
}

/* Decode base64url member name of obj, requiring want bytes (0: any). */
static int
get_b64(json_object *obj, const char *name, size_t want, uint8_t **out,
    size_t *len)
{
	json_object	*v;

	if (!json_object_object_get_ex(obj, name, &v) ||
	    exact_string(v) == NULL ||
	    base64url_decode(exact_string(v), out, len) != 0)
		return CRYPTO_E_FORMAT;
	if (want != 0 && *len != want) {
		free(*out);
		*out = NULL;
		return CRYPTO_E_FORMAT;
	}
	return CRYPTO_OK;
}

/* Find the wrapped key for me: "key" (as delivered) or keys[my_name]. */
static json_object *
find_wrapped(json_object *sealed, const char *my_name)
{
	json_object	*v, *keys;

	if (json_object_object_get_ex(sealed, "key", &v))
		return v;
	if (!json_object_object_get_ex(sealed, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_object))
		return NULL;
	json_object_object_foreach(keys, name, wrapped) {
		if (proto_name_equal(name, my_name))
			return wrapped;
	}
	return NULL;
}

/*
 * Open a sealed chat addressed to me (key with private part, my_name) from
 * sender (public key, name from as stamped by the server), sent to to with
 * id. The signature is checked first, so a forged message costs no private
 * key operation. On success *plain is a new buffer of *plen bytes (plus a
 * terminating NUL not counted). Errors: CRYPTO_E_FORMAT, _NOT_RECIPIENT,
 * _SIGNATURE, _UNWRAP, _AUTH.
 */
int
crypto_open(const struct crypto_key *me, const char *my_name,
    const struct crypto_key *sender, const char *from, json_object *to,
    const char *id, json_object *sealed, uint8_t **plain, size_t *plen)
{
	uint8_t		*iv = NULL, *ct = NULL, *tag = NULL, *sig = NULL;
	uint8_t		*wrapped = NULL, key[CRYPTO_KEY_LEN], *out;
	size_t		 ivlen, ctlen, taglen, siglen, wlen;
	json_object	*w;
	struct buf	 data;
	int		 r;

	*plain = NULL;
	*plen = 0;
	if (me->priv == NULL)
		return CRYPTO_E_NO_PRIVATE;
	if (!json_object_is_type(sealed, json_type_object))
		return CRYPTO_E_FORMAT;
	if ((w = find_wrapped(sealed, my_name)) == NULL)
		return CRYPTO_E_NOT_RECIPIENT;
	if ((r = get_b64(sealed, "iv", CRYPTO_IV_LEN, &iv, &ivlen)) != 0 ||
	    (r = get_b64(sealed, "tag", CRYPTO_TAG_LEN, &tag, &taglen)) != 0 ||
	    (r = get_b64(sealed, "ct", 0, &ct, &ctlen)) != 0 ||
	    (r = get_b64(sealed, "sig", 0, &sig, &siglen)) != 0)
		goto out;
	if (exact_string(w) == NULL ||
	    base64url_decode(exact_string(w), &wrapped, &wlen) != 0) {
		r = CRYPTO_E_FORMAT;
		goto out;
	}
	if ((r = chat_data(&data, from, to, id, iv, ct, ctlen, tag)) != 0)
		goto out;
	r = pss_verify(sender, &data, sig, siglen);
	buf_free(&data);
	if (r != 0)
		goto out;
	if ((r = oaep_unwrap(me, wrapped, wlen, key)) != 0)
		goto out;
	out = xmalloc(ctlen + 1);
	r = gcm(0, key, iv, ct, ctlen, out, tag);
	explicit_bzero(key, sizeof key);
	if (r != 0) {
		freezero(out, ctlen + 1);
		goto out;
	}
	out[ctlen] = '\0';
	*plain = out;
	*plen = ctlen;
out:
	free(iv);
	free(ct);
	free(tag);
	free(sig);
	free(wrapped);
	return r;
}
