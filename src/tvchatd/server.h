/* tvchatd's processes: master (server.c), broker, sessions (session*.c). */
#ifndef TVCHAT_SERVER_H
#define TVCHAT_SERVER_H

#include <signal.h>
#include <stdint.h>

#include "library.h"
#include "player.h"
#include "presence.h"

/* In a cluster the presence table also holds this many users of other
 * nodes for every local one. */
#define CLUSTER_REMOTE_FACTOR	3

struct server_config {
	const char	*address;	/* listen address */
	int		 port;
	const char	*videos_dir;
	unsigned int	 max_clients;
	/* Connections still in their handshake ("startups"): refused with
	 * a probability rising from rate% at start to 100% at full. */
	unsigned int	 startups_start;
	unsigned int	 startups_rate;
	unsigned int	 startups_full;
	unsigned int	 per_source_startups;	/* 0: no cap per address */
	int		 foreground;
	int		 debug;
	const char	*pid_file;
	const char	*motd;
	const char	*server_name;
	double		 chat_rate;	/* chat messages per second */
	double		 chat_burst;	/* bucket size */
	int		 handshake_timeout;	/* seconds */
	int		 idle_timeout;		/* seconds without input */
	size_t		 out_queue_max;	/* bytes queued to one client */
	int		 share_players;	/* one decode per shared stream */
	unsigned int	 max_private;	/* streams decoded by their session */
	const char	*redis_host;	/* cluster mode: Redis to join */
	int		 redis_port;
	char		*redis_password;	/* AUTH with it, or NULL */
	char		 node[NAME_MAX_LEN + 1];	/* this node's name */
	int		 cluster_ttl_ms;	/* heartbeat time to live */
	char		 cluster_epoch[20];	/* this run of the node */
	char		 runtime_dir[256];	/* private 0700 directory */
	char		 broker_path[300];	/* broker's socket in it */
};

/* The session's view of the world, inherited from the master. */
struct session_env {
	const struct server_config	*cfg;
	struct presence			*presence;
	struct library			*library;	/* scanned by the master */
	struct player_table		*players;	/* NULL: no sharing */
	int				 client_fd;
	int				 login_fd;	/* tell the master: in */
	char				 peer[64];	/* "addr:port" */
};

extern volatile sig_atomic_t	server_shutdown_requested;

int	server_listen(const struct server_config *);
int	server_run(struct server_config *, int);
void	broker_main(const struct server_config *, struct presence *,
	    struct player_table *, int) __attribute__((noreturn));
void	session_main(struct session_env *) __attribute__((noreturn));

#endif
