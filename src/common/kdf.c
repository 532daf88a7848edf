/*
 * HMAC-SHA256, and HKDF-SHA256 as RFC 5869 defines it (extract, then
 * expand), written over gcry_mac because libgcrypt 1.10 has no HKDF. The
 * sender-key ratchet (senderkey.c) and the pairwise distribution
 * (distribution.c) derive every key through here.
 */
#include "config.h"

#include <string.h>

#include <gcrypt.h>

#include "crypto.h"
#include "kdf.h"

/*
 * Compute HMAC-SHA256 of data under key into out. Returns CRYPTO_OK, or
 * CRYPTO_E_LIBRARY if libgcrypt refused.
 */
int
kdf_hmac(const uint8_t *key, size_t keylen, const uint8_t *data,
    size_t len, uint8_t out[KDF_HASH_LEN])
{
	gcry_mac_hd_t	h;
	size_t		outlen = KDF_HASH_LEN;
	int		r = CRYPTO_OK;

	if (gcry_mac_open(&h, GCRY_MAC_HMAC_SHA256, GCRY_MAC_FLAG_SECURE,
	    NULL) != 0)
		return CRYPTO_E_LIBRARY;
	/* An empty key is legal HMAC (RFC 5869 case 3 uses one); libgcrypt
	 * wants a pointer all the same. */
	if (gcry_mac_setkey(h, keylen > 0 ? key : (const uint8_t *)"",
	    keylen) != 0 ||
	    (len > 0 && gcry_mac_write(h, data, len) != 0) ||
	    gcry_mac_read(h, out, &outlen) != 0 || outlen != KDF_HASH_LEN)
		r = CRYPTO_E_LIBRARY;
	gcry_mac_close(h);
	return r;
}

/* Compute one expand block T(i) = HMAC(prk, T(i-1) | info | i) into t. */
static int
expand_block(const uint8_t prk[KDF_HASH_LEN], const uint8_t *prev,
    size_t prevlen, const uint8_t *info, size_t infolen, uint8_t counter,
    uint8_t t[KDF_HASH_LEN])
{
	gcry_mac_hd_t	h;
	size_t		outlen = KDF_HASH_LEN;
	int		r = CRYPTO_OK;

	if (gcry_mac_open(&h, GCRY_MAC_HMAC_SHA256, GCRY_MAC_FLAG_SECURE,
	    NULL) != 0)
		return CRYPTO_E_LIBRARY;
	if (gcry_mac_setkey(h, prk, KDF_HASH_LEN) != 0 ||
	    (prevlen > 0 && gcry_mac_write(h, prev, prevlen) != 0) ||
	    (infolen > 0 && gcry_mac_write(h, info, infolen) != 0) ||
	    gcry_mac_write(h, &counter, 1) != 0 ||
	    gcry_mac_read(h, t, &outlen) != 0 || outlen != KDF_HASH_LEN)
		r = CRYPTO_E_LIBRARY;
	gcry_mac_close(h);
	return r;
}

/*
 * HKDF-SHA256: extract a pseudorandom key from ikm with salt (an empty
 * salt means 32 zero bytes, as the RFC says), then expand it with info
 * into outlen bytes of out. Returns CRYPTO_OK, CRYPTO_E_TOO_BIG past
 * 255 blocks, or CRYPTO_E_LIBRARY.
 */
int
kdf_hkdf(const uint8_t *salt, size_t saltlen, const uint8_t *ikm,
    size_t ikmlen, const uint8_t *info, size_t infolen, uint8_t *out,
    size_t outlen)
{
	static const uint8_t	zero[KDF_HASH_LEN];
	uint8_t			prk[KDF_HASH_LEN], t[KDF_HASH_LEN];
	size_t			done = 0, tlen = 0, n;
	uint8_t			counter = 0;
	int			r;

	if (outlen > KDF_OUT_MAX)
		return CRYPTO_E_TOO_BIG;
	if (saltlen == 0) {
		salt = zero;
		saltlen = sizeof zero;
	}
	if ((r = kdf_hmac(salt, saltlen, ikm, ikmlen, prk)) != CRYPTO_OK)
		return r;
	while (done < outlen) {
		r = expand_block(prk, t, tlen, info, infolen, ++counter, t);
		if (r != CRYPTO_OK)
			break;
		tlen = sizeof t;
		n = outlen - done < sizeof t ? outlen - done : sizeof t;
		memcpy(out + done, t, n);
		done += n;
	}
	explicit_bzero(prk, sizeof prk);
	explicit_bzero(t, sizeof t);
	return r;
}
