/*
 * The tvchatd master: creates the presence table and the broker's socket,
 * forks the broker, accepts connections and forks one session for each.
 * Connections still in their handshake ("startups") are admitted or not
 * by startups.c; a session tells the master through a pipe once it holds
 * a slot.
 * It reaps children from a SIGCHLD flag, repairs the table after a crashed
 * session (also one that died holding the lock) and announces its leave,
 * restarts a dead broker, and on SIGTERM/SIGINT tells every session to say
 * goodbye before exiting 0. It never blocks on a client nor parses one's
 * bytes.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "ipc.h"
#include "log.h"
#include "msg.h"
#include "player.h"
#include "proc.h"
#include "server.h"
#include "startups.h"
#include "util.h"
#include "xmalloc.h"

#define SHUTDOWN_GRACE_MS	3000
#define ACCEPT_BATCH		64	/* connections per wake-up */
#define ACCEPT_PAUSE_MS		100	/* after running out of descriptors */
#define LISTEN_BACKLOG		4096

/* The pids of all sessions: open addressing, 0 marks an empty place. */
struct pidset {
	pid_t		*pids;
	size_t		 cap;	/* 0 or a power of two */
	size_t		 count;
};

struct master {
	struct server_config	*cfg;
	struct presence		 presence;
	struct library		 library;
	struct player_table	*players;
	int			 listen_fd;
	int			 broker_listen_fd;
	pid_t			 broker_pid;
	int			 broker_link;
	struct pktq		 to_broker;
	struct pidset		 sessions;
	struct startups		 startups;	/* in their handshake */
	int			 login_pipe[2];	/* sessions in: their pids */
	int			 spare_fd;	/* freed to refuse on EMFILE */
	int			 out_of_fds;	/* this shortage is logged */
	int64_t			 accept_paused_until;
};

/* What a new child keeps of the master's descriptors (child_close()). */
#define KEEP_BROKER_SOCKET	0x1
#define KEEP_LOGIN_PIPE		0x2

static int			 got_term;	/* SIGTERM or SIGINT came */
static pid_t			 master_pid;

/*
 * Restore default signal handling in a freshly forked child, and ask for
 * SIGTERM if the master dies, so no child outlives it.
 */
static void
child_signals(pid_t master)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
		log_warn("prctl");
	if (getppid() != master)
		_exit(0);	/* the master died before prctl() */
	proc_signals_reset();
}

/* Close, in a freshly forked child, the master's descriptors but keep. */
static void
child_close(struct master *m, int keep)
{
	close(m->listen_fd);
	if (!(keep & KEEP_BROKER_SOCKET))
		close(m->broker_listen_fd);
	if (m->broker_link != -1)
		close(m->broker_link);
	close(m->login_pipe[0]);
	if (!(keep & KEEP_LOGIN_PIPE))
		close(m->login_pipe[1]);
	if (m->spare_fd != -1)
		close(m->spare_fd);
}

/* Fork a player for slot i of the player table; return its pid or -1. */
static pid_t
spawn_player(void *arg, int i)
{
	struct master	*m = arg;
	pid_t		 pid;

	if ((pid = fork()) == -1) {
		log_warn("fork player");
		return -1;
	}
	if (pid == 0) {
		child_signals(master_pid);
		child_close(m, 0);
		player_main(m->players, i, &m->library);
	}
	log_debug("player %d started (pid %ld)", i, (long)pid);
	return pid;
}

/* Fork the broker; it inherits the listening socket and the table. */
static void
start_broker(struct master *m)
{
	pid_t	pid;

	if ((pid = fork()) == -1) {
		log_warn("fork broker");
		return;
	}
	if (pid == 0) {
		child_signals(master_pid);
		child_close(m, KEEP_BROKER_SOCKET);
		broker_main(m->cfg, &m->presence, m->players,
		    m->broker_listen_fd);
	}
	m->broker_pid = pid;
	log_info("broker started (pid %ld)", (long)pid);
}

/* Connect the master's own link to the broker (for leave notices). */
static void
connect_broker(struct master *m)
{
	uint8_t	*p;
	size_t	 len;

	if (m->broker_link != -1)
		return;
	if ((m->broker_link = ipc_connect(m->cfg->broker_path)) == -1)
		return;
	p = ipc_packet(IPC_REGISTER, -1, 0, NULL, 0, &len);
	if (send(m->broker_link, p, len, MSG_NOSIGNAL) != (ssize_t)len) {
		close(m->broker_link);
		m->broker_link = -1;
	}
	free(p);
}

/* Tell everyone that name left, for a session that could not say so. */
static void
announce_leave(struct master *m, const char *name, const char *reason)
{
	struct buf	 b;
	uint8_t		*p;
	size_t		 len;

	connect_broker(m);
	buf_init(&b, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	if (msg_encode_free(msg_leave(name, reason), &b) == 0) {
		p = ipc_packet(IPC_BROADCAST, -1, 0, buf_ptr(&b), buf_len(&b),
		    &len);
		switch (ipc_send_now(m->broker_link, &m->to_broker, p, len)) {
		case -1:
			close(m->broker_link);
			m->broker_link = -1;
			break;
		case -2:
			log_warnx("could not announce that %s left", name);
			break;
		}
	}
	buf_free(&b);
}

/* Return the place where pid's search starts in a set of cap places. */
static size_t
pidset_home(pid_t pid, size_t cap)
{
	return (size_t)((uint32_t)pid * 2654435761u) & (cap - 1);
}

/* Add pid to the set, which grows so as to stay at most half full. */
static void
pidset_add(struct pidset *s, pid_t pid)
{
	struct pidset	bigger;
	size_t		i;

	if (2 * (s->count + 1) > s->cap) {
		bigger.cap = s->cap ? 2 * s->cap : 256;
		bigger.count = 0;
		bigger.pids = xcalloc(bigger.cap, sizeof *bigger.pids);
		for (i = 0; i < s->cap; i++)
			if (s->pids[i] != 0)
				pidset_add(&bigger, s->pids[i]);
		free(s->pids);
		*s = bigger;
	}
	for (i = pidset_home(pid, s->cap); s->pids[i] != 0;
	    i = (i + 1) & (s->cap - 1))
		;
	s->pids[i] = pid;
	s->count++;
}

/* Remove pid from the set; return 1 if it was there. */
static int
pidset_remove(struct pidset *s, pid_t pid)
{
	size_t	i, j, mask = s->cap - 1;

	if (s->cap == 0)
		return 0;
	for (i = pidset_home(pid, s->cap); s->pids[i] != pid;
	    i = (i + 1) & mask)
		if (s->pids[i] == 0)
			return 0;
	/* Pull later members of the run back over the hole, each one that
	 * would otherwise no longer be found from its home place. */
	for (j = (i + 1) & mask; s->pids[j] != 0; j = (j + 1) & mask) {
		if (((j - pidset_home(s->pids[j], s->cap)) & mask) >=
		    ((j - i) & mask)) {
			s->pids[i] = s->pids[j];
			i = j;
		}
	}
	s->pids[i] = 0;
	s->count--;
	return 1;
}

/*
 * Read the pids of sessions that now hold a slot in the presence table:
 * their handshake is over. Each pid was written at once (fewer bytes than
 * PIPE_BUF), so reads return whole pids.
 */
static void
read_logins(struct master *m)
{
	pid_t	pids[256];
	ssize_t	n;

	for (;;) {
		n = read(m->login_pipe[0], pids, sizeof pids);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (size_t i = 0; i < (size_t)n / sizeof *pids; i++)
			startups_done(&m->startups, pids[i]);
	}
}

/*
 * Handle n children that died with status: a process that died holding
 * the table's lock is repaired first, so that freeing the others' slots
 * cannot wait on it.
 */
static void
reap_batch(struct master *m, pid_t *dead, int *status, int n)
{
	struct presence_slot	gone;
	pid_t			pid, holder;

	holder = m->presence.hdr->holder;
	for (int i = 0; i < n; i++) {
		if (dead[i] == holder && i != 0) {
			pid_t t = dead[0];
			int s = status[0];

			dead[0] = dead[i];
			status[0] = status[i];
			dead[i] = t;
			status[i] = s;
			break;
		}
	}
	for (int i = 0; i < n; i++) {
		pid = dead[i];
		if (pid == m->broker_pid) {
			log_warnx("broker (pid %ld) died; restarting",
			    (long)pid);
			/* In a cluster it takes the tables' locks: one it
			 * died holding is released, as for a session. */
			presence_reap(&m->presence, pid, NULL);
			if (m->players != NULL)
				player_master_reap(m->players, pid, status[i]);
			m->broker_pid = -1;
			if (m->broker_link != -1) {
				close(m->broker_link);
				m->broker_link = -1;
			}
			if (!got_term)
				start_broker(m);
			continue;
		}
		if (m->players != NULL &&
		    player_master_reap(m->players, pid, status[i]))
			continue;
		if (pidset_remove(&m->sessions, pid))
			startups_done(&m->startups, pid);
		if (m->players != NULL)
			player_master_forget_viewer(m->players, pid);
		if (pid == holder)
			log_warnx("session %ld died holding the presence lock; "
			    "table repaired", (long)pid);
		if (presence_reap(&m->presence, pid, &gone) > 0) {
			log_warnx("session %ld (%s) died %s %d; slot freed",
			    (long)pid, gone.name,
			    WIFSIGNALED(status[i]) ? "by signal" : "with status",
			    WIFSIGNALED(status[i]) ? WTERMSIG(status[i]) :
			    WEXITSTATUS(status[i]));
			if (gone.state == SLOT_ACTIVE && !got_term)
				announce_leave(m, gone.name, "lost");
		}
	}
}

/* Reap every dead child, in batches, until none is left to wait for. */
static void
reap(struct master *m)
{
	pid_t	dead[256];
	int	status[256], n, st;
	pid_t	pid;

	do {
		n = 0;
		while (n < 256 && (pid = waitpid(-1, &st, WNOHANG)) > 0) {
			dead[n] = pid;
			status[n++] = st;
		}
		/* What the dead wrote to the login pipe is read before their
		 * pids are forgotten, so before a new session reuses one. */
		read_logins(m);
		reap_batch(m, dead, status, n);
	} while (n == 256);
}

/* Write a small error to a fresh connection we cannot serve, and close. */
static void
refuse(int fd, enum proto_error code, const char *text)
{
	struct buf	b;

	buf_init(&b, 1024);
	/* The socket is non-blocking: what does not fit is not waited for. */
	if (msg_encode_free(msg_error(code, text), &b) == 0 &&
	    write(fd, buf_ptr(&b), buf_len(&b)) == -1) {
		/* Nothing more to do for a client that is already gone. */
	}
	buf_free(&b);
	shutdown(fd, SHUT_WR);
	close(fd);
}

/*
 * accept() ran out of descriptors: refuse one waiting connection through
 * the spare descriptor, and pause accepting instead of spinning on a
 * listening socket that stays readable. Logs once per shortage.
 */
static void
out_of_fds(struct master *m)
{
	int	fd;

	if (!m->out_of_fds)
		log_warn("accept: out of descriptors; pausing new connections");
	m->out_of_fds = 1;
	m->accept_paused_until = util_now_ms() + ACCEPT_PAUSE_MS;
	if (m->spare_fd == -1)
		return;
	close(m->spare_fd);
	fd = accept4(m->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd != -1)
		refuse(fd, PROTO_E_UNAVAILABLE, "the server is out of file "
		    "descriptors; try again");
	m->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Fork a session for connection fd from ss; return its pid, or -1. */
static pid_t
start_session(struct master *m, int fd, const struct sockaddr_storage *ss)
{
	struct session_env	 env;
	char			 host[INET6_ADDRSTRLEN];
	int			 one = 1, port;
	pid_t			 pid;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	memset(&env, 0, sizeof env);
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
		port = ntohs(s4->sin_port);
	}
	snprintf(env.peer, sizeof env.peer, "%s:%d", host, port);
	/* Sessions inherit a fresh scan (only a stat if unchanged). */
	library_scan(&m->library);
	if ((pid = fork()) == -1) {
		log_warn("fork session");
		return -1;
	}
	if (pid == 0) {
		child_signals(master_pid);
		child_close(m, KEEP_LOGIN_PIPE);
		env.cfg = m->cfg;
		env.presence = &m->presence;
		env.library = &m->library;
		env.players = m->players;
		env.client_fd = fd;
		env.login_fd = m->login_pipe[1];
		session_main(&env);
	}
	log_debug("session %ld for %s", (long)pid, env.peer);
	return pid;
}

/* Accept pending connections (a batch), forking a session for each. */
static void
accept_clients(struct master *m)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	const char		*why;
	int64_t			 now;
	int			 fd;
	pid_t			 pid;

	/* A session that has just logged in is not to be taken for a
	 * stalled handshake. */
	read_logins(m);
	for (int k = 0; k < ACCEPT_BATCH; k++) {
		sl = sizeof ss;
		fd = accept4(m->listen_fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE)
				out_of_fds(m);
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("accept");
			return;
		}
		m->out_of_fds = 0;
		now = util_now_ms();
		if ((why = startups_admit(&m->startups, &ss, now)) != NULL) {
			refuse(fd, PROTO_E_UNAVAILABLE, why);
			continue;
		}
		if ((pid = start_session(m, fd, &ss)) == -1) {
			refuse(fd, PROTO_E_INTERNAL, "cannot start a session");
			continue;
		}
		close(fd);
		pidset_add(&m->sessions, pid);
		startups_add(&m->startups, pid, &ss, now);
	}
}

/* Open the TCP listening socket; fatal on failure. */
int
server_listen(const struct server_config *cfg)
{
	struct sockaddr_in6	s6;
	struct sockaddr_in	s4;
	struct sockaddr		*sa;
	socklen_t		 sl;
	int			 fd, one = 1, family;

	memset(&s4, 0, sizeof s4);
	memset(&s6, 0, sizeof s6);
	if (inet_pton(AF_INET, cfg->address, &s4.sin_addr) == 1) {
		family = AF_INET;
		s4.sin_family = AF_INET;
		s4.sin_port = htons((uint16_t)cfg->port);
		sa = (struct sockaddr *)&s4;
		sl = sizeof s4;
	} else if (inet_pton(AF_INET6, cfg->address, &s6.sin6_addr) == 1) {
		family = AF_INET6;
		s6.sin6_family = AF_INET6;
		s6.sin6_port = htons((uint16_t)cfg->port);
		sa = (struct sockaddr *)&s6;
		sl = sizeof s6;
	} else
		fatalx("%s: not an IPv4 or IPv6 address", cfg->address);
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		fatal("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, sa, sl) != 0)
		fatal("cannot listen on %s port %d", cfg->address, cfg->port);
	/* A deep backlog (the kernel caps it at net.core.somaxconn): in a
	 * burst of connections the ones we refuse at once would otherwise
	 * crowd out users, whose dropped SYNs are sent again only seconds
	 * later. */
	if (listen(fd, LISTEN_BACKLOG) != 0)
		fatal("listen");
	return fd;
}

/* Make the private runtime directory and the broker socket path in it. */
static void
make_runtime_dir(struct server_config *cfg)
{
	const char	*base = getenv("XDG_RUNTIME_DIR");

	if (base == NULL || base[0] != '/' || access(base, W_OK) != 0)
		base = getenv("TMPDIR");
	if (base == NULL || base[0] != '/')
		base = "/tmp";
	snprintf(cfg->runtime_dir, sizeof cfg->runtime_dir,
	    "%s/tvchatd.XXXXXX", base);
	if (mkdtemp(cfg->runtime_dir) == NULL)
		fatal("mkdtemp %s", cfg->runtime_dir);
	snprintf(cfg->broker_path, sizeof cfg->broker_path, "%s/broker",
	    cfg->runtime_dir);
}

/* Send sig to every session. */
static void
signal_sessions(struct master *m, int sig)
{
	for (size_t i = 0; i < m->sessions.cap; i++)
		if (m->sessions.pids[i] != 0)
			kill(m->sessions.pids[i], sig);
}

/* Tell every session to say goodbye, wait for them, stop the broker. */
static void
shut_down(struct master *m)
{
	int64_t		until;

	log_info("shutting down: %zu sessions", m->sessions.count);
	close(m->listen_fd);
	signal_sessions(m, SIGTERM);
	until = util_now_ms() + SHUTDOWN_GRACE_MS;
	while (m->sessions.count > 0) {
		struct pollfd	pfd = { proc_signal_fd(), POLLIN, 0 };
		int64_t		now;

		now = util_now_ms();
		if (now >= until)
			break;
		if (poll(&pfd, 1, (int)(until - now)) > 0)
			proc_take_signals();
		reap(m);
	}
	signal_sessions(m, SIGKILL);
	if (m->players != NULL)
		player_master_stop(m->players);
	if (m->broker_pid > 0)
		kill(m->broker_pid, SIGTERM);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	unlink(m->cfg->broker_path);
	rmdir(m->cfg->runtime_dir);
	presence_destroy(&m->presence);
	player_table_destroy(m->players);
	if (m->broker_link != -1)
		close(m->broker_link);
	close(m->broker_listen_fd);
	pktq_free(&m->to_broker);
	close(m->login_pipe[0]);
	close(m->login_pipe[1]);
	if (m->spare_fd != -1)
		close(m->spare_fd);
	free(m->sessions.pids);
	startups_free(&m->startups);
	library_free(&m->library);
	if (m->cfg->pid_file != NULL)
		unlink(m->cfg->pid_file);
	log_info("stopped");
}

/* Slots for users of other nodes: a few for each of ours, as fits. */
static unsigned int
remote_capacity(const struct server_config *cfg)
{
	unsigned int	n = cfg->max_clients * CLUSTER_REMOTE_FACTOR;

	if (cfg->redis_host == NULL)
		return 0;
	return n > PRESENCE_MAX_SLOTS - cfg->max_clients ?
	    PRESENCE_MAX_SLOTS - cfg->max_clients : n;
}

/* Lower *timeout (ms, -1 for none) to at most ms from now. */
static void
sooner(int64_t *timeout, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	if (*timeout == -1 || ms < *timeout)
		*timeout = ms;
}

/* Return how long the master's loop may sleep: ms, or -1 for no limit. */
static int
loop_timeout(const struct master *m, int64_t now)
{
	int64_t	timeout = -1, log_at;

	if (m->to_broker.count > 0 && m->broker_link == -1)
		sooner(&timeout, 100);	/* the broker restarts */
	if (m->accept_paused_until > now)
		sooner(&timeout, m->accept_paused_until - now);
	if ((log_at = startups_log_at(&m->startups)) != -1)
		sooner(&timeout, log_at - now);
	return (int)timeout;
}

/*
 * Run the master on listening socket fd until SIGTERM/SIGINT; returns the
 * exit status.
 */
int
server_run(struct server_config *cfg, int listen_fd)
{
	static const struct proc_signal signals[] = {
		{ SIGCHLD, PROC_WAKE }, { SIGTERM, PROC_WAKE },
		{ SIGINT, PROC_WAKE }, { SIGUSR1, PROC_WAKE },
		{ SIGPIPE, PROC_IGNORE }, { SIGHUP, PROC_IGNORE },
	};
	struct master		 m;
	struct pollfd		 pfd[4];
	uint64_t		 got;
	int64_t			 now;

	memset(&m, 0, sizeof m);
	master_pid = getpid();
	m.cfg = cfg;
	m.broker_link = -1;
	m.broker_pid = -1;
	pktq_init(&m.to_broker, 4096);
	proc_signals(signals, sizeof signals / sizeof signals[0]);

	m.listen_fd = listen_fd;
	if (pipe2(m.login_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		fatal("pipe");
	m.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	startups_init(&m.startups, cfg);
	if (cfg->redis_host != NULL) {
		/* Names claimed in Redis carry it: a restarted broker finds
		 * them its own; a restarted node does not. */
		uint8_t	rnd[8];

		crypto_random(rnd, sizeof rnd);
		for (size_t i = 0; i < sizeof rnd; i++)
			snprintf(cfg->cluster_epoch + 2 * i, 3, "%02x", rnd[i]);
	}
	if (presence_create(&m.presence, cfg->max_clients,
	    remote_capacity(cfg)) != 0)
		fatal("presence table");
	presence_set_private_max(&m.presence, cfg->max_private);
	if (cfg->share_players && player_table_create(&m.players) != 0) {
		log_warn("shared players unavailable (shared memory)");
		m.players = NULL;
	}
	make_runtime_dir(cfg);
	library_init(&m.library, cfg->videos_dir);
	if (library_scan(&m.library) < 0)
		log_warnx("videos directory %s cannot be read; it will be "
		    "scanned again when clients ask", cfg->videos_dir);
	else
		log_info("%zu videos in %s", m.library.ntitles,
		    cfg->videos_dir);
	if ((m.broker_listen_fd = ipc_listen(cfg->broker_path)) == -1)
		fatal("broker socket %s", cfg->broker_path);
	start_broker(&m);
	log_info("listening on %s port %d (max %u clients, %u:%u:%u startups, "
	    "%u per source)", cfg->address, cfg->port, cfg->max_clients,
	    cfg->startups_start, cfg->startups_rate, cfg->startups_full,
	    cfg->per_source_startups);

	while (!got_term) {
		now = util_now_ms();
		/* Leave notices wait here while the broker restarts. */
		if (m.to_broker.count > 0 && m.broker_link == -1)
			connect_broker(&m);
		pfd[0] = (struct pollfd){ now < m.accept_paused_until ? -1 :
		    m.listen_fd, POLLIN, 0 };
		pfd[1] = (struct pollfd){ proc_signal_fd(), POLLIN, 0 };
		pfd[2] = (struct pollfd){ m.broker_link,
		    m.to_broker.count > 0 ? POLLOUT : 0, 0 };
		pfd[3] = (struct pollfd){ m.login_pipe[0], POLLIN, 0 };
		if (poll(pfd, 4, loop_timeout(&m, now)) == -1 && errno != EINTR)
			fatal("poll");
		got = proc_take_signals();
		if (got & (PROC_SIG(SIGTERM) | PROC_SIG(SIGINT)))
			got_term = 1;
		if (got & PROC_SIG(SIGCHLD))
			reap(&m);
		if (got & PROC_SIG(SIGUSR1)) {
			if (m.players != NULL)
				player_master_start(m.players, spawn_player,
				    &m);
		}
		if (pfd[3].revents & POLLIN)
			read_logins(&m);
		if (m.broker_link != -1 && (pfd[2].revents & POLLOUT) &&
		    pktq_flush(&m.to_broker, m.broker_link) != 0) {
			close(m.broker_link);
			m.broker_link = -1;
		}
		if (m.broker_link != -1 && (pfd[2].revents & (POLLHUP |
		    POLLERR))) {
			close(m.broker_link);
			m.broker_link = -1;
		}
		if (!got_term && (pfd[0].revents & POLLIN))
			accept_clients(&m);
		startups_log(&m.startups, util_now_ms());
	}
	shut_down(&m);
	return 0;
}
