/*
 * benchlib: code shared by the load generators (see benchlib.h).
 */

#include "config.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "buf.h"
#include "crypto.h"
#include "distribution.h"
#include "ecc.h"
#include "log.h"
#include "msg.h"

#include "benchlib.h"

/* Return CLOCK_MONOTONIC in nanoseconds. */
int64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Parse a number in [min, max] or exit with a usage error. */
double
number(const char *opt, const char *s, double min, double max)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max)) {
		fprintf(stderr, "%s: %s: %s is not a number from %g to %g\n",
		    bench_name, opt, s, min, max);
		exit(2);
	}
	return v;
}

/*
 * Connect to 127.0.0.1:port (TCP_NODELAY, then non-blocking) and add the
 * socket to epfd for EPOLLIN with tag; return it. Fatal if anything fails.
 */
int
bench_connect(int epfd, int port, uint32_t tag)
{
	struct sockaddr_in	 sin = { 0 };
	struct epoll_event	 ev = { 0 };
	int			 fd, one = 1;

	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		fatal("socket");
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
		fatal("TCP_NODELAY");
	/* A blocking connect: on loopback it completes at once. */
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0)
		fatal("connect to 127.0.0.1:%d", port);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		fatal("fcntl");
	ev.events = EPOLLIN;
	ev.data.u32 = tag;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		fatal("epoll_ctl");
	return fd;
}

/* Set (on) or clear EPOLLOUT interest for fd, registered with tag. */
void
bench_want_write(int epfd, int fd, uint32_t tag, int on)
{
	struct epoll_event	ev = { 0 };

	ev.events = EPOLLIN | (on ? EPOLLOUT : 0);
	ev.data.u32 = tag;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
		fatal("epoll_ctl");
}

/* Write what out holds to fd; return 0, or -1 if the socket broke. */
int
bench_flush(int fd, struct buf *out)
{
	ssize_t	n;

	while (buf_len(out) > 0) {
		n = write(fd, buf_ptr(out), buf_len(out));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n == -1)
			return -1;
		buf_consume(out, (size_t)n);
	}
	return 0;
}

/* Drop what out holds, send quit on fd if it goes at once, and shut down. */
void
bench_quit(int fd, struct buf *out)
{
	buf_reset(out);
	if (msg_encode_free(msg_new("quit"), out) == 0)
		(void)bench_flush(fd, out);
	shutdown(fd, SHUT_WR);
}

/* Return a fresh prekey for name, signed with key, as a hello has it. */
static json_object *
bench_prekey(const struct crypto_key *key, const char *name)
{
	struct prekey	 pk;
	json_object	*o;
	uint8_t		*sig;
	size_t		 siglen;
	char		*pub64, *sig64;
	int		 r;

	ecc_dh_generate(pk.secret, pk.pub);
	pk.created = (int64_t)time(NULL) * 1000;
	if ((r = prekey_sign(key, name, &pk, &sig, &siglen)) != 0)
		fatalx("%s: signing prekey: %s", name, crypto_strerror(r));
	pub64 = base64url_encode(pk.pub, sizeof pk.pub);
	sig64 = base64url_encode(sig, siglen);
	o = msg_prekey(pub64, pk.created, sig64);
	explicit_bzero(&pk, sizeof pk);
	free(pub64);
	free(sig64);
	free(sig);
	return o;
}

/* Return the hello answering challenge m for name, signed with key. */
json_object *
bench_hello(const struct crypto_key *key, json_object *m, const char *name)
{
	json_object	*hello;
	uint8_t		*nonce;
	size_t		 len;
	char		*sig;
	int		 r;

	if (base64url_decode(msg_get_str(m, "nonce"), &nonce, &len) != 0)
		fatalx("%s: unexpected challenge", name);
	if ((r = crypto_hello_sign(key, nonce, len, name, &sig)) != 0)
		fatalx("%s: signing hello: %s", name, crypto_strerror(r));
	free(nonce);
	hello = msg_hello(name, crypto_key_to_jwk(key), sig,
	    bench_prekey(key, name));
	free(sig);
	return hello;
}

/*
 * Load the identity from keyfile, or make one (and save it there); with
 * keyfile NULL, just make one.
 */
struct crypto_key *
bench_key(const char *keyfile)
{
	struct crypto_key	*key;
	int			 r;

	if (keyfile != NULL && crypto_identity_load(keyfile, &key) == 0)
		return key;
	if ((r = crypto_key_generate(&key)) != 0)
		fatalx("key generation: %s", crypto_strerror(r));
	if (keyfile != NULL && (r = crypto_identity_save(key, keyfile)) != 0)
		log_warnx("cannot save the key to %s: %s", keyfile,
		    crypto_strerror(r));
	return key;
}

/* qsort() order for int64_t. */
int
compare_i64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Return the nearest-rank percentile p (0..1] of sorted v[n], in ms. */
double
percentile(const int64_t *v, uint64_t n, double p)
{
	uint64_t	rank;

	if (n == 0)
		return NAN;
	rank = (uint64_t)ceil(p * (double)n);
	if (rank < 1)
		rank = 1;
	return (double)v[rank - 1] / 1e6;
}
