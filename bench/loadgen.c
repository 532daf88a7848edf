/*
 * loadgen: chat fan-out load generator for tvchatd (see bench/README).
 *
 * One process, one epoll loop, n non-blocking TCP connections that log in
 * as "b0".."b<n-1>" with one shared RSA identity (the server checks each
 * hello and prekey signature, not that keys differ). Client b0 sends;
 * everyone, b0 included (its echo), receives. One message is sealed once
 * with a sender-key session (the same blob for every recipient, as in
 * the protocol); every send reuses its bytes and only overwrites the
 * fixed-width "id", which carries the sequence number and the send time,
 * so the generator does no crypto and builds no JSON while it measures.
 * No one opens the messages (there is no distribution): this measures
 * the server.
 *
 * Send time is when the message's first byte is handed to the kernel
 * (stamped just before the writev() that starts it), so a burst that
 * waits in the sender's socket because the server is not reading yet is
 * charged to the server. Receive time is taken once per read().
 *
 * Output: one line of key=value pairs on stdout. Exit 0 if every
 * recipient got every message exactly once and the server sent no error,
 * 1 otherwise (lost, duplicated, errors), 2 on a usage error.
 *
 * With several ports (-p 7001,7002: the nodes of a cluster), client i
 * connects to port i mod nports, so b0 is on the first; the latencies of
 * the clients on the other ports are also reported on their own.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "buf.h"
#include "crypto.h"
#include "ecc.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "proto.h"
#include "senderkey.h"
#include "xmalloc.h"

#include "benchlib.h"

/* The id is "<10-digit sequence>-<16-digit ns since start>". */
#define ID_SEQ_DIGITS	10
#define ID_TIME_DIGITS	16
#define ID_LEN		(ID_SEQ_DIGITS + 1 + ID_TIME_DIGITS)
#define ID_PLACEHOLDER	"0000000000-0000000000000000"

#define READ_CHUNK	(256 * 1024)
#define IN_MAX		(FRAME_HEADER_LEN + FRAME_MAX_JSON)
#define CONTROL_MAX	(1024 * 1024)
#define WRITE_BATCH	128	/* messages per writev(), 3 iovecs each */
#define MAX_EVENTS	512
#define SETUP_TIMEOUT_S	120
#define RETRY_MS	200
#define LOGIN_WAVE	16	/* handshakes under way at once */
#define MAX_RETRIES	100
#define FAST_SCAN	512	/* the id sits within this many bytes */
#define PLAINTEXT	"{\"text\":\"tvchat fan-out benchmark line, 40 B\"}"
#define TIMER_TAG	UINT32_MAX
#define ERRORS_SHOWN	10	/* server errors logged; the rest counted */
#define MAX_PORTS	16

enum client_state {
	C_WAIT_CHALLENGE,
	C_WAIT_WELCOME,
	C_READY,
	C_RETRY,	/* name taken or server full: reconnect later */
	C_CLOSED
};

struct client {
	int			 fd;
	int			 index;
	char			 name[16];
	enum client_state	 state;
	uint8_t			*in;
	size_t			 in_len;
	size_t			 in_cap;
	struct buf		 out;		/* hello, pong, quit */
	int			 want_out;	/* EPOLLOUT armed */
	uint8_t			*seen;		/* deliveries per sequence */
	uint64_t		 delivered;	/* distinct sequences */
	int			 checked;	/* one delivery fully checked */
	int			 retries;
	int64_t			 retry_at;
};

enum mode { MODE_STEADY, MODE_BURST };

struct bench {
	/* options */
	int			 ports[MAX_PORTS];
	int			 nports;
	int			 nclients;
	enum mode		 mode;
	double			 rate;
	uint64_t		 count;
	uint64_t		 burst;
	double			 duration;
	double			 timeout;	/* s without progress = loss */
	double			 pause;		/* s between bursts */
	int			 verbose;

	int			 epfd;
	int			 timerfd;
	int64_t			 t0;		/* ns, the ids' time origin */
	struct crypto_key	*key;
	struct client		*c;
	int			 nready;

	/* the sender's roster: who b0 knows is in the room */
	char			(*roster)[NAME_MAX_LEN + 1];
	size_t			 nroster;

	/* the pre-sealed message and the send queue */
	uint8_t			*tpl;
	size_t			 tpl_len;
	char			*sealed;	/* its blob, in base64url */
	size_t			 id_off;
	char			(*ids)[ID_LEN];
	uint64_t		 queued;	/* messages handed to the queue */
	uint64_t		 written;	/* messages fully written */
	size_t			 wpos;		/* bytes of message written */

	/* what arrived */
	int64_t			*lat;		/* ns, one per delivery */
	uint64_t		 nlat;
	uint64_t		 lat_cap;
	int64_t			*rlat;		/* those not on the first port */
	uint64_t		 nrlat;
	uint64_t		 delivered;	/* distinct (client, seq) */
	uint64_t		 dups;
	uint64_t		 errors;
	uint64_t		 bytes;		/* delivered chat frames */
	int64_t			 last_delivery;	/* ns */
};

static struct bench	bench;
const char		*bench_name = "loadgen";

/* Print the options and exit with a usage error. */
static void
usage(void)
{
	fprintf(stderr,
"usage: loadgen [-v] [-p port[,port...]] [-n clients] [-m steady|burst]\n"
"               [-r rate] [-c count] [-b burst] [-d seconds] [-t timeout]\n"
"               [-w pause]\n"
"  -p PORTS   tvchatd port(s) on 127.0.0.1 (default %d); with several,\n"
"             client i uses port i mod their number (b0 the first)\n"
"  -n N       connected clients, the sender b0 included (default 10)\n"
"  -m MODE    steady: -r messages/s; burst: -b messages back to back\n"
"  -r RATE    steady send rate, messages/s (default 100)\n"
"  -c COUNT   messages in all (default: rate x duration, or 5 bursts)\n"
"  -b SIZE    messages per burst (default 200)\n"
"  -d SECONDS steady duration when -c is not given (default 10)\n"
"  -t SECONDS give up waiting after this long without a delivery (5)\n"
"  -w SECONDS pause between bursts (default 0.2)\n"
"  -v         say what is happening on stderr\n", DEFAULT_PORT);
	exit(2);
}

/* Parse -p: one port or a comma-separated list of them. */
static void
parse_ports(char *arg)
{
	char	*p;

	bench.nports = 0;
	while ((p = strsep(&arg, ",")) != NULL) {
		if (bench.nports == MAX_PORTS) {
			fprintf(stderr, "loadgen: -p: at most %d ports\n",
			    MAX_PORTS);
			exit(2);
		}
		bench.ports[bench.nports++] = (int)number("-p", p, 1, 65535);
	}
}

/* Set or clear EPOLLOUT interest for client c. */
static void
want_write(struct client *c, int on)
{
	if (c->want_out == on || c->fd == -1)
		return;
	bench_want_write(bench.epfd, c->fd, (uint32_t)c->index, on);
	c->want_out = on;
}

/* Close c's connection (its deliveries from now on are lost). */
static void
client_close(struct client *c, enum client_state state)
{
	if (c->fd != -1) {
		epoll_ctl(bench.epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	if (c->state == C_READY)
		bench.nready--;
	c->state = state;
	c->in_len = 0;
	c->want_out = 0;
	buf_reset(&c->out);
}

/* Open c's connection and register it; fatal if connecting fails. */
static void
client_connect(struct client *c)
{
	c->fd = bench_connect(bench.epfd, bench.ports[c->index % bench.nports],
	    (uint32_t)c->index);
	c->state = C_WAIT_CHALLENGE;
	c->want_out = 0;
	c->in_len = 0;
}

/* Write c's queued control bytes; return 0, or -1 if the socket broke. */
static int
control_flush(struct client *c)
{
	return bench_flush(c->fd, &c->out);
}

static void	sender_flush(void);

/* Queue a control message for c and try to send it now. */
static void
control_send(struct client *c, json_object *m)
{
	if (msg_encode_free(m, &c->out) != 0)
		fatalx("%s: control queue full", c->name);
	if (c->index == 0) {
		sender_flush();
		return;
	}
	if (control_flush(c) != 0) {
		log_warn("%s: write", c->name);
		bench.errors++;
		client_close(c, C_CLOSED);
		return;
	}
	want_write(c, buf_len(&c->out) > 0);
}

/* Write the decimal value v into exactly width digits at p. */
static void
put_digits(char *p, uint64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* Parse exactly width decimal digits at p; return -1 if one is not. */
static int
get_digits(const uint8_t *p, int width, uint64_t *v)
{
	*v = 0;
	for (int i = 0; i < width; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		*v = *v * 10 + (uint64_t)(p[i] - '0');
	}
	return 0;
}

/* Fill ids[seq] with seq and the send time t (ns, monotonic). */
static void
stamp(uint64_t seq, int64_t t)
{
	char	*id = bench.ids[seq];

	put_digits(id, seq, ID_SEQ_DIGITS);
	id[ID_SEQ_DIGITS] = '-';
	put_digits(id + ID_SEQ_DIGITS + 1, (uint64_t)(t - bench.t0),
	    ID_TIME_DIGITS);
}

/* Add the bytes [from, to) of the template to iov, if any. */
static int
add_iov(struct iovec *iov, int n, size_t from, size_t to)
{
	if (from >= to)
		return n;
	iov[n].iov_base = bench.tpl + from;
	iov[n].iov_len = to - from;
	return n + 1;
}

/*
 * Write what the sender has queued: first its control bytes (only at a
 * message boundary), then the chat messages, many per writev(). Messages
 * not started yet are stamped with the time just before the call.
 */
static void
sender_flush(void)
{
	struct client	*s = &bench.c[0];
	struct iovec	 iov[WRITE_BATCH * 3];
	size_t		 from, idend = bench.id_off + ID_LEN, left;
	uint64_t	 seq;
	ssize_t		 n;
	int		 niov;
	int64_t		 t;

	if (s->fd == -1)
		return;
	if (bench.wpos == 0 && control_flush(s) != 0)
		goto broken;
	while (buf_len(&s->out) == 0 && bench.written < bench.queued) {
		t = now_ns();
		niov = 0;
		for (seq = bench.written; seq < bench.queued &&
		    niov + 3 <= WRITE_BATCH * 3; seq++) {
			from = seq == bench.written ? bench.wpos : 0;
			if (from == 0)
				stamp(seq, t);
			if (from < bench.id_off) {
				niov = add_iov(iov, niov, from, bench.id_off);
				from = bench.id_off;
			}
			if (from < idend) {
				iov[niov].iov_base = bench.ids[seq] +
				    (from - bench.id_off);
				iov[niov].iov_len = idend - from;
				niov++;
				from = idend;
			}
			niov = add_iov(iov, niov, from, bench.tpl_len);
		}
		n = writev(s->fd, iov, niov);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n == -1)
			goto broken;
		for (left = (size_t)n; left > 0; ) {
			if (left >= bench.tpl_len - bench.wpos) {
				left -= bench.tpl_len - bench.wpos;
				bench.wpos = 0;
				bench.written++;
			} else {
				bench.wpos += left;
				left = 0;
			}
		}
	}
	want_write(s, buf_len(&s->out) > 0 || bench.written < bench.queued);
	return;
broken:
	log_warn("%s: write", s->name);
	bench.errors++;
	client_close(s, C_CLOSED);
}

/* Return 1 if name is in the sender's roster. */
static int
roster_has(const char *name, size_t *at)
{
	for (size_t i = 0; i < bench.nroster; i++) {
		if (proto_name_equal(bench.roster[i], name)) {
			if (at != NULL)
				*at = i;
			return 1;
		}
	}
	return 0;
}

/* Add name to the sender's roster (once). */
static void
roster_add(const char *name)
{
	if (name == NULL || roster_has(name, NULL))
		return;
	bench.roster = xreallocarray(bench.roster, bench.nroster + 1,
	    sizeof *bench.roster);
	snprintf(bench.roster[bench.nroster++], sizeof bench.roster[0], "%s",
	    name);
}

/* Remove name from the sender's roster. */
static void
roster_remove(const char *name)
{
	size_t	i;

	if (name != NULL && roster_has(name, &i))
		memcpy(bench.roster[i], bench.roster[--bench.nroster],
		    sizeof bench.roster[0]);
}

/* Count one delivery of id (ID_LEN bytes at p) to c, received at now. */
static void
record(struct client *c, const uint8_t *p, size_t frame_len, int64_t now)
{
	uint64_t	seq, t;

	if (p[ID_SEQ_DIGITS] != '-' || get_digits(p, ID_SEQ_DIGITS, &seq) ||
	    get_digits(p + ID_SEQ_DIGITS + 1, ID_TIME_DIGITS, &t) ||
	    seq >= bench.queued) {
		log_warnx("%s: a chat with an id we never sent: %.*s", c->name,
		    ID_LEN, p);
		bench.errors++;
		return;
	}
	if (c->seen[seq]++ != 0) {
		bench.dups++;
		return;
	}
	c->delivered++;
	bench.delivered++;
	bench.bytes += frame_len;
	bench.last_delivery = now;
	if (bench.nlat < bench.lat_cap)
		bench.lat[bench.nlat++] = now - (bench.t0 + (int64_t)t);
	if (c->index % bench.nports != 0 && bench.nrlat < bench.lat_cap)
		bench.rlat[bench.nrlat++] = now - (bench.t0 + (int64_t)t);
}

/*
 * Check one delivered chat in full: valid by the protocol's own rules,
 * from b0, to #lobby, carrying exactly the blob b0 sealed. Returns the
 * id (ID_LEN bytes) or NULL after counting an error.
 */
static const char *
check_chat(struct client *c, json_object *m)
{
	const char	*id = msg_get_str(m, "id");
	const char	*sealed = msg_get_str(m, "sealed");

	if (!proto_name_equal(msg_get_str(m, "from"), "b0") ||
	    strcmp(msg_text(msg_get(m, "to")), "\"#lobby\"") != 0 ||
	    id == NULL || strlen(id) != ID_LEN || sealed == NULL ||
	    strcmp(sealed, bench.sealed) != 0) {
		log_warnx("%s: unexpected chat: %.300s", c->name, msg_text(m));
		bench.errors++;
		return NULL;
	}
	return id;
}

/* Answer the challenge: sign its nonce and our name. */
static void
on_challenge(struct client *c, json_object *m)
{
	if (c->state != C_WAIT_CHALLENGE)
		fatalx("%s: unexpected challenge", c->name);
	c->state = C_WAIT_WELCOME;
	control_send(c, bench_hello(bench.key, m, c->name));
}

/* users (and welcome): the sender learns who else is in. */
static void
on_users(struct client *c, json_object *m)
{
	json_object	*users = msg_get(m, "users");

	if (c->index != 0)
		return;
	for (size_t i = 0; i < json_object_array_length(users); i++)
		roster_add(msg_get_str(json_object_array_get_idx(users, i),
		    "name"));
}

/* welcome: we are in (the sender also learns who else is). */
static void
on_welcome(struct client *c, json_object *m)
{
	if (c->state != C_WAIT_WELCOME)
		fatalx("%s: unexpected welcome", c->name);
	c->state = C_READY;
	bench.nready++;
	on_users(c, m);
}

/* join: the sender tracks who is in the room. */
static void
on_join(struct client *c, json_object *m)
{
	if (c->index == 0)
		roster_add(msg_get_str(msg_get(m, "user"), "name"));
}

/* leave: the sender tracks who is in the room. */
static void
on_leave(struct client *c, json_object *m)
{
	if (c->index == 0)
		roster_remove(msg_get_str(m, "name"));
}

/* error: retry the login if the name is still held or the server full. */
static void
on_error(struct client *c, json_object *m)
{
	const char	*code = msg_get_str(m, "code");

	if (c->state == C_WAIT_WELCOME && (strcmp(code, "name-taken") == 0 ||
	    strcmp(code, "server-full") == 0)) {
		if (++c->retries > MAX_RETRIES)
			fatalx("%s: %s, %d times", c->name, code, MAX_RETRIES);
		if (bench.verbose)
			log_info("%s: %s; retrying", c->name, code);
		client_close(c, C_RETRY);
		c->retry_at = now_ns() / 1000000 + RETRY_MS;
		return;
	}
	if (bench.errors++ < ERRORS_SHOWN)
		log_warnx("%s: server error %s: %s", c->name, code,
		    msg_get_str(m, "message"));
}

/* ping: answer with the same id. */
static void
on_ping(struct client *c, json_object *m)
{
	control_send(c, msg_pong(msg_get_int(m, "id", 0)));
}

static const struct {
	const char	*type;
	void		(*handler)(struct client *, json_object *);
} dispatch_table[] = {
	{ "challenge", on_challenge },
	{ "welcome", on_welcome },
	{ "users", on_users },
	{ "join", on_join },
	{ "leave", on_leave },
	{ "error", on_error },
	{ "ping", on_ping },
};

/*
 * Handle one JSON frame. A chat takes the fast path once this client has
 * had one chat checked in full: find "id":" near the start and read the
 * fixed-width id. Anything else is parsed and validated with msg_parse().
 */
static void
handle_frame(struct client *c, const uint8_t *p, size_t len, int64_t now)
{
	static const char	 chat[] = "{\"type\":\"chat\",";
	static const char	 idkey[] = "\"id\":\"";
	const uint8_t		*at;
	json_object		*m;
	const char		*type, *id;
	char			 why[MSG_WHY_LEN];
	enum proto_error	 e;

	if (c->checked && len > sizeof chat - 1 &&
	    memcmp(p, chat, sizeof chat - 1) == 0 &&
	    (at = memmem(p, len < FAST_SCAN ? len : FAST_SCAN, idkey,
	    sizeof idkey - 1)) != NULL &&
	    (size_t)(at - p) + sizeof idkey - 1 + ID_LEN < len &&
	    at[sizeof idkey - 1 + ID_LEN] == '"') {
		record(c, at + sizeof idkey - 1, len + FRAME_HEADER_LEN, now);
		return;
	}
	/* Everyone but the sender may skip presence news unparsed. */
	if (c->index != 0 && c->state == C_READY && len > 16 &&
	    (memcmp(p, "{\"type\":\"join\",", 15) == 0 ||
	    memcmp(p, "{\"type\":\"leave\",", 16) == 0))
		return;
	if ((e = msg_parse(p, len, MSG_TO_CLIENT, &m, why, sizeof why)) !=
	    PROTO_OK)
		fatalx("%s: the server sent a bad message (%s): %s: %.200s",
		    c->name, proto_error_name(e), why, p);
	type = msg_type(m);
	if (strcmp(type, "chat") == 0) {
		if ((id = check_chat(c, m)) != NULL) {
			record(c, (const uint8_t *)id, len + FRAME_HEADER_LEN,
			    now);
			c->checked = 1;
		}
		json_object_put(m);
		return;
	}
	for (size_t i = 0; i < sizeof dispatch_table /
	    sizeof dispatch_table[0]; i++) {
		if (strcmp(dispatch_table[i].type, type) == 0) {
			dispatch_table[i].handler(c, m);
			break;
		}
	}
	json_object_put(m);
}

/* Read what c's socket holds and handle every complete frame. */
static void
client_read(struct client *c)
{
	size_t		 pos, need, space;
	uint32_t	 flen;
	ssize_t		 n;
	int64_t		 now;
	enum proto_error e;

	for (int round = 0; round < 4 && c->fd != -1; round++) {
		if (c->in_cap - c->in_len < READ_CHUNK) {
			c->in_cap = c->in_len + READ_CHUNK;
			c->in = xreallocarray(c->in, 1, c->in_cap);
		}
		space = c->in_cap - c->in_len;
		n = read(c->fd, c->in + c->in_len, space);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			if (c->state != C_RETRY) {
				log_warnx("%s: the server closed the "
				    "connection%s", c->name, n == 0 ? "" :
				    " (read error)");
				bench.errors++;
				client_close(c, C_CLOSED);
			}
			return;
		}
		now = now_ns();
		c->in_len += (size_t)n;
		for (pos = 0; c->fd != -1 &&
		    c->in_len - pos >= FRAME_HEADER_LEN; pos += need) {
			flen = be32dec(c->in + pos + 1);
			if ((e = frame_check_header(c->in[pos], flen,
			    FRAME_MAX_JSON, FRAME_MAX_VIDEO)) != PROTO_OK)
				fatalx("%s: bad frame from the server: %s",
				    c->name, proto_error_name(e));
			need = FRAME_HEADER_LEN + (size_t)flen;
			if (c->in_len - pos < need)
				break;
			if (c->in[pos] == FRAME_TYPE_JSON)
				handle_frame(c, c->in + pos + FRAME_HEADER_LEN,
				    flen, now);
		}
		if (c->fd == -1)
			return;
		memmove(c->in, c->in + pos, c->in_len - pos);
		c->in_len -= pos;
		if ((size_t)n < space)
			return;	/* drained, most likely: epoll will say */
	}
}

/* Wait up to timeout_ms for events and handle them. */
static void
poll_once(int timeout_ms)
{
	struct epoll_event	 ev[MAX_EVENTS];
	uint64_t		 ticks, room;
	int			 n;

	n = epoll_wait(bench.epfd, ev, MAX_EVENTS, timeout_ms);
	if (n == -1) {
		if (errno == EINTR)
			return;
		fatal("epoll_wait");
	}
	for (int i = 0; i < n; i++) {
		struct client	*c;

		if (ev[i].data.u32 == TIMER_TAG) {
			if (read(bench.timerfd, &ticks, sizeof ticks) !=
			    sizeof ticks)
				continue;
			room = bench.count - bench.queued;
			bench.queued += ticks < room ? ticks : room;
			sender_flush();
			continue;
		}
		c = &bench.c[ev[i].data.u32];
		if (c->fd == -1)
			continue;
		if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			client_read(c);
		if (c->fd != -1 && (ev[i].events & EPOLLOUT)) {
			if (c->index == 0)
				sender_flush();
			else if (control_flush(c) != 0) {
				log_warn("%s: write", c->name);
				bench.errors++;
				client_close(c, C_CLOSED);
			} else
				want_write(c, buf_len(&c->out) > 0);
		}
	}
}

/* Reconnect the clients whose login is due for another try. */
static void
retry_due(void)
{
	int64_t	now = now_ns() / 1000000;

	for (int i = 0; i < bench.nclients; i++)
		if (bench.c[i].state == C_RETRY && now >= bench.c[i].retry_at)
			client_connect(&bench.c[i]);
}

/* Return 1 once the sender's roster is exactly our n names. */
static int
roster_complete(void)
{
	if (bench.nroster != (size_t)bench.nclients)
		return 0;
	for (int i = 0; i < bench.nclients; i++)
		if (!roster_has(bench.c[i].name, NULL))
			return 0;
	return 1;
}

/*
 * Log everyone in: b0 first, so that it hears every other join (a join
 * reaching b0 also means the broker knows that session), then the rest,
 * LOGIN_WAVE at a time.
 * Returns when all are in and b0's roster is exactly our names.
 */
static void
setup(void)
{
	int64_t	deadline = now_ns() + (int64_t)SETUP_TIMEOUT_S * 1000000000;
	int	next, pending, i;

	client_connect(&bench.c[0]);
	while (bench.c[0].state != C_READY) {
		if (now_ns() > deadline || bench.c[0].state == C_CLOSED)
			fatalx("b0 could not log in");
		retry_due();
		poll_once(50);
	}
	next = 1;
	while (bench.nready < bench.nclients || !roster_complete()) {
		/* A few logins at a time: all at once would keep the last
		 * ones waiting past the server's handshake timeout. */
		for (pending = 0, i = 1; i < next; i++)
			pending += bench.c[i].state != C_READY;
		for (; next < bench.nclients && pending < LOGIN_WAVE; pending++)
			client_connect(&bench.c[next++]);
		if (now_ns() > deadline)
			fatalx("setup timed out: %d of %d logged in, b0 sees "
			    "%zu users", bench.nready, bench.nclients,
			    bench.nroster);
		for (i = 0; i < next; i++)
			if (bench.c[i].state == C_CLOSED)
				fatalx("%s could not log in", bench.c[i].name);
		retry_due();
		poll_once(50);
	}
}

/* Seal one message to #lobby with a fresh session and frame it. */
static void
make_template(void)
{
	struct ecc_signer	 signer;
	struct sk_chain		 chain;
	struct buf		 b;
	const uint8_t		*at;
	uint8_t			*blob;
	size_t			 len;
	char			 needle[64];
	int			 r;

	sk_chain_new(&chain);
	if (ecc_sign_generate(&signer) != 0)
		fatalx("cannot make a session key");
	if ((r = sk_seal(&chain, &signer, "b0", DEFAULT_ROOM,
	    (const uint8_t *)PLAINTEXT, strlen(PLAINTEXT), &blob, &len)) != 0)
		fatalx("sk_seal: %s", crypto_strerror(r));
	bench.sealed = base64url_encode(blob, len);
	free(blob);
	buf_init(&b, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	if (msg_encode_free(msg_chat_send(json_object_new_string(DEFAULT_ROOM),
	    ID_PLACEHOLDER, bench.sealed), &b) != 0)
		fatalx("the sealed message is over the frame cap");
	bench.tpl_len = buf_len(&b);
	bench.tpl = xmalloc(bench.tpl_len);
	memcpy(bench.tpl, buf_ptr(&b), bench.tpl_len);
	buf_free(&b);
	snprintf(needle, sizeof needle, "\"id\":\"%s\"", ID_PLACEHOLDER);
	if ((at = memmem(bench.tpl, bench.tpl_len, needle, strlen(needle))) ==
	    NULL)
		fatalx("no id in the sealed message");
	bench.id_off = (size_t)(at - bench.tpl) + 6;
}

/*
 * Keep handling events until delivered reaches want or nothing arrives
 * for the timeout; return 0, or -1 on the timeout.
 */
static int
wait_delivered(uint64_t want)
{
	int64_t	last = now_ns(), seen = (int64_t)bench.delivered;

	while (bench.delivered < want) {
		poll_once(100);
		if ((int64_t)bench.delivered != seen) {
			seen = (int64_t)bench.delivered;
			last = now_ns();
		} else if (now_ns() - last > (int64_t)(bench.timeout * 1e9))
			return -1;
	}
	return 0;
}

/* Send count messages at rate; return the measured time span in ns. */
static int64_t
run_steady(void)
{
	struct itimerspec	its = { 0 };
	struct epoll_event	ev = { 0 };
	int64_t			start, period = (int64_t)(1e9 / bench.rate);

	if ((bench.timerfd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC)) == -1)
		fatal("timerfd_create");
	ev.events = EPOLLIN;
	ev.data.u32 = TIMER_TAG;
	if (epoll_ctl(bench.epfd, EPOLL_CTL_ADD, bench.timerfd, &ev) != 0)
		fatal("epoll_ctl");
	its.it_interval.tv_sec = period / 1000000000;
	its.it_interval.tv_nsec = period % 1000000000;
	its.it_value.tv_nsec = 1;
	start = now_ns();
	if (timerfd_settime(bench.timerfd, 0, &its, NULL) != 0)
		fatal("timerfd_settime");
	while (bench.queued < bench.count)
		poll_once(-1);
	memset(&its, 0, sizeof its);
	timerfd_settime(bench.timerfd, 0, &its, NULL);
	if (wait_delivered(bench.count * (uint64_t)bench.nclients) != 0 &&
	    bench.verbose)
		log_info("gave up waiting after %.1f s without a delivery",
		    bench.timeout);
	return bench.last_delivery - start;
}

/* Send count messages in bursts; return the summed burst spans in ns. */
static int64_t
run_bursts(void)
{
	int64_t		start, span = 0, until;
	uint64_t	size;

	while (bench.queued < bench.count) {
		size = bench.count - bench.queued < bench.burst ?
		    bench.count - bench.queued : bench.burst;
		start = now_ns();
		bench.queued += size;
		sender_flush();
		if (wait_delivered(bench.queued * (uint64_t)bench.nclients)
		    != 0) {
			log_warnx("burst ending at %llu: nothing delivered for "
			    "%.1f s", (unsigned long long)bench.queued,
			    bench.timeout);
			span += bench.last_delivery - start;
			break;
		}
		span += bench.last_delivery - start;
		if (bench.verbose)
			log_info("burst of %llu: %.3f ms",
			    (unsigned long long)size,
			    (bench.last_delivery - start) / 1e6);
		until = now_ns() + (int64_t)(bench.pause * 1e9);
		while (now_ns() < until)
			poll_once((int)((until - now_ns()) / 1000000) + 1);
	}
	return span;
}

/* Say goodbye properly, so the server frees the names at once. */
static void
quit_all(void)
{
	for (int i = 0; i < bench.nclients; i++) {
		struct client *c = &bench.c[i];

		if (c->fd == -1 || (i == 0 && bench.wpos != 0))
			continue;	/* never a quit inside a chat frame */
		bench_quit(c->fd, &c->out);
	}
	for (int i = 0; i < bench.nclients; i++)
		client_close(&bench.c[i], C_CLOSED);
}

int
main(int argc, char **argv)
{
	struct sigaction	 sa;
	int64_t			 span;
	uint64_t		 expected, lost;
	int			 ch, have_count = 0;

	bench.ports[0] = DEFAULT_PORT;
	bench.nports = 1;
	bench.nclients = 10;
	bench.mode = MODE_STEADY;
	bench.rate = 100;
	bench.burst = 200;
	bench.duration = 10;
	bench.timeout = 5;
	bench.pause = 0.2;
	while ((ch = getopt(argc, argv, "p:n:m:r:c:b:d:t:w:vh")) != -1) {
		switch (ch) {
		case 'p':
			parse_ports(optarg);
			break;
		case 'n':
			bench.nclients = (int)number("-n", optarg, 1,
			    CHAT_MAX_RECIPIENTS);
			break;
		case 'm':
			if (strcmp(optarg, "steady") == 0)
				bench.mode = MODE_STEADY;
			else if (strcmp(optarg, "burst") == 0)
				bench.mode = MODE_BURST;
			else
				usage();
			break;
		case 'r':
			bench.rate = number("-r", optarg, 1, 1e6);
			break;
		case 'c':
			bench.count = (uint64_t)number("-c", optarg, 1, 1e7);
			have_count = 1;
			break;
		case 'b':
			bench.burst = (uint64_t)number("-b", optarg, 1, 1e6);
			break;
		case 'd':
			bench.duration = number("-d", optarg, 0.01, 86400);
			break;
		case 't':
			bench.timeout = number("-t", optarg, 0.1, 3600);
			break;
		case 'w':
			bench.pause = number("-w", optarg, 0, 60);
			break;
		case 'v':
			bench.verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (!have_count)
		bench.count = bench.mode == MODE_STEADY ?
		    (uint64_t)ceil(bench.rate * bench.duration) :
		    5 * bench.burst;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	log_open("loadgen", LOG_TO_STDERR, bench.verbose);
	crypto_init();

	bench.t0 = now_ns();
	bench.key = bench_key(NULL);
	if ((bench.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	bench.c = xcalloc((size_t)bench.nclients, sizeof *bench.c);
	for (int i = 0; i < bench.nclients; i++) {
		struct client *c = &bench.c[i];

		c->fd = -1;
		c->index = i;
		c->state = C_CLOSED;
		snprintf(c->name, sizeof c->name, "b%d", i);
		buf_init(&c->out, CONTROL_MAX);
		c->seen = xcalloc(bench.count, 1);
	}
	make_template();
	bench.ids = xreallocarray(NULL, bench.count, sizeof *bench.ids);
	bench.lat_cap = bench.count * (uint64_t)bench.nclients;
	bench.lat = xreallocarray(NULL, bench.lat_cap, sizeof *bench.lat);
	if (bench.nports > 1)
		bench.rlat = xreallocarray(NULL, bench.lat_cap,
		    sizeof *bench.rlat);
	if (bench.verbose)
		log_info("key and seal ready in %.0f ms; chat frame %zu bytes",
		    (now_ns() - bench.t0) / 1e6, bench.tpl_len);

	setup();
	if (bench.verbose)
		log_info("%d clients in after %.0f ms", bench.nclients,
		    (now_ns() - bench.t0) / 1e6);
	span = bench.mode == MODE_STEADY ? run_steady() : run_bursts();

	expected = bench.queued * (uint64_t)bench.nclients;
	lost = expected - bench.delivered;
	qsort(bench.lat, bench.nlat, sizeof *bench.lat, compare_i64);
	if (bench.nrlat > 0)
		qsort(bench.rlat, bench.nrlat, sizeof *bench.rlat,
		    compare_i64);
	printf("clients=%d mode=%s msgs=%llu deliveries=%llu "
	    "deliveries_per_s=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
	    "lost=%llu dups=%llu errors=%llu bytes_per_delivery=%.0f "
	    "span_s=%.3f upload_bytes=%zu",
	    bench.nclients, bench.mode == MODE_STEADY ? "steady" : "burst",
	    (unsigned long long)bench.queued,
	    (unsigned long long)bench.delivered,
	    span > 0 ? (double)bench.delivered / ((double)span / 1e9) : 0.0,
	    percentile(bench.lat, bench.nlat, 0.50),
	    percentile(bench.lat, bench.nlat, 0.99),
	    percentile(bench.lat, bench.nlat, 1.0),
	    (unsigned long long)lost, (unsigned long long)bench.dups,
	    (unsigned long long)bench.errors,
	    bench.delivered ? (double)bench.bytes / (double)bench.delivered : 0,
	    (double)span / 1e9, bench.tpl_len);
	if (bench.nports > 1)
		printf(" ports=%d remote_deliveries=%llu remote_p50_ms=%.3f "
		    "remote_p99_ms=%.3f remote_max_ms=%.3f", bench.nports,
		    (unsigned long long)bench.nrlat,
		    percentile(bench.rlat, bench.nrlat, 0.50),
		    percentile(bench.rlat, bench.nrlat, 0.99),
		    percentile(bench.rlat, bench.nrlat, 1.0));
	putchar('\n');
	fflush(stdout);
	if (bench.errors > ERRORS_SHOWN)
		log_warnx("%llu errors in all", (unsigned long long)bench.errors);
	if (lost > 0)
		for (int i = 0; i < bench.nclients; i++)
			if (bench.c[i].delivered < bench.queued)
				log_warnx("%s got %llu of %llu messages",
				    bench.c[i].name,
				    (unsigned long long)bench.c[i].delivered,
				    (unsigned long long)bench.queued);
	quit_all();
	return lost == 0 && bench.dups == 0 && bench.errors == 0 ? 0 : 1;
}
