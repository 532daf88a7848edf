/*
 * The client's commands, one layer under both faces of tvchat: the TUI's
 * /commands and batch mode's JSON lines each split their arguments and
 * call these, which check them and send the command's message.
 */
#ifndef TVCHAT_COMMAND_H
#define TVCHAT_COMMAND_H

#include <stddef.h>

#include <json-c/json.h>

#include "client.h"

/* Why a command was refused; command_strerror() words it. */
enum command_error {
	COMMAND_OK = 0,
	COMMAND_NOT_CONNECTED = -1,
	COMMAND_BAD_ROOM = -2,
	COMMAND_BAD_NAME = -3,		/* "to" holds a bad name, or none */
	COMMAND_TOO_MANY = -4,		/* more than CHAT_MAX_RECIPIENTS */
	COMMAND_NAME_TWICE = -5,
	COMMAND_BAD_QUALITY = -6,
	COMMAND_WATCH_QUALITY = -7,	/* "auto" to watch together */
	COMMAND_REFUSED = -8		/* the client said why itself */
};

const char	*command_strerror(int);
int	command_quality_from_name(const char *, int, enum quality *);
int	command_say(struct client *, const char *, const char *, int);
int	command_msg(struct client *, json_object *, const char *, int,
	    size_t *);
int	command_join(struct client *, const char *);
int	command_part(struct client *, const char *);
int	command_who(struct client *, const char *);
void	command_verify(struct client *, const char *);
void	command_trust(struct client *, const char *);
int	command_rotate(struct client *, const char *);
void	command_raw(struct client *, json_object *);
int	command_videos(struct client *);
int	command_play(struct client *, const char *, enum quality, int, int,
	    double);
int	command_pause(struct client *);
int	command_resume(struct client *);
int	command_stop(struct client *);
int	command_seek(struct client *, double);
int	command_quality(struct client *, enum quality);
int	command_watch(struct client *, const char *, const char *,
	    enum quality, int, int);
void	command_resize(struct client *, int, int);

#endif
