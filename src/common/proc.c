/*
 * Process plumbing every tvchat process shares. A signal a process wants
 * to hear about is noted in a flag and wakes its poll() loop through a
 * self-pipe; the loop asks which signals came (proc_take_signals()) and
 * does the work there, never in the handler. The write helpers retry
 * interrupted calls and stop, without an error, where a non-blocking
 * descriptor would block.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

/* Signals above this cannot be asked for (they fit PROC_SIG()'s mask). */
#define PROC_MAX_SIGNAL	64

static int			signal_pipe[2] = { -1, -1 };
static volatile sig_atomic_t	caught[PROC_MAX_SIGNAL];
static uint64_t			woken;	/* which signals PROC_WAKE */

/* The handler: note the signal, then wake the loop. */
static void
on_signal(int sig)
{
	int		saved = errno;
	unsigned char	c = (unsigned char)sig;

	caught[sig] = 1;
	if (write(signal_pipe[1], &c, 1) == -1) {
		/* Pipe full: a wake-up is pending and the flag is set. */
	}
	errno = saved;
}

/*
 * Give each listed signal its disposition, making the self-pipe the first
 * time one is PROC_WAKE; returns the pipe's read end (or -1 if none is
 * woken). A bad signal number is a programming error: fatal.
 */
int
proc_signals(const struct proc_signal *list, size_t n)
{
	struct sigaction	sa;

	for (size_t i = 0; i < n; i++) {
		if (list[i].sig <= 0 || list[i].sig >= PROC_MAX_SIGNAL)
			fatalx("proc_signals: signal %d", list[i].sig);
		memset(&sa, 0, sizeof sa);
		sigemptyset(&sa.sa_mask);
		switch (list[i].what) {
		case PROC_WAKE:
			if (signal_pipe[0] == -1 &&
			    pipe2(signal_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
				fatal("pipe");
			sa.sa_handler = on_signal;
			sa.sa_flags = SA_RESTART;
			woken |= PROC_SIG(list[i].sig);
			break;
		case PROC_IGNORE:
			sa.sa_handler = SIG_IGN;
			woken &= ~PROC_SIG(list[i].sig);
			break;
		case PROC_DEFAULT:
			sa.sa_handler = SIG_DFL;
			woken &= ~PROC_SIG(list[i].sig);
			break;
		}
		if (sigaction(list[i].sig, &sa, NULL) != 0)
			fatal("sigaction %d", list[i].sig);
	}
	return signal_pipe[0];
}

/* The self-pipe's read end, for the loop's poll(); -1 before any wake. */
int
proc_signal_fd(void)
{
	return signal_pipe[0];
}

/*
 * Drain the self-pipe and return the signals caught since the last call,
 * as PROC_SIG() bits. The pipe is read before the flags: a signal that
 * lands between a flag's test and its reset leaves a byte behind, so it
 * is reported next time rather than lost.
 */
uint64_t
proc_take_signals(void)
{
	unsigned char	buf[64];
	uint64_t	got = 0;
	ssize_t		n;

	if (signal_pipe[0] == -1)
		return 0;
	while ((n = read(signal_pipe[0], buf, sizeof buf)) > 0 ||
	    (n == -1 && errno == EINTR))
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] < PROC_MAX_SIGNAL)
				got |= PROC_SIG(buf[i]);
	for (int sig = 1; sig < PROC_MAX_SIGNAL; sig++)
		if (caught[sig]) {
			caught[sig] = 0;
			got |= PROC_SIG(sig);
		}
	return got & woken;
}

/*
 * In a freshly forked child: the parent's woken signals back to their
 * defaults and its self-pipe closed, so the child starts clean.
 */
void
proc_signals_reset(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < PROC_MAX_SIGNAL; sig++)
		if (woken & PROC_SIG(sig))
			sigaction(sig, &sa, NULL);
	woken = 0;
	if (signal_pipe[0] != -1) {
		close(signal_pipe[0]);
		close(signal_pipe[1]);
		signal_pipe[0] = signal_pipe[1] = -1;
	}
	for (int sig = 1; sig < PROC_MAX_SIGNAL; sig++)
		caught[sig] = 0;
}

/*
 * Write len bytes to non-blocking fd until they are all gone or it would
 * block; returns how many were written, or -1 if the descriptor failed.
 */
ssize_t
proc_write(int fd, const void *data, size_t len)
{
	const unsigned char	*p = data;
	size_t			 done = 0;
	ssize_t			 n;

	while (done < len) {
		n = write(fd, p + done, len - done);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/*
 * One writev() to non-blocking fd, retried if interrupted; returns the
 * bytes written, 0 if it would block, or -1 if the descriptor failed.
 */
ssize_t
proc_writev(int fd, const struct iovec *iov, int n)
{
	ssize_t	w;

	for (;;) {
		w = writev(fd, iov, n);
		if (w != -1)
			return w;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -1;
	}
}
