/* The popup window (OpenCV highgui), used by tvchat-viewer only. */
#ifndef TVCHAT_WINDOW_H
#define TVCHAT_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

int	window_open(const char *);
int	window_show(const uint8_t *, size_t);
int	window_poll(int);
void	window_close(void);

#ifdef __cplusplus
}
#endif

#endif
