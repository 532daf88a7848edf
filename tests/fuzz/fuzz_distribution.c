/*
 * Fuzz target for the sender-key distribution (distribution.c): what
 * dist_prekey_of() and dist_open() make of an envelope a hostile server
 * or member delivers. Bob holds the fixed prekey fuzz_bob_prekey and opens
 * everything as a session alice (the TEST-ONLY identity in fuzz_keys.h)
 * gives him for #lobby. The first input byte picks the mode:
 *
 *   even: the rest is an envelope (make-corpus.sh seals the seeds to the
 *         fixed prekey with cryptotool dist-seal).
 *   odd:  the rest is the inner plaintext, sealed here with
 *         dist_seal_bytes() so the fuzzer reaches the parser and the
 *         signature checks behind the AEAD.
 *
 * A session that opens must be alice's, for #lobby, and survive a round
 * trip through dist_seal() and dist_open() unchanged; one that does not
 * must leave nothing behind and give a reason from the documented set.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "distribution.h"
#include "ecc.h"
#include "fuzz_keys.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

#define SENDER		"alice"
#define RECIPIENT	"bob"
#define TARGET		"#lobby"

static struct crypto_key	*alice;
static struct prekey		 bob_pk;

/* Load alice's identity and make bob's prekey once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (alice != NULL)
		return 0;
	fuzz_set_name("fuzz_distribution");
	crypto_init();
	alice = fuzz_load_key(fuzz_alice_key);
	memcpy(bob_pk.secret, fuzz_bob_prekey, ECC_KEY_LEN);
	if (ecc_dh_public(bob_pk.secret, bob_pk.pub) != CRYPTO_OK)
		fuzz_fail("cannot make the prekey", NULL);
	bob_pk.created = 0;
	return 0;
}

/* Return 1 if the whole of s is zero (what a failed open leaves). */
static int
all_zero(const struct dist_session *s)
{
	const uint8_t	*p = (const uint8_t *)s;

	for (size_t i = 0; i < sizeof *s; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* Fail unless a and b are the same session. */
static void
same_session(const struct dist_session *a, const struct dist_session *b)
{
	if (strcmp(a->sender, b->sender) != 0 ||
	    strcmp(a->target, b->target) != 0 ||
	    memcmp(a->sigpub, b->sigpub, ECC_KEY_LEN) != 0 ||
	    a->created != b->created || a->idsiglen != b->idsiglen ||
	    memcmp(a->idsig, b->idsig, a->idsiglen) != 0 ||
	    memcmp(a->chain.sid, b->chain.sid, SK_SID_LEN) != 0 ||
	    a->chain.index != b->chain.index ||
	    memcmp(a->chain.ck, b->chain.ck, SK_CHAIN_LEN) != 0 ||
	    memcmp(a->chainsig, b->chainsig, ECC_SIG_LEN) != 0)
		fuzz_fail("a session changes on a round trip", NULL);
}

/* Open envelope blob as bob and check what dist_open() promises. */
static void
open_envelope(const uint8_t *blob, size_t len, int ours)
{
	struct dist_session	 s, again;
	uint8_t			 pub[ECC_KEY_LEN], *resealed;
	size_t			 rlen;
	int			 r;

	r = dist_prekey_of(blob, len, pub);
	if (ours && (r != CRYPTO_OK ||
	    memcmp(pub, bob_pk.pub, ECC_KEY_LEN) != 0))
		fuzz_fail("our own envelope names another prekey", NULL);
	memset(&s, 0, sizeof s);
	r = dist_open(blob, len, &bob_pk, SENDER, RECIPIENT, TARGET, alice,
	    &s);
	switch (r) {
	case CRYPTO_OK:
		if (strcmp(s.sender, SENDER) != 0 ||
		    strcmp(s.target, TARGET) != 0)
			fuzz_fail("a session opens for someone else", NULL);
		if (dist_seal(&s, RECIPIENT, bob_pk.pub, &resealed, &rlen) !=
		    CRYPTO_OK)
			fuzz_fail("an opened session does not seal again",
			    NULL);
		memset(&again, 0, sizeof again);
		if (dist_open(resealed, rlen, &bob_pk, SENDER, RECIPIENT,
		    TARGET, alice, &again) != CRYPTO_OK)
			fuzz_fail("a resealed session does not open", NULL);
		same_session(&s, &again);
		free(resealed);
		explicit_bzero(&again, sizeof again);
		break;
	case CRYPTO_E_AUTH:
	case CRYPTO_E_NOT_RECIPIENT:
		if (ours)
			fuzz_fail("our own envelope does not decrypt",
			    crypto_strerror(r));
		/* FALLTHROUGH */
	case CRYPTO_E_FORMAT:
	case CRYPTO_E_VERSION:
	case CRYPTO_E_KEY:
	case CRYPTO_E_SENDER:
	case CRYPTO_E_TARGET:
	case CRYPTO_E_SIGNATURE:
		if (!all_zero(&s))
			fuzz_fail("a failed open left a session behind",
			    crypto_strerror(r));
		break;
	default:
		fuzz_fail("an unexpected open error", crypto_strerror(r));
	}
	explicit_bzero(&s, sizeof s);
}

/* libFuzzer entry point; returns 0. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t	*blob;
	size_t	 len;
	int	 r;

	LLVMFuzzerInitialize(NULL, NULL);
	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0) {
		open_envelope(data + 1, size - 1, 0);
		return 0;
	}
	r = dist_seal_bytes(data + 1, size - 1, SENDER, RECIPIENT, TARGET,
	    bob_pk.pub, &blob, &len);
	if (r == CRYPTO_E_FORMAT)
		return 0;	/* more than an envelope holds */
	if (r != CRYPTO_OK)
		fuzz_fail("cannot seal", crypto_strerror(r));
	open_envelope(blob, len, 1);
	free(blob);
	return 0;
}
