/* Unit tests for base64.c: RFC 4648 vectors, strict decoding, round trips. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base64.h"

static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* RFC 4648 section 10 vectors, with the padding removed. */
static const struct {
	const char	*plain;
	const char	*encoded;
} rfc_vectors[] = {
	{ "", "" },
	{ "f", "Zg" },
	{ "fo", "Zm8" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg" },
	{ "fooba", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy" },
};
#define NVECTORS (sizeof rfc_vectors / sizeof rfc_vectors[0])

/* Return the next value of a small deterministic PRNG (xorshift32). */
static uint32_t
prng(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

/*
 * Encode p[0..len) bit by bit with alphabet, unpadded, into a new string:
 * a deliberately different algorithm from the one under test.
 */
static char *
reference_encode(const char *alphabet, const uint8_t *p, size_t len)
{
	size_t	 nbits = len * 8, nchars = (nbits + 5) / 6, i, bit;
	char	*out = calloc(nchars + 1, 1);
	unsigned v;

	assert_non_null(out);
	for (i = 0; i < nchars; i++) {
		v = 0;
		for (bit = i * 6; bit < i * 6 + 6; bit++) {
			v <<= 1;
			if (bit < nbits && (p[bit / 8] & (0x80 >> (bit % 8))))
				v |= 1;
		}
		out[i] = alphabet[v];
	}
	return out;
}

/* Decode s, asserting success, and check it yields want[0..wantlen). */
static void
assert_decodes_to(const char *s, const uint8_t *want, size_t wantlen)
{
	uint8_t	*out = NULL;
	size_t	 outlen = 12345;

	assert_int_equal(base64url_decode(s, &out, &outlen), 0);
	assert_non_null(out);
	assert_int_equal(outlen, wantlen);
	if (wantlen > 0)
		assert_memory_equal(out, want, wantlen);
	free(out);
}

/* Assert that s is rejected and the outputs are left untouched. */
static void
assert_rejected(const char *s)
{
	uint8_t	 sentinel, *out = &sentinel;
	size_t	 outlen = 777;

	if (base64url_decode(s, &out, &outlen) != -1)
		fail_msg("decoding \"%s\" should fail", s);
	assert_ptr_equal(out, &sentinel);
	assert_int_equal(outlen, 777);
}

/* RFC 4648 vectors in the url-safe unpadded encoding. */
static void
test_url_encode_rfc_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVECTORS; i++) {
		char *s = base64url_encode(
		    (const uint8_t *)rfc_vectors[i].plain,
		    strlen(rfc_vectors[i].plain));

		assert_string_equal(s, rfc_vectors[i].encoded);
		free(s);
	}
}

/* RFC 4648 vectors in the standard unpadded encoding. */
static void
test_nopad_encode_rfc_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVECTORS; i++) {
		char *s = base64_encode_nopad(
		    (const uint8_t *)rfc_vectors[i].plain,
		    strlen(rfc_vectors[i].plain));

		assert_string_equal(s, rfc_vectors[i].encoded);
		free(s);
	}
}

/* RFC 4648 vectors decode back to their plain text. */
static void
test_url_decode_rfc_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVECTORS; i++)
		assert_decodes_to(rfc_vectors[i].encoded,
		    (const uint8_t *)rfc_vectors[i].plain,
		    strlen(rfc_vectors[i].plain));
}

/* Values 62 and 63 use '-' '_' in base64url and '+' '/' in standard. */
static void
test_alphabets_differ(void **state)
{
	/* 0xfb 0xff = 111110 111111 1111(00): values 62, 63, 60. */
	static const uint8_t in[] = { 0xfb, 0xff };
	uint8_t	 ramp[48];
	char	*s;

	(void)state;
	s = base64url_encode(in, sizeof in);
	assert_string_equal(s, "-_8");
	free(s);
	s = base64_encode_nopad(in, sizeof in);
	assert_string_equal(s, "+/8");
	free(s);
	assert_decodes_to("-_8", in, sizeof in);
	assert_rejected("+/8");

	/* Bytes whose sextets are 0, 1, ..., 63 in order. */
	for (size_t i = 0; i < 16; i++) {
		unsigned a = (unsigned)(i * 4), b = a + 1, c = a + 2, d = a + 3;
		uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;

		ramp[i * 3] = (uint8_t)(v >> 16);
		ramp[i * 3 + 1] = (uint8_t)(v >> 8);
		ramp[i * 3 + 2] = (uint8_t)v;
	}
	s = base64url_encode(ramp, sizeof ramp);
	assert_string_equal(s, url_alphabet);
	free(s);
	s = base64_encode_nopad(ramp, sizeof ramp);
	assert_string_equal(s, std_alphabet);
	free(s);
	assert_decodes_to(url_alphabet, ramp, sizeof ramp);
}

/* Padding, whitespace and characters outside the alphabet are rejected. */
static void
test_decode_rejects_bad_characters(void **state)
{
	static const char *const bad[] = {
		"Zg==", "Zg=", "Zm8=", "Zm9vYg==", "====", "=", "Zm9v=",
		" Zm9v", "Zm9v ", "Zm 9v", "Zm9v\n", "Zm9v\r\n", "\tZm9v",
		"Zm9v+", "Zm9v/", "Zm+v", "Zm/v", "Zm9v.", "Zm9v*", "Zm9v~",
		"Zm9\x80", "Zm9\xff", "\xc3\xa9Zm",
	};
	char	s[5];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_rejected(bad[i]);

	/* Every byte value in the first position of a 4-char group. */
	for (int c = 1; c < 256; c++) {
		uint8_t	*out = NULL;
		size_t	 outlen;
		int	 ok;

		s[0] = (char)c;
		memcpy(s + 1, "AAA", 4);
		ok = memchr(url_alphabet, c, sizeof url_alphabet - 1) != NULL;
		if (ok) {
			assert_int_equal(base64url_decode(s, &out, &outlen), 0);
			assert_int_equal(outlen, 3);
			assert_int_equal(out[0] >> 2,
			    strchr(url_alphabet, c) - url_alphabet);
			free(out);
		} else
			assert_rejected(s);
	}
}

/* A length of 1 mod 4 cannot be a whole number of bytes. */
static void
test_decode_rejects_length_1_mod_4(void **state)
{
	(void)state;
	assert_rejected("A");
	assert_rejected("Z");
	assert_rejected("Zm9vY");
	assert_rejected("AAAAA");
	assert_rejected("Zm9vYmFyZ");
	/* Their neighbours are fine. */
	assert_decodes_to("AA", (const uint8_t *)"\0", 1);
	assert_decodes_to("AAA", (const uint8_t *)"\0\0", 2);
	assert_decodes_to("AAAA", (const uint8_t *)"\0\0\0", 3);
}

/* Only the canonical encoding (unused trailing bits zero) is accepted. */
static void
test_decode_rejects_nonzero_trailing_bits(void **state)
{
	char	s[4];

	(void)state;
	assert_rejected("Zh");
	assert_rejected("Zm9");
	assert_rejected("Zm9vYh");
	assert_rejected("Zm9vYmF");
	assert_decodes_to("Zg", (const uint8_t *)"f", 1);
	assert_decodes_to("Zm8", (const uint8_t *)"fo", 2);

	/* Two characters leave 4 unused bits, three leave 2. */
	for (int v = 0; v < 64; v++) {
		uint8_t	*out;
		size_t	 outlen;

		s[0] = 'Z';
		s[1] = url_alphabet[v];
		s[2] = '\0';
		if ((v & 0x0f) == 0) {
			assert_int_equal(base64url_decode(s, &out, &outlen), 0);
			assert_int_equal(outlen, 1);
			assert_int_equal(out[0], (25 << 2) | (v >> 4));
			free(out);
		} else
			assert_rejected(s);

		s[0] = 'Z';
		s[1] = 'm';
		s[2] = url_alphabet[v];
		s[3] = '\0';
		if ((v & 0x03) == 0) {
			assert_int_equal(base64url_decode(s, &out, &outlen), 0);
			assert_int_equal(outlen, 2);
			assert_int_equal(out[0], 'f');
			assert_int_equal(out[1], ((38 & 0x0f) << 4) | (v >> 2));
			free(out);
		} else
			assert_rejected(s);
	}
}

/* All 256 byte values survive a round trip and match the reference. */
static void
test_round_trip_all_bytes(void **state)
{
	uint8_t	 all[256], *out;
	size_t	 outlen;
	char	*s, *ref;

	(void)state;
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	s = base64url_encode(all, sizeof all);
	ref = reference_encode(url_alphabet, all, sizeof all);
	assert_string_equal(s, ref);
	free(ref);
	assert_int_equal(base64url_decode(s, &out, &outlen), 0);
	assert_int_equal(outlen, sizeof all);
	assert_memory_equal(out, all, sizeof all);
	free(out);
	free(s);

	/* Each byte value alone, in each position of a 3-byte group. */
	for (int i = 0; i < 256; i++) {
		for (size_t pos = 0; pos < 3; pos++) {
			uint8_t in[3] = { 0x5a, 0xa5, 0x3c };

			in[pos] = (uint8_t)i;
			for (size_t len = pos + 1; len <= 3; len++) {
				s = base64url_encode(in, len);
				assert_decodes_to(s, in, len);
				free(s);
			}
		}
	}
}

/* Random inputs of every length 0..300 round-trip in both alphabets. */
static void
test_round_trip_random_lengths(void **state)
{
	uint32_t seed = 0x9e3779b9;
	uint8_t	 in[300], *out;
	size_t	 outlen;
	char	*s, *ref;

	(void)state;
	for (size_t len = 0; len <= sizeof in; len++) {
		for (int rep = 0; rep < 4; rep++) {
			for (size_t i = 0; i < len; i++)
				in[i] = (uint8_t)prng(&seed);

			s = base64url_encode(in, len);
			assert_int_equal(strlen(s), (len * 4 + 2) / 3);
			assert_true(strlen(s) <= BASE64_ENCODED_LEN(len));
			assert_null(strpbrk(s, "=+/"));
			ref = reference_encode(url_alphabet, in, len);
			assert_string_equal(s, ref);
			free(ref);
			assert_int_equal(base64url_decode(s, &out, &outlen), 0);
			assert_int_equal(outlen, len);
			if (len > 0)
				assert_memory_equal(out, in, len);
			free(out);
			free(s);

			s = base64_encode_nopad(in, len);
			ref = reference_encode(std_alphabet, in, len);
			assert_string_equal(s, ref);
			free(ref);
			free(s);
		}
	}
}

/* BASE64_ENCODED_LEN is the padded length, enough for unpadded output. */
static void
test_encoded_len_macro(void **state)
{
	(void)state;
	assert_int_equal(BASE64_ENCODED_LEN(0), 0);
	assert_int_equal(BASE64_ENCODED_LEN(1), 4);
	assert_int_equal(BASE64_ENCODED_LEN(2), 4);
	assert_int_equal(BASE64_ENCODED_LEN(3), 4);
	assert_int_equal(BASE64_ENCODED_LEN(4), 8);
	assert_int_equal(BASE64_ENCODED_LEN(6), 8);
	assert_int_equal(BASE64_ENCODED_LEN(7), 12);
}

/* Run the base64 tests. */
/*
 * base64url_canonical() accepts exactly what base64url_decode() does, and
 * base64_decoded_len() says how many bytes come out: checked over every
 * string of up to 3 characters from a small alphabet and random longer
 * ones.
 */
static void
test_canonical_matches_decode(void **state)
{
	static const char alphabet[] = "AQRgw_-/=9 ";
	char		 s[64];
	uint8_t		*out;
	size_t		 outlen, n = sizeof alphabet - 1;
	unsigned	 seed = 7;

	(void)state;
	for (size_t len = 0; len <= 40; len++) {
		for (size_t trial = 0; trial < (len <= 3 ? 1331 : 2000);
		    trial++) {
			size_t x = trial;

			for (size_t i = 0; i < len; i++) {
				if (len <= 3) {
					s[i] = alphabet[x % n];
					x /= n;
				} else {
					seed = seed * 1103515245 + 12345;
					s[i] = alphabet[(seed >> 16) % n];
				}
			}
			s[len] = '\0';
			int ok = base64url_decode(s, &out, &outlen) == 0;

			if (ok != base64url_canonical(s, len))
				fail_msg("\"%s\": decode %d, canonical %d", s,
				    ok, !ok);
			if (ok) {
				assert_int_equal(outlen,
				    base64_decoded_len(len));
				free(out);
			}
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_encode_rfc_vectors),
		cmocka_unit_test(test_nopad_encode_rfc_vectors),
		cmocka_unit_test(test_url_decode_rfc_vectors),
		cmocka_unit_test(test_alphabets_differ),
		cmocka_unit_test(test_decode_rejects_bad_characters),
		cmocka_unit_test(test_decode_rejects_length_1_mod_4),
		cmocka_unit_test(test_decode_rejects_nonzero_trailing_bits),
		cmocka_unit_test(test_round_trip_all_bytes),
		cmocka_unit_test(test_round_trip_random_lengths),
		cmocka_unit_test(test_encoded_len_macro),
		cmocka_unit_test(test_canonical_matches_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
