/* The server's video library: videos/<name>_<quality>.mp4. */
#ifndef TVCHAT_LIBRARY_H
#define TVCHAT_LIBRARY_H

#include <time.h>

#include <json-c/json.h>

#include "proto.h"
#include "video.h"

#define LIBRARY_QUALITIES	3	/* 240p, 720p, 1440p */

struct library_title {
	char			 name[VIDEO_NAME_MAX_LEN + 1];
	char			*path[LIBRARY_QUALITIES];	/* NULL: none */
	struct video_info	 info[LIBRARY_QUALITIES];
};

struct library {
	char			*dir;
	struct timespec		 mtime;		/* of dir at the last scan */
	int			 scanned;
	struct library_title	*titles;
	size_t			 ntitles;
	char			**refused;	/* files said to be refused */
	size_t			 nrefused;
};

void			 library_init(struct library *, const char *);
void			 library_free(struct library *);
int			 library_scan(struct library *);
const struct library_title *library_find(struct library *, const char *);
json_object		*library_json(struct library *);
int			 library_quality_index(enum quality);
enum quality		 library_quality_of(int);

#endif
