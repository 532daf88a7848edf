/* Logging to stderr or syslog, and the one fatal-error path. */
#ifndef TVCHAT_LOG_H
#define TVCHAT_LOG_H

#include <stdarg.h>

enum log_target { LOG_TO_STDERR, LOG_TO_SYSLOG };

void	log_open(const char *, enum log_target, int);
void	log_set_prefix(const char *);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
