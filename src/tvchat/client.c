/*
 * The protocol side of the tvchat client, shared by the TUI and --batch:
 * connecting, the handshake, and handing each message from the server to
 * its handler (the roster is roster.c's, chat chat.c's). It reports
 * everything that happens as an event (a JSON object, the --batch output
 * format) through one callback, so front ends only present events.
 */
#include "config.h"

#include <sys/socket.h>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "client-private.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "util.h"
#include "xmalloc.h"

#define CLIENT_OUT_MAX		(16u * 1024 * 1024)
#define CONNECT_TIMEOUT_MS	10000

/*
 * Connect to host:port with a timeout; return a non-blocking socket, or -1
 * with a message in err.
 */
int
client_connect(const char *host, int port, int timeout_ms, char *err,
    size_t errlen)
{
	struct addrinfo	 hints, *res, *ai;
	char		 service[16];
	int		 fd = -1, r, one = 1, soerr;
	socklen_t	 sl;
	struct pollfd	 pfd;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof service, "%d", port);
	if ((r = getaddrinfo(host, service, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(r));
		return -1;
	}
	snprintf(err, errlen, "%s port %d: no address", host, port);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 &&
		    errno == EINPROGRESS) {
			pfd = (struct pollfd){ fd, POLLOUT, 0 };
			sl = sizeof soerr;
			if (poll(&pfd, 1, timeout_ms) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl)
			    == 0 && soerr == 0)
				break;
			errno = soerr != 0 ? soerr : ETIMEDOUT;
		} else if (errno == 0 || errno == EISCONN)
			break;
		snprintf(err, errlen, "%s port %d: %s", host, port,
		    strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd != -1)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static int	handshake_ms = CLIENT_HANDSHAKE_MS;

/* Give every server ms milliseconds to finish the handshake. */
void
client_set_handshake_timeout(int ms)
{
	handshake_ms = ms;
}

/*
 * Give up on the connection: report the error, then "closed" with reason,
 * as tvchat-protocol(5) asks of a client that refuses what it was sent.
 */
static void
client_abort(struct client *c, const char *code, const char *text,
    const char *reason)
{
	json_object	*ev;

	if (c->state == CLIENT_CLOSED)
		return;
	client_error(c, code, text);
	shutdown(c->fd, SHUT_RDWR);
	c->state = CLIENT_CLOSED;
	chat_closed(c);
	ev = client_event("closed");
	client_add_str(ev, "reason", reason);
	client_emit(c, ev);
	knownkeys_flush(c->known);
}

/*
 * Return the ms left for the server to finish the handshake, or once in,
 * for a held chat to be given up (-1: nothing to wait for); past the
 * handshake's deadline, give up (a silent or dripping server must not
 * hold the client forever) and return -1.
 */
int
client_timeout(struct client *c)
{
	int64_t	left;

	if (c->state == CLIENT_ACTIVE)
		return chat_timeout(c);
	if (c->state != CLIENT_HANDSHAKE)
		return -1;
	if ((left = c->handshake_until - util_now_ms()) > 0)
		return (int)left;
	client_abort(c, "timeout", "the server did not finish the handshake "
	    "in time", "handshake timed out");
	return -1;
}

/* Set up a client on connected socket fd for server "host:port". */
void
client_init(struct client *c, int fd, const char *server,
    struct crypto_key *identity, const char *name, struct knownkeys *known,
    client_emit_fn fn, void *arg)
{
	memset(c, 0, sizeof *c);
	c->fd = fd;
	c->state = CLIENT_HANDSHAKE;
	frame_decoder_init(&c->dec);
	buf_init(&c->out, CLIENT_OUT_MAX);
	c->identity = identity;
	snprintf(c->name, sizeof c->name, "%s", name);
	snprintf(c->server, sizeof c->server, "%s", server);
	snprintf(c->room, sizeof c->room, "%s", DEFAULT_ROOM);
	c->known = known;
	c->emit = fn;
	c->emit_arg = arg;
	c->handshake_until = util_now_ms() + handshake_ms;
}

/*
 * Use keystore k (the front end's; it outlives reconnections) for the
 * end-to-end state; without one the client keeps it in memory.
 */
void
client_use_keystore(struct client *c, struct keystore *k)
{
	c->ks = k;
	c->ks_owned = 0;
}

/* Release the client's state (not the identity, known keys, keystore). */
void
client_free(struct client *c)
{
	knownkeys_flush(c->known);
	json_object_put(c->roster_event);
	c->roster_event = NULL;
	chat_free(c);
	roster_clear(c);
	frame_decoder_free(&c->dec);
	buf_free(&c->out);
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/*
 * Queue m (taken) only if the server would accept it: a number or a name
 * the user typed may be out of range (NaN, infinity, too long), and the
 * server closes on an invalid message. Otherwise an error event (code
 * "command") says why nothing was sent.
 */
void
client_send_checked(struct client *c, json_object *m)
{
	char	why[MSG_WHY_LEN], text[MSG_WHY_LEN + 16];

	if (msg_validate(m, MSG_TO_SERVER, why, sizeof why) != PROTO_OK) {
		json_object_put(m);
		snprintf(text, sizeof text, "not sent: %s", why);
		client_error(c, "command", text);
		return;
	}
	client_send(c, m);
}

/* Write what is queued; return -1 if the connection broke. */
int
client_flush(struct client *c)
{
	ssize_t	n;

	n = proc_write(c->fd, buf_ptr(&c->out), buf_len(&c->out));
	if (n == -1)
		return -1;
	buf_consume(&c->out, (size_t)n);
	c->bytes_written += (uint64_t)n;
	return 0;
}

/* challenge: prove we hold our key by signing the nonce and our name. */
static void
on_challenge(struct client *c, json_object *m)
{
	json_object	*prekey;
	uint8_t		*nonce;
	size_t		 len;
	char		*sig;
	int		 r;

	if (c->state != CLIENT_HANDSHAKE ||
	    base64url_decode(msg_get_str(m, "nonce"), &nonce, &len) != 0) {
		client_error(c, "bad-message", "unexpected challenge");
		return;
	}
	if (msg_get_int(m, "version", 0) != PROTOCOL_VERSION)
		client_error(c, "version", "the server speaks another protocol "
		    "version; trying anyway");
	r = crypto_hello_sign(c->identity, nonce, len, c->name, &sig);
	free(nonce);
	if (r != 0) {
		client_error(c, "internal", crypto_strerror(r));
		return;
	}
	if (chat_prekey(c, &prekey) != 0) {
		free(sig);
		client_abort(c, "internal", "no prekey to publish",
		    "no prekey");
		return;
	}
	client_send(c, msg_hello(c->name, crypto_key_to_jwk(c->identity), sig,
	    prekey));
	free(sig);
}

/* Add users (a roster's) to ours and their descriptions to list. */
static void
add_users(struct client *c, json_object *users, json_object *list)
{
	struct peer	*p;

	for (size_t i = 0; i < json_object_array_length(users); i++)
		if ((p = roster_add(c, json_object_array_get_idx(users, i)))) {
			json_object_array_add(list, roster_object(p));
			if (p->key_changed)	/* new key: new sessions */
				chat_gone(c, p->name, NULL, KS_STALE_ROTATE);
		}
}

/*
 * Emit ev (welcome or who, for message m), or if m says more users
 * follow, keep it until the last "users" message has added them.
 */
static void
emit_roster(struct client *c, json_object *m, json_object *ev)
{
	json_object_put(c->roster_event);
	c->roster_event = NULL;
	if (json_object_get_boolean(msg_get(m, "more")))
		c->roster_event = ev;
	else
		client_emit(c, ev);
}

/* users: more of the roster a welcome or who began. */
static void
on_users(struct client *c, json_object *m)
{
	json_object	*ev = c->roster_event;

	if (ev == NULL) {
		client_abort(c, "unexpected", "the server sent users without "
		    "a welcome or who before", "protocol error");
		return;
	}
	add_users(c, msg_get(m, "users"), msg_get(ev, "users"));
	c->roster_event = NULL;
	emit_roster(c, m, ev);
}

/* welcome: we are in; build the roster. */
static void
on_welcome(struct client *c, json_object *m)
{
	json_object	*ev, *list;

	c->state = CLIENT_ACTIVE;
	snprintf(c->name, sizeof c->name, "%s", msg_get_str(m, "name"));
	/* Who left while we were away is unknown: new sessions for all. */
	chat_gone(c, NULL, NULL, KS_STALE_LEFT);
	roster_clear(c);
	list = json_object_new_array();
	add_users(c, msg_get(m, "users"), list);
	ev = client_event("welcome");
	client_add_str(ev, "name", c->name);
	client_add_str(ev, "server", c->server);
	client_add_str(ev, "fingerprint", crypto_key_fingerprint(c->identity));
	client_add_str(ev, "motd", msg_get_str(m, "motd"));
	json_object_object_add(ev, "users", list);
	json_object_object_add(ev, "videos",
	    json_object_get(msg_get(m, "videos")));
	emit_roster(c, m, ev);
}

/* join: a user arrived. */
static void
on_join(struct client *c, json_object *m)
{
	struct peer	*p = roster_add(c, msg_get(m, "user"));
	json_object	*ev;

	if (p == NULL)
		return;
	if (p->key_changed)	/* new key: new sessions */
		chat_gone(c, p->name, NULL, KS_STALE_ROTATE);
	ev = client_event("join");
	json_object_object_add(ev, "user", roster_object(p));
	client_add_str(ev, "name", p->name);
	client_emit(c, ev);
}

/* leave: a user went away. */
static void
on_leave(struct client *c, json_object *m)
{
	json_object	*ev = client_event("leave");

	client_add_str(ev, "name", msg_get_str(m, "name"));
	client_add_str(ev, "reason", msg_get_str(m, "reason"));
	chat_gone(c, msg_get_str(m, "name"), NULL, KS_STALE_LEFT);
	roster_remove(c, msg_get_str(m, "name"));
	client_emit(c, ev);
}

/* error: show it; a fatal one is followed by the server closing. */
static void
on_error(struct client *c, json_object *m)
{
	json_object	*ev = client_event("error");

	client_add_str(ev, "code", msg_get_str(m, "code"));
	client_add_str(ev, "message", msg_get_str(m, "message"));
	client_emit(c, ev);
}

/* who: the server's roster (refreshes ours). */
static void
on_who(struct client *c, json_object *m)
{
	json_object	*ev, *list = json_object_new_array();

	add_users(c, msg_get(m, "users"), list);
	ev = client_event("who");
	client_add_str(ev, "room", msg_get_str(m, "room"));
	json_object_object_add(ev, "users", list);
	emit_roster(c, m, ev);
}

/* room-join / room-leave notices. */
static void
on_room(struct client *c, json_object *m)
{
	json_object	*ev = client_event(msg_type(m));
	struct peer	*p = client_peer(c, msg_get_str(m, "name"));
	const char	*room = msg_get_str(m, "room");
	int		 join = strcmp(msg_type(m), "room-join") == 0;

	if (p != NULL) {
		json_object *rooms = json_object_new_array();

		for (size_t i = 0; p->rooms != NULL &&
		    i < json_object_array_length(p->rooms); i++) {
			const char *r = json_object_get_string(
			    json_object_array_get_idx(p->rooms, i));

			if (!proto_name_equal(r, room))
				json_object_array_add(rooms,
				    json_object_new_string(r));
		}
		if (join)
			json_object_array_add(rooms, json_object_new_string(room));
		json_object_put(p->rooms);
		p->rooms = rooms;
	}
	/* Whoever leaves a room must not read what follows there; and
	 * while we were out of it, anyone may have. */
	if (!join)
		chat_gone(c, proto_name_equal(msg_get_str(m, "name"), c->name) ?
		    NULL : msg_get_str(m, "name"), room, KS_STALE_LEFT);
	/* Our own join, once the server accepted it, makes it current. */
	if (join && proto_name_equal(msg_get_str(m, "name"), c->name)) {
		snprintf(c->room, sizeof c->room, "%s", room);
		if (proto_name_equal(room, c->joining))
			c->joining[0] = '\0';
	}
	client_add_str(ev, "room", room);
	client_add_str(ev, "name", msg_get_str(m, "name"));
	client_emit(c, ev);
}

/* ping: answer. */
static void
on_ping(struct client *c, json_object *m)
{
	client_send(c, msg_pong(msg_get_int(m, "id", 0)));
}

/* Messages we accept but do not act on yet (video arrives later). */
static void
on_other(struct client *c, json_object *m)
{
	json_object	*ev = client_event(msg_type(m));

	json_object_object_foreach(m, k, v) {
		if (strcmp(k, "type") != 0)
			json_object_object_add(ev, k, json_object_get(v));
	}
	client_emit(c, ev);
}

/*
 * pong: the answer to the ping after a room join ends the wait (saying so
 * if the join was refused); other pongs are events.
 */
static void
on_pong(struct client *c, json_object *m)
{
	char	text[ROOM_MAX_LEN * 2 + 64];

	if (c->join_ping == 0 || msg_get_int(m, "id", 0) != c->join_ping) {
		on_other(c, m);
		return;
	}
	c->join_ping = 0;
	if (!client_joining(c))
		return;
	snprintf(text, sizeof text, "%s was not joined; the current room is "
	    "still %s", c->joining, c->room);
	c->joining[0] = '\0';
	client_error(c, "not-joined", text);
}

/* watch: an invitation, shown only to members of the room. */
static void
on_watch(struct client *c, json_object *m)
{
	struct peer	*me = client_peer(c, c->name);
	const char	*room = msg_get_str(m, "room");

	for (size_t i = 0; me != NULL && me->rooms != NULL &&
	    i < json_object_array_length(me->rooms); i++) {
		if (proto_name_equal(json_object_get_string(
		    json_object_array_get_idx(me->rooms, i)), room)) {
			on_other(c, m);
			return;
		}
	}
}

/* When a message is allowed: tvchat-protocol(5), "Handshake". */
#define BEFORE_WELCOME	0x1
#define AFTER_WELCOME	0x2
#define ANY_TIME	(BEFORE_WELCOME | AFTER_WELCOME)

static const struct {
	const char	*type;
	int		 when;
	void		(*handler)(struct client *, json_object *);
} handlers[] = {
	{ "challenge", BEFORE_WELCOME, on_challenge },
	{ "welcome", BEFORE_WELCOME, on_welcome },
	{ "join", AFTER_WELCOME, on_join },
	{ "leave", AFTER_WELCOME, on_leave },
	{ "error", ANY_TIME, on_error },
	{ "who", AFTER_WELCOME, on_who },
	{ "users", AFTER_WELCOME, on_users },
	{ "room-join", AFTER_WELCOME, on_room },
	{ "room-leave", AFTER_WELCOME, on_room },
	{ "chat", AFTER_WELCOME, chat_on_chat },
	{ "sender-key", AFTER_WELCOME, chat_on_sender_key },
	{ "ping", ANY_TIME, on_ping },
	{ "pong", ANY_TIME, on_pong },
	{ "videos", AFTER_WELCOME, on_other },
	{ "stream", AFTER_WELCOME, on_other },
	{ "stream-end", AFTER_WELCOME, on_other },
	{ "quality-changed", AFTER_WELCOME, on_other },
	{ "watch", AFTER_WELCOME, on_watch },
	{ "watch-control", AFTER_WELCOME, on_other },
};

/* Handle one frame from the server. */
static void
handle_frame(struct client *c, const struct frame *f)
{
	char		 why[MSG_WHY_LEN];
	json_object	*m;
	enum proto_error e;

	if (f->type == FRAME_TYPE_VIDEO) {
		struct video_header	 h;
		const uint8_t		*jpeg;
		size_t			 len;

		if (c->state != CLIENT_ACTIVE)
			client_abort(c, "unexpected", "the server sent a video "
			    "frame before welcome", "protocol error");
		else if (frame_video_decode(f->payload, f->len, &h, &jpeg,
		    &len) != PROTO_OK)
			client_abort(c, "bad-message", "the server sent a "
			    "malformed video frame", "protocol error");
		else if (c->on_frame != NULL)
			c->on_frame(c->emit_arg, &h, jpeg, len);
		return;
	}
	if ((e = msg_parse(f->payload, f->len, MSG_TO_CLIENT, &m, why,
	    sizeof why)) != PROTO_OK) {
		client_abort(c, proto_error_name(e), why, "protocol error");
		return;
	}
	for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++) {
		if (strcmp(handlers[i].type, msg_type(m)) != 0)
			continue;
		/* A hostile server must not get a message acted on in a
		 * state where the protocol does not allow it. */
		if (!(handlers[i].when & (c->state == CLIENT_ACTIVE ?
		    AFTER_WELCOME : BEFORE_WELCOME))) {
			snprintf(why, sizeof why, "the server sent \"%s\" %s "
			    "welcome", msg_type(m), c->state == CLIENT_ACTIVE ?
			    "after" : "before");
			client_abort(c, "unexpected", why, "protocol error");
		} else
			handlers[i].handler(c, m);
		break;
	}
	json_object_put(m);
}

/*
 * Read from the server and handle complete frames. Returns 0, or -1 when
 * the connection is over (a "closed" event has been emitted).
 */
int
client_read(struct client *c)
{
	uint8_t		 data[65536];
	struct frame	 f;
	size_t		 used, off = 0;
	ssize_t		 n;
	json_object	*ev;

	n = read(c->fd, data, sizeof data);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		ev = client_event("closed");
		client_add_str(ev, "reason", n == 0 ? "the server closed the "
		    "connection" : strerror(errno));
		c->state = CLIENT_CLOSED;
		chat_closed(c);
		client_emit(c, ev);
		return -1;
	}
	while (off < (size_t)n) {
		switch (frame_decoder_feed(&c->dec, data + off, (size_t)n - off,
		    &used, &f)) {
		case FRAME_READY:
			handle_frame(c, &f);
			free(f.payload);
			if (c->state == CLIENT_CLOSED)
				return -1;	/* refused: said "closed" */
			break;
		case FRAME_NEED_MORE:
			break;
		case FRAME_ERROR:
			client_abort(c, proto_error_name(c->dec.error),
			    "the server sent a bad frame", "protocol error");
			return -1;
		}
		off += used;
	}
	/* Newcomers and ratchet steps of this read: one write each. */
	knownkeys_flush(c->known);
	chat_flush(c);
	return 0;
}

/* Ask for the roster (of one room, or everyone). */
void
client_who(struct client *c, const char *room)
{
	client_send(c, msg_who_request(room));
}

/*
 * Join (join=1) or leave a room. A join is followed by a ping: the server
 * answers in order, so by its pong the join was accepted or refused, and
 * until then client_joining() says to hold what depends on the new room.
 */
void
client_room(struct client *c, int join, const char *room)
{
	client_send(c, msg_room(join ? "room-join" : "room-leave", room, NULL));
	if (!join)
		return;
	snprintf(c->joining, sizeof c->joining, "%s", room);
	c->join_ping = JOIN_PING_BASE + (int64_t)++c->pings;
	client_send(c, msg_ping(c->join_ping));
}

/* Return 1 while a room join awaits the server's answer, else 0. */
int
client_joining(const struct client *c)
{
	return c->joining[0] != '\0';
}

/* Report a peer's fingerprint next to the one we recorded. */
void
client_verify(struct client *c, const char *name)
{
	struct peer	*p = client_peer(c, name);
	json_object	*ev = client_event("verify");

	client_add_str(ev, "name", name);
	if (p != NULL) {
		client_add_str(ev, "fingerprint", crypto_key_fingerprint(p->key));
		client_add_str(ev, "trust", trust_name(p->trust));
	}
	client_add_str(ev, "known", proto_name_equal(name, c->name) ?
	    crypto_key_fingerprint(c->identity) :
	    knownkeys_get(c->known, name));
	client_emit(c, ev);
}

/* Trust a peer's current key from now on. */
void
client_trust(struct client *c, const char *name)
{
	struct peer	*p = client_peer(c, name);
	json_object	*ev;

	if (p == NULL) {
		client_error(c, "no-such-user", "no such user");
		return;
	}
	if (knownkeys_set(c->known, p->name, crypto_key_fingerprint(p->key))
	    != 0)
		client_error(c, "io", "could not save the known keys file");
	p->trust = TRUST_KNOWN;
	ev = client_event("trusted");
	client_add_str(ev, "name", p->name);
	client_add_str(ev, "fingerprint", crypto_key_fingerprint(p->key));
	client_emit(c, ev);
}
