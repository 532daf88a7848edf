/*
 * Unit tests for kdf.c, ecc.c and aead.c against the published vectors:
 * RFC 4231 and RFC 5869 (HMAC and HKDF-SHA256), RFC 8032 (Ed25519),
 * RFC 7748 (X25519) and the GCM specification's AES-256 cases. Every
 * expected byte is the RFC's; a failure here means the primitive, not the
 * sender-key formats built on it, is wrong.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "aead.h"
#include "crypto.h"
#include "ecc.h"
#include "kdf.h"

/* The value of one hex digit; the test fails on anything else. */
static uint8_t
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return (uint8_t)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (uint8_t)(c - 'a' + 10);
	fail_msg("not a lowercase hex digit: %c", c);
	return 0;
}

/* Decode hex, which must be exactly 2 * len digits, into out. */
static void
unhex(const char *hex, uint8_t *out, size_t len)
{
	assert_int_equal(strlen(hex), 2 * len);
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(nibble(hex[2 * i]) << 4 |
		    nibble(hex[2 * i + 1]));
}

/* Assert that the len bytes at p are those hex spells. */
static void
assert_hex(const uint8_t *p, size_t len, const char *hex)
{
	uint8_t	*want = malloc(len + 1);

	assert_non_null(want);
	unhex(hex, want, len);
	assert_memory_equal(p, want, len);
	free(want);
}

/* Fill p with n bytes counting up from first (the RFC 5869 inputs). */
static void
count_up(uint8_t *p, size_t n, uint8_t first)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

static int
setup(void **state)
{
	(void)state;
	crypto_init();
	return 0;
}

/* RFC 4231 test case 2: a key shorter than the block, ASCII data. */
static void
test_hmac_rfc4231(void **state)
{
	static const char	data[] = "what do ya want for nothing?";
	uint8_t			out[KDF_HASH_LEN];

	(void)state;
	assert_int_equal(kdf_hmac((const uint8_t *)"Jefe", 4,
	    (const uint8_t *)data, strlen(data), out), CRYPTO_OK);
	assert_hex(out, sizeof out,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* RFC 5869 A.1: the basic case, 42 bytes out. */
static void
test_hkdf_rfc5869_case1(void **state)
{
	uint8_t	ikm[22], salt[13], info[10], prk[KDF_HASH_LEN], okm[42];

	(void)state;
	memset(ikm, 0x0b, sizeof ikm);
	count_up(salt, sizeof salt, 0x00);
	count_up(info, sizeof info, 0xf0);
	/* Extract is HMAC(salt, ikm). */
	assert_int_equal(kdf_hmac(salt, sizeof salt, ikm, sizeof ikm, prk),
	    CRYPTO_OK);
	assert_hex(prk, sizeof prk,
	    "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
	assert_int_equal(kdf_hkdf(salt, sizeof salt, ikm, sizeof ikm, info,
	    sizeof info, okm, sizeof okm), CRYPTO_OK);
	assert_hex(okm, sizeof okm,
	    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	    "34007208d5b887185865");
}

/* RFC 5869 A.2: 80-byte inputs, 82 bytes out (three expand blocks). */
static void
test_hkdf_rfc5869_case2(void **state)
{
	uint8_t	ikm[80], salt[80], info[80], prk[KDF_HASH_LEN], okm[82];

	(void)state;
	count_up(ikm, sizeof ikm, 0x00);
	count_up(salt, sizeof salt, 0x60);
	count_up(info, sizeof info, 0xb0);
	assert_int_equal(kdf_hmac(salt, sizeof salt, ikm, sizeof ikm, prk),
	    CRYPTO_OK);
	assert_hex(prk, sizeof prk,
	    "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244");
	assert_int_equal(kdf_hkdf(salt, sizeof salt, ikm, sizeof ikm, info,
	    sizeof info, okm, sizeof okm), CRYPTO_OK);
	assert_hex(okm, sizeof okm,
	    "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
	    "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
	    "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

/*
 * RFC 5869 A.3: no salt and no info. The extract key is then 32 zero
 * bytes, which HMAC's zero padding makes the same as an empty key; both
 * spellings, and an explicit zero salt, must give the RFC's PRK and OKM.
 */
static void
test_hkdf_rfc5869_case3(void **state)
{
	static const uint8_t	zero[KDF_HASH_LEN];
	static const char	okm_hex[] =
	    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	    "9d201395faa4b61a96c8";
	static const char	prk_hex[] =
	    "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04";
	uint8_t			ikm[22], prk[KDF_HASH_LEN], okm[42];

	(void)state;
	memset(ikm, 0x0b, sizeof ikm);
	assert_int_equal(kdf_hmac(zero, sizeof zero, ikm, sizeof ikm, prk),
	    CRYPTO_OK);
	assert_hex(prk, sizeof prk, prk_hex);
	memset(prk, 0, sizeof prk);
	assert_int_equal(kdf_hmac(NULL, 0, ikm, sizeof ikm, prk), CRYPTO_OK);
	assert_hex(prk, sizeof prk, prk_hex);

	assert_int_equal(kdf_hkdf(NULL, 0, ikm, sizeof ikm, NULL, 0, okm,
	    sizeof okm), CRYPTO_OK);
	assert_hex(okm, sizeof okm, okm_hex);
	memset(okm, 0, sizeof okm);
	assert_int_equal(kdf_hkdf(zero, sizeof zero, ikm, sizeof ikm, NULL, 0,
	    okm, sizeof okm), CRYPTO_OK);
	assert_hex(okm, sizeof okm, okm_hex);
}

/* Output lengths: a prefix of a longer output, RFC 5869's 255-block cap. */
static void
test_hkdf_lengths(void **state)
{
	uint8_t	 ikm[22], salt[13], info[10], okm[42], part[33];
	uint8_t	*big = malloc(KDF_OUT_MAX + 1);

	(void)state;
	assert_non_null(big);
	memset(ikm, 0x0b, sizeof ikm);
	count_up(salt, sizeof salt, 0x00);
	count_up(info, sizeof info, 0xf0);
	assert_int_equal(kdf_hkdf(salt, sizeof salt, ikm, sizeof ikm, info,
	    sizeof info, okm, sizeof okm), CRYPTO_OK);
	/* One byte past a block boundary: T(2)'s first byte follows T(1). */
	assert_int_equal(kdf_hkdf(salt, sizeof salt, ikm, sizeof ikm, info,
	    sizeof info, part, sizeof part), CRYPTO_OK);
	assert_memory_equal(part, okm, sizeof part);
	assert_int_equal(kdf_hkdf(salt, sizeof salt, ikm, sizeof ikm, info,
	    sizeof info, big, KDF_OUT_MAX), CRYPTO_OK);
	assert_memory_equal(big, okm, sizeof okm);
	assert_int_equal(kdf_hkdf(salt, sizeof salt, ikm, sizeof ikm, info,
	    sizeof info, big, KDF_OUT_MAX + 1), CRYPTO_E_TOO_BIG);
	free(big);
}

/* RFC 8032 section 7.1, TEST 1 to TEST 3 (pure Ed25519). */
static const struct {
	const char	*secret;
	const char	*pub;
	const char	*msg;
	size_t		 msglen;
	const char	*sig;
} rfc8032[] = {
	{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	  "", 0,
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	  "72", 1,
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	{ "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	  "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
	  "af82", 2,
	  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
	  "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
};

/*
 * Each RFC 8032 vector: the secret gives the RFC's public key and
 * signature (Ed25519 is deterministic), which verifies; a flip of any
 * one byte of the message, the signature or the key fails, as does a
 * message one byte longer.
 */
static void
test_ed25519_rfc8032(void **state)
{
	struct ecc_signer	k;
	uint8_t			secret[ECC_KEY_LEN], pub[ECC_KEY_LEN];
	uint8_t			sig[ECC_SIG_LEN], bad[ECC_SIG_LEN];
	uint8_t			msg[3], badmsg[3];

	(void)state;
	for (size_t v = 0; v < sizeof rfc8032 / sizeof rfc8032[0]; v++) {
		unhex(rfc8032[v].secret, secret, sizeof secret);
		unhex(rfc8032[v].msg, msg, rfc8032[v].msglen);
		assert_int_equal(ecc_sign_from_secret(&k, secret), CRYPTO_OK);
		assert_memory_equal(k.secret, secret, sizeof secret);
		assert_hex(k.pub, sizeof k.pub, rfc8032[v].pub);
		assert_int_equal(ecc_sign(&k, msg, rfc8032[v].msglen, sig),
		    CRYPTO_OK);
		assert_hex(sig, sizeof sig, rfc8032[v].sig);
		assert_int_equal(ecc_verify(k.pub, msg, rfc8032[v].msglen,
		    sig), CRYPTO_OK);

		for (size_t i = 0; i < rfc8032[v].msglen; i++) {
			memcpy(badmsg, msg, sizeof msg);
			badmsg[i] ^= 0x01;
			assert_int_equal(ecc_verify(k.pub, badmsg,
			    rfc8032[v].msglen, sig), CRYPTO_E_SIGNATURE);
		}
		memcpy(badmsg, msg, sizeof msg);
		badmsg[rfc8032[v].msglen] = 0;
		assert_int_equal(ecc_verify(k.pub, badmsg,
		    rfc8032[v].msglen + 1, sig), CRYPTO_E_SIGNATURE);
		for (size_t i = 0; i < sizeof sig; i++) {
			memcpy(bad, sig, sizeof sig);
			bad[i] ^= 0x01;
			assert_int_equal(ecc_verify(k.pub, msg,
			    rfc8032[v].msglen, bad), CRYPTO_E_SIGNATURE);
		}
		for (size_t i = 0; i < sizeof pub; i++) {
			memcpy(pub, k.pub, sizeof pub);
			pub[i] ^= 0x01;
			assert_int_equal(ecc_verify(pub, msg,
			    rfc8032[v].msglen, sig), CRYPTO_E_SIGNATURE);
		}
	}
}

/*
 * RFC 8032 5.1.7: a signature whose S is at or above the group order L
 * is refused. S + L satisfies the verification equation as S does, so
 * without the check every signature has a twin; libgcrypt 1.10 accepts
 * it, ecc_verify must not.
 */
static void
test_ed25519_noncanonical_s(void **state)
{
	static const uint8_t	order[ECC_KEY_LEN] = {
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
		0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
	};
	uint8_t			pub[ECC_KEY_LEN], sig[ECC_SIG_LEN];
	uint8_t			msg[2];
	unsigned int		carry;

	(void)state;
	for (size_t v = 0; v < sizeof rfc8032 / sizeof rfc8032[0]; v++) {
		unhex(rfc8032[v].pub, pub, sizeof pub);
		unhex(rfc8032[v].msg, msg, rfc8032[v].msglen);
		unhex(rfc8032[v].sig, sig, sizeof sig);
		/* S < L < 2^253, so S + L still fits in 32 bytes. */
		carry = 0;
		for (size_t i = 0; i < ECC_KEY_LEN; i++) {
			carry += sig[ECC_KEY_LEN + i] + order[i];
			sig[ECC_KEY_LEN + i] = (uint8_t)carry;
			carry >>= 8;
		}
		assert_int_equal(carry, 0);
		assert_int_equal(ecc_verify(pub, msg, rfc8032[v].msglen, sig),
		    CRYPTO_E_SIGNATURE);
		/* S = L exactly. */
		memcpy(sig + ECC_KEY_LEN, order, sizeof order);
		assert_int_equal(ecc_verify(pub, msg, rfc8032[v].msglen, sig),
		    CRYPTO_E_SIGNATURE);
	}
}

/*
 * Data up to ECC_DATA_MAX signs and verifies; longer is CRYPTO_E_TOO_BIG
 * both ways, where libgcrypt 1.10.1 would abort the process (from 65490
 * bytes), so a long blob from anyone could kill its receiver.
 */
static void
test_ed25519_long_data(void **state)
{
	struct ecc_signer	 k;
	uint8_t			 sig[ECC_SIG_LEN], *data;
	const size_t		 huge = 96 * 1024;

	(void)state;
	data = calloc(1, huge);
	assert_non_null(data);
	assert_int_equal(ecc_sign_generate(&k), CRYPTO_OK);
	assert_int_equal(ecc_sign(&k, data, ECC_DATA_MAX, sig), CRYPTO_OK);
	assert_int_equal(ecc_verify(k.pub, data, ECC_DATA_MAX, sig),
	    CRYPTO_OK);
	assert_int_equal(ecc_sign(&k, data, ECC_DATA_MAX + 1, sig),
	    CRYPTO_E_TOO_BIG);
	assert_int_equal(ecc_verify(k.pub, data, ECC_DATA_MAX + 1, sig),
	    CRYPTO_E_TOO_BIG);
	assert_int_equal(ecc_sign(&k, data, huge, sig), CRYPTO_E_TOO_BIG);
	assert_int_equal(ecc_verify(k.pub, data, huge, sig),
	    CRYPTO_E_TOO_BIG);
	free(data);
}

/* A generated key signs and verifies, and its secret remakes its key. */
static void
test_ed25519_generate(void **state)
{
	static const uint8_t	msg[] = "a sender key session";
	struct ecc_signer	k, again, other;
	uint8_t			sig[ECC_SIG_LEN];

	(void)state;
	assert_int_equal(ecc_sign_generate(&k), CRYPTO_OK);
	assert_int_equal(ecc_sign_generate(&other), CRYPTO_OK);
	assert_memory_not_equal(k.pub, other.pub, sizeof k.pub);
	assert_int_equal(ecc_sign_from_secret(&again, k.secret), CRYPTO_OK);
	assert_memory_equal(again.pub, k.pub, sizeof k.pub);
	assert_int_equal(ecc_sign(&k, msg, sizeof msg, sig), CRYPTO_OK);
	assert_int_equal(ecc_verify(k.pub, msg, sizeof msg, sig), CRYPTO_OK);
	assert_int_equal(ecc_verify(other.pub, msg, sizeof msg, sig),
	    CRYPTO_E_SIGNATURE);
}

/* X25519 of the hex scalar and u-coordinate must be the hex result. */
static void
assert_x25519(const char *scalar, const char *u, const char *result)
{
	uint8_t	k[ECC_KEY_LEN], p[ECC_KEY_LEN], out[ECC_KEY_LEN];

	unhex(scalar, k, sizeof k);
	unhex(u, p, sizeof p);
	assert_int_equal(ecc_dh(k, p, out), CRYPTO_OK);
	assert_hex(out, sizeof out, result);
}

/*
 * RFC 7748 section 5.2: the two single vectors (the second u has its top
 * bit set, which X25519 ignores), then the iterated one: k = X25519(k, u),
 * u = the old k, from k = u = 9, after 1 and 1000 rounds.
 */
static void
test_x25519_rfc7748(void **state)
{
	uint8_t	k[ECC_KEY_LEN] = { 9 }, u[ECC_KEY_LEN] = { 9 };
	uint8_t	next[ECC_KEY_LEN];

	(void)state;
	assert_x25519(
	    "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
	    "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
	    "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
	assert_x25519(
	    "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
	    "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
	    "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");

	for (int i = 1; i <= 1000; i++) {
		assert_int_equal(ecc_dh(k, u, next), CRYPTO_OK);
		memcpy(u, k, sizeof u);
		memcpy(k, next, sizeof k);
		if (i == 1)
			assert_hex(k, sizeof k,
			    "422c8e7a6227d7bca1350b3e2bb7279f"
			    "7897b87bb6854b783c60e80311ae3079");
	}
	assert_hex(k, sizeof k,
	    "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}

/* RFC 7748 section 6.1: Alice's and Bob's keys and their shared secret. */
static void
test_x25519_rfc7748_dh(void **state)
{
	static const char	shared_hex[] =
	    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
	uint8_t			a[ECC_KEY_LEN], b[ECC_KEY_LEN];
	uint8_t			apub[ECC_KEY_LEN], bpub[ECC_KEY_LEN];
	uint8_t			k1[ECC_KEY_LEN], k2[ECC_KEY_LEN];

	(void)state;
	unhex("77076d0a7318a57d3c16c17251b26645"
	    "df4c2f87ebc0992ab177fba51db92c2a",
	    a, sizeof a);
	unhex("5dab087e624a8a4b79e17f8b83800ee6"
	    "6f3bb1292618b6fd1c2f8b27ff88e0eb",
	    b, sizeof b);
	assert_int_equal(ecc_dh_public(a, apub), CRYPTO_OK);
	assert_hex(apub, sizeof apub,
	    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	assert_int_equal(ecc_dh_public(b, bpub), CRYPTO_OK);
	assert_hex(bpub, sizeof bpub,
	    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	assert_int_equal(ecc_dh(a, bpub, k1), CRYPTO_OK);
	assert_hex(k1, sizeof k1, shared_hex);
	assert_int_equal(ecc_dh(b, apub, k2), CRYPTO_OK);
	assert_hex(k2, sizeof k2, shared_hex);
}

/*
 * Points of small order make X25519's result all zero whatever the
 * scalar, so a peer who sends one learns the "shared" secret: ecc_dh
 * must refuse them. The list is the usual one (0, 1, the two points of
 * order 8, p - 1 of order 2, and p and p + 1, which reduce to 0 and 1).
 */
static void
test_x25519_low_order(void **state)
{
	static const char	*points[] = {
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "0100000000000000000000000000000000000000000000000000000000000000",
	    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	uint8_t			secret[ECC_KEY_LEN], pub[ECC_KEY_LEN];
	uint8_t			u[ECC_KEY_LEN], out[ECC_KEY_LEN];

	(void)state;
	ecc_dh_generate(secret, pub);
	for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
		unhex(points[i], u, sizeof u);
		assert_int_equal(ecc_dh(secret, u, out), CRYPTO_E_KEY);
	}
}

/* Generated key pairs: the public half is the secret's, and both agree. */
static void
test_x25519_generate(void **state)
{
	uint8_t	a[ECC_KEY_LEN], apub[ECC_KEY_LEN], b[ECC_KEY_LEN];
	uint8_t	bpub[ECC_KEY_LEN], again[ECC_KEY_LEN];
	uint8_t	k1[ECC_KEY_LEN], k2[ECC_KEY_LEN];

	(void)state;
	ecc_dh_generate(a, apub);
	ecc_dh_generate(b, bpub);
	assert_memory_not_equal(apub, bpub, sizeof apub);
	assert_int_equal(ecc_dh_public(a, again), CRYPTO_OK);
	assert_memory_equal(again, apub, sizeof again);
	assert_int_equal(ecc_dh(a, bpub, k1), CRYPTO_OK);
	assert_int_equal(ecc_dh(b, apub, k2), CRYPTO_OK);
	assert_memory_equal(k1, k2, sizeof k1);
}

/*
 * The GCM specification's AES-256 test cases 13, 14 and 16 (McGrew and
 * Viega, "The Galois/Counter Mode of Operation", as NIST's validation
 * uses them): 12-byte IVs, empty and one-block plaintexts without AAD,
 * and a 60-byte plaintext with 20 bytes of AAD. Each opens again.
 */
static void
test_aead_gcm_vectors(void **state)
{
	static const struct {
		const char	*key, *iv, *aad, *plain, *ct, *tag;
	} v[] = {
		{ "00000000000000000000000000000000"
		  "00000000000000000000000000000000",
		  "000000000000000000000000", "", "", "",
		  "530f8afbc74536b9a963b4f1c4cb738b" },
		{ "00000000000000000000000000000000"
		  "00000000000000000000000000000000",
		  "000000000000000000000000", "",
		  "00000000000000000000000000000000",
		  "cea7403d4d606b6e074ec5d3baf39d18",
		  "d0d1c8a799996bf0265b98b5d48ab919" },
		{ "feffe9928665731c6d6a8f9467308308"
		  "feffe9928665731c6d6a8f9467308308",
		  "cafebabefacedbaddecaf888",
		  "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d"
		  "8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657"
		  "ba637b39",
		  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd"
		  "2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0a"
		  "bcc9f662",
		  "76fc6ece0f4e1768cddf8853bb2d551b" },
	};
	uint8_t	key[AEAD_KEY_LEN], iv[AEAD_NONCE_LEN], aad[20], plain[60];
	uint8_t	out[60], back[60], tag[AEAD_TAG_LEN];
	size_t	aadlen, len;

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		aadlen = strlen(v[i].aad) / 2;
		len = strlen(v[i].plain) / 2;
		unhex(v[i].key, key, sizeof key);
		unhex(v[i].iv, iv, sizeof iv);
		unhex(v[i].aad, aad, aadlen);
		unhex(v[i].plain, plain, len);
		assert_int_equal(aead_seal(key, iv, aad, aadlen, plain, len,
		    out, tag), CRYPTO_OK);
		assert_hex(out, len, v[i].ct);
		assert_hex(tag, sizeof tag, v[i].tag);
		assert_int_equal(aead_open(key, iv, aad, aadlen, out, len, tag,
		    back), CRYPTO_OK);
		assert_memory_equal(back, plain, len);
	}
}

/*
 * A round trip, then every single-byte change of the tag, the
 * ciphertext, the AAD, the nonce or the key is refused with
 * CRYPTO_E_AUTH, and a refused open leaves no plaintext behind.
 */
static void
test_aead_tamper(void **state)
{
	static const uint8_t	plain[] = "the same bytes for every recipient";
	static const uint8_t	aad[] = "header, target and sender";
	uint8_t			key[AEAD_KEY_LEN], nonce[AEAD_NONCE_LEN];
	uint8_t			ct[sizeof plain], back[sizeof plain];
	uint8_t			tag[AEAD_TAG_LEN], t[AEAD_TAG_LEN];
	uint8_t			c[sizeof plain], a[sizeof aad];
	uint8_t			n[AEAD_NONCE_LEN], k[AEAD_KEY_LEN];
	static const uint8_t	nothing[sizeof plain];

	(void)state;
	crypto_random(key, sizeof key);
	crypto_random(nonce, sizeof nonce);
	assert_int_equal(aead_seal(key, nonce, aad, sizeof aad, plain,
	    sizeof plain, ct, tag), CRYPTO_OK);
	assert_memory_not_equal(ct, plain, sizeof plain);
	assert_int_equal(aead_open(key, nonce, aad, sizeof aad, ct, sizeof ct,
	    tag, back), CRYPTO_OK);
	assert_memory_equal(back, plain, sizeof plain);

	for (size_t i = 0; i < sizeof tag; i++) {
		memcpy(t, tag, sizeof t);
		t[i] ^= 0x01;
		memset(back, 0x55, sizeof back);
		assert_int_equal(aead_open(key, nonce, aad, sizeof aad, ct,
		    sizeof ct, t, back), CRYPTO_E_AUTH);
		assert_memory_equal(back, nothing, sizeof back);
	}
	for (size_t i = 0; i < sizeof ct; i++) {
		memcpy(c, ct, sizeof c);
		c[i] ^= 0x80;
		assert_int_equal(aead_open(key, nonce, aad, sizeof aad, c,
		    sizeof c, tag, back), CRYPTO_E_AUTH);
	}
	for (size_t i = 0; i < sizeof aad; i++) {
		memcpy(a, aad, sizeof a);
		a[i] ^= 0x01;
		assert_int_equal(aead_open(key, nonce, a, sizeof a, ct,
		    sizeof ct, tag, back), CRYPTO_E_AUTH);
	}
	/* AAD cut short by one byte, or missing. */
	assert_int_equal(aead_open(key, nonce, aad, sizeof aad - 1, ct,
	    sizeof ct, tag, back), CRYPTO_E_AUTH);
	assert_int_equal(aead_open(key, nonce, aad, 0, ct, sizeof ct, tag,
	    back), CRYPTO_E_AUTH);
	for (size_t i = 0; i < sizeof nonce; i++) {
		memcpy(n, nonce, sizeof n);
		n[i] ^= 0x01;
		assert_int_equal(aead_open(key, n, aad, sizeof aad, ct,
		    sizeof ct, tag, back), CRYPTO_E_AUTH);
	}
	for (size_t i = 0; i < sizeof key; i++) {
		memcpy(k, key, sizeof k);
		k[i] ^= 0x01;
		assert_int_equal(aead_open(k, nonce, aad, sizeof aad, ct,
		    sizeof ct, tag, back), CRYPTO_E_AUTH);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_hkdf_rfc5869_case1),
		cmocka_unit_test(test_hkdf_rfc5869_case2),
		cmocka_unit_test(test_hkdf_rfc5869_case3),
		cmocka_unit_test(test_hkdf_lengths),
		cmocka_unit_test(test_ed25519_rfc8032),
		cmocka_unit_test(test_ed25519_noncanonical_s),
		cmocka_unit_test(test_ed25519_long_data),
		cmocka_unit_test(test_ed25519_generate),
		cmocka_unit_test(test_x25519_rfc7748),
		cmocka_unit_test(test_x25519_rfc7748_dh),
		cmocka_unit_test(test_x25519_low_order),
		cmocka_unit_test(test_x25519_generate),
		cmocka_unit_test(test_aead_gcm_vectors),
		cmocka_unit_test(test_aead_tamper),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
