/* Helpers shared by the fuzz targets that run the client and its files. */
#ifndef TVCHAT_FUZZ_UTIL_H
#define TVCHAT_FUZZ_UTIL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "crypto.h"

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

#endif
