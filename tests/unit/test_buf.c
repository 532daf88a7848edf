/* Unit tests for buf.c and the big-endian helpers in buf.h. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Return the next value of a small deterministic PRNG (xorshift32). */
static uint32_t
prng(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

/* Assert that b holds exactly want[0..len). */
static void
assert_buf_is(const struct buf *b, const void *want, size_t len)
{
	assert_int_equal(buf_len(b), len);
	assert_non_null(buf_ptr(b));
	if (len > 0)
		assert_memory_equal(buf_ptr(b), want, len);
}

/* A new buffer is empty, has a readable pointer and its whole cap as room. */
static void
test_init_empty(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100);
	assert_buf_is(&b, "", 0);
	assert_int_equal(buf_room(&b), 100);
	buf_free(&b);
}

/* Appends accumulate in order and reduce the room. */
static void
test_append(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_append(&b, "hello", 5), 0);
	assert_buf_is(&b, "hello", 5);
	assert_int_equal(buf_room(&b), 59);
	assert_int_equal(buf_append(&b, ", world", 7), 0);
	assert_buf_is(&b, "hello, world", 12);
	assert_int_equal(buf_room(&b), 52);
	/* Zero bytes is a no-op that always succeeds. */
	assert_int_equal(buf_append(&b, "x", 0), 0);
	assert_buf_is(&b, "hello, world", 12);
	buf_free(&b);
}

/* Appends larger than the initial allocation grow the buffer. */
static void
test_append_grows(void **state)
{
	struct buf	b;
	uint8_t		data[5000];

	(void)state;
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	buf_init(&b, sizeof data);
	for (size_t i = 0; i < sizeof data; i += 100)
		assert_int_equal(buf_append(&b, data + i, 100), 0);
	assert_buf_is(&b, data, sizeof data);
	assert_int_equal(buf_room(&b), 0);
	buf_free(&b);
}

/* The cap is exact: filling to it works, one more byte fails cleanly. */
static void
test_cap_enforced(void **state)
{
	struct buf	b;
	uint8_t		data[1001];

	(void)state;
	memset(data, 'a', sizeof data);
	buf_init(&b, 1000);
	/* All at once over the cap: refused, nothing appended. */
	assert_int_equal(buf_append(&b, data, 1001), -1);
	assert_buf_is(&b, "", 0);
	assert_int_equal(buf_room(&b), 1000);

	assert_int_equal(buf_append(&b, "0123456789", 10), 0);
	/* Partly full: an append that would cross the cap is refused. */
	assert_int_equal(buf_append(&b, data, 991), -1);
	assert_buf_is(&b, "0123456789", 10);
	assert_int_equal(buf_append(&b, data, 990), 0);
	assert_int_equal(buf_len(&b), 1000);
	assert_int_equal(buf_room(&b), 0);
	/* Full: even one byte is refused and contents stay. */
	assert_int_equal(buf_append(&b, "z", 1), -1);
	assert_int_equal(buf_len(&b), 1000);
	assert_memory_equal(buf_ptr(&b), "0123456789", 10);
	assert_memory_equal(buf_ptr(&b) + 10, data, 990);
	/* An absurd length is refused without being read or allocated. */
	assert_int_equal(buf_append(&b, data, SIZE_MAX), -1);
	assert_null(buf_reserve(&b, SIZE_MAX));
	assert_int_equal(buf_len(&b), 1000);
	/* Room comes back as data is consumed. */
	buf_consume(&b, 10);
	assert_int_equal(buf_room(&b), 10);
	assert_int_equal(buf_append(&b, "ABCDEFGHIJ", 10), 0);
	assert_int_equal(buf_append(&b, "K", 1), -1);
	assert_memory_equal(buf_ptr(&b), data, 990);
	assert_memory_equal(buf_ptr(&b) + 990, "ABCDEFGHIJ", 10);
	buf_free(&b);
}

/* A cap smaller than the first allocation is still enforced. */
static void
test_small_cap(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 3);
	assert_int_equal(buf_append(&b, "abcd", 4), -1);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_int_equal(buf_append(&b, "d", 1), -1);
	assert_buf_is(&b, "abc", 3);
	buf_free(&b);

	buf_init(&b, 0);
	assert_int_equal(buf_room(&b), 0);
	assert_int_equal(buf_append(&b, "a", 1), -1);
	assert_null(buf_reserve(&b, 1));
	assert_int_equal(buf_append(&b, "a", 0), 0);
	assert_buf_is(&b, "", 0);
	buf_free(&b);
}

/* Consume drops bytes from the front and clamps to what is there. */
static void
test_consume(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_append(&b, "abcdefgh", 8), 0);
	buf_consume(&b, 0);
	assert_buf_is(&b, "abcdefgh", 8);
	buf_consume(&b, 3);
	assert_buf_is(&b, "defgh", 5);
	assert_int_equal(buf_room(&b), 59);
	buf_consume(&b, 5);
	assert_buf_is(&b, "", 0);
	assert_int_equal(buf_room(&b), 64);
	assert_int_equal(buf_append(&b, "xyz", 3), 0);
	buf_consume(&b, 1000);
	assert_buf_is(&b, "", 0);
	assert_int_equal(buf_room(&b), 64);
	/* Consuming an empty buffer is harmless. */
	buf_consume(&b, 1);
	assert_buf_is(&b, "", 0);
	buf_free(&b);

	buf_init(&b, 64);
	buf_consume(&b, 5);
	assert_buf_is(&b, "", 0);
	buf_free(&b);
}

/*
 * After a consume, appending data that fits once the unread bytes move to
 * the front compacts instead of growing, and keeps the bytes intact.
 */
static void
test_compaction_keeps_data(void **state)
{
	struct buf	b;
	uint8_t		first[1000], second[800], want[900];
	size_t		size;

	(void)state;
	for (size_t i = 0; i < sizeof first; i++)
		first[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof second; i++)
		second[i] = (uint8_t)(0xff - i);
	buf_init(&b, 1024);
	assert_int_equal(buf_append(&b, first, sizeof first), 0);
	size = b.size;
	assert_true(size >= 1000);
	buf_consume(&b, 900);
	assert_buf_is(&b, first + 900, 100);
	assert_int_equal(buf_append(&b, second, sizeof second), 0);
	memcpy(want, first + 900, 100);
	memcpy(want + 100, second, 800);
	assert_buf_is(&b, want, 900);
	assert_int_equal(b.size, size);
	assert_int_equal(buf_room(&b), 1024 - 900);
	buf_free(&b);
}

/* Reserve hands out writable space; commit makes it unread data. */
static void
test_reserve_commit(void **state)
{
	struct buf	 b;
	uint8_t		*p;

	(void)state;
	buf_init(&b, 32);
	assert_int_equal(buf_append(&b, "ab", 2), 0);
	p = buf_reserve(&b, 10);
	assert_non_null(p);
	/* Reserving alone adds nothing. */
	assert_buf_is(&b, "ab", 2);
	memcpy(p, "cdefghijkl", 10);
	/* Commit fewer bytes than reserved: only those become data. */
	buf_commit(&b, 4);
	assert_buf_is(&b, "abcdef", 6);
	assert_int_equal(buf_room(&b), 26);

	/* Reserve exactly the room; one more is refused. */
	assert_null(buf_reserve(&b, 27));
	p = buf_reserve(&b, 26);
	assert_non_null(p);
	memset(p, 'z', 26);
	buf_commit(&b, 26);
	assert_int_equal(buf_len(&b), 32);
	assert_memory_equal(buf_ptr(&b), "abcdef", 6);
	assert_null(buf_reserve(&b, 1));

	/* With data in it, a zero-byte reservation points after the data. */
	buf_consume(&b, 30);
	p = buf_reserve(&b, 0);
	assert_non_null(p);
	assert_ptr_equal(p, buf_ptr(&b) + buf_len(&b));
	buf_free(&b);
}

/* Reset drops unread bytes but keeps the allocation and the cap. */
static void
test_reset(void **state)
{
	struct buf	 b;
	uint8_t		*data;
	size_t		 size;

	(void)state;
	buf_init(&b, 500);
	assert_int_equal(buf_append(&b, "something", 9), 0);
	buf_consume(&b, 2);
	data = b.data;
	size = b.size;
	buf_reset(&b);
	assert_buf_is(&b, "", 0);
	assert_int_equal(buf_room(&b), 500);
	assert_ptr_equal(b.data, data);
	assert_int_equal(b.size, size);
	assert_int_equal(buf_append(&b, "again", 5), 0);
	assert_buf_is(&b, "again", 5);
	buf_free(&b);
}

/* Free releases the memory and leaves an empty buffer with the same cap. */
static void
test_free_reusable(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	assert_int_equal(buf_append(&b, "data", 4), 0);
	buf_free(&b);
	assert_null(b.data);
	assert_buf_is(&b, "", 0);
	assert_int_equal(buf_room(&b), 16);
	assert_int_equal(buf_append(&b, "0123456789abcdef", 16), 0);
	assert_int_equal(buf_append(&b, "!", 1), -1);
	assert_buf_is(&b, "0123456789abcdef", 16);
	buf_free(&b);
	/* Freeing twice is harmless. */
	buf_free(&b);
	assert_null(b.data);
}

/* Random appends, reservations and consumes match a plain array model. */
static void
test_random_against_model(void **state)
{
	enum { CAP = 3000, STEPS = 20000 };
	static uint8_t	 model[CAP], chunk[CAP + 100];
	struct buf	 b;
	uint32_t	 seed = 12345;
	size_t		 mlen = 0, n;
	uint8_t		*p;

	(void)state;
	buf_init(&b, CAP);
	for (int step = 0; step < STEPS; step++) {
		uint32_t r = prng(&seed);

		n = prng(&seed) % (r % 7 == 0 ? CAP + 50 : 200);
		for (size_t i = 0; i < n; i++)
			chunk[i] = (uint8_t)prng(&seed);
		switch (r % 4) {
		case 0:
			if (mlen + n <= CAP) {
				assert_int_equal(buf_append(&b, chunk, n), 0);
				memcpy(model + mlen, chunk, n);
				mlen += n;
			} else
				assert_int_equal(buf_append(&b, chunk, n), -1);
			break;
		case 1:
			p = buf_reserve(&b, n);
			if (mlen + n <= CAP) {
				assert_non_null(p);
				memcpy(p, chunk, n);
				buf_commit(&b, n);
				memcpy(model + mlen, chunk, n);
				mlen += n;
			} else
				assert_null(p);
			break;
		default:
			buf_consume(&b, n);
			if (n > mlen)
				n = mlen;
			memmove(model, model + n, mlen - n);
			mlen -= n;
			break;
		}
		assert_buf_is(&b, model, mlen);
		assert_int_equal(buf_room(&b), CAP - mlen);
	}
	buf_free(&b);
}

/* be16/be32 encode most significant byte first and decode it back. */
static void
test_big_endian(void **state)
{
	static const uint16_t v16[] = { 0, 1, 0x00ff, 0x0100, 0x1234, 0x7fff,
	    0x8000, 0xfedc, 0xffff };
	static const uint32_t v32[] = { 0, 1, 0xff, 0x100, 0x12345678,
	    0x7fffffff, 0x80000000, 0xdeadbeef, 0xffffffff };
	uint8_t p[6];

	(void)state;
	memset(p, 0xaa, sizeof p);
	be16enc(p + 1, 0x1234);
	assert_int_equal(p[0], 0xaa);
	assert_int_equal(p[1], 0x12);
	assert_int_equal(p[2], 0x34);
	assert_int_equal(p[3], 0xaa);

	memset(p, 0xaa, sizeof p);
	be32enc(p + 1, 0x12345678);
	assert_int_equal(p[0], 0xaa);
	assert_int_equal(p[1], 0x12);
	assert_int_equal(p[2], 0x34);
	assert_int_equal(p[3], 0x56);
	assert_int_equal(p[4], 0x78);
	assert_int_equal(p[5], 0xaa);

	/* High bits must not sign-extend. */
	p[0] = 0xff;
	p[1] = 0xfe;
	assert_int_equal(be16dec(p), 0xfffe);
	p[0] = 0x80;
	p[1] = p[2] = p[3] = 0x00;
	assert_int_equal(be32dec(p), 0x80000000u);
	p[0] = 0xde;
	p[1] = 0xad;
	p[2] = 0xbe;
	p[3] = 0xef;
	assert_int_equal(be32dec(p), 0xdeadbeefu);

	for (size_t i = 0; i < sizeof v16 / sizeof v16[0]; i++) {
		be16enc(p, v16[i]);
		assert_int_equal(p[0], v16[i] >> 8);
		assert_int_equal(p[1], v16[i] & 0xff);
		assert_int_equal(be16dec(p), v16[i]);
	}
	for (size_t i = 0; i < sizeof v32 / sizeof v32[0]; i++) {
		be32enc(p, v32[i]);
		assert_int_equal(p[0], v32[i] >> 24);
		assert_int_equal(p[3], v32[i] & 0xff);
		assert_int_equal(be32dec(p), v32[i]);
	}
	/* Every 16-bit value round-trips. */
	for (uint32_t v = 0; v <= 0xffff; v++) {
		be16enc(p, (uint16_t)v);
		assert_int_equal(be16dec(p), v);
	}
}

/* Run the buffer tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_empty),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_append_grows),
		cmocka_unit_test(test_cap_enforced),
		cmocka_unit_test(test_small_cap),
		cmocka_unit_test(test_consume),
		cmocka_unit_test(test_compaction_keeps_data),
		cmocka_unit_test(test_reserve_commit),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_free_reusable),
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_big_endian),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
