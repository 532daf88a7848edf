/*
 * What cluster nodes say to each other through Redis (see cluster.c):
 * notes on the shared channel, chat parcels on a node's own channel, and
 * watch-together states. Building and strict parsing, no I/O.
 */
#ifndef TVCHAT_CLUSTERNOTE_H
#define TVCHAT_CLUSTERNOTE_H

#include <stddef.h>
#include <stdint.h>

#include "player.h"
#include "proto.h"

#define PARCEL_HEADER_LEN	12

struct note {
	char		 kind;
	char		 node[NAME_MAX_LEN + 1];
	const uint8_t	*body;
	size_t		 len;
};

struct parcel {
	int32_t		 slot;
	uint32_t	 generation;
	const uint8_t	*frame;
	size_t		 len;
};

/* A watch-together state, and what just happened to it (0: nothing). */
struct watch_note {
	struct player_watch	w;
	enum player_action	action;
	double			to;
	uint8_t			quality;
};

size_t	note_header(char *, size_t, char, const char *);
int	note_parse(const uint8_t *, size_t, struct note *);
int	note_frame_ok(const uint8_t *, size_t);
void	parcel_header(uint8_t *, int32_t, uint32_t, size_t);
int	parcel_next(const uint8_t **, size_t *, struct parcel *);
char	*watch_note_text(const struct watch_note *);
int	watch_note_parse(const uint8_t *, size_t, struct watch_note *);

#endif
