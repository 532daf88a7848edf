/* tvchat --batch: JSON lines in (commands), JSON lines out (events). */
#ifndef TVCHAT_BATCH_H
#define TVCHAT_BATCH_H

#include "client.h"

void	batch_emit(void *, json_object *);
void	batch_frame(void *, const struct video_header *, const uint8_t *,
	    size_t);
int	batch_run(struct client *);
void	batch_run_line(struct client *, const char *, size_t);

#endif
