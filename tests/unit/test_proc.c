/* Unit tests for proc.c: signals through the self-pipe, non-blocking writes. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

/* Whether fd is readable right now. */
static int
readable(int fd)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

/* The other descriptor of the pipe whose read end is fd, or -1. */
static int
write_end(int fd)
{
	char	path[64], want[64], got[64];
	ssize_t	n;

	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	if ((n = readlink(path, want, sizeof want - 1)) <= 0)
		return -1;
	want[n] = '\0';
	for (int i = 0; i < 1024; i++) {
		if (i == fd)
			continue;
		snprintf(path, sizeof path, "/proc/self/fd/%d", i);
		if ((n = readlink(path, got, sizeof got - 1)) <= 0)
			continue;
		got[n] = '\0';
		if (strcmp(got, want) == 0)
			return i;
	}
	return -1;
}

/* A woken signal makes the pipe readable and is reported once. */
static void
test_wake(void **state)
{
	static const struct proc_signal list[] = {
		{ SIGUSR1, PROC_WAKE }, { SIGUSR2, PROC_WAKE },
	};
	int	fd;

	(void)state;
	fd = proc_signals(list, 2);
	assert_true(fd >= 0);
	assert_int_equal(proc_signal_fd(), fd);
	assert_false(readable(fd));
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(raise(SIGUSR2), 0);
	assert_true(readable(fd));
	assert_true(proc_take_signals() ==
	    (PROC_SIG(SIGUSR1) | PROC_SIG(SIGUSR2)));
	assert_false(readable(fd));
	assert_true(proc_take_signals() == 0);
	proc_signals_reset();
}

/* A signal that could not be written to a full pipe is still reported. */
static void
test_full_pipe(void **state)
{
	static const struct proc_signal list[] = { { SIGUSR1, PROC_WAKE } };
	char	junk[4096];
	int	fd, wfd = -1;

	(void)state;
	fd = proc_signals(list, 1);
	wfd = write_end(fd);
	assert_true(wfd >= 0);
	memset(junk, 0, sizeof junk);
	while (write(wfd, junk, sizeof junk) > 0)
		;
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(raise(SIGUSR1), 0);
	/* Bytes of 0 are no signal; the flag says SIGUSR1 came. */
	assert_true(proc_take_signals() == PROC_SIG(SIGUSR1));
	assert_false(readable(fd));
	proc_signals_reset();
}

/* Reset closes the pipe and restores the default disposition. */
static void
test_reset(void **state)
{
	static const struct proc_signal list[] = {
		{ SIGUSR1, PROC_WAKE }, { SIGUSR2, PROC_IGNORE },
	};
	struct sigaction	sa;

	(void)state;
	proc_signals(list, 2);
	assert_int_equal(sigaction(SIGUSR2, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_IGN);
	proc_signals_reset();
	assert_int_equal(proc_signal_fd(), -1);
	assert_int_equal(sigaction(SIGUSR1, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_DFL);
	assert_true(proc_take_signals() == 0);
	/* An ignored one is left ignored: children keep SIGHUP ignored. */
	assert_int_equal(sigaction(SIGUSR2, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_IGN);
	signal(SIGUSR2, SIG_DFL);
}

/* proc_write stops where the descriptor would block, and says how far. */
static void
test_write_blocks(void **state)
{
	static char	big[1 << 20];
	char		out[4096];
	int		p[2];
	ssize_t		n, r;
	size_t		total = 0;

	(void)state;
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	n = proc_write(p[1], big, sizeof big);
	assert_true(n > 0 && (size_t)n < sizeof big);
	assert_int_equal(proc_write(p[1], big, 1), 0);
	while ((r = read(p[0], out, sizeof out)) > 0)
		total += (size_t)r;
	assert_int_equal(total, (size_t)n);
	assert_int_equal(proc_write(p[1], "abc", 3), 3);
	assert_int_equal(read(p[0], out, sizeof out), 3);
	assert_memory_equal(out, "abc", 3);
	close(p[0]);
	close(p[1]);
}

/* A broken descriptor is -1, whether by write or writev. */
static void
test_write_broken(void **state)
{
	struct iovec	iov[2] = { { "ab", 2 }, { "cd", 2 } };
	char		out[8];
	int		p[2];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	assert_int_equal(proc_writev(p[1], iov, 2), 4);
	assert_int_equal(read(p[0], out, sizeof out), 4);
	assert_memory_equal(out, "abcd", 4);
	close(p[0]);
	assert_int_equal(proc_write(p[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(proc_writev(p[1], iov, 2), -1);
	close(p[1]);
	assert_int_equal(proc_write(p[1], "x", 1), -1);
	assert_int_equal(errno, EBADF);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wake),
		cmocka_unit_test(test_full_pipe),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_write_blocks),
		cmocka_unit_test(test_write_broken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
