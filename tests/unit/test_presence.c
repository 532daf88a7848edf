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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_header),
		cmocka_unit_test(test_claim_unique_and_full),
		cmocka_unit_test(test_rooms_and_find),
		cmocka_unit_test(test_reap_dead_session),
		cmocka_unit_test(test_reap_lock_holder),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
