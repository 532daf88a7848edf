/* Video frames as colour ASCII art: JPEG -> libcaca canvas (no curses). */
#ifndef TVCHAT_RENDER_H
#define TVCHAT_RENDER_H

#include <stddef.h>
#include <stdint.h>

struct render {
	void		*canvas;	/* caca_canvas_t */
	void		*dither;	/* caca_dither_t, for dither_w x h */
	int		 dither_w, dither_h;
	uint32_t	*pixels;	/* 0x00RRGGBB */
	size_t		 npixels;
	int		 cols, rows;	/* of the last picture */
};

int	 render_init(struct render *);
void	 render_free(struct render *);
int	 render_jpeg(struct render *, const uint8_t *, size_t, int, int,
	    char *);
void	 render_cell(const struct render *, int, int, uint32_t *, int *,
	    int *);
char	*render_text(const struct render *);
void	 render_fit(int, int, int, int, int *, int *);
void	 render_pixels_for(int, int, int *, int *);

#endif
