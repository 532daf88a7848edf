/* Unit tests for frame.c: the incremental decoder and the video header. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "frame.h"

/* One frame as the test expects to see it come out of the decoder. */
struct want {
	uint8_t		 type;
	uint32_t	 len;
	const uint8_t	*payload;
};

#define MAX_FRAMES	64

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

/* Write a frame header by hand (independently of frame_encode_header). */
static void
put_header(uint8_t *p, uint8_t type, uint32_t len)
{
	p[0] = type;
	p[1] = (uint8_t)(len >> 24);
	p[2] = (uint8_t)(len >> 16);
	p[3] = (uint8_t)(len >> 8);
	p[4] = (uint8_t)len;
}

/* Append a frame to stream at *off and describe it in w; advance *off. */
static void
put_frame(uint8_t *stream, size_t *off, struct want *w, uint8_t type,
    const uint8_t *payload, uint32_t len)
{
	put_header(stream + *off, type, len);
	memcpy(stream + *off + FRAME_HEADER_LEN, payload, len);
	w->type = type;
	w->len = len;
	w->payload = stream + *off + FRAME_HEADER_LEN;
	*off += FRAME_HEADER_LEN + len;
}

/* Return a heap copy of p[0..len) so ASan catches any read past len. */
static uint8_t *
exact_copy(const uint8_t *p, size_t len)
{
	uint8_t *q = malloc(len == 0 ? 1 : len);

	assert_non_null(q);
	if (len > 0)
		memcpy(q, p, len);
	return q;
}

/*
 * Feed data[0..len) to d as one call's worth, looping while frames come
 * out; check each against want[*nseen...] and free it. Fails the test on
 * FRAME_ERROR.
 */
static void
feed_piece(struct frame_decoder *d, const uint8_t *data, size_t len,
    const struct want *want, size_t nwant, size_t *nseen)
{
	uint8_t			*copy = exact_copy(data, len);
	size_t			 pos = 0, used;
	struct frame		 f;
	enum frame_status	 st;

	do {
		memset(&f, 0, sizeof f);
		st = frame_decoder_feed(d, copy + pos, len - pos, &used, &f);
		assert_true(used <= len - pos);
		pos += used;
		if (st == FRAME_ERROR)
			fail_msg("unexpected error %s",
			    proto_error_name(d->error));
		if (st == FRAME_NEED_MORE) {
			assert_int_equal(pos, len);
			break;
		}
		assert_int_equal(st, FRAME_READY);
		assert_true(*nseen < nwant);
		assert_int_equal(f.type, want[*nseen].type);
		assert_int_equal(f.len, want[*nseen].len);
		assert_non_null(f.payload);
		assert_memory_equal(f.payload, want[*nseen].payload, f.len);
		free(f.payload);
		(*nseen)++;
	} while (pos < len);
	free(copy);
}

/*
 * Decode stream[0..len) cut at the sorted offsets cuts[0..ncuts) and
 * assert it yields exactly want[0..nwant).
 */
static void
decode_cut(const uint8_t *stream, size_t len, const size_t *cuts,
    size_t ncuts, const struct want *want, size_t nwant)
{
	struct frame_decoder	d;
	size_t			start = 0, nseen = 0;

	frame_decoder_init(&d);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		feed_piece(&d, stream + start, end - start, want, nwant,
		    &nseen);
		start = end;
	}
	assert_int_equal(nseen, nwant);
	assert_int_equal(d.error, PROTO_OK);
	assert_null(d.payload);
	frame_decoder_free(&d);
}

/* Feed a lone 5-byte header and return the decoder's status. */
static enum frame_status
feed_header(struct frame_decoder *d, uint8_t type, uint32_t len)
{
	uint8_t			 hdr[FRAME_HEADER_LEN], *copy;
	size_t			 used;
	struct frame		 f;
	enum frame_status	 st;

	put_header(hdr, type, len);
	copy = exact_copy(hdr, sizeof hdr);
	st = frame_decoder_feed(d, copy, sizeof hdr, &used, &f);
	free(copy);
	assert_int_equal(used, FRAME_HEADER_LEN);
	return st;
}

/* Assert a fresh decoder rejects header (type, len) with err at byte 5. */
static void
assert_header_rejected(uint8_t type, uint32_t len, enum proto_error err)
{
	struct frame_decoder	d;

	frame_decoder_init(&d);
	assert_int_equal(feed_header(&d, type, len), FRAME_ERROR);
	assert_int_equal(d.error, err);
	assert_null(d.payload);
	frame_decoder_free(&d);
}

/* Build a stream of three small frames (JSON, video, JSON). */
static size_t
small_stream(uint8_t *stream, struct want *w)
{
	static const char	json1[] = "{\"type\":\"ping\"}";
	uint8_t			video[30];
	size_t			off = 0;

	memset(video, 0, sizeof video);
	for (size_t i = 0; i < sizeof video; i++)
		video[i] = (uint8_t)(0xa0 + i);
	put_frame(stream, &off, &w[0], FRAME_TYPE_JSON,
	    (const uint8_t *)json1, sizeof json1 - 1);
	put_frame(stream, &off, &w[1], FRAME_TYPE_VIDEO, video, sizeof video);
	put_frame(stream, &off, &w[2], FRAME_TYPE_JSON,
	    (const uint8_t *)"x", 1);
	return off;
}

/* A message fed whole comes out in one call. */
static void
test_whole_message(void **state)
{
	static const char	 json[] = "{\"type\":\"hello\",\"name\":\"a\"}";
	uint8_t			 stream[64];
	struct frame_decoder	 d;
	struct frame		 f;
	size_t			 off = 0, used;
	struct want		 w;

	(void)state;
	put_frame(stream, &off, &w, FRAME_TYPE_JSON, (const uint8_t *)json,
	    sizeof json - 1);
	frame_decoder_init(&d);
	assert_int_equal(frame_decoder_feed(&d, stream, off, &used, &f),
	    FRAME_READY);
	assert_int_equal(used, off);
	assert_int_equal(f.type, FRAME_TYPE_JSON);
	assert_int_equal(f.len, sizeof json - 1);
	assert_memory_equal(f.payload, json, sizeof json - 1);
	/* The payload is the caller's own copy, not the input. */
	assert_true(f.payload < stream || f.payload >= stream + off);
	free(f.payload);
	frame_decoder_free(&d);
}

/* Fed one byte at a time, a frame completes only on its last byte. */
static void
test_byte_by_byte(void **state)
{
	uint8_t			 stream[128];
	struct want		 w[3];
	struct frame_decoder	 d;
	struct frame		 f;
	size_t			 len, used, nseen = 0, frame_end;
	enum frame_status	 st;

	(void)state;
	len = small_stream(stream, w);
	frame_decoder_init(&d);
	frame_end = FRAME_HEADER_LEN + w[0].len;
	for (size_t i = 0; i < len; i++) {
		st = frame_decoder_feed(&d, stream + i, 1, &used, &f);
		assert_int_equal(used, 1);
		if (i + 1 == frame_end) {
			assert_int_equal(st, FRAME_READY);
			assert_int_equal(f.type, w[nseen].type);
			assert_int_equal(f.len, w[nseen].len);
			assert_memory_equal(f.payload, w[nseen].payload, f.len);
			free(f.payload);
			if (++nseen < 3)
				frame_end += FRAME_HEADER_LEN + w[nseen].len;
		} else
			assert_int_equal(st, FRAME_NEED_MORE);
	}
	assert_int_equal(nseen, 3);
	frame_decoder_free(&d);
}

/* Whole, byte by byte, and cut at every one or two offsets: same frames. */
static void
test_every_split(void **state)
{
	uint8_t	stream[128];
	struct want w[3];
	size_t	len, cuts[FRAME_HEADER_LEN * 40];

	(void)state;
	len = small_stream(stream, w);
	decode_cut(stream, len, NULL, 0, w, 3);

	/* Every byte its own piece. */
	for (size_t i = 0; i + 1 < len; i++)
		cuts[i] = i + 1;
	decode_cut(stream, len, cuts, len - 1, w, 3);

	/* Every single cut, empty pieces at either end included. */
	for (size_t i = 0; i <= len; i++)
		decode_cut(stream, len, &i, 1, w, 3);

	/* Every pair of cuts. */
	for (size_t i = 0; i <= len; i++) {
		for (size_t j = i; j <= len; j++) {
			cuts[0] = i;
			cuts[1] = j;
			decode_cut(stream, len, cuts, 2, w, 3);
		}
	}
}

/* Random frames in random chunks come out exactly as they went in. */
static void
test_random_streams(void **state)
{
	enum { STREAM_MAX = 40000 };
	static uint8_t	stream[STREAM_MAX], payload[4000];
	struct want	w[MAX_FRAMES];
	size_t		cuts[200];
	uint32_t	seed = 0xc0ffee;

	(void)state;
	for (int round = 0; round < 50; round++) {
		size_t	off = 0, nframes = 1 + prng(&seed) % 20, ncuts;

		for (size_t i = 0; i < nframes; i++) {
			uint8_t		type = prng(&seed) % 2 ?
			    FRAME_TYPE_JSON : FRAME_TYPE_VIDEO;
			uint32_t	len = prng(&seed) % 4;

			/* Mostly tiny, sometimes a few KiB. */
			len = len == 0 ? prng(&seed) % sizeof payload :
			    1 + prng(&seed) % 40;
			if (type == FRAME_TYPE_VIDEO && len < VIDEO_HEADER_LEN)
				len += VIDEO_HEADER_LEN;
			if (type == FRAME_TYPE_JSON && len == 0)
				len = 1;
			for (uint32_t k = 0; k < len; k++)
				payload[k] = (uint8_t)prng(&seed);
			put_frame(stream, &off, &w[i], type, payload, len);
		}
		ncuts = prng(&seed) % (sizeof cuts / sizeof cuts[0]);
		for (size_t i = 0; i < ncuts; i++)
			cuts[i] = prng(&seed) % (off + 1);
		/* Sort the cuts (insertion sort; there are few). */
		for (size_t i = 1; i < ncuts; i++) {
			size_t v = cuts[i], j = i;

			for (; j > 0 && cuts[j - 1] > v; j--)
				cuts[j] = cuts[j - 1];
			cuts[j] = v;
		}
		decode_cut(stream, off, cuts, ncuts, w, nframes);
	}
}

/* Several frames in one buffer come out one per call, in order. */
static void
test_several_in_one_buffer(void **state)
{
	uint8_t			 stream[128];
	struct want		 w[3];
	struct frame_decoder	 d;
	struct frame		 f;
	size_t			 len, used, pos = 0;

	(void)state;
	len = small_stream(stream, w);
	frame_decoder_init(&d);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(frame_decoder_feed(&d, stream + pos,
		    len - pos, &used, &f), FRAME_READY);
		assert_int_equal(used, FRAME_HEADER_LEN + w[i].len);
		if (i < 2)
			assert_true(used < len - pos);
		else
			assert_int_equal(used, len - pos);
		assert_int_equal(f.type, w[i].type);
		assert_int_equal(f.len, w[i].len);
		assert_memory_equal(f.payload, w[i].payload, f.len);
		free(f.payload);
		pos += used;
	}
	/* Nothing left: a zero-length feed needs more and takes nothing. */
	assert_int_equal(frame_decoder_feed(&d, stream, 0, &used, &f),
	    FRAME_NEED_MORE);
	assert_int_equal(used, 0);
	frame_decoder_free(&d);
}

/* Zero-length feeds are harmless in the header and in the payload. */
static void
test_empty_feeds(void **state)
{
	uint8_t			 stream[64];
	struct frame_decoder	 d;
	struct frame		 f;
	struct want		 w;
	size_t			 off = 0, used;

	(void)state;
	put_frame(stream, &off, &w, FRAME_TYPE_JSON,
	    (const uint8_t *)"{\"a\":1}", 7);
	frame_decoder_init(&d);
	assert_int_equal(frame_decoder_feed(&d, stream, 0, &used, &f),
	    FRAME_NEED_MORE);
	assert_int_equal(used, 0);
	assert_int_equal(frame_decoder_feed(&d, stream, 3, &used, &f),
	    FRAME_NEED_MORE);
	assert_int_equal(frame_decoder_feed(&d, stream + 3, 0, &used, &f),
	    FRAME_NEED_MORE);
	assert_int_equal(used, 0);
	assert_int_equal(frame_decoder_feed(&d, stream + 3, 4, &used, &f),
	    FRAME_NEED_MORE);
	assert_int_equal(frame_decoder_feed(&d, stream + 7, 0, &used, &f),
	    FRAME_NEED_MORE);
	assert_int_equal(used, 0);
	assert_int_equal(frame_decoder_feed(&d, stream + 7, off - 7, &used,
	    &f), FRAME_READY);
	assert_int_equal(used, off - 7);
	assert_memory_equal(f.payload, "{\"a\":1}", 7);
	free(f.payload);
	frame_decoder_free(&d);
}

/* A header announcing 4 GiB fails after its 5 bytes, before allocating. */
static void
test_huge_header_fails_early(void **state)
{
	uint8_t			 stream[64];
	struct frame_decoder	 d;
	struct frame		 f;
	size_t			 used;

	(void)state;
	memset(stream, 'j', sizeof stream);
	put_header(stream, FRAME_TYPE_JSON, UINT32_MAX);

	/* Four bytes are not enough to judge. */
	frame_decoder_init(&d);
	for (size_t i = 0; i < FRAME_HEADER_LEN - 1; i++) {
		assert_int_equal(frame_decoder_feed(&d, stream + i, 1, &used,
		    &f), FRAME_NEED_MORE);
		assert_int_equal(used, 1);
	}
	assert_int_equal(frame_decoder_feed(&d, stream + 4, 1, &used, &f),
	    FRAME_ERROR);
	assert_int_equal(used, 1);
	assert_int_equal(d.error, PROTO_E_TOO_BIG);
	assert_null(d.payload);
	frame_decoder_free(&d);

	/* With more bytes behind it, only the header is taken. */
	frame_decoder_init(&d);
	assert_int_equal(frame_decoder_feed(&d, stream, sizeof stream, &used,
	    &f), FRAME_ERROR);
	assert_int_equal(used, FRAME_HEADER_LEN);
	assert_int_equal(d.error, PROTO_E_TOO_BIG);
	assert_null(d.payload);
	frame_decoder_free(&d);

	assert_header_rejected(FRAME_TYPE_JSON, UINT32_MAX, PROTO_E_TOO_BIG);
	assert_header_rejected(FRAME_TYPE_VIDEO, UINT32_MAX, PROTO_E_TOO_BIG);
	assert_header_rejected(FRAME_TYPE_JSON, 0x80000000u, PROTO_E_TOO_BIG);
	assert_header_rejected(FRAME_TYPE_VIDEO, 0x80000000u,
	    PROTO_E_TOO_BIG);
}

/* Decode one frame of type with len payload bytes, expecting success. */
static void
assert_frame_accepted(uint8_t type, uint32_t len)
{
	uint8_t			*stream = malloc(FRAME_HEADER_LEN + len);
	struct want		 w;
	size_t			 off = 0, cuts[2];

	assert_non_null(stream);
	put_header(stream, type, len);
	for (uint32_t i = 0; i < len; i++)
		stream[FRAME_HEADER_LEN + i] = (uint8_t)(i * 31 + 7);
	w.type = type;
	w.len = len;
	w.payload = stream + FRAME_HEADER_LEN;
	off = FRAME_HEADER_LEN + len;
	decode_cut(stream, off, NULL, 0, &w, 1);
	cuts[0] = 3;
	cuts[1] = off / 2;
	decode_cut(stream, off, cuts, 2, &w, 1);
	free(stream);
}

/* JSON exactly at the cap is accepted; one byte more is too big. */
static void
test_json_cap(void **state)
{
	(void)state;
	assert_int_equal(FRAME_MAX_JSON, 256 * 1024);
	assert_frame_accepted(FRAME_TYPE_JSON, FRAME_MAX_JSON);
	assert_frame_accepted(FRAME_TYPE_JSON, FRAME_MAX_JSON - 1);
	assert_frame_accepted(FRAME_TYPE_JSON, 1);
	assert_header_rejected(FRAME_TYPE_JSON, FRAME_MAX_JSON + 1,
	    PROTO_E_TOO_BIG);
}

/* Video exactly at the cap is accepted; one byte more is too big. */
static void
test_video_cap(void **state)
{
	(void)state;
	assert_int_equal(FRAME_MAX_VIDEO, 4 * 1024 * 1024);
	assert_frame_accepted(FRAME_TYPE_VIDEO, FRAME_MAX_VIDEO);
	assert_frame_accepted(FRAME_TYPE_VIDEO, VIDEO_HEADER_LEN);
	assert_header_rejected(FRAME_TYPE_VIDEO, FRAME_MAX_VIDEO + 1,
	    PROTO_E_TOO_BIG);
	/* JSON's cap is lower than video's. */
	assert_header_rejected(FRAME_TYPE_JSON, FRAME_MAX_VIDEO,
	    PROTO_E_TOO_BIG);
}

/* Empty JSON and video too short for its own header are rejected. */
static void
test_empty_and_short(void **state)
{
	(void)state;
	assert_header_rejected(FRAME_TYPE_JSON, 0, PROTO_E_EMPTY);
	assert_header_rejected(FRAME_TYPE_VIDEO, 0, PROTO_E_MESSAGE);
	assert_header_rejected(FRAME_TYPE_VIDEO, VIDEO_HEADER_LEN - 1,
	    PROTO_E_MESSAGE);
}

/* Only types 1 and 2 exist; every other byte is bad-frame-type. */
static void
test_unknown_types(void **state)
{
	struct frame_decoder d;

	(void)state;
	assert_header_rejected(0, 10, PROTO_E_FRAME_TYPE);
	assert_header_rejected(3, 10, PROTO_E_FRAME_TYPE);
	assert_header_rejected(255, 10, PROTO_E_FRAME_TYPE);
	/* The type is judged even when the length is also bad. */
	assert_header_rejected(3, 0, PROTO_E_FRAME_TYPE);
	assert_header_rejected(3, UINT32_MAX, PROTO_E_FRAME_TYPE);
	for (int t = 0; t < 256; t++) {
		frame_decoder_init(&d);
		if (t == FRAME_TYPE_JSON || t == FRAME_TYPE_VIDEO) {
			assert_int_equal(feed_header(&d, (uint8_t)t,
			    VIDEO_HEADER_LEN), FRAME_NEED_MORE);
			assert_int_equal(d.error, PROTO_OK);
		} else {
			assert_int_equal(feed_header(&d, (uint8_t)t,
			    VIDEO_HEADER_LEN), FRAME_ERROR);
			assert_int_equal(d.error, PROTO_E_FRAME_TYPE);
		}
		frame_decoder_free(&d);
	}
}

/* Once an error is seen the decoder refuses everything after it. */
static void
test_errors_sticky(void **state)
{
	uint8_t			 good[64], stream[64];
	struct frame_decoder	 d;
	struct frame		 f;
	struct want		 w;
	size_t			 glen = 0, used;

	(void)state;
	put_frame(good, &glen, &w, FRAME_TYPE_JSON, (const uint8_t *)"{}", 2);

	/* A good frame, then a bad type, in one buffer. */
	memcpy(stream, good, glen);
	put_header(stream + glen, 7, 2);
	memcpy(stream + glen + FRAME_HEADER_LEN, good, glen);
	frame_decoder_init(&d);
	assert_int_equal(frame_decoder_feed(&d, stream,
	    glen * 2 + FRAME_HEADER_LEN, &used, &f), FRAME_READY);
	assert_int_equal(used, glen);
	free(f.payload);
	assert_int_equal(frame_decoder_feed(&d, stream + glen,
	    glen + FRAME_HEADER_LEN, &used, &f), FRAME_ERROR);
	assert_int_equal(used, FRAME_HEADER_LEN);
	assert_int_equal(d.error, PROTO_E_FRAME_TYPE);

	/* A perfectly good frame afterwards is still refused, untouched. */
	for (int i = 0; i < 3; i++) {
		used = 99;
		assert_int_equal(frame_decoder_feed(&d, good, glen, &used, &f),
		    FRAME_ERROR);
		assert_int_equal(used, 0);
		assert_int_equal(d.error, PROTO_E_FRAME_TYPE);
	}
	assert_int_equal(frame_decoder_feed(&d, good, 0, &used, &f),
	    FRAME_ERROR);
	frame_decoder_free(&d);

	/* Same for a too-big error. */
	frame_decoder_init(&d);
	assert_int_equal(feed_header(&d, FRAME_TYPE_JSON, FRAME_MAX_JSON + 1),
	    FRAME_ERROR);
	assert_int_equal(frame_decoder_feed(&d, good, glen, &used, &f),
	    FRAME_ERROR);
	assert_int_equal(used, 0);
	assert_int_equal(d.error, PROTO_E_TOO_BIG);
	frame_decoder_free(&d);
}

/* Limits can be lowered, per type, but never raised. */
static void
test_set_limits(void **state)
{
	struct frame_decoder d;

	(void)state;
	frame_decoder_init(&d);
	frame_decoder_set_limits(&d, 100, 1000);
	assert_int_equal(feed_header(&d, FRAME_TYPE_JSON, 100),
	    FRAME_NEED_MORE);
	frame_decoder_free(&d);

	frame_decoder_init(&d);
	frame_decoder_set_limits(&d, 100, 1000);
	assert_int_equal(feed_header(&d, FRAME_TYPE_JSON, 101), FRAME_ERROR);
	assert_int_equal(d.error, PROTO_E_TOO_BIG);
	frame_decoder_free(&d);

	frame_decoder_init(&d);
	frame_decoder_set_limits(&d, 100, 1000);
	assert_int_equal(feed_header(&d, FRAME_TYPE_VIDEO, 1000),
	    FRAME_NEED_MORE);
	frame_decoder_free(&d);

	frame_decoder_init(&d);
	frame_decoder_set_limits(&d, 100, 1000);
	assert_int_equal(feed_header(&d, FRAME_TYPE_VIDEO, 1001), FRAME_ERROR);
	assert_int_equal(d.error, PROTO_E_TOO_BIG);
	frame_decoder_free(&d);

	/* Raising is ignored: the defaults stay. */
	frame_decoder_init(&d);
	frame_decoder_set_limits(&d, UINT32_MAX, UINT32_MAX);
	assert_int_equal(feed_header(&d, FRAME_TYPE_JSON, FRAME_MAX_JSON + 1),
	    FRAME_ERROR);
	assert_int_equal(d.error, PROTO_E_TOO_BIG);
	frame_decoder_free(&d);

	frame_decoder_init(&d);
	frame_decoder_set_limits(&d, UINT32_MAX, UINT32_MAX);
	assert_int_equal(feed_header(&d, FRAME_TYPE_VIDEO,
	    FRAME_MAX_VIDEO + 1), FRAME_ERROR);
	assert_int_equal(d.error, PROTO_E_TOO_BIG);
	frame_decoder_free(&d);

	/* Lower, then try to raise again: the lower limit stays. */
	frame_decoder_init(&d);
	frame_decoder_set_limits(&d, 10, 100);
	frame_decoder_set_limits(&d, 1000, 10000);
	assert_int_equal(feed_header(&d, FRAME_TYPE_JSON, 11), FRAME_ERROR);
	assert_int_equal(d.error, PROTO_E_TOO_BIG);
	frame_decoder_free(&d);

	/* Lowering one type leaves the other alone. */
	frame_decoder_init(&d);
	frame_decoder_set_limits(&d, UINT32_MAX, 0);
	assert_int_equal(feed_header(&d, FRAME_TYPE_JSON, FRAME_MAX_JSON),
	    FRAME_NEED_MORE);
	frame_decoder_free(&d);
	/* A video cap of zero means video frames are not accepted at all. */
	frame_decoder_init(&d);
	frame_decoder_set_limits(&d, UINT32_MAX, 0);
	assert_int_equal(feed_header(&d, FRAME_TYPE_VIDEO, VIDEO_HEADER_LEN),
	    FRAME_ERROR);
	assert_int_equal(d.error, PROTO_E_FRAME_TYPE);
	frame_decoder_free(&d);

	/* A JSON cap of zero refuses every JSON frame. */
	frame_decoder_init(&d);
	frame_decoder_set_limits(&d, 0, UINT32_MAX);
	assert_int_equal(feed_header(&d, FRAME_TYPE_JSON, 1), FRAME_ERROR);
	assert_int_equal(d.error, PROTO_E_TOO_BIG);
	frame_decoder_free(&d);
}

/* Freeing mid-payload releases it (LeakSanitizer checks); double free safe. */
static void
test_free_partial(void **state)
{
	static uint8_t		 stream[FRAME_HEADER_LEN + 1000];
	struct frame_decoder	 d;
	struct frame		 f;
	size_t			 used;

	(void)state;
	put_header(stream, FRAME_TYPE_VIDEO, 1000);
	frame_decoder_init(&d);
	assert_int_equal(frame_decoder_feed(&d, stream, FRAME_HEADER_LEN + 500,
	    &used, &f), FRAME_NEED_MORE);
	assert_non_null(d.payload);
	frame_decoder_free(&d);
	assert_null(d.payload);
	frame_decoder_free(&d);

	/* Header only: the payload buffer exists already and is freed. */
	frame_decoder_init(&d);
	assert_int_equal(frame_decoder_feed(&d, stream, FRAME_HEADER_LEN,
	    &used, &f), FRAME_NEED_MORE);
	frame_decoder_free(&d);

	/* Half a header, or nothing at all. */
	frame_decoder_init(&d);
	assert_int_equal(frame_decoder_feed(&d, stream, 2, &used, &f),
	    FRAME_NEED_MORE);
	frame_decoder_free(&d);
	frame_decoder_init(&d);
	frame_decoder_free(&d);

	/* A re-inited decoder works normally after a free. */
	frame_decoder_init(&d);
	assert_int_equal(frame_decoder_feed(&d, stream, sizeof stream, &used,
	    &f), FRAME_READY);
	assert_int_equal(used, sizeof stream);
	free(f.payload);
	frame_decoder_free(&d);
}

/* frame_check_header alone, against explicit caps. */
static void
test_check_header(void **state)
{
	(void)state;
	assert_int_equal(frame_check_header(FRAME_TYPE_JSON, 1, 10, 100),
	    PROTO_OK);
	assert_int_equal(frame_check_header(FRAME_TYPE_JSON, 10, 10, 100),
	    PROTO_OK);
	assert_int_equal(frame_check_header(FRAME_TYPE_JSON, 11, 10, 100),
	    PROTO_E_TOO_BIG);
	assert_int_equal(frame_check_header(FRAME_TYPE_JSON, 0, 10, 100),
	    PROTO_E_EMPTY);
	assert_int_equal(frame_check_header(FRAME_TYPE_VIDEO, 100, 10, 100),
	    PROTO_OK);
	assert_int_equal(frame_check_header(FRAME_TYPE_VIDEO, 101, 10, 100),
	    PROTO_E_TOO_BIG);
	assert_int_equal(frame_check_header(FRAME_TYPE_VIDEO,
	    VIDEO_HEADER_LEN, 10, 100), PROTO_OK);
	assert_int_equal(frame_check_header(FRAME_TYPE_VIDEO,
	    VIDEO_HEADER_LEN - 1, 10, 100), PROTO_E_MESSAGE);
	assert_int_equal(frame_check_header(0, 5, 10, 100),
	    PROTO_E_FRAME_TYPE);
	assert_int_equal(frame_check_header(3, 5, 10, 100),
	    PROTO_E_FRAME_TYPE);
	assert_int_equal(frame_check_header(255, 5, 10, 100),
	    PROTO_E_FRAME_TYPE);
	assert_int_equal(frame_check_header(FRAME_TYPE_JSON, UINT32_MAX,
	    UINT32_MAX, UINT32_MAX), PROTO_OK);
}

/* frame_encode_header writes type then big-endian length. */
static void
test_encode_header(void **state)
{
	static const uint32_t	lens[] = { 1, 2, 255, 256, 0x10000,
	    FRAME_MAX_JSON, 0x01020304, UINT32_MAX };
	uint8_t			p[FRAME_HEADER_LEN + 2];
	struct frame_decoder	d;
	size_t			used;
	struct frame		f;

	(void)state;
	memset(p, 0xee, sizeof p);
	frame_encode_header(p + 1, FRAME_TYPE_VIDEO, 0x01020304);
	assert_int_equal(p[0], 0xee);
	assert_int_equal(p[1], FRAME_TYPE_VIDEO);
	assert_int_equal(p[2], 0x01);
	assert_int_equal(p[3], 0x02);
	assert_int_equal(p[4], 0x03);
	assert_int_equal(p[5], 0x04);
	assert_int_equal(p[6], 0xee);

	frame_encode_header(p, FRAME_TYPE_JSON, 0);
	assert_int_equal(p[0], FRAME_TYPE_JSON);
	assert_int_equal(p[1] | p[2] | p[3] | p[4], 0);

	/* The decoder reads back what the encoder wrote. */
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		uint8_t hand[FRAME_HEADER_LEN];

		frame_encode_header(p, FRAME_TYPE_JSON, lens[i]);
		put_header(hand, FRAME_TYPE_JSON, lens[i]);
		assert_memory_equal(p, hand, FRAME_HEADER_LEN);
		frame_decoder_init(&d);
		frame_decoder_set_limits(&d, 300, 300);
		frame_decoder_feed(&d, p, FRAME_HEADER_LEN, &used, &f);
		assert_int_equal(used, FRAME_HEADER_LEN);
		assert_int_equal(d.len, lens[i]);
		assert_int_equal(d.error, lens[i] <= 300 ? PROTO_OK :
		    PROTO_E_TOO_BIG);
		frame_decoder_free(&d);
	}
}

/* Return a valid video header with distinct bytes in every field. */
static struct video_header
sample_header(void)
{
	struct video_header h = {
		.stream_id = 0x01020304,
		.seq = 0x05060708,
		.pts_ms = 0x090a0b0c,
		.width = 0x0d0e & 0x0fff,
		.height = 0x0f10 & 0x0fff,
		.quality = QUALITY_1440P,
		.flags = VIDEO_FLAG_KEY,
	};

	return h;
}

/* Build a video payload (header + "FF D8" + body) of len bytes at p. */
static void
build_video(uint8_t *p, size_t len, const struct video_header *h)
{
	frame_video_encode(p, h);
	p[VIDEO_HEADER_LEN] = 0xff;
	p[VIDEO_HEADER_LEN + 1] = 0xd8;
	for (size_t i = VIDEO_HEADER_LEN + 2; i < len; i++)
		p[i] = (uint8_t)i;
}

/* Decode p[0..len) from an exact heap copy; return the result. */
static enum proto_error
decode_exact(const uint8_t *p, size_t len, struct video_header *h,
    size_t *jpeg_off, size_t *jpeg_len)
{
	uint8_t			*copy = exact_copy(p, len);
	const uint8_t		*jpeg = NULL;
	enum proto_error	 e;

	e = frame_video_decode(copy, len, h, &jpeg, jpeg_len);
	if (e == PROTO_OK) {
		assert_non_null(jpeg);
		*jpeg_off = (size_t)(jpeg - copy);
	}
	free(copy);
	return e;
}

/* The video header layout is the documented big-endian one. */
static void
test_video_encode_layout(void **state)
{
	static const uint8_t	want[VIDEO_HEADER_LEN] = {
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
		0x03, 0x01, 0x00, 0x00,
	};
	struct video_header	h = sample_header();
	uint8_t			p[VIDEO_HEADER_LEN + 1];

	(void)state;
	h.width = 0x0d0e;	/* out of range for decode, fine for layout */
	h.height = 0x0f10;
	memset(p, 0xee, sizeof p);
	frame_video_encode(p, &h);
	assert_memory_equal(p, want, VIDEO_HEADER_LEN);
	/* Nothing written past the header. */
	assert_int_equal(p[VIDEO_HEADER_LEN], 0xee);
}

/* Encode then decode gives back every field and the JPEG. */
static void
test_video_round_trip(void **state)
{
	struct video_header	h, out;
	uint8_t			p[VIDEO_HEADER_LEN + 64];
	size_t			jpeg_off, jpeg_len;
	uint32_t		seed = 4242;

	(void)state;
	h = sample_header();
	build_video(p, sizeof p, &h);
	memset(&out, 0, sizeof out);
	assert_int_equal(decode_exact(p, sizeof p, &out, &jpeg_off,
	    &jpeg_len), PROTO_OK);
	assert_int_equal(out.stream_id, h.stream_id);
	assert_int_equal(out.seq, h.seq);
	assert_int_equal(out.pts_ms, h.pts_ms);
	assert_int_equal(out.width, h.width);
	assert_int_equal(out.height, h.height);
	assert_int_equal(out.quality, h.quality);
	assert_int_equal(out.flags, h.flags);
	assert_int_equal(jpeg_off, VIDEO_HEADER_LEN);
	assert_int_equal(jpeg_len, sizeof p - VIDEO_HEADER_LEN);

	/* The smallest payload: header plus the SOI marker. */
	assert_int_equal(decode_exact(p, VIDEO_HEADER_LEN + 2, &out,
	    &jpeg_off, &jpeg_len), PROTO_OK);
	assert_int_equal(jpeg_len, 2);

	for (int i = 0; i < 2000; i++) {
		h.stream_id = prng(&seed);
		h.seq = prng(&seed);
		h.pts_ms = prng(&seed);
		h.width = (uint16_t)(1 + prng(&seed) % VIDEO_SIZE_MAX);
		h.height = (uint16_t)(1 + prng(&seed) % VIDEO_SIZE_MAX);
		h.quality = (uint8_t)(QUALITY_240P + prng(&seed) % 3);
		h.flags = (uint8_t)(prng(&seed) & VIDEO_FLAGS_KNOWN);
		build_video(p, sizeof p, &h);
		memset(&out, 0, sizeof out);
		assert_int_equal(decode_exact(p, sizeof p, &out, &jpeg_off,
		    &jpeg_len), PROTO_OK);
		assert_memory_equal(&out.stream_id, &h.stream_id, 4);
		assert_int_equal(out.seq, h.seq);
		assert_int_equal(out.pts_ms, h.pts_ms);
		assert_int_equal(out.width, h.width);
		assert_int_equal(out.height, h.height);
		assert_int_equal(out.quality, h.quality);
		assert_int_equal(out.flags, h.flags);
	}
}

/* Payloads shorter than header + SOI marker are rejected. */
static void
test_video_decode_short(void **state)
{
	struct video_header	h = sample_header(), out;
	uint8_t			p[VIDEO_HEADER_LEN + 2];
	size_t			jpeg_off, jpeg_len;

	(void)state;
	build_video(p, sizeof p, &h);
	for (size_t len = 0; len < sizeof p; len++)
		assert_int_equal(decode_exact(p, len, &out, &jpeg_off,
		    &jpeg_len), PROTO_E_MESSAGE);
	assert_int_equal(decode_exact(p, sizeof p, &out, &jpeg_off,
	    &jpeg_len), PROTO_OK);
}

/* Decode p (len bytes) after applying a change; return the result. */
static enum proto_error
decode_modified(const struct video_header *h, size_t at, uint8_t value)
{
	uint8_t			p[VIDEO_HEADER_LEN + 8];
	struct video_header	out;
	size_t			jpeg_off, jpeg_len;

	build_video(p, sizeof p, h);
	p[at] = value;
	return decode_exact(p, sizeof p, &out, &jpeg_off, &jpeg_len);
}

/* Width and height must be 1..VIDEO_SIZE_MAX. */
static void
test_video_decode_size(void **state)
{
	static const struct {
		uint16_t	w, h;
		int		ok;
	} cases[] = {
		{ 0, 240, 0 }, { 320, 0, 0 }, { 0, 0, 0 },
		{ 1, 1, 1 }, { VIDEO_SIZE_MAX, VIDEO_SIZE_MAX, 1 },
		{ VIDEO_SIZE_MAX + 1, 240, 0 }, { 320, VIDEO_SIZE_MAX + 1, 0 },
		{ 0xffff, 240, 0 }, { 320, 0xffff, 0 }, { 0x8000, 1, 0 },
	};
	struct video_header	h = sample_header(), out;
	uint8_t			p[VIDEO_HEADER_LEN + 4];
	size_t			jpeg_off, jpeg_len;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		h.width = cases[i].w;
		h.height = cases[i].h;
		build_video(p, sizeof p, &h);
		assert_int_equal(decode_exact(p, sizeof p, &out, &jpeg_off,
		    &jpeg_len), cases[i].ok ? PROTO_OK : PROTO_E_MESSAGE);
	}
}

/* Quality must be 240p, 720p or 1440p; "auto" never appears in a frame. */
static void
test_video_decode_quality(void **state)
{
	struct video_header h = sample_header();

	(void)state;
	assert_int_equal(decode_modified(&h, 16, 0), PROTO_E_MESSAGE);
	assert_int_equal(decode_modified(&h, 16, 4), PROTO_E_MESSAGE);
	assert_int_equal(decode_modified(&h, 16, 255), PROTO_E_MESSAGE);
	assert_int_equal(decode_modified(&h, 16, QUALITY_AUTO),
	    PROTO_E_MESSAGE);
	for (int q = 0; q < 256; q++) {
		int ok = q == QUALITY_240P || q == QUALITY_720P ||
		    q == QUALITY_1440P;

		assert_int_equal(decode_modified(&h, 16, (uint8_t)q),
		    ok ? PROTO_OK : PROTO_E_MESSAGE);
	}
}

/* Only the known flag bits may be set. */
static void
test_video_decode_flags(void **state)
{
	struct video_header h = sample_header();

	(void)state;
	for (int fl = 0; fl < 256; fl++)
		assert_int_equal(decode_modified(&h, 17, (uint8_t)fl),
		    (fl & ~VIDEO_FLAGS_KNOWN) == 0 ? PROTO_OK :
		    PROTO_E_MESSAGE);
	assert_int_equal(decode_modified(&h, 17, VIDEO_FLAG_KEY |
	    VIDEO_FLAG_LAST), PROTO_OK);
	assert_int_equal(decode_modified(&h, 17, 0x04), PROTO_E_MESSAGE);
	assert_int_equal(decode_modified(&h, 17, 0x80), PROTO_E_MESSAGE);
}

/* The two reserved bytes must be zero. */
static void
test_video_decode_reserved(void **state)
{
	struct video_header h = sample_header();

	(void)state;
	for (int v = 1; v < 256; v++) {
		assert_int_equal(decode_modified(&h, 18, (uint8_t)v),
		    PROTO_E_MESSAGE);
		assert_int_equal(decode_modified(&h, 19, (uint8_t)v),
		    PROTO_E_MESSAGE);
	}
	assert_int_equal(decode_modified(&h, 18, 0), PROTO_OK);
}

/* The image must start with the JPEG SOI marker FF D8. */
static void
test_video_decode_not_jpeg(void **state)
{
	struct video_header h = sample_header();

	(void)state;
	assert_int_equal(decode_modified(&h, VIDEO_HEADER_LEN, 0x00),
	    PROTO_E_MESSAGE);
	assert_int_equal(decode_modified(&h, VIDEO_HEADER_LEN, 0xd8),
	    PROTO_E_MESSAGE);
	assert_int_equal(decode_modified(&h, VIDEO_HEADER_LEN, 0xfe),
	    PROTO_E_MESSAGE);
	assert_int_equal(decode_modified(&h, VIDEO_HEADER_LEN + 1, 0xd9),
	    PROTO_E_MESSAGE);
	assert_int_equal(decode_modified(&h, VIDEO_HEADER_LEN + 1, 0x00),
	    PROTO_E_MESSAGE);
	assert_int_equal(decode_modified(&h, VIDEO_HEADER_LEN + 1, 0xff),
	    PROTO_E_MESSAGE);
	/* What follows the marker is not the decoder's business. */
	assert_int_equal(decode_modified(&h, VIDEO_HEADER_LEN + 2, 0x00),
	    PROTO_OK);
}

/* Run the framing tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_message),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_random_streams),
		cmocka_unit_test(test_several_in_one_buffer),
		cmocka_unit_test(test_empty_feeds),
		cmocka_unit_test(test_huge_header_fails_early),
		cmocka_unit_test(test_json_cap),
		cmocka_unit_test(test_video_cap),
		cmocka_unit_test(test_empty_and_short),
		cmocka_unit_test(test_unknown_types),
		cmocka_unit_test(test_errors_sticky),
		cmocka_unit_test(test_set_limits),
		cmocka_unit_test(test_free_partial),
		cmocka_unit_test(test_check_header),
		cmocka_unit_test(test_encode_header),
		cmocka_unit_test(test_video_encode_layout),
		cmocka_unit_test(test_video_round_trip),
		cmocka_unit_test(test_video_decode_short),
		cmocka_unit_test(test_video_decode_size),
		cmocka_unit_test(test_video_decode_quality),
		cmocka_unit_test(test_video_decode_flags),
		cmocka_unit_test(test_video_decode_reserved),
		cmocka_unit_test(test_video_decode_not_jpeg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
