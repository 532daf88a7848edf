/*
 * The tvchatd master: creates the presence table and the broker's socket,
 * forks the broker, accepts connections and forks one session for each.
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
#include "server.h"
#include "util.h"
#include "xmalloc.h"

#define SHUTDOWN_GRACE_MS	3000
#define SESSION_SLACK		16	/* handshakes beyond max_clients */

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
	pid_t			*sessions;
	size_t			 nsessions;
	size_t			 session_cap;
};

static int			 signal_pipe[2] = { -1, -1 };
static volatile sig_atomic_t	 got_chld, got_term, got_player;
static pid_t			 master_pid;

/* Signal handler: set a flag and wake the loop through the self-pipe. */
static void
on_signal(int sig)
{
	int	saved = errno;
	char	c = 0;

	if (sig == SIGCHLD)
		got_chld = 1;
	else if (sig == SIGUSR1)
		got_player = 1;
	else
		got_term = 1;
	if (write(signal_pipe[1], &c, 1) == -1) {
		/* Full pipe: a wake-up is pending already. */
	}
	errno = saved;
}

/*
 * Restore default signal handling in a freshly forked child, and ask for
 * SIGTERM if the master dies, so no child outlives it.
 */
static void
child_signals(pid_t master)
{
	struct sigaction	sa;

	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
		log_warn("prctl");
	if (getppid() != master)
		_exit(0);	/* the master died before prctl() */

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	close(signal_pipe[0]);
	close(signal_pipe[1]);
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
		close(m->listen_fd);
		close(m->broker_listen_fd);
		if (m->broker_link != -1)
			close(m->broker_link);
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
		close(m->listen_fd);
		if (m->broker_link != -1)
			close(m->broker_link);
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

/* Forget a session pid; return 1 if it was one of ours. */
static int
forget_session(struct master *m, pid_t pid)
{
	for (size_t i = 0; i < m->nsessions; i++) {
		if (m->sessions[i] == pid) {
			m->sessions[i] = m->sessions[--m->nsessions];
			return 1;
		}
	}
	return 0;
}

/*
 * Reap every dead child. A process that died holding the table's lock is
 * repaired first, so that freeing the others' slots cannot wait on it.
 */
static void
reap(struct master *m)
{
	pid_t			dead[256];
	int			status[256], n = 0;
	struct presence_slot	gone;
	pid_t			pid, holder;
	int			st;

	while (n < 256 && (pid = waitpid(-1, &st, WNOHANG)) > 0) {
		dead[n] = pid;
		status[n++] = st;
	}
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
		forget_session(m, pid);
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

/* Write a small error to a fresh connection we cannot serve, and close. */
static void
refuse(int fd, enum proto_error code, const char *text)
{
	struct buf	b;

	buf_init(&b, 1024);
	if (msg_encode_free(msg_error(code, text), &b) == 0 &&
	    write(fd, buf_ptr(&b), buf_len(&b)) == -1) {
		/* Nothing more to do for a client that is already gone. */
	}
	buf_free(&b);
	shutdown(fd, SHUT_WR);
	close(fd);
}

/* Accept pending connections, forking a session for each. */
static void
accept_clients(struct master *m)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	struct session_env	 env;
	char			 host[INET6_ADDRSTRLEN];
	int			 fd, one = 1, port;
	pid_t			 pid;

	for (;;) {
		sl = sizeof ss;
		fd = accept4(m->listen_fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("accept");
			return;
		}
		if (m->nsessions >= m->cfg->max_clients + SESSION_SLACK) {
			refuse(fd, PROTO_E_SERVER_FULL, "the server is full");
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		memset(&env, 0, sizeof env);
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
			port = ntohs(s6->sin6_port);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
			port = ntohs(s4->sin_port);
		}
		snprintf(env.peer, sizeof env.peer, "%s:%d", host, port);
		/* Sessions inherit a fresh scan (only a stat if unchanged). */
		library_scan(&m->library);
		if ((pid = fork()) == -1) {
			log_warn("fork session");
			refuse(fd, PROTO_E_INTERNAL, "cannot start a session");
			continue;
		}
		if (pid == 0) {
			child_signals(master_pid);
			close(m->listen_fd);
			close(m->broker_listen_fd);
			if (m->broker_link != -1)
				close(m->broker_link);
			env.cfg = m->cfg;
			env.presence = &m->presence;
			env.library = &m->library;
			env.players = m->players;
			env.client_fd = fd;
			session_main(&env);
		}
		close(fd);
		if (m->nsessions == m->session_cap) {
			m->session_cap = m->session_cap ? m->session_cap * 2 : 64;
			m->sessions = xreallocarray(m->sessions, m->session_cap,
			    sizeof *m->sessions);
		}
		m->sessions[m->nsessions++] = pid;
		log_debug("session %ld for %s", (long)pid, env.peer);
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
	if (listen(fd, 512) != 0)
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

/* Tell every session to say goodbye, wait for them, stop the broker. */
static void
shut_down(struct master *m)
{
	int64_t		until;

	log_info("shutting down: %zu sessions", m->nsessions);
	close(m->listen_fd);
	for (size_t i = 0; i < m->nsessions; i++)
		kill(m->sessions[i], SIGTERM);
	until = util_now_ms() + SHUTDOWN_GRACE_MS;
	while (m->nsessions > 0) {
		struct pollfd	pfd = { signal_pipe[0], POLLIN, 0 };
		char		sink[64];
		int64_t		now;

		now = util_now_ms();
		if (now >= until)
			break;
		if (poll(&pfd, 1, (int)(until - now)) > 0 &&
		    read(signal_pipe[0], sink, sizeof sink) == -1 &&
		    errno != EAGAIN)
			break;
		reap(m);
	}
	for (size_t i = 0; i < m->nsessions; i++)
		kill(m->sessions[i], SIGKILL);
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
	free(m->sessions);
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

/*
 * Run the master on listening socket fd until SIGTERM/SIGINT; returns the
 * exit status.
 */
int
server_run(struct server_config *cfg, int listen_fd)
{
	struct master		 m;
	struct sigaction	 sa;
	struct pollfd		 pfd[3];
	char			 sink[64];

	memset(&m, 0, sizeof m);
	master_pid = getpid();
	m.cfg = cfg;
	m.broker_link = -1;
	m.broker_pid = -1;
	pktq_init(&m.to_broker, 4096);
	if (pipe2(signal_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		fatal("pipe");
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	m.listen_fd = listen_fd;
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
	log_info("listening on %s port %d (max %u clients)", cfg->address,
	    cfg->port, cfg->max_clients);

	while (!got_term) {
		pfd[0] = (struct pollfd){ m.listen_fd, POLLIN, 0 };
		pfd[1] = (struct pollfd){ signal_pipe[0], POLLIN, 0 };
		/* Leave notices wait here while the broker restarts. */
		if (m.to_broker.count > 0 && m.broker_link == -1)
			connect_broker(&m);
		pfd[2] = (struct pollfd){ m.broker_link, 0, 0 };
		if (m.to_broker.count > 0)
			pfd[2].events = POLLOUT;
		if (poll(pfd, 3, m.to_broker.count > 0 && m.broker_link == -1 ?
		    100 : -1) == -1 && errno != EINTR)
			fatal("poll");
		if (pfd[1].revents & POLLIN)
			while (read(signal_pipe[0], sink, sizeof sink) > 0)
				;
		if (got_chld) {
			got_chld = 0;
			reap(&m);
		}
		if (got_player) {
			got_player = 0;
			if (m.players != NULL)
				player_master_start(m.players, spawn_player,
				    &m);
		}
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
	}
	shut_down(&m);
	return 0;
}
