/* Logging to stderr or syslog, and fatal()/fatalx() which log and exit. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static const char	*log_progname = "tvchat";
static const char	*log_prefix = "";
static enum log_target	 log_target = LOG_TO_STDERR;
static int		 log_debug_on;

/* Start logging as progname to target; debug enables log_debug(). */
void
log_open(const char *progname, enum log_target target, int debug)
{
	log_progname = progname;
	log_target = target;
	log_debug_on = debug;
	if (target == LOG_TO_SYSLOG)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Set a short tag (e.g. "session alice") put before every message. */
void
log_set_prefix(const char *prefix)
{
	log_prefix = prefix;
}

static void	log_vwrite(int, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));

/*
 * Copy s into out (4 * strlen(s) + 1 bytes or more) with every byte but
 * printable ASCII written as a vis(3)-style octal escape ("\033" for
 * ESC, "\012" for a newline), as OpenSSH logs: what a log line carries
 * from outside (a file name, a symbolic link's target, a peer's text)
 * can then neither forge a line nor send the terminal escape sequences.
 */
static void
log_escape(char *out, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		if (*p >= 0x20 && *p < 0x7f)
			*out++ = (char)*p;
		else
			out += sprintf(out, "\\%03o", *p);
	}
	*out = '\0';
}

/* Write one message at a syslog priority, with an optional errno text. */
static void
log_vwrite(int pri, int errnum, const char *fmt, va_list ap)
{
	char	raw[1024], msg[4 * sizeof raw];
	int	saved = errno;

	vsnprintf(raw, sizeof raw, fmt, ap);
	log_escape(msg, raw);
	if (log_target == LOG_TO_SYSLOG) {
		if (errnum != 0)
			syslog(pri, "%s%s: %s", log_prefix, msg,
			    strerror(errnum));
		else
			syslog(pri, "%s%s", log_prefix, msg);
	} else {
		if (errnum != 0)
			fprintf(stderr, "%s: %s%s: %s\n", log_progname,
			    log_prefix, msg, strerror(errnum));
		else
			fprintf(stderr, "%s: %s%s\n", log_progname,
			    log_prefix, msg);
	}
	errno = saved;
}

/* Log a warning followed by strerror(errno). */
void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	errnum = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, errnum, fmt, ap);
	va_end(ap);
}

/* Log a warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, 0, fmt, ap);
	va_end(ap);
}

/* Log an informational message. */
void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

/* Log a debug message if debug logging is on. */
void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

/* Log an error with strerror(errno) and exit 1. */
void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	errnum = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, errnum, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Log an error and exit 1. */
void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
