#!/usr/bin/python3
"""Compare renderer output with the frame it was drawn from.

usage: picture.py FRAME.jpg ASCII.ansi BLOCKS.ansi
Each cell's colour as the eye sees it is computed from the ANSI text
(blocks: the mean of the two halves; ASCII: foreground and background
mixed by how much ink the character's glyph has), the frame is averaged
down to the same cells, and the mean absolute error is printed for each
renderer and for a flat grey picture, one "name error" line each.
"""

import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
SGR = re.compile(r"\x1b\[([0-9;]*)m")
# Ink of libcaca's shades and blocks characters, and of the half block.
BLOCKS = {"\u2580": 0.5, "\u2584": 0.5, "\u2591": 0.25, "\u2592": 0.5,
          "\u2593": 0.75, "\u2588": 1.0}


def palette():
    """The xterm 256-colour palette as RGB tuples."""
    pal = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0),
           (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
           (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0),
           (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255)]
    levels = [0, 95, 135, 175, 215, 255]
    pal += [(r, g, b) for r in levels for g in levels for b in levels]
    pal += [(8 + 10 * i,) * 3 for i in range(24)]
    return pal


def coverage():
    """Ink fraction of each printable ASCII character in an 8x16 cell."""
    font = ImageFont.truetype(FONT, 13)
    cov = {}
    for c in range(32, 127):
        im = Image.new("L", (8, 16), 0)
        ImageDraw.Draw(im).text((0, 0), chr(c), fill=255, font=font)
        cov[chr(c)] = sum(im.getdata()) / (255.0 * 8 * 16)
    return cov


def cells(path, pal, cov):
    """Rows of cell colours seen in an ANSI file of our renderers."""
    rows = []
    for line in open(path, encoding="utf-8").read().splitlines():
        fg = bg = (0, 0, 0)
        row, pos = [], 0
        while pos < len(line):
            m = SGR.match(line, pos)
            if m:
                p = [int(x) for x in m.group(1).split(";") if x]
                if p[:2] == [38, 5]:
                    fg = pal[p[2]]
                elif p[:2] == [48, 5]:
                    bg = pal[p[2]]
                pos = m.end()
                continue
            ch = line[pos]
            pos += 1
            k = BLOCKS.get(ch, cov.get(ch, 0.0))
            row.append(tuple(fg[i] * k + bg[i] * (1 - k) for i in range(3)))
        rows.append(row)
    return rows


def error(seen, source):
    """Mean absolute error per channel, 0-255."""
    total, n = 0.0, 0
    for y, row in enumerate(seen):
        for x, c in enumerate(row):
            s = source.getpixel((x, y))
            total += sum(abs(c[i] - s[i]) for i in range(3))
            n += 3
    return total / n


def main():
    pal, cov = palette(), coverage()
    ascii_cells = cells(sys.argv[2], pal, cov)
    blocks_cells = cells(sys.argv[3], pal, cov)
    w, h = len(ascii_cells[0]), len(ascii_cells)
    source = Image.open(sys.argv[1]).convert("RGB").resize((w, h),
                                                            Image.BOX)
    grey = [[(128, 128, 128)] * w for _ in range(h)]
    print("ascii %.2f" % error(ascii_cells, source))
    print("blocks %.2f" % error(blocks_cells, source))
    print("grey %.2f" % error(grey, source))


if __name__ == "__main__":
    main()
