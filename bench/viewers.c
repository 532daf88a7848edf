/*
 * viewers: video fan-out load generator for tvchatd (see bench/README).
 *
 * One process, one epoll loop, n non-blocking TCP connections that log in
 * as "v0".."v<n-1>" with one shared RSA identity (the server checks each
 * hello signature, not that keys differ). Once all are in, each sends
 * play {name, quality, size, start 0}, spread evenly over a second or
 * so, so that viewers of one title join the same shared player; titles
 * are dealt out round robin. Video frames are not kept: only the video
 * header, the JPEG's first and last two bytes and the time the frame's
 * last byte was read.
 *
 * Lateness: frame k of a stream is meant to be shown k frame intervals
 * after frame 0. A viewer's baseline is the smallest (arrival - k x
 * interval) over all its frames, i.e. the on-time schedule its best frame
 * kept (the first frame's, unless that one came late). Frame k is due at
 * baseline + k x interval; it is late if it arrives more than -l ms
 * (100) after that, and missing if it never arrives (dropped by the
 * server: a gap in the frame sequence). The figure is (late + missing) /
 * due, over the frames due inside the measuring window: -d seconds (8),
 * starting -W seconds (1) after the last viewer's first frame.
 *
 * Output: one line of key=value pairs on stdout. Exit 0 if nothing went
 * wrong on the wire (whatever the figures), 1 if the server sent an
 * error, closed a connection, sent a malformed frame or ended a stream
 * early, 2 on a usage error.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "proto.h"
#include "xmalloc.h"

#include "benchlib.h"

#define READ_CHUNK	(256 * 1024)
#define CONTROL_MAX	(64 * 1024)
#define MAX_EVENTS	512
#define LOGIN_TIMEOUT_S	120
#define LOGIN_WAVE	16	/* handshakes under way at once */
#define RETRY_MS	200
#define MAX_RETRIES	100
#define VHEAD_KEEP	(VIDEO_HEADER_LEN + 2)	/* header + JPEG SOI */
#define FRAME_SLACK	64	/* frame indexes past the announced count */
#define ERRORS_SHOWN	10
#define NS		1000000000LL

enum client_state {
	C_CLOSED,
	C_WAIT_CHALLENGE,
	C_WAIT_WELCOME,
	C_READY,
	C_RETRY		/* name taken or server full: reconnect later */
};

struct client {
	int			 fd;
	int			 index;
	char			 name[16];
	const char		*title;
	enum client_state	 state;
	int			 retries;
	int64_t			 retry_at;	/* ms */
	struct buf		 out;
	int			 want_out;

	/* the frame being read */
	uint8_t			 hdr[FRAME_HEADER_LEN];
	size_t			 hdr_have;
	uint8_t			 type;
	uint32_t		 len;
	uint32_t		 have;
	uint8_t			*json;
	size_t			 json_cap;
	uint8_t			 vhead[VHEAD_KEEP];
	uint8_t			 tail[2];

	/* the stream */
	int64_t			 play_at;	/* ns; 0 once sent */
	int			 streaming;	/* "stream" seen */
	int			 ended;		/* "stream-end" seen */
	uint32_t		 stream_id;
	double			 fps;
	int64_t			 nframes;	/* announced */
	int64_t			*arrival;	/* ns per frame index; 0: none */
	int64_t			 cap;
	int64_t			 first;		/* first frame's arrival */
	uint64_t		 frames;	/* received */
	uint32_t		 last_seq;
	uint64_t		 seq_gaps;	/* frames the seq skipped */
	uint64_t		 dups;
	int64_t			 last_arrival;
	int64_t			 max_gap;	/* inside the window, ns */
	uint64_t		 window_frames;
	uint64_t		 window_bytes;
};

struct bench {
	/* options */
	int			 port;
	int			 nclients;
	char			**titles;
	int			 ntitles;
	enum quality		 quality;
	int			 w, h;
	double			 spread;	/* s over which plays go out */
	double			 warmup;	/* s */
	double			 window;	/* s */
	double			 late_ms;
	double			 start_timeout;	/* s after the last play */
	const char		*keyfile;
	int			 watch_cpu;	/* -1: none */
	int			 verbose;

	int			 epfd;
	struct crypto_key	*key;
	struct client		*c;
	int			 nready;
	int			 started;	/* clients with a frame */
	int64_t			 t_start;	/* program start */
	int64_t			 t0, t1;	/* the window, ns */
	uint8_t			 rbuf[READ_CHUNK];

	uint64_t		 errors;
	uint64_t		 bad_frames;
	uint64_t		 ended_early;
};

static struct bench	bench;
const char		*bench_name = "viewers";

/* Print the options and exit with a usage error. */
static void
usage(void)
{
	fprintf(stderr,
"usage: viewers [-v] [-p port] [-n clients] [-t title[,title...]]\n"
"               [-q quality] [-s WxH] [-S spread] [-W warmup] [-d window]\n"
"               [-l late-ms] [-T start-timeout] [-k keyfile] [-c cpu]\n"
"  -p PORT    tvchatd port on 127.0.0.1 (default %d)\n"
"  -n N       viewers (default 10)\n"
"  -t TITLES  titles to play, dealt out round robin (default bench)\n"
"  -q QUALITY 240p, 720p or 1440p (default 720p)\n"
"  -s WxH     picture size asked for (default 640x360)\n"
"  -S SECONDS spread the plays over this long (default 1)\n"
"  -W SECONDS warm-up after the last viewer's first frame (default 1)\n"
"  -d SECONDS measuring window (default 8)\n"
"  -l MS      a frame this much after its due time is late (default 100)\n"
"  -T SECONDS wait this long after the last play for first frames (10)\n"
"  -k FILE    identity to use, generated and saved there if missing\n"
"  -c CPU     report how busy this CPU was in the window (the server's)\n"
"  -v         say what is happening, and per viewer figures, on stderr\n",
	    DEFAULT_PORT);
	exit(2);
}

/* Split the comma-separated title list into bench.titles. */
static void
parse_titles(const char *arg)
{
	char	*copy = xstrdup(arg), *tok, *save = NULL;

	for (int i = 0; i < bench.ntitles; i++)
		free(bench.titles[i]);
	bench.ntitles = 0;
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		bench.titles = xreallocarray(bench.titles,
		    (size_t)bench.ntitles + 1, sizeof *bench.titles);
		bench.titles[bench.ntitles++] = xstrdup(tok);
	}
	free(copy);
	if (bench.ntitles == 0)
		usage();
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

/* Close c's connection and leave it in state. */
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
	c->hdr_have = 0;
	c->want_out = 0;
	buf_reset(&c->out);
}

/* Open c's connection and register it; fatal if connecting fails. */
static void
client_connect(struct client *c)
{
	c->fd = bench_connect(bench.epfd, bench.port, (uint32_t)c->index);
	c->state = C_WAIT_CHALLENGE;
	c->want_out = 0;
	c->hdr_have = 0;
}

/* Write c's queued control bytes; return 0, or -1 if the socket broke. */
static int
control_flush(struct client *c)
{
	if (bench_flush(c->fd, &c->out) != 0)
		return -1;
	want_write(c, buf_len(&c->out) > 0);
	return 0;
}

/* Queue a control message for c and try to send it now. */
static void
control_send(struct client *c, json_object *m)
{
	if (c->fd == -1) {
		json_object_put(m);
		return;
	}
	if (msg_encode_free(m, &c->out) != 0)
		fatalx("%s: control queue full", c->name);
	if (control_flush(c) != 0) {
		log_warn("%s: write", c->name);
		bench.errors++;
		client_close(c, C_CLOSED);
	}
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

/* welcome: this viewer is in. */
static void
on_welcome(struct client *c, json_object *m)
{
	(void)m;
	if (c->state != C_WAIT_WELCOME)
		fatalx("%s: unexpected welcome", c->name);
	c->state = C_READY;
	bench.nready++;
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

/* stream: our play was accepted; note its id, rate and length. */
static void
on_stream(struct client *c, json_object *m)
{
	if (c->streaming) {
		if (bench.errors++ < ERRORS_SHOWN)
			log_warnx("%s: a second stream message: %s", c->name,
			    msg_text(m));
		return;
	}
	c->stream_id = (uint32_t)msg_get_int(m, "id", 0);
	c->fps = msg_get_num(m, "fps", 0);
	c->nframes = msg_get_int(m, "frames", 0);
	if (!(c->fps > 0 && c->fps <= 1000) || c->nframes <= 0 ||
	    c->nframes > 10000000 || msg_get_int(m, "w", 0) != bench.w ||
	    msg_get_int(m, "h", 0) != bench.h) {
		if (bench.errors++ < ERRORS_SHOWN)
			log_warnx("%s: unexpected stream: %s", c->name,
			    msg_text(m));
		return;
	}
	c->cap = c->nframes + FRAME_SLACK;
	c->arrival = xcalloc((size_t)c->cap, sizeof *c->arrival);
	c->streaming = 1;
}

/* stream-end: counted as a problem if it came before the window closed. */
static void
on_stream_end(struct client *c, json_object *m)
{
	const char	*reason = msg_get_str(m, "reason");

	c->ended = 1;
	if (bench.t1 != 0 && now_ns() > bench.t1 &&
	    strcmp(reason, "finished") == 0)
		return;
	bench.ended_early++;
	if (bench.errors++ < ERRORS_SHOWN)
		log_warnx("%s: stream ended early: %s", c->name, msg_text(m));
}

static const struct {
	const char	*type;
	void		(*handler)(struct client *, json_object *);
} dispatch_table[] = {
	{ "challenge", on_challenge },
	{ "welcome", on_welcome },
	{ "error", on_error },
	{ "ping", on_ping },
	{ "stream", on_stream },
	{ "stream-end", on_stream_end },
};

/* Handle one JSON message (presence news is skipped unparsed). */
static void
handle_json(struct client *c, const uint8_t *p, size_t len)
{
	json_object		*m;
	const char		*type;
	char			 why[MSG_WHY_LEN];
	enum proto_error	 e;

	if (len > 16 && (memcmp(p, "{\"type\":\"join\",", 15) == 0 ||
	    memcmp(p, "{\"type\":\"leave\",", 16) == 0))
		return;
	if ((e = msg_parse(p, len, MSG_TO_CLIENT, &m, why, sizeof why)) !=
	    PROTO_OK)
		fatalx("%s: the server sent a bad message (%s): %s: %.200s",
		    c->name, proto_error_name(e), why, p);
	type = msg_type(m);
	for (size_t i = 0; i < sizeof dispatch_table /
	    sizeof dispatch_table[0]; i++) {
		if (strcmp(dispatch_table[i].type, type) == 0) {
			dispatch_table[i].handler(c, m);
			break;
		}
	}
	json_object_put(m);
}

/* Count a malformed video frame; the first few are shown. */
static void
bad_frame(struct client *c, const char *why)
{
	bench.bad_frames++;
	if (bench.errors++ < ERRORS_SHOWN)
		log_warnx("%s: bad video frame: %s", c->name, why);
}

/* Record one complete video frame that arrived at now. */
static void
handle_video(struct client *c, int64_t now)
{
	struct video_header	 h;
	const uint8_t		*jpeg;
	size_t			 jlen;
	int64_t			 k;

	if (frame_video_decode(c->vhead, c->len < VHEAD_KEEP ? c->len :
	    VHEAD_KEEP, &h, &jpeg, &jlen) != PROTO_OK) {
		bad_frame(c, "header or JPEG start");
		return;
	}
	if (c->tail[0] != 0xff || c->tail[1] != 0xd9) {
		bad_frame(c, "the JPEG does not end with EOI");
		return;
	}
	if (!c->streaming || h.stream_id != c->stream_id) {
		bad_frame(c, "not of the announced stream");
		return;
	}
	if (h.width != bench.w || h.height != bench.h ||
	    h.quality != (uint8_t)bench.quality) {
		bad_frame(c, "not the size or quality asked for");
		return;
	}
	k = llround((double)h.pts_ms * c->fps / 1000.0);
	if (k < 0 || k >= c->cap) {
		bad_frame(c, "pts past the announced length");
		return;
	}
	if (c->arrival[k] != 0) {
		c->dups++;
		return;
	}
	c->arrival[k] = now;
	if (c->frames == 0) {
		c->first = now;
		bench.started++;
	} else if (h.seq > c->last_seq + 1)
		c->seq_gaps += h.seq - c->last_seq - 1;
	c->last_seq = h.seq;
	c->frames++;
	if (bench.t0 != 0 && now >= bench.t0 && now < bench.t1) {
		if (c->last_arrival != 0 && now - c->last_arrival > c->max_gap)
			c->max_gap = now - c->last_arrival;
		c->window_frames++;
		c->window_bytes += FRAME_HEADER_LEN + c->len;
	}
	c->last_arrival = now;
}

/*
 * Feed n bytes read at now through c's frame parser. JSON payloads are
 * collected whole; of a video payload only the header, the JPEG's first
 * two and last two bytes are kept.
 */
static void
consume(struct client *c, const uint8_t *p, size_t n, int64_t now)
{
	enum proto_error	e;
	size_t			take, i;

	while (n > 0 && c->fd != -1) {
		if (c->hdr_have < FRAME_HEADER_LEN) {
			take = FRAME_HEADER_LEN - c->hdr_have;
			if (take > n)
				take = n;
			memcpy(c->hdr + c->hdr_have, p, take);
			c->hdr_have += take;
			p += take;
			n -= take;
			if (c->hdr_have < FRAME_HEADER_LEN)
				return;
			c->type = c->hdr[0];
			c->len = be32dec(c->hdr + 1);
			c->have = 0;
			if ((e = frame_check_header(c->type, c->len,
			    FRAME_MAX_JSON, FRAME_MAX_VIDEO)) != PROTO_OK)
				fatalx("%s: bad frame from the server: %s",
				    c->name, proto_error_name(e));
			if (c->type == FRAME_TYPE_JSON && c->len > c->json_cap) {
				c->json = xreallocarray(c->json, 1, c->len);
				c->json_cap = c->len;
			}
			continue;
		}
		take = c->len - c->have;
		if (take > n)
			take = n;
		if (c->type == FRAME_TYPE_JSON)
			memcpy(c->json + c->have, p, take);
		else {
			for (i = c->have; i < VHEAD_KEEP && i < c->have + take;
			    i++)
				c->vhead[i] = p[i - c->have];
			for (i = c->have + take > 2 ? c->have + take - 2 : 0;
			    i < c->have + take; i++)
				if (i >= c->have && i + 2 >= c->len)
					c->tail[i + 2 - c->len] = p[i - c->have];
		}
		c->have += (uint32_t)take;
		p += take;
		n -= take;
		if (c->have < c->len)
			continue;
		c->hdr_have = 0;
		if (c->type == FRAME_TYPE_JSON)
			handle_json(c, c->json, c->len);
		else
			handle_video(c, now);
	}
}

/* Read what c's socket holds and handle every complete frame. */
static void
client_read(struct client *c)
{
	ssize_t	n;

	for (int round = 0; round < 4 && c->fd != -1; round++) {
		n = read(c->fd, bench.rbuf, sizeof bench.rbuf);
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
		consume(c, bench.rbuf, (size_t)n, now_ns());
		if ((size_t)n < sizeof bench.rbuf)
			return;	/* drained, most likely: epoll will say */
	}
}

/* Wait up to timeout_ms for events and handle them. */
static void
poll_once(int timeout_ms)
{
	struct epoll_event	 ev[MAX_EVENTS];
	struct client		*c;
	int			 n;

	n = epoll_wait(bench.epfd, ev, MAX_EVENTS, timeout_ms);
	if (n == -1) {
		if (errno == EINTR)
			return;
		fatal("epoll_wait");
	}
	for (int i = 0; i < n; i++) {
		c = &bench.c[ev[i].data.u32];
		if (c->fd == -1)
			continue;
		if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			client_read(c);
		if (c->fd != -1 && (ev[i].events & EPOLLOUT) &&
		    control_flush(c) != 0) {
			log_warn("%s: write", c->name);
			bench.errors++;
			client_close(c, C_CLOSED);
		}
	}
}

/* Poll until the monotonic time until (ns). */
static void
poll_until(int64_t until)
{
	int64_t	now;

	while ((now = now_ns()) < until)
		poll_once((int)((until - now + 999999) / 1000000));
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

/* Log everyone in, LOGIN_WAVE at a time; fatal if it takes too long. */
static void
login(void)
{
	int64_t	deadline = now_ns() + (int64_t)LOGIN_TIMEOUT_S * NS;
	int	next = 0, pending, i;

	while (bench.nready < bench.nclients) {
		/* A few at a time: all at once would keep the last ones
		 * waiting past the server's handshake timeout. */
		for (pending = 0, i = 0; i < next; i++)
			pending += bench.c[i].state != C_READY;
		for (; next < bench.nclients && pending < LOGIN_WAVE; pending++)
			client_connect(&bench.c[next++]);
		if (now_ns() > deadline)
			fatalx("login timed out: %d of %d logged in",
			    bench.nready, bench.nclients);
		for (i = 0; i < next; i++)
			if (bench.c[i].state == C_CLOSED)
				fatalx("%s could not log in", bench.c[i].name);
		retry_due();
		poll_once(50);
	}
}

/*
 * Send the plays at their times, spread over bench.spread seconds, then
 * wait for every viewer's first frame (or the start timeout). Returns
 * when the last one started.
 */
static int64_t
start_viewers(void)
{
	int64_t	t = now_ns(), next, deadline, now;
	int	sent = 0;

	for (int i = 0; i < bench.nclients; i++)
		bench.c[i].play_at = t + (int64_t)(bench.spread * NS *
		    i / bench.nclients);
	while (sent < bench.nclients) {
		now = now_ns();
		next = INT64_MAX;
		for (int i = 0; i < bench.nclients; i++) {
			struct client *c = &bench.c[i];

			if (c->play_at == 0)
				continue;
			if (c->play_at <= now) {
				control_send(c, msg_play(c->title,
				    bench.quality, bench.w, bench.h, 0));
				c->play_at = 0;
				sent++;
			} else if (c->play_at < next)
				next = c->play_at;
		}
		if (next != INT64_MAX)
			poll_once((int)((next - now + 999999) / 1000000));
	}
	deadline = now_ns() + (int64_t)(bench.start_timeout * NS);
	while (bench.started < bench.nclients && now_ns() < deadline)
		poll_once(10);
	return now_ns();
}

/* Return CPU cpu's busy and total jiffies from /proc/stat, or -1. */
static int
cpu_times(int cpu, double *busy, double *total)
{
	char	line[512], want[32];
	double	v[8] = { 0 };
	FILE	*f;
	int	 found = 0;

	if (cpu < 0 || (f = fopen("/proc/stat", "r")) == NULL)
		return -1;
	snprintf(want, sizeof want, "cpu%d ", cpu);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, want, strlen(want)) != 0)
			continue;
		found = sscanf(line + strlen(want), "%lf %lf %lf %lf %lf %lf "
		    "%lf %lf", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
		    &v[7]) >= 4;
		break;
	}
	fclose(f);
	if (!found)
		return -1;
	*total = 0;
	for (int i = 0; i < 8; i++)
		*total += v[i];
	*busy = *total - v[3] - v[4];	/* all but idle and iowait */
	return 0;
}

/* Return this process's user + system CPU seconds. */
static double
self_cpu(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Totals over all viewers for the window. */
struct tally {
	uint64_t	due, late, missing;
	double		worst_pct;
	int64_t		*delay;		/* ns, received due frames */
	uint64_t	ndelay;
	int64_t		max_gap;
	uint64_t	frames, bytes, seq_gaps, dups;
};

/* Judge one viewer's frames due in [t0, t1) and add them to tally. */
static void
judge(struct client *c, struct tally *t)
{
	uint64_t	due = 0, bad = 0;
	double		period, pct;
	int64_t		base = INT64_MAX, k0, k1, at;

	t->frames += c->window_frames;
	t->bytes += c->window_bytes;
	t->seq_gaps += c->seq_gaps;
	t->dups += c->dups;
	if (c->max_gap > t->max_gap)
		t->max_gap = c->max_gap;
	if (c->frames == 0) {
		/* Never started: everything it should have seen is missing. */
		due = (uint64_t)llround(bench.window * (c->fps > 0 ? c->fps :
		    30));
		t->due += due;
		t->missing += due;
		t->worst_pct = 100;
		return;
	}
	period = NS / c->fps;
	for (int64_t k = 0; k < c->cap; k++)
		if (c->arrival[k] != 0 &&
		    c->arrival[k] - (int64_t)(k * period) < base)
			base = c->arrival[k] - (int64_t)(k * period);
	k0 = (int64_t)ceil((double)(bench.t0 - base) / period);
	k1 = (int64_t)ceil((double)(bench.t1 - base) / period);
	if (k0 < 0)
		k0 = 0;
	if (k1 > c->nframes)
		k1 = c->nframes;
	for (int64_t k = k0; k < k1; k++) {
		due++;
		at = base + (int64_t)(k * period);
		if (c->arrival[k] == 0) {
			t->missing++;
			bad++;
			continue;
		}
		t->delay[t->ndelay++] = c->arrival[k] - at;
		if (c->arrival[k] - at > (int64_t)(bench.late_ms * 1e6)) {
			t->late++;
			bad++;
		}
	}
	t->due += due;
	pct = due ? 100.0 * (double)bad / (double)due : 0;
	if (pct > t->worst_pct)
		t->worst_pct = pct;
	if (bench.verbose)
		log_info("%s (%s): %llu due, %llu bad (%.2f%%), %llu frames in "
		    "all, seq gaps %llu, max gap %.1f ms", c->name, c->title,
		    (unsigned long long)due, (unsigned long long)bad, pct,
		    (unsigned long long)c->frames,
		    (unsigned long long)c->seq_gaps, c->max_gap / 1e6);
}

/* Say goodbye properly, so the server frees the names at once. */
static void
quit_all(void)
{
	for (int i = 0; i < bench.nclients; i++) {
		struct client *c = &bench.c[i];

		if (c->fd == -1)
			continue;
		bench_quit(c->fd, &c->out);
	}
	for (int i = 0; i < bench.nclients; i++)
		client_close(&bench.c[i], C_CLOSED);
}

/* Free what the run allocated. */
static void
free_all(void)
{
	for (int i = 0; i < bench.nclients; i++) {
		free(bench.c[i].json);
		free(bench.c[i].arrival);
		buf_free(&bench.c[i].out);
	}
	free(bench.c);
	for (int i = 0; i < bench.ntitles; i++)
		free(bench.titles[i]);
	free(bench.titles);
	crypto_key_free(bench.key);
	close(bench.epfd);
}

/* Parse the command line into bench. */
static void
options(int argc, char **argv)
{
	int	ch;

	bench.port = DEFAULT_PORT;
	bench.nclients = 10;
	bench.quality = QUALITY_720P;
	bench.w = 640;
	bench.h = 360;
	bench.spread = 1;
	bench.warmup = 1;
	bench.window = 8;
	bench.late_ms = 100;
	bench.start_timeout = 10;
	bench.watch_cpu = -1;
	parse_titles("bench");
	while ((ch = getopt(argc, argv, "p:n:t:q:s:S:W:d:l:T:k:c:vh")) != -1) {
		switch (ch) {
		case 'p':
			bench.port = (int)number("-p", optarg, 1, 65535);
			break;
		case 'n':
			bench.nclients = (int)number("-n", optarg, 1, 100000);
			break;
		case 't':
			parse_titles(optarg);
			break;
		case 'q':
			if (proto_quality_from_name(optarg, &bench.quality) != 0 ||
			    bench.quality == QUALITY_AUTO)
				usage();
			break;
		case 's':
			if (sscanf(optarg, "%dx%d", &bench.w, &bench.h) != 2 ||
			    bench.w < 1 || bench.h < 1 ||
			    bench.w > VIDEO_SIZE_MAX ||
			    bench.h > VIDEO_SIZE_MAX)
				usage();
			break;
		case 'S':
			bench.spread = number("-S", optarg, 0, 60);
			break;
		case 'W':
			bench.warmup = number("-W", optarg, 0, 60);
			break;
		case 'd':
			bench.window = number("-d", optarg, 0.1, 3600);
			break;
		case 'l':
			bench.late_ms = number("-l", optarg, 0, 60000);
			break;
		case 'T':
			bench.start_timeout = number("-T", optarg, 0.1, 600);
			break;
		case 'k':
			bench.keyfile = optarg;
			break;
		case 'c':
			bench.watch_cpu = (int)number("-c", optarg, 0, 4095);
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
}

int
main(int argc, char **argv)
{
	struct sigaction	 sa;
	struct tally		 t = { 0 };
	double			 busy0 = 0, total0 = 0, busy1, total1, cpu0;
	double			 server_cpu = NAN;
	int64_t			 t_login, t_started, t_play;
	uint64_t		 cap = 0;

	options(argc, argv);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	log_open("viewers", LOG_TO_STDERR, bench.verbose);
	crypto_init();

	bench.t_start = now_ns();
	bench.key = bench_key(bench.keyfile);
	if ((bench.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	bench.c = xcalloc((size_t)bench.nclients, sizeof *bench.c);
	for (int i = 0; i < bench.nclients; i++) {
		struct client *c = &bench.c[i];

		c->fd = -1;
		c->index = i;
		c->state = C_CLOSED;
		c->title = bench.titles[i % bench.ntitles];
		snprintf(c->name, sizeof c->name, "v%d", i);
		buf_init(&c->out, CONTROL_MAX);
	}

	t_login = now_ns();
	login();
	t_play = now_ns();
	if (bench.verbose)
		log_info("%d viewers in after %.0f ms", bench.nclients,
		    (t_play - t_login) / 1e6);
	t_started = start_viewers();
	if (bench.verbose)
		log_info("%d of %d viewers have frames, %.0f ms after the first "
		    "play", bench.started, bench.nclients,
		    (t_started - t_play) / 1e6);

	bench.t0 = t_started + (int64_t)(bench.warmup * NS);
	bench.t1 = bench.t0 + (int64_t)(bench.window * NS);
	poll_until(bench.t0);
	cpu0 = self_cpu();
	if (cpu_times(bench.watch_cpu, &busy0, &total0) != 0)
		bench.watch_cpu = -1;
	poll_until(bench.t1);
	cpu0 = self_cpu() - cpu0;
	if (bench.watch_cpu >= 0 &&
	    cpu_times(bench.watch_cpu, &busy1, &total1) == 0 &&
	    total1 > total0)
		server_cpu = 100.0 * (busy1 - busy0) / (total1 - total0);
	/* Frames due near the end may still come in time. */
	poll_until(bench.t1 + (int64_t)(bench.late_ms * 1e6) + 50000000);

	for (int i = 0; i < bench.nclients; i++)
		cap += bench.c[i].cap > 0 ? (uint64_t)bench.c[i].cap : 0;
	t.delay = xreallocarray(NULL, cap + 1, sizeof *t.delay);
	for (int i = 0; i < bench.nclients; i++)
		judge(&bench.c[i], &t);
	qsort(t.delay, t.ndelay, sizeof *t.delay, compare_i64);

	printf("viewers=%d titles=%d quality=%s size=%dx%d started=%d "
	    "due=%llu late=%llu missing=%llu bad_pct=%.3f worst_pct=%.2f "
	    "delay_p50_ms=%.1f delay_p99_ms=%.1f delay_max_ms=%.1f "
	    "max_gap_ms=%.1f fps_per_viewer=%.2f frame_kb=%.1f "
	    "mbytes_per_s=%.1f seq_gaps=%llu dups=%llu errors=%llu "
	    "bad_frames=%llu ended_early=%llu login_s=%.2f start_s=%.2f "
	    "gen_cpu_pct=%.0f server_cpu_pct=%.0f\n",
	    bench.nclients, bench.ntitles, proto_quality_name(bench.quality),
	    bench.w, bench.h, bench.started,
	    (unsigned long long)t.due, (unsigned long long)t.late,
	    (unsigned long long)t.missing,
	    t.due ? 100.0 * (double)(t.late + t.missing) / (double)t.due : 100,
	    t.worst_pct, percentile(t.delay, t.ndelay, 0.5),
	    percentile(t.delay, t.ndelay, 0.99),
	    percentile(t.delay, t.ndelay, 1.0), t.max_gap / 1e6,
	    (double)t.frames / bench.window / bench.nclients,
	    t.frames ? (double)t.bytes / (double)t.frames / 1024 : 0,
	    (double)t.bytes / bench.window / 1e6,
	    (unsigned long long)t.seq_gaps, (unsigned long long)t.dups,
	    (unsigned long long)bench.errors,
	    (unsigned long long)bench.bad_frames,
	    (unsigned long long)bench.ended_early,
	    (t_play - t_login) / 1e9, (t_started - t_play) / 1e9,
	    100.0 * cpu0 / bench.window, server_cpu);
	fflush(stdout);
	if (bench.errors > ERRORS_SHOWN)
		log_warnx("%llu errors in all", (unsigned long long)bench.errors);
	quit_all();
	free(t.delay);
	free_all();
	return bench.errors == 0 ? 0 : 1;
}
