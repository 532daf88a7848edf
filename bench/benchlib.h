/*
 * benchlib: code shared by the load generators loadgen.c and viewers.c
 * (see bench/README): the clock, option numbers, the non-blocking
 * loopback connections and their epoll interest, control writes, the
 * hello handshake, the identity, and percentiles.
 */

#ifndef BENCHLIB_H
#define BENCHLIB_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct buf;
struct crypto_key;

/* The program's name for usage errors; each generator defines it. */
extern const char	*bench_name;

int64_t		 now_ns(void);
double		 number(const char *, const char *, double, double);
int		 bench_connect(int, int, uint32_t);
void		 bench_want_write(int, int, uint32_t, int);
int		 bench_flush(int, struct buf *);
void		 bench_quit(int, struct buf *);
json_object	*bench_hello(const struct crypto_key *, json_object *,
		     const char *);
struct crypto_key *bench_key(const char *);
int		 compare_i64(const void *, const void *);
double		 percentile(const int64_t *, uint64_t, double);

#endif
