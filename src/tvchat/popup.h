/* The popup video window: a tvchat-viewer child fed JPEGs through a pipe. */
#ifndef TVCHAT_POPUP_H
#define TVCHAT_POPUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct viewer {
	pid_t	pid;
	int	fd;		/* pipe to its standard input */
	size_t	dropped;	/* frames skipped while the pipe was full */
};

int	viewer_open(struct viewer **, const char *, char *, size_t);
int	viewer_send(struct viewer *, const uint8_t *, size_t);
int	viewer_alive(struct viewer *);
void	viewer_close(struct viewer **);

#endif
