/*
 * AES-256-GCM for the sender-key formats (senderkey.c, distribution.c):
 * every key is used for one message only, so the nonce a KDF derives
 * with it is never repeated under it.
 */
#include "config.h"

#include <string.h>

#include <gcrypt.h>

#include "aead.h"
#include "crypto.h"

/* Open a GCM handle with key and nonce and feed it aad; NULL on failure. */
static gcry_cipher_hd_t
start(const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
    size_t aadlen)
{
	gcry_cipher_hd_t	h;

	if (gcry_cipher_open(&h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM,
	    0) != 0)
		return NULL;
	if (gcry_cipher_setkey(h, key, AEAD_KEY_LEN) != 0 ||
	    gcry_cipher_setiv(h, nonce, AEAD_NONCE_LEN) != 0 ||
	    gcry_cipher_authenticate(h, aad, aadlen) != 0) {
		gcry_cipher_close(h);
		return NULL;
	}
	return h;
}

/*
 * Encrypt len bytes of in into out (as long) and make the tag, binding
 * aadlen bytes of aad. Returns CRYPTO_OK or CRYPTO_E_LIBRARY.
 */
int
aead_seal(const uint8_t key[AEAD_KEY_LEN], const uint8_t nonce[AEAD_NONCE_LEN],
    const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t len,
    uint8_t *out, uint8_t tag[AEAD_TAG_LEN])
{
	gcry_cipher_hd_t	h;
	int			r = CRYPTO_E_LIBRARY;

	if ((h = start(key, nonce, aad, aadlen)) == NULL)
		return r;
	if (gcry_cipher_final(h) == 0 &&
	    gcry_cipher_encrypt(h, out, len > 0 ? len : 1, in, len) == 0 &&
	    gcry_cipher_gettag(h, tag, AEAD_TAG_LEN) == 0)
		r = CRYPTO_OK;
	gcry_cipher_close(h);
	return r;
}

/*
 * Decrypt len bytes of in into out and check tag. Returns CRYPTO_OK,
 * CRYPTO_E_AUTH (out then holds nothing to use), or CRYPTO_E_LIBRARY.
 */
int
aead_open(const uint8_t key[AEAD_KEY_LEN], const uint8_t nonce[AEAD_NONCE_LEN],
    const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t len,
    const uint8_t tag[AEAD_TAG_LEN], uint8_t *out)
{
	gcry_cipher_hd_t	h;
	int			r = CRYPTO_E_LIBRARY;

	if ((h = start(key, nonce, aad, aadlen)) == NULL)
		return r;
	if (gcry_cipher_final(h) == 0 &&
	    gcry_cipher_decrypt(h, out, len > 0 ? len : 1, in, len) == 0)
		r = gcry_cipher_checktag(h, tag, AEAD_TAG_LEN) == 0 ?
		    CRYPTO_OK : CRYPTO_E_AUTH;
	gcry_cipher_close(h);
	if (r != CRYPTO_OK)
		explicit_bzero(out, len);
	return r;
}
