/*
 * Fuzz target for the sealed chat blob (senderkey.c): sk_message_parse()
 * and sk_open(), as a client runs them on what a hostile server delivers.
 * The first input byte picks the mode:
 *
 *   even: the rest is one blob, opened by a fresh receiver of the fixed
 *         session below as a chat from alice to #lobby. Seeds sealed with
 *         that session (make-corpus.sh) get past the signature.
 *   odd:  the rest is a script of 3-byte steps [op, a, b] run against a
 *         sender and a receiver of that session: seal a message (its text
 *         a + 1 bytes of b), deliver one already sealed, deliver one with a
 *         bit flipped, deliver one under another sender or target, or let
 *         the sender skip ahead (messages lost: a, or a * 128 + b % 128
 *         when b's top bit is set). Every delivery must give
 *         exactly what a model of the receiver says: open once, then be a
 *         replay; open out of order from the kept skipped keys; expire when
 *         more than SK_SKIPPED_MAX were skipped; refuse a jump past
 *         SK_JUMP_MAX. A tampered or misattributed blob never opens and
 *         never changes the receiver.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "ecc.h"
#include "senderkey.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

#define SENDER		"alice"
#define TARGET		"#lobby"
#define POOL		32	/* sealed messages kept by a script */
#define SKIP_MAX	32767	/* furthest one skip step goes */

/* The fixed session: its signer's seed, id and chain key at index 0
 * (make-corpus.sh seals the raw seeds with the same bytes). */
static const uint8_t seed[ECC_KEY_LEN] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};
static const uint8_t sid[SK_SID_LEN] = {
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
};
static const uint8_t ck[SK_CHAIN_LEN] = {
	0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
	0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
	0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57,
	0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
};

static struct ecc_signer	signer;
static struct sk_chain		start;

/* A sealed message a script keeps, and its text. */
struct sealed {
	uint8_t		*blob;
	size_t		 len;
	uint32_t	 index;
	uint8_t		 text[256];
	size_t		 textlen;
};

/* What the receiver should hold: its next index, kept skipped indices
 * (ascending) and the lowest index whose key may still be kept. */
struct model {
	uint32_t	 next;
	uint32_t	*skipped;
	size_t		 nskipped;
	uint32_t	 dropped;
};

/* Make the fixed session once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static int	done;

	if (done)
		return 0;
	done = 1;
	fuzz_set_name("fuzz_senderkey");
	crypto_init();
	if (ecc_sign_from_secret(&signer, seed) != CRYPTO_OK)
		fuzz_fail("cannot make the session's signer", NULL);
	memcpy(start.sid, sid, sizeof start.sid);
	memcpy(start.ck, ck, sizeof start.ck);
	start.index = 0;
	return 0;
}

/* Fail unless the receiver in holds what model m says. */
static void
check_model(const struct sk_inbound *in, const struct model *m)
{
	if (in->chain.index != m->next || in->nskipped != m->nskipped)
		fuzz_fail("the receiver disagrees with the model", NULL);
	for (size_t i = 0; i < m->nskipped; i++)
		if (in->skipped[i].index != m->skipped[i])
			fuzz_fail("a kept key for another index", NULL);
}

/* Return the slot of index in the model's skipped list, or -1. */
static ssize_t
model_find(const struct model *m, uint32_t index)
{
	for (size_t i = 0; i < m->nskipped; i++)
		if (m->skipped[i] == index)
			return (ssize_t)i;
	return -1;
}

/* Keep index as skipped, dropping the oldest past SK_SKIPPED_MAX. */
static void
model_keep(struct model *m, uint32_t index)
{
	if (m->nskipped == SK_SKIPPED_MAX) {
		if (m->dropped < m->skipped[0] + 1)
			m->dropped = m->skipped[0] + 1;
		memmove(m->skipped, m->skipped + 1,
		    --m->nskipped * sizeof *m->skipped);
	}
	m->skipped[m->nskipped++] = index;
}

/* Return what opening an untampered message of index should give, and
 * move the model on as the receiver must. */
static int
model_open(struct model *m, uint32_t index)
{
	ssize_t	slot;

	if (index < m->next) {
		if ((slot = model_find(m, index)) == -1)
			return index < m->dropped ? CRYPTO_E_EXPIRED :
			    CRYPTO_E_REPLAY;
		memmove(m->skipped + slot, m->skipped + slot + 1,
		    (--m->nskipped - (size_t)slot) * sizeof *m->skipped);
		return CRYPTO_OK;
	}
	if (index - m->next > SK_JUMP_MAX)
		return CRYPTO_E_TOO_FAR;
	for (uint32_t i = index - m->next > SK_SKIPPED_MAX ?
	    index - SK_SKIPPED_MAX : m->next; i < index; i++)
		model_keep(m, i);
	if (index - m->next > SK_SKIPPED_MAX &&
	    m->dropped < index - SK_SKIPPED_MAX)
		m->dropped = index - SK_SKIPPED_MAX;
	m->next = index + 1;
	return CRYPTO_OK;
}

/* Open blob as in's receiver from sender to target; check the results
 * are set only on success and the plaintext is NUL-terminated. */
static int
open_blob(struct sk_inbound *in, const uint8_t *blob, size_t len,
    const char *sender, const char *target, uint8_t **plain, size_t *plen)
{
	struct sk_message	msg;
	int			r;

	*plain = NULL;
	*plen = 0;
	if ((r = sk_message_parse(blob, len, &msg)) != CRYPTO_OK)
		return r;
	if (msg.index != be32dec(blob + 2 + SK_SID_LEN) ||
	    msg.ctlen + SK_MESSAGE_MIN != len)
		fuzz_fail("a parsed message disagrees with its bytes", NULL);
	r = sk_open(in, sender, target, &msg, plain, plen);
	if (r == CRYPTO_OK) {
		if (*plain == NULL || (*plain)[*plen] != '\0' ||
		    *plen != msg.ctlen)
			fuzz_fail("an opened text is not as long as sealed",
			    NULL);
	} else if (*plain != NULL || *plen != 0)
		fuzz_fail("a failed open left a result", crypto_strerror(r));
	return r;
}

/* Mode "blob": open data as a chat from alice to #lobby. */
static void
run_blob(const uint8_t *data, size_t size)
{
	struct sk_inbound	 in;
	uint8_t			*plain;
	size_t			 plen;
	int			 r;

	sk_inbound_init(&in, &start, signer.pub);
	r = open_blob(&in, data, size, SENDER, TARGET, &plain, &plen);
	switch (r) {
	case CRYPTO_OK:
		free(plain);
		if (in.chain.index < 1)
			fuzz_fail("an open did not move the chain", NULL);
		break;
	case CRYPTO_E_FORMAT:
	case CRYPTO_E_VERSION:
	case CRYPTO_E_SIGNATURE:
	case CRYPTO_E_TOO_FAR:
	case CRYPTO_E_AUTH:
		if (in.chain.index != 0 || in.nskipped != 0)
			fuzz_fail("a failed open changed the receiver",
			    crypto_strerror(r));
		break;
	default:
		fuzz_fail("an unexpected open error", crypto_strerror(r));
	}
	sk_inbound_free(&in);
}

/* Deliver pool entry s as it is (mode 0), tampered at bit pos (1) or
 * under another sender or target (2); check against the model. */
static void
deliver(struct sk_inbound *in, struct model *m, const struct sealed *s,
    int mode, unsigned pos)
{
	uint8_t		*copy, *plain;
	size_t		 plen;
	int		 r, want;

	if (mode == 0) {
		r = open_blob(in, s->blob, s->len, SENDER, TARGET, &plain,
		    &plen);
		want = model_open(m, s->index);
		if (r != want)
			fuzz_fail("an open gives what the model does not",
			    crypto_strerror(r));
		if (r == CRYPTO_OK) {
			if (plen != s->textlen ||
			    memcmp(plain, s->text, plen) != 0)
				fuzz_fail("a message opens to another text",
				    NULL);
			free(plain);
		}
	} else {
		copy = malloc(s->len);
		if (copy == NULL)
			fuzz_fail("out of memory", NULL);
		memcpy(copy, s->blob, s->len);
		if (mode == 1) {
			copy[(pos / 8) % s->len] ^= (uint8_t)(1u << (pos % 8));
			r = open_blob(in, copy, s->len, SENDER, TARGET,
			    &plain, &plen);
		} else if (pos & 1)
			r = open_blob(in, copy, s->len, "mallory", TARGET,
			    &plain, &plen);
		else
			r = open_blob(in, copy, s->len, SENDER, "#other",
			    &plain, &plen);
		free(copy);
		if (r == CRYPTO_OK)
			fuzz_fail("a tampered or misattributed message opens",
			    NULL);
	}
	check_model(in, m);
}

/* Mode "script": run data as 3-byte steps. */
static void
run_script(const uint8_t *data, size_t size)
{
	struct sk_inbound	 in;
	struct sk_chain		 tx = start;
	struct sealed		 pool[POOL];
	struct model		 m;
	size_t			 npool = 0;
	uint8_t			 op, a, b;
	int			 r;

	memset(pool, 0, sizeof pool);
	memset(&m, 0, sizeof m);
	m.skipped = malloc(SK_SKIPPED_MAX * sizeof *m.skipped);
	if (m.skipped == NULL)
		fuzz_fail("out of memory", NULL);
	sk_inbound_init(&in, &start, signer.pub);
	for (; size >= 3; data += 3, size -= 3) {
		op = data[0] % 5;
		a = data[1];
		b = data[2];
		if (op == 0) {
			struct sealed	*s = &pool[npool < POOL ? npool++ :
			    b % POOL];

			free(s->blob);
			s->index = tx.index;
			s->textlen = (size_t)a + 1;
			memset(s->text, b, s->textlen);
			r = sk_seal(&tx, &signer, SENDER, TARGET, s->text,
			    s->textlen, &s->blob, &s->len);
			if (r != CRYPTO_OK)
				fuzz_fail("cannot seal", crypto_strerror(r));
			if (tx.index != s->index + 1)
				fuzz_fail("a seal did not move the chain", NULL);
		} else if (op == 4) {
			/* A long skip (b's top bit) walks up to SKIP_MAX
			 * keys: slow, so only when asked for. */
			if (sk_chain_advance(&tx, tx.index + ((b & 0x80) ?
			    (((uint32_t)a << 7) | (b & 127)) : a)) != CRYPTO_OK)
				fuzz_fail("cannot skip ahead", NULL);
		} else if (npool > 0)
			deliver(&in, &m, &pool[a % npool], op - 1,
			    ((unsigned)a << 8 | b) * 7u);
		if (tx.index > UINT32_MAX - 2 * (SKIP_MAX + 1))
			break;
	}
	for (size_t i = 0; i < npool; i++)
		free(pool[i].blob);
	free(m.skipped);
	sk_inbound_free(&in);
	explicit_bzero(&tx, sizeof tx);
}

/* libFuzzer entry point; returns 0. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	LLVMFuzzerInitialize(NULL, NULL);
	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0)
		run_blob(data + 1, size - 1);
	else
		run_script(data + 1, size - 1);
	return 0;
}
