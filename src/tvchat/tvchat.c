/* tvchat: command line, identity, connection, then the chosen front end. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "client.h"
#include "crypto.h"
#include "keystore.h"
#include "knownkeys.h"
#include "log.h"
#include "tui.h"

/* Exit codes, documented in tvchat(1). */
#define EXIT_USAGE	64
#define EXIT_CONNECT	69	/* could not connect */
#define EXIT_IDENTITY	78	/* identity key unusable */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: tvchat [-bhVw] [-p port] [-n name] [-i identity] [-s state]\n"
"              [-r renderer] [-m max-output] [--handshake-timeout seconds]\n"
"              [host]\n"
"  -p, --port PORT       server port (default %d)\n"
"  -n, --name NAME       your name (default: $USER)\n"
"  -i, --identity FILE   identity key (default $XDG_CONFIG_HOME/tvchat/identity)\n"
"  -s, --state FILE      end-to-end keys and sessions (default\n"
"                        $XDG_DATA_HOME/tvchat/state/HOST:PORT/NAME)\n"
"  -b, --batch           JSON lines on stdin and stdout instead of the screen\n"
"  -w, --window          show videos in a window rather than in the terminal\n"
"  -r, --render R        draw videos as ascii (libcaca) or blocks (colour)\n"
"  -m, --max-output KB   skip video frames above this terminal output rate\n"
"      --handshake-timeout S  give up on a server that takes longer to let\n"
"                        you in (default 15 seconds)\n"
"  -V, --version         print the version and exit\n"
"  -h, --help            print this help and exit\n", DEFAULT_PORT);
}

/* Load the identity at path, generating one first if there is none. */
static struct crypto_key *
load_identity(const char *path)
{
	struct crypto_key	*key;
	int			 r;

	r = crypto_identity_load(path, &key);
	if (r == CRYPTO_OK)
		return key;
	if (r == CRYPTO_E_IO && errno == ENOENT) {
		fprintf(stderr, "tvchat: generating your RSA-3072 identity key "
		    "in %s (this takes a moment)...\n", path);
		if ((r = crypto_key_generate(&key)) != 0) {
			fprintf(stderr, "tvchat: %s\n", crypto_strerror(r));
			exit(EXIT_IDENTITY);
		}
		if ((r = crypto_identity_save(key, path)) != 0) {
			fprintf(stderr, "tvchat: %s: %s: %s\n", path,
			    crypto_strerror(r), strerror(errno));
			exit(EXIT_IDENTITY);
		}
		fprintf(stderr, "tvchat: your fingerprint is %s\n",
		    crypto_key_fingerprint(key));
		return key;
	}
	fprintf(stderr, "tvchat: %s: %s%s%s\n", path, crypto_strerror(r),
	    r == CRYPTO_E_IO ? ": " : "", r == CRYPTO_E_IO ? strerror(errno) :
	    "");
	exit(EXIT_IDENTITY);
}

/* Return a default name: $USER if it is a valid name, else "user". */
static const char *
default_name(void)
{
	const char	*user = getenv("USER");

	if (user != NULL && proto_name_valid(user))
		return user;
	return "user";
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ "identity", required_argument, NULL, 'i' },
		{ "state", required_argument, NULL, 's' },
		{ "batch", no_argument, NULL, 'b' },
		{ "window", no_argument, NULL, 'w' },
		{ "render", required_argument, NULL, 'r' },
		{ "max-output", required_argument, NULL, 'm' },
		{ "handshake-timeout", required_argument, NULL, 1 },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct client		 client;
	struct tui_target	 target;
	struct crypto_key	*identity;
	struct knownkeys	*known;
	struct keystore		*ks;
	const char		*host = "127.0.0.1", *name = default_name();
	const char		*render = NULL;
	double			 max_output = 0;
	char			*idpath = NULL, *kpath, server[300], err[512];
	char			*spath = NULL;
	char			*end;
	long			 port = DEFAULT_PORT, secs;
	int			 ch, batch = 0, fd, status, want_window = 0;

	while ((ch = getopt_long(argc, argv, "p:n:i:s:r:m:bwVh", longopts, NULL))
	    != -1) {
		switch (ch) {
		case 'p':
			errno = 0;
			port = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || port < 1 ||
			    port > 65535) {
				fprintf(stderr, "tvchat: -p: bad port %s\n",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			name = optarg;
			break;
		case 'i':
			free(idpath);
			idpath = strdup(optarg);
			break;
		case 's':
			free(spath);
			spath = strdup(optarg);
			break;
		case 'b':
			batch = 1;
			break;
		case 'w':
			want_window = 1;
			break;
		case 'm':
			errno = 0;
			max_output = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || max_output < 1 ||
			    max_output > 1e6) {
				fprintf(stderr, "tvchat: --max-output: KB/s from "
				    "1 to 1000000\n");
				return EXIT_USAGE;
			}
			break;
		case 'r':
			if (strcmp(optarg, "ascii") != 0 &&
			    strcmp(optarg, "blocks") != 0) {
				fprintf(stderr, "tvchat: --render: ascii or "
				    "blocks\n");
				return EXIT_USAGE;
			}
			render = optarg;
			break;
		case 1:
			errno = 0;
			secs = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || secs < 1 ||
			    secs > 600) {
				fprintf(stderr, "tvchat: --handshake-timeout: "
				    "seconds from 1 to 600\n");
				return EXIT_USAGE;
			}
			client_set_handshake_timeout((int)secs * 1000);
			break;
		case 'V':
			printf("tvchat %s (protocol %d)\n", PACKAGE_VERSION,
			    PROTOCOL_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (optind < argc)
		host = argv[optind];
	if (!proto_name_valid(name)) {
		fprintf(stderr, "tvchat: %s: a name is 1 to 32 letters, digits, "
		    "'_', '.' or '-'\n", name);
		return EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	log_open("tvchat", LOG_TO_STDERR, 0);
	crypto_init();
	if (idpath == NULL)
		idpath = crypto_identity_path();
	identity = load_identity(idpath);
	free(idpath);

	snprintf(server, sizeof server, "%s:%ld", host, port);
	kpath = knownkeys_default_path();
	known = knownkeys_open(kpath, server);
	free(kpath);
	if (spath == NULL)
		spath = keystore_default_path(server, name);
	if (keystore_open(spath, &ks, err, sizeof err) != 0) {
		fprintf(stderr, "tvchat: %s\n", err);
		free(spath);
		knownkeys_free(known);
		crypto_key_free(identity);
		return EXIT_IDENTITY;
	}
	free(spath);
	if (batch) {
		if ((fd = client_connect(host, (int)port, 10000, err,
		    sizeof err)) == -1) {
			fprintf(stderr, "tvchat: %s\n", err);
			keystore_free(ks);
			knownkeys_free(known);
			crypto_key_free(identity);
			return EXIT_CONNECT;
		}
		client_init(&client, fd, server, identity, name, known,
		    batch_emit, NULL);
		client_use_keystore(&client, ks);
		client.on_frame = batch_frame;
		status = batch_run(&client);
		client_free(&client);
	} else {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			fprintf(stderr, "tvchat: the full-screen interface "
			    "needs a terminal; use --batch\n");
			keystore_free(ks);
			knownkeys_free(known);
			crypto_key_free(identity);
			return EXIT_USAGE;
		}
		target.host = host;
		target.port = (int)port;
		target.name = name;
		target.identity = identity;
		target.known = known;
		target.ks = ks;
		target.want_window = want_window;
		target.render = render;
		target.max_output = max_output;
		snprintf(target.server, sizeof target.server, "%s", server);
		status = tui_run(&target);
	}
	keystore_free(ks);
	knownkeys_free(known);
	crypto_key_free(identity);
	return status;
}
