/* tvchatd: command line, daemon set-up, then the master loop (server.c). */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "log.h"
#include "server.h"
#include "utf8.h"
#include "util.h"

/* Exit codes, documented in tvchatd(8). */
#define EXIT_USAGE	64

/* Descriptors the broker needs besides one link per user: its sockets,
 * the master's link, Redis, logging, links still closing. */
#define FD_MARGIN	64

/* Print the summary of the options to f. */
static void
usage(FILE *f)
{
	fprintf(f,
"usage: tvchatd [-dfhV] [-a address] [-p port] [-v videos] [-m max-clients]\n"
"               [-P pid-file] [--motd text] [--rate n] [--burst n]\n"
"               [--idle-timeout seconds] [--handshake-timeout seconds]\n"
"               [--max-startups start:rate:full] [--per-source-startups n]\n"
"               [--max-private n] [--no-shared-players]\n"
"               [--redis host:port [--node name] [--cluster-ttl seconds]\n"
"               [--redis-password-file file]]\n"
"  -a, --address ADDR     listen address (default 127.0.0.1)\n"
"  -p, --port PORT        listen port (default %d)\n"
"  -v, --videos DIR       video library (default ./videos)\n"
"  -m, --max-clients N    most users at once (default 256)\n"
"  -f, --foreground       stay in the foreground, log to stderr\n"
"  -P, --pid-file FILE    write the daemon's pid to FILE\n"
"  -d, --debug            log debug messages\n"
"      --motd TEXT        message of the day sent to every user\n"
"      --rate N           chat messages per second per user (default 20)\n"
"      --burst N          chat burst allowance (default 40)\n"
"      --idle-timeout S   drop a silent client after S seconds (default 90)\n"
"      --handshake-timeout S  drop a client that has not logged in after S\n"
"                         seconds (default 10)\n"
"      --max-startups START:RATE:FULL  with START connections logging in,\n"
"                         refuse new ones RATE%% of the time, rising to all\n"
"                         at FULL (default 10:30:100; N means N:100:N)\n"
"      --per-source-startups N  at most N connections logging in from one\n"
"                         address or IPv6 /64 (default 5; 0: no limit)\n"
"      --max-private N    at most N streams decoded for one viewer alone\n"
"                         (default: the number of CPUs online; 0: none)\n"
"      --no-shared-players  decode video for every viewer separately\n"
"      --redis HOST:PORT  join the cluster that shares this Redis\n"
"      --node NAME        this node's name in the cluster (default: the\n"
"                         host name and port)\n"
"      --cluster-ttl S    a silent node's users are lost after S seconds\n"
"                         (default 5)\n"
"      --redis-password-file FILE  authenticate to Redis with the password\n"
"                         on FILE's first line\n"
"  -V, --version          print the version and exit\n"
"  -h, --help             print this help and exit\n", DEFAULT_PORT);
}

/* Parse a number in [min, max] or exit with a usage error. */
static long
number(const char *opt, const char *s, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "tvchatd: %s: %s is not a number from %ld to "
		    "%ld\n", opt, s, min, max);
		exit(EXIT_USAGE);
	}
	return v;
}

/*
 * The default --max-private: one private stream per online CPU. One of
 * a 1440p video at a large size takes over half a core (three took 1.84),
 * so that many leave room for the shared players and the chat.
 */
static unsigned int
default_max_private(void)
{
	long	n = sysconf(_SC_NPROCESSORS_ONLN);

	return n >= 1 && n <= 65536 ? (unsigned int)n : 1;
}

/* --max-startups START:RATE:FULL, or N for N:100:N. */
static void
parse_max_startups(struct server_config *cfg, char *arg)
{
	char	*rate, *full;

	if ((rate = strchr(arg, ':')) == NULL) {
		cfg->startups_start = (unsigned int)number("--max-startups",
		    arg, 1, 65536);
		cfg->startups_rate = 100;
		cfg->startups_full = cfg->startups_start;
		return;
	}
	*rate++ = '\0';
	if ((full = strchr(rate, ':')) == NULL) {
		fprintf(stderr, "tvchatd: --max-startups: START:RATE:FULL, "
		    "e.g. 10:30:100, or one number\n");
		exit(EXIT_USAGE);
	}
	*full++ = '\0';
	cfg->startups_start = (unsigned int)number("--max-startups start", arg,
	    1, 65536);
	cfg->startups_rate = (unsigned int)number("--max-startups rate", rate,
	    1, 100);
	cfg->startups_full = (unsigned int)number("--max-startups full", full,
	    1, 65536);
	if (cfg->startups_start > cfg->startups_full) {
		fprintf(stderr, "tvchatd: --max-startups: start (%u) is more "
		    "than full (%u); refusals begin at start and reach all "
		    "connections at full\n", cfg->startups_start,
		    cfg->startups_full);
		exit(EXIT_USAGE);
	}
}

/*
 * The broker holds a link to the session of every user: make room for
 * max-clients of them under the limit on open files, raising the soft
 * limit as far as the hard one allows; fatal if that is not enough.
 */
static void
check_fd_limit(const struct server_config *cfg)
{
	struct rlimit		rl;
	unsigned long long	need = (unsigned long long)cfg->max_clients +
	    FD_MARGIN, was;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		fatal("getrlimit");
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		if (rl.rlim_max > FD_MARGIN)
			fatalx("-m %u needs %llu open files (one per user and "
			    "%d more) but the hard limit is %llu: raise it "
			    "(ulimit -n) or lower -m to %llu", cfg->max_clients,
			    need, FD_MARGIN, (unsigned long long)rl.rlim_max,
			    (unsigned long long)rl.rlim_max - FD_MARGIN);
		fatalx("-m %u needs %llu open files (one per user and %d more) "
		    "but the hard limit is %llu: raise it (ulimit -n)",
		    cfg->max_clients, need, FD_MARGIN,
		    (unsigned long long)rl.rlim_max);
	}
	was = rl.rlim_cur;
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		fatal("setrlimit");
	log_info("raised the limit on open files from %llu to %llu for -m %u",
	    was, need, cfg->max_clients);
}

/* Detach from the terminal: fork, new session, stdio to /dev/null. */
static void
daemonize(void)
{
	pid_t	pid;
	int	fd;

	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (setsid() == -1)
		fatal("setsid");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

/* Write our pid to path; fatal if it cannot be written. */
static void
write_pid_file(const char *path)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL)
		fatal("pid file %s", path);
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) != 0)
		fatal("pid file %s", path);
}

/* --redis HOST:PORT (a cluster needs cluster mode built in). */
static void
parse_redis(struct server_config *cfg, char *arg)
{
	char	*colon = strrchr(arg, ':');

#ifndef HAVE_HIREDIS
	fprintf(stderr, "tvchatd: --redis: this tvchatd was built without "
	    "cluster mode (configure found no hiredis: install "
	    "libhiredis-dev and build again)\n");
	exit(EXIT_USAGE);
#endif
	if (colon == NULL || colon == arg) {
		fprintf(stderr, "tvchatd: --redis: HOST:PORT, e.g. "
		    "127.0.0.1:6379\n");
		exit(EXIT_USAGE);
	}
	*colon = '\0';
	cfg->redis_host = arg;
	cfg->redis_port = (int)number("--redis port", colon + 1, 1, 65535);
}

/*
 * --redis-password-file: the password is the file's first line (kept off
 * the command line, where ps would show it).
 */
static char *
read_password(const char *path)
{
	uint8_t	*data;
	size_t	 len;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    util_read_file(fd, 4096, &data, &len) != 0) {
		fprintf(stderr, "tvchatd: --redis-password-file: %s: %s\n",
		    path, strerror(errno));
		exit(EXIT_USAGE);
	}
	close(fd);
	data[strcspn((char *)data, "\r\n")] = '\0';
	if (data[0] == '\0') {
		fprintf(stderr, "tvchatd: --redis-password-file: %s: no "
		    "password on its first line\n", path);
		exit(EXIT_USAGE);
	}
	return (char *)data;
}

/* The default node name: the host name (its valid part) and the port. */
static void
default_node(struct server_config *cfg, const char *host)
{
	size_t	n = strspn(host, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789_-");

	if (n > NAME_MAX_LEN - 6)
		n = NAME_MAX_LEN - 6;
	if (n == 0) {
		host = "tvchatd";
		n = strlen(host);
	}
	snprintf(cfg->node, sizeof cfg->node, "%.*s-%d", (int)n, host,
	    cfg->port);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "address", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "videos", required_argument, NULL, 'v' },
		{ "max-clients", required_argument, NULL, 'm' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "motd", required_argument, NULL, 1 },
		{ "rate", required_argument, NULL, 2 },
		{ "burst", required_argument, NULL, 3 },
		{ "idle-timeout", required_argument, NULL, 4 },
		{ "handshake-timeout", required_argument, NULL, 5 },
		{ "no-shared-players", no_argument, NULL, 6 },
		{ "redis", required_argument, NULL, 7 },
		{ "node", required_argument, NULL, 8 },
		{ "cluster-ttl", required_argument, NULL, 9 },
		{ "redis-password-file", required_argument, NULL, 10 },
		{ "max-startups", required_argument, NULL, 11 },
		{ "per-source-startups", required_argument, NULL, 12 },
		{ "max-private", required_argument, NULL, 13 },
		{ NULL, 0, NULL, 0 }
	};
	static struct server_config cfg;
	char	hostname[HOST_NAME_MAX + 1];
	char	*videos = NULL;
	int	 ch, fd;

	cfg.address = "127.0.0.1";
	cfg.port = DEFAULT_PORT;
	cfg.videos_dir = "videos";
	cfg.max_clients = 256;
	cfg.chat_rate = 20;
	cfg.chat_burst = 40;
	cfg.handshake_timeout = 10;
	cfg.startups_start = 10;
	cfg.startups_rate = 30;
	cfg.startups_full = 100;
	cfg.per_source_startups = 5;
	cfg.idle_timeout = 90;
	cfg.out_queue_max = 8u * 1024 * 1024;
	cfg.motd = "Welcome to tvchat.";
	cfg.share_players = 1;
	cfg.max_private = default_max_private();
	cfg.cluster_ttl_ms = 5000;

	while ((ch = getopt_long(argc, argv, "a:p:v:m:fP:dVh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a':
			cfg.address = optarg;
			break;
		case 'p':
			cfg.port = (int)number("-p", optarg, 1, 65535);
			break;
		case 'v':
			cfg.videos_dir = optarg;
			break;
		case 'm':
			cfg.max_clients = (unsigned int)number("-m", optarg, 1,
			    65536);
			break;
		case 'f':
			cfg.foreground = 1;
			break;
		case 'P':
			cfg.pid_file = optarg;
			break;
		case 'd':
			cfg.debug = 1;
			break;
		case 'V':
			printf("tvchatd %s (protocol %d)\n", PACKAGE_VERSION,
			    PROTOCOL_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case 1:
			cfg.motd = optarg;
			break;
		case 2:
			cfg.chat_rate = (double)number("--rate", optarg, 1,
			    100000);
			break;
		case 3:
			cfg.chat_burst = (double)number("--burst", optarg, 1,
			    1000000);
			break;
		case 4:
			cfg.idle_timeout = (int)number("--idle-timeout", optarg,
			    5, 86400);
			break;
		case 5:
			cfg.handshake_timeout = (int)number(
			    "--handshake-timeout", optarg, 1, 600);
			break;
		case 6:
			cfg.share_players = 0;
			break;
		case 7:
			parse_redis(&cfg, optarg);
			break;
		case 8:
			if (!proto_name_valid(optarg)) {
				fprintf(stderr, "tvchatd: --node: 1 to %d "
				    "letters, digits, '_', '.' or '-'\n",
				    NAME_MAX_LEN);
				return EXIT_USAGE;
			}
			snprintf(cfg.node, sizeof cfg.node, "%s", optarg);
			break;
		case 9:
			cfg.cluster_ttl_ms = 1000 * (int)number("--cluster-ttl",
			    optarg, 1, 3600);
			break;
		case 10:
			cfg.redis_password = read_password(optarg);
			break;
		case 11:
			parse_max_startups(&cfg, optarg);
			break;
		case 12:
			cfg.per_source_startups = (unsigned int)number(
			    "--per-source-startups", optarg, 0, 65536);
			break;
		case 13:
			cfg.max_private = (unsigned int)number("--max-private",
			    optarg, 0, 65536);
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strlen(cfg.motd) > 1024 ||
	    !utf8_valid((const uint8_t *)cfg.motd, strlen(cfg.motd))) {
		fprintf(stderr, "tvchatd: --motd: at most 1024 bytes of UTF-8\n");
		return EXIT_USAGE;
	}
	if (cfg.videos_dir[0] != '/' &&
	    (videos = realpath(cfg.videos_dir, NULL)) != NULL)
		cfg.videos_dir = videos;
	if (gethostname(hostname, sizeof hostname) != 0)
		snprintf(hostname, sizeof hostname, "tvchatd");
	hostname[sizeof hostname - 1] = '\0';
	cfg.server_name = hostname;
	if (cfg.redis_host != NULL && cfg.node[0] == '\0')
		default_node(&cfg, hostname);

	crypto_init();
	log_open("tvchatd", LOG_TO_STDERR, cfg.debug);
	check_fd_limit(&cfg);
	/* Bind before detaching, so a busy port is reported on stderr. */
	fd = server_listen(&cfg);
	if (!cfg.foreground) {
		log_open("tvchatd", LOG_TO_SYSLOG, cfg.debug);
		daemonize();
	}
	if (cfg.pid_file != NULL)
		write_pid_file(cfg.pid_file);
	ch = server_run(&cfg, fd);
	free(videos);
	return ch;
}
