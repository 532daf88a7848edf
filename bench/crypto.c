/*
 * crypto: the cost of chat encryption, protocol 1 (per-message RSA,
 * bench/seal-v1.c) beside protocol 2's sender keys (senderkey.c,
 * distribution.c), measured the same way in the same run (see
 * bench/README). For a 100-byte line: seal and open (median µs), the
 * delivered frame's bytes per recipient, and a receiver's CPU per
 * message (parse the delivered frame as the client does, decode, verify,
 * decrypt, parse the inner text); the distribution's cost for rooms of
 * 100 and 1,000 members; protocol 1 sealing for 2, 100 and 255
 * recipients.
 *
 * usage: crypto [-n reps]
 * Prints a markdown table on stdout.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "base64.h"
#include "buf.h"
#include "crypto.h"
#include "distribution.h"
#include "ecc.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "senderkey.h"
#include "xmalloc.h"

#include "benchlib.h"
#include "seal-v1.h"

/* A 100-byte line as the client seals it (inner JSON). */
#define LINE	"{\"id\":\"0123456789abcdef01\",\"text\":\"a line of chat " \
	"that is exactly long enough to make one hundred.\"}"
#define ROOM	"#lobby"

const char	*bench_name = "crypto";

static int	reps = 200;

/* Return the median of n timings (ns) in µs; sorts them. */
static double
median_us(int64_t *t, int n)
{
	qsort(t, (size_t)n, sizeof *t, compare_i64);
	return percentile(t, (uint64_t)n, 0.5) * 1e3;	/* ms to µs */
}

/* Print one row of the table. */
static void
row(const char *what, const char *v1, const char *v2, const char *note)
{
	printf("| %s | %s | %s | %s |\n", what, v1, v2, note);
}

/* Format x with the format into a static buffer (one of four). */
static const char *
fmt(const char *f, double x)
{
	static char	b[4][64];
	static int	i;

	i = (i + 1) % 4;
	snprintf(b[i], sizeof b[i], f, x);
	return b[i];
}

/* The delivered frame of sealed (a JSON value) from alice to ROOM. */
static size_t
frame_v1(json_object *sealed, const char *who, struct buf *out)
{
	json_object	*m = msg_new("chat"), *down = json_object_new_object();

	json_object_object_add(m, "from", json_object_new_string("alice"));
	json_object_object_add(m, "to", json_object_new_string(ROOM));
	json_object_object_add(m, "id", json_object_new_string("m-1"));
	json_object_object_add(m, "ts", json_object_new_int64(1700000000123));
	json_object_object_foreach(sealed, k, v) {
		if (strcmp(k, "keys") != 0)
			json_object_object_add(down, k, json_object_get(v));
	}
	json_object_object_add(down, "key",
	    json_object_get(msg_get(msg_get(sealed, "keys"), who)));
	json_object_object_add(m, "sealed", down);
	buf_reset(out);
	/* Protocol 1's frame: its validator is gone, so encode by hand. */
	{
		const char	*t = msg_text(m);
		uint8_t		 h[FRAME_HEADER_LEN];

		frame_encode_header(h, FRAME_TYPE_JSON, (uint32_t)strlen(t));
		buf_append(out, h, sizeof h);
		buf_append(out, t, strlen(t));
	}
	json_object_put(m);
	return buf_len(out);
}

/* Protocol 1: seal for n recipients (all with key k); the median µs. */
static double
v1_seal(const struct crypto_key *k, int n, int times, json_object **keep)
{
	struct crypto_recipient	*rcpt = xreallocarray(NULL, (size_t)n,
				    sizeof *rcpt);
	char			**names = xreallocarray(NULL, (size_t)n,
				    sizeof *names);
	json_object		*to = json_object_new_string(ROOM), *sealed;
	int64_t			*t = xreallocarray(NULL, (size_t)times,
				    sizeof *t), t0;

	for (int i = 0; i < n; i++) {
		xasprintf(&names[i], i == 0 ? "alice" : "u%d", i);
		rcpt[i] = (struct crypto_recipient){ names[i], k };
	}
	for (int i = 0; i < times; i++) {
		t0 = now_ns();
		if (crypto_seal(k, "alice", to, "m-1", rcpt, (size_t)n,
		    (const uint8_t *)LINE, strlen(LINE), &sealed) != 0)
			fatalx("v1 seal failed");
		t[i] = now_ns() - t0;
		if (keep != NULL && i == 0)
			*keep = sealed;
		else
			json_object_put(sealed);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(rcpt);
	json_object_put(to);
	return median_us(t, times);
}

/* Protocol 1's figures. */
static void
run_v1(const struct crypto_key *k, double *seal, double *open,
    double *recv, size_t *bytes, double *seal100, double *seal255,
    size_t *upload100)
{
	json_object	*sealed, *to = json_object_new_string(ROOM), *m, *s100;
	struct buf	 frame;
	uint8_t		*plain;
	size_t		 plen;
	int64_t		*t = xreallocarray(NULL, (size_t)reps, sizeof *t), t0;

	buf_init(&frame, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	*seal = v1_seal(k, 2, reps, &sealed);
	*seal100 = v1_seal(k, 100, reps / 10 + 1, &s100);
	*upload100 = strlen(msg_text(s100));
	json_object_put(s100);
	*seal255 = v1_seal(k, 255, reps / 20 + 1, NULL);
	*bytes = frame_v1(sealed, "u1", &frame);
	m = json_tokener_parse((const char *)buf_ptr(&frame) +
	    FRAME_HEADER_LEN);
	for (int i = 0; i < reps; i++) {
		t0 = now_ns();
		if (crypto_open(k, "u1", k, "alice", to, "m-1",
		    msg_get(m, "sealed"), &plain, &plen) != 0)
			fatalx("v1 open failed");
		t[i] = now_ns() - t0;
		free(plain);
	}
	json_object_put(m);
	*open = median_us(t, reps);
	/* A receiver: parse the frame (json-c; v1 had its own validator
	 * then), open, parse the inner text. */
	for (int i = 0; i < reps; i++) {
		t0 = now_ns();
		m = json_tokener_parse((const char *)buf_ptr(&frame) +
		    FRAME_HEADER_LEN);
		if (m == NULL || crypto_open(k, "u1", k, "alice", to, "m-1",
		    msg_get(m, "sealed"), &plain, &plen) != 0)
			fatalx("v1 receive failed");
		json_object_put(json_tokener_parse((const char *)plain));
		t[i] = now_ns() - t0;
		free(plain);
		json_object_put(m);
	}
	*recv = median_us(t, reps);
	json_object_put(sealed);
	json_object_put(to);
	buf_free(&frame);
	free(t);
}

/* Sender keys: seal, open, a receiver, bytes per delivery. */
static void
run_v2(double *seal, double *open, double *recv, size_t *bytes,
    size_t *blob, size_t *upload)
{
	struct ecc_signer	 signer;
	struct sk_chain		 tx, start;
	struct sk_inbound	 in;
	struct sk_message	 msg;
	json_object		*to = json_object_new_string(ROOM), *m;
	struct buf		 frame;
	uint8_t			**blobs, *plain, *raw;
	size_t			*lens, plen, rawlen;
	int64_t			*t = xreallocarray(NULL, (size_t)reps,
				    sizeof *t), t0;
	char			 why[MSG_WHY_LEN], *b64;

	if (ecc_sign_generate(&signer) != 0)
		fatalx("cannot make a signer");
	sk_chain_new(&tx);
	start = tx;
	blobs = xreallocarray(NULL, (size_t)reps * 2, sizeof *blobs);
	lens = xreallocarray(NULL, (size_t)reps * 2, sizeof *lens);
	for (int i = 0; i < reps * 2; i++) {
		t0 = now_ns();
		if (sk_seal(&tx, &signer, "alice", ROOM, (const uint8_t *)LINE,
		    strlen(LINE), &blobs[i], &lens[i]) != 0)
			fatalx("sk_seal failed");
		if (i < reps)
			t[i] = now_ns() - t0;
	}
	*seal = median_us(t, reps);
	*blob = lens[0];
	b64 = base64url_encode(blobs[0], lens[0]);
	buf_init(&frame, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	if (msg_encode_free(msg_chat_send(json_object_get(to), "m-1", b64),
	    &frame) != 0)
		fatalx("cannot frame a chat");
	*upload = buf_len(&frame);
	buf_free(&frame);
	free(b64);
	sk_inbound_init(&in, &start, signer.pub);
	for (int i = 0; i < reps; i++) {
		t0 = now_ns();
		if (sk_message_parse(blobs[i], lens[i], &msg) != 0 ||
		    sk_open(&in, "alice", ROOM, &msg, &plain, &plen) != 0)
			fatalx("sk_open failed");
		t[i] = now_ns() - t0;
		free(plain);
	}
	*open = median_us(t, reps);
	/* A receiver as the client is one: msg_parse of the delivered
	 * frame, base64url, verify and decrypt, the inner JSON. */
	buf_init(&frame, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	for (int i = reps; i < reps * 2; i++) {
		b64 = base64url_encode(blobs[i], lens[i]);
		msg_chat_deliver_frame(&frame, "alice", to, "m-1",
		    1700000000123, b64);
		free(b64);
		t0 = now_ns();
		if (msg_parse(buf_ptr(&frame) + FRAME_HEADER_LEN,
		    buf_len(&frame) - FRAME_HEADER_LEN, MSG_TO_CLIENT, &m, why,
		    sizeof why) != PROTO_OK ||
		    base64url_decode(msg_get_str(m, "sealed"), &raw,
		    &rawlen) != 0 || sk_message_parse(raw, rawlen, &msg) != 0 ||
		    sk_open(&in, "alice", ROOM, &msg, &plain, &plen) != 0)
			fatalx("receive failed");
		json_object_put(json_tokener_parse((const char *)plain));
		t[i - reps] = now_ns() - t0;
		free(plain);
		free(raw);
		json_object_put(m);
	}
	*recv = median_us(t, reps);
	*bytes = buf_len(&frame);
	for (int i = 0; i < reps * 2; i++)
		free(blobs[i]);
	free(blobs);
	free(lens);
	sk_inbound_free(&in);
	buf_free(&frame);
	json_object_put(to);
	free(t);
}

/*
 * Distribution to n members: sign the session once (RSA-PSS, identity)
 * and seal it to each member's prekey (X25519, HKDF, AES-GCM); ms in
 * all, median of times runs. Also a member's dist_open (µs) and bytes.
 */
static double
run_dist(const struct crypto_key *k, int n, int times, double *open_us,
    size_t *env)
{
	struct dist_session	 s, got;
	struct ecc_signer	 signer;
	struct prekey		 pk;
	uint8_t			*blob = NULL;
	size_t			 len = 0;
	int64_t			*t = xreallocarray(NULL, (size_t)times,
				    sizeof *t), t0;
	int64_t			 ot[32];
	char			 name[32];

	ecc_dh_generate(pk.secret, pk.pub);
	pk.created = 0;
	for (int r = 0; r < times; r++) {
		memset(&s, 0, sizeof s);
		t0 = now_ns();
		if (ecc_sign_generate(&signer) != 0)
			fatalx("cannot make a signer");
		snprintf(s.sender, sizeof s.sender, "alice");
		snprintf(s.target, sizeof s.target, ROOM);
		memcpy(s.sigpub, signer.pub, ECC_KEY_LEN);
		s.created = (int64_t)time(NULL) * 1000;
		sk_chain_new(&s.chain);
		if (dist_session_sign(&s, k, &signer) != 0)
			fatalx("cannot sign a session");
		for (int i = 0; i < n; i++) {
			snprintf(name, sizeof name, "u%d", i);
			free(blob);
			if (dist_seal(&s, name, pk.pub, &blob, &len) != 0)
				fatalx("dist_seal failed");
		}
		t[r] = now_ns() - t0;
	}
	/* The last envelope is for u(n-1). */
	snprintf(name, sizeof name, "u%d", n - 1);
	for (int r = 0; r < 32; r++) {
		t0 = now_ns();
		if (dist_open(blob, len, &pk, "alice", name, ROOM, k, &got) !=
		    0)
			fatalx("dist_open failed");
		ot[r] = now_ns() - t0;
	}
	*open_us = median_us(ot, 32);
	*env = len;
	free(blob);
	return median_us(t, times) / 1e3;
}

int
main(int argc, char **argv)
{
	struct crypto_key	*k;
	double			 s1, o1, r1, s100, s255, s2, o2, r2, d100, d1000;
	double			 dopen;
	size_t			 b1, b2, blob, up100, up2, env;
	int			 ch;

	log_open("crypto", LOG_TO_STDERR, 0);
	while ((ch = getopt(argc, argv, "n:")) != -1) {
		if (ch != 'n') {
			fprintf(stderr, "usage: crypto [-n reps]\n");
			return 2;
		}
		reps = (int)number("-n", optarg, 20, 100000);
	}
	crypto_init();
	k = bench_key(NULL);
	run_v1(k, &s1, &o1, &r1, &b1, &s100, &s255, &up100);
	run_v2(&s2, &o2, &r2, &b2, &blob, &up2);
	d100 = run_dist(k, 100, 5, &dopen, &env);
	d1000 = run_dist(k, 1000, 3, &dopen, &env);

	printf("A %zu-byte line, %d repetitions, medians.\n\n", strlen(LINE),
	    reps);
	printf("| | protocol 1 (RSA per message) | protocol 2 (sender keys) "
	    "| target / note |\n|---|---|---|---|\n");
	row("seal, µs (2 recipients)", fmt("%.0f", s1), fmt("%.1f", s2),
	    "<= 500; v2 is the same for any room");
	row("seal, µs (100 recipients)", fmt("%.0f", s100), fmt("%.1f", s2),
	    "");
	row("seal, µs (255 recipients)", fmt("%.0f", s255), fmt("%.1f", s2),
	    "v1's cap was 256");
	row("upload bytes (100 recipients)", fmt("%.0f", (double)up100),
	    fmt("%.0f", (double)up2), "v2: one blob for everyone");
	row("open, µs", fmt("%.0f", o1), fmt("%.1f", o2), "<= 1000");
	row("receiver CPU per message, µs", fmt("%.0f", r1), fmt("%.1f", r2),
	    "parse, decode, verify, decrypt, inner JSON");
	row("bytes per delivery (frame)", fmt("%.0f", (double)b1),
	    fmt("%.0f", (double)b2), "<= 300 before base64 (v2 blob below)");
	row("sealed blob, bytes (v2)", "-", fmt("%.0f", (double)blob),
	    "header 22 + text + tag 16 + signature 64");
	row("distribution to 100 members, ms", "-", fmt("%.1f", d100),
	    "once per session (rotation, newcomer: 1 each)");
	row("distribution to 1,000 members, ms", "-", fmt("%.1f", d1000),
	    "");
	row("a member opens a distribution, µs", "-", fmt("%.0f", dopen),
	    fmt("envelope %.0f bytes", (double)env));
	crypto_key_free(k);
	return 0;
}
