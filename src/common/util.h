/* Small helpers: XDG paths, directories, whole-file and whole-buffer I/O. */
#ifndef TVCHAT_UTIL_H
#define TVCHAT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

char	*util_xdg_path(const char *, const char *, const char *);
char	*util_dirname(const char *);
int	 util_mkdir_p(const char *, mode_t);
int	 util_write_all(int, const void *, size_t);
int	 util_write_file_atomic(const char *, const void *, size_t, mode_t);
int	 util_read_file(int, size_t, uint8_t **, size_t *);
int64_t	 util_now_ms(void);

#endif
