/*
 * Fuzz target for crypto_key_from_jwk(): the input is JSON text. A key that
 * imports must have an RFC 7638 fingerprint, members that are exactly the
 * canonical ones it exports (so each key has one accepted JWK and one
 * thumbprint), a JWK export that imports to an equal key, and a public JWK
 * that msg.c accepts in a hello; anything else aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base64.h"
#include "crypto.h"
#include "msg.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

#define JSON_DEPTH	16	/* as msg.c parses messages */

/* Stop the process loudly, naming the broken invariant. */
static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_jwk: %s%s%s\n", what, detail ? ": " : "",
	    detail ? detail : "");
	abort();
}

/* Return 1 if member name of a and b are strings with the same bytes. */
static int
same_member(json_object *a, json_object *b, const char *name)
{
	json_object	*x, *y;
	int		 len;

	if (!json_object_object_get_ex(a, name, &x) ||
	    !json_object_object_get_ex(b, name, &y) ||
	    !json_object_is_type(x, json_type_string) ||
	    !json_object_is_type(y, json_type_string))
		return 0;
	len = json_object_get_string_len(x);
	return len == json_object_get_string_len(y) &&
	    memcmp(json_object_get_string(x), json_object_get_string(y),
	    (size_t)len) == 0;
}

/* Check the fingerprint's form: "SHA256:" and 43 standard base64 chars. */
static void
check_fingerprint(const struct crypto_key *k)
{
	const char	*fp = crypto_key_fingerprint(k);

	if (fp == NULL || strncmp(fp, "SHA256:", 7) != 0 ||
	    strlen(fp) != CRYPTO_FINGERPRINT_LEN - 1 ||
	    strspn(fp + 7, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/") !=
	    CRYPTO_FINGERPRINT_LEN - 8)
		fail("malformed fingerprint", fp);
}

/*
 * Require that a hello carrying jwk, and a signature as long as its
 * modulus (all zero bytes), passes msg.c's validation.
 */
static void
check_hello(json_object *jwk, const struct crypto_key *k)
{
	json_object	*m;
	char		 why[MSG_WHY_LEN], *sig;
	size_t		 n = ((size_t)crypto_key_bits(k) + 7) / 8;
	uint8_t		*zero = xcalloc(n, 1);

	sig = base64url_encode(zero, n);
	m = msg_hello("alice", json_object_get(jwk), sig,
	    msg_prekey("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopE", 0, sig));
	if (msg_validate(m, MSG_TO_SERVER, why, sizeof why) != PROTO_OK)
		fail("an importable key is refused in a hello", why);
	json_object_put(m);
	free(sig);
	free(zero);
}

/* Check everything an imported key promises. */
static void
check_key(json_object *input, const struct crypto_key *k)
{
	struct crypto_key	*again;
	json_object		*jwk;
	int			 r;

	check_fingerprint(k);
	if (crypto_key_has_private(k))
		fail("a JWK import has a private key", NULL);
	if (crypto_key_bits(k) < CRYPTO_RSA_MIN_BITS ||
	    crypto_key_bits(k) > CRYPTO_RSA_MAX_BITS)
		fail("key size out of range was accepted", NULL);
	jwk = crypto_key_to_jwk(k);
	if (!same_member(input, jwk, "kty") || !same_member(input, jwk, "n") ||
	    !same_member(input, jwk, "e"))
		fail("accepted JWK members are not the canonical ones",
		    json_object_to_json_string(input));
	if ((r = crypto_key_from_jwk(jwk, &again)) != CRYPTO_OK)
		fail("exported JWK does not import", crypto_strerror(r));
	if (!crypto_key_equal(k, again) || !crypto_key_equal(again, k) ||
	    strcmp(crypto_key_fingerprint(k),
	    crypto_key_fingerprint(again)) != 0 ||
	    crypto_key_bits(k) != crypto_key_bits(again))
		fail("exported JWK imports to a different key", NULL);
	check_hello(jwk, k);
	crypto_key_free(again);
	json_object_put(jwk);
}

/* Initialise libgcrypt once, before the first input. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	crypto_init();
	return 0;
}

/* libFuzzer entry point: import one JWK and check it; returns 0. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener	*tok;
	struct crypto_key	*k;
	json_object		*obj;
	int			 r;

	if (size > INT32_MAX)
		return 0;
	crypto_init();
	if ((tok = json_tokener_new_ex(JSON_DEPTH)) == NULL)
		fail("out of memory", NULL);
	obj = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (obj == NULL)
		return 0;
	r = crypto_key_from_jwk(obj, &k);
	if (r == CRYPTO_OK) {
		if (k == NULL)
			fail("import succeeded without a key", NULL);
		check_key(obj, k);
		crypto_key_free(k);
	} else if (k != NULL)
		fail("import failed but returned a key", crypto_strerror(r));
	else if (r != CRYPTO_E_FORMAT && r != CRYPTO_E_KEY)
		fail("import failed with an unexpected error",
		    crypto_strerror(r));
	json_object_put(obj);
	return 0;
}
