/* Type+length framing of the wire protocol, and the video frame header. */
#ifndef TVCHAT_FRAME_H
#define TVCHAT_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* One complete message taken out of the byte stream. */
struct frame {
	uint8_t		 type;
	uint32_t	 len;
	uint8_t		*payload;	/* owned by the caller after a yield */
};

/* Incremental decoder: feed bytes as they arrive, take whole frames. */
struct frame_decoder {
	uint8_t		 header[FRAME_HEADER_LEN];
	size_t		 header_have;
	uint8_t		 type;
	uint32_t	 len;
	uint8_t		*payload;
	size_t		 have;
	uint32_t	 max_json;
	uint32_t	 max_video;
	enum proto_error error;	/* sticky once set */
};

enum frame_status {
	FRAME_NEED_MORE = 0,	/* all input consumed, no complete frame */
	FRAME_READY = 1,	/* *out holds a frame; more input may remain */
	FRAME_ERROR = -1	/* stream is bad: see decoder->error */
};

/* The fixed header in front of the JPEG in a video frame's payload. */
struct video_header {
	uint32_t	stream_id;
	uint32_t	seq;
	uint32_t	pts_ms;
	uint16_t	width;
	uint16_t	height;
	uint8_t		quality;
	uint8_t		flags;
};

#define VIDEO_FLAG_KEY		0x01	/* first frame after start/seek/switch */
#define VIDEO_FLAG_LAST		0x02	/* last frame of the stream */
#define VIDEO_FLAGS_KNOWN	(VIDEO_FLAG_KEY | VIDEO_FLAG_LAST)

void		 frame_decoder_init(struct frame_decoder *);
void		 frame_decoder_set_limits(struct frame_decoder *, uint32_t,
		    uint32_t);
void		 frame_decoder_free(struct frame_decoder *);
enum frame_status frame_decoder_feed(struct frame_decoder *, const uint8_t *,
		    size_t, size_t *, struct frame *);
enum proto_error frame_check_header(uint8_t, uint32_t, uint32_t, uint32_t);
void		 frame_encode_header(uint8_t *, uint8_t, uint32_t);

void		 frame_video_encode(uint8_t *, const struct video_header *);
enum proto_error frame_video_decode(const uint8_t *, size_t,
		    struct video_header *, const uint8_t **, size_t *);

#endif
