/*
 * Sender keys, the message half: a chain key that ratchets by
 * HMAC-SHA256 per message, a per-message AES-256-GCM key and nonce from
 * HKDF over the message key, and an Ed25519 signature by the session's
 * own key over everything a receiver relies on. One sealed blob serves
 * every recipient. How sessions reach the recipients is distribution.c's.
 * Every byte layout is in tvchat-protocol(5), "Sender keys".
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "aead.h"
#include "buf.h"
#include "crypto-internal.h"
#include "crypto.h"
#include "kdf.h"
#include "senderkey.h"
#include "xmalloc.h"

#define MESSAGE_CONTEXT	"tvchat-message-v1"	/* and its NUL */
#define CONTEXT_LEN	(sizeof MESSAGE_CONTEXT)

/* ASCII lowercase, whatever the locale: the target is bytes on the wire. */
static char
lower(char c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

/* Order two names as their lowercased bytes, as the target lists them. */
static int
cmp_names(const void *a, const void *b)
{
	const char	*p = *(const char *const *)a;
	const char	*q = *(const char *const *)b;

	while (*p != '\0' && lower(*p) == lower(*q)) {
		p++;
		q++;
	}
	return (unsigned char)lower(*p) - (unsigned char)lower(*q);
}

/* Append s, lowercased, to out (of outlen, with used bytes): -1 if full. */
static int
append_lower(char *out, size_t outlen, size_t *used, const char *s)
{
	size_t	n = strlen(s);

	if (*used + n + 1 > outlen)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[*used + i] = lower(s[i]);
	*used += n;
	out[*used] = '\0';
	return 0;
}

/*
 * Write the canonical target of a chat to (a room string, or an array of
 * names) sent by sender into out: the room lowercased, or every name and
 * the sender's, lowercased, sorted, once each, joined by commas. Returns
 * CRYPTO_OK, or CRYPTO_E_FORMAT if to is neither, the room or a name is
 * not valid (proto_room_valid, proto_name_valid) or out is too small.
 */
int
sk_target(json_object *to, const char *sender, char *out, size_t outlen)
{
	const char	**names, *room;
	size_t		  n = 0, used = 0, len;
	int		  r = CRYPTO_OK;

	if (outlen == 0)
		return CRYPTO_E_FORMAT;
	out[0] = '\0';
	/*
	 * Only valid names keep the target one-to-one: a name with a comma
	 * would make ["a,b"] the same as ["a", "b"], a room with one the
	 * room "#x,alice" the same as alice's ["#x"].
	 */
	if (!proto_name_valid(sender))
		return CRYPTO_E_FORMAT;
	if (json_object_is_type(to, json_type_string)) {
		if ((room = crypto_exact_string(to)) == NULL ||
		    !proto_room_valid(room))
			return CRYPTO_E_FORMAT;
		return append_lower(out, outlen, &used, room) == 0 ?
		    CRYPTO_OK : CRYPTO_E_FORMAT;
	}
	if (!json_object_is_type(to, json_type_array))
		return CRYPTO_E_FORMAT;
	len = json_object_array_length(to);
	names = xreallocarray(NULL, len + 1, sizeof *names);
	for (size_t i = 0; i < len; i++) {
		/* Not json_object_get_string: it would take null as NULL,
		 * which qsort cannot compare, and 5 as the name "5". */
		if ((names[n++] = crypto_exact_string(
		    json_object_array_get_idx(to, i))) == NULL ||
		    !proto_name_valid(names[n - 1])) {
			free(names);
			return CRYPTO_E_FORMAT;
		}
	}
	names[n++] = sender;
	qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; r == CRYPTO_OK && i < n; i++) {
		/* Sorted without case, so the same name twice is adjacent. */
		if (i > 0 && cmp_names(&names[i], &names[i - 1]) == 0)
			continue;
		if ((used > 0 && append_lower(out, outlen, &used, ",") != 0) ||
		    append_lower(out, outlen, &used, names[i]) != 0)
			r = CRYPTO_E_FORMAT;
	}
	free(names);
	return r;
}

/* Start a new chain: a random session id and chain key, at index 0. */
void
sk_chain_new(struct sk_chain *c)
{
	gcry_randomize(c->sid, sizeof c->sid, GCRY_STRONG_RANDOM);
	gcry_randomize(c->ck, sizeof c->ck, GCRY_VERY_STRONG_RANDOM);
	c->index = 0;
}

/*
 * Take c's message key into mk and move c one step on: mk = HMAC(ck, 1),
 * ck = HMAC(ck, 2). The old chain key is gone. Returns CRYPTO_OK, or an
 * error with c unchanged.
 */
static int
chain_step(struct sk_chain *c, uint8_t mk[SK_CHAIN_LEN])
{
	static const uint8_t	one = 0x01, two = 0x02;
	uint8_t			next[SK_CHAIN_LEN];
	int			r;

	if (c->index == UINT32_MAX)
		return CRYPTO_E_TOO_FAR;
	if ((r = kdf_hmac(c->ck, sizeof c->ck, &one, 1, mk)) != CRYPTO_OK ||
	    (r = kdf_hmac(c->ck, sizeof c->ck, &two, 1, next)) != CRYPTO_OK)
		return r;
	memcpy(c->ck, next, sizeof c->ck);
	explicit_bzero(next, sizeof next);
	c->index++;
	return CRYPTO_OK;
}

/*
 * Move c on to index to (not below its own), wiping the keys passed: a
 * sender saves its chain ahead of what it has used. Returns CRYPTO_OK,
 * CRYPTO_E_BEFORE or CRYPTO_E_TOO_FAR.
 */
int
sk_chain_advance(struct sk_chain *c, uint32_t to)
{
	uint8_t	mk[SK_CHAIN_LEN];
	int	r = CRYPTO_OK;

	if (to < c->index)
		return CRYPTO_E_BEFORE;
	while (r == CRYPTO_OK && c->index < to)
		r = chain_step(c, mk);
	explicit_bzero(mk, sizeof mk);
	return r;
}

/* The AES key and nonce of message index of session sid, from its mk. */
static int
message_keys(const uint8_t *sid, uint32_t index, const uint8_t *mk,
    uint8_t okm[AEAD_KEY_LEN + AEAD_NONCE_LEN])
{
	uint8_t	info[CONTEXT_LEN + SK_SID_LEN + 4];

	memcpy(info, MESSAGE_CONTEXT, CONTEXT_LEN);
	memcpy(info + CONTEXT_LEN, sid, SK_SID_LEN);
	be32enc(info + CONTEXT_LEN + SK_SID_LEN, index);
	return kdf_hkdf(NULL, 0, mk, SK_CHAIN_LEN, info, sizeof info, okm,
	    AEAD_KEY_LEN + AEAD_NONCE_LEN);
}

/* The header of a message: version, kind, session id, index. */
static void
put_header(uint8_t h[SK_HEADER_LEN], const uint8_t *sid, uint32_t index)
{
	h[0] = SK_VERSION;
	h[1] = SK_KIND_MESSAGE;
	memcpy(h + 2, sid, SK_SID_LEN);
	be32enc(h + 2 + SK_SID_LEN, index);
}

/* The AAD: header, target, sender (each name a 4-byte length first). */
static void
put_aad(struct buf *b, const uint8_t *header, const char *target,
    const char *sender)
{
	buf_append(b, header, SK_HEADER_LEN);
	crypto_put_string(b, target, strlen(target));
	crypto_put_string(b, sender, strlen(sender));
}

/* What the session key signs: the context, the AAD, ct and tag. */
static void
put_signed(struct buf *b, const uint8_t *header, const char *target,
    const char *sender, const uint8_t *ct, size_t ctlen, const uint8_t *tag)
{
	buf_append(b, MESSAGE_CONTEXT, CONTEXT_LEN);
	put_aad(b, header, target, sender);
	if (buf_append(b, ct, ctlen) != 0 ||
	    buf_append(b, tag, SK_TAG_LEN) != 0)
		abort();	/* the buffer was sized for it */
}

/*
 * Seal len bytes of plain from sender to target (canonical, sk_target)
 * with the next key of chain c, signed by k. *blob (allocated) is the
 * message for every recipient; c has moved on and the key is wiped.
 * Returns CRYPTO_OK, or an error with c unchanged: CRYPTO_E_FORMAT for
 * an empty text or a target or name too long, CRYPTO_E_TOO_BIG for a
 * text over CHAT_MAX_PLAINTEXT and also when the signed bytes (text, target, sender and header) pass
 * ECC_DATA_MAX.
 */
int
sk_seal(struct sk_chain *c, const struct ecc_signer *k, const char *sender,
    const char *target, const uint8_t *plain, size_t len, uint8_t **blob,
    size_t *bloblen)
{
	struct sk_chain	 next = *c;
	uint8_t		 mk[SK_CHAIN_LEN], okm[AEAD_KEY_LEN + AEAD_NONCE_LEN];
	uint8_t		*out, *ct, *tag;
	struct buf	 aad, sig;
	size_t		 total = SK_MESSAGE_MIN + len;
	int		 r;

	if (len == 0)
		return CRYPTO_E_FORMAT;	/* a message says something */
	if (len > CHAT_MAX_PLAINTEXT)
		return CRYPTO_E_TOO_BIG;
	if (strlen(target) >= SK_TARGET_MAX || strlen(sender) > NAME_MAX_LEN)
		return CRYPTO_E_FORMAT;
	if ((r = chain_step(&next, mk)) != CRYPTO_OK)
		return r;
	r = message_keys(c->sid, c->index, mk, okm);
	explicit_bzero(mk, sizeof mk);
	if (r != CRYPTO_OK) {
		explicit_bzero(&next, sizeof next);
		return r;
	}
	out = xmalloc(total);
	put_header(out, c->sid, c->index);
	ct = out + SK_HEADER_LEN;
	tag = ct + len;
	buf_init(&aad, SK_HEADER_LEN + 8 + SK_TARGET_MAX + NAME_MAX_LEN);
	put_aad(&aad, out, target, sender);
	r = aead_seal(okm, okm + AEAD_KEY_LEN, buf_ptr(&aad), buf_len(&aad),
	    plain, len, ct, tag);
	explicit_bzero(okm, sizeof okm);
	buf_free(&aad);
	if (r == CRYPTO_OK) {
		buf_init(&sig, CONTEXT_LEN + total + 8 + SK_TARGET_MAX +
		    NAME_MAX_LEN);
		put_signed(&sig, out, target, sender, ct, len, tag);
		r = ecc_sign(k, buf_ptr(&sig), buf_len(&sig), tag + SK_TAG_LEN);
		buf_free(&sig);
	}
	if (r != CRYPTO_OK) {
		explicit_bzero(&next, sizeof next);
		free(out);
		return r;
	}
	*c = next;
	explicit_bzero(&next, sizeof next);
	*blob = out;
	*bloblen = total;
	return CRYPTO_OK;
}

/*
 * Parse a message blob of len bytes into m (pointing into blob). Returns
 * CRYPTO_OK, CRYPTO_E_VERSION for another version, or CRYPTO_E_FORMAT.
 */
int
sk_message_parse(const uint8_t *blob, size_t len, struct sk_message *m)
{
	if (len < 1)
		return CRYPTO_E_FORMAT;
	if (blob[0] != SK_VERSION)
		return CRYPTO_E_VERSION;
	if (len < SK_MESSAGE_MIN + 1 || len > SK_MESSAGE_MIN +
	    CHAT_MAX_PLAINTEXT || blob[1] != SK_KIND_MESSAGE)
		return CRYPTO_E_FORMAT;
	memcpy(m->sid, blob + 2, SK_SID_LEN);
	m->index = be32dec(blob + 2 + SK_SID_LEN);
	m->raw = blob;
	m->rawlen = len;
	m->ct = blob + SK_HEADER_LEN;
	m->ctlen = len - SK_MESSAGE_MIN;
	m->tag = m->ct + m->ctlen;
	m->sig = m->tag + SK_TAG_LEN;
	return CRYPTO_OK;
}

/* Set up in as a receiver of chain c (at its index), signed by sigpub. */
void
sk_inbound_init(struct sk_inbound *in, const struct sk_chain *c,
    const uint8_t sigpub[ECC_KEY_LEN])
{
	memset(in, 0, sizeof *in);
	in->chain = *c;
	in->first = c->index;
	in->dropped = c->index;
	memcpy(in->sigpub, sigpub, ECC_KEY_LEN);
}

/* Forget in, wiping its keys. */
void
sk_inbound_free(struct sk_inbound *in)
{
	if (in->skipped != NULL) {
		explicit_bzero(in->skipped, in->nskipped * sizeof *in->skipped);
		free(in->skipped);
	}
	explicit_bzero(in, sizeof *in);
}

/* Keep mk for index in in's skipped keys, dropping the oldest if full. */
static void
keep_skipped(struct sk_inbound *in, uint32_t index, const uint8_t *mk)
{
	struct sk_skipped	*grown;

	if (in->nskipped == SK_SKIPPED_MAX) {
		/* They are kept in index order: the first is the oldest. */
		if (in->dropped < in->skipped[0].index + 1)
			in->dropped = in->skipped[0].index + 1;
		explicit_bzero(&in->skipped[0], sizeof in->skipped[0]);
		memmove(in->skipped, in->skipped + 1,
		    --in->nskipped * sizeof *in->skipped);
	}
	if (in->nskipped == in->cap) {
		in->cap = in->cap == 0 ? 16 : in->cap * 2;
		if (in->cap > SK_SKIPPED_MAX)
			in->cap = SK_SKIPPED_MAX;
		/* Not realloc: the old copy of the keys is wiped. */
		grown = xreallocarray(NULL, in->cap, sizeof *grown);
		if (in->nskipped > 0) {
			memcpy(grown, in->skipped, in->nskipped * sizeof *grown);
			explicit_bzero(in->skipped, in->nskipped *
			    sizeof *grown);
		}
		free(in->skipped);
		in->skipped = grown;
	}
	in->skipped[in->nskipped].index = index;
	memcpy(in->skipped[in->nskipped++].mk, mk, SK_CHAIN_LEN);
}

/* Return the slot of index among in's skipped keys, or -1. */
static ssize_t
find_skipped(const struct sk_inbound *in, uint32_t index)
{
	for (size_t i = 0; i < in->nskipped; i++)
		if (in->skipped[i].index == index)
			return (ssize_t)i;
	return -1;
}

/* Decrypt m with message key mk into *plain (allocated, NUL after). */
static int
decrypt(const struct sk_message *m, const char *target, const char *sender,
    const uint8_t *mk, uint8_t **plain, size_t *len)
{
	uint8_t		okm[AEAD_KEY_LEN + AEAD_NONCE_LEN], *out;
	struct buf	aad;
	int		r;

	if ((r = message_keys(m->sid, m->index, mk, okm)) != CRYPTO_OK)
		return r;
	buf_init(&aad, SK_HEADER_LEN + 8 + SK_TARGET_MAX + NAME_MAX_LEN);
	put_aad(&aad, m->raw, target, sender);
	out = xmalloc(m->ctlen + 1);
	r = aead_open(okm, okm + AEAD_KEY_LEN, buf_ptr(&aad), buf_len(&aad),
	    m->ct, m->ctlen, m->tag, out);
	explicit_bzero(okm, sizeof okm);
	buf_free(&aad);
	if (r != CRYPTO_OK) {
		free(out);
		return r;
	}
	out[m->ctlen] = '\0';
	*plain = out;
	*len = m->ctlen;
	return CRYPTO_OK;
}

/*
 * Open message m of session in, which the server says sender sent to
 * target (canonical): check the session's signature first, then take the
 * message key (a kept skipped one, or by moving the chain on, keeping
 * the keys passed over) and decrypt into *plain (allocated, NUL after).
 * in changes only if the message opens. Returns CRYPTO_OK or why not:
 * CRYPTO_E_SIGNATURE, CRYPTO_E_BEFORE, CRYPTO_E_REPLAY, CRYPTO_E_EXPIRED,
 * CRYPTO_E_TOO_FAR, CRYPTO_E_AUTH, or CRYPTO_E_TOO_BIG for more signed
 * bytes than ecc_verify takes.
 */
int
sk_open(struct sk_inbound *in, const char *sender, const char *target,
    const struct sk_message *m, uint8_t **plain, size_t *len)
{
	struct sk_chain	 next;
	struct sk_skipped *passed;
	struct buf	 sig;
	uint8_t		 mk[SK_CHAIN_LEN];
	uint32_t	 jump;
	ssize_t		 slot;
	int		 r;

	if (strlen(target) >= SK_TARGET_MAX || strlen(sender) > NAME_MAX_LEN)
		return CRYPTO_E_FORMAT;
	buf_init(&sig, CONTEXT_LEN + m->rawlen + 8 + SK_TARGET_MAX +
	    NAME_MAX_LEN);
	put_signed(&sig, m->raw, target, sender, m->ct, m->ctlen, m->tag);
	r = ecc_verify(in->sigpub, buf_ptr(&sig), buf_len(&sig), m->sig);
	buf_free(&sig);
	if (r != CRYPTO_OK)
		return r;
	if (m->index < in->first)
		return CRYPTO_E_BEFORE;
	if (m->index < in->chain.index) {
		if ((slot = find_skipped(in, m->index)) == -1)
			return m->index < in->dropped ? CRYPTO_E_EXPIRED :
			    CRYPTO_E_REPLAY;
		r = decrypt(m, target, sender, in->skipped[slot].mk, plain,
		    len);
		if (r == CRYPTO_OK) {
			explicit_bzero(&in->skipped[slot], sizeof *in->skipped);
			memmove(in->skipped + slot, in->skipped + slot + 1,
			    (--in->nskipped - (size_t)slot) *
			    sizeof *in->skipped);
		}
		return r;
	}
	if ((jump = m->index - in->chain.index) > SK_JUMP_MAX)
		return CRYPTO_E_TOO_FAR;
	/* Walk a copy of the chain; keep what it passes only if m opens. */
	next = in->chain;
	passed = jump > 0 ? xreallocarray(NULL, jump, sizeof *passed) : NULL;
	for (uint32_t i = 0; r == CRYPTO_OK && i <= jump; i++) {
		if (i < jump) {
			passed[i].index = next.index;
			r = chain_step(&next, passed[i].mk);
		} else
			r = chain_step(&next, mk);
	}
	if (r == CRYPTO_OK)
		r = decrypt(m, target, sender, mk, plain, len);
	if (r == CRYPTO_OK) {
		/* Only the newest SK_SKIPPED_MAX passed keys can be kept. */
		for (uint32_t i = jump > SK_SKIPPED_MAX ? jump - SK_SKIPPED_MAX :
		    0; i < jump; i++)
			keep_skipped(in, passed[i].index, passed[i].mk);
		if (jump > SK_SKIPPED_MAX &&
		    in->dropped < passed[jump - SK_SKIPPED_MAX].index)
			in->dropped = passed[jump - SK_SKIPPED_MAX].index;
		in->chain = next;
	}
	explicit_bzero(mk, sizeof mk);
	explicit_bzero(&next, sizeof next);
	if (passed != NULL) {
		explicit_bzero(passed, jump * sizeof *passed);
		free(passed);
	}
	return r;
}
