/*
 * Sender keys: one sealed blob per chat message, the same bytes for every
 * recipient, from a hash ratchet per sender and room (tvchat-protocol(5),
 * "Sender keys").
 */
#ifndef TVCHAT_SENDERKEY_H
#define TVCHAT_SENDERKEY_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "ecc.h"
#include "proto.h"

#define SK_VERSION		1
#define SK_KIND_MESSAGE		1
#define SK_KIND_SESSION		2
#define SK_SID_LEN		16
#define SK_CHAIN_LEN		32
#define SK_HEADER_LEN		(2 + SK_SID_LEN + 4)	/* ver kind sid index */
#define SK_TAG_LEN		16
#define SK_MESSAGE_MIN		(SK_HEADER_LEN + SK_TAG_LEN + ECC_SIG_LEN)
#define SK_SKIPPED_MAX		2000	/* skipped keys kept per session */
#define SK_JUMP_MAX		25000	/* furthest forward jump opened */
/* The canonical target: "#room", or up to CHAT_MAX_RECIPIENTS + 1 names
 * joined by commas. */
#define SK_TARGET_MAX		((CHAT_MAX_RECIPIENTS + 1) * (NAME_MAX_LEN + 1))

/* A position in a chain: the session, the index of the next message key
 * and the chain key that makes it. */
struct sk_chain {
	uint8_t		sid[SK_SID_LEN];
	uint32_t	index;
	uint8_t		ck[SK_CHAIN_LEN];
};

/* A parsed message blob; the pointers point into the bytes parsed. */
struct sk_message {
	uint8_t		 sid[SK_SID_LEN];
	uint32_t	 index;
	const uint8_t	*raw;		/* the whole blob */
	size_t		 rawlen;
	const uint8_t	*ct;
	size_t		 ctlen;
	const uint8_t	*tag;
	const uint8_t	*sig;
};

/* A message key kept for a message that has not arrived yet. */
struct sk_skipped {
	uint32_t	index;
	uint8_t		mk[SK_CHAIN_LEN];
};

/* A session as a receiver holds it. */
struct sk_inbound {
	struct sk_chain		 chain;		/* the next index not yet passed */
	uint8_t			 sigpub[ECC_KEY_LEN];
	uint32_t		 first;		/* lowest index we were given */
	uint32_t		 dropped;	/* indices below lost their keys */
	struct sk_skipped	*skipped;
	size_t			 nskipped;
	size_t			 cap;		/* allocated for skipped */
};

int	sk_target(json_object *, const char *, char *, size_t);
void	sk_chain_new(struct sk_chain *);
int	sk_chain_advance(struct sk_chain *, uint32_t);
int	sk_seal(struct sk_chain *, const struct ecc_signer *, const char *,
	    const char *, const uint8_t *, size_t, uint8_t **, size_t *);
int	sk_message_parse(const uint8_t *, size_t, struct sk_message *);
void	sk_inbound_init(struct sk_inbound *, const struct sk_chain *,
	    const uint8_t [ECC_KEY_LEN]);
void	sk_inbound_free(struct sk_inbound *);
int	sk_open(struct sk_inbound *, const char *, const char *,
	    const struct sk_message *, uint8_t **, size_t *);

#endif
