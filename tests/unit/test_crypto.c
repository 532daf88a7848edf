/*
 * Unit tests for crypto.c: keys, JWK, fingerprints, identities, the
 * hello signature and the error texts. The sender keys are tested in
 * test_kdf_ecc.c, test_senderkey.c and test_distribution.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "crypto.h"
#include "proto.h"
#include "xmalloc.h"

/* Three users generated once for the whole run (RSA-3072 takes a moment). */
static struct crypto_key *alice, *bob, *carol;

static const char rfc7638_n[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPF"
    "FxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93l"
    "qt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHz"
    "u6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPks"
    "INHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

static int
setup_keys(void **state)
{
	(void)state;
	crypto_init();
	if (crypto_key_generate(&alice) != 0 ||
	    crypto_key_generate(&bob) != 0 ||
	    crypto_key_generate(&carol) != 0)
		return -1;
	return 0;
}

static int
teardown_keys(void **state)
{
	(void)state;
	crypto_key_free(alice);
	crypto_key_free(bob);
	crypto_key_free(carol);
	return 0;
}

/* Return a public-only copy of k, made through its JWK. */
static struct crypto_key *
public_copy(const struct crypto_key *k)
{
	json_object		*jwk = crypto_key_to_jwk(k);
	struct crypto_key	*pub;

	assert_int_equal(crypto_key_from_jwk(jwk, &pub), CRYPTO_OK);
	json_object_put(jwk);
	return pub;
}

static void
test_generate(void **state)
{
	const char	*fp = crypto_key_fingerprint(alice);

	(void)state;
	assert_int_equal(crypto_key_bits(alice), 3072);
	assert_true(crypto_key_has_private(alice));
	assert_int_equal(strncmp(fp, "SHA256:", 7), 0);
	assert_int_equal(strlen(fp), 7 + 43);
	assert_string_not_equal(fp, crypto_key_fingerprint(bob));
	assert_false(crypto_key_equal(alice, bob));
}

static void
test_jwk_round_trip(void **state)
{
	struct crypto_key	*pub = public_copy(alice);
	json_object		*jwk = crypto_key_to_jwk(alice), *e;

	(void)state;
	assert_false(crypto_key_has_private(pub));
	assert_true(crypto_key_equal(pub, alice));
	assert_string_equal(crypto_key_fingerprint(pub),
	    crypto_key_fingerprint(alice));
	assert_true(json_object_object_get_ex(jwk, "e", &e));
	assert_string_equal(json_object_get_string(e), "AQAB");
	json_object_put(jwk);
	crypto_key_free(pub);
}

static void
test_rfc7638_thumbprint(void **state)
{
	uint8_t			 digest[32];
	char			*b64;
	json_object		*jwk;
	struct crypto_key	*k;
	char			 expect[64];

	(void)state;
	crypto_thumbprint(rfc7638_n, "AQAB", digest);
	b64 = base64url_encode(digest, sizeof digest);
	assert_string_equal(b64, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	free(b64);

	/* The same through a JWK import, shown in OpenSSH's alphabet. */
	jwk = json_object_new_object();
	json_object_object_add(jwk, "kty", json_object_new_string("RSA"));
	json_object_object_add(jwk, "n", json_object_new_string(rfc7638_n));
	json_object_object_add(jwk, "e", json_object_new_string("AQAB"));
	assert_int_equal(crypto_key_from_jwk(jwk, &k), CRYPTO_OK);
	assert_int_equal(crypto_key_bits(k), 2048);
	snprintf(expect, sizeof expect, "SHA256:%s",
	    "NzbLsXh8uDCcd+6MNwXF4W/7noWXFZAfHkxZsRGC9Xs");
	assert_string_equal(crypto_key_fingerprint(k), expect);
	crypto_key_free(k);
	json_object_put(jwk);
}

/* Try importing {"kty":kty,"n":n,"e":e}; return the result code. */
static int
import(const char *kty, const char *n, const char *e)
{
	json_object		*jwk = json_object_new_object();
	struct crypto_key	*k = NULL;
	int			 r;

	if (kty != NULL)
		json_object_object_add(jwk, "kty", json_object_new_string(kty));
	if (n != NULL)
		json_object_object_add(jwk, "n", json_object_new_string(n));
	if (e != NULL)
		json_object_object_add(jwk, "e", json_object_new_string(e));
	r = crypto_key_from_jwk(jwk, &k);
	if (r == CRYPTO_OK)
		assert_non_null(k);
	else
		assert_null(k);
	crypto_key_free(k);
	json_object_put(jwk);
	return r;
}

/* Return base64url of the bytes of b64 with prefix bytes put in front. */
static char *
prefixed(const char *b64, const uint8_t *prefix, size_t plen)
{
	uint8_t	*raw, *all;
	size_t	 len;
	char	*out;

	assert_int_equal(base64url_decode(b64, &raw, &len), 0);
	all = xmalloc(plen + len);
	memcpy(all, prefix, plen);
	memcpy(all + plen, raw, len);
	out = base64url_encode(all, plen + len);
	free(raw);
	free(all);
	return out;
}

static void
test_jwk_rejects(void **state)
{
	static const uint8_t	 zero = 0, five[4] = { 1, 0, 0, 0 };
	char			*lead0 = prefixed(rfc7638_n, &zero, 1);
	char			*bigexp = prefixed("AQAB", five, 4);
	char			*small;
	uint8_t			 raw[64];

	(void)state;
	assert_int_equal(import("RSA", rfc7638_n, "AQAB"), CRYPTO_OK);
	assert_int_equal(import("EC", rfc7638_n, "AQAB"), CRYPTO_E_FORMAT);
	assert_int_equal(import(NULL, rfc7638_n, "AQAB"), CRYPTO_E_FORMAT);
	assert_int_equal(import("RSA", NULL, "AQAB"), CRYPTO_E_FORMAT);
	assert_int_equal(import("RSA", rfc7638_n, NULL), CRYPTO_E_FORMAT);
	assert_int_equal(import("RSA", "not base64!", "AQAB"), CRYPTO_E_FORMAT);
	assert_int_equal(import("RSA", rfc7638_n, "AQAB="), CRYPTO_E_FORMAT);
	/* Leading zero octets would give one key two thumbprints. */
	assert_int_equal(import("RSA", lead0, "AQAB"), CRYPTO_E_KEY);
	/* Even exponent, exponent of 1, exponent over 4 bytes. */
	assert_int_equal(import("RSA", rfc7638_n, "AQAA"), CRYPTO_E_KEY);
	assert_int_equal(import("RSA", rfc7638_n, "AQ"), CRYPTO_E_KEY);
	assert_int_equal(import("RSA", rfc7638_n, bigexp), CRYPTO_E_KEY);
	/* A 512-bit modulus is too small. */
	memset(raw, 0xc5, sizeof raw);
	small = base64url_encode(raw, sizeof raw);
	assert_int_equal(import("RSA", small, "AQAB"), CRYPTO_E_KEY);
	assert_int_equal(import("RSA", "", "AQAB"), CRYPTO_E_KEY);
	free(small);
	free(lead0);
	free(bigexp);
}

/* Make a private temporary directory; return its path. */
static char *
temp_dir(void)
{
	char	*dir = xstrdup("/tmp/tvchat-test-XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

/* Remove dir and everything below it (the tests create few entries). */
static void
remove_tree(const char *dir)
{
	char	*cmd;

	xasprintf(&cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void
test_identity_save_load(void **state)
{
	char			*dir = temp_dir(), *path, *sub;
	struct crypto_key	*k;
	struct stat		 st;

	(void)state;
	xasprintf(&sub, "%s/config/tvchat", dir);
	xasprintf(&path, "%s/identity", sub);
	assert_int_equal(crypto_identity_save(alice, path), CRYPTO_OK);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(crypto_identity_load(path, &k), CRYPTO_OK);
	assert_true(crypto_key_has_private(k));
	assert_true(crypto_key_equal(k, alice));
	assert_string_equal(crypto_key_fingerprint(k),
	    crypto_key_fingerprint(alice));
	crypto_key_free(k);

	/* Overwriting keeps the mode and replaces the key. */
	assert_int_equal(crypto_identity_save(bob, path), CRYPTO_OK);
	assert_int_equal(crypto_identity_load(path, &k), CRYPTO_OK);
	assert_true(crypto_key_equal(k, bob));
	crypto_key_free(k);

	/* A public-only key cannot be saved as an identity. */
	k = public_copy(carol);
	assert_int_equal(crypto_identity_save(k, path), CRYPTO_E_NO_PRIVATE);
	crypto_key_free(k);

	remove_tree(dir);
	free(path);
	free(sub);
	free(dir);
}

/* Write text to path with mode; return path's load result. */
static int
load_text(const char *path, const char *text, mode_t mode)
{
	struct crypto_key	*k = NULL;
	int			 fd, r;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd != -1);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	r = crypto_identity_load(path, &k);
	if (r != CRYPTO_OK)
		assert_null(k);
	crypto_key_free(k);
	return r;
}

/* Return the identity text at path with one digit of its d changed
 * (a static buffer). */
static const char *
damaged_d(const char *path)
{
	static char	 text[CRYPTO_IDENTITY_MAX + 1];
	char		*d;
	FILE		*f;
	size_t		 n;

	assert_non_null(f = fopen(path, "r"));
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_non_null(d = strstr(text, "(d #"));
	d += 10;	/* well inside the number */
	*d = *d == '1' ? '2' : '1';
	return text;
}

static void
test_identity_rejects(void **state)
{
	char			*dir = temp_dir(), *path, *good, *link;
	struct crypto_key	*k;
	char			*big;

	(void)state;
	xasprintf(&path, "%s/identity", dir);
	xasprintf(&good, "%s/good", dir);
	xasprintf(&link, "%s/link", dir);
	assert_int_equal(crypto_identity_load(path, &k), CRYPTO_E_IO);
	assert_null(k);

	assert_int_equal(crypto_identity_save(alice, good), CRYPTO_OK);
	/* Group- or world-readable keys are refused, as ssh does. */
	assert_int_equal(chmod(good, 0640), 0);
	assert_int_equal(crypto_identity_load(good, &k), CRYPTO_E_PERMS);
	assert_int_equal(chmod(good, 0604), 0);
	assert_int_equal(crypto_identity_load(good, &k), CRYPTO_E_PERMS);
	assert_int_equal(chmod(good, 0600), 0);
	assert_int_equal(crypto_identity_load(good, &k), CRYPTO_OK);
	crypto_key_free(k);
	/* Not followed through a symbolic link. */
	assert_int_equal(symlink(good, link), 0);
	assert_int_equal(crypto_identity_load(link, &k), CRYPTO_E_IO);
	/* A directory is not a key file. */
	assert_int_equal(crypto_identity_load(dir, &k), CRYPTO_E_IO);

	assert_int_equal(load_text(path, "", 0600), CRYPTO_E_FORMAT);
	assert_int_equal(load_text(path, "hello", 0600), CRYPTO_E_FORMAT);
	assert_int_equal(load_text(path, "(public-key (rsa (n #00C1#)(e #03#)))",
	    0600), CRYPTO_E_FORMAT);
	/* Mismatched parts fail libgcrypt's key consistency test. */
	assert_int_equal(load_text(path, "(private-key (rsa (n #00C1#)(e #03#)"
	    "(d #07#)(p #0B#)(q #0D#)(u #01#)))", 0600), CRYPTO_E_FORMAT);
	/* So does a damaged d, which that test (n = pq) lets through:
	 * every signature would fail (found by fuzz_knownkeys). */
	assert_int_equal(load_text(path, damaged_d(good), 0600),
	    CRYPTO_E_FORMAT);
	big = xmalloc(CRYPTO_IDENTITY_MAX + 2);
	memset(big, '(', CRYPTO_IDENTITY_MAX + 1);
	big[CRYPTO_IDENTITY_MAX + 1] = '\0';
	assert_int_equal(load_text(path, big, 0600), CRYPTO_E_IO);
	free(big);

	remove_tree(dir);
	free(path);
	free(good);
	free(link);
	free(dir);
}

static void
test_identity_path(void **state)
{
	char	*p;

	(void)state;
	setenv("XDG_CONFIG_HOME", "/x/conf", 1);
	p = crypto_identity_path();
	assert_string_equal(p, "/x/conf/tvchat/identity");
	free(p);
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/home/u", 1);
	p = crypto_identity_path();
	assert_string_equal(p, "/home/u/.config/tvchat/identity");
	free(p);
}

static void
test_hello(void **state)
{
	uint8_t			 nonce[32];
	char			*sig;
	struct crypto_key	*pub = public_copy(alice);

	(void)state;
	crypto_random(nonce, sizeof nonce);
	assert_int_equal(crypto_hello_sign(alice, nonce, sizeof nonce, "alice",
	    &sig), CRYPTO_OK);
	assert_int_equal(strlen(sig), BASE64_ENCODED_LEN(384) - 0);
	assert_int_equal(crypto_hello_verify(pub, nonce, sizeof nonce, "alice",
	    sig), CRYPTO_OK);
	assert_int_equal(crypto_hello_verify(pub, nonce, sizeof nonce, "Alice",
	    sig), CRYPTO_E_SIGNATURE);
	assert_int_equal(crypto_hello_verify(bob, nonce, sizeof nonce, "alice",
	    sig), CRYPTO_E_SIGNATURE);
	nonce[0] ^= 1;
	assert_int_equal(crypto_hello_verify(pub, nonce, sizeof nonce, "alice",
	    sig), CRYPTO_E_SIGNATURE);
	nonce[0] ^= 1;
	assert_int_equal(crypto_hello_verify(pub, nonce, sizeof nonce, "alice",
	    "!!"), CRYPTO_E_SIGNATURE);
	assert_int_equal(crypto_hello_verify(pub, nonce, sizeof nonce, "alice",
	    "AAAA"), CRYPTO_E_SIGNATURE);
	/* Only a private key can sign. */
	free(sig);
	assert_int_equal(crypto_hello_sign(pub, nonce, sizeof nonce, "alice",
	    &sig), CRYPTO_E_NO_PRIVATE);
	crypto_key_free(pub);
}

/* Every error code has a text of its own; unknown codes say so. */
static void
test_strerror(void **state)
{
	(void)state;
	for (int a = 0; a >= CRYPTO_E_NO_SESSION; a--)
		for (int b = a - 1; b >= CRYPTO_E_NO_SESSION; b--)
			assert_string_not_equal(crypto_strerror(a),
			    crypto_strerror(b));
	assert_string_equal(crypto_strerror(-99), "unknown crypto error");
	assert_string_equal(crypto_strerror(1), "unknown crypto error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_jwk_round_trip),
		cmocka_unit_test(test_rfc7638_thumbprint),
		cmocka_unit_test(test_jwk_rejects),
		cmocka_unit_test(test_identity_save_load),
		cmocka_unit_test(test_identity_rejects),
		cmocka_unit_test(test_identity_path),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
