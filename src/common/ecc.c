/*
 * Ed25519 (RFC 8032) through libgcrypt's EdDSA, and X25519 (RFC 7748)
 * through gcry_ecc_mul_point, on raw 32-byte keys as the sender-key
 * formats of tvchat-protocol(5) carry them. libgcrypt does not refuse an
 * all-zero X25519 result (a peer's low-order point): ecc_dh does. Nor
 * does libgcrypt 1.10 refuse an Ed25519 S at or above the group order:
 * ecc_verify does.
 */
#include "config.h"

#include <string.h>

#include <gcrypt.h>

#include "crypto.h"
#include "crypto-internal.h"
#include "ecc.h"

/* The base point u = 9 of Curve25519, little-endian. */
static const uint8_t x25519_base[ECC_KEY_LEN] = { 9 };

/* The order L = 2^252 + 27742317777372353535851937790883648493 of
 * Ed25519's base point, little-endian as a signature's S is. */
static const uint8_t ed25519_order[ECC_KEY_LEN] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
	0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

/*
 * Fill k's public half from its secret seed: libgcrypt's EC context of
 * a private key with no q derives q (RFC 8032's A) when asked for it.
 * Returns CRYPTO_OK or CRYPTO_E_LIBRARY.
 */
static int
public_from_secret(struct ecc_signer *k)
{
	gcry_sexp_t	 key = NULL;
	gcry_ctx_t	 ctx = NULL;
	gcry_mpi_t	 q;
	unsigned char	*raw;
	unsigned int	 bits;
	int		 r = CRYPTO_E_LIBRARY;

	if (gcry_sexp_build(&key, NULL, "(private-key (ecc (curve Ed25519)"
	    "(flags eddsa)(d %b)))", ECC_KEY_LEN, k->secret) != 0)
		return r;
	if (gcry_mpi_ec_new(&ctx, key, NULL) != 0)
		goto out;
	if ((q = gcry_mpi_ec_get_mpi("q@eddsa", ctx, 1)) == NULL)
		goto out;
	raw = gcry_mpi_get_opaque(q, &bits);
	/* A 0x40 prefix marks a native EdDSA point; the point follows. */
	if (raw != NULL && bits == 8 * (ECC_KEY_LEN + 1) && raw[0] == 0x40) {
		memcpy(k->pub, raw + 1, ECC_KEY_LEN);
		r = CRYPTO_OK;
	} else if (raw != NULL && bits == 8 * ECC_KEY_LEN) {
		memcpy(k->pub, raw, ECC_KEY_LEN);
		r = CRYPTO_OK;
	}
	gcry_mpi_release(q);
out:
	gcry_ctx_release(ctx);
	gcry_sexp_release(key);
	return r;
}

/* Make k from a 32-byte secret seed. Returns CRYPTO_OK or an error. */
int
ecc_sign_from_secret(struct ecc_signer *k, const uint8_t *secret)
{
	memcpy(k->secret, secret, ECC_KEY_LEN);
	return public_from_secret(k);
}

/* Make a fresh Ed25519 key pair in k. Returns CRYPTO_OK or an error. */
int
ecc_sign_generate(struct ecc_signer *k)
{
	gcry_randomize(k->secret, ECC_KEY_LEN, GCRY_VERY_STRONG_RANDOM);
	return public_from_secret(k);
}

/*
 * Sign len bytes of data with k into sig. Returns CRYPTO_OK,
 * CRYPTO_E_TOO_BIG past ECC_DATA_MAX, or CRYPTO_E_LIBRARY.
 */
int
ecc_sign(const struct ecc_signer *k, const uint8_t *data, size_t len,
    uint8_t sig[ECC_SIG_LEN])
{
	gcry_sexp_t	 key = NULL, in = NULL, out = NULL;
	uint8_t		*part;
	size_t		 partlen;
	int		 r = CRYPTO_E_LIBRARY;

	/* Longer data is no error to libgcrypt: it calls abort(). */
	if (len > ECC_DATA_MAX)
		return CRYPTO_E_TOO_BIG;

	if (gcry_sexp_build(&key, NULL, "(private-key (ecc (curve Ed25519)"
	    "(flags eddsa)(q %b)(d %b)))", ECC_KEY_LEN, k->pub, ECC_KEY_LEN,
	    k->secret) != 0 ||
	    gcry_sexp_build(&in, NULL, "(data (flags eddsa)(hash-algo sha512)"
	    "(value %b))", (int)len, data) != 0 ||
	    gcry_pk_sign(&out, in, key) != 0)
		goto out;
	/* R and S are 32 bytes each; libgcrypt keeps their leading zeros
	 * for EdDSA, and crypto_sexp_bytes pads if it did not. */
	if (crypto_sexp_bytes(out, "r", ECC_KEY_LEN, &part, &partlen) != 0)
		goto out;
	memcpy(sig, part, ECC_KEY_LEN);
	free(part);
	if (crypto_sexp_bytes(out, "s", ECC_KEY_LEN, &part, &partlen) != 0)
		goto out;
	memcpy(sig + ECC_KEY_LEN, part, ECC_KEY_LEN);
	free(part);
	r = CRYPTO_OK;
out:
	gcry_sexp_release(out);
	gcry_sexp_release(in);
	gcry_sexp_release(key);
	return r;
}

/* Return 1 if the little-endian s is below L (RFC 8032 5.1.7). */
static int
scalar_canonical(const uint8_t s[ECC_KEY_LEN])
{
	/* S is public: no need for constant time. */
	for (size_t i = ECC_KEY_LEN; i-- > 0;) {
		if (s[i] != ed25519_order[i])
			return s[i] < ed25519_order[i];
	}
	return 0;
}

/*
 * Verify sig over len bytes of data with the public key pub. Returns
 * CRYPTO_OK, CRYPTO_E_SIGNATURE, CRYPTO_E_TOO_BIG past ECC_DATA_MAX, or
 * CRYPTO_E_LIBRARY.
 */
int
ecc_verify(const uint8_t pub[ECC_KEY_LEN], const uint8_t *data, size_t len,
    const uint8_t sig[ECC_SIG_LEN])
{
	gcry_sexp_t	key = NULL, in = NULL, s = NULL;
	int		r = CRYPTO_E_LIBRARY;

	/* The data may be anyone's: it must not reach libgcrypt's abort(). */
	if (len > ECC_DATA_MAX)
		return CRYPTO_E_TOO_BIG;
	/* Else S + L verifies too, and one signed message has two blobs. */
	if (!scalar_canonical(sig + ECC_KEY_LEN))
		return CRYPTO_E_SIGNATURE;
	if (gcry_sexp_build(&key, NULL, "(public-key (ecc (curve Ed25519)"
	    "(flags eddsa)(q %b)))", ECC_KEY_LEN, pub) != 0 ||
	    gcry_sexp_build(&in, NULL, "(data (flags eddsa)(hash-algo sha512)"
	    "(value %b))", (int)len, data) != 0 ||
	    gcry_sexp_build(&s, NULL, "(sig-val (eddsa (r %b)(s %b)))",
	    ECC_KEY_LEN, sig, ECC_KEY_LEN, sig + ECC_KEY_LEN) != 0)
		goto out;
	r = gcry_pk_verify(s, in, key) == 0 ? CRYPTO_OK : CRYPTO_E_SIGNATURE;
out:
	gcry_sexp_release(s);
	gcry_sexp_release(in);
	gcry_sexp_release(key);
	return r;
}

/* Make a fresh X25519 key pair: secret and pub. */
void
ecc_dh_generate(uint8_t secret[ECC_KEY_LEN], uint8_t pub[ECC_KEY_LEN])
{
	do {
		gcry_randomize(secret, ECC_KEY_LEN, GCRY_VERY_STRONG_RANDOM);
	} while (ecc_dh_public(secret, pub) != CRYPTO_OK);
}

/* Compute the X25519 public key of secret. Returns CRYPTO_OK or error. */
int
ecc_dh_public(const uint8_t secret[ECC_KEY_LEN], uint8_t pub[ECC_KEY_LEN])
{
	return ecc_dh(secret, x25519_base, pub);
}

/*
 * X25519(secret, peer) into shared (RFC 7748: the scalar is clamped, the
 * point's top bit ignored). Returns CRYPTO_OK, CRYPTO_E_KEY for the
 * all-zero result a low-order peer point gives, or CRYPTO_E_LIBRARY.
 */
int
ecc_dh(const uint8_t secret[ECC_KEY_LEN], const uint8_t peer[ECC_KEY_LEN],
    uint8_t shared[ECC_KEY_LEN])
{
	uint8_t	acc = 0;

	if (gcry_ecc_mul_point(GCRY_ECC_CURVE25519, shared, secret, peer) != 0)
		return CRYPTO_E_LIBRARY;
	/* Constant time: the secret shapes the result. */
	for (size_t i = 0; i < ECC_KEY_LEN; i++)
		acc |= shared[i];
	return acc == 0 ? CRYPTO_E_KEY : CRYPTO_OK;
}
