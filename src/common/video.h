/*
 * The C face of OpenCV (video_cv.cpp): reading video files, scaling and
 * JPEG-encoding frames for the server, decoding JPEGs for the client.
 * Every C++ exception is caught inside and becomes -1 with a message.
 */
#ifndef TVCHAT_VIDEO_H
#define TVCHAT_VIDEO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIDEO_ERR_LEN	160

struct video;

struct video_info {
	double		fps;
	int64_t		frames;
	int		width;
	int		height;
	double		duration;	/* seconds */
};

/* A decoded picture: rows of width * 3 bytes, blue-green-red. */
struct video_image {
	int		 width;
	int		 height;
	uint8_t		*bgr;
};

int	video_open(const char *, struct video **, char *);
void	video_close(struct video *);
void	video_get_info(const struct video *, struct video_info *);
int	video_seek(struct video *, int64_t, char *);
int	video_read(struct video *, char *);
int	video_skip(struct video *, int, char *);
int64_t	video_position(const struct video *);
int	video_encode_jpeg(struct video *, int, int, int, uint8_t **, size_t *,
	    char *);
int	video_decode_jpeg(const uint8_t *, size_t, int,
	    struct video_image *, char *);
int	video_image_scale(const struct video_image *, int, int,
	    struct video_image *, char *);
void	video_image_free(struct video_image *);

#ifdef __cplusplus
}
#endif

#endif
