/*
 * Fuzz target for tvchat --batch's command lines (batch.c): the input is
 * what a bot writes on standard input, cut into lines at '\n'. Each run
 * lets bob's client (the TEST-ONLY keys in fuzz_keys.h) in on a socket
 * pair with a welcome listing bob, alice and carol, then runs the lines
 * one by one through batch_run_line(), playing the server: it reads what
 * the client wrote and answers room joins (refusing rooms with a digit)
 * and their pings, as batch_run() waits for. Everything the client writes
 * must be whole frames that the server's own msg_parse() accepts, except
 * what "raw" sends, unchecked by design; every chat must open for bob as
 * its sender's copy and hold the text of the command; every event must be
 * a JSON line; and the roster must stay consistent with the known keys.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "batch.h"
#include "buf.h"
#include "client.h"
#include "msg.h"
#include "xmalloc.h"
#include "fuzz_keys.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

#define SERVER		"fuzz.example:10000"
#define EXCHANGES_MAX	4096	/* flush/read rounds after one line */

/* One run: the client, the server's view of its bytes, the command. */
struct run {
	struct client		 c;
	int			 server;	/* our end of the socket pair */
	struct frame_decoder	 sent;
	struct buf		 replies;	/* to write to the client */
	int			 closed;	/* "closed" events */
	int			 raw;		/* the line is a raw command */
	const char		*text;		/* its "text", or NULL */
	int			 action;	/* sent as an action */
};

static struct crypto_key	*alice, *bob;
static char			*known_path;
static struct buf		 welcome;	/* the frame that lets bob in */

/* Return a user object for the welcome, in the given rooms. */
static json_object *
user(const char *name, const struct crypto_key *k, const char *r1,
    const char *r2)
{
	json_object	*u, *rooms = json_object_new_array();

	u = msg_user(name, crypto_key_to_jwk(k), crypto_key_fingerprint(k));
	json_object_array_add(rooms, json_object_new_string(r1));
	if (r2 != NULL)
		json_object_array_add(rooms, json_object_new_string(r2));
	json_object_object_add(u, "rooms", rooms);
	return u;
}

/* Load the keys, make the welcome frame and the private directory once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	json_object	*users;

	if (bob != NULL)
		return 0;
	fuzz_set_name("fuzz_batch");
	crypto_init();
	alice = fuzz_load_key(fuzz_alice_key);
	bob = fuzz_load_key(fuzz_bob_key);
	known_path = fuzz_path("known_keys");
	users = json_object_new_array();
	json_object_array_add(users, user("bob", bob, "#lobby", NULL));
	json_object_array_add(users, user("alice", alice, "#lobby", "#rust"));
	json_object_array_add(users, user("Carol", alice, "#rust", NULL));
	buf_init(&welcome, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	if (msg_encode_free(msg_welcome("bob", users, json_object_new_array(),
	    "fuzz"), &welcome) != 0)
		fuzz_fail("cannot encode the welcome", NULL);
	return 0;
}

/* The client's event callback: check the event and where it comes. */
static void
on_event(void *arg, json_object *ev)
{
	struct run	*r = arg;

	fuzz_check_event_order(ev, &r->closed);
}

/* Queue message m (released) for the client, as the server. */
static void
reply(struct run *r, json_object *m)
{
	if (msg_encode_free(m, &r->replies) != 0)
		fuzz_fail("cannot encode a reply", NULL);
}

/*
 * Check a chat the client sent: bob's copy (every chat has one) opens as
 * from bob, holds the command's text, and every wrapped key is for the
 * sender or someone on the roster.
 */
static void
check_chat(struct run *r, json_object *m)
{
	json_object	*sealed = msg_get(m, "sealed"), *down, *keys, *inner;
	uint8_t		*plain;
	size_t		 len;
	int		 e;

	keys = msg_get(sealed, "keys");
	json_object_object_foreach(keys, name, wrapped) {
		(void)wrapped;
		if (!proto_name_equal(name, r->c.name) &&
		    client_peer(&r->c, name) == NULL)
			fuzz_fail("a chat is sealed for someone unknown", name);
	}
	if (msg_get(keys, r->c.name) == NULL)
		fuzz_fail("a chat has no copy for its sender", NULL);
	down = json_object_new_object();
	json_object_object_foreach(sealed, k, v) {
		if (strcmp(k, "keys") != 0)
			json_object_object_add(down, k, json_object_get(v));
	}
	json_object_object_add(down, "key",
	    json_object_get(msg_get(keys, r->c.name)));
	e = crypto_open(bob, r->c.name, bob, r->c.name, msg_get(m, "to"),
	    msg_get_str(m, "id"), down, &plain, &len);
	json_object_put(down);
	if (e != CRYPTO_OK)
		fuzz_fail("the sender's copy of a chat does not open",
		    crypto_strerror(e));
	if ((inner = json_tokener_parse((const char *)plain)) == NULL ||
	    msg_get_str(inner, "text") == NULL)
		fuzz_fail("a chat does not hold a text", (const char *)plain);
	if (r->text == NULL || strcmp(msg_get_str(inner, "text"), r->text) != 0)
		fuzz_fail("a chat holds another text than the command's",
		    (const char *)plain);
	if (json_object_get_boolean(msg_get(inner, "action")) != r->action)
		fuzz_fail("a chat is an action or not against the command",
		    (const char *)plain);
	json_object_put(inner);
	free(plain);
}

/* Take one frame the client sent: check it, and answer as the server. */
static void
take_frame(struct run *r, const struct frame *f)
{
	json_object	*m;
	const char	*type, *room;
	char		 why[MSG_WHY_LEN];

	if (f->type != FRAME_TYPE_JSON)
		fuzz_fail("the client sent a video frame", NULL);
	if (r->raw)
		return;
	if (msg_parse(f->payload, f->len, MSG_TO_SERVER, &m, why,
	    sizeof why) != PROTO_OK)
		fuzz_fail("the client sent what the server refuses", why);
	type = msg_type(m);
	if (strcmp(type, "chat") == 0)
		check_chat(r, m);
	else if (strcmp(type, "room-join") == 0) {
		room = msg_get_str(m, "room");
		if (strpbrk(room, "0123456789") == NULL)
			reply(r, msg_room("room-join", room, r->c.name));
	} else if (strcmp(type, "ping") == 0)
		reply(r, msg_pong(msg_get_int(m, "id", 0)));
	json_object_put(m);
}

/* Read what the client wrote to the server end; 1 if anything was. */
static int
server_read(struct run *r)
{
	uint8_t			 data[65536], *p;
	enum frame_status	 st;
	struct frame		 f;
	ssize_t			 n;
	size_t			 left, used;

	if ((n = read(r->server, data, sizeof data)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		fuzz_fail("read", strerror(errno));
	}
	for (p = data, left = (size_t)n; left > 0; p += used, left -= used) {
		st = frame_decoder_feed(&r->sent, p, left, &used, &f);
		if (st == FRAME_ERROR)
			fuzz_fail("the client sent a bad frame",
			    proto_error_name(r->sent.error));
		if (st == FRAME_READY) {
			take_frame(r, &f);
			free(f.payload);
		}
	}
	return n > 0;
}

/* Write the queued replies to the client and let it read them. */
static void
server_write(struct run *r)
{
	ssize_t	n;
	int	avail;

	while (buf_len(&r->replies) > 0) {
		n = send(r->server, buf_ptr(&r->replies),
		    buf_len(&r->replies), MSG_NOSIGNAL);
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			fuzz_fail("send", strerror(errno));
		if (n > 0)
			buf_consume(&r->replies, (size_t)n);
		while (r->c.state != CLIENT_CLOSED &&
		    ioctl(r->c.fd, FIONREAD, &avail) == 0 && avail > 0)
			if (client_read(&r->c) != 0)
				fuzz_fail("the client closed on a reply", NULL);
	}
}

/*
 * Move bytes both ways until the client has nothing left to send and no
 * answer is pending, as batch_run()'s poll loop would.
 */
static void
exchange(struct run *r)
{
	for (int i = 0;; i++) {
		if (i == EXCHANGES_MAX)
			fuzz_fail("the client and server never settle", NULL);
		if (client_flush(&r->c) != 0)
			fuzz_fail("client_flush failed", strerror(errno));
		if (!server_read(r) && buf_len(&r->c.out) == 0 &&
		    buf_len(&r->replies) == 0)
			break;
		server_write(r);
	}
	if (r->sent.header_have != 0 || client_joining(&r->c))
		fuzz_fail("a join or a frame is left half done", NULL);
}

/* Run one command line (NUL-terminated, len bytes) and its exchange. */
static void
run_line(struct run *r, const char *line, size_t len)
{
	json_object	*cmd = json_tokener_parse(line);
	const char	*name = msg_get_str(cmd, "cmd");

	/* What the command asks for, to check what the client sends. */
	r->raw = name != NULL && strcmp(name, "raw") == 0;
	r->text = msg_get_str(cmd, "text");
	r->action = name != NULL && (strcmp(name, "me") == 0 ||
	    json_object_get_boolean(msg_get(cmd, "action")));
	batch_run_line(&r->c, line, len);
	if (r->c.state != CLIENT_ACTIVE)
		fuzz_fail("a command ended the connection", line);
	exchange(r);
	json_object_put(cmd);
}

/*
 * Check the roster: each name once (ignoring case), found by lookup, and
 * a trust state that agrees with the known keys.
 */
static void
check_roster(struct client *c)
{
	const char	*known;

	for (size_t i = 0; i < c->npeers; i++) {
		struct peer	*p = &c->peers[i];

		for (size_t j = i + 1; j < c->npeers; j++)
			if (proto_name_equal(p->name, c->peers[j].name))
				fuzz_fail("the roster holds a name twice",
				    p->name);
		if (client_peer(c, p->name) != p)
			fuzz_fail("client_peer finds another peer", p->name);
		if (proto_name_equal(p->name, c->name))
			continue;
		if ((known = knownkeys_get(c->known, p->name)) == NULL ||
		    (p->trust == TRUST_CHANGED) ==
		    (strcmp(known, crypto_key_fingerprint(p->key)) == 0))
			fuzz_fail("a trust state disagrees with the known key",
			    p->name);
	}
	if (c->npeers != 3)
		fuzz_fail("the roster changed without the server", NULL);
}

/* libFuzzer entry point: run the input as batch commands; returns 0. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct knownkeys	*known;
	struct run		 r;
	const uint8_t		*p, *end, *nl;
	char			*line;
	int			 sv[2];

	LLVMFuzzerInitialize(NULL, NULL);
	if (unlink(known_path) != 0 && errno != ENOENT)
		fuzz_fail("unlink", strerror(errno));
	known = knownkeys_open(known_path, SERVER);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) != 0)
		fuzz_fail("socketpair", strerror(errno));
	memset(&r, 0, sizeof r);
	r.server = sv[1];
	frame_decoder_init(&r.sent);
	buf_init(&r.replies, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	client_init(&r.c, sv[0], SERVER, bob, "bob", known, on_event, &r);

	if (buf_append(&r.replies, buf_ptr(&welcome), buf_len(&welcome)) != 0)
		fuzz_fail("cannot queue the welcome", NULL);
	server_write(&r);
	if (r.c.state != CLIENT_ACTIVE || r.c.npeers != 3)
		fuzz_fail("the welcome did not let bob in", NULL);

	for (p = data, end = data + size; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		line = xmalloc((size_t)(nl - p) + 1);
		memcpy(line, p, (size_t)(nl - p));
		line[nl - p] = '\0';
		run_line(&r, line, (size_t)(nl - p));
		free(line);
	}
	check_roster(&r.c);

	/* The server hangs up: "closed" once, last. */
	close(r.server);
	for (int i = 0; r.c.state != CLIENT_CLOSED; i++) {
		if (i == EXCHANGES_MAX)
			fuzz_fail("the client does not see the end", NULL);
		client_read(&r.c);
	}
	if (r.closed != 1)
		fuzz_fail("the connection ended without \"closed\"", NULL);
	client_free(&r.c);
	frame_decoder_free(&r.sent);
	buf_free(&r.replies);
	knownkeys_free(known);
	return 0;
}
