/* The presence table: who is connected, in POSIX shared memory. */
#ifndef TVCHAT_PRESENCE_H
#define TVCHAT_PRESENCE_H

#include <sys/types.h>

#include <semaphore.h>
#include <stdint.h>

#include "crypto.h"
#include "proto.h"

#define PRESENCE_MAGIC		0x74766370u	/* "tvcp" */
#define PRESENCE_VERSION	2
#define PRESENCE_MAX_ROOMS	16
#define PRESENCE_JWK_N_MAX	700	/* base64url of a 4096-bit modulus */
#define PRESENCE_JWK_E_MAX	8
#define PRESENCE_MAX_SLOTS	65536
#define PRESENCE_PREKEY_MAX	43	/* base64url of 32 bytes */
#define PRESENCE_PREKEY_SIG_MAX	PRESENCE_JWK_N_MAX	/* one RSA block */

/* A user's signed prekey as its hello gave it (tvchat-protocol(5)). */
struct presence_prekey {
	char		key[PRESENCE_PREKEY_MAX + 1];
	int64_t		created;	/* ms since the epoch */
	char		sig[PRESENCE_PREKEY_SIG_MAX + 1];
};

enum slot_state {
	SLOT_FREE = 0,
	SLOT_JOINING,	/* claimed during the handshake, not yet announced */
	SLOT_ACTIVE,
	SLOT_LEAVING
};

struct presence_slot {
	uint32_t	state;		/* enum slot_state; written last */
	pid_t		pid;		/* the session process */
	uint32_t	generation;	/* bumped each time the slot is claimed */
	int64_t		joined_at;	/* seconds since the epoch */
	char		name[NAME_MAX_LEN + 1];
	char		key_n[PRESENCE_JWK_N_MAX + 1];
	char		key_e[PRESENCE_JWK_E_MAX + 1];
	char		fingerprint[CRYPTO_FINGERPRINT_LEN];
	struct presence_prekey prekey;
	char		rooms[PRESENCE_MAX_ROOMS][ROOM_MAX_LEN + 1];
	char		watching[VIDEO_NAME_MAX_LEN + 1];
	uint32_t	private_stream;	/* 1: its session decodes one itself */
	/* A user of another node in a cluster: its node, and the slot and
	 * generation it has there (node[0] == '\0' for our own users). */
	char		node[NAME_MAX_LEN + 1];
	int32_t		remote_slot;
	uint32_t	remote_gen;
};

struct presence_header {
	uint32_t	magic;
	uint32_t	version;
	uint32_t	capacity;
	uint32_t	local_max;	/* slots for our own users */
	uint32_t	generation;	/* bumped on every change */
	uint32_t	private_max;	/* private streams allowed at once */
	pid_t		holder;		/* pid holding the lock, or 0 */
	sem_t		lock;
};

struct presence {
	struct presence_header	*hdr;
	struct presence_slot	*slots;
	size_t			 size;
};

/* Who a slot belongs to right now: index plus the generation claimed. */
struct presence_ref {
	int		slot;
	uint32_t	generation;
};

#ifdef TVCHAT_TEST_HOOKS
extern int	presence_test_hold;
#endif

int	presence_create(struct presence *, unsigned int, unsigned int);
void	presence_destroy(struct presence *);
void	presence_lock(struct presence *);
void	presence_unlock(struct presence *);
int	presence_claim(struct presence *, const char *, pid_t, const char *,
	    const char *, const char *, struct presence_ref *);
void	presence_activate(struct presence *, const struct presence_ref *);
int	presence_release(struct presence *, const struct presence_ref *);
int	presence_reap(struct presence *, pid_t, struct presence_slot *);
int	presence_room_join(struct presence *, const struct presence_ref *,
	    const char *);
int	presence_room_leave(struct presence *, const struct presence_ref *,
	    const char *);
int	presence_set_watching(struct presence *, const struct presence_ref *,
	    const char *);
int	presence_set_prekey(struct presence *, const struct presence_ref *,
	    const struct presence_prekey *);
void	presence_set_private_max(struct presence *, unsigned int);
unsigned int presence_private_max(const struct presence *);
int	presence_private_take(struct presence *, const struct presence_ref *);
void	presence_private_drop(struct presence *, const struct presence_ref *);
unsigned int presence_private_count(struct presence *);
size_t	presence_snapshot(struct presence *, struct presence_slot *,
	    struct presence_ref *, size_t);
int	presence_find(struct presence *, const char *, struct presence_slot *,
	    struct presence_ref *);
int	presence_get(struct presence *, const struct presence_ref *,
	    struct presence_slot *);
int	presence_in_room(const struct presence_slot *, const char *);
unsigned int presence_count(struct presence *);
int	presence_remote_put(struct presence *, const struct presence_slot *,
	    struct presence_ref *, int *);
int	presence_remote_drop(struct presence *, const struct presence_ref *,
	    struct presence_slot *);
size_t	presence_local(struct presence *, struct presence_slot *,
	    struct presence_ref *, size_t);

/* Read by the broker and cluster mode. */
uint32_t presence_capacity(const struct presence *);
uint32_t presence_generation(const struct presence *);
int	presence_slot_active(const struct presence *, uint32_t, uint32_t);
int	presence_slot_owned(const struct presence *, uint32_t, uint32_t,
	    pid_t);
uint32_t presence_slot_generation(const struct presence *, uint32_t);
int	presence_slot_remote(const struct presence *, uint32_t);

#endif
