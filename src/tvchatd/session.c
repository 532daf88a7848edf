/*
 * A session process owns one client connection: the handshake, then a
 * poll() loop over the client socket, its broker link and a self-pipe for
 * signals. Incoming messages go through a dispatch table; outgoing bytes
 * wait in a capped queue (session-client.c); chat and rooms are
 * session-chat.c's, the broker link session-broker.c's.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distribution.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "session-private.h"
#include "user.h"
#include "util.h"
#include "xmalloc.h"

#define PING_AFTER		30	/* most seconds of silence before a ping */
#define READ_CHUNK		65536
#define CLAIM_WAIT_MS		5000	/* for the cluster to claim a name */

struct dispatch {
	const char	*type;
	int		 need_active;
	void		(*handler)(struct session *, json_object *);
};

static void	welcome(struct session *);
static void	connect_broker(struct session *);

/* The stream's way to send a message to the client. */
static void
stream_send(void *arg, json_object *m)
{
	session_send(arg, m);
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

/*
 * Check the signed prekey of a hello against its identity key and copy it
 * into *out. Returns 0, or -1 with a reason in *why.
 */
static int
check_prekey(json_object *pkj, const struct crypto_key *key,
    const char *name, struct presence_prekey *out, const char **why)
{
	struct prekey	pk;
	int		r = prekey_verify_json(pkj, key, name, &pk);

	if (r != CRYPTO_OK) {
		*why = r == CRYPTO_E_FORMAT ? "the prekey is not 32 bytes of "
		    "base64url" : "the prekey's signature is not by this key";
		return -1;
	}
	if (strlen(msg_get_str(pkj, "key")) > PRESENCE_PREKEY_MAX ||
	    strlen(msg_get_str(pkj, "sig")) > PRESENCE_PREKEY_SIG_MAX) {
		*why = "the prekey is too long";
		return -1;
	}
	snprintf(out->key, sizeof out->key, "%s", msg_get_str(pkj, "key"));
	snprintf(out->sig, sizeof out->sig, "%s", msg_get_str(pkj, "sig"));
	out->created = pk.created;
	return 0;
}

/* hello: check version, name and proof of key possession; claim a slot. */
static void
on_hello(struct session *s, json_object *m)
{
	struct crypto_key	*key;
	struct presence_prekey	 pk;
	json_object		*jwk_copy;
	const char		*name = msg_get_str(m, "name"), *why;
	char			 text[64];
	int			 r;

	if (s->state != SESSION_HANDSHAKE) {
		session_send_error(s, PROTO_E_UNEXPECTED, "already said hello");
		return;
	}
	if (msg_get_int(m, "version", 0) != PROTOCOL_VERSION) {
		snprintf(text, sizeof text, "this server speaks protocol "
		    "version %d", PROTOCOL_VERSION);
		session_fail(s, PROTO_E_VERSION, text, "quit");
		return;
	}
	if (msg_get(m, "prekey") == NULL) {
		session_fail(s, PROTO_E_MESSAGE, "hello: no prekey", "quit");
		return;
	}
	if ((r = crypto_key_from_jwk(msg_get(m, "key"), &key)) != 0) {
		session_fail(s, PROTO_E_KEY, crypto_strerror(r), "quit");
		return;
	}
	if (crypto_hello_verify(key, s->nonce, sizeof s->nonce, name,
	    msg_get_str(m, "sig")) != 0) {
		crypto_key_free(key);
		session_fail(s, PROTO_E_SIGNATURE,
		    "the signature does not prove possession of the key",
		    "quit");
		return;
	}
	if (check_prekey(msg_get(m, "prekey"), key, name, &pk, &why) != 0) {
		crypto_key_free(key);
		session_fail(s, PROTO_E_KEY, why, "quit");
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
		session_fail(s, r, r == PROTO_E_NAME_TAKEN ?
		    "that name is taken" : r == PROTO_E_SERVER_FULL ?
		    "the server is full" : "the key is too large", "quit");
		return;
	}
	s->claimed = 1;
	if (presence_set_prekey(s->presence, &s->ref, &pk) != 0) {
		crypto_key_free(key);	/* cannot happen: the slot is ours */
		session_fail(s, PROTO_E_INTERNAL, "cannot record the prekey",
		    "quit");
		return;
	}
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
		connect_broker(s);	/* which asks for the claim */
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
	if (s->broker.fd == -1)
		connect_broker(s);
	users = session_roster(s, NULL);
	videos = library_json(s->lib);
	session_send_users(s, msg_welcome(s->name, json_object_new_array(),
	    videos, s->cfg->motd), users);
	if (presence_find(s->presence, s->name, &me, NULL) == 0)
		session_broker_broadcast(&s->broker, msg_join(user_json(&me)));
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
			session_fail(s, PROTO_E_NAME_TAKEN, "that name is "
			    "taken on another node of this cluster", "quit");
		else
			session_fail(s, PROTO_E_UNAVAILABLE, "the cluster "
			    "cannot claim your name now; try again shortly",
			    "quit");
	} else if (s->state == SESSION_ACTIVE && status == PROTO_E_NAME_TAKEN)
		session_fail(s, PROTO_E_NAME_TAKEN, "your name was taken on "
		    "another node while this one was cut off from the "
		    "cluster", "lost");
}

/* ping: answer with a pong carrying the same id. */
static void
on_ping(struct session *s, json_object *m)
{
	session_send(s, msg_pong(msg_get_int(m, "id", 0)));
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
	session_send(s, msg_videos_reply(library_json(s->lib)));
}

/* watch: watch together with a room; the room is told. */
static void
on_watch(struct session *s, json_object *m)
{
	struct presence_slot	 me;
	json_object		*notice;

	if (presence_find(s->presence, s->name, &me, NULL) != 0 ||
	    !presence_in_room(&me, msg_get_str(m, "room"))) {
		session_send_error(s, PROTO_E_NO_SUCH_ROOM,
		    "join the room first");
		return;
	}
	notice = stream_watch(&s->stream, m, util_now_ms(), s->name);
	if (notice != NULL) {
		session_send(s, json_object_get(notice));
		session_broker_broadcast(&s->broker, notice);
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
	{ "chat", 1, session_on_chat },
	{ "sender-key", 1, session_on_sender_key },
	{ "who", 1, session_on_who },
	{ "room-join", 1, session_on_room },
	{ "room-leave", 1, session_on_room },
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
		session_fail(s, PROTO_E_FRAME_TYPE,
		    "clients may not send video frames", "protocol error");
		return;
	}
	if ((e = msg_parse(f->payload, f->len, MSG_TO_SERVER, &m, why,
	    sizeof why)) != PROTO_OK) {
		session_fail(s, e, why, "protocol error");
		return;
	}
	type = msg_type(m);
	for (size_t i = 0; i < sizeof dispatch_table / sizeof dispatch_table[0];
	    i++) {
		const struct dispatch *d = &dispatch_table[i];

		if (strcmp(d->type, type) != 0)
			continue;
		if (d->need_active && s->state != SESSION_ACTIVE)
			session_fail(s, PROTO_E_UNEXPECTED, "say hello first",
			    "quit");
		else
			d->handler(s, m);
		json_object_put(m);
		return;
	}
	json_object_put(m);
	session_fail(s, PROTO_E_TYPE, "unknown message type", "protocol error");
}

static int	reading(const struct session *);

/*
 * Keep the len bytes at p (read from the client, not yet handled) for
 * later; p may point into what is kept already.
 */
static void
keep_unread(struct session *s, const uint8_t *p, size_t len)
{
	uint8_t	*copy = NULL;

	if (len > 0) {
		copy = xmalloc(len);
		memcpy(copy, p, len);
	}
	free(s->unread);
	s->unread = copy;
	s->nunread = len;
}

/*
 * Read what the client sent (or take what is kept from before) and
 * handle its complete frames one by one while the broker can take more:
 * one chat to a big room is a packet per member, so a burst read at once
 * would overflow the broker queue. What is left waits in s->unread
 * (back-pressure, never loss) until reading() says go on.
 */
static void
read_client(struct session *s)
{
	uint8_t		 data[READ_CHUNK];
	const uint8_t	*p = s->unread;
	struct frame	 f;
	size_t		 used, off = 0, len = s->nunread;
	ssize_t		 n;

	if (len == 0) {
		n = read(s->fd, data, sizeof data);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			return;
		if (n <= 0) {
			s->done = 1;
			/* Without a quit message first, the client was
			 * lost. */
			s->leave_reason = "lost";
			return;
		}
		s->last_input = util_now_ms();
		p = data;
		len = (size_t)n;
	}
	while (off < len && !s->done && reading(s)) {
		switch (frame_decoder_feed(&s->dec, p + off, len - off,
		    &used, &f)) {
		case FRAME_READY:
			handle_frame(s, &f);
			free(f.payload);
			break;
		case FRAME_NEED_MORE:
			break;
		case FRAME_ERROR:
			session_fail(s, s->dec.error,
			    s->dec.error == PROTO_E_TOO_BIG ?
			    "message too big" : s->dec.error == PROTO_E_EMPTY ?
			    "empty message" : "bad frame", "protocol error");
			return;
		}
		off += used;
	}
	keep_unread(s, p + off, s->done ? 0 : len - off);
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
		session_send_error(s, PROTO_E_UNAVAILABLE, text);
}

/*
 * What the broker link passes on: a message for the client, the answer to
 * our claim of the name, or the news that a broker took our link (with
 * how many packets for us a link of ours cut off lost).
 */
static void
on_broker_packet(void *arg, const struct ipc_header *h,
    const uint8_t *payload)
{
	struct session	*s = arg;

	switch (h->kind) {
	case IPC_DELIVER:
	case IPC_BROADCAST:
		if (s->state == SESSION_ACTIVE)
			session_send_raw(s, payload, h->len);
		break;
	case IPC_CLAIMED:
		on_claimed(s, h->flags);
		break;
	case IPC_REGISTERED:
		if (h->flags > 0)
			broker_dropped(s, h->flags);
		break;
	}
}

/*
 * Connect (or reconnect) to the broker. A claim the old broker took with
 * it is asked again (asking twice is harmless: the first answer counts).
 */
static void
connect_broker(struct session *s)
{
	if (session_broker_connect(&s->broker) == 0 &&
	    s->state == SESSION_CLAIMING && s->broker.queue.count == 0)
		session_broker_send(&s->broker, IPC_CLAIM, &s->ref, s->name,
		    strlen(s->name));
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
	if (s->state == SESSION_ACTIVE &&
	    !session_broker_settled(&s->broker, 0)) {
		log_warnx("the broker did not take our leave; the master will "
		    "announce it");
		s->claimed = 0;
		return;
	}
	presence_release(s->presence, &s->ref);
	s->claimed = 0;
	if (s->state == SESSION_ACTIVE) {
		session_broker_broadcast(&s->broker, msg_leave(s->name,
		    s->leave_reason ? s->leave_reason : "quit"));
		/* Until what we said last, this included, is through. */
		if (!session_broker_settled(&s->broker, 1))
			log_warnx("the broker did not take our leave notice");
	}
	session_broker_close(&s->broker);
	log_info("left (%s)", s->leave_reason ? s->leave_reason : "quit");
}

/* Compute the poll timeout in ms and handle timers that are due. */
static int
timers(struct session *s)
{
	int64_t	now = util_now_ms(), next, interval, ping_at, quiet;
	int	due, tell;

	if (s->state == SESSION_HANDSHAKE) {
		next = s->started + (int64_t)s->cfg->handshake_timeout * 1000;
		if (now >= next) {
			session_fail(s, PROTO_E_TIMEOUT, "handshake timed out",
			    "lost");
			return 0;
		}
		return (int)(next - now);
	}
	if (s->state == SESSION_CLAIMING) {
		if (now >= s->claim_until) {
			session_fail(s, PROTO_E_UNAVAILABLE, "the cluster did "
			    "not answer; try again shortly", "quit");
			return 0;
		}
		if (s->broker.fd == -1 && now >= s->broker.retry_at)
			connect_broker(s);
		return (int)(s->claim_until - now < BROKER_RETRY_MS ?
		    s->claim_until - now : BROKER_RETRY_MS);
	}
	next = s->last_input + (int64_t)s->cfg->idle_timeout * 1000;
	if (now >= next) {
		session_fail(s, PROTO_E_TIMEOUT, "no answer for too long",
		    "lost");
		return 0;
	}
	/* Ping a silent client a few times before giving up on it. */
	interval = (int64_t)s->cfg->idle_timeout * 1000 / 3;
	if (interval > PING_AFTER * 1000)
		interval = PING_AFTER * 1000;
	ping_at = (s->last_input > s->last_ping ? s->last_input :
	    s->last_ping) + interval;
	if (now >= ping_at) {
		session_send(s, msg_ping(now));
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
	if (s->broker.fd == -1) {
		if (now >= s->broker.retry_at)
			connect_broker(s);
		if (s->broker.fd == -1 && s->broker.retry_at < next)
			next = s->broker.retry_at;
	}
	if ((quiet = session_broker_silence(&s->broker, now, &tell)) < next)
		next = quiet;
	if (tell)
		session_send_error(s, PROTO_E_UNAVAILABLE, "the server cannot "
		    "relay messages at the moment; they wait until it can");
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
	return session_broker_ready(&s->broker) &&
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
	s.started = s.last_input = s.last_ping = util_now_ms();
	s.chat_bucket = (struct bucket){ s.cfg->chat_burst, s.started };
	s.key_bucket = (struct bucket){ 2.0 * presence_capacity(s.presence) +
	    64, s.started };
	buf_init(&s.out, s.cfg->out_queue_max);
	session_broker_init(&s.broker, s.cfg->broker_path,
	    presence_capacity(s.presence), &s.ref, on_broker_packet, &s);
	frame_decoder_init(&s.dec);
	frame_decoder_set_limits(&s.dec, FRAME_MAX_JSON, 0);
	s.lib = env->library;
	stream_init(&s.stream, s.lib, env->players, s.presence, &s.ref,
	    stream_send, &s);
	session_signals();
	crypto_random(s.nonce, sizeof s.nonce);
	session_send(&s, msg_challenge(s.cfg->server_name, s.nonce,
	    sizeof s.nonce));

	while (!s.done) {
		timeout = timers(&s);
		if (s.done)
			break;
		/* What was read and kept is handled before more is read. */
		if (s.nunread > 0 && reading(&s))
			timeout = 0;
		pfd[0] = (struct pollfd){ s.fd, reading(&s) && s.nunread == 0 ?
		    POLLIN : 0, 0 };
		if (buf_len(&s.out) > 0 || stream_pending(&s.stream, s.fd))
			pfd[0].events |= POLLOUT;
		pfd[1] = (struct pollfd){ s.broker.fd, POLLIN, 0 };
		if (s.broker.queue.count > 0)
			pfd[1].events |= POLLOUT;
		pfd[2] = (struct pollfd){ proc_signal_fd(), POLLIN, 0 };
		if (poll(pfd, 3, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if ((pfd[2].revents & POLLIN) && proc_take_signals() != 0) {
			session_fail(&s, PROTO_E_SHUTDOWN,
			    "server shutting down", "server shutting down");
			break;
		}
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))
			session_broker_read(&s.broker);
		if (pfd[1].revents & POLLOUT)
			session_broker_flush(&s.broker);
		if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) ||
		    (s.nunread > 0 && reading(&s)))
			read_client(&s);
		if (session_flush(&s) != 0 && !s.done) {
			s.done = 1;
			s.leave_reason = "lost";
		}
	}
	leave(&s);
	session_close(&s);
	crypto_key_free(s.key);
	stream_free(&s.stream);
	library_free(s.lib);
	frame_decoder_free(&s.dec);
	free(s.unread);
	buf_free(&s.out);
	session_broker_free(&s.broker);
	exit(0);
}
