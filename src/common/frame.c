/*
 * Framing: every message is a 1-byte type, a 4-byte big-endian payload
 * length, then the payload. The decoder takes bytes in any split and checks
 * each header against the caps before it allocates anything.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "frame.h"
#include "xmalloc.h"

/* Initialise a decoder with the protocol's default caps. */
void
frame_decoder_init(struct frame_decoder *d)
{
	memset(d, 0, sizeof *d);
	d->max_json = FRAME_MAX_JSON;
	d->max_video = FRAME_MAX_VIDEO;
}

/* Lower (never raise) the caps, e.g. a server refuses video uploads. */
void
frame_decoder_set_limits(struct frame_decoder *d, uint32_t max_json,
    uint32_t max_video)
{
	if (max_json < d->max_json)
		d->max_json = max_json;
	if (max_video < d->max_video)
		d->max_video = max_video;
}

/* Free a partly received payload; the decoder must be re-inited to reuse. */
void
frame_decoder_free(struct frame_decoder *d)
{
	free(d->payload);
	d->payload = NULL;
}

/* Check a frame header against the caps; return PROTO_OK or the error. */
enum proto_error
frame_check_header(uint8_t type, uint32_t len, uint32_t max_json,
    uint32_t max_video)
{
	switch (type) {
	case FRAME_TYPE_JSON:
		if (len == 0)
			return PROTO_E_EMPTY;
		if (len > max_json)
			return PROTO_E_TOO_BIG;
		return PROTO_OK;
	case FRAME_TYPE_VIDEO:
		if (max_video == 0)
			return PROTO_E_FRAME_TYPE;	/* not accepted here */
		if (len < VIDEO_HEADER_LEN)
			return PROTO_E_MESSAGE;
		if (len > max_video)
			return PROTO_E_TOO_BIG;
		return PROTO_OK;
	}
	return PROTO_E_FRAME_TYPE;
}

/*
 * Consume bytes from data[0..len). Sets used to the bytes taken. Returns
 * FRAME_READY with out filled (the caller frees out->payload), FRAME_NEED_MORE
 * when everything was consumed without completing a frame, or FRAME_ERROR.
 */
enum frame_status
frame_decoder_feed(struct frame_decoder *d, const uint8_t *data, size_t len,
    size_t *used, struct frame *out)
{
	size_t	n, pos = 0;

	*used = 0;
	if (d->error != PROTO_OK)
		return FRAME_ERROR;
	if (d->header_have < FRAME_HEADER_LEN) {
		n = FRAME_HEADER_LEN - d->header_have;
		if (n > len)
			n = len;
		memcpy(d->header + d->header_have, data, n);
		d->header_have += n;
		pos += n;
		*used = pos;
		if (d->header_have < FRAME_HEADER_LEN)
			return FRAME_NEED_MORE;
		d->type = d->header[0];
		d->len = be32dec(d->header + 1);
		d->error = frame_check_header(d->type, d->len, d->max_json,
		    d->max_video);
		if (d->error != PROTO_OK)
			return FRAME_ERROR;
		d->payload = xmalloc(d->len);
		d->have = 0;
	}
	n = d->len - d->have;
	if (n > len - pos)
		n = len - pos;
	memcpy(d->payload + d->have, data + pos, n);
	d->have += n;
	pos += n;
	*used = pos;
	if (d->have < d->len)
		return FRAME_NEED_MORE;

	out->type = d->type;
	out->len = d->len;
	out->payload = d->payload;
	d->payload = NULL;
	d->header_have = 0;
	d->have = 0;
	return FRAME_READY;
}

/* Write the 5-byte header for a frame of type with len payload bytes. */
void
frame_encode_header(uint8_t *out, uint8_t type, uint32_t len)
{
	out[0] = type;
	be32enc(out + 1, len);
}

/* Write the VIDEO_HEADER_LEN-byte video header for h at out. */
void
frame_video_encode(uint8_t *out, const struct video_header *h)
{
	be32enc(out, h->stream_id);
	be32enc(out + 4, h->seq);
	be32enc(out + 8, h->pts_ms);
	be16enc(out + 12, h->width);
	be16enc(out + 14, h->height);
	out[16] = h->quality;
	out[17] = h->flags;
	out[18] = out[19] = 0;
}

/*
 * Parse a video frame payload into *h and point jpeg, jpeg_len at the image.
 * Returns PROTO_OK, or PROTO_E_MESSAGE for a short payload, zero size, an
 * unknown quality, unknown flags, non-zero reserved bytes or a payload
 * that is not a JPEG (no SOI marker).
 */
enum proto_error
frame_video_decode(const uint8_t *p, size_t len, struct video_header *h,
    const uint8_t **jpeg, size_t *jpeg_len)
{
	if (len < VIDEO_HEADER_LEN + 2)
		return PROTO_E_MESSAGE;
	h->stream_id = be32dec(p);
	h->seq = be32dec(p + 4);
	h->pts_ms = be32dec(p + 8);
	h->width = be16dec(p + 12);
	h->height = be16dec(p + 14);
	h->quality = p[16];
	h->flags = p[17];
	if (h->width == 0 || h->height == 0 ||
	    h->width > VIDEO_SIZE_MAX || h->height > VIDEO_SIZE_MAX)
		return PROTO_E_MESSAGE;
	if (h->quality < QUALITY_240P || h->quality > QUALITY_1440P)
		return PROTO_E_MESSAGE;
	if ((h->flags & ~VIDEO_FLAGS_KNOWN) != 0 || p[18] != 0 || p[19] != 0)
		return PROTO_E_MESSAGE;
	if (p[VIDEO_HEADER_LEN] != 0xff || p[VIDEO_HEADER_LEN + 1] != 0xd8)
		return PROTO_E_MESSAGE;
	*jpeg = p + VIDEO_HEADER_LEN;
	*jpeg_len = len - VIDEO_HEADER_LEN;
	return PROTO_OK;
}
