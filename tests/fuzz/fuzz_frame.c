/*
 * Fuzz target for the frame decoder. The first input byte chooses how the
 * rest is cut into chunks; the second, if not 0, lowers the caps to 32 and
 * 128 times its low 7 bits, or refuses video (cap 0, as the server does)
 * when its high bit is set. The remaining bytes are the stream. Every
 * frame the decoder yields must match what a one-shot reference parse of
 * the same bytes finds, however the stream was split. JSON frames then go
 * through msg_parse() both ways and video frames through
 * frame_video_decode(), whose header must re-encode to the same bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "frame.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define PREFIX_LEN	2

/* The next frame a whole-stream parse expects, or how the stream ends. */
struct reference {
	const uint8_t	*p;
	size_t		 len;
	size_t		 pos;
	uint32_t	 max_json;
	uint32_t	 max_video;
};

/* Stop the process loudly: an invariant of the code under test broke. */
static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_frame: %s\n", what);
	abort();
}

/*
 * Take the next frame from the reference parse into type, len and payload.
 * Returns FRAME_READY, FRAME_NEED_MORE at the end of the bytes, or
 * FRAME_ERROR (with *error set) for a header the caps refuse.
 */
static enum frame_status
reference_next(struct reference *ref, uint8_t *type, uint32_t *len,
    const uint8_t **payload, enum proto_error *error)
{
	const uint8_t	*h = ref->p + ref->pos;
	size_t		 left = ref->len - ref->pos;

	if (left < FRAME_HEADER_LEN)
		return FRAME_NEED_MORE;
	*type = h[0];
	*len = ((uint32_t)h[1] << 24) | ((uint32_t)h[2] << 16) |
	    ((uint32_t)h[3] << 8) | (uint32_t)h[4];
	*error = frame_check_header(*type, *len, ref->max_json,
	    ref->max_video);
	if (*error != PROTO_OK)
		return FRAME_ERROR;
	if (left - FRAME_HEADER_LEN < *len)
		return FRAME_NEED_MORE;
	*payload = h + FRAME_HEADER_LEN;
	ref->pos += FRAME_HEADER_LEN + *len;
	return FRAME_READY;
}

/* Run a JSON payload through the message parser in both directions. */
static void
check_json(const struct frame *f)
{
	static const enum msg_dir dirs[] = { MSG_TO_SERVER, MSG_TO_CLIENT };
	json_object	*obj;
	char		 why[MSG_WHY_LEN];

	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if (msg_parse(f->payload, f->len, dirs[i], &obj, why,
		    sizeof why) != PROTO_OK) {
			if (obj != NULL)
				fail("msg_parse failed but returned an object");
			continue;
		}
		if (obj == NULL || msg_type(obj) == NULL)
			fail("msg_parse succeeded without a typed object");
		json_object_put(obj);
	}
}

/* Decode a video payload; a valid header must re-encode to its bytes. */
static void
check_video(const struct frame *f)
{
	struct video_header	 h;
	const uint8_t		*jpeg;
	size_t			 jpeg_len;
	uint8_t			 again[VIDEO_HEADER_LEN];

	if (frame_video_decode(f->payload, f->len, &h, &jpeg, &jpeg_len) !=
	    PROTO_OK)
		return;
	if (jpeg != f->payload + VIDEO_HEADER_LEN ||
	    jpeg_len != f->len - VIDEO_HEADER_LEN)
		fail("video JPEG does not follow the header");
	if (h.width == 0 || h.height == 0 || h.width > VIDEO_SIZE_MAX ||
	    h.height > VIDEO_SIZE_MAX || h.quality < QUALITY_240P ||
	    h.quality > QUALITY_1440P || (h.flags & ~VIDEO_FLAGS_KNOWN) != 0)
		fail("video header accepted out of range");
	frame_video_encode(again, &h);
	if (memcmp(again, f->payload, VIDEO_HEADER_LEN) != 0)
		fail("video header does not re-encode to the same bytes");
}

/* Check a frame the decoder yielded against the reference, then use it. */
static void
check_frame(struct reference *ref, const struct frame *f)
{
	const uint8_t		*payload = NULL;
	enum proto_error	 error;
	uint8_t			 type;
	uint32_t		 len;

	if (reference_next(ref, &type, &len, &payload, &error) != FRAME_READY)
		fail("decoder yielded a frame the reference does not see");
	if (f->type != type || f->len != len ||
	    memcmp(f->payload, payload, len) != 0)
		fail("decoder frame differs from the reference");
	if (f->type == FRAME_TYPE_JSON)
		check_json(f);
	else if (f->type == FRAME_TYPE_VIDEO)
		check_video(f);
	else
		fail("decoder yielded an unknown frame type");
}

/* Return the size of the next chunk, from the chunking byte and a state. */
static size_t
next_chunk(uint8_t mode, uint32_t *state)
{
	if (mode == 0)
		return SIZE_MAX;		/* everything at once */
	if ((mode & 0x80) == 0)
		return mode;			/* fixed size 1..127 */
	*state = *state * 1103515245u + 12345u;	/* varying 1..64 */
	return ((*state >> 16) & 63) + 1;
}

/*
 * Feed one chunk to the decoder, checking each frame it yields, until the
 * chunk is used up or the stream fails; return the last status.
 */
static enum frame_status
feed_chunk(struct frame_decoder *d, struct reference *ref, const uint8_t *p,
    size_t n)
{
	enum frame_status	st = FRAME_NEED_MORE;
	struct frame		f;
	size_t			used;

	while (n > 0) {
		st = frame_decoder_feed(d, p, n, &used, &f);
		if (used > n)
			fail("decoder used more bytes than it was given");
		if (st == FRAME_ERROR)
			break;
		if (st == FRAME_NEED_MORE) {
			if (used != n)
				fail("decoder wants more but left input");
			break;
		}
		if (used == 0)
			fail("decoder yielded a frame from no input");
		check_frame(ref, &f);
		free(f.payload);
		p += used;
		n -= used;
	}
	return st;
}

/* libFuzzer entry point: decode one input as described above; returns 0. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_decoder	 d;
	struct reference	 ref;
	struct frame		 f;
	enum frame_status	 st = FRAME_NEED_MORE, want;
	enum proto_error	 error = PROTO_OK;
	const uint8_t		*p, *payload;
	size_t			 left, n, used;
	uint32_t		 state, len;
	uint8_t			 type;

	if (size < PREFIX_LEN)
		return 0;
	state = data[0];
	frame_decoder_init(&d);
	if (data[1] != 0)
		frame_decoder_set_limits(&d, (data[1] & 0x7fu) * 32,
		    data[1] & 0x80 ? 0 : (data[1] & 0x7fu) * 128);
	p = data + PREFIX_LEN;
	left = size - PREFIX_LEN;
	ref.p = p;
	ref.len = left;
	ref.pos = 0;
	ref.max_json = d.max_json;
	ref.max_video = d.max_video;

	while (left > 0 && st != FRAME_ERROR) {
		n = next_chunk(data[0], &state);
		if (n > left)
			n = left;
		st = feed_chunk(&d, &ref, p, n);
		p += n;
		left -= n;
	}

	/* The stream must end the way the reference says it does. */
	want = reference_next(&ref, &type, &len, &payload, &error);
	if (want == FRAME_READY)
		fail("reference has a frame the decoder did not yield");
	if (st == FRAME_ERROR) {
		if (want != FRAME_ERROR || d.error != error)
			fail("decoder error differs from the reference");
		if (frame_decoder_feed(&d, data, size, &used, &f) !=
		    FRAME_ERROR || used != 0)
			fail("decoder error is not sticky");
	} else if (want == FRAME_ERROR)
		fail("decoder missed an error the reference sees");
	frame_decoder_free(&d);
	return 0;
}
