/*
 * Unit tests for distribution.c: a sender-key session signed by its
 * owner's identity and sealed to a member's prekey, the envelope's
 * layout and its exact refusals, and signed prekeys. The message half is
 * test_senderkey.c's.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aead.h"
#include "buf.h"
#include "crypto.h"
#include "distribution.h"
#include "ecc.h"
#include "kdf.h"
#include "senderkey.h"
#include "fuzz_keys.h"

#define ROOM		"#lobby"
#define CREATED		INT64_C(1764720000123)	/* ms, any fixed time */

/*
 * The two TEST-ONLY identities of fuzz_keys.h, loaded once: RSA-2048, so
 * no test waits for key generation.
 */
static struct crypto_key	*alice_id, *bob_id;

/* Load an identity from its S-expression text through a private file. */
static struct crypto_key *
load_key(const char *text)
{
	struct crypto_key	*k = NULL;
	const char		*dir = getenv("TMPDIR");
	char			 path[4096];
	size_t			 len = strlen(text);
	int			 fd, r;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof path, "%s/test_senderkey.XXXXXX",
	    dir) >= sizeof path)
		return NULL;
	/* mkstemp() makes the file 0600, as crypto_identity_load wants. */
	if ((fd = mkstemp(path)) == -1)
		return NULL;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return NULL;
	}
	close(fd);
	r = crypto_identity_load(path, &k);
	unlink(path);
	return r == CRYPTO_OK ? k : NULL;
}

static int
setup(void **state)
{
	(void)state;
	crypto_init();
	alice_id = load_key(fuzz_alice_key);
	bob_id = load_key(fuzz_bob_key);
	return alice_id != NULL && bob_id != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	crypto_key_free(alice_id);
	crypto_key_free(bob_id);
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

/* Seal text from alice to the lobby with c and k; *len is the blob's. */
static uint8_t *
seal(struct sk_chain *c, const struct ecc_signer *k, const char *text,
    size_t *len)
{
	uint8_t	*blob;

	assert_int_equal(sk_seal(c, k, "alice", ROOM, (const uint8_t *)text,
	    strlen(text), &blob, len), CRYPTO_OK);
	return blob;
}

/* Open blob as alice's to the lobby; if it opens (and want is not
 * NULL), its text is want. Returns the code. */
static int
open_lobby(struct sk_inbound *in, const uint8_t *blob, size_t len,
    const char *want)
{
	struct sk_message	 m;
	uint8_t			*plain;
	size_t			 plen;
	int			 r;

	if ((r = sk_message_parse(blob, len, &m)) != CRYPTO_OK)
		return r;
	if ((r = sk_open(in, "alice", ROOM, &m, &plain, &plen)) != CRYPTO_OK)
		return r;
	if (want != NULL) {
		assert_int_equal(plen, strlen(want));
		assert_memory_equal(plain, want, plen);
	}
	free(plain);
	return CRYPTO_OK;
}

/* A sender: its chain, its session key and the signed session. */
struct sender {
	struct sk_chain		chain;
	struct ecc_signer	key;
	struct dist_session	s;
};

/* Start name's session for target, signed by identity id. */
static void
sender_new(struct sender *sd, const char *name, const char *target,
    const struct crypto_key *id)
{
	memset(sd, 0, sizeof *sd);
	sk_chain_new(&sd->chain);
	assert_int_equal(ecc_sign_generate(&sd->key), CRYPTO_OK);
	assert_true((size_t)snprintf(sd->s.sender, sizeof sd->s.sender, "%s",
	    name) < sizeof sd->s.sender);
	assert_true((size_t)snprintf(sd->s.target, sizeof sd->s.target, "%s",
	    target) < sizeof sd->s.target);
	memcpy(sd->s.sigpub, sd->key.pub, ECC_KEY_LEN);
	sd->s.created = CREATED;
	sd->s.chain = sd->chain;
	assert_int_equal(dist_session_sign(&sd->s, id, &sd->key), CRYPTO_OK);
}

static void
prekey_new(struct prekey *pk)
{
	ecc_dh_generate(pk->secret, pk->pub);
	pk->created = CREATED - 1000;
}

/* Assert that got is the session sent, field by field. */
static void
assert_session(const struct dist_session *got,
    const struct dist_session *sent)
{
	assert_string_equal(got->sender, sent->sender);
	assert_string_equal(got->target, sent->target);
	assert_memory_equal(got->chain.sid, sent->chain.sid, SK_SID_LEN);
	assert_int_equal(got->chain.index, sent->chain.index);
	assert_memory_equal(got->chain.ck, sent->chain.ck, SK_CHAIN_LEN);
	assert_memory_equal(got->sigpub, sent->sigpub, ECC_KEY_LEN);
	assert_true(got->created == sent->created);
	assert_int_equal(got->idsiglen, sent->idsiglen);
	assert_memory_equal(got->idsig, sent->idsig, sent->idsiglen);
	assert_memory_equal(got->chainsig, sent->chainsig, ECC_SIG_LEN);
}

/* Assert that a refused dist_open left nothing in s. */
static void
assert_wiped(const struct dist_session *s)
{
	static const struct dist_session	zero;

	assert_memory_equal(s, &zero, sizeof *s);
}

/*
 * alice's session sealed to bob's prekey opens for bob with every field
 * as sent, and the session it gives opens alice's messages; a newcomer
 * handed the chain later (re-signed by the session key only) opens what
 * follows and nothing before.
 */
static void
test_dist_round_trip(void **state)
{
	struct sender		 a;
	struct prekey		 bobpk, carolpk;
	struct dist_session	 got, later;
	struct sk_inbound	 in, in2;
	struct crypto_key	*alice_pub = public_copy(alice_id);
	uint8_t			 pub[ECC_KEY_LEN], *env, *m0, *m1, *m2;
	size_t			 envlen, len0, len1, len2;

	(void)state;
	sender_new(&a, "alice", ROOM, alice_id);
	assert_int_equal(a.s.idsiglen, 256);	/* RSA-2048 */
	prekey_new(&bobpk);
	assert_int_equal(dist_seal(&a.s, "bob", bobpk.pub, &env, &envlen),
	    CRYPTO_OK);
	assert_true(envlen <= DIST_MAX);
	assert_int_equal(env[0], SK_VERSION);
	assert_int_equal(env[1], SK_KIND_SESSION);
	assert_memory_equal(env + 2 + ECC_KEY_LEN, bobpk.pub, ECC_KEY_LEN);
	assert_int_equal(dist_prekey_of(env, envlen, pub), CRYPTO_OK);
	assert_memory_equal(pub, bobpk.pub, ECC_KEY_LEN);

	/* bob needs only alice's public identity. */
	assert_int_equal(dist_open(env, envlen, &bobpk, "alice", "bob", ROOM,
	    alice_pub, &got), CRYPTO_OK);
	assert_session(&got, &a.s);
	assert_int_equal(got.chain.index, 0);
	free(env);

	sk_inbound_init(&in, &got.chain, got.sigpub);
	m0 = seal(&a.chain, &a.key, "hello bob", &len0);
	m1 = seal(&a.chain, &a.key, "and more", &len1);
	assert_int_equal(open_lobby(&in, m1, len1, "and more"), CRYPTO_OK);
	assert_int_equal(open_lobby(&in, m0, len0, "hello bob"), CRYPTO_OK);

	/* carol joins at index 2: the identity signature still holds. */
	later = a.s;
	later.chain = a.chain;
	assert_int_equal(dist_chain_sign(&later, &a.key), CRYPTO_OK);
	prekey_new(&carolpk);
	assert_int_equal(dist_seal(&later, "carol", carolpk.pub, &env,
	    &envlen), CRYPTO_OK);
	assert_int_equal(dist_open(env, envlen, &carolpk, "alice", "carol",
	    ROOM, alice_pub, &got), CRYPTO_OK);
	assert_session(&got, &later);
	assert_int_equal(got.chain.index, 2);
	free(env);
	sk_inbound_init(&in2, &got.chain, got.sigpub);
	m2 = seal(&a.chain, &a.key, "hi carol", &len2);
	assert_int_equal(open_lobby(&in2, m2, len2, "hi carol"), CRYPTO_OK);
	assert_int_equal(open_lobby(&in2, m0, len0, NULL), CRYPTO_E_BEFORE);
	assert_int_equal(open_lobby(&in, m2, len2, "hi carol"), CRYPTO_OK);

	free(m0);
	free(m1);
	free(m2);
	sk_inbound_free(&in);
	sk_inbound_free(&in2);
	crypto_key_free(alice_pub);
}

/*
 * Each wrong thing dist_open can be given, and its exact refusal: the
 * names and target are in the key derivation and the AAD, so a wrong
 * one fails GCM (CRYPTO_E_AUTH); so does the wrong secret for the right
 * prekey; another prekey is CRYPTO_E_NOT_RECIPIENT; another identity
 * CRYPTO_E_SIGNATURE. A refusal leaves the session it was to fill zero.
 */
static void
test_dist_wrong(void **state)
{
	struct sender		 a;
	struct prekey		 pk, wrong, other;
	struct dist_session	 got;
	char			 longname[NAME_MAX_LEN + 2];
	uint8_t			*env;
	size_t			 envlen;

	(void)state;
	sender_new(&a, "alice", ROOM, alice_id);
	prekey_new(&pk);
	prekey_new(&other);
	wrong = pk;
	crypto_random(wrong.secret, sizeof wrong.secret);
	assert_int_equal(dist_seal(&a.s, "bob", pk.pub, &env, &envlen),
	    CRYPTO_OK);

	memset(&got, 0xa5, sizeof got);
	assert_int_equal(dist_open(env, envlen, &pk, "alice", "carol", ROOM,
	    alice_id, &got), CRYPTO_E_AUTH);
	assert_wiped(&got);
	assert_int_equal(dist_open(env, envlen, &pk, "mallory", "bob", ROOM,
	    alice_id, &got), CRYPTO_E_AUTH);
	assert_int_equal(dist_open(env, envlen, &pk, "alice", "bob",
	    "#other", alice_id, &got), CRYPTO_E_AUTH);
	assert_int_equal(dist_open(env, envlen, &wrong, "alice", "bob", ROOM,
	    alice_id, &got), CRYPTO_E_AUTH);
	assert_int_equal(dist_open(env, envlen, &other, "alice", "bob", ROOM,
	    alice_id, &got), CRYPTO_E_NOT_RECIPIENT);
	memset(&got, 0xa5, sizeof got);
	assert_int_equal(dist_open(env, envlen, &pk, "alice", "bob", ROOM,
	    bob_id, &got), CRYPTO_E_SIGNATURE);
	assert_wiped(&got);
	memset(longname, 'b', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(dist_open(env, envlen, &pk, "alice", longname, ROOM,
	    alice_id, &got), CRYPTO_E_FORMAT);
	assert_int_equal(dist_open(env, envlen, &pk, "alice", "bob", ROOM,
	    alice_id, &got), CRYPTO_OK);
	free(env);

	/* Changed after signing: the identity's or the session key's
	 * signature no longer holds. */
	a.s.created++;
	assert_int_equal(dist_seal(&a.s, "bob", pk.pub, &env, &envlen),
	    CRYPTO_OK);
	assert_int_equal(dist_open(env, envlen, &pk, "alice", "bob", ROOM,
	    alice_id, &got), CRYPTO_E_SIGNATURE);
	free(env);
	a.s.created--;
	a.s.chain.index++;
	assert_int_equal(dist_seal(&a.s, "bob", pk.pub, &env, &envlen),
	    CRYPTO_OK);
	assert_int_equal(dist_open(env, envlen, &pk, "alice", "bob", ROOM,
	    alice_id, &got), CRYPTO_E_SIGNATURE);
	free(env);
	a.s.chain.index--;
	a.s.chain.ck[0] ^= 1;
	assert_int_equal(dist_seal(&a.s, "bob", pk.pub, &env, &envlen),
	    CRYPTO_OK);
	assert_int_equal(dist_open(env, envlen, &pk, "alice", "bob", ROOM,
	    alice_id, &got), CRYPTO_E_SIGNATURE);
	free(env);
	a.s.chain.ck[0] ^= 1;

	/* A low-order prekey cannot be sealed to; signing needs a private
	 * identity. */
	memset(other.pub, 0, sizeof other.pub);
	env = NULL;
	assert_int_equal(dist_seal(&a.s, "bob", other.pub, &env, &envlen),
	    CRYPTO_E_KEY);
	assert_null(env);
	{
		struct crypto_key	*pub = public_copy(alice_id);

		assert_int_equal(dist_session_sign(&a.s, pub, &a.key),
		    CRYPTO_E_NO_PRIVATE);
		crypto_key_free(pub);
	}
}

/*
 * Flip bit 0 and bit 7 of every byte of an envelope: the version byte
 * gives CRYPTO_E_VERSION, the kind byte CRYPTO_E_FORMAT, the ephemeral
 * key CRYPTO_E_AUTH (it is in the AAD, so even its ignored top bit
 * counts), the prekey CRYPTO_E_NOT_RECIPIENT, the ciphertext and tag
 * CRYPTO_E_AUTH. Cut short it is CRYPTO_E_FORMAT below the smallest
 * envelope and CRYPTO_E_AUTH above; a low-order ephemeral key is
 * CRYPTO_E_KEY.
 */
static void
test_dist_tamper(void **state)
{
	static const uint8_t	 masks[] = { 0x01, 0x80 };
	struct sender		 a;
	struct prekey		 pk;
	struct dist_session	 got;
	uint8_t			*env, *t, pub[ECC_KEY_LEN];
	size_t			 envlen;
	int			 want;

	(void)state;
	sender_new(&a, "alice", ROOM, alice_id);
	prekey_new(&pk);
	assert_int_equal(dist_seal(&a.s, "bob", pk.pub, &env, &envlen),
	    CRYPTO_OK);
	t = malloc(DIST_MAX + 1);
	assert_non_null(t);
	for (size_t i = 0; i < envlen; i++) {
		for (size_t b = 0; b < sizeof masks; b++) {
			memcpy(t, env, envlen);
			t[i] ^= masks[b];
			if (i == 0)
				want = CRYPTO_E_VERSION;
			else if (i == 1)
				want = CRYPTO_E_FORMAT;
			else if (i >= 2 + ECC_KEY_LEN && i < DIST_HEADER_LEN)
				want = CRYPTO_E_NOT_RECIPIENT;
			else
				want = CRYPTO_E_AUTH;
			assert_int_equal(dist_open(t, envlen, &pk, "alice",
			    "bob", ROOM, alice_id, &got), want);
		}
	}
	memcpy(t, env, envlen);
	for (size_t n = 0; n < envlen; n++)
		assert_int_equal(dist_open(t, n, &pk, "alice", "bob", ROOM,
		    alice_id, &got), n <= DIST_HEADER_LEN + AEAD_TAG_LEN ?
		    CRYPTO_E_FORMAT : CRYPTO_E_AUTH);
	t[envlen] = 0;
	assert_int_equal(dist_open(t, envlen + 1, &pk, "alice", "bob", ROOM,
	    alice_id, &got), CRYPTO_E_AUTH);
	memset(t + envlen, 0, DIST_MAX + 1 - envlen);
	assert_int_equal(dist_open(t, DIST_MAX + 1, &pk, "alice", "bob", ROOM,
	    alice_id, &got), CRYPTO_E_FORMAT);
	assert_int_equal(dist_prekey_of(t, 0, pub), CRYPTO_E_FORMAT);
	t[0] = SK_VERSION + 1;
	assert_int_equal(dist_prekey_of(t, envlen, pub), CRYPTO_E_VERSION);
	/* The ephemeral key zero: X25519 gives zero, refused. */
	memcpy(t, env, envlen);
	memset(t + 2, 0, ECC_KEY_LEN);
	assert_int_equal(dist_open(t, envlen, &pk, "alice", "bob", ROOM,
	    alice_id, &got), CRYPTO_E_KEY);
	assert_int_equal(dist_open(env, envlen, &pk, "alice", "bob", ROOM,
	    alice_id, &got), CRYPTO_OK);
	free(t);
	free(env);
}

/* Bytes built by hand, for envelopes dist_seal would not make. */
struct bytes {
	uint8_t	p[16384];
	size_t	n;
};

static void
put(struct bytes *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	assert_true(b->n + n <= sizeof b->p);
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void
put_be32(struct bytes *b, uint32_t v)
{
	uint8_t	p[4];

	be32enc(p, v);
	put(b, p, 4);
}

/* A string as the formats carry one: 4-byte length, then the bytes. */
static void
put_str(struct bytes *b, const char *s)
{
	put_be32(b, (uint32_t)strlen(s));
	put(b, s, strlen(s));
}

/*
 * Seal the inner plaintext of s (and extra bytes after it) to prekey
 * by hand, deriving the key from the names given rather than from s:
 * header = version, kind, ephemeral key, prekey; info = the context and
 * its NUL, the sender, recipient and target strings, both keys; key and
 * nonce = HKDF(salt empty, X25519, info); AAD = header then info.
 */
static uint8_t *
forge(const struct dist_session *s, const char *sender,
    const char *recipient, const char *target,
    const uint8_t prekey[ECC_KEY_LEN], const uint8_t *extra,
    size_t extralen, size_t *len)
{
	static const char	 context[] = "tvchat-distribution-v1";
	struct bytes		*inner = calloc(1, sizeof *inner);
	struct bytes		*aad = calloc(1, sizeof *aad);
	uint8_t			 eph[ECC_KEY_LEN], header[DIST_HEADER_LEN];
	uint8_t			 shared[ECC_KEY_LEN], created[8];
	uint8_t			 okm[AEAD_KEY_LEN + AEAD_NONCE_LEN], *out;

	assert_non_null(inner);
	assert_non_null(aad);
	put_str(inner, s->sender);
	put_str(inner, s->target);
	put(inner, s->chain.sid, SK_SID_LEN);
	put(inner, s->sigpub, ECC_KEY_LEN);
	be32enc(created, (uint32_t)((uint64_t)s->created >> 32));
	be32enc(created + 4, (uint32_t)s->created);
	put(inner, created, 8);
	put_be32(inner, (uint32_t)s->idsiglen);
	put(inner, s->idsig, s->idsiglen);
	put_be32(inner, s->chain.index);
	put(inner, s->chain.ck, SK_CHAIN_LEN);
	put(inner, s->chainsig, ECC_SIG_LEN);
	put(inner, extra, extralen);

	header[0] = SK_VERSION;
	header[1] = SK_KIND_SESSION;
	ecc_dh_generate(eph, header + 2);
	memcpy(header + 2 + ECC_KEY_LEN, prekey, ECC_KEY_LEN);
	assert_int_equal(ecc_dh(eph, prekey, shared), CRYPTO_OK);
	put(aad, header, sizeof header);
	put(aad, context, sizeof context);
	put_str(aad, sender);
	put_str(aad, recipient);
	put_str(aad, target);
	put(aad, header + 2, 2 * ECC_KEY_LEN);
	assert_int_equal(kdf_hkdf(NULL, 0, shared, sizeof shared,
	    aad->p + DIST_HEADER_LEN, aad->n - DIST_HEADER_LEN, okm,
	    sizeof okm), CRYPTO_OK);

	*len = DIST_HEADER_LEN + inner->n + AEAD_TAG_LEN;
	out = malloc(*len);
	assert_non_null(out);
	memcpy(out, header, sizeof header);
	assert_int_equal(aead_seal(okm, okm + AEAD_KEY_LEN, aad->p, aad->n,
	    inner->p, inner->n, out + DIST_HEADER_LEN,
	    out + *len - AEAD_TAG_LEN), CRYPTO_OK);
	free(inner);
	free(aad);
	return out;
}

/*
 * Envelopes made by hand: the genuine layout opens (so the layout is the
 * one described), and an inside that disagrees with the names the key
 * was derived from is caught after decryption: CRYPTO_E_SENDER,
 * CRYPTO_E_TARGET; bytes left over are CRYPTO_E_FORMAT; a damaged
 * signature inside is CRYPTO_E_SIGNATURE.
 */
static void
test_dist_forged(void **state)
{
	struct sender		 a;
	struct prekey		 pk;
	struct dist_session	 got, s;
	uint8_t			*env;
	size_t			 envlen;

	(void)state;
	sender_new(&a, "alice", ROOM, alice_id);
	prekey_new(&pk);
	env = forge(&a.s, "alice", "bob", ROOM, pk.pub, NULL, 0, &envlen);
	assert_int_equal(dist_open(env, envlen, &pk, "alice", "bob", ROOM,
	    alice_id, &got), CRYPTO_OK);
	assert_session(&got, &a.s);
	free(env);

	s = a.s;
	snprintf(s.sender, sizeof s.sender, "mallory");
	env = forge(&s, "alice", "bob", ROOM, pk.pub, NULL, 0, &envlen);
	assert_int_equal(dist_open(env, envlen, &pk, "alice", "bob", ROOM,
	    alice_id, &got), CRYPTO_E_SENDER);
	assert_wiped(&got);
	free(env);

	s = a.s;
	snprintf(s.target, sizeof s.target, "#other");
	env = forge(&s, "alice", "bob", ROOM, pk.pub, NULL, 0, &envlen);
	assert_int_equal(dist_open(env, envlen, &pk, "alice", "bob", ROOM,
	    alice_id, &got), CRYPTO_E_TARGET);
	free(env);

	env = forge(&a.s, "alice", "bob", ROOM, pk.pub, (const uint8_t *)"x",
	    1, &envlen);
	assert_int_equal(dist_open(env, envlen, &pk, "alice", "bob", ROOM,
	    alice_id, &got), CRYPTO_E_FORMAT);
	free(env);

	s = a.s;
	s.idsig[10] ^= 0x01;
	env = forge(&s, "alice", "bob", ROOM, pk.pub, NULL, 0, &envlen);
	assert_int_equal(dist_open(env, envlen, &pk, "alice", "bob", ROOM,
	    alice_id, &got), CRYPTO_E_SIGNATURE);
	free(env);

	s = a.s;
	s.idsiglen--;
	env = forge(&s, "alice", "bob", ROOM, pk.pub, NULL, 0, &envlen);
	assert_int_equal(dist_open(env, envlen, &pk, "alice", "bob", ROOM,
	    alice_id, &got), CRYPTO_E_SIGNATURE);
	free(env);

	s = a.s;
	s.chainsig[40] ^= 0x01;
	env = forge(&s, "alice", "bob", ROOM, pk.pub, NULL, 0, &envlen);
	assert_int_equal(dist_open(env, envlen, &pk, "alice", "bob", ROOM,
	    alice_id, &got), CRYPTO_E_SIGNATURE);
	free(env);

	s = a.s;
	s.sigpub[0] ^= 0x01;
	env = forge(&s, "alice", "bob", ROOM, pk.pub, NULL, 0, &envlen);
	assert_int_equal(dist_open(env, envlen, &pk, "alice", "bob", ROOM,
	    alice_id, &got), CRYPTO_E_SIGNATURE);
	free(env);
}

/* ---- prekeys ------------------------------------------------------------ */

/*
 * An identity's signature over its prekey holds for that name, key and
 * time under that identity only.
 */
static void
test_prekey(void **state)
{
	struct prekey		 pk, changed;
	struct crypto_key	*pub = public_copy(alice_id);
	char			 longname[NAME_MAX_LEN + 2];
	uint8_t			*sig, *sig2 = NULL;
	size_t			 len, len2;

	(void)state;
	prekey_new(&pk);
	assert_int_equal(prekey_sign(alice_id, "alice", &pk, &sig, &len),
	    CRYPTO_OK);
	assert_int_equal(len, 256);
	assert_int_equal(prekey_verify(alice_id, "alice", &pk, sig, len),
	    CRYPTO_OK);
	assert_int_equal(prekey_verify(pub, "alice", &pk, sig, len),
	    CRYPTO_OK);

	assert_int_equal(prekey_verify(pub, "bob", &pk, sig, len),
	    CRYPTO_E_SIGNATURE);
	assert_int_equal(prekey_verify(pub, "Alice", &pk, sig, len),
	    CRYPTO_E_SIGNATURE);
	changed = pk;
	changed.pub[31] ^= 0x01;
	assert_int_equal(prekey_verify(pub, "alice", &changed, sig, len),
	    CRYPTO_E_SIGNATURE);
	changed = pk;
	changed.created++;
	assert_int_equal(prekey_verify(pub, "alice", &changed, sig, len),
	    CRYPTO_E_SIGNATURE);
	/* The secret half is not signed: a public copy verifies. */
	changed = pk;
	memset(changed.secret, 0, sizeof changed.secret);
	assert_int_equal(prekey_verify(pub, "alice", &changed, sig, len),
	    CRYPTO_OK);
	assert_int_equal(prekey_verify(bob_id, "alice", &pk, sig, len),
	    CRYPTO_E_SIGNATURE);
	sig[0] ^= 0x01;
	assert_int_equal(prekey_verify(pub, "alice", &pk, sig, len),
	    CRYPTO_E_SIGNATURE);
	sig[0] ^= 0x01;
	assert_int_equal(prekey_verify(pub, "alice", &pk, sig, len - 1),
	    CRYPTO_E_SIGNATURE);

	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(prekey_sign(alice_id, longname, &pk, &sig2, &len2),
	    CRYPTO_E_FORMAT);
	assert_int_equal(prekey_verify(pub, longname, &pk, sig, len),
	    CRYPTO_E_FORMAT);
	assert_int_equal(prekey_sign(pub, "alice", &pk, &sig2, &len2),
	    CRYPTO_E_NO_PRIVATE);
	assert_null(sig2);
	free(sig);
	crypto_key_free(pub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dist_round_trip),
		cmocka_unit_test(test_dist_wrong),
		cmocka_unit_test(test_dist_tamper),
		cmocka_unit_test(test_dist_forged),
		cmocka_unit_test(test_prekey),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
