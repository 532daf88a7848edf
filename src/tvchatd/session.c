/*
 * A session process owns one client connection: the handshake, then a
 * poll() loop over the client socket, its broker link and a self-pipe for
 * signals. Incoming messages go through a dispatch table; outgoing bytes
 * wait in a capped queue (a client that lets it overflow is "too slow").
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "buf.h"
#include "crypto.h"
#include "frame.h"
#include "ipc.h"
#include "library.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "server.h"
#include "stream.h"
#include "user.h"
#include "util.h"
#include "xmalloc.h"

#define BROKER_QUEUE_MAX	16384	/* packets waiting for the broker */
/* Packets the broker has not acknowledged, kept to send again: at most
 * this many, or bytes (beyond, the oldest is given up). */
#define UNACKED_MAX		65536
#define UNACKED_MAX_BYTES	(64u * 1024 * 1024)
/* Stop reading the client while the broker queue has less room than one
 * more message to a full room needs: back-pressure, never loss. */
#define BROKER_QUEUE_HIGH	(BROKER_QUEUE_MAX - 2 * CHAT_MAX_RECIPIENTS - 64)
#define BROKER_RETRY_MS		50
#define BROKER_SILENT_MS	5000	/* unregistered this long: tell */
#define LEAVE_WAIT_MS		2000	/* for the broker to take our leave */
#define PING_AFTER		30	/* most seconds of silence before a ping */
#define DRAIN_MS		500	/* reading after an error, before close */
#define READ_CHUNK		65536
#define ROSTER_MAX		4096

#define CLAIM_WAIT_MS		5000	/* for the cluster to claim a name */

enum session_state {
	SESSION_HANDSHAKE,
	SESSION_CLAIMING,	/* cluster mode: the broker claims our name */
	SESSION_ACTIVE,
};

struct session {
	struct session_env	*env;
	const struct server_config *cfg;
	struct presence		*presence;
	enum session_state	 state;
	int			 fd;
	struct frame_decoder	 dec;
	struct buf		 out;
	int			 broker_fd;
	struct pktq		 to_broker;
	int64_t			 broker_retry_at;
	int			 broker_registered;	/* it took our link */
	int64_t			 broker_missing_since;	/* ms, or 0 */
	int			 broker_told;	/* the client knows */
	uint64_t		 next_seq;	/* of our numbered packets */
	struct pktq		 unacked;	/* numbered, in order */
	size_t			 given_up;	/* unacknowledged, forgotten */
	struct seen		*seen;		/* per sender slot */
	struct presence_ref	 ref;
	int			 claimed;
	int64_t			 claim_until;	/* ms: the cluster's answer */
	char			 name[NAME_MAX_LEN + 1];
	char			 log_prefix[NAME_MAX_LEN + 3];
	struct crypto_key	*key;
	uint8_t			 nonce[NONCE_LEN];
	int64_t			 started;	/* ms, monotonic */
	int64_t			 last_input;	/* ms, monotonic */
	int64_t			 last_ping;	/* ms, monotonic */
	double			 tokens;
	int64_t			 tokens_at;
	int			 done;
	const char		*leave_reason;
	struct library		*lib;
	struct stream		 stream;
	int			 watching;	/* presence shows a title */
};

/* The newest numbered packet had from a sender: repeats are dropped. */
struct seen {
	uint32_t	generation;
	uint64_t	seq;
};

struct dispatch {
	const char	*type;
	int		 need_active;
	void		(*handler)(struct session *, json_object *);
};

static void	fail(struct session *, enum proto_error, const char *,
		    const char *);
static void	welcome(struct session *);
static void	to_broker_kind(struct session *, enum ipc_kind, const void *,
		    size_t);

/* The client let its queue overflow: tell it (if it ever reads) and end. */
static void
too_slow(struct session *s)
{
	if (!s->done)
		fail(s, PROTO_E_TOO_SLOW, "too slow: you were not reading",
		    "too slow");
}

/* Queue one message for the client; too much queued ends the session. */
static void
send_msg(struct session *s, json_object *m)
{
	if (msg_encode_free(m, &s->out) != 0)
		too_slow(s);
}

/* Queue raw frame bytes (from the broker) for the client. */
static void
send_raw(struct session *s, const uint8_t *p, size_t len)
{
	if (buf_append(&s->out, p, len) != 0)
		too_slow(s);
}

/* Send a non-fatal error to the client. */
static void
send_error(struct session *s, enum proto_error code, const char *text)
{
	send_msg(s, msg_error(code, text));
}

/* Send a fatal error, flush, and end the session (see fail_close()). */
static void
fail(struct session *s, enum proto_error code, const char *text,
    const char *reason)
{
	/* The error must reach the client even when the queue is full. */
	s->out.max += 2 * MESSAGE_TEXT_MAX + 256;
	send_error(s, code, text);
	s->done = 1;
	s->leave_reason = reason;
}

/*
 * Write queued bytes to the client; return -1 if the connection broke.
 * Control and chat go first; a video frame already started is finished
 * before anything else (frames cannot interleave), and a new frame starts
 * only when no control bytes wait.
 */
static int
flush_client(struct session *s)
{
	ssize_t	n;

	for (;;) {
		if (stream_mid_frame(&s->stream)) {
			if (stream_write(&s->stream, s->fd) != 0)
				return -1;
			if (stream_mid_frame(&s->stream))
				return 0;	/* would block */
			continue;
		}
		if (buf_len(&s->out) > 0) {
			n = proc_write(s->fd, buf_ptr(&s->out), buf_len(&s->out));
			if (n == -1)
				return -1;
			buf_consume(&s->out, (size_t)n);
			if (buf_len(&s->out) > 0)
				return 0;	/* would block */
			continue;
		}
		return stream_write(&s->stream, s->fd);
	}
}

/* The stream's way to send a message to the client. */
static void
stream_send(void *arg, json_object *m)
{
	send_msg(arg, m);
}

/*
 * The link to the broker is gone: connect again soon. What was queued on
 * it goes too; what of it was numbered is still kept (unacked), to be
 * sent again once a broker has taken our new link.
 */
static void
broker_lost(struct session *s)
{
	if (s->broker_fd != -1)
		close(s->broker_fd);
	s->broker_fd = -1;
	s->broker_registered = 0;
	s->broker_retry_at = util_now_ms() + BROKER_RETRY_MS;
	pktq_free(&s->to_broker);
}

/* Connect (or reconnect) to the broker and register our slot. */
static void
broker_connect(struct session *s)
{
	uint8_t	*p;
	size_t	 len;

	s->broker_registered = 0;	/* until it says so */
	s->broker_fd = ipc_connect(s->cfg->broker_path);
	if (s->broker_fd == -1) {
		broker_lost(s);
		return;
	}
	p = ipc_packet(IPC_REGISTER, s->ref.slot, s->ref.generation, NULL, 0,
	    &len);
	/* Registration goes first, ahead of anything queued meanwhile. */
	if (send(s->broker_fd, p, len, MSG_NOSIGNAL) != (ssize_t)len)
		broker_lost(s);
	free(p);
	log_debug("broker link %s", s->broker_fd == -1 ? "down" : "up");
	/* A claim the old broker took with it is asked again (asking twice
	 * is harmless: the first answer counts). */
	if (s->broker_fd != -1 && s->state == SESSION_CLAIMING &&
	    s->to_broker.count == 0)
		to_broker_kind(s, IPC_CLAIM, s->name, strlen(s->name));
}

/* Send packet p (ours) to the broker now or as soon as it can take it. */
static void
broker_send(struct session *s, uint8_t *p, size_t len)
{
	switch (ipc_send_now(s->broker_fd, &s->to_broker, p, len)) {
	case -1:
		/* The broker is gone; what is numbered goes again later. */
		broker_lost(s);
		break;
	case -2:
		log_warnx("broker queue full, message dropped");
		break;
	}
}

/*
 * Keep a copy of numbered packet p until the broker acknowledges it. A
 * broker holding that much of ours is holding it for a recipient that
 * does not read: the oldest is given up (once said) rather than stop us.
 */
static void
keep_unacked(struct session *s, const uint8_t *p, size_t len)
{
	struct pktq_item	it;
	uint8_t			*copy = xmalloc(len);

	memcpy(copy, p, len);
	while (s->unacked.count > 0 &&
	    (s->unacked.count >= UNACKED_MAX ||
	    s->unacked.bytes + len > UNACKED_MAX_BYTES)) {
		pktq_pop(&s->unacked, &it);
		free(it.data);
		if (s->given_up++ == 0)
			log_warnx("the broker is holding too much of ours: "
			    "the oldest is no longer kept to send again");
	}
	pktq_push(&s->unacked, copy, len);
}

/*
 * Pass a packet of kind for the slot/generation to the broker. What is
 * for others is numbered and kept until acknowledged; it waits for a
 * link the broker has taken, so that it is never sent on a link the
 * broker refuses (and then lost).
 */
static void
to_broker_ref(struct session *s, enum ipc_kind kind,
    const struct presence_ref *to, const void *data, size_t len)
{
	uint8_t	*p;
	size_t	 plen;

	p = ipc_packet(kind, to->slot, to->generation, data, len, &plen);
	if (kind == IPC_DELIVER || kind == IPC_BROADCAST) {
		ipc_set_seq(p, ++s->next_seq);
		keep_unacked(s, p, plen);
		if (!s->broker_registered) {
			free(p);
			return;
		}
	}
	broker_send(s, p, plen);
}

/* The broker took our link: send what it has not acknowledged, in order. */
static void
resend_unacked(struct session *s)
{
	struct pktq	*q = &s->unacked;
	uint8_t		*copy;

	for (size_t i = 0; i < q->count && s->broker_fd != -1; i++) {
		struct pktq_item *it = &q->items[(q->head + i) % q->cap];

		if (ipc_flags(it->data) & IPC_FLAG_ACKED)
			continue;
		copy = xmalloc(it->len);
		memcpy(copy, it->data, it->len);
		broker_send(s, copy, it->len);
	}
}

/* Mark the seqs the broker acknowledged; forget what is done in order. */
static void
on_ack(struct session *s, const uint8_t *payload, size_t len)
{
	struct pktq		*q = &s->unacked;
	struct pktq_item	 it;
	uint8_t			*p;
	uint64_t		 seq, first;

	for (size_t off = 0; off + sizeof seq <= len; off += sizeof seq) {
		memcpy(&seq, payload + off, sizeof seq);
		/* Kept packets are numbered one after another. */
		if (q->count == 0 ||
		    seq < (first = ipc_seq(q->items[q->head].data)) ||
		    seq - first >= q->count)
			continue;	/* given up, or not ours */
		p = q->items[(q->head + (seq - first)) % q->cap].data;
		ipc_set_flags(p, ipc_flags(p) | IPC_FLAG_ACKED);
	}
	while (q->count > 0 &&
	    (ipc_flags(q->items[q->head].data) & IPC_FLAG_ACKED)) {
		pktq_pop(q, &it);
		free(it.data);
	}
}

/*
 * Return 1 if a packet from another session repeats one we had (its
 * sender sent it again after a broker restart), else note it and 0.
 */
static int
seen_before(struct session *s, const struct ipc_header *h)
{
	struct seen	*e;

	if (h->seq == 0 || h->from_slot < 0 ||
	    (uint32_t)h->from_slot >= s->presence->hdr->capacity)
		return 0;
	e = &s->seen[h->from_slot];
	if (e->generation == h->from_gen && h->seq <= e->seq)
		return 1;
	e->generation = h->from_gen;
	e->seq = h->seq;
	return 0;
}

/* Pass a packet of kind about ourselves to the broker. */
static void
to_broker_kind(struct session *s, enum ipc_kind kind, const void *data,
    size_t len)
{
	to_broker_ref(s, kind, &s->ref, data, len);
}

/* Encode m as a frame and hand it to the broker (m is released). */
static void
broadcast(struct session *s, json_object *m)
{
	struct buf	b;

	buf_init(&b, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	if (msg_encode_free(m, &b) == 0)
		to_broker_kind(s, IPC_BROADCAST, buf_ptr(&b), buf_len(&b));
	buf_free(&b);
}

/* Return an array of every active user (optionally only in room). */
static json_object *
roster(struct session *s, const char *room)
{
	struct presence_slot	*slots;
	json_object		*users = json_object_new_array();
	size_t			 n;

	slots = xreallocarray(NULL, s->presence->hdr->capacity, sizeof *slots);
	n = presence_snapshot(s->presence, slots, NULL,
	    s->presence->hdr->capacity);
	for (size_t i = 0; i < n; i++)
		if (room == NULL || presence_in_room(&slots[i], room))
			json_object_array_add(users, user_json(&slots[i]));
	free(slots);
	return users;
}

/*
 * Tell the master that we hold a slot, so it no longer counts us among the
 * connections logging in (--max-startups). A pid is written at once: it
 * is smaller than PIPE_BUF.
 */
static void
tell_master_in(struct session *s)
{
	pid_t	pid = getpid();
	ssize_t	n;

	if (s->env->login_fd == -1)
		return;
	do
		n = write(s->env->login_fd, &pid, sizeof pid);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof pid)
		log_warn("cannot tell the master that we are in");
	close(s->env->login_fd);
	s->env->login_fd = -1;
}

/* hello: check version, name and proof of key possession; claim a slot. */
static void
on_hello(struct session *s, json_object *m)
{
	struct crypto_key	*key;
	json_object		*jwk_copy;
	const char		*name = msg_get_str(m, "name");
	int			 r;

	if (s->state != SESSION_HANDSHAKE) {
		send_error(s, PROTO_E_UNEXPECTED, "already said hello");
		return;
	}
	if (msg_get_int(m, "version", 0) != PROTOCOL_VERSION) {
		fail(s, PROTO_E_VERSION, "this server speaks protocol version 1",
		    "quit");
		return;
	}
	if ((r = crypto_key_from_jwk(msg_get(m, "key"), &key)) != 0) {
		fail(s, PROTO_E_KEY, crypto_strerror(r), "quit");
		return;
	}
	if (crypto_hello_verify(key, s->nonce, sizeof s->nonce, name,
	    msg_get_str(m, "sig")) != 0) {
		crypto_key_free(key);
		fail(s, PROTO_E_SIGNATURE,
		    "the signature does not prove possession of the key",
		    "quit");
		return;
	}
#ifdef TVCHAT_TEST_HOOKS
	if (getenv("TVCHAT_TEST_HOLD_AS") != NULL &&
	    strcmp(getenv("TVCHAT_TEST_HOLD_AS"), name) == 0)
		presence_test_hold = 1;
#endif
	jwk_copy = crypto_key_to_jwk(key);
	r = presence_claim(s->presence, name, getpid(),
	    msg_get_str(jwk_copy, "n"), msg_get_str(jwk_copy, "e"),
	    crypto_key_fingerprint(key), &s->ref);
	json_object_put(jwk_copy);
	if (r != PROTO_OK) {
		crypto_key_free(key);
		fail(s, r, r == PROTO_E_NAME_TAKEN ? "that name is taken" :
		    r == PROTO_E_SERVER_FULL ? "the server is full" :
		    "the key is too large", "quit");
		return;
	}
	s->claimed = 1;
	tell_master_in(s);
	s->key = key;
	snprintf(s->name, sizeof s->name, "%s", name);
	snprintf(s->log_prefix, sizeof s->log_prefix, "%s: ", s->name);
	log_set_prefix(s->log_prefix);
	if (s->cfg->redis_host != NULL) {
		/* Names are the cluster's: the broker claims it in Redis, and
		 * we go on when it answers (see on_claimed()). */
		s->state = SESSION_CLAIMING;
		s->claim_until = util_now_ms() + CLAIM_WAIT_MS;
		broker_connect(s);	/* which asks for the claim */
		return;
	}
	welcome(s);
}

/* The name is ours: announce the user and welcome the client. */
static void
welcome(struct session *s)
{
	json_object		*users, *videos;
	struct presence_slot	 me;

	presence_activate(s->presence, &s->ref);
	s->state = SESSION_ACTIVE;
	if (s->broker_fd == -1)
		broker_connect(s);
	users = roster(s, NULL);
	videos = library_json(s->lib);
	send_msg(s, msg_welcome(s->name, users, videos, s->cfg->motd));
	if (presence_find(s->presence, s->name, &me, NULL) == 0)
		broadcast(s, msg_join(user_json(&me)));
	log_info("joined from %s (%s)", s->env->peer,
	    crypto_key_fingerprint(s->key));
}

/* The broker's answer to our cluster-wide claim of the name. */
static void
on_claimed(struct session *s, int status)
{
	if (s->state == SESSION_CLAIMING) {
		if (status == PROTO_OK)
			welcome(s);
		else if (status == PROTO_E_NAME_TAKEN)
			fail(s, PROTO_E_NAME_TAKEN, "that name is taken on "
			    "another node of this cluster", "quit");
		else
			fail(s, PROTO_E_UNAVAILABLE, "the cluster cannot "
			    "claim your name now; try again shortly", "quit");
	} else if (s->state == SESSION_ACTIVE && status == PROTO_E_NAME_TAKEN)
		fail(s, PROTO_E_NAME_TAKEN, "your name was taken on another "
		    "node while this one was cut off from the cluster",
		    "lost");
}

/* Take one token from the chat bucket; return 0, or -1 if empty. */
static int
rate_take(struct session *s)
{
	int64_t	now = util_now_ms();

	s->tokens += (double)(now - s->tokens_at) / 1000.0 * s->cfg->chat_rate;
	if (s->tokens > s->cfg->chat_burst)
		s->tokens = s->cfg->chat_burst;
	s->tokens_at = now;
	if (s->tokens < 1.0)
		return -1;
	s->tokens -= 1.0;
	return 0;
}

/* Return the wrapped key in keys for name (ignoring case), or NULL. */
static const char *
wrapped_for(json_object *keys, const char *name)
{
	json_object	*exact;

	/* Senders use the roster's spelling: a hash lookup finds it. */
	if (json_object_object_get_ex(keys, name, &exact))
		return json_object_get_string(exact);
	json_object_object_foreach(keys, k, v) {
		if (proto_name_equal(k, name))
			return json_object_get_string(v);
	}
	return NULL;
}

/* Return 1 if slot is a recipient of target (a room or names). */
static int
is_recipient(struct session *s, const struct presence_slot *slot,
    json_object *to)
{
	if (json_object_is_type(to, json_type_string))
		return presence_in_room(slot, json_object_get_string(to));
	if (proto_name_equal(slot->name, s->name))
		return 1;	/* the sender's echo */
	for (size_t j = 0; j < json_object_array_length(to); j++)
		if (proto_name_equal(slot->name, json_object_get_string(
		    json_object_array_get_idx(to, j))))
			return 1;
	return 0;
}

/*
 * Check the target against a snapshot: a room we are in, or names that
 * are all present. Returns 0, or -1 after telling the client why not.
 */
static int
check_target(struct session *s, json_object *to,
    const struct presence_slot *slots, size_t n)
{
	char	text[96];
	size_t	i;

	if (json_object_is_type(to, json_type_string)) {
		for (i = 0; i < n; i++)
			if (slots[i].pid == getpid())
				break;
		if (i < n && presence_in_room(&slots[i],
		    json_object_get_string(to)))
			return 0;
		send_error(s, PROTO_E_NO_SUCH_ROOM, "you are not in that room");
		return -1;
	}
	for (size_t j = 0; j < json_object_array_length(to); j++) {
		const char *want = json_object_get_string(
		    json_object_array_get_idx(to, j));

		for (i = 0; i < n; i++)
			if (proto_name_equal(slots[i].name, want))
				break;
		if (i == n) {
			snprintf(text, sizeof text, "no user called %s", want);
			send_error(s, PROTO_E_NO_SUCH_USER, text);
			return -1;
		}
	}
	return 0;
}

/* Return the time now in ms since the epoch: a chat's time stamp. */
static int64_t
chat_ts(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * chat: stamp from and ts, then cut the message into one parcel per
 * recipient (with its own wrapped key only) for the broker; our own echo
 * goes straight into our queue. Recipients for whom the message carries
 * no wrapped key (the sender's roster was behind) are reported.
 */
static void
on_chat(struct session *s, json_object *m)
{
	json_object		*to = msg_get(m, "to");
	json_object		*keys = msg_get(msg_get(m, "sealed"), "keys");
	json_object		*missing;
	struct presence_slot	*slots;
	struct presence_ref	*refs;
	struct buf		 prefix, frame;
	const char		*w;
	size_t			 n, cap = s->presence->hdr->capacity;
	char			 text[MESSAGE_TEXT_MAX];

	if (rate_take(s) != 0) {
		send_error(s, PROTO_E_RATE, "slow down: message not sent");
		return;
	}
	slots = xreallocarray(NULL, cap, sizeof *slots);
	refs = xreallocarray(NULL, cap, sizeof *refs);
	n = presence_snapshot(s->presence, slots, refs, cap);
	if (check_target(s, to, slots, n) != 0) {
		free(slots);
		free(refs);
		return;
	}
	buf_init(&prefix, FRAME_MAX_JSON);
	buf_init(&frame, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	msg_chat_deliver_prefix(&prefix, s->name, to, msg_get_str(m, "id"),
	    chat_ts(), msg_get(m, "sealed"));
	missing = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		if (!is_recipient(s, &slots[i], to))
			continue;
		if ((w = wrapped_for(keys, slots[i].name)) == NULL) {
			json_object_array_add(missing,
			    json_object_new_string(slots[i].name));
			continue;
		}
		msg_chat_deliver_frame(&frame, &prefix, w);
		if (slots[i].pid == getpid())
			send_raw(s, buf_ptr(&frame), buf_len(&frame));
		else
			to_broker_ref(s, IPC_DELIVER, &refs[i],
			    buf_ptr(&frame), buf_len(&frame));
	}
	if (json_object_array_length(missing) > 0) {
		snprintf(text, sizeof text, "not delivered to %s: the message "
		    "has no key for them", msg_text(missing));
		send_error(s, PROTO_E_NO_SUCH_USER, text);
	}
	json_object_put(missing);
	buf_free(&prefix);
	buf_free(&frame);
	free(slots);
	free(refs);
}

/* who: reply with the users (of one room, if asked). */
static void
on_who(struct session *s, json_object *m)
{
	const char	*room = msg_get_str(m, "room");
	json_object	*reply = msg_who_reply(roster(s, room));

	if (room != NULL)
		json_object_object_add(reply, "room",
		    json_object_new_string(room));
	send_msg(s, reply);
}

/* room-join / room-leave: update the table, tell everyone. */
static void
on_room(struct session *s, json_object *m)
{
	const char	*type = msg_type(m), *room = msg_get_str(m, "room");
	int		 join = strcmp(type, "room-join") == 0, r;
	json_object	*notice;

	if (rate_take(s) != 0) {
		send_error(s, PROTO_E_RATE, "slow down");
		return;
	}
	r = join ? presence_room_join(s->presence, &s->ref, room) :
	    presence_room_leave(s->presence, &s->ref, room);
	if (r != PROTO_OK) {
		send_error(s, r, join ? "too many rooms" :
		    "you are not in that room");
		return;
	}
	notice = msg_room(type, room, s->name);
	send_msg(s, json_object_get(notice));
	broadcast(s, notice);
}

/* ping: answer with a pong carrying the same id. */
static void
on_ping(struct session *s, json_object *m)
{
	send_msg(s, msg_pong(msg_get_int(m, "id", 0)));
}

/* pong: the client is alive (last_input is already updated). */
static void
on_pong(struct session *s, json_object *m)
{
}

/* quit: the user is leaving on purpose. */
static void
on_quit(struct session *s, json_object *m)
{
	s->done = 1;
	s->leave_reason = "quit";
}

/* videos: the library, rescanned if the directory changed. */
static void
on_videos(struct session *s, json_object *m)
{
	send_msg(s, msg_videos_reply(library_json(s->lib)));
}

/* watch: watch together with a room; the room is told. */
static void
on_watch(struct session *s, json_object *m)
{
	struct presence_slot	 me;
	json_object		*notice;

	if (presence_find(s->presence, s->name, &me, NULL) != 0 ||
	    !presence_in_room(&me, msg_get_str(m, "room"))) {
		send_error(s, PROTO_E_NO_SUCH_ROOM, "join the room first");
		return;
	}
	notice = stream_watch(&s->stream, m, util_now_ms(), s->name);
	if (notice != NULL) {
		send_msg(s, json_object_get(notice));
		broadcast(s, notice);
	}
	presence_set_watching(s->presence, &s->ref, s->stream.active ?
	    s->stream.name : "");
	s->watching = s->stream.active;
}

/* play, pause, resume, seek, stop, quality, resize: the stream's. */
static void
on_video(struct session *s, json_object *m)
{
	stream_request(&s->stream, m, util_now_ms());
	presence_set_watching(s->presence, &s->ref, s->stream.active ?
	    s->stream.name : "");
	s->watching = s->stream.active;
}

static const struct dispatch dispatch_table[] = {
	{ "hello", 0, on_hello },
	{ "chat", 1, on_chat },
	{ "who", 1, on_who },
	{ "room-join", 1, on_room },
	{ "room-leave", 1, on_room },
	{ "ping", 0, on_ping },
	{ "pong", 0, on_pong },
	{ "quit", 0, on_quit },
	{ "videos", 1, on_videos },
	{ "play", 1, on_video },
	{ "pause", 1, on_video },
	{ "resume", 1, on_video },
	{ "stop", 1, on_video },
	{ "seek", 1, on_video },
	{ "quality", 1, on_video },
	{ "resize", 1, on_video },
	{ "watch", 1, on_watch },
};

/* Validate one JSON frame from the client and dispatch it. */
static void
handle_frame(struct session *s, const struct frame *f)
{
	char		 why[MSG_WHY_LEN];
	json_object	*m;
	enum proto_error e;
	const char	*type;

	if (f->type != FRAME_TYPE_JSON) {
		fail(s, PROTO_E_FRAME_TYPE, "clients may not send video frames",
		    "protocol error");
		return;
	}
	if ((e = msg_parse(f->payload, f->len, MSG_TO_SERVER, &m, why,
	    sizeof why)) != PROTO_OK) {
		fail(s, e, why, "protocol error");
		return;
	}
	type = msg_type(m);
	for (size_t i = 0; i < sizeof dispatch_table / sizeof dispatch_table[0];
	    i++) {
		const struct dispatch *d = &dispatch_table[i];

		if (strcmp(d->type, type) != 0)
			continue;
		if (d->need_active && s->state != SESSION_ACTIVE)
			fail(s, PROTO_E_UNEXPECTED, "say hello first", "quit");
		else
			d->handler(s, m);
		json_object_put(m);
		return;
	}
	json_object_put(m);
	fail(s, PROTO_E_TYPE, "unknown message type", "protocol error");
}

/* Read what the client sent and handle every complete frame. */
static void
read_client(struct session *s)
{
	uint8_t		 data[READ_CHUNK];
	struct frame	 f;
	size_t		 used, off = 0;
	ssize_t		 n;

	n = read(s->fd, data, sizeof data);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		s->done = 1;
		/* Without a quit message first, the client was lost. */
		s->leave_reason = "lost";
		return;
	}
	s->last_input = util_now_ms();
	while (off < (size_t)n && !s->done) {
		switch (frame_decoder_feed(&s->dec, data + off, (size_t)n - off,
		    &used, &f)) {
		case FRAME_READY:
			handle_frame(s, &f);
			free(f.payload);
			break;
		case FRAME_NEED_MORE:
			break;
		case FRAME_ERROR:
			fail(s, s->dec.error, s->dec.error == PROTO_E_TOO_BIG ?
			    "message too big" : s->dec.error == PROTO_E_EMPTY ?
			    "empty message" : "bad frame", "protocol error");
			return;
		}
		off += used;
	}
}

/*
 * The broker cut our link for not keeping up and dropped n packets for
 * us (at most 65535 counted): the client is told, never left to guess.
 */
static void
broker_dropped(struct session *s, unsigned int n)
{
	char	text[128];

	log_warnx("the broker dropped %u%s packets for us", n,
	    n == UINT16_MAX ? " or more" : "");
	snprintf(text, sizeof text, "%u%s messages or notices for you were "
	    "lost: the server could not relay them to you fast enough", n,
	    n == UINT16_MAX ? " or more" : "");
	if (s->state == SESSION_ACTIVE)
		send_error(s, PROTO_E_UNAVAILABLE, text);
}

/* Handle one packet from the broker. */
static void
handle_broker_packet(struct session *s, const uint8_t *p, size_t len)
{
	struct ipc_header	 h;
	const uint8_t		*payload;

	if (ipc_parse(p, len, &h, &payload) != 0) {
		log_warnx("malformed packet from the broker");
		return;
	}
	switch (h.kind) {
	case IPC_DELIVER:
	case IPC_BROADCAST:
		if (seen_before(s, &h))
			log_debug("a repeat from slot %d dropped", h.from_slot);
		else if (s->state == SESSION_ACTIVE)
			send_raw(s, payload, h.len);
		break;
	case IPC_ACK:
		on_ack(s, payload, h.len);
		break;
	case IPC_CLAIMED:
		if (h.slot == s->ref.slot && h.generation == s->ref.generation)
			on_claimed(s, h.flags);
		break;
	case IPC_REGISTERED:
		if (h.slot == s->ref.slot && h.generation == s->ref.generation &&
		    !s->broker_registered) {
			s->broker_registered = 1;
			s->broker_missing_since = 0;
			s->broker_told = 0;
			resend_unacked(s);
			if (h.flags > 0)
				broker_dropped(s, h.flags);
		}
		break;
	}
}

/* Read packets from the broker; on EOF drop the link and retry soon. */
static void
read_broker(struct session *s)
{
	static uint8_t	pkt[IPC_MAX_PACKET];
	ssize_t		n;

	for (int i = 0; i < 64; i++) {
		n = recv(s->broker_fd, pkt, sizeof pkt, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			log_info("broker link lost; reconnecting");
			broker_lost(s);
			return;
		}
		handle_broker_packet(s, pkt, (size_t)n);
	}
}

/*
 * Wait (at most LEAVE_WAIT_MS) until the broker has taken our link, so
 * that what we send on it is relayed, and if all until it acknowledged
 * all we sent (a broker that dies meanwhile is reconnected and given it
 * again); return 1 if so, else 0.
 */
static int
broker_settled(struct session *s, int all)
{
	int64_t		until = util_now_ms() + LEAVE_WAIT_MS, now;
	struct pollfd	pfd;

	while (!(s->broker_registered && (!all || s->unacked.count == 0)) &&
	    (now = util_now_ms()) < until) {
		if (s->broker_fd == -1) {
			if (now >= s->broker_retry_at)
				broker_connect(s);
			if (s->broker_fd == -1) {
				usleep(BROKER_RETRY_MS * 1000);
				continue;
			}
		}
		pfd = (struct pollfd){ s->broker_fd, POLLIN, 0 };
		if (s->to_broker.count > 0)
			pfd.events |= POLLOUT;
		if (poll(&pfd, 1, (int)(until - now)) <= 0)
			continue;
		if ((pfd.revents & POLLOUT) &&
		    pktq_flush(&s->to_broker, s->broker_fd) != 0) {
			broker_lost(s);
			continue;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			read_broker(s);
	}
	return s->broker_registered && (!all || s->unacked.count == 0);
}

/*
 * Release our slot and send the leave notice, in that order, on a link
 * the broker has taken: a newcomer who found us in its roster is by then
 * known to the broker, so it gets the notice (the other order left it a
 * ghost of us), and what we said before reaches everyone first. If the
 * broker does not take the link in time, the slot is left for the master,
 * which frees it and announces the leave once we are gone.
 */
static void
leave(struct session *s)
{
	if (!s->claimed)
		return;
	if (s->state == SESSION_ACTIVE && !broker_settled(s, 0)) {
		log_warnx("the broker did not take our leave; the master will "
		    "announce it");
		s->claimed = 0;
		return;
	}
	presence_release(s->presence, &s->ref);
	s->claimed = 0;
	if (s->state == SESSION_ACTIVE) {
		broadcast(s, msg_leave(s->name, s->leave_reason ?
		    s->leave_reason : "quit"));
		/* Until what we said last, this included, is through. */
		if (!broker_settled(s, 1))
			log_warnx("the broker did not take our leave notice");
	}
	if (s->broker_fd != -1) {
		close(s->broker_fd);
		s->broker_fd = -1;
	}
	log_info("left (%s)", s->leave_reason ? s->leave_reason : "quit");
}

/*
 * Close gracefully: flush what is queued (bounded), shut down our side,
 * drain the client's input briefly so the kernel sends FIN rather than a
 * reset that could destroy the error message, then close.
 */
static void
close_client(struct session *s)
{
	struct pollfd	pfd = { .fd = s->fd };
	int64_t		until = util_now_ms() + DRAIN_MS;
	uint8_t		sink[4096];
	ssize_t		n;

	while (buf_len(&s->out) > 0 && util_now_ms() < until) {
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, (int)(until - util_now_ms())) <= 0 ||
		    flush_client(s) != 0)
			break;
	}
	shutdown(s->fd, SHUT_WR);
	while (util_now_ms() < until) {
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(until - util_now_ms())) <= 0)
			break;
		n = read(s->fd, sink, sizeof sink);
		if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN))
			break;
	}
	close(s->fd);
}

/*
 * Tell the client once if the broker has not taken our link for a while:
 * messages to and from it wait meanwhile. Returns when to look again (ms,
 * monotonic), or INT64_MAX.
 */
static int64_t
broker_silence(struct session *s, int64_t now)
{
	if (s->broker_registered || s->broker_told)
		return INT64_MAX;
	if (s->broker_missing_since == 0)
		s->broker_missing_since = now;
	if (now < s->broker_missing_since + BROKER_SILENT_MS)
		return s->broker_missing_since + BROKER_SILENT_MS;
	log_warnx("no broker link for %d s", BROKER_SILENT_MS / 1000);
	send_error(s, PROTO_E_UNAVAILABLE, "the server cannot relay messages "
	    "at the moment; they wait until it can");
	s->broker_told = 1;
	return INT64_MAX;
}

/* Compute the poll timeout in ms and handle timers that are due. */
static int
timers(struct session *s)
{
	int64_t	now = util_now_ms(), next, interval, ping_at, quiet;
	int	due;

	if (s->state == SESSION_HANDSHAKE) {
		next = s->started + (int64_t)s->cfg->handshake_timeout * 1000;
		if (now >= next) {
			fail(s, PROTO_E_TIMEOUT, "handshake timed out", "lost");
			return 0;
		}
		return (int)(next - now);
	}
	if (s->state == SESSION_CLAIMING) {
		if (now >= s->claim_until) {
			fail(s, PROTO_E_UNAVAILABLE, "the cluster did not answer; "
			    "try again shortly", "quit");
			return 0;
		}
		if (s->broker_fd == -1 && now >= s->broker_retry_at)
			broker_connect(s);
		return (int)(s->claim_until - now < BROKER_RETRY_MS ?
		    s->claim_until - now : BROKER_RETRY_MS);
	}
	next = s->last_input + (int64_t)s->cfg->idle_timeout * 1000;
	if (now >= next) {
		fail(s, PROTO_E_TIMEOUT, "no answer for too long", "lost");
		return 0;
	}
	/* Ping a silent client a few times before giving up on it. */
	interval = (int64_t)s->cfg->idle_timeout * 1000 / 3;
	if (interval > PING_AFTER * 1000)
		interval = PING_AFTER * 1000;
	ping_at = (s->last_input > s->last_ping ? s->last_input :
	    s->last_ping) + interval;
	if (now >= ping_at) {
		send_msg(s, msg_ping(now));
		s->last_ping = now;
		ping_at = now + interval;
	}
	if (ping_at < next)
		next = ping_at;
	stream_tick(&s->stream, now);
	if (s->watching && !s->stream.active) {
		/* The video ended by itself. */
		presence_set_watching(s->presence, &s->ref, "");
		s->watching = 0;
	}
	if ((due = stream_timeout(&s->stream, now)) >= 0 && now + due < next)
		next = now + due;
	if (s->broker_fd == -1) {
		if (now >= s->broker_retry_at)
			broker_connect(s);
		if (s->broker_fd == -1 && s->broker_retry_at < next)
			next = s->broker_retry_at;
	}
	if ((quiet = broker_silence(s, now)) < next)
		next = quiet;
	return next > now ? (int)(next - now) : 0;
}

/*
 * Return 1 if we read the client now. Reading waits while the broker is
 * busy (back-pressure), while no broker has taken our link and what we
 * keep for it has grown as much, and while the cluster claims our name.
 */
static int
reading(const struct session *s)
{
	return s->to_broker.count < BROKER_QUEUE_HIGH &&
	    (s->broker_registered || s->unacked.count < BROKER_QUEUE_HIGH) &&
	    s->state != SESSION_CLAIMING;
}

/*
 * Set up signals for a session: TERM/INT wake the loop; a hangup of the
 * master's terminal must not drop every user.
 */
static void
session_signals(void)
{
	static const struct proc_signal signals[] = {
		{ SIGTERM, PROC_WAKE }, { SIGINT, PROC_WAKE },
		{ SIGCHLD, PROC_DEFAULT }, { SIGHUP, PROC_IGNORE },
		{ SIGPIPE, PROC_IGNORE },
	};

	proc_signals(signals, sizeof signals / sizeof signals[0]);
}

/* Run one client's session until it ends; never returns. */
void
session_main(struct session_env *env)
{
	struct session	 s;
	struct pollfd	 pfd[3];
	int		 timeout;

	memset(&s, 0, sizeof s);
	s.env = env;
	s.cfg = env->cfg;
	s.presence = env->presence;
	s.fd = env->client_fd;
	s.broker_fd = -1;
	s.started = s.last_input = s.last_ping = s.tokens_at = util_now_ms();
	s.tokens = s.cfg->chat_burst;
	buf_init(&s.out, s.cfg->out_queue_max);
	pktq_init(&s.to_broker, BROKER_QUEUE_MAX);
	pktq_init(&s.unacked, UNACKED_MAX);
	s.seen = xcalloc(s.presence->hdr->capacity, sizeof *s.seen);
	frame_decoder_init(&s.dec);
	frame_decoder_set_limits(&s.dec, FRAME_MAX_JSON, 0);
	s.lib = env->library;
	stream_init(&s.stream, s.lib, env->players, s.presence, &s.ref,
	    stream_send, &s);
	session_signals();
	crypto_random(s.nonce, sizeof s.nonce);
	send_msg(&s, msg_challenge(s.cfg->server_name, s.nonce,
	    sizeof s.nonce));

	while (!s.done) {
		timeout = timers(&s);
		if (s.done)
			break;
		pfd[0] = (struct pollfd){ s.fd, reading(&s) ? POLLIN : 0, 0 };
		if (buf_len(&s.out) > 0 || stream_pending(&s.stream, s.fd))
			pfd[0].events |= POLLOUT;
		pfd[1] = (struct pollfd){ s.broker_fd, POLLIN, 0 };
		if (s.to_broker.count > 0)
			pfd[1].events |= POLLOUT;
		pfd[2] = (struct pollfd){ proc_signal_fd(), POLLIN, 0 };
		if (poll(pfd, 3, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if ((pfd[2].revents & POLLIN) && proc_take_signals() != 0) {
			fail(&s, PROTO_E_SHUTDOWN, "server shutting down",
			    "server shutting down");
			break;
		}
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))
			read_broker(&s);
		if (s.broker_fd != -1 && (pfd[1].revents & POLLOUT) &&
		    pktq_flush(&s.to_broker, s.broker_fd) != 0)
			broker_lost(&s);
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			read_client(&s);
		if (flush_client(&s) != 0 && !s.done) {
			s.done = 1;
			s.leave_reason = "lost";
		}
	}
	leave(&s);
	close_client(&s);
	crypto_key_free(s.key);
	stream_free(&s.stream);
	library_free(s.lib);
	frame_decoder_free(&s.dec);
	buf_free(&s.out);
	pktq_free(&s.to_broker);
	pktq_free(&s.unacked);
	free(s.seen);
	exit(0);
}
