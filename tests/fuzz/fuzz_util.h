/* Helpers shared by the fuzz targets that run the client and its files. */
#ifndef TVCHAT_FUZZ_UTIL_H
#define TVCHAT_FUZZ_UTIL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "crypto.h"
#include "distribution.h"

void	 fuzz_fail(const char *, const char *) __attribute__((noreturn));
void	 fuzz_set_name(const char *);
void	 fuzz_quiet(int);
char	*fuzz_tempdir(void);
char	*fuzz_path(const char *);
void	 fuzz_write_file(const char *, const void *, size_t, mode_t);
struct crypto_key *fuzz_load_key(const char *);
void	 fuzz_check_event(json_object *);
void	 fuzz_check_event_order(json_object *, int *);
size_t	 fuzz_next_chunk(uint8_t, uint32_t *);
/* Bob's fixed prekey secret (make-corpus.sh seals sessions to it). */
extern const uint8_t fuzz_bob_prekey[ECC_KEY_LEN];
struct keystore;

void	 fuzz_prekey_new(struct prekey *);
struct keystore *fuzz_keystore(const struct crypto_key *, const char *);
json_object *fuzz_prekey_json(const struct crypto_key *, const char *,
	    const struct prekey *);

#endif
