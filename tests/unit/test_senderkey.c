/*
 * Unit tests for senderkey.c: canonical targets, the message ratchet and
 * its limits, and tampering. The primitives under it are checked against
 * the RFCs in test_kdf_ecc.c, the distribution of sessions in
 * test_distribution.c; here the message format is checked against its
 * own definition (tvchat-protocol(5), "Sender keys") and for exact
 * refusals.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "aead.h"
#include "buf.h"
#include "crypto.h"
#include "ecc.h"
#include "kdf.h"
#include "senderkey.h"

#define ROOM	"#lobby"

static int
setup(void **state)
{
	(void)state;
	crypto_init();
	return 0;
}

/* ---- canonical targets ------------------------------------------------ */

/* Return the target of to (JSON text) from sender, or the error as text. */
static const char *
target_of(const char *to, const char *sender)
{
	static char	 out[SK_TARGET_MAX];
	json_object	*j = json_tokener_parse(to);
	int		 r;

	assert_non_null(j);
	r = sk_target(j, sender, out, sizeof out);
	json_object_put(j);
	return r == CRYPTO_OK ? out : crypto_strerror(r);
}

/* A room is its name lowercased; the out buffer must hold it all. */
static void
test_target_room(void **state)
{
	json_object	*room = json_object_new_string("#Lobby");
	char		 out[8];

	(void)state;
	assert_string_equal(target_of("\"#Lobby\"", "alice"), "#lobby");
	assert_string_equal(target_of("\"#LOBBY-2.x_\"", "Alice"),
	    "#lobby-2.x_");
	/* "#lobby" and its NUL are 7 bytes. */
	assert_int_equal(sk_target(room, "alice", out, 7), CRYPTO_OK);
	assert_string_equal(out, "#lobby");
	assert_int_equal(sk_target(room, "alice", out, 6), CRYPTO_E_FORMAT);
	assert_int_equal(sk_target(room, "alice", out, 0), CRYPTO_E_FORMAT);
	json_object_put(room);
}

/* Names and the sender, lowercased, sorted and once each, by commas. */
static void
test_target_names(void **state)
{
	json_object	*to = json_tokener_parse("[\"carol\",\"bob\"]");
	char		 out[16];

	(void)state;
	assert_string_equal(target_of("[\"carol\",\"bob\"]", "alice"),
	    "alice,bob,carol");
	assert_string_equal(target_of("[\"bob\"]", "alice"), "alice,bob");
	assert_string_equal(target_of("[\"bob\",\"bob\"]", "alice"),
	    "alice,bob");
	/* The sender named among the recipients counts once. */
	assert_string_equal(target_of("[\"alice\",\"bob\"]", "alice"),
	    "alice,bob");
	assert_string_equal(target_of("[\"Bob\"]", "ALICE"), "alice,bob");
	/*
	 * Sorted and deduplicated as lowercased: by raw bytes "BOB" <
	 * "Bob" < "Carol" < "alice", which gave "bob,carol,alice", and
	 * "Bob" and "bob" with "alice" between them were both kept.
	 */
	assert_string_equal(target_of("[\"Bob\",\"alice\",\"BOB\"]",
	    "Carol"), "alice,bob,carol");
	assert_string_equal(target_of("[\"Bob\",\"alice\",\"bob\"]", "x"),
	    "alice,bob,x");
	assert_string_equal(target_of("[\"bob\",\"ALICE\"]", "carol"),
	    "alice,bob,carol");
	assert_string_equal(target_of("[\"BOB\",\"alice\"]", "Carol"),
	    "alice,bob,carol");
	/* '_' sorts between upper and lower case letters: as lowercase. */
	assert_string_equal(target_of("[\"Zed\",\"_x\",\"a\"]", "b"),
	    "_x,a,b,zed");
	/* The order the names came in does not matter. */
	assert_string_equal(target_of("[\"b\",\"c\",\"a\"]", "d"),
	    "a,b,c,d");
	assert_string_equal(target_of("[\"c\",\"a\",\"b\"]", "d"),
	    "a,b,c,d");
	/* "alice,bob,carol" and its NUL are 16 bytes. */
	assert_int_equal(sk_target(to, "alice", out, 16), CRYPTO_OK);
	assert_string_equal(out, "alice,bob,carol");
	assert_int_equal(sk_target(to, "alice", out, 15), CRYPTO_E_FORMAT);
	json_object_put(to);
}

/* What is neither a room string nor an array of names is refused. */
static void
test_target_rejects(void **state)
{
	char	out[64];

	(void)state;
	assert_string_equal(target_of("5", "alice"),
	    crypto_strerror(CRYPTO_E_FORMAT));
	assert_string_equal(target_of("{\"to\":\"#lobby\"}", "alice"),
	    crypto_strerror(CRYPTO_E_FORMAT));
	assert_string_equal(target_of("true", "alice"),
	    crypto_strerror(CRYPTO_E_FORMAT));
	/* Every element must be a string: null once crashed qsort, and
	 * other types were taken as their JSON text. */
	assert_string_equal(target_of("[\"bob\",null]", "alice"),
	    crypto_strerror(CRYPTO_E_FORMAT));
	assert_string_equal(target_of("[null]", "alice"),
	    crypto_strerror(CRYPTO_E_FORMAT));
	assert_string_equal(target_of("[\"bob\",5]", "alice"),
	    crypto_strerror(CRYPTO_E_FORMAT));
	assert_string_equal(target_of("[[\"bob\"]]", "alice"),
	    crypto_strerror(CRYPTO_E_FORMAT));
	assert_string_equal(target_of("[\"bob\",\"a\\u0000b\"]", "alice"),
	    crypto_strerror(CRYPTO_E_FORMAT));
	assert_int_equal(sk_target(NULL, "alice", out, sizeof out),
	    CRYPTO_E_FORMAT);

	/*
	 * Only valid rooms and names: with a comma allowed, ["a,b"] from c
	 * and ["a", "b"] from c were both "a,b,c", and the room "#x,alice"
	 * was alice's ["#x"].
	 */
	assert_string_equal(target_of("[\"a\",\"b\"]", "c"), "a,b,c");
	assert_string_equal(target_of("[\"a,b\"]", "c"),
	    crypto_strerror(CRYPTO_E_FORMAT));
	assert_string_equal(target_of("\"#x,alice\"", "alice"),
	    crypto_strerror(CRYPTO_E_FORMAT));
	assert_string_equal(target_of("[\"#x\"]", "alice"),
	    crypto_strerror(CRYPTO_E_FORMAT));
	assert_string_equal(target_of("[\"\"]", "alice"),
	    crypto_strerror(CRYPTO_E_FORMAT));
	assert_string_equal(target_of("[\"bob smith\"]", "alice"),
	    crypto_strerror(CRYPTO_E_FORMAT));
	assert_string_equal(target_of("[\"abcdefghijklmnopqrstuvwxyz0123456\"]",
	    "alice"), crypto_strerror(CRYPTO_E_FORMAT));
	assert_string_equal(target_of("[\"abcdefghijklmnopqrstuvwxyz012345\"]",
	    "alice"), "abcdefghijklmnopqrstuvwxyz012345,alice");
	assert_string_equal(target_of("[\"bob\"]", "ali,ce"),
	    crypto_strerror(CRYPTO_E_FORMAT));
	assert_string_equal(target_of("[\"bob\"]", ""),
	    crypto_strerror(CRYPTO_E_FORMAT));
	assert_string_equal(target_of("\"#lobby\"", "a b"),
	    crypto_strerror(CRYPTO_E_FORMAT));
	assert_string_equal(target_of("\"lobby\"", "alice"),
	    crypto_strerror(CRYPTO_E_FORMAT));
	assert_string_equal(target_of("\"#\"", "alice"),
	    crypto_strerror(CRYPTO_E_FORMAT));
	assert_string_equal(target_of("\"#lob\\u0000by\"", "alice"),
	    crypto_strerror(CRYPTO_E_FORMAT));
}

/* ---- the message ratchet ---------------------------------------------- */

/* Move c n steps on as the ratchet defines it: ck = HMAC(ck, 0x02). */
static void
advance(struct sk_chain *c, uint32_t n)
{
	static const uint8_t	two = 0x02;

	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(kdf_hmac(c->ck, sizeof c->ck, &two, 1, c->ck),
		    CRYPTO_OK);
		c->index++;
	}
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

/*
 * Parse and open blob as sent by sender to target; if it opens and want
 * is not NULL, its plaintext must be want. Returns the code.
 */
static int
open_as(struct sk_inbound *in, const char *sender, const char *target,
    const uint8_t *blob, size_t len, const char *want)
{
	struct sk_message	 m;
	uint8_t			*plain;
	size_t			 plen;
	int			 r;

	if ((r = sk_message_parse(blob, len, &m)) != CRYPTO_OK)
		return r;
	if ((r = sk_open(in, sender, target, &m, &plain, &plen)) != CRYPTO_OK)
		return r;
	if (want != NULL) {
		assert_int_equal(plen, strlen(want));
		assert_memory_equal(plain, want, plen);
	}
	assert_int_equal(plain[plen], '\0');
	free(plain);
	return CRYPTO_OK;
}

/* Open blob as alice's to the lobby. */
static int
open_lobby(struct sk_inbound *in, const uint8_t *blob, size_t len,
    const char *want)
{
	return open_as(in, "alice", ROOM, blob, len, want);
}

/* A receiver's whole state, to show a refused message changed nothing. */
struct snapshot {
	struct sk_inbound	 in;
	struct sk_skipped	*skipped;
};

static void
snap(struct snapshot *s, const struct sk_inbound *in)
{
	s->in = *in;
	s->skipped = NULL;
	if (in->nskipped > 0) {
		s->skipped = malloc(in->nskipped * sizeof *s->skipped);
		assert_non_null(s->skipped);
		memcpy(s->skipped, in->skipped, in->nskipped *
		    sizeof *s->skipped);
	}
}

static void
assert_unchanged(const struct snapshot *s, const struct sk_inbound *in)
{
	assert_memory_equal(&in->chain, &s->in.chain, sizeof in->chain);
	assert_memory_equal(in->sigpub, s->in.sigpub, sizeof in->sigpub);
	assert_int_equal(in->first, s->in.first);
	assert_int_equal(in->dropped, s->in.dropped);
	assert_int_equal(in->nskipped, s->in.nskipped);
	if (in->nskipped > 0)
		assert_memory_equal(in->skipped, s->skipped, in->nskipped *
		    sizeof *in->skipped);
}

static void
snap_free(struct snapshot *s)
{
	free(s->skipped);
}

/*
 * A 100-byte line round-trips in a blob of header, text, tag and
 * signature (202 bytes); both chains move one index on per message.
 */
static void
test_seal_open(void **state)
{
	struct sk_chain		 c, start;
	struct ecc_signer	 k;
	struct sk_inbound	 in;
	struct sk_message	 m;
	char			 line[101];
	uint8_t			*blob, *b2;
	size_t			 len, len2;

	(void)state;
	for (size_t i = 0; i < 100; i++)
		line[i] = (char)('a' + i % 26);
	line[100] = '\0';
	sk_chain_new(&c);
	assert_int_equal(c.index, 0);
	start = c;
	assert_int_equal(ecc_sign_generate(&k), CRYPTO_OK);
	sk_inbound_init(&in, &c, k.pub);
	assert_int_equal(in.first, 0);
	assert_int_equal(in.nskipped, 0);

	blob = seal(&c, &k, line, &len);
	assert_int_equal(len, SK_MESSAGE_MIN + 100);
	assert_true(len <= 300);
	assert_int_equal(c.index, 1);
	assert_memory_equal(c.sid, start.sid, SK_SID_LEN);
	assert_memory_not_equal(c.ck, start.ck, SK_CHAIN_LEN);
	assert_int_equal(sk_message_parse(blob, len, &m), CRYPTO_OK);
	assert_memory_equal(m.sid, start.sid, SK_SID_LEN);
	assert_int_equal(m.index, 0);
	assert_int_equal(m.ctlen, 100);
	assert_ptr_equal(m.raw, blob);
	assert_ptr_equal(m.ct, blob + SK_HEADER_LEN);
	assert_ptr_equal(m.tag, blob + SK_HEADER_LEN + 100);
	assert_ptr_equal(m.sig, blob + SK_HEADER_LEN + 100 + SK_TAG_LEN);
	/* The text does not show through. */
	assert_memory_not_equal(m.ct, line, 100);

	assert_int_equal(open_lobby(&in, blob, len, line), CRYPTO_OK);
	assert_int_equal(in.chain.index, 1);
	assert_memory_equal(in.chain.ck, c.ck, SK_CHAIN_LEN);
	assert_int_equal(in.nskipped, 0);

	b2 = seal(&c, &k, "second", &len2);
	assert_int_equal(sk_message_parse(b2, len2, &m), CRYPTO_OK);
	assert_int_equal(m.index, 1);
	assert_int_equal(c.index, 2);
	assert_int_equal(open_lobby(&in, b2, len2, "second"), CRYPTO_OK);
	assert_int_equal(in.chain.index, 2);
	assert_int_equal(in.nskipped, 0);
	free(blob);
	free(b2);
	sk_inbound_free(&in);
}

/* Sealing refuses what it cannot send and leaves the chain as it was. */
static void
test_seal_rejects(void **state)
{
	struct sk_chain		 c, before;
	struct ecc_signer	 k;
	char			 longname[NAME_MAX_LEN + 2];
	uint8_t			*big, *blob = NULL;
	size_t			 len;

	(void)state;
	sk_chain_new(&c);
	before = c;
	assert_int_equal(ecc_sign_generate(&k), CRYPTO_OK);
	assert_int_equal(sk_seal(&c, &k, "alice", ROOM, (const uint8_t *)"x",
	    0, &blob, &len), CRYPTO_E_FORMAT);
	big = calloc(1, CHAT_MAX_PLAINTEXT + 1);
	assert_non_null(big);
	assert_int_equal(sk_seal(&c, &k, "alice", ROOM, big,
	    CHAT_MAX_PLAINTEXT + 1, &blob, &len), CRYPTO_E_TOO_BIG);
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(sk_seal(&c, &k, longname, ROOM, (const uint8_t *)"x",
	    1, &blob, &len), CRYPTO_E_FORMAT);
	assert_null(blob);
	assert_memory_equal(&c, &before, sizeof c);

	/*
	 * The signed bytes (context, header, target, sender, text, tag)
	 * must fit ECC_DATA_MAX: the longest text to the longest target
	 * does.
	 */
	assert_true(sizeof "tvchat-message-v1" + SK_HEADER_LEN + 8 +
	    SK_TARGET_MAX + NAME_MAX_LEN + CHAT_MAX_PLAINTEXT + SK_TAG_LEN <=
	    ECC_DATA_MAX);
	assert_int_equal(sk_seal(&c, &k, "alice", ROOM, big,
	    CHAT_MAX_PLAINTEXT, &blob, &len), CRYPTO_OK);
	assert_int_equal(len, SK_MESSAGE_MIN + CHAT_MAX_PLAINTEXT);
	free(blob);
	free(big);
}

/*
 * The longest blob that parses is verified and refused, not fatal:
 * anyone can send one, the signature is checked before anything else,
 * and what it covers stays under ECC_DATA_MAX (libgcrypt aborts past
 * about 64 KiB).
 */
static void
test_open_long(void **state)
{
	struct sk_chain		 c;
	struct ecc_signer	 k;
	struct sk_inbound	 in;
	struct snapshot		 s;
	uint8_t			*blob;
	size_t			 len = SK_MESSAGE_MIN + CHAT_MAX_PLAINTEXT;

	(void)state;
	sk_chain_new(&c);
	assert_int_equal(ecc_sign_generate(&k), CRYPTO_OK);
	sk_inbound_init(&in, &c, k.pub);
	blob = calloc(1, len);
	assert_non_null(blob);
	blob[0] = SK_VERSION;
	blob[1] = SK_KIND_MESSAGE;
	memcpy(blob + 2, c.sid, SK_SID_LEN);
	snap(&s, &in);
	/* The longest blob that parses is checked, and refused. */
	assert_int_equal(open_lobby(&in, blob, len, NULL), CRYPTO_E_SIGNATURE);
	assert_unchanged(&s, &in);
	snap_free(&s);
	free(blob);
	sk_inbound_free(&in);
}

/*
 * The blob against the format's definition, computed here from the
 * parts: mk = HMAC(ck, 0x01) and ck' = HMAC(ck, 0x02); key and nonce =
 * HKDF(salt empty, mk, "tvchat-message-v1\0" sid index); AAD = header,
 * then target and sender each after a 4-byte length; the signature
 * covers the context, the AAD, ct and tag.
 */
static void
test_message_layout(void **state)
{
	static const uint8_t	 one = 0x01, two = 0x02;
	static const char	 context[] = "tvchat-message-v1";
	struct sk_chain		 c, start;
	struct ecc_signer	 k;
	struct buf		 b;
	uint8_t			 mk[SK_CHAIN_LEN], ck[SK_CHAIN_LEN];
	uint8_t			 info[sizeof context + SK_SID_LEN + 4];
	uint8_t			 okm[AEAD_KEY_LEN + AEAD_NONCE_LEN];
	uint8_t			 plain[5], len4[4], *blob;
	size_t			 len;
	const uint8_t		*ct, *tag, *sig;

	(void)state;
	sk_chain_new(&c);
	advance(&c, 7);
	start = c;
	assert_int_equal(ecc_sign_generate(&k), CRYPTO_OK);
	blob = seal(&c, &k, "hello", &len);
	assert_int_equal(len, SK_HEADER_LEN + 5 + SK_TAG_LEN + ECC_SIG_LEN);
	assert_int_equal(blob[0], SK_VERSION);
	assert_int_equal(blob[1], SK_KIND_MESSAGE);
	assert_memory_equal(blob + 2, start.sid, SK_SID_LEN);
	assert_int_equal(be32dec(blob + 2 + SK_SID_LEN), 7);
	ct = blob + SK_HEADER_LEN;
	tag = ct + 5;
	sig = tag + SK_TAG_LEN;

	assert_int_equal(kdf_hmac(start.ck, SK_CHAIN_LEN, &one, 1, mk),
	    CRYPTO_OK);
	assert_int_equal(kdf_hmac(start.ck, SK_CHAIN_LEN, &two, 1, ck),
	    CRYPTO_OK);
	assert_memory_equal(c.ck, ck, SK_CHAIN_LEN);
	assert_int_equal(c.index, 8);
	memcpy(info, context, sizeof context);
	memcpy(info + sizeof context, start.sid, SK_SID_LEN);
	be32enc(info + sizeof context + SK_SID_LEN, 7);
	assert_int_equal(kdf_hkdf(NULL, 0, mk, sizeof mk, info, sizeof info,
	    okm, sizeof okm), CRYPTO_OK);

	buf_init(&b, 4096);
	assert_int_equal(buf_append(&b, context, sizeof context), 0);
	assert_int_equal(buf_append(&b, blob, SK_HEADER_LEN), 0);
	be32enc(len4, (uint32_t)strlen(ROOM));
	assert_int_equal(buf_append(&b, len4, 4), 0);
	assert_int_equal(buf_append(&b, ROOM, strlen(ROOM)), 0);
	be32enc(len4, 5);
	assert_int_equal(buf_append(&b, len4, 4), 0);
	assert_int_equal(buf_append(&b, "alice", 5), 0);
	/* The AAD is what follows the context. */
	assert_int_equal(aead_open(okm, okm + AEAD_KEY_LEN,
	    buf_ptr(&b) + sizeof context, buf_len(&b) - sizeof context, ct, 5,
	    tag, plain), CRYPTO_OK);
	assert_memory_equal(plain, "hello", 5);
	assert_int_equal(buf_append(&b, ct, 5), 0);
	assert_int_equal(buf_append(&b, tag, SK_TAG_LEN), 0);
	assert_int_equal(ecc_verify(k.pub, buf_ptr(&b), buf_len(&b), sig),
	    CRYPTO_OK);
	buf_free(&b);
	free(blob);
}

/*
 * Messages 0 to 3 opened as 3, 1, 2, 0 all open; the keys passed over
 * wait in skipped storage, in index order, and each goes once used. Then
 * every one is a replay.
 */
static void
test_out_of_order(void **state)
{
	static const uint8_t	 one = 0x01;
	static const char	*text[] = { "zero", "one", "two", "three" };
	struct sk_chain		 c, at[4];
	struct ecc_signer	 k;
	struct sk_inbound	 in;
	uint8_t			*blob[4], mk[SK_CHAIN_LEN];
	size_t			 len[4];

	(void)state;
	sk_chain_new(&c);
	assert_int_equal(ecc_sign_generate(&k), CRYPTO_OK);
	sk_inbound_init(&in, &c, k.pub);
	for (int i = 0; i < 4; i++) {
		at[i] = c;
		blob[i] = seal(&c, &k, text[i], &len[i]);
	}

	assert_int_equal(open_lobby(&in, blob[3], len[3], "three"), CRYPTO_OK);
	assert_int_equal(in.chain.index, 4);
	assert_memory_equal(in.chain.ck, c.ck, SK_CHAIN_LEN);
	assert_int_equal(in.nskipped, 3);
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(in.skipped[i].index, i);
		assert_int_equal(kdf_hmac(at[i].ck, SK_CHAIN_LEN, &one, 1, mk),
		    CRYPTO_OK);
		assert_memory_equal(in.skipped[i].mk, mk, SK_CHAIN_LEN);
	}
	assert_int_equal(open_lobby(&in, blob[1], len[1], "one"), CRYPTO_OK);
	assert_int_equal(in.nskipped, 2);
	assert_int_equal(in.skipped[0].index, 0);
	assert_int_equal(in.skipped[1].index, 2);
	assert_int_equal(open_lobby(&in, blob[2], len[2], "two"), CRYPTO_OK);
	assert_int_equal(in.nskipped, 1);
	assert_int_equal(in.skipped[0].index, 0);
	assert_int_equal(open_lobby(&in, blob[0], len[0], "zero"), CRYPTO_OK);
	assert_int_equal(in.nskipped, 0);
	assert_int_equal(in.chain.index, 4);

	for (int i = 0; i < 4; i++) {
		assert_int_equal(open_lobby(&in, blob[i], len[i], NULL),
		    CRYPTO_E_REPLAY);
		free(blob[i]);
	}
	assert_int_equal(in.chain.index, 4);
	sk_inbound_free(&in);
}

/* A message opened once is a replay, whether in order or skipped. */
static void
test_replay(void **state)
{
	struct sk_chain		 c;
	struct ecc_signer	 k;
	struct sk_inbound	 in;
	struct snapshot		 s;
	uint8_t			*blob[3];
	size_t			 len[3];

	(void)state;
	sk_chain_new(&c);
	assert_int_equal(ecc_sign_generate(&k), CRYPTO_OK);
	sk_inbound_init(&in, &c, k.pub);
	for (int i = 0; i < 3; i++)
		blob[i] = seal(&c, &k, "again", &len[i]);

	assert_int_equal(open_lobby(&in, blob[0], len[0], "again"), CRYPTO_OK);
	assert_int_equal(open_lobby(&in, blob[0], len[0], NULL),
	    CRYPTO_E_REPLAY);
	assert_int_equal(open_lobby(&in, blob[2], len[2], "again"), CRYPTO_OK);
	snap(&s, &in);
	assert_int_equal(open_lobby(&in, blob[2], len[2], NULL),
	    CRYPTO_E_REPLAY);
	assert_unchanged(&s, &in);
	snap_free(&s);
	assert_int_equal(open_lobby(&in, blob[1], len[1], "again"), CRYPTO_OK);
	assert_int_equal(open_lobby(&in, blob[1], len[1], NULL),
	    CRYPTO_E_REPLAY);
	assert_int_equal(in.nskipped, 0);
	for (int i = 0; i < 3; i++)
		free(blob[i]);
	sk_inbound_free(&in);
}

/* A receiver given the chain at index 5 cannot read what came before. */
static void
test_before(void **state)
{
	struct sk_chain		 c;
	struct ecc_signer	 k;
	struct sk_inbound	 in;
	uint8_t			*old[5], *now;
	size_t			 oldlen[5], len;

	(void)state;
	sk_chain_new(&c);
	assert_int_equal(ecc_sign_generate(&k), CRYPTO_OK);
	for (int i = 0; i < 5; i++)
		old[i] = seal(&c, &k, "earlier", &oldlen[i]);
	sk_inbound_init(&in, &c, k.pub);
	assert_int_equal(in.first, 5);
	assert_int_equal(in.dropped, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(open_lobby(&in, old[i], oldlen[i], NULL),
		    CRYPTO_E_BEFORE);
	assert_int_equal(in.chain.index, 5);
	now = seal(&c, &k, "now", &len);
	assert_int_equal(open_lobby(&in, now, len, "now"), CRYPTO_OK);
	/* Still before, not a replay, once the chain has moved on. */
	assert_int_equal(open_lobby(&in, old[4], oldlen[4], NULL),
	    CRYPTO_E_BEFORE);
	for (int i = 0; i < 5; i++)
		free(old[i]);
	free(now);
	sk_inbound_free(&in);
}

/*
 * At most SK_SKIPPED_MAX keys are kept. Jumping to 2001 passes 0 to
 * 2000: 1 to 2000 are kept and 0 expires. Then 2003 keeps 2002 and
 * pushes out the oldest, 1. What is still kept opens, once.
 */
static void
test_expired(void **state)
{
	struct sk_chain		 c;
	struct ecc_signer	 k;
	struct sk_inbound	 in;
	uint8_t			*m[3], *m2001, *m2003;
	size_t			 len[3], len2001, len2003;

	(void)state;
	assert_int_equal(SK_SKIPPED_MAX, 2000);
	sk_chain_new(&c);
	assert_int_equal(ecc_sign_generate(&k), CRYPTO_OK);
	sk_inbound_init(&in, &c, k.pub);
	for (int i = 0; i < 3; i++)
		m[i] = seal(&c, &k, "early", &len[i]);
	advance(&c, SK_SKIPPED_MAX + 1 - 3);
	m2001 = seal(&c, &k, "m2001", &len2001);
	advance(&c, 1);
	m2003 = seal(&c, &k, "m2003", &len2003);

	assert_int_equal(open_lobby(&in, m2001, len2001, "m2001"), CRYPTO_OK);
	assert_int_equal(in.chain.index, SK_SKIPPED_MAX + 2);
	assert_int_equal(in.nskipped, SK_SKIPPED_MAX);
	assert_int_equal(in.skipped[0].index, 1);
	assert_int_equal(in.skipped[SK_SKIPPED_MAX - 1].index, SK_SKIPPED_MAX);
	assert_int_equal(in.dropped, 1);
	assert_int_equal(open_lobby(&in, m[0], len[0], NULL), CRYPTO_E_EXPIRED);

	assert_int_equal(open_lobby(&in, m2003, len2003, "m2003"), CRYPTO_OK);
	assert_int_equal(in.nskipped, SK_SKIPPED_MAX);
	assert_int_equal(in.skipped[0].index, 2);
	assert_int_equal(in.skipped[SK_SKIPPED_MAX - 1].index,
	    SK_SKIPPED_MAX + 2);
	assert_int_equal(in.dropped, 2);
	assert_int_equal(open_lobby(&in, m[1], len[1], NULL), CRYPTO_E_EXPIRED);

	assert_int_equal(open_lobby(&in, m[2], len[2], "early"), CRYPTO_OK);
	assert_int_equal(in.nskipped, SK_SKIPPED_MAX - 1);
	assert_int_equal(open_lobby(&in, m[2], len[2], NULL), CRYPTO_E_REPLAY);
	for (int i = 0; i < 3; i++)
		free(m[i]);
	free(m2001);
	free(m2003);
	sk_inbound_free(&in);
}

/*
 * A jump of more than SK_JUMP_MAX keys is refused and changes nothing;
 * a jump of exactly SK_JUMP_MAX opens, keeping only the newest
 * SK_SKIPPED_MAX keys passed.
 */
static void
test_too_far(void **state)
{
	struct sk_chain		 c, at;
	struct ecc_signer	 k;
	struct sk_inbound	 in;
	struct snapshot		 s;
	uint8_t			*far, *edge, *lost, *kept;
	size_t			 farlen, edgelen, lostlen, keptlen;
	const uint32_t		 low = SK_JUMP_MAX - SK_SKIPPED_MAX;

	(void)state;
	assert_int_equal(SK_JUMP_MAX, 25000);
	sk_chain_new(&c);
	assert_int_equal(ecc_sign_generate(&k), CRYPTO_OK);
	sk_inbound_init(&in, &c, k.pub);
	at = c;
	advance(&at, low - 1);
	lost = seal(&at, &k, "lost", &lostlen);
	kept = seal(&at, &k, "kept", &keptlen);
	advance(&at, SK_JUMP_MAX - low - 1);
	edge = seal(&at, &k, "edge", &edgelen);
	far = seal(&at, &k, "far", &farlen);

	snap(&s, &in);
	assert_int_equal(open_lobby(&in, far, farlen, NULL), CRYPTO_E_TOO_FAR);
	assert_unchanged(&s, &in);
	snap_free(&s);

	assert_int_equal(open_lobby(&in, edge, edgelen, "edge"), CRYPTO_OK);
	assert_int_equal(in.chain.index, SK_JUMP_MAX + 1);
	assert_int_equal(in.nskipped, SK_SKIPPED_MAX);
	assert_int_equal(in.skipped[0].index, low);
	assert_int_equal(in.dropped, low);
	assert_int_equal(open_lobby(&in, lost, lostlen, NULL),
	    CRYPTO_E_EXPIRED);
	assert_int_equal(open_lobby(&in, kept, keptlen, "kept"), CRYPTO_OK);
	/* Now the next index: no longer too far. */
	assert_int_equal(open_lobby(&in, far, farlen, "far"), CRYPTO_OK);
	free(far);
	free(edge);
	free(lost);
	free(kept);
	sk_inbound_free(&in);
}

/*
 * The server names the sender and the target; naming either wrongly
 * fails the signature, which covers both, and changes nothing.
 */
static void
test_wrong_names(void **state)
{
	struct sk_chain		 c;
	struct ecc_signer	 k;
	struct sk_inbound	 in;
	struct snapshot		 s;
	char			 longname[NAME_MAX_LEN + 2];
	uint8_t			*blob;
	size_t			 len;

	(void)state;
	sk_chain_new(&c);
	assert_int_equal(ecc_sign_generate(&k), CRYPTO_OK);
	sk_inbound_init(&in, &c, k.pub);
	blob = seal(&c, &k, "for the lobby", &len);
	snap(&s, &in);
	assert_int_equal(open_as(&in, "mallory", ROOM, blob, len, NULL),
	    CRYPTO_E_SIGNATURE);
	assert_int_equal(open_as(&in, "Alice", ROOM, blob, len, NULL),
	    CRYPTO_E_SIGNATURE);
	assert_int_equal(open_as(&in, "alice", "#other", blob, len, NULL),
	    CRYPTO_E_SIGNATURE);
	assert_int_equal(open_as(&in, "alice", "alice,bob", blob, len, NULL),
	    CRYPTO_E_SIGNATURE);
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(open_as(&in, longname, ROOM, blob, len, NULL),
	    CRYPTO_E_FORMAT);
	assert_unchanged(&s, &in);
	snap_free(&s);
	assert_int_equal(open_lobby(&in, blob, len, "for the lobby"),
	    CRYPTO_OK);
	free(blob);
	sk_inbound_free(&in);
}

/*
 * Signed by the session key but made with other message keys (another
 * chain key, or another session under the same signer): the signature
 * holds and GCM refuses, CRYPTO_E_AUTH, on the forward and on the
 * skipped path, changing nothing. Another signer fails the signature.
 */
static void
test_auth(void **state)
{
	struct sk_chain		 c, evil, other;
	struct ecc_signer	 k, k2;
	struct sk_inbound	 in;
	struct snapshot		 s;
	uint8_t			*m0, *m1, *m2, *bad;
	size_t			 len0, len1, len2, badlen;

	(void)state;
	sk_chain_new(&c);
	assert_int_equal(ecc_sign_generate(&k), CRYPTO_OK);
	assert_int_equal(ecc_sign_generate(&k2), CRYPTO_OK);
	sk_inbound_init(&in, &c, k.pub);
	m0 = seal(&c, &k, "m0", &len0);
	m1 = seal(&c, &k, "m1", &len1);
	m2 = seal(&c, &k, "m2", &len2);
	assert_int_equal(open_lobby(&in, m0, len0, "m0"), CRYPTO_OK);
	assert_int_equal(open_lobby(&in, m2, len2, "m2"), CRYPTO_OK);
	assert_int_equal(in.nskipped, 1);
	snap(&s, &in);

	/* Index 1, waiting in skipped storage, from a wrong chain key. */
	evil = c;
	evil.index = 1;
	crypto_random(evil.ck, sizeof evil.ck);
	bad = seal(&evil, &k, "m1", &badlen);
	assert_int_equal(open_lobby(&in, bad, badlen, NULL), CRYPTO_E_AUTH);
	assert_unchanged(&s, &in);
	free(bad);
	/* Index 5, ahead, from a wrong chain key. */
	evil.index = 5;
	bad = seal(&evil, &k, "m5", &badlen);
	assert_int_equal(open_lobby(&in, bad, badlen, NULL), CRYPTO_E_AUTH);
	assert_unchanged(&s, &in);
	free(bad);
	/* Another session of the same signer: sk_open does not look at the
	 * session id, GCM's key and nonce (derived with it) differ. */
	sk_chain_new(&other);
	advance(&other, 3);
	bad = seal(&other, &k, "m3", &badlen);
	assert_int_equal(open_lobby(&in, bad, badlen, NULL), CRYPTO_E_AUTH);
	assert_unchanged(&s, &in);
	free(bad);
	/* The right chain, the wrong signer. */
	evil = c;
	bad = seal(&evil, &k2, "m3", &badlen);
	assert_int_equal(open_lobby(&in, bad, badlen, NULL),
	    CRYPTO_E_SIGNATURE);
	assert_unchanged(&s, &in);
	free(bad);
	snap_free(&s);

	assert_int_equal(open_lobby(&in, m1, len1, "m1"), CRYPTO_OK);
	assert_int_equal(in.nskipped, 0);
	free(m0);
	free(m1);
	free(m2);
	sk_inbound_free(&in);
}

/*
 * Flip each bit 0 and bit 7 of every byte of a message in turn: the
 * version byte gives CRYPTO_E_VERSION, the kind byte CRYPTO_E_FORMAT
 * (both from the parser), and every other byte of the header, the
 * ciphertext, the tag and the signature CRYPTO_E_SIGNATURE, as the
 * signature covers them all and is checked first. Cut or lengthened
 * blobs fail too. No refusal changes the receiver: both genuine
 * messages, one skipped-path and one ahead, open afterwards.
 */
static void
test_tamper_message(void **state)
{
	static const uint8_t	 masks[] = { 0x01, 0x80 };
	struct sk_chain		 c;
	struct ecc_signer	 k;
	struct sk_inbound	 in;
	struct snapshot		 s;
	uint8_t			*m[4], *t;
	size_t			 len[4];
	int			 want;

	(void)state;
	sk_chain_new(&c);
	assert_int_equal(ecc_sign_generate(&k), CRYPTO_OK);
	sk_inbound_init(&in, &c, k.pub);
	for (int i = 0; i < 4; i++)
		m[i] = seal(&c, &k, "tamper with me", &len[i]);
	assert_int_equal(open_lobby(&in, m[0], len[0], NULL), CRYPTO_OK);
	assert_int_equal(open_lobby(&in, m[2], len[2], NULL), CRYPTO_OK);
	snap(&s, &in);

	for (int which = 1; which <= 3; which += 2) {
		t = malloc(len[which] + 1);
		assert_non_null(t);
		for (size_t i = 0; i < len[which]; i++) {
			for (size_t b = 0; b < sizeof masks; b++) {
				memcpy(t, m[which], len[which]);
				t[i] ^= masks[b];
				if (i == 0)
					want = CRYPTO_E_VERSION;
				else if (i == 1)
					want = CRYPTO_E_FORMAT;
				else
					want = CRYPTO_E_SIGNATURE;
				assert_int_equal(open_lobby(&in, t, len[which],
				    NULL), want);
			}
		}
		assert_unchanged(&s, &in);
		/* Cut anywhere: too short to parse, or a bad signature. */
		for (size_t n = 0; n < len[which]; n++) {
			memcpy(t, m[which], len[which]);
			assert_int_equal(open_lobby(&in, t, n, NULL),
			    n <= SK_MESSAGE_MIN ? CRYPTO_E_FORMAT :
			    CRYPTO_E_SIGNATURE);
		}
		memcpy(t, m[which], len[which]);
		t[len[which]] = 0;
		assert_int_equal(open_lobby(&in, t, len[which] + 1, NULL),
		    CRYPTO_E_SIGNATURE);
		/* Another version, or a distribution's kind byte. */
		t[0] = SK_VERSION + 1;
		assert_int_equal(open_lobby(&in, t, len[which], NULL),
		    CRYPTO_E_VERSION);
		t[0] = SK_VERSION;
		t[1] = SK_KIND_SESSION;
		assert_int_equal(open_lobby(&in, t, len[which], NULL),
		    CRYPTO_E_FORMAT);
		assert_unchanged(&s, &in);
		free(t);
	}
	snap_free(&s);
	/* An empty blob, and one longer than any text. */
	t = calloc(1, SK_MESSAGE_MIN + CHAT_MAX_PLAINTEXT + 1);
	assert_non_null(t);
	assert_int_equal(open_lobby(&in, t, 0, NULL), CRYPTO_E_FORMAT);
	memcpy(t, m[1], len[1]);
	assert_int_equal(open_lobby(&in, t, SK_MESSAGE_MIN +
	    CHAT_MAX_PLAINTEXT + 1, NULL), CRYPTO_E_FORMAT);
	free(t);

	assert_int_equal(open_lobby(&in, m[1], len[1], "tamper with me"),
	    CRYPTO_OK);
	assert_int_equal(open_lobby(&in, m[3], len[3], "tamper with me"),
	    CRYPTO_OK);
	assert_int_equal(in.chain.index, 4);
	assert_int_equal(in.nskipped, 0);
	for (int i = 0; i < 4; i++)
		free(m[i]);
	sk_inbound_free(&in);
}

/* Every code, old and new, has its own description. */
static void
test_strerror(void **state)
{
	(void)state;
	for (int a = 0; a >= CRYPTO_E_NO_SESSION; a--) {
		assert_string_not_equal(crypto_strerror(a),
		    "unknown crypto error");
		for (int b = a - 1; b >= CRYPTO_E_NO_SESSION; b--)
			assert_string_not_equal(crypto_strerror(a),
			    crypto_strerror(b));
	}
	assert_string_equal(crypto_strerror(CRYPTO_E_NO_SESSION - 1),
	    "unknown crypto error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_room),
		cmocka_unit_test(test_target_names),
		cmocka_unit_test(test_target_rejects),
		cmocka_unit_test(test_seal_open),
		cmocka_unit_test(test_seal_rejects),
		cmocka_unit_test(test_open_long),
		cmocka_unit_test(test_message_layout),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_before),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_too_far),
		cmocka_unit_test(test_wrong_names),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_tamper_message),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
