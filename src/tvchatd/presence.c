/*
 * The presence table: a fixed array of slots in POSIX shared memory, made
 * by the master before it forks and inherited by every child. One unnamed
 * process-shared semaphore in the segment guards it; the pid of the holder
 * is recorded so the master can repair the table and release the lock if
 * a process dies inside a critical section. Critical sections are plain
 * stores: no I/O, no allocation, no logging while the lock is held.
 * A slot's fields are written before its state, so a half-written slot is
 * still JOINING (or FREE) and the master can clear it.
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "presence.h"

#ifdef TVCHAT_TEST_HOOKS
#include <stdlib.h>

/* Test builds only: the next lock is held forever (see session.c). */
int	presence_test_hold;
#endif

/* Copy a string into a fixed field, always terminated. */
static void
copy_field(char *dst, size_t size, const char *src)
{
	size_t	n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Create the table for local users of our own and remote users of other
 * nodes (0 without a cluster): shm_open() a unique name, size and map it
 * shared, then unlink the name at once so nothing is left behind if the
 * server is killed. Returns 0, or -1 with errno set.
 */
int
presence_create(struct presence *p, unsigned int local, unsigned int remote)
{
	char		name[64];
	size_t		size;
	void		*map;
	int		fd;
	unsigned int	capacity = local + remote;

	if (local == 0 || local > PRESENCE_MAX_SLOTS ||
	    remote > PRESENCE_MAX_SLOTS || capacity > PRESENCE_MAX_SLOTS) {
		errno = EINVAL;
		return -1;
	}
	size = sizeof *p->hdr + 64 + (size_t)capacity * sizeof *p->slots;
	for (int tries = 0; ; tries++) {
		snprintf(name, sizeof name, "/tvchatd-%ld-%d-%ld",
		    (long)getpid(), tries, (long)time(NULL));
		fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd != -1)
			break;
		if (errno != EEXIST || tries > 100)
			return -1;
	}
	shm_unlink(name);
	if (ftruncate(fd, (off_t)size) != 0) {
		close(fd);
		return -1;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	p->hdr = map;
	/* Slots start on a 64-byte boundary after the header. */
	p->slots = (struct presence_slot *)((char *)map +
	    ((sizeof *p->hdr + 63) & ~(size_t)63));
	p->size = size;
	p->hdr->magic = PRESENCE_MAGIC;
	p->hdr->version = PRESENCE_VERSION;
	p->hdr->capacity = capacity;
	p->hdr->local_max = local;
	if (sem_init(&p->hdr->lock, 1, 1) != 0) {
		munmap(map, size);
		return -1;
	}
	return 0;
}

/* Unmap the table (the last process to do so frees it). */
void
presence_destroy(struct presence *p)
{
	if (p->hdr == NULL)
		return;
	munmap(p->hdr, p->size);
	p->hdr = NULL;
	p->slots = NULL;
}

/*
 * Take the lock, waiting as long as it takes: the master repairs the
 * table and posts the semaphore if the holder dies, so the wait ends.
 */
void
presence_lock(struct presence *p)
{
	struct timespec	ts;

	for (;;) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		if (sem_timedwait(&p->hdr->lock, &ts) == 0)
			break;
		if (errno != EINTR && errno != ETIMEDOUT)
			fatal("presence: sem_timedwait");
	}
	p->hdr->holder = getpid();
#ifdef TVCHAT_TEST_HOOKS
	/* Lets a regress test kill a process inside the critical section:
	 * the holder's pid goes to a file, then it waits to be killed. */
	if (presence_test_hold && getenv("TVCHAT_TEST_HOLD_FILE") != NULL) {
		FILE *f = fopen(getenv("TVCHAT_TEST_HOLD_FILE"), "w");

		if (f != NULL) {
			fprintf(f, "%ld\n", (long)getpid());
			fclose(f);
		}
		for (;;)
			pause();
	}
#endif
}

/* Release the lock after only reading: no change to record. */
static void
unlock_read(struct presence *p)
{
	p->hdr->holder = 0;
	if (sem_post(&p->hdr->lock) != 0)
		fatal("presence: sem_post");
}

/* Release the lock, recording the change. */
void
presence_unlock(struct presence *p)
{
	p->hdr->generation++;
	p->hdr->holder = 0;
	if (sem_post(&p->hdr->lock) != 0)
		fatal("presence: sem_post");
}

/* Return 1 if slot s counts as present (announced or being announced). */
static int
slot_taken(const struct presence_slot *s)
{
	return s->state != SLOT_FREE;
}

/*
 * Claim a slot for name (unique ignoring case) for session pid with the
 * JWK members and fingerprint of its key; the name check and the claim
 * happen under one lock. Returns PROTO_OK with *ref set, or
 * PROTO_E_NAME_TAKEN, PROTO_E_SERVER_FULL or PROTO_E_KEY.
 */
int
presence_claim(struct presence *p, const char *name, pid_t pid,
    const char *key_n, const char *key_e, const char *fingerprint,
    struct presence_ref *ref)
{
	struct presence_slot	*s, *free_slot = NULL;
	uint32_t		 local = 0;

	if (strlen(key_n) > PRESENCE_JWK_N_MAX ||
	    strlen(key_e) > PRESENCE_JWK_E_MAX)
		return PROTO_E_KEY;
	presence_lock(p);
	for (uint32_t i = 0; i < p->hdr->capacity; i++) {
		s = &p->slots[i];
		if (!slot_taken(s)) {
			if (free_slot == NULL)
				free_slot = s;
			continue;
		}
		if (proto_name_equal(s->name, name)) {
			presence_unlock(p);
			return PROTO_E_NAME_TAKEN;
		}
		local += s->node[0] == '\0';
	}
	if (free_slot == NULL || local >= p->hdr->local_max) {
		presence_unlock(p);
		return PROTO_E_SERVER_FULL;
	}
	s = free_slot;
	s->pid = pid;
	s->generation++;
	s->joined_at = (int64_t)time(NULL);
	copy_field(s->name, sizeof s->name, name);
	copy_field(s->key_n, sizeof s->key_n, key_n);
	copy_field(s->key_e, sizeof s->key_e, key_e);
	copy_field(s->fingerprint, sizeof s->fingerprint, fingerprint);
	memset(&s->prekey, 0, sizeof s->prekey);
	memset(s->rooms, 0, sizeof s->rooms);
	copy_field(s->rooms[0], sizeof s->rooms[0], DEFAULT_ROOM);
	s->watching[0] = '\0';
	s->private_stream = 0;
	s->node[0] = '\0';
	__atomic_store_n(&s->state, SLOT_JOINING, __ATOMIC_RELEASE);
	ref->slot = (int)(s - p->slots);
	ref->generation = s->generation;
	presence_unlock(p);
	return PROTO_OK;
}

/* Return ref's slot if it still belongs to ref (lock held), else NULL. */
static struct presence_slot *
slot_of(struct presence *p, const struct presence_ref *ref)
{
	struct presence_slot	*s;

	if (ref->slot < 0 || (uint32_t)ref->slot >= p->hdr->capacity)
		return NULL;
	s = &p->slots[ref->slot];
	if (!slot_taken(s) || s->generation != ref->generation)
		return NULL;
	return s;
}

/* Copy ref's slot to *out if it is still ref's and active; 0, or -1. */
int
presence_get(struct presence *p, const struct presence_ref *ref,
    struct presence_slot *out)
{
	struct presence_slot	*s;
	int			 r = -1;

	presence_lock(p);
	if ((s = slot_of(p, ref)) != NULL && s->state == SLOT_ACTIVE) {
		memcpy(out, s, sizeof *out);
		r = 0;
	}
	unlock_read(p);
	return r;
}

/* Mark a claimed slot active (the user has been announced). */
void
presence_activate(struct presence *p, const struct presence_ref *ref)
{
	struct presence_slot	*s;

	presence_lock(p);
	if ((s = slot_of(p, ref)) != NULL)
		__atomic_store_n(&s->state, SLOT_ACTIVE, __ATOMIC_RELEASE);
	presence_unlock(p);
}

/* Free ref's slot; return 0, or -1 if it was not ref's any more. */
int
presence_release(struct presence *p, const struct presence_ref *ref)
{
	struct presence_slot	*s;
	int			 r = -1;

	presence_lock(p);
	if ((s = slot_of(p, ref)) != NULL) {
		s->private_stream = 0;
		__atomic_store_n(&s->state, SLOT_FREE, __ATOMIC_RELEASE);
		r = 0;
	}
	presence_unlock(p);
	return r;
}

/*
 * Called by the master when process pid has died: free every slot it
 * left behind (copying the last one into *gone, if any), and if it died
 * holding the lock, release the lock. Returns the number of slots freed.
 * The master runs this only after waitpid() says pid is gone, so a
 * recorded holder equal to pid cannot be running any more.
 */
int
presence_reap(struct presence *p, pid_t pid, struct presence_slot *gone)
{
	int	freed = 0;

	if (pid <= 0)
		return 0;	/* not a process: users of other nodes have 0 */
	if (__atomic_load_n(&p->hdr->holder, __ATOMIC_ACQUIRE) == pid) {
		/* Dead inside a critical section: repair, then unlock. */
		p->hdr->holder = getpid();
	} else
		presence_lock(p);
	for (uint32_t i = 0; i < p->hdr->capacity; i++) {
		struct presence_slot *s = &p->slots[i];

		if (!slot_taken(s) || s->pid != pid)
			continue;
		if (gone != NULL)
			memcpy(gone, s, sizeof *gone);
		/* Its private stream, if any, dies with it. */
		s->private_stream = 0;
		__atomic_store_n(&s->state, SLOT_FREE, __ATOMIC_RELEASE);
		freed++;
	}
	presence_unlock(p);
	return freed;
}

/* Return 1 if slot s is in room (ignoring case). */
int
presence_in_room(const struct presence_slot *s, const char *room)
{
	for (int i = 0; i < PRESENCE_MAX_ROOMS; i++)
		if (s->rooms[i][0] != '\0' &&
		    proto_name_equal(s->rooms[i], room))
			return 1;
	return 0;
}

/*
 * Add room to ref's rooms. Returns PROTO_OK (also if already a member),
 * PROTO_E_NO_SUCH_USER if the slot is gone, or PROTO_E_NO_SUCH_ROOM if
 * the user is already in PRESENCE_MAX_ROOMS rooms.
 */
int
presence_room_join(struct presence *p, const struct presence_ref *ref,
    const char *room)
{
	struct presence_slot	*s;
	int			 r = PROTO_E_NO_SUCH_ROOM;

	presence_lock(p);
	if ((s = slot_of(p, ref)) == NULL)
		r = PROTO_E_NO_SUCH_USER;
	else if (presence_in_room(s, room))
		r = PROTO_OK;
	else {
		for (int i = 0; i < PRESENCE_MAX_ROOMS; i++) {
			if (s->rooms[i][0] == '\0') {
				copy_field(s->rooms[i], sizeof s->rooms[i],
				    room);
				r = PROTO_OK;
				break;
			}
		}
	}
	presence_unlock(p);
	return r;
}

/* Remove room from ref's rooms; PROTO_OK or PROTO_E_NO_SUCH_ROOM. */
int
presence_room_leave(struct presence *p, const struct presence_ref *ref,
    const char *room)
{
	struct presence_slot	*s;
	int			 r = PROTO_E_NO_SUCH_ROOM;

	presence_lock(p);
	if ((s = slot_of(p, ref)) != NULL) {
		for (int i = 0; i < PRESENCE_MAX_ROOMS; i++) {
			if (s->rooms[i][0] != '\0' &&
			    proto_name_equal(s->rooms[i], room)) {
				s->rooms[i][0] = '\0';
				r = PROTO_OK;
			}
		}
	}
	presence_unlock(p);
	return r;
}

/* Record what ref is watching ("" for nothing); 0 or -1 if gone. */
int
presence_set_watching(struct presence *p, const struct presence_ref *ref,
    const char *title)
{
	struct presence_slot	*s;
	int			 r = -1;

	presence_lock(p);
	if ((s = slot_of(p, ref)) != NULL) {
		copy_field(s->watching, sizeof s->watching, title);
		r = 0;
	}
	presence_unlock(p);
	return r;
}

/*
 * Record ref's signed prekey (strings checked by msg.c, the signature by
 * the session); 0, or -1 if the slot is gone or a field too long.
 */
int
presence_set_prekey(struct presence *p, const struct presence_ref *ref,
    const struct presence_prekey *pk)
{
	struct presence_slot	*s;
	int			 r = -1;

	if (strlen(pk->key) > PRESENCE_PREKEY_MAX ||
	    strlen(pk->sig) > PRESENCE_PREKEY_SIG_MAX)
		return -1;
	presence_lock(p);
	if ((s = slot_of(p, ref)) != NULL) {
		s->prekey = *pk;
		r = 0;
	}
	presence_unlock(p);
	return r;
}

/*
 * Set how many of our users may have a private stream at once (the
 * master, before it forks; 0: none may).
 */
void
presence_set_private_max(struct presence *p, unsigned int max)
{
	p->hdr->private_max = max;
}

/* Return how many private streams are allowed at once. */
unsigned int
presence_private_max(const struct presence *p)
{
	return p->hdr->private_max;
}

/* Return the number of taken slots with a private stream (lock held). */
static unsigned int
count_private(const struct presence *p)
{
	unsigned int	n = 0;

	for (uint32_t i = 0; i < p->hdr->capacity; i++)
		n += slot_taken(&p->slots[i]) && p->slots[i].private_stream;
	return n;
}

/*
 * Record that ref's session decodes a stream of its own, if fewer than
 * private_max do; the count and the claim happen under one lock, and the
 * mark goes when the slot is freed, also by the master's reap of a dead
 * session. Returns 0 (also if ref had one already), or -1 if all are in
 * use or ref's slot is gone (or a user of another node's).
 */
int
presence_private_take(struct presence *p, const struct presence_ref *ref)
{
	struct presence_slot	*s;
	int			 r = -1;

	presence_lock(p);
	if ((s = slot_of(p, ref)) != NULL && s->node[0] == '\0' &&
	    (s->private_stream || count_private(p) < p->hdr->private_max)) {
		s->private_stream = 1;
		r = 0;
	}
	presence_unlock(p);
	return r;
}

/* ref's session stopped decoding a stream of its own. */
void
presence_private_drop(struct presence *p, const struct presence_ref *ref)
{
	struct presence_slot	*s;

	presence_lock(p);
	if ((s = slot_of(p, ref)) != NULL)
		s->private_stream = 0;
	presence_unlock(p);
}

/* Return the number of private streams now. */
unsigned int
presence_private_count(struct presence *p)
{
	unsigned int	n;

	presence_lock(p);
	n = count_private(p);
	unlock_read(p);
	return n;
}

/* Copy active slots (only ours if local_only) under the lock. */
static size_t
copy_active(struct presence *p, struct presence_slot *out,
    struct presence_ref *refs, size_t max, int local_only)
{
	size_t	n = 0;

	presence_lock(p);
	for (uint32_t i = 0; i < p->hdr->capacity && n < max; i++) {
		if (p->slots[i].state != SLOT_ACTIVE ||
		    (local_only && p->slots[i].node[0] != '\0'))
			continue;
		if (refs != NULL) {
			refs[n].slot = (int)i;
			refs[n].generation = p->slots[i].generation;
		}
		memcpy(&out[n++], &p->slots[i], sizeof *out);
	}
	unlock_read(p);
	return n;
}

/*
 * Copy up to max active slots into out, and their references into refs
 * (if not NULL); return how many were copied.
 */
size_t
presence_snapshot(struct presence *p, struct presence_slot *out,
    struct presence_ref *refs, size_t max)
{
	return copy_active(p, out, refs, max, 0);
}

/* The same for our own users only (a cluster node's local users). */
size_t
presence_local(struct presence *p, struct presence_slot *out,
    struct presence_ref *refs, size_t max)
{
	return copy_active(p, out, refs, max, 1);
}

/*
 * Find the active user called name (ignoring case); copy its slot to *out
 * and its reference to *ref (either may be NULL). Returns 0 or -1.
 */
int
presence_find(struct presence *p, const char *name, struct presence_slot *out,
    struct presence_ref *ref)
{
	int	r = -1;

	presence_lock(p);
	for (uint32_t i = 0; i < p->hdr->capacity; i++) {
		struct presence_slot *s = &p->slots[i];

		if (s->state != SLOT_ACTIVE || !proto_name_equal(s->name, name))
			continue;
		if (out != NULL)
			memcpy(out, s, sizeof *out);
		if (ref != NULL) {
			ref->slot = (int)i;
			ref->generation = s->generation;
		}
		r = 0;
		break;
	}
	unlock_read(p);
	return r;
}

/* Return the number of taken slots. */
unsigned int
presence_count(struct presence *p)
{
	unsigned int	n = 0;

	presence_lock(p);
	for (uint32_t i = 0; i < p->hdr->capacity; i++)
		n += slot_taken(&p->slots[i]);
	unlock_read(p);
	return n;
}

/*
 * Add or update a user of another node (u->node set): the slot of that
 * node's user of the same name is updated, else a free slot is taken
 * (never one of those kept for our own users). Sets *ref, and *created
 * to 1 for a user new to the table. Returns PROTO_OK, PROTO_E_NAME_TAKEN
 * if one of ours or another node's has the name, or PROTO_E_SERVER_FULL.
 */
int
presence_remote_put(struct presence *p, const struct presence_slot *u,
    struct presence_ref *ref, int *created)
{
	struct presence_slot	*s, *found = NULL, *free_slot = NULL;
	uint32_t		 local = 0, nfree = 0;
	int			 r = PROTO_OK;

	*created = 0;
	presence_lock(p);
	for (uint32_t i = 0; i < p->hdr->capacity; i++) {
		s = &p->slots[i];
		if (!slot_taken(s)) {
			nfree++;
			if (free_slot == NULL)
				free_slot = s;
			continue;
		}
		local += s->node[0] == '\0';
		if (found == NULL && proto_name_equal(s->name, u->name))
			found = s;
	}
	if (found != NULL && (found->state != SLOT_ACTIVE ||
	    strcmp(found->node, u->node) != 0))
		r = PROTO_E_NAME_TAKEN;
	else if (found == NULL && (free_slot == NULL ||
	    nfree <= (p->hdr->local_max > local ? p->hdr->local_max - local :
	    0)))
		r = PROTO_E_SERVER_FULL;
	if (r != PROTO_OK) {
		presence_unlock(p);
		return r;
	}
	if ((s = found) == NULL) {
		s = free_slot;
		s->generation++;
		*created = 1;
	} else if (s->remote_slot != u->remote_slot ||
	    s->remote_gen != u->remote_gen)
		s->generation++;	/* a new session: old references die */
	s->pid = 0;
	s->joined_at = u->joined_at;
	copy_field(s->name, sizeof s->name, u->name);
	copy_field(s->key_n, sizeof s->key_n, u->key_n);
	copy_field(s->key_e, sizeof s->key_e, u->key_e);
	copy_field(s->fingerprint, sizeof s->fingerprint, u->fingerprint);
	s->prekey = u->prekey;
	memcpy(s->rooms, u->rooms, sizeof s->rooms);
	copy_field(s->watching, sizeof s->watching, u->watching);
	s->private_stream = 0;	/* decoded on its own node, not here */
	copy_field(s->node, sizeof s->node, u->node);
	s->remote_slot = u->remote_slot;
	s->remote_gen = u->remote_gen;
	__atomic_store_n(&s->state, SLOT_ACTIVE, __ATOMIC_RELEASE);
	ref->slot = (int)(s - p->slots);
	ref->generation = s->generation;
	presence_unlock(p);
	return PROTO_OK;
}

/* Remove a user of another node, copying it to *gone; 0, or -1. */
int
presence_remote_drop(struct presence *p, const struct presence_ref *ref,
    struct presence_slot *gone)
{
	struct presence_slot	*s;
	int			 r = -1;

	presence_lock(p);
	if ((s = slot_of(p, ref)) != NULL && s->node[0] != '\0') {
		if (gone != NULL)
			memcpy(gone, s, sizeof *gone);
		__atomic_store_n(&s->state, SLOT_FREE, __ATOMIC_RELEASE);
		r = 0;
	}
	presence_unlock(p);
	return r;
}

/* Read by the broker and cluster mode. */

/* Return how many slots the table has, ours and other nodes' users. */
uint32_t
presence_capacity(const struct presence *p)
{
	return p->hdr->capacity;
}

/* Return the table's generation, bumped on every change. */
uint32_t
presence_generation(const struct presence *p)
{
	return __atomic_load_n(&p->hdr->generation, __ATOMIC_ACQUIRE);
}

/*
 * Return 1 if slot (in range) is active with generation, else 0. A read
 * without the lock: the state is read first, then what it guards.
 */
int
presence_slot_active(const struct presence *p, uint32_t slot,
    uint32_t generation)
{
	const struct presence_slot	*s = &p->slots[slot];

	return __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == SLOT_ACTIVE &&
	    s->generation == generation;
}

/*
 * Return 1 if slot (in range) is held by process pid with generation,
 * else 0. A read without the lock: pid and generation are stable while
 * the session that owns them is alive.
 */
int
presence_slot_owned(const struct presence *p, uint32_t slot,
    uint32_t generation, pid_t pid)
{
	const struct presence_slot	*s = &p->slots[slot];

	return s->pid == pid && s->generation == generation;
}

/* Return the generation of slot (in range), read without the lock. */
uint32_t
presence_slot_generation(const struct presence *p, uint32_t slot)
{
	return p->slots[slot].generation;
}

/* Return 1 if slot (in range) is a user of another node, else 0. */
int
presence_slot_remote(const struct presence *p, uint32_t slot)
{
	return p->slots[slot].node[0] != '\0';
}
