/*
 * Protocol 1's sealed chat messages, kept only so bench/crypto.c can
 * measure them beside the sender keys that replaced them: AES-256-GCM
 * content, its key wrapped for each recipient with RSA-OAEP-SHA256, the
 * whole signed by the sender with RSA-PSS-SHA256 (crypto.c) over the
 * bytes chat_data() lays out. No program of tvchat uses this any more.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "base64.h"
#include "buf.h"
#include "crypto-internal.h"
#include "crypto.h"
#include "seal-v1.h"

#define CRYPTO_CHAT_CONTEXT	"tvchat-chat-v1"	/* and its NUL */
#define CHAT_MAX_KEYS		(CHAT_MAX_RECIPIENTS + 1)
#include "log.h"
#include "proto.h"
#include "xmalloc.h"

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
	crypto_put_string(b, from, strlen(from));
	if (json_object_is_type(to, json_type_string)) {
		if (strlen(json_object_get_string(to)) > CRYPTO_FIELD_MAX) {
			buf_free(b);
			return CRYPTO_E_FORMAT;
		}
		be32enc(count, 1);
		if (buf_append(b, count, 4) != 0)
			fatalx("crypto: chat data");
		crypto_put_string(b, json_object_get_string(to),
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
			crypto_put_string(b, names[i], strlen(names[i]));
		free(names);
	} else {
		buf_free(b);
		return CRYPTO_E_FORMAT;
	}
	crypto_put_string(b, id, strlen(id));
	if (buf_append(b, iv, CRYPTO_IV_LEN) != 0)
		fatalx("crypto: chat data");
	crypto_put_string(b, ct, ctlen);
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
	r = crypto_sexp_bytes(result, "a", k->modlen, &wrapped, &len);
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
	r = crypto_pss_sign(sender, &data, &sig, &siglen);
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
	    crypto_exact_string(v) == NULL ||
	    base64url_decode(crypto_exact_string(v), out, len) != 0)
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
	if (crypto_exact_string(w) == NULL ||
	    base64url_decode(crypto_exact_string(w), &wrapped, &wlen) != 0) {
		r = CRYPTO_E_FORMAT;
		goto out;
	}
	if ((r = chat_data(&data, from, to, id, iv, ct, ctlen, tag)) != 0)
		goto out;
	r = crypto_pss_verify(sender, &data, sig, siglen);
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
