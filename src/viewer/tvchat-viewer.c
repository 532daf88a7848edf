/*
 * tvchat-viewer: the popup video window. Reads frames from standard input
 * (a 4-byte big-endian length, then a JPEG) and shows the newest one in
 * an OpenCV window. Exits when the window is closed (or q or Escape is
 * pressed there), or when its input ends.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "proto.h"
#include "window.h"

#define VIEWER_MAX_FRAME	FRAME_MAX_VIDEO

int
main(int argc, char **argv)
{
	struct pollfd	 pfd = { STDIN_FILENO, POLLIN, 0 };
	uint8_t		*buf = malloc(VIEWER_MAX_FRAME + 4);
	size_t		 have = 0, need;
	ssize_t		 n;
	int		 shown = 0;

	if (buf == NULL)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	if (window_open(argc > 1 ? argv[1] : "tvchat") != 0)
		return 2;
	for (;;) {
		if (!window_poll(5))
			break;
		if (poll(&pfd, 1, 10) <= 0)
			continue;
		n = read(STDIN_FILENO, buf + have, VIEWER_MAX_FRAME + 4 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		/* Show the newest complete frame; keep a partial one. */
		while (have >= 4) {
			need = be32dec(buf);
			if (need > VIEWER_MAX_FRAME) {
				fprintf(stderr, "tvchat-viewer: bad frame "
				    "length\n");
				window_close();
				return 1;
			}
			if (have < 4 + need)
				break;
			if (window_show(buf + 4, need) == 0)
				shown++;
			memmove(buf, buf + 4 + need, have - 4 - need);
			have -= 4 + need;
		}
	}
	window_close();
	free(buf);
	return 0;
}
