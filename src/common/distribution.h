/*
 * Sender keys, the distribution half: a sender session signed by its
 * owner's identity, sealed to one member's signed prekey with X25519
 * (tvchat-protocol(5), "Sender keys").
 */
#ifndef TVCHAT_DISTRIBUTION_H
#define TVCHAT_DISTRIBUTION_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "ecc.h"
#include "senderkey.h"

#define DIST_HEADER_LEN	(2 + 2 * ECC_KEY_LEN)	/* ver kind eph prekey */
#define DIST_MAX	(32 * 1024)		/* a whole envelope */
#define DIST_SIG_MAX	(CRYPTO_RSA_MAX_BITS / 8)

/* A sender session as a distribution carries it. */
struct dist_session {
	char		sender[NAME_MAX_LEN + 1];
	char		target[SK_TARGET_MAX];	/* canonical (sk_target) */
	uint8_t		sigpub[ECC_KEY_LEN];	/* its messages' signer */
	int64_t		created;		/* ms since the epoch */
	uint8_t		idsig[DIST_SIG_MAX];	/* by the sender's identity */
	size_t		idsiglen;
	struct sk_chain	chain;			/* from this index on */
	uint8_t		chainsig[ECC_SIG_LEN];	/* by sigpub over chain */
};

/* An X25519 prekey: the medium-term key distributions are sealed to. */
struct prekey {
	uint8_t		secret[ECC_KEY_LEN];	/* zero if not ours */
	uint8_t		pub[ECC_KEY_LEN];
	int64_t		created;		/* ms since the epoch */
};

int	dist_session_sign(struct dist_session *, const struct crypto_key *,
	    const struct ecc_signer *);
int	dist_chain_sign(struct dist_session *, const struct ecc_signer *);
int	dist_seal(const struct dist_session *, const char *,
	    const uint8_t [ECC_KEY_LEN], uint8_t **, size_t *);
int	dist_seal_bytes(const uint8_t *, size_t, const char *, const char *,
	    const char *, const uint8_t [ECC_KEY_LEN], uint8_t **, size_t *);
int	dist_prekey_of(const uint8_t *, size_t, uint8_t [ECC_KEY_LEN]);
int	dist_open(const uint8_t *, size_t, const struct prekey *,
	    const char *, const char *, const char *,
	    const struct crypto_key *, struct dist_session *);
int	prekey_sign(const struct crypto_key *, const char *,
	    const struct prekey *, uint8_t **, size_t *);
int	prekey_verify(const struct crypto_key *, const char *,
	    const struct prekey *, const uint8_t *, size_t);
int	prekey_verify_json(json_object *, const struct crypto_key *,
	    const char *, struct prekey *);

#endif
