/*
 * Fuzz target for the client's side of the protocol (client.c): the input
 * is what a hostile server sends to bob (the TEST-ONLY key in
 * fuzz_keys.h). The first byte chooses how the rest is cut into writes,
 * as in fuzz_frame.c; the rest goes into one end of a socket pair and the
 * client reads the other until the connection is over. Every event must
 * be a JSON line --batch can print, "closed" must come once and last,
 * everything the client answers must pass the server's own validation,
 * and in the end the roster must hold each name once, with trust states
 * that agree with the known keys, which must have been saved. Bob's
 * prekey is the fixed one make-corpus.sh seals the seeds' sessions to.
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

#include "client.h"
#include "keystore.h"
#include "msg.h"
#include "fuzz_keys.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

#define SERVER		"fuzz.example:10000"
#define READS_MAX	(1024 * 1024)	/* reads after the end of input */

/* One run: the client and what it told us and sent. */
struct run {
	struct client		 c;
	struct frame_decoder	 sent;	/* the client's bytes, as the server */
	int			 closed;	/* "closed" events */
};

static struct crypto_key	*bob;
static char			*known_path;

/* Load bob's identity and make the private directory, once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (bob != NULL)
		return 0;
	fuzz_set_name("fuzz_client");
	crypto_init();
	bob = fuzz_load_key(fuzz_bob_key);
	known_path = fuzz_path("known_keys");
	return 0;
}

/* The client's event callback: check the event and where it comes. */
static void
on_event(void *arg, json_object *ev)
{
	struct run	*r = arg;

	fuzz_check_event_order(ev, &r->closed);
}

/* The client's video callback: the header is in range, the JPEG there. */
static void
on_frame(void *arg, const struct video_header *h, const uint8_t *jpeg,
    size_t len)
{
	volatile uint8_t	sink = 0;

	(void)arg;
	if (h->width == 0 || h->height == 0 || h->width > VIDEO_SIZE_MAX ||
	    h->height > VIDEO_SIZE_MAX || h->quality < QUALITY_240P ||
	    h->quality > QUALITY_1440P || (h->flags & ~VIDEO_FLAGS_KNOWN) != 0)
		fuzz_fail("a video frame passed on out of range", NULL);
	/* Read every byte so the sanitizers check the length. */
	for (size_t i = 0; i < len; i++)
		sink ^= jpeg[i];
	(void)sink;
}

/*
 * Take what the client queued for the server as the server would: whole
 * JSON frames that msg_parse() accepts coming to the server.
 */
static void
check_sent(struct run *r)
{
	struct buf		*out = &r->c.out;
	const uint8_t		*p = buf_ptr(out);
	size_t			 n = buf_len(out), used;
	enum frame_status	 st;
	struct frame		 f;
	json_object		*m;
	char			 why[MSG_WHY_LEN];

	while (n > 0) {
		st = frame_decoder_feed(&r->sent, p, n, &used, &f);
		if (st == FRAME_ERROR)
			fuzz_fail("the client sent a bad frame",
			    proto_error_name(r->sent.error));
		p += used;
		n -= used;
		if (st == FRAME_NEED_MORE)
			break;
		if (f.type != FRAME_TYPE_JSON)
			fuzz_fail("the client sent a video frame", NULL);
		if (msg_parse(f.payload, f.len, MSG_TO_SERVER, &m, why,
		    sizeof why) != PROTO_OK)
			fuzz_fail("the client sent what the server refuses",
			    why);
		json_object_put(m);
		free(f.payload);
	}
	/* The client queues whole frames only. */
	if (r->sent.header_have != 0)
		fuzz_fail("the client queued part of a frame", NULL);
	buf_reset(out);
}

/* Have the client read once; returns what client_read() did. */
static int
read_once(struct run *r)
{
	int	ret = client_read(&r->c);

	if (ret == -1 && r->c.state != CLIENT_CLOSED)
		fuzz_fail("client_read ended without closing", NULL);
	if (ret == 0 && r->c.state == CLIENT_CLOSED)
		fuzz_fail("client_read closed without saying so", NULL);
	check_sent(r);
	return ret;
}

/* Let the client read everything written to it so far. */
static void
drain(struct run *r)
{
	int	avail;

	while (r->c.state != CLIENT_CLOSED &&
	    ioctl(r->c.fd, FIONREAD, &avail) == 0 && avail > 0)
		read_once(r);
}

/*
 * Check the roster: each name once (ignoring case), found by lookup, and
 * a trust state that agrees with the known keys, which must be saved.
 */
static void
check_roster(struct client *c)
{
	struct knownkeys	*saved = knownkeys_open(known_path, SERVER);
	const char		*fp, *known;

	for (size_t i = 0; i < c->npeers; i++) {
		struct peer	*p = &c->peers[i];

		if (!proto_name_valid(p->name) || p->key == NULL)
			fuzz_fail("a peer without a valid name and key",
			    p->name);
		for (size_t j = i + 1; j < c->npeers; j++)
			if (proto_name_equal(p->name, c->peers[j].name))
				fuzz_fail("the roster holds a name twice",
				    p->name);
		if (client_peer(c, p->name) != p)
			fuzz_fail("client_peer finds another peer", p->name);
		fp = crypto_key_fingerprint(p->key);
		if (proto_name_equal(p->name, c->name)) {
			if ((p->trust == TRUST_CHANGED) ==
			    crypto_key_equal(p->key, c->identity))
				fuzz_fail("our own key judged wrongly",
				    p->name);
			continue;
		}
		if ((known = knownkeys_get(c->known, p->name)) == NULL)
			fuzz_fail("a peer's key was not recorded", p->name);
		if ((p->trust == TRUST_CHANGED) == (strcmp(known, fp) == 0))
			fuzz_fail("a trust state disagrees with the known key",
			    p->name);
		if (knownkeys_get(saved, p->name) == NULL ||
		    strcmp(knownkeys_get(saved, p->name), known) != 0)
			fuzz_fail("a recorded key was not saved", p->name);
	}
	knownkeys_free(saved);
}

/* libFuzzer entry point: be bob's client to this server; returns 0. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct knownkeys	*known;
	struct keystore		*ks;
	struct run		 r;
	const uint8_t		*p;
	size_t			 left, n;
	ssize_t			 w;
	uint32_t		 state;
	int			 sv[2];

	if (size < 1)
		return 0;
	LLVMFuzzerInitialize(NULL, NULL);
	if (unlink(known_path) != 0 && errno != ENOENT)
		fuzz_fail("unlink", strerror(errno));
	known = knownkeys_open(known_path, SERVER);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) != 0)
		fuzz_fail("socketpair", strerror(errno));
	memset(&r, 0, sizeof r);
	frame_decoder_init(&r.sent);
	client_init(&r.c, sv[0], SERVER, bob, "bob", known, on_event, &r);
	/* Sessions in the seeds are sealed to this fixed prekey. */
	ks = fuzz_keystore(bob, "bob");
	client_use_keystore(&r.c, ks);
	r.c.on_frame = on_frame;

	state = data[0];
	p = data + 1;
	left = size - 1;
	while (left > 0 && r.c.state != CLIENT_CLOSED) {
		if ((n = fuzz_next_chunk(data[0], &state)) > left)
			n = left;
		if ((w = send(sv[1], p, n, MSG_NOSIGNAL)) == -1) {
			if (errno != EAGAIN && errno != EINTR)
				fuzz_fail("send", strerror(errno));
			w = 0;
		}
		p += w;
		left -= (size_t)w;
		drain(&r);
	}
	/* The server hangs up: the client must see the end. */
	close(sv[1]);
	for (n = 0; r.c.state != CLIENT_CLOSED; n++) {
		if (n == READS_MAX)
			fuzz_fail("the client does not see the end", NULL);
		read_once(&r);
	}
	if (r.closed != 1)
		fuzz_fail("the connection ended without \"closed\"", NULL);
	check_roster(&r.c);
	client_free(&r.c);
	keystore_free(ks);
	frame_decoder_free(&r.sent);
	knownkeys_free(known);
	return 0;
}
