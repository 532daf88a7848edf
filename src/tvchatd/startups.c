/*
 * Admission of new connections by the master. Connections still in their
 * handshake ("startups") are capped overall and per source address, as
 * OpenSSH's MaxStartups and PerSourceMaxStartups do: refused with a
 * probability rising from --max-startups' rate% at start to 100% at full,
 * and at most --per-source-startups from one address (an IPv6 /64). A
 * connection that a full cap would refuse takes the place of a stalled
 * handshake instead. Refusals are counted and logged at most once a
 * second. A startup ends when its session tells the master it holds a
 * slot (startups_done()), or when it dies.
 */
#include "config.h"

#include <netinet/in.h>

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "log.h"
#include "server.h"
#include "startups.h"
#include "xmalloc.h"

#define STARTUP_STALE_MS	2000	/* a handshake this old may give way */
#define REFUSALS_LOG_MS		1000	/* one line about refusals a second */

/* Where a connection comes from: an IPv4 address or an IPv6 /64 prefix. */
struct source {
	int		v6;
	uint64_t	bits;
};

/* A session that has not finished its handshake. */
struct startup {
	pid_t		pid;
	struct source	src;
	int64_t		since;	/* ms, monotonic: when it was accepted */
};

/* Set up st for the limits of cfg, with no startups. */
void
startups_init(struct startups *st, const struct server_config *cfg)
{
	memset(st, 0, sizeof *st);
	st->cfg = cfg;
	st->list = xreallocarray(NULL, cfg->startups_full, sizeof *st->list);
}

/* Free what st holds. */
void
startups_free(struct startups *st)
{
	free(st->list);
	st->list = NULL;
	st->count = 0;
}

/* Return the source of a peer: its IPv4 address, or its IPv6 /64. */
static struct source
source_of(const struct sockaddr_storage *ss)
{
	struct source	 src = { 0, 0 };
	const uint8_t	*a;
	int		 n = 4;

	if (ss->ss_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(
		    &((const struct sockaddr_in6 *)ss)->sin6_addr))
			a += 12;
		else {
			src.v6 = 1;
			n = 8;
		}
	} else
		a = (const uint8_t *)
		    &((const struct sockaddr_in *)ss)->sin_addr;
	for (int i = 0; i < n; i++)
		src.bits = src.bits << 8 | a[i];
	return src;
}

/* Forget startup i: it logged in, gave way or died. */
static void
startup_remove(struct startups *st, size_t i)
{
	st->list[i] = st->list[--st->count];
}

/* Forget pid as a startup if it was one; unknown pids are ignored. */
void
startups_done(struct startups *st, pid_t pid)
{
	for (size_t i = 0; i < st->count; i++) {
		if (st->list[i].pid == pid) {
			startup_remove(st, i);
			return;
		}
	}
}

/*
 * Return 1 if a new connection should be refused with n startups: never
 * below start, always from full on, and in between with a probability
 * rising linearly from rate% (OpenSSH's drop_connection()).
 */
static int
startups_drop(const struct server_config *cfg, size_t n)
{
	unsigned int	p;
	uint32_t	r;

	if (n < cfg->startups_start)
		return 0;
	if (n >= cfg->startups_full)
		return 1;
	p = 100 - cfg->startups_rate;
	p *= (unsigned int)n - cfg->startups_start;
	p /= cfg->startups_full - cfg->startups_start;
	p += cfg->startups_rate;
	crypto_random((uint8_t *)&r, sizeof r);
	return r % 100 < p;
}

/* Kill startup i if it is stale, to make room; return 1 if it was. */
static int
evict_stale(struct startups *st, size_t i, int64_t now)
{
	if (i >= st->count || now - st->list[i].since <= STARTUP_STALE_MS)
		return 0;
	/* It holds no slot yet and nobody waits on it: it can just go (one
	 * that raced into a slot is repaired by reap(), as after a crash). */
	kill(st->list[i].pid, SIGKILL);
	startup_remove(st, i);
	st->evicted++;
	return 1;
}

/*
 * Decide whether a connection from src may start a session: at most
 * per_source_startups handshakes from one source and startups_full in
 * all, with early random refusals from startups_start on. A connection
 * that a full cap would refuse takes the place of that cap's oldest
 * handshake instead if it is stale. Returns NULL to admit, else why not.
 */
const char *
startups_admit(struct startups *st, const struct sockaddr_storage *ss,
    int64_t now)
{
	const struct server_config	*cfg = st->cfg;
	struct source			 src = source_of(ss);
	size_t				 oldest = SIZE_MAX;
	size_t				 mine = SIZE_MAX, nmine = 0;

	for (size_t i = 0; i < st->count; i++) {
		const struct startup *it = &st->list[i];

		if (oldest == SIZE_MAX || it->since < st->list[oldest].since)
			oldest = i;
		if (it->src.v6 != src.v6 || it->src.bits != src.bits)
			continue;
		nmine++;
		if (mine == SIZE_MAX || it->since < st->list[mine].since)
			mine = i;
	}
	if (cfg->per_source_startups > 0 && nmine >= cfg->per_source_startups) {
		if (evict_stale(st, mine, now))
			return NULL;
		st->refused_source++;
		return "too many connections from your address are logging in; "
		    "try again";
	}
	if (startups_drop(cfg, st->count)) {
		if (st->count >= cfg->startups_full &&
		    evict_stale(st, oldest, now))
			return NULL;
		st->refused_all++;
		return "too many connections are logging in; try again";
	}
	return NULL;
}

/* Log the refusals since the last such line: at most one a second. */
void
startups_log(struct startups *st, int64_t now)
{
	if (st->refused_all + st->refused_source + st->evicted == 0 ||
	    now < st->logged_at + REFUSALS_LOG_MS)
		return;
	log_warnx("refused %lu connections (%lu over --max-startups, %lu over "
	    "--per-source-startups), dropped %lu stalled handshakes; %zu in "
	    "their handshake now", st->refused_all + st->refused_source,
	    st->refused_all, st->refused_source, st->evicted, st->count);
	st->refused_all = st->refused_source = st->evicted = 0;
	st->logged_at = now;
}

/*
 * Return when startups_log() has a line to write (ms, monotonic), or -1
 * if there is nothing to tell.
 */
int64_t
startups_log_at(const struct startups *st)
{
	if (st->refused_all + st->refused_source + st->evicted == 0)
		return -1;
	return st->logged_at + REFUSALS_LOG_MS;
}

/*
 * Count the session pid, just forked for a connection from ss that
 * startups_admit() admitted at now, as a startup.
 */
void
startups_add(struct startups *st, pid_t pid, const struct sockaddr_storage *ss,
    int64_t now)
{
	st->list[st->count++] = (struct startup){ pid, source_of(ss), now };
}
