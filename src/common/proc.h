/*
 * Process plumbing every tvchat process shares: signals turned into
 * events of its poll() loop through a self-pipe, and writes to
 * non-blocking descriptors.
 */
#ifndef TVCHAT_PROC_H
#define TVCHAT_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* What a process does with a signal. */
enum proc_disposition {
	PROC_WAKE,	/* note it and wake the loop (proc_signal_fd()) */
	PROC_IGNORE,	/* SIG_IGN */
	PROC_DEFAULT,	/* SIG_DFL */
};

struct proc_signal {
	int			sig;
	enum proc_disposition	what;
};

/* The bit of signal s in what proc_take_signals() returns. */
#define PROC_SIG(s)	(UINT64_C(1) << (s))

int	 proc_signals(const struct proc_signal *, size_t);
int	 proc_signal_fd(void);
uint64_t proc_take_signals(void);
void	 proc_signals_reset(void);
ssize_t	 proc_write(int, const void *, size_t);
ssize_t	 proc_writev(int, const struct iovec *, int);

#endif
