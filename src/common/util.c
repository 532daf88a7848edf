/* Small helpers: XDG paths, directories, whole-file and whole-buffer I/O. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "xmalloc.h"

/*
 * Return $env/rel, or $HOME/fallback/rel when env is unset, empty or not
 * absolute (as the XDG Base Directory spec says). A new string.
 */
char *
util_xdg_path(const char *env, const char *fallback, const char *rel)
{
	const char	*base = getenv(env), *home;
	char		*path;

	if (base != NULL && base[0] == '/') {
		xasprintf(&path, "%s/%s", base, rel);
		return path;
	}
	if ((home = getenv("HOME")) == NULL)
		home = "";
	xasprintf(&path, "%s/%s/%s", home, fallback, rel);
	return path;
}

/* Return the directory part of path as a new string ("." if none). */
char *
util_dirname(const char *path)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/*
 * Create dir and missing parents with mode; return 0 if dir is now a
 * directory, or -1 with errno set.
 */
int
util_mkdir_p(const char *dir, mode_t mode)
{
	struct stat	 st;
	char		*copy, *p;

	if (dir[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	copy = xstrdup(dir);
	for (p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(copy, mode) != 0 && errno != EEXIST) {
			free(copy);
			return -1;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(copy);
	if (stat(dir, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/* Write all len bytes to fd, retrying on EINTR; return 0 or -1. */
int
util_write_all(int fd, const void *p, size_t len)
{
	const uint8_t	*b = p;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, b, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Replace the file at path with the len bytes at p, atomically: its
 * directory made (mode 0700) if missing, the bytes written to a new
 * temporary file of that mode beside it, flushed to disk (fsync) and
 * renamed over path, so a crash leaves the old file or the new one, never
 * a mix. Returns 0, or -1 with errno set and the temporary file gone.
 */
int
util_write_file_atomic(const char *path, const void *p, size_t len,
    mode_t mode)
{
	char	*dir = util_dirname(path), *tmp;
	int	 fd, r, saved;

	r = util_mkdir_p(dir, 0700);
	free(dir);
	if (r != 0)
		return -1;
	xasprintf(&tmp, "%s.tmp%ld", path, (long)getpid());
	(void)unlink(tmp);	/* one a crash of ours left */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, mode)) == -1) {
		saved = errno;
		free(tmp);
		errno = saved;
		return -1;
	}
	if (util_write_all(fd, p, len) != 0 || fsync(fd) != 0)
		r = -1;
	saved = errno;
	if (close(fd) != 0 && r == 0) {
		r = -1;
		saved = errno;
	}
	if (r == 0 && rename(tmp, path) != 0) {
		r = -1;
		saved = errno;
	}
	if (r != 0)
		unlink(tmp);
	free(tmp);
	errno = saved;
	return r;
}

/*
 * Read all of fd (at most max bytes) into a new NUL-terminated buffer.
 * Returns 0, or -1 on error or if the file is larger than max (EFBIG).
 */
int
util_read_file(int fd, size_t max, uint8_t **out, size_t *outlen)
{
	uint8_t	*buf = xmalloc(max + 1);
	size_t	 len = 0;
	ssize_t	 n;

	for (;;) {
		n = read(fd, buf + len, max + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			errno = EFBIG;
			return -1;
		}
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/* Return milliseconds of the monotonic clock. */
int64_t
util_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
