/* Text from the network made safe for a terminal: what is never raw. */
#ifndef TVCHAT_SCREENTEXT_H
#define TVCHAT_SCREENTEXT_H

#include <stddef.h>
#include <stdint.h>

/* Room for the longest visible form, "<U+10FFFF>", and a NUL. */
#define SCREENTEXT_ESCAPE_MAX	12

int	 screentext_control(uint32_t);
size_t	 screentext_escape(uint32_t, char *);
int	 screentext_width(uint32_t);
int	 screentext_text_width(const char *, size_t);
char	*screentext_safe(const char *, size_t);
char	*screentext_json(const char *);

#endif
