/* Video frames as colour ASCII art: JPEG -> libcaca canvas (no curses). */
#ifndef TVCHAT_RENDER_H
#define TVCHAT_RENDER_H

#include <stddef.h>
#include <stdint.h>

enum render_mode {
	RENDER_ASCII,	/* libcaca: characters in 16 colours */
	RENDER_BLOCKS,	/* upper half blocks: two pixels per cell */
};

enum render_dither {
	DITHER_NONE,
	DITHER_ORDERED,	/* the default: stable between frames */
	DITHER_FSTEIN,	/* Floyd-Steinberg: finer, but flickers */
};

struct render {
	enum render_mode mode;
	enum render_dither dither_mode;
	const char	*charset;	/* "ascii", "shades" or "blocks" */
	int		 settings_changed;
	void		*canvas;	/* caca_canvas_t */
	void		*dither;	/* caca_dither_t, for dither_w x h */
	int		 dither_w, dither_h;
	uint32_t	*pixels;	/* 0x00RRGGBB */
	size_t		 npixels;
	int		 cols, rows;	/* of the last picture */
	uint32_t	*top, *bottom;	/* blocks: 0xRRGGBB per cell */
	size_t		 ncells;
};

int	 render_init(struct render *);
void	 render_free(struct render *);
int	 render_jpeg(struct render *, const uint8_t *, size_t, int, int,
	    char *);
void	 render_cell(const struct render *, int, int, uint32_t *, int *,
	    int *);
char	*render_text(const struct render *);
char	*render_ansi(const struct render *, int);
void	 render_fit(int, int, int, int, int *, int *);
void	 render_pixels_for(int, int, int, int *, int *);
int	 render_set(struct render *, const char *, const char *);
const char *render_describe(const struct render *);
uint8_t	 render_xterm256(uint32_t);
uint8_t	 render_ansi16(uint32_t);
void	 render_cell_rgb(const struct render *, int, int, uint32_t *,
	    uint32_t *);
struct video_image;
void	 render_blocks_image(struct render *, const struct video_image *, int,
	    int);

#endif
