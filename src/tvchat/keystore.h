/*
 * The client's end-to-end state: its signed prekeys, its own sender
 * sessions and the sessions others gave it, kept in one file (mode 0600,
 * written whole, fsync'ed and renamed) so a restart goes on decrypting.
 */
#ifndef TVCHAT_KEYSTORE_H
#define TVCHAT_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "distribution.h"
#include "ecc.h"
#include "senderkey.h"

#define KS_PREKEY_LIFE_MS	(7LL * 24 * 3600 * 1000)	/* then a new one */
#define KS_PREKEY_GRACE_MS	(2LL * 24 * 3600 * 1000)	/* old half kept */
#define KS_OLD_PREKEYS		4
#define KS_AHEAD		32	/* indices saved ahead of use */
#define KS_SESSION_MESSAGES	100	/* rotate after this many */
#define KS_SESSION_LIFE_MS	(7LL * 24 * 3600 * 1000)	/* or this long */
#define KS_IN_PER_SENDER	3	/* sessions kept per sender, target */
#define KS_IN_MAX		8192	/* sessions kept in all */
#define KS_STALE_LEFT		1	/* a holder left: rotate unless back */
#define KS_STALE_ROTATE		2	/* rotate before the next message */

/* One of our own sender sessions. */
struct ks_out {
	struct dist_session	 s;	/* chain: the next index to use */
	struct ecc_signer	 signer;	/* its messages' key */
	uint32_t		 saved;	/* the index the file holds */
	uint32_t		 sent;	/* messages sealed with it */
	char			**given;	/* "name fingerprint" holding it */
	size_t			 ngiven;
	int			 stale;	/* KS_STALE_*: check, or rotate */
};

/* A session someone gave us. */
struct ks_in {
	char			 sender[NAME_MAX_LEN + 1];
	char			 target[SK_TARGET_MAX];
	int64_t			 created;
	struct sk_inbound	 in;
};

struct keystore {
	char			*path;
	char			 name[NAME_MAX_LEN + 1];	/* prekey signed for */
	struct prekey		 prekey;	/* current */
	uint8_t			*prekey_sig;
	size_t			 prekey_siglen;
	struct prekey		 old[KS_OLD_PREKEYS];	/* retired, kept */
	int64_t			 old_until[KS_OLD_PREKEYS];
	size_t			 nold;
	struct ks_out		*out;
	size_t			 nout;
	struct ks_in		*in;
	size_t			 nin;
	int			 dirty;
};

char		*keystore_default_path(const char *, const char *);
int		 keystore_open(const char *, struct keystore **, char *,
		    size_t);
void		 keystore_free(struct keystore *);
int		 keystore_save(struct keystore *);
int		 keystore_prekey(struct keystore *, const struct crypto_key *,
		    const char *, int64_t);
const struct prekey *keystore_prekey_for(const struct keystore *,
		    const uint8_t [ECC_KEY_LEN]);
struct ks_out	*keystore_out(struct keystore *, const char *);
struct ks_out	*keystore_out_new(struct keystore *, const char *,
		    const char *, const struct crypto_key *, int64_t);
int		 keystore_out_reserve(struct keystore *, struct ks_out *);
int		 keystore_out_given(const struct ks_out *, const char *,
		    const char *);
void		 keystore_out_give(struct ks_out *, const char *,
		    const char *);
const char	*keystore_out_holder(const struct ks_out *, size_t,
		    char [NAME_MAX_LEN + 1]);
void		 keystore_out_forget(struct keystore *, const char *,
		    const char *, int);
struct ks_in	*keystore_in(struct keystore *, const char *, const uint8_t *);
struct ks_in	*keystore_in_add(struct keystore *, const struct dist_session *);

#endif
