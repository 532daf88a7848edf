/*
 * Turning a decoded picture into a video frame: the one path shared by a
 * stream of one's own (stream-private.c) and a shared player (player.c).
 */
#ifndef TVCHAT_FRAMEENC_H
#define TVCHAT_FRAMEENC_H

#include <stddef.h>
#include <stdint.h>

#include "video.h"

#define FRAMEENC_JPEG_QUALITY	80

/* The picture just read, encoded: the caller frees jpeg. */
struct frameenc_frame {
	uint8_t		*jpeg;
	size_t		 len;
	uint32_t	 pts_ms;
	uint8_t		 flags;		/* VIDEO_FLAG_KEY, VIDEO_FLAG_LAST */
};

int	frameenc_read(struct video *, const struct video_info *, char *);
int	frameenc_encode(struct video *, const struct video_info *, int, int,
	    int, size_t, struct frameenc_frame *, char *);

#endif
