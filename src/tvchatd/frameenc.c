/*
 * Video frames from a file, as a stream of one's own and a shared player
 * both make them: read the next picture (a file that stops well short of
 * the length it announced is damaged, not finished), then scale it to the
 * size sent and JPEG-encode it at one quality, with its presentation time
 * and the key and last flags of the video header.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "frame.h"
#include "frameenc.h"

/*
 * Decode v's next picture (info describes the file). Returns above 0 for
 * a picture, 0 at the end of the file, or -1 with err (VIDEO_ERR_LEN
 * bytes) set: a decoding error, or a file short of its announced length
 * by over a second.
 */
int
frameenc_read(struct video *v, const struct video_info *info, char *err)
{
	int	r;

	if ((r = video_read(v, err)) != 0)
		return r < 0 ? -1 : r;
	if ((double)(info->frames - video_position(v)) > info->fps) {
		snprintf(err, VIDEO_ERR_LEN, "the video file ends early "
		    "(damaged or truncated)");
		return -1;
	}
	return 0;
}

/*
 * Encode the picture v just read at w x h into *f, flagged as the key
 * frame if key is set and as the last if it is the file's last. Returns
 * 1, or 0 if its JPEG is over max bytes (nothing to free: the frame is
 * dropped), or -1 with err set.
 */
int
frameenc_encode(struct video *v, const struct video_info *info, int w, int h,
    int key, size_t max, struct frameenc_frame *f, char *err)
{
	int64_t	index = video_position(v) - 1;

	if (video_encode_jpeg(v, w, h, FRAMEENC_JPEG_QUALITY, &f->jpeg,
	    &f->len, err) != 0)
		return -1;
	if (f->len > max) {
		free(f->jpeg);
		f->jpeg = NULL;
		return 0;
	}
	f->pts_ms = (uint32_t)llround((double)index * 1000.0 / info->fps);
	f->flags = (key ? VIDEO_FLAG_KEY : 0) |
	    (video_position(v) >= info->frames ? VIDEO_FLAG_LAST : 0);
	return 1;
}
