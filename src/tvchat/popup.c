/*
 * The popup window lives in a child process, tvchat-viewer, so GUI toolkit
 * state (OpenCV's highgui and Qt) never enters the client. Frames go to it
 * as a 4-byte big-endian length and a JPEG on a non-blocking pipe; a frame
 * that does not fit is skipped (the newest always wins, as on the
 * network). Without a display the window is refused with a reason.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "popup.h"
#include "xmalloc.h"

/* Find the viewer program: $TVCHAT_VIEWER, next to us, or on $PATH. */
static void
viewer_path(char *out, size_t len)
{
	const char	*env = getenv("TVCHAT_VIEWER");
	char		 self[PATH_MAX];
	ssize_t		 n;
	char		*slash;

	if (env != NULL && env[0] != '\0') {
		snprintf(out, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL &&
		    (size_t)(slash - self) + sizeof "/tvchat-viewer" <= len) {
			memcpy(out, self, (size_t)(slash - self));
			memcpy(out + (slash - self), "/tvchat-viewer",
			    sizeof "/tvchat-viewer");
			if (access(out, X_OK) == 0)
				return;
		}
	}
	snprintf(out, len, "tvchat-viewer");
}

/*
 * Start the viewer with window title; 0 with *out set, or -1 with a
 * reason in err (no display, cannot start it).
 */
int
viewer_open(struct viewer **out, const char *title, char *err, size_t len)
{
	struct viewer	*v;
	char		 path[PATH_MAX];
	int		 fds[2], status;
	pid_t		 pid;
	const char	*x = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");

	*out = NULL;
	if ((x == NULL || x[0] == '\0') && (w == NULL || w[0] == '\0')) {
		snprintf(err, len, "no display (DISPLAY is not set; over ssh "
		    "use ssh -X)");
		return -1;
	}
	viewer_path(path, sizeof path);
	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(err, len, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(err, len, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(fds[0], STDIN_FILENO);
		if (devnull != -1) {
			/* The toolkit's chatter must not reach the TUI. */
			dup2(devnull, STDOUT_FILENO);
			dup2(devnull, STDERR_FILENO);
		}
		signal(SIGPIPE, SIG_DFL);
		execlp(path, "tvchat-viewer", title, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
	fcntl(fds[1], F_SETPIPE_SZ, 1024 * 1024);	/* a few big frames */
	v = xcalloc(1, sizeof *v);
	v->pid = pid;
	v->fd = fds[1];
	/* A missing program or an unopenable window ends it at once. */
	usleep(300000);
	if (waitpid(pid, &status, WNOHANG) == pid) {
		close(v->fd);
		free(v);
		snprintf(err, len, "the window could not open (%s)",
		    WIFEXITED(status) && WEXITSTATUS(status) == 127 ?
		    "tvchat-viewer not found" : "no usable display");
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * Send one JPEG; when the pipe has no room for all of it, it is skipped
 * (whole records only: never half a frame). Returns 0, or -1 if the
 * viewer is gone (its window was closed).
 */
int
viewer_send(struct viewer *v, const uint8_t *jpeg, size_t len)
{
	uint8_t		 hdr[4];
	const uint8_t	*parts[2] = { hdr, jpeg };
	size_t		 lens[2] = { 4, len };
	int		 unread = 0, size;
	ssize_t		 n;

	if (!viewer_alive(v))
		return -1;
	size = fcntl(v->fd, F_GETPIPE_SZ);
	if (size <= 0 || ioctl(v->fd, FIONREAD, &unread) != 0)
		unread = size = 0;
	if ((size_t)(size - unread) < len + 4) {
		v->dropped++;
		return 0;
	}
	be32enc(hdr, (uint32_t)len);
	/* There is room, so these writes complete; loop for safety. */
	for (int i = 0; i < 2; i++) {
		while (lens[i] > 0) {
			n = write(v->fd, parts[i], lens[i]);
			if (n == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0)
				return -1;
			parts[i] += n;
			lens[i] -= (size_t)n;
		}
	}
	return 0;
}

/* Return 1 if the viewer still runs (reaps it if not). */
int
viewer_alive(struct viewer *v)
{
	int	status;

	if (v->pid <= 0)
		return 0;
	if (waitpid(v->pid, &status, WNOHANG) == v->pid) {
		v->pid = 0;
		return 0;
	}
	return 1;
}

/* Close the window (if open) and forget the viewer. */
void
viewer_close(struct viewer **vp)
{
	struct viewer	*v = *vp;

	if (v == NULL)
		return;
	close(v->fd);
	if (v->pid > 0) {
		kill(v->pid, SIGTERM);
		waitpid(v->pid, NULL, 0);
	}
	free(v);
	*vp = NULL;
}
