/*
 * Sender keys, the distribution half. A sender's session (id, signing
 * key, creation time) is signed once by the sender's RSA identity; the
 * chain position handed out (index and chain key) is signed by the
 * session's Ed25519 key, so handing a session to a newcomer later costs
 * no RSA. Each copy is sealed to one member's signed X25519 prekey from a
 * fresh ephemeral key: HKDF-SHA256 over the shared secret with both
 * names, the target and both public keys in the info, AES-256-GCM with
 * all of that as AAD. Layouts: tvchat-protocol(5), "Sender keys".
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "aead.h"
#include "base64.h"
#include "buf.h"
#include "crypto-internal.h"
#include "crypto.h"
#include "distribution.h"
#include "kdf.h"
#include "msg.h"
#include "xmalloc.h"

#define SESSION_CONTEXT	"tvchat-session-v1"
#define CHAIN_CONTEXT	"tvchat-chain-v1"
#define DIST_CONTEXT	"tvchat-distribution-v1"
#define PREKEY_CONTEXT	"tvchat-prekey-v1"
#define INFO_MAX	(64 + 3 * 4 + 2 * NAME_MAX_LEN + SK_TARGET_MAX + \
			 2 * ECC_KEY_LEN)

static void
put_u64(struct buf *b, int64_t v)
{
	uint8_t	p[8];

	be32enc(p, (uint32_t)((uint64_t)v >> 32));
	be32enc(p + 4, (uint32_t)v);
	buf_append(b, p, sizeof p);
}

static void
put_context(struct buf *b, const char *context)
{
	buf_append(b, context, strlen(context) + 1);
}

static void
put_str(struct buf *b, const char *s)
{
	crypto_put_string(b, s, strlen(s));
}

/* What the identity signs: the session, once. */
static void
session_data(struct buf *b, const struct dist_session *s)
{
	buf_init(b, INFO_MAX + 64);
	put_context(b, SESSION_CONTEXT);
	put_str(b, s->sender);
	put_str(b, s->target);
	buf_append(b, s->chain.sid, SK_SID_LEN);
	buf_append(b, s->sigpub, ECC_KEY_LEN);
	put_u64(b, s->created);
}

/* What the session key signs: the chain position handed out. */
static void
chain_data(struct buf *b, const struct dist_session *s)
{
	uint8_t	idx[4];

	buf_init(b, 64 + SK_SID_LEN + SK_CHAIN_LEN);
	put_context(b, CHAIN_CONTEXT);
	buf_append(b, s->chain.sid, SK_SID_LEN);
	be32enc(idx, s->chain.index);
	buf_append(b, idx, sizeof idx);
	buf_append(b, s->chain.ck, SK_CHAIN_LEN);
}

/* Sign s's chain position with its session key k. */
int
dist_chain_sign(struct dist_session *s, const struct ecc_signer *k)
{
	struct buf	b;
	int		r;

	chain_data(&b, s);
	r = ecc_sign(k, buf_ptr(&b), buf_len(&b), s->chainsig);
	explicit_bzero(b.data, b.size);
	buf_free(&b);
	return r;
}

/*
 * Sign session s with the sender's identity (once per session) and its
 * chain position with the session key k. Returns CRYPTO_OK or an error.
 */
int
dist_session_sign(struct dist_session *s, const struct crypto_key *identity,
    const struct ecc_signer *k)
{
	struct buf	 b;
	uint8_t		*sig;
	size_t		 len;
	int		 r;

	session_data(&b, s);
	r = crypto_pss_sign(identity, &b, &sig, &len);
	buf_free(&b);
	if (r != CRYPTO_OK)
		return r;
	if (len > sizeof s->idsig) {
		free(sig);
		return CRYPTO_E_KEY;
	}
	memcpy(s->idsig, sig, len);
	s->idsiglen = len;
	free(sig);
	return dist_chain_sign(s, k);
}

/* The HKDF info of an envelope; the AAD is the header and then this. */
static void
envelope_info(struct buf *b, const char *sender, const char *recipient,
    const char *target, const uint8_t *header)
{
	buf_init(b, DIST_HEADER_LEN + INFO_MAX);
	buf_append(b, header, DIST_HEADER_LEN);
	put_context(b, DIST_CONTEXT);
	put_str(b, sender);
	put_str(b, recipient);
	put_str(b, target);
	buf_append(b, header + 2, 2 * ECC_KEY_LEN);
}

/* The envelope's key and nonce from the shared secret and its info. */
static int
envelope_keys(const uint8_t *shared, const struct buf *aad,
    uint8_t okm[AEAD_KEY_LEN + AEAD_NONCE_LEN])
{
	return kdf_hkdf(NULL, 0, shared, ECC_KEY_LEN,
	    buf_ptr(aad) + DIST_HEADER_LEN, buf_len(aad) - DIST_HEADER_LEN,
	    okm, AEAD_KEY_LEN + AEAD_NONCE_LEN);
}

/* The inner plaintext: the signed session and the signed chain. */
static void
put_inner(struct buf *b, const struct dist_session *s)
{
	uint8_t	idx[4];

	buf_init(b, INFO_MAX + DIST_SIG_MAX + 256);
	put_str(b, s->sender);
	put_str(b, s->target);
	buf_append(b, s->chain.sid, SK_SID_LEN);
	buf_append(b, s->sigpub, ECC_KEY_LEN);
	put_u64(b, s->created);
	crypto_put_string(b, s->idsig, s->idsiglen);
	be32enc(idx, s->chain.index);
	buf_append(b, idx, sizeof idx);
	buf_append(b, s->chain.ck, SK_CHAIN_LEN);
	buf_append(b, s->chainsig, ECC_SIG_LEN);
}

/*
 * Seal the inner plaintext inner (inlen bytes) that sender gives
 * recipient, whose prekey is prekey, for target into an envelope *blob
 * (allocated). dist_seal's second half, apart so the fuzz target can put
 * any bytes inside. Returns CRYPTO_OK, CRYPTO_E_KEY for a bad prekey,
 * CRYPTO_E_FORMAT for an empty or too long inside or a name or target
 * too long, or an error.
 */
int
dist_seal_bytes(const uint8_t *inner, size_t inlen, const char *sender,
    const char *recipient, const char *target,
    const uint8_t prekey[ECC_KEY_LEN], uint8_t **blob, size_t *len)
{
	uint8_t		 eph[ECC_KEY_LEN], shared[ECC_KEY_LEN];
	uint8_t		 okm[AEAD_KEY_LEN + AEAD_NONCE_LEN], *out;
	struct buf	 aad;
	size_t		 total;
	int		 r;

	/* An empty inside would make an envelope dist_open refuses. */
	if (strlen(recipient) > NAME_MAX_LEN || strlen(sender) >
	    NAME_MAX_LEN || strlen(target) >= SK_TARGET_MAX || inlen == 0 ||
	    inlen > DIST_MAX - DIST_HEADER_LEN - AEAD_TAG_LEN)
		return CRYPTO_E_FORMAT;
	total = DIST_HEADER_LEN + inlen + AEAD_TAG_LEN;
	out = xmalloc(total);
	out[0] = SK_VERSION;
	out[1] = SK_KIND_SESSION;
	ecc_dh_generate(eph, out + 2);
	memcpy(out + 2 + ECC_KEY_LEN, prekey, ECC_KEY_LEN);
	r = ecc_dh(eph, prekey, shared);
	explicit_bzero(eph, sizeof eph);
	envelope_info(&aad, sender, recipient, target, out);
	if (r == CRYPTO_OK)
		r = envelope_keys(shared, &aad, okm);
	explicit_bzero(shared, sizeof shared);
	if (r == CRYPTO_OK)
		r = aead_seal(okm, okm + AEAD_KEY_LEN, buf_ptr(&aad),
		    buf_len(&aad), inner, inlen,
		    out + DIST_HEADER_LEN, out + total - AEAD_TAG_LEN);
	explicit_bzero(okm, sizeof okm);
	buf_free(&aad);
	if (r != CRYPTO_OK) {
		free(out);
		return r;
	}
	*blob = out;
	*len = total;
	return CRYPTO_OK;
}

/*
 * Seal session s for recipient, whose prekey is prekey, into *blob
 * (allocated). Returns CRYPTO_OK, CRYPTO_E_KEY for a bad prekey, or an
 * error.
 */
int
dist_seal(const struct dist_session *s, const char *recipient,
    const uint8_t prekey[ECC_KEY_LEN], uint8_t **blob, size_t *len)
{
	struct buf	inner;
	int		r;

	put_inner(&inner, s);
	r = dist_seal_bytes(buf_ptr(&inner), buf_len(&inner), s->sender,
	    recipient, s->target, prekey, blob, len);
	explicit_bzero(inner.data, inner.size);
	buf_free(&inner);
	return r;
}

/*
 * Copy the prekey an envelope was sealed to into pub, for the receiver to
 * find its private half. Returns CRYPTO_OK, CRYPTO_E_VERSION or
 * CRYPTO_E_FORMAT.
 */
int
dist_prekey_of(const uint8_t *blob, size_t len, uint8_t pub[ECC_KEY_LEN])
{
	if (len < 1)
		return CRYPTO_E_FORMAT;
	if (blob[0] != SK_VERSION)
		return CRYPTO_E_VERSION;
	if (len < DIST_HEADER_LEN + AEAD_TAG_LEN + 1 || len > DIST_MAX ||
	    blob[1] != SK_KIND_SESSION)
		return CRYPTO_E_FORMAT;
	memcpy(pub, blob + 2 + ECC_KEY_LEN, ECC_KEY_LEN);
	return CRYPTO_OK;
}

/* A cursor over the inner plaintext. */
struct reader {
	const uint8_t	*p;
	size_t		 left;
	int		 bad;
};

static const uint8_t *
take(struct reader *rd, size_t n)
{
	const uint8_t	*p = rd->p;

	if (rd->bad || n > rd->left) {
		rd->bad = 1;
		return NULL;
	}
	rd->p += n;
	rd->left -= n;
	return p;
}

static void
take_bytes(struct reader *rd, void *out, size_t n)
{
	const uint8_t	*p = take(rd, n);

	if (p != NULL)
		memcpy(out, p, n);
}

/* Take a 4-byte length and that many bytes (at most max) into out. */
static size_t
take_string(struct reader *rd, void *out, size_t max)
{
	const uint8_t	*p = take(rd, 4);
	size_t		 n;

	if (p == NULL)
		return 0;
	if ((n = be32dec(p)) > max) {
		rd->bad = 1;
		return 0;
	}
	take_bytes(rd, out, n);
	return n;
}

/* Take a string of printable text without NULs into out (max - 1). */
static void
take_text(struct reader *rd, char *out, size_t max)
{
	size_t	n = take_string(rd, out, max - 1);

	out[rd->bad ? 0 : n] = '\0';
	if (!rd->bad && strlen(out) != n)
		rd->bad = 1;
}

/* Parse the inner plaintext into s. Returns CRYPTO_OK or CRYPTO_E_FORMAT. */
static int
parse_inner(const uint8_t *p, size_t len, struct dist_session *s)
{
	struct reader	rd = { p, len, 0 };
	uint8_t		u[8];

	take_text(&rd, s->sender, sizeof s->sender);
	take_text(&rd, s->target, sizeof s->target);
	take_bytes(&rd, s->chain.sid, SK_SID_LEN);
	take_bytes(&rd, s->sigpub, ECC_KEY_LEN);
	take_bytes(&rd, u, 8);
	s->created = (int64_t)(((uint64_t)be32dec(u) << 32) | be32dec(u + 4));
	s->idsiglen = take_string(&rd, s->idsig, sizeof s->idsig);
	take_bytes(&rd, u, 4);
	s->chain.index = be32dec(u);
	take_bytes(&rd, s->chain.ck, SK_CHAIN_LEN);
	take_bytes(&rd, s->chainsig, ECC_SIG_LEN);
	return rd.bad || rd.left != 0 ? CRYPTO_E_FORMAT : CRYPTO_OK;
}

/* Check both signatures of s: the identity's and the session key's. */
static int
session_verify(const struct dist_session *s, const struct crypto_key *id)
{
	struct buf	b;
	int		r;

	session_data(&b, s);
	r = crypto_pss_verify(id, &b, s->idsig, s->idsiglen);
	buf_free(&b);
	if (r != CRYPTO_OK)
		return r;
	chain_data(&b, s);
	r = ecc_verify(s->sigpub, buf_ptr(&b), buf_len(&b), s->chainsig);
	explicit_bzero(b.data, b.size);
	buf_free(&b);
	return r;
}

/*
 * Open an envelope sealed to our prekey pk (found with dist_prekey_of)
 * that the server says sender sent to recipient (us) for target
 * (canonical), and check it: the names and target inside must be those,
 * and the identity of sender (id) must have signed it. Returns CRYPTO_OK
 * with *s filled, or CRYPTO_E_FORMAT, CRYPTO_E_VERSION, CRYPTO_E_KEY,
 * CRYPTO_E_AUTH, CRYPTO_E_SENDER, CRYPTO_E_TARGET, CRYPTO_E_SIGNATURE.
 */
int
dist_open(const uint8_t *blob, size_t len, const struct prekey *pk,
    const char *sender, const char *recipient, const char *target,
    const struct crypto_key *id, struct dist_session *s)
{
	uint8_t		 pub[ECC_KEY_LEN], shared[ECC_KEY_LEN];
	uint8_t		 okm[AEAD_KEY_LEN + AEAD_NONCE_LEN], *inner;
	struct buf	 aad;
	size_t		 ctlen;
	int		 r;

	if ((r = dist_prekey_of(blob, len, pub)) != CRYPTO_OK)
		return r;
	if (memcmp(pub, pk->pub, ECC_KEY_LEN) != 0)
		return CRYPTO_E_NOT_RECIPIENT;
	if (strlen(recipient) > NAME_MAX_LEN || strlen(sender) >
	    NAME_MAX_LEN || strlen(target) >= SK_TARGET_MAX)
		return CRYPTO_E_FORMAT;
	if ((r = ecc_dh(pk->secret, blob + 2, shared)) != CRYPTO_OK)
		return r;
	envelope_info(&aad, sender, recipient, target, blob);
	r = envelope_keys(shared, &aad, okm);
	explicit_bzero(shared, sizeof shared);
	ctlen = len - DIST_HEADER_LEN - AEAD_TAG_LEN;
	inner = xmalloc(ctlen);
	if (r == CRYPTO_OK)
		r = aead_open(okm, okm + AEAD_KEY_LEN, buf_ptr(&aad),
		    buf_len(&aad), blob + DIST_HEADER_LEN, ctlen,
		    blob + len - AEAD_TAG_LEN, inner);
	explicit_bzero(okm, sizeof okm);
	buf_free(&aad);
	if (r == CRYPTO_OK)
		r = parse_inner(inner, ctlen, s);
	explicit_bzero(inner, ctlen);
	free(inner);
	if (r == CRYPTO_OK && strcmp(s->sender, sender) != 0)
		r = CRYPTO_E_SENDER;
	if (r == CRYPTO_OK && strcmp(s->target, target) != 0)
		r = CRYPTO_E_TARGET;
	if (r == CRYPTO_OK)
		r = session_verify(s, id);
	if (r != CRYPTO_OK)
		explicit_bzero(s, sizeof *s);
	return r;
}

/* What an identity signs to publish a prekey: name, key, creation. */
static void
prekey_data(struct buf *b, const char *name, const struct prekey *pk)
{
	buf_init(b, 64 + NAME_MAX_LEN + ECC_KEY_LEN + 8);
	put_context(b, PREKEY_CONTEXT);
	put_str(b, name);
	buf_append(b, pk->pub, ECC_KEY_LEN);
	put_u64(b, pk->created);
}

/* Sign name's prekey pk with identity into *sig (allocated). */
int
prekey_sign(const struct crypto_key *identity, const char *name,
    const struct prekey *pk, uint8_t **sig, size_t *len)
{
	struct buf	b;
	int		r;

	if (strlen(name) > NAME_MAX_LEN)
		return CRYPTO_E_FORMAT;
	prekey_data(&b, name, pk);
	r = crypto_pss_sign(identity, &b, sig, len);
	buf_free(&b);
	return r;
}

/* Check that identity signed pk as name's prekey. */
int
prekey_verify(const struct crypto_key *identity, const char *name,
    const struct prekey *pk, const uint8_t *sig, size_t len)
{
	struct buf	b;
	int		r;

	if (strlen(name) > NAME_MAX_LEN)
		return CRYPTO_E_FORMAT;
	prekey_data(&b, name, pk);
	r = crypto_pss_verify(identity, &b, sig, len);
	buf_free(&b);
	return r;
}

/*
 * Read a signed prekey object ({"key","created","sig"}, its shape checked
 * by msg.c) into *pk (public half only) and check that identity signed it
 * as name's. Returns CRYPTO_OK, CRYPTO_E_FORMAT if the key is not 32
 * bytes of base64url or the signature not base64url, or prekey_verify()'s
 * error.
 */
int
prekey_verify_json(json_object *o, const struct crypto_key *identity,
    const char *name, struct prekey *pk)
{
	uint8_t	*pub = NULL, *sig = NULL;
	size_t	 publen = 0, siglen = 0;
	int	 r = CRYPTO_E_FORMAT;

	memset(pk, 0, sizeof *pk);
	if (base64url_decode(msg_get_str(o, "key"), &pub, &publen) == 0 &&
	    publen == sizeof pk->pub &&
	    base64url_decode(msg_get_str(o, "sig"), &sig, &siglen) == 0) {
		memcpy(pk->pub, pub, sizeof pk->pub);
		pk->created = msg_get_int(o, "created", 0);
		r = prekey_verify(identity, name, pk, sig, siglen);
	}
	free(pub);
	free(sig);
	return r;
}
