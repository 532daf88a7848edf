/* Admission: connections still in their handshake ("startups"). */
#ifndef TVCHAT_STARTUPS_H
#define TVCHAT_STARTUPS_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

struct server_config;
struct startup;

/* The master's handshakes in progress and its refusals since logged. */
struct startups {
	const struct server_config *cfg;
	struct startup		*list;	/* at most cfg->startups_full */
	size_t			 count;
	unsigned long		 refused_all, refused_source, evicted;
	int64_t			 logged_at;	/* ms, monotonic */
};

void	 startups_init(struct startups *, const struct server_config *);
void	 startups_free(struct startups *);
const char *startups_admit(struct startups *, const struct sockaddr_storage *,
	    int64_t);
void	 startups_add(struct startups *, pid_t, const struct sockaddr_storage *,
	    int64_t);
void	 startups_done(struct startups *, pid_t);
void	 startups_log(struct startups *, int64_t);
int64_t	 startups_log_at(const struct startups *);

#endif
