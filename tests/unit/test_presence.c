/* Unit tests for presence.c: the shared-memory table and its lock. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "presence.h"

#define FP	"SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static struct presence table;
static struct presence cluster;	/* 2 local and 3 remote users */

static int
setup(void **state)
{
	(void)state;
	return presence_create(&table, 4, 0);
}

static int
teardown(void **state)
{
	(void)state;
	presence_destroy(&table);
	return 0;
}

/* Claim name for pid and activate it; return the result code. */
static int
join(const char *name, pid_t pid, struct presence_ref *ref)
{
	int	r = presence_claim(&table, name, pid, "nnnn", "AQAB", FP, ref);

	if (r == PROTO_OK)
		presence_activate(&table, ref);
	return r;
}

static int
cluster_setup(void **state)
{
	(void)state;
	return presence_create(&cluster, 2, 3);
}

static int
cluster_teardown(void **state)
{
	(void)state;
	presence_destroy(&cluster);
	return 0;
}

/* Claim name in the cluster table for pid and activate it. */
static int
cjoin(const char *name, pid_t pid, struct presence_ref *ref)
{
	int	r;

	r = presence_claim(&cluster, name, pid, "nnnn", "AQAB", FP, ref);

	if (r == PROTO_OK)
		presence_activate(&cluster, ref);
	return r;
}

/* Fill *u as user name of node, in slot rslot generation rgen there. */
static void
remote_user(struct presence_slot *u, const char *name, const char *node,
    int32_t rslot, uint32_t rgen)
{
	memset(u, 0, sizeof *u);
	u->state = SLOT_ACTIVE;
	u->joined_at = 1700000000;
	snprintf(u->name, sizeof u->name, "%s", name);
	snprintf(u->key_n, sizeof u->key_n, "rrrr");
	snprintf(u->key_e, sizeof u->key_e, "AQAB");
	snprintf(u->fingerprint, sizeof u->fingerprint, "%s", FP);
	snprintf(u->rooms[0], sizeof u->rooms[0], "%s", DEFAULT_ROOM);
	snprintf(u->node, sizeof u->node, "%s", node);
	u->remote_slot = rslot;
	u->remote_gen = rgen;
}

/* Put user name of node into the cluster table; the result code. */
static int
rput(const char *name, const char *node, int32_t rslot, uint32_t rgen,
    struct presence_ref *ref, int *created)
{
	struct presence_slot	u;

	remote_user(&u, name, node, rslot, rgen);
	*created = -1;
	return presence_remote_put(&cluster, &u, ref, created);
}

static void
test_create_header(void **state)
{
	(void)state;
	assert_int_equal(table.hdr->magic, PRESENCE_MAGIC);
	assert_int_equal(table.hdr->version, PRESENCE_VERSION);
	assert_int_equal(table.hdr->capacity, 4);
	assert_int_equal(table.hdr->holder, 0);
	assert_int_equal(presence_count(&table), 0);
	/* Shared memory is unlinked at once: nothing named is left. */
	assert_int_equal(system("ls /dev/shm | grep -q \"^tvchatd-$PPID-\""),
	    256);
}

static void
test_claim_unique_and_full(void **state)
{
	struct presence_ref	a, b, c, d, e;
	struct presence_slot	snap[8];
	struct presence_ref	refs[2];
	unsigned int		gen = table.hdr->generation;

	(void)state;
	assert_int_equal(join("alice", 101, &a), PROTO_OK);
	assert_true(table.hdr->generation > gen);
	assert_int_equal(join("ALICE", 102, &b), PROTO_E_NAME_TAKEN);
	assert_int_equal(join("bob", 102, &b), PROTO_OK);
	assert_int_equal(join("carol", 103, &c), PROTO_OK);
	/* A slot still joining also holds its name. */
	assert_int_equal(presence_claim(&table, "dave", 104, "n", "e", FP, &d),
	    PROTO_OK);
	assert_int_equal(join("Dave", 105, &e), PROTO_E_NAME_TAKEN);
	assert_int_equal(join("erin", 105, &e), PROTO_E_SERVER_FULL);
	assert_int_equal(presence_count(&table), 4);
	/* Only active slots are listed, with their fields. */
	assert_int_equal(presence_snapshot(&table, snap, NULL, 8), 3);
	assert_string_equal(snap[0].name, "alice");
	assert_int_equal(snap[0].pid, 101);
	assert_string_equal(snap[0].fingerprint, FP);
	assert_string_equal(snap[0].rooms[0], DEFAULT_ROOM);
	assert_int_equal(presence_snapshot(&table, snap, refs, 2), 2);
	assert_int_equal(refs[0].slot, a.slot);
	assert_int_equal(refs[0].generation, a.generation);
	assert_int_equal(refs[1].slot, b.slot);

	/* Releasing frees the name; a stale reference cannot free again. */
	assert_int_equal(presence_release(&table, &b), 0);
	assert_int_equal(presence_release(&table, &b), -1);
	assert_int_equal(join("erin", 105, &e), PROTO_OK);
	assert_int_equal(e.slot, b.slot);
	assert_true(e.generation != b.generation);
	assert_int_equal(presence_release(&table, &b), -1);
	assert_int_equal(presence_count(&table), 4);
	/* Too-long key members are refused before touching the table. */
	{
		char long_n[PRESENCE_JWK_N_MAX + 2];

		memset(long_n, 'A', sizeof long_n - 1);
		long_n[sizeof long_n - 1] = '\0';
		assert_int_equal(presence_claim(&table, "zed", 1, long_n,
		    "AQAB", FP, &b), PROTO_E_KEY);
	}
	presence_release(&table, &a);
	presence_release(&table, &c);
	presence_release(&table, &d);
	presence_release(&table, &e);
	assert_int_equal(presence_count(&table), 0);
}

static void
test_rooms_and_find(void **state)
{
	struct presence_ref	a, found;
	struct presence_slot	s;
	char			room[8];

	(void)state;
	assert_int_equal(join("alice", 201, &a), PROTO_OK);
	assert_int_equal(presence_find(&table, "ALICE", &s, &found), 0);
	assert_int_equal(found.slot, a.slot);
	assert_true(presence_in_room(&s, "#LOBBY"));
	assert_false(presence_in_room(&s, "#dev"));
	assert_int_equal(presence_find(&table, "nobody", NULL, NULL), -1);

	assert_int_equal(presence_room_join(&table, &a, "#dev"), PROTO_OK);
	assert_int_equal(presence_room_join(&table, &a, "#Dev"), PROTO_OK);
	assert_int_equal(presence_find(&table, "alice", &s, NULL), 0);
	assert_true(presence_in_room(&s, "#dev"));
	assert_int_equal(presence_room_leave(&table, &a, "#DEV"), PROTO_OK);
	assert_int_equal(presence_room_leave(&table, &a, "#dev"),
	    PROTO_E_NO_SUCH_ROOM);
	assert_int_equal(presence_find(&table, "alice", &s, NULL), 0);
	assert_false(presence_in_room(&s, "#dev"));

	/* Rooms per user are bounded. */
	for (int i = 1; i < PRESENCE_MAX_ROOMS; i++) {
		snprintf(room, sizeof room, "#r%d", i);
		assert_int_equal(presence_room_join(&table, &a, room), PROTO_OK);
	}
	assert_int_equal(presence_room_join(&table, &a, "#full"),
	    PROTO_E_NO_SUCH_ROOM);

	assert_int_equal(presence_set_watching(&table, &a, "testcard"), 0);
	assert_int_equal(presence_find(&table, "alice", &s, NULL), 0);
	assert_string_equal(s.watching, "testcard");
	presence_release(&table, &a);
	assert_int_equal(presence_set_watching(&table, &a, "x"), -1);
	assert_int_equal(presence_room_join(&table, &a, "#x"),
	    PROTO_E_NO_SUCH_USER);
}

static void
test_reap_dead_session(void **state)
{
	struct presence_ref	ref;
	struct presence_slot	gone;
	pid_t			pid;
	int			status;

	(void)state;
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct presence_ref r;

		_exit(join("ghost", getpid(), &r) == PROTO_OK ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The child left its slot behind; the master frees it. */
	assert_int_equal(presence_find(&table, "ghost", NULL, &ref), 0);
	assert_int_equal(presence_reap(&table, pid, &gone), 1);
	assert_string_equal(gone.name, "ghost");
	assert_int_equal(presence_find(&table, "ghost", NULL, NULL), -1);
	assert_int_equal(presence_reap(&table, pid, NULL), 0);
}

static void
test_reap_lock_holder(void **state)
{
	struct presence_ref	ref;
	pid_t			pid;
	int			fds[2], status;
	char			c;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct presence_ref r;

		close(fds[0]);
		join("holder", getpid(), &r);
		/* Die inside a critical section with a half-made slot. */
		presence_lock(&table);
		table.slots[3].state = SLOT_JOINING;
		table.slots[3].pid = getpid();
		if (write(fds[1], "x", 1) != 1)
			_exit(2);
		pause();
		_exit(1);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	assert_int_equal(table.hdr->holder, pid);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	/* Repair frees both of its slots and releases the lock. */
	assert_int_equal(presence_reap(&table, pid, NULL), 2);
	assert_int_equal(table.hdr->holder, 0);
	assert_int_equal(join("after", 301, &ref), PROTO_OK);
	assert_int_equal(presence_count(&table), 1);
	presence_release(&table, &ref);
}

/*
 * A remote user is created once, then updated in place; a new session
 * of it (another slot or generation on its node) kills old references.
 */
static void
test_remote_put_update(void **state)
{
	struct presence_slot	u, s;
	struct presence_ref	a, b, c, d;
	int			created;

	(void)state;
	assert_int_equal(rput("rita", "node-b", 7, 1, &a, &created), PROTO_OK);
	assert_int_equal(created, 1);
	assert_int_equal(presence_count(&cluster), 1);
	assert_int_equal(presence_get(&cluster, &a, &s), 0);
	assert_int_equal(s.state, SLOT_ACTIVE);
	assert_int_equal(s.pid, 0);
	assert_string_equal(s.name, "rita");
	assert_string_equal(s.node, "node-b");
	assert_string_equal(s.key_n, "rrrr");
	assert_string_equal(s.fingerprint, FP);
	assert_string_equal(s.rooms[0], DEFAULT_ROOM);
	assert_int_equal(s.remote_slot, 7);
	assert_int_equal(s.remote_gen, 1);
	assert_int_equal(s.joined_at, 1700000000);

	/* The same session again: an update of the same slot and ref. */
	remote_user(&u, "rita", "node-b", 7, 1);
	snprintf(u.rooms[0], sizeof u.rooms[0], "#dev");
	snprintf(u.watching, sizeof u.watching, "testcard");
	assert_int_equal(presence_remote_put(&cluster, &u, &b, &created),
	    PROTO_OK);
	assert_int_equal(created, 0);
	assert_int_equal(b.slot, a.slot);
	assert_int_equal(b.generation, a.generation);
	assert_int_equal(presence_get(&cluster, &a, &s), 0);
	assert_string_equal(s.rooms[0], "#dev");
	assert_false(presence_in_room(&s, DEFAULT_ROOM));
	assert_string_equal(s.watching, "testcard");
	assert_int_equal(presence_count(&cluster), 1);

	/* A new session of rita on node-b: same slot, new generation. */
	assert_int_equal(rput("rita", "node-b", 9, 1, &c, &created), PROTO_OK);
	assert_int_equal(created, 0);
	assert_int_equal(c.slot, a.slot);
	assert_true(c.generation != a.generation);
	assert_int_equal(presence_get(&cluster, &a, &s), -1);
	assert_int_equal(presence_get(&cluster, &c, &s), 0);
	assert_int_equal(s.remote_slot, 9);
	assert_string_equal(s.watching, "");
	/* Only the generation on its node changes: also a new session. */
	assert_int_equal(rput("rita", "node-b", 9, 2, &d, &created), PROTO_OK);
	assert_int_equal(created, 0);
	assert_int_equal(d.slot, a.slot);
	assert_true(d.generation != c.generation);
	assert_int_equal(presence_get(&cluster, &c, &s), -1);
	assert_int_equal(presence_get(&cluster, &d, &s), 0);
	assert_int_equal(s.remote_gen, 2);
	assert_int_equal(presence_count(&cluster), 1);
	/* A dead reference cannot remove the user. */
	assert_int_equal(presence_remote_drop(&cluster, &a, NULL), -1);
	assert_int_equal(presence_count(&cluster), 1);
}

/*
 * A remote user cannot take a name one of ours has (also while ours is
 * still joining), nor one a user of another node has; any case.
 */
static void
test_remote_name_taken(void **state)
{
	struct presence_slot	s;
	struct presence_ref	a, d, r, x;
	int			created;

	(void)state;
	assert_int_equal(cjoin("alice", 401, &a), PROTO_OK);
	assert_int_equal(rput("alice", "node-b", 1, 1, &x, &created),
	    PROTO_E_NAME_TAKEN);
	assert_int_equal(created, 0);
	assert_int_equal(rput("ALICE", "node-b", 1, 1, &x, &created),
	    PROTO_E_NAME_TAKEN);
	assert_int_equal(presence_claim(&cluster, "dave", 402, "n", "e", FP,
	    &d), PROTO_OK);
	assert_int_equal(rput("Dave", "node-b", 2, 1, &x, &created),
	    PROTO_E_NAME_TAKEN);

	assert_int_equal(rput("rita", "node-b", 3, 1, &r, &created), PROTO_OK);
	assert_int_equal(rput("rita", "node-c", 3, 1, &x, &created),
	    PROTO_E_NAME_TAKEN);
	assert_int_equal(created, 0);
	assert_int_equal(rput("RITA", "node-c", 4, 1, &x, &created),
	    PROTO_E_NAME_TAKEN);
	/* Refusals change nothing. */
	assert_int_equal(presence_count(&cluster), 3);
	assert_int_equal(presence_get(&cluster, &r, &s), 0);
	assert_string_equal(s.node, "node-b");
	assert_int_equal(s.remote_slot, 3);
	assert_int_equal(presence_get(&cluster, &a, &s), 0);
	assert_string_equal(s.node, "");
	assert_int_equal(s.pid, 401);
}

/* One of ours cannot claim a name a user of another node has. */
static void
test_claim_remote_name(void **state)
{
	struct presence_ref	r, x;
	int			created;

	(void)state;
	assert_int_equal(rput("rita", "node-b", 3, 1, &r, &created), PROTO_OK);
	assert_int_equal(cjoin("rita", 501, &x), PROTO_E_NAME_TAKEN);
	assert_int_equal(cjoin("Rita", 501, &x), PROTO_E_NAME_TAKEN);
	assert_int_equal(presence_count(&cluster), 1);
	/* Once the remote user is gone, the name is free here. */
	assert_int_equal(presence_remote_drop(&cluster, &r, NULL), 0);
	assert_int_equal(cjoin("rita", 501, &x), PROTO_OK);
}

/*
 * Remote users never take the slots kept for ours, and ours never take
 * more than their share even if slots are free.
 */
static void
test_remote_slots_kept(void **state)
{
	struct presence_ref	r1, r2, r3, r4, a, b, c;
	int			created;

	(void)state;
	assert_int_equal(rput("r1", "node-b", 1, 1, &r1, &created), PROTO_OK);
	assert_int_equal(rput("r2", "node-b", 2, 1, &r2, &created), PROTO_OK);
	assert_int_equal(rput("r3", "node-c", 1, 1, &r3, &created), PROTO_OK);
	assert_int_equal(rput("r4", "node-c", 2, 1, &r4, &created),
	    PROTO_E_SERVER_FULL);
	assert_int_equal(created, 0);
	assert_int_equal(presence_count(&cluster), 3);
	assert_int_equal(cjoin("alice", 601, &a), PROTO_OK);
	assert_int_equal(cjoin("bob", 602, &b), PROTO_OK);
	assert_int_equal(presence_count(&cluster), 5);
	/* A full table still takes updates of the users it has. */
	assert_int_equal(rput("r1", "node-b", 1, 1, &r1, &created), PROTO_OK);
	assert_int_equal(created, 0);

	/* A free slot, but ours already have their two. */
	assert_int_equal(presence_remote_drop(&cluster, &r1, NULL), 0);
	assert_int_equal(cjoin("carol", 603, &c), PROTO_E_SERVER_FULL);
	assert_int_equal(presence_claim(&cluster, "carol", 603, "n", "e", FP,
	    &c), PROTO_E_SERVER_FULL);
	assert_int_equal(presence_count(&cluster), 4);
	/* With ours all here, the free slot can go to a remote user. */
	assert_int_equal(rput("r4", "node-c", 2, 1, &r4, &created), PROTO_OK);
	assert_int_equal(created, 1);
	assert_int_equal(presence_count(&cluster), 5);

	/* One of ours leaves: its slot is kept for ours again. */
	assert_int_equal(presence_release(&cluster, &a), 0);
	assert_int_equal(rput("r5", "node-c", 3, 1, &r2, &created),
	    PROTO_E_SERVER_FULL);
	assert_int_equal(cjoin("carol", 603, &c), PROTO_OK);
	assert_int_equal(presence_count(&cluster), 5);
}

/* A user of ours who is only joining still holds a slot kept for ours. */
static void
test_remote_slots_kept_joining(void **state)
{
	struct presence_ref	r, a, b;
	int			created;

	(void)state;
	assert_int_equal(presence_claim(&cluster, "alice", 701, "n", "e", FP,
	    &a), PROTO_OK);
	assert_int_equal(rput("r1", "node-b", 1, 1, &r, &created), PROTO_OK);
	assert_int_equal(rput("r2", "node-b", 2, 1, &r, &created), PROTO_OK);
	assert_int_equal(rput("r3", "node-b", 3, 1, &r, &created), PROTO_OK);
	/* One slot is free and it is kept for ours. */
	assert_int_equal(rput("r4", "node-b", 4, 1, &r, &created),
	    PROTO_E_SERVER_FULL);
	assert_int_equal(cjoin("bob", 702, &b), PROTO_OK);
	assert_int_equal(presence_count(&cluster), 5);
}

/* presence_local lists our active users only; a snapshot lists all. */
static void
test_local_and_snapshot(void **state)
{
	struct presence_slot	out[5];
	struct presence_ref	refs[5], a, c, r, q;
	int			created;

	(void)state;
	assert_int_equal(cjoin("alice", 801, &a), PROTO_OK);
	assert_int_equal(presence_claim(&cluster, "carol", 802, "n", "e", FP,
	    &c), PROTO_OK);
	assert_int_equal(rput("rita", "node-b", 1, 1, &r, &created), PROTO_OK);
	assert_int_equal(rput("ross", "node-c", 1, 1, &q, &created), PROTO_OK);

	memset(refs, 0xff, sizeof refs);
	assert_int_equal(presence_local(&cluster, out, refs, 5), 1);
	assert_string_equal(out[0].name, "alice");
	assert_string_equal(out[0].node, "");
	assert_int_equal(out[0].pid, 801);
	assert_int_equal(refs[0].slot, a.slot);
	assert_int_equal(refs[0].generation, a.generation);
	assert_int_equal(refs[1].slot, -1);

	assert_int_equal(presence_snapshot(&cluster, out, refs, 5), 3);
	assert_string_equal(out[0].name, "alice");
	assert_string_equal(out[1].name, "rita");
	assert_string_equal(out[1].node, "node-b");
	assert_int_equal(refs[1].slot, r.slot);
	assert_int_equal(refs[1].generation, r.generation);
	assert_string_equal(out[2].name, "ross");
	assert_string_equal(out[2].node, "node-c");
	assert_int_equal(refs[2].slot, q.slot);

	/* Carol counts once she is announced; max bounds the copy. */
	presence_activate(&cluster, &c);
	assert_int_equal(presence_local(&cluster, out, NULL, 5), 2);
	assert_string_equal(out[0].name, "alice");
	assert_string_equal(out[1].name, "carol");
	assert_int_equal(presence_local(&cluster, out, NULL, 1), 1);
	assert_int_equal(presence_local(&cluster, out, NULL, 0), 0);
	assert_int_equal(presence_snapshot(&cluster, out, NULL, 5), 4);

	/* With only remote users there are none of ours. */
	presence_release(&cluster, &a);
	presence_release(&cluster, &c);
	assert_int_equal(presence_local(&cluster, out, refs, 5), 0);
	assert_int_equal(presence_snapshot(&cluster, out, refs, 5), 2);
}

/* presence_remote_drop frees a remote user's slot, never one of ours. */
static void
test_remote_drop(void **state)
{
	struct presence_slot	gone, s;
	struct presence_ref	a, r, q, bad;
	int			created;

	(void)state;
	assert_int_equal(cjoin("alice", 901, &a), PROTO_OK);
	assert_int_equal(rput("rita", "node-b", 7, 3, &r, &created), PROTO_OK);
	assert_int_equal(presence_count(&cluster), 2);

	memset(&gone, 0, sizeof gone);
	assert_int_equal(presence_remote_drop(&cluster, &r, &gone), 0);
	assert_string_equal(gone.name, "rita");
	assert_string_equal(gone.node, "node-b");
	assert_int_equal(gone.remote_slot, 7);
	assert_int_equal(gone.remote_gen, 3);
	assert_int_equal(gone.state, SLOT_ACTIVE);
	assert_int_equal(presence_count(&cluster), 1);
	assert_int_equal(presence_get(&cluster, &r, &s), -1);
	assert_int_equal(presence_find(&cluster, "rita", NULL, NULL), -1);
	assert_int_equal(presence_remote_drop(&cluster, &r, &gone), -1);

	/* Ours are not dropped, and *gone is left alone. */
	memset(&gone, 0, sizeof gone);
	assert_int_equal(presence_remote_drop(&cluster, &a, &gone), -1);
	assert_string_equal(gone.name, "");
	assert_int_equal(presence_get(&cluster, &a, &s), 0);
	assert_int_equal(presence_count(&cluster), 1);
	/* Nor are slots that do not exist. */
	bad.slot = -1;
	bad.generation = 0;
	assert_int_equal(presence_remote_drop(&cluster, &bad, NULL), -1);
	bad.slot = 5;
	assert_int_equal(presence_remote_drop(&cluster, &bad, NULL), -1);

	/* The slot and the name are free again; gone may be NULL. */
	assert_int_equal(rput("rita", "node-c", 1, 1, &q, &created), PROTO_OK);
	assert_int_equal(created, 1);
	assert_int_equal(q.slot, r.slot);
	assert_true(q.generation != r.generation);
	assert_int_equal(presence_remote_drop(&cluster, &q, NULL), 0);
	assert_int_equal(presence_count(&cluster), 1);
}

/* A slot a remote user left is wholly ours when one of ours claims it. */
static void
test_remote_slot_reused_local(void **state)
{
	struct presence_slot	out[5];
	struct presence_ref	r, a, x;
	int			created;

	(void)state;
	assert_int_equal(rput("rita", "node-b", 4, 2, &r, &created), PROTO_OK);
	assert_int_equal(presence_remote_drop(&cluster, &r, NULL), 0);
	assert_int_equal(presence_claim(&cluster, "alice", 1101, "n", "e", FP,
	    &a), PROTO_OK);
	assert_int_equal(a.slot, r.slot);
	/* Joining, alice's name is hers, whichever node asks. */
	assert_int_equal(rput("alice", "node-b", 4, 2, &x, &created),
	    PROTO_E_NAME_TAKEN);
	presence_activate(&cluster, &a);
	assert_int_equal(presence_local(&cluster, out, NULL, 5), 1);
	assert_string_equal(out[0].name, "alice");
	assert_string_equal(out[0].node, "");
	assert_int_equal(presence_remote_drop(&cluster, &a, NULL), -1);
	assert_int_equal(presence_count(&cluster), 1);
}

/* Reaping a dead session frees its slots only, never remote users. */
static void
test_reap_spares_remote(void **state)
{
	struct presence_slot	gone, s;
	struct presence_ref	a, b, r, q;
	int			created;

	(void)state;
	/* Rita gets the slot a dead session of pid 1001 had. */
	assert_int_equal(cjoin("alice", 1001, &a), PROTO_OK);
	assert_int_equal(presence_release(&cluster, &a), 0);
	assert_int_equal(rput("rita", "node-b", 1, 1, &r, &created), PROTO_OK);
	assert_int_equal(r.slot, a.slot);
	assert_int_equal(presence_reap(&cluster, 1001, NULL), 0);
	assert_int_equal(presence_get(&cluster, &r, &s), 0);

	assert_int_equal(cjoin("bob", 1002, &b), PROTO_OK);
	assert_int_equal(rput("ross", "node-c", 1, 1, &q, &created), PROTO_OK);
	assert_int_equal(presence_reap(&cluster, 1003, NULL), 0);
	assert_int_equal(presence_reap(&cluster, 1002, &gone), 1);
	assert_string_equal(gone.name, "bob");
	assert_int_equal(presence_count(&cluster), 2);
	assert_int_equal(presence_get(&cluster, &r, &s), 0);
	assert_int_equal(presence_get(&cluster, &q, &s), 0);
	assert_int_equal(cluster.hdr->holder, 0);
}

/*
 * Private streams: at most private_max slots hold one; taking twice is
 * one; the mark goes with a drop, a release or the master's reap, and a
 * slot claimed again starts without.
 */
static void
test_private_cap(void **state)
{
	struct presence_ref	a, b, c, stale;
	pid_t			pid;
	int			status;

	(void)state;
	presence_set_private_max(&table, 2);
	assert_int_equal(presence_private_max(&table), 2);
	assert_int_equal(join("alice", 401, &a), PROTO_OK);
	assert_int_equal(join("bob", 402, &b), PROTO_OK);
	assert_int_equal(join("carol", 403, &c), PROTO_OK);
	assert_int_equal(presence_private_take(&table, &a), 0);
	assert_int_equal(presence_private_take(&table, &a), 0);
	assert_int_equal(presence_private_count(&table), 1);
	assert_int_equal(presence_private_take(&table, &b), 0);
	assert_int_equal(presence_private_take(&table, &c), -1);
	assert_int_equal(presence_private_count(&table), 2);
	/* A stop gives one back. */
	presence_private_drop(&table, &a);
	assert_int_equal(presence_private_take(&table, &c), 0);
	assert_int_equal(presence_private_take(&table, &a), -1);
	/* Leaving gives one back, and the slot's next user has none. */
	stale = b;
	assert_int_equal(presence_release(&table, &b), 0);
	assert_int_equal(presence_private_count(&table), 1);
	assert_int_equal(presence_private_take(&table, &stale), -1);
	assert_int_equal(join("bert", 404, &b), PROTO_OK);
	assert_int_equal(b.slot, stale.slot);
	assert_int_equal(presence_private_count(&table), 1);
	presence_private_drop(&table, &stale);	/* not bert's: no effect */
	assert_int_equal(presence_private_count(&table), 1);

	/* A session killed with one: the master's reap gives it back. */
	presence_private_drop(&table, &c);
	assert_int_equal(presence_private_take(&table, &a), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct presence_ref r;

		if (join("ghost", getpid(), &r) != PROTO_OK ||
		    presence_private_take(&table, &r) != 0)
			_exit(1);
		pause();
		_exit(2);
	}
	while (presence_private_count(&table) < 2)
		usleep(1000);
	assert_int_equal(presence_private_take(&table, &b), -1);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(presence_private_count(&table), 2);
	assert_int_equal(presence_reap(&table, pid, NULL), 1);
	assert_int_equal(presence_private_count(&table), 1);
	assert_int_equal(presence_private_take(&table, &b), 0);

	/* 0: nobody may. */
	presence_private_drop(&table, &a);
	presence_private_drop(&table, &b);
	presence_set_private_max(&table, 0);
	assert_int_equal(presence_private_take(&table, &a), -1);
	presence_release(&table, &a);
	presence_release(&table, &b);
	presence_release(&table, &c);
	assert_int_equal(presence_private_count(&table), 0);
}

/*
 * Sessions racing for the last private streams: the count and the take
 * are one step, so exactly private_max of them get one.
 */
static void
test_private_race(void **state)
{
	pid_t	pids[4];
	int	go[2], status, won = 0;
	char	c;

	(void)state;
	presence_set_private_max(&table, 2);
	assert_int_equal(pipe(go), 0);
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		assert_true(pids[i] != -1);
		if (pids[i] == 0) {
			struct presence_ref	r;
			char			name[16];

			close(go[1]);
			snprintf(name, sizeof name, "racer%d", i);
			if (join(name, getpid(), &r) != PROTO_OK ||
			    read(go[0], &c, 1) != 0)
				_exit(2);
			_exit(presence_private_take(&table, &r) == 0 ? 0 : 1);
		}
	}
	close(go[0]);
	while (presence_count(&table) < 4)
		usleep(1000);
	close(go[1]);	/* all of them go at once */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) <= 1);
		won += WEXITSTATUS(status) == 0;
	}
	assert_int_equal(won, 2);
	assert_int_equal(presence_private_count(&table), 2);
	for (int i = 0; i < 4; i++)
		assert_int_equal(presence_reap(&table, pids[i], NULL), 1);
	assert_int_equal(presence_private_count(&table), 0);
}

/* Users of other nodes never count: they decode on their own node. */
static void
test_private_remote(void **state)
{
	struct presence_ref	a, r;
	int			created;

	(void)state;
	presence_set_private_max(&cluster, 1);
	assert_int_equal(rput("rita", "node-b", 1, 1, &r, &created), PROTO_OK);
	assert_int_equal(presence_private_take(&cluster, &r), -1);
	assert_int_equal(presence_private_count(&cluster), 0);
	assert_int_equal(cjoin("alice", 501, &a), PROTO_OK);
	assert_int_equal(presence_private_take(&cluster, &a), 0);
	assert_int_equal(presence_private_count(&cluster), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_header),
		cmocka_unit_test(test_claim_unique_and_full),
		cmocka_unit_test(test_rooms_and_find),
		cmocka_unit_test(test_reap_dead_session),
		cmocka_unit_test(test_reap_lock_holder),
		cmocka_unit_test(test_private_cap),
		cmocka_unit_test(test_private_race),
		cmocka_unit_test_setup_teardown(test_remote_put_update,
		    cluster_setup, cluster_teardown),
		cmocka_unit_test_setup_teardown(test_remote_name_taken,
		    cluster_setup, cluster_teardown),
		cmocka_unit_test_setup_teardown(test_claim_remote_name,
		    cluster_setup, cluster_teardown),
		cmocka_unit_test_setup_teardown(test_remote_slots_kept,
		    cluster_setup, cluster_teardown),
		cmocka_unit_test_setup_teardown(test_remote_slots_kept_joining,
		    cluster_setup, cluster_teardown),
		cmocka_unit_test_setup_teardown(test_local_and_snapshot,
		    cluster_setup, cluster_teardown),
		cmocka_unit_test_setup_teardown(test_remote_drop,
		    cluster_setup, cluster_teardown),
		cmocka_unit_test_setup_teardown(test_remote_slot_reused_local,
		    cluster_setup, cluster_teardown),
		cmocka_unit_test_setup_teardown(test_reap_spares_remote,
		    cluster_setup, cluster_teardown),
		cmocka_unit_test_setup_teardown(test_private_remote,
		    cluster_setup, cluster_teardown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
