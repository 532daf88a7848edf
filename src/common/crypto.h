/* Identity keys, fingerprints, signatures and the error codes of the
 * crypto family (libgcrypt). */
#ifndef TVCHAT_CRYPTO_H
#define TVCHAT_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define CRYPTO_RSA_BITS		3072
#define CRYPTO_RSA_MIN_BITS	2048
#define CRYPTO_RSA_MAX_BITS	4096
#define CRYPTO_KEY_LEN		32	/* AES-256 */
#define CRYPTO_IV_LEN		12
#define CRYPTO_TAG_LEN		16
#define CRYPTO_SALT_LEN		32
#define CRYPTO_FINGERPRINT_LEN	(7 + 43 + 1)	/* "SHA256:" + b64 + NUL */
#define CRYPTO_IDENTITY_MAX	(64 * 1024)
#define CRYPTO_FIELD_MAX	256	/* longest name, room or id signed */

#define CRYPTO_HELLO_CONTEXT	"tvchat-hello-v1"

enum crypto_error {
	CRYPTO_OK = 0,
	CRYPTO_E_LIBRARY = -1,
	CRYPTO_E_IO = -2,
	CRYPTO_E_PERMS = -3,
	CRYPTO_E_FORMAT = -4,
	CRYPTO_E_KEY = -5,
	CRYPTO_E_NOT_RECIPIENT = -6,
	CRYPTO_E_SIGNATURE = -7,
	CRYPTO_E_UNWRAP = -8,
	CRYPTO_E_AUTH = -9,
	CRYPTO_E_NO_PRIVATE = -10,
	CRYPTO_E_RECIPIENTS = -11,
	CRYPTO_E_TOO_BIG = -12,
	CRYPTO_E_VERSION = -13,
	CRYPTO_E_REPLAY = -14,
	CRYPTO_E_BEFORE = -15,
	CRYPTO_E_EXPIRED = -16,
	CRYPTO_E_TOO_FAR = -17,
	CRYPTO_E_SENDER = -18,
	CRYPTO_E_TARGET = -19,
	CRYPTO_E_NO_SESSION = -20,
};

struct crypto_key;

const char	*crypto_strerror(int);
void		 crypto_init(void);

int		 crypto_key_generate(struct crypto_key **);
void		 crypto_key_free(struct crypto_key *);
int		 crypto_key_has_private(const struct crypto_key *);
unsigned int	 crypto_key_bits(const struct crypto_key *);
const char	*crypto_key_fingerprint(const struct crypto_key *);
json_object	*crypto_key_to_jwk(const struct crypto_key *);
int		 crypto_key_from_jwk(json_object *, struct crypto_key **);
int		 crypto_key_equal(const struct crypto_key *,
		    const struct crypto_key *);
int		 crypto_thumbprint(const char *, const char *, uint8_t *);

int		 crypto_identity_save(const struct crypto_key *, const char *);
int		 crypto_identity_load(const char *, struct crypto_key **);
char		*crypto_identity_path(void);

void		 crypto_random(uint8_t *, size_t);
int		 crypto_hello_sign(const struct crypto_key *, const uint8_t *,
		    size_t, const char *, char **);
int		 crypto_hello_verify(const struct crypto_key *,
		    const uint8_t *, size_t, const char *, const char *);


#endif
