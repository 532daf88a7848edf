/*
 * Fuzz target for tvchat --batch's command lines (batch.c): the input is
 * what a bot writes on standard input, cut into lines at '\n'. Each run
 * lets bob's client (the TEST-ONLY keys in fuzz_keys.h) in on a socket
 * pair with a welcome listing bob, alice and carol, then runs the lines
 * one by one through batch_run_line(), playing the server: it reads what
 * the client wrote and answers room joins (refusing rooms with a digit)
 * and their pings, as batch_run() waits for. Everything the client writes
 * must be whole frames that the server's own msg_parse() accepts, except
 * what "raw" sends, unchecked by design; every sender key must be for
 * alice or Carol (who share alice's identity and prekey here) and open
 * with that prekey, before the first chat that needs it; every chat must
 * open with such a session as from bob and hold the text of the command
 * (but one for a room or names neither of them is in);
 * every event must be a JSON line; and the roster must stay consistent
 * with the known keys.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base64.h"
#include "batch.h"
#include "buf.h"
#include "client.h"
#include "distribution.h"
#include "msg.h"
#include "senderkey.h"
#include "xmalloc.h"
#include "fuzz_keys.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

#define SERVER		"fuzz.example:10000"
#define EXCHANGES_MAX	4096	/* flush/read rounds after one line */

/* A session bob gave alice or Carol, as they would hold it. */
struct given {
	char			 target[SK_TARGET_MAX];
	struct sk_inbound	 in;
};

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
	struct given		*given;		/* sessions bob gave */
	size_t			 ngiven;
};

static struct crypto_key	*alice, *bob;
static struct prekey		 alice_pk;	/* also Carol's */
static char			*known_path;
static struct buf		 welcome;	/* the frame that lets bob in */

/*
 * Return a user object for the welcome, in the given rooms, with prekey
 * pk signed for name by k.
 */
static json_object *
user(const char *name, const struct crypto_key *k, const struct prekey *pk,
    const char *r1, const char *r2)
{
	json_object	*u, *rooms = json_object_new_array();

	u = msg_user(name, crypto_key_to_jwk(k), crypto_key_fingerprint(k),
	    fuzz_prekey_json(k, name, pk));
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
	struct prekey	 bob_pk;

	if (bob != NULL)
		return 0;
	fuzz_set_name("fuzz_batch");
	crypto_init();
	alice = fuzz_load_key(fuzz_alice_key);
	bob = fuzz_load_key(fuzz_bob_key);
	known_path = fuzz_path("known_keys");
	fuzz_prekey_new(&alice_pk);
	fuzz_prekey_new(&bob_pk);
	users = json_object_new_array();
	json_object_array_add(users, user("bob", bob, &bob_pk, "#lobby",
	    NULL));
	json_object_array_add(users, user("alice", alice, &alice_pk, "#lobby",
	    "#rust"));
	json_object_array_add(users, user("Carol", alice, &alice_pk, "#rust",
	    NULL));
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

/* Return the canonical target of message m from bob (fails if none). */
static void
target_of(json_object *to, char t[SK_TARGET_MAX])
{
	if (sk_target(to, "bob", t, SK_TARGET_MAX) != CRYPTO_OK)
		fuzz_fail("a target without a canonical form",
		    json_object_to_json_string(to));
}

/*
 * Check a sender key the client sent: for alice or Carol, opening with
 * their prekey as bob's session for its target; keep the session.
 */
static void
check_sender_key(struct run *r, json_object *m)
{
	const char		*to = msg_get_str(m, "to");
	struct dist_session	 s;
	struct given		*g;
	uint8_t			*blob;
	size_t			 len;
	char			 t[SK_TARGET_MAX];
	int			 e;

	if (!proto_name_equal(to, "alice") && !proto_name_equal(to, "Carol"))
		fuzz_fail("a session is sealed for someone else", to);
	target_of(msg_get(m, "target"), t);
	if (base64url_decode(msg_get_str(m, "blob"), &blob, &len) != 0)
		fuzz_fail("a sender key is not base64url", NULL);
	e = dist_open(blob, len, &alice_pk, "bob", to, t, bob, &s);
	free(blob);
	if (e != CRYPTO_OK)
		fuzz_fail("a sender key does not open", crypto_strerror(e));
	r->given = xreallocarray(r->given, r->ngiven + 1, sizeof *r->given);
	g = &r->given[r->ngiven++];
	memcpy(g->target, s.target, sizeof g->target);
	sk_inbound_init(&g->in, &s.chain, s.sigpub);
	explicit_bzero(&s, sizeof s);
}

/* Return 1 if canonical target t has alice or Carol in it. */
static int
for_roster(const char *t)
{
	const char	*p = t, *comma;
	size_t		 n;

	if (t[0] == '#')
		return strcmp(t, "#lobby") == 0 || strcmp(t, "#rust") == 0;
	for (; *p != '\0'; p = *comma == ',' ? comma + 1 : comma) {
		comma = p + strcspn(p, ",");
		n = (size_t)(comma - p);
		if ((n == 5 && memcmp(p, "alice", 5) == 0) ||
		    (n == 5 && memcmp(p, "carol", 5) == 0))
			return 1;
	}
	return 0;
}

/*
 * Check a chat the client sent: a session given before opens it as from
 * bob to its target, and it holds the command's text.
 */
static void
check_chat(struct run *r, json_object *m)
{
	struct sk_message	 msg;
	json_object		*inner;
	uint8_t			*blob, *plain = NULL;
	size_t			 len, plainlen, i;
	char			 t[SK_TARGET_MAX];
	int			 e = CRYPTO_E_NO_SESSION;

	target_of(msg_get(m, "to"), t);
	if (base64url_decode(msg_get_str(m, "sealed"), &blob, &len) != 0 ||
	    sk_message_parse(blob, len, &msg) != CRYPTO_OK)
		fuzz_fail("a chat is not a sealed message", NULL);
	for (i = 0; i < r->ngiven; i++) {
		if (memcmp(r->given[i].in.chain.sid, msg.sid, SK_SID_LEN) != 0)
			continue;
		if (strcmp(r->given[i].target, t) != 0)
			fuzz_fail("a chat's session is for another target", t);
		e = sk_open(&r->given[i].in, "bob", t, &msg, &plain,
		    &plainlen);
		break;
	}
	free(blob);
	/* No one on the roster to give the session to (the server refuses
	 * the chat): nothing to open it with. */
	if (e == CRYPTO_E_NO_SESSION && !for_roster(t))
		return;
	if (e != CRYPTO_OK) {
		char	why[SK_TARGET_MAX + 64];

		snprintf(why, sizeof why, "%s: %s", t, crypto_strerror(e));
		fuzz_fail("a chat does not open with a session given first",
		    why);
	}
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
	explicit_bzero(plain, plainlen);
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
	else if (strcmp(type, "sender-key") == 0)
		check_sender_key(r, m);
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
	for (size_t i = 0; i < r.ngiven; i++)
		sk_inbound_free(&r.given[i].in);
	free(r.given);
	frame_decoder_free(&r.sent);
	buf_free(&r.replies);
	knownkeys_free(known);
	return 0;
}
