#!/usr/bin/env python3
"""Turns a terminal screen captured with colours (`tmux capture-pane -e -p`) into an SVG.

Usage: render-screenshot.py [--cols 120] [--rows 36] [--title TEXT] < screen.ans > screen.svg

Standard library only. It understands the SGR codes tmux emits: 24-bit (`38;2;r;g;b`,
`48;2;...`), 256-colour (`38;5;n`) and the basic and bright colours, bold, dim, italic,
underline and reverse. Each run of cells with one style becomes a `<tspan>` placed at its
column, so a font whose advance is not exactly the cell width cannot push text out of its
column; box-drawing characters are drawn as lines, so borders join across rows.
"""

import argparse
import re
import sys
import unicodedata
from xml.sax.saxutils import escape

CELL_W = 8.4
CELL_H = 17.0
FONT_SIZE = 14
PAD = 14
# The dark theme's own background and text colours (themes/dark.yaml).
DEFAULT_FG = "#c0caf5"
DEFAULT_BG = "#1a1b26"
FONT = "'DejaVu Sans Mono', 'SFMono-Regular', Menlo, Consolas, 'Liberation Mono', monospace"

# xterm's 16 colours.
BASIC = [
    "#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
    "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff",
]


def color256(n):
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    level = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (level, level, level)


class Style:
    __slots__ = ("fg", "bg", "bold", "dim", "italic", "underline", "reverse")

    def __init__(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = False

    def copy(self):
        s = Style()
        for k in Style.__slots__:
            setattr(s, k, getattr(self, k))
        return s

    def key(self):
        return tuple(getattr(self, k) for k in Style.__slots__)

    def colors(self):
        """(fg, bg) as drawn, with reverse applied; bg None means the canvas."""
        fg, bg = self.fg or DEFAULT_FG, self.bg
        if self.reverse:
            fg, bg = bg or DEFAULT_BG, fg
        return fg, bg


def apply_sgr(style, params):
    codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0:
            style = Style()
        elif c == 1:
            style.bold = True
        elif c == 2:
            style.dim = True
        elif c == 3:
            style.italic = True
        elif c == 4:
            style.underline = True
        elif c == 7:
            style.reverse = True
        elif c == 22:
            style.bold = style.dim = False
        elif c == 23:
            style.italic = False
        elif c == 24:
            style.underline = False
        elif c == 27:
            style.reverse = False
        elif 30 <= c <= 37:
            style.fg = BASIC[c - 30]
        elif 40 <= c <= 47:
            style.bg = BASIC[c - 40]
        elif 90 <= c <= 97:
            style.fg = BASIC[c - 90 + 8]
        elif 100 <= c <= 107:
            style.bg = BASIC[c - 100 + 8]
        elif c == 39:
            style.fg = None
        elif c == 49:
            style.bg = None
        elif c in (38, 48) and i + 1 < len(codes):
            color = None
            if codes[i + 1] == 5 and i + 2 < len(codes):
                color = color256(codes[i + 2])
                i += 2
            elif codes[i + 1] == 2 and i + 4 < len(codes):
                color = "#%02x%02x%02x" % tuple(max(0, min(255, v)) for v in codes[i + 2:i + 5])
                i += 4
            if c == 38:
                style.fg = color
            else:
                style.bg = color
        i += 1
    return style


ESCAPE = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\x1b[()][A-Za-z0-9]|\x1b.")


def parse(text, cols, rows):
    """The screen as rows of cells: (char, style); a wide char's second cell is (None, style)."""
    screen = []
    # tmux carries the attributes over from one line to the next: only changes are written.
    style = Style()
    for line in text.split("\n")[:rows]:
        cells = []
        pos = 0
        for m in ESCAPE.finditer(line):
            add_text(cells, line[pos:m.start()], style)
            if m.group(2) == "m":
                style = apply_sgr(style.copy(), m.group(1))
            pos = m.end()
        add_text(cells, line[pos:], style)
        screen.append(cells[:cols])
    while len(screen) < rows:
        screen.append([])
    for cells in screen:
        while len(cells) < cols:
            cells.append((" ", Style()))
    return screen


def add_text(cells, text, style):
    for ch in text:
        if ch in "\r\x07" or (ord(ch) < 32 and ch != "\t"):
            continue
        if unicodedata.combining(ch) and cells:
            prev, s = cells[-1]
            cells[-1] = ((prev or "") + ch, s)
            continue
        cells.append((ch, style))
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            cells.append((None, style))


# Box drawing: (up, right, down, left) arms; 1 light, 2 heavy, 3 double.
BOX = {
    "─": (0, 1, 0, 1), "━": (0, 2, 0, 2), "│": (1, 0, 1, 0), "┃": (2, 0, 2, 0),
    "═": (0, 3, 0, 3), "║": (3, 0, 3, 0),
    "┌": (0, 1, 1, 0), "┐": (0, 0, 1, 1), "└": (1, 1, 0, 0), "┘": (1, 0, 0, 1),
    "┏": (0, 2, 2, 0), "┓": (0, 0, 2, 2), "┗": (2, 2, 0, 0), "┛": (2, 0, 0, 2),
    "╔": (0, 3, 3, 0), "╗": (0, 0, 3, 3), "╚": (3, 3, 0, 0), "╝": (3, 0, 0, 3),
    "├": (1, 1, 1, 0), "┤": (1, 0, 1, 1), "┬": (0, 1, 1, 1), "┴": (1, 1, 0, 1),
    "┼": (1, 1, 1, 1), "┣": (2, 2, 2, 0), "┫": (2, 0, 2, 2), "┳": (0, 2, 2, 2),
    "┻": (2, 2, 0, 2), "╋": (2, 2, 2, 2),
    "╴": (0, 0, 0, 1), "╵": (1, 0, 0, 0), "╶": (0, 1, 0, 0), "╷": (0, 0, 1, 0),
}
ARCS = {"╭": (1, 1), "╮": (-1, 1), "╰": (1, -1), "╯": (-1, -1)}  # (towards x, towards y)
WIDTH = {1: 1.2, 2: 2.6}
GAP = 1.6  # half the distance between the two lines of a double line


def box_parts(ch, x, y, color, segments, paths):
    """Adds the lines of a box-drawing character in the cell at (x, y): straight pieces to
    `segments` (joined with their neighbours later, so a border is one line, without seams),
    curves and double corners to `paths`."""
    cx, cy = x + CELL_W / 2, y + CELL_H / 2
    right, bottom = x + CELL_W, y + CELL_H

    def hline(yy, x1, x2, weight=1):
        if x2 - x1 > 0.01:
            segments.append((color, WIDTH[weight], "h", round(yy, 2), round(x1, 2), round(x2, 2)))

    def vline(xx, y1, y2, weight=1):
        if y2 - y1 > 0.01:
            segments.append((color, WIDTH[weight], "v", round(xx, 2), round(y1, 2), round(y2, 2)))

    if ch in ARCS:
        sx, sy = ARCS[ch]
        r = CELL_W / 2
        hline(cy, *sorted((right if sx > 0 else x, cx + sx * r)))
        vline(cx, *sorted((bottom if sy > 0 else y, cy + sy * r)))
        paths.append(
            (color, "M%.2f %.2fQ%.2f %.2f %.2f %.2f" % (cx + sx * r, cy, cx, cy, cx, cy + sy * r))
        )
        return
    up, rt, dn, lf = BOX[ch]
    if 3 in (up, rt, dn, lf):
        # Double lines: straight ones, or corners drawn as two nested elbows.
        if (up, dn) == (3, 3) and not rt and not lf:
            for off in (-GAP, GAP):
                vline(cx + off, y, bottom)
        elif (rt, lf) == (3, 3) and not up and not dn:
            for off in (-GAP, GAP):
                hline(cy + off, x, right)
        else:
            sx = 1 if rt else -1
            sy = 1 if dn else -1
            ex = right if sx > 0 else x
            ey = bottom if sy > 0 else y
            for side in (-1, 1):  # the outer elbow, then the inner one
                px, py = cx + side * sx * GAP, cy + side * sy * GAP
                hline(py, *sorted((ex, px)))
                vline(px, *sorted((py, ey)))
        return
    # Each arm runs from the centre to the edge; square caps close the corners.
    if up:
        vline(cx, y, cy, up)
    if dn:
        vline(cx, cy, bottom, dn)
    if lf:
        hline(cy, x, cx, lf)
    if rt:
        hline(cy, cx, right, rt)


def joined(segments):
    """Straight pieces of one colour and width on one line, end to end, as single lines."""
    out = []
    for seg in sorted(segments):
        color, width, axis, fixed, start, end = seg
        last = out[-1] if out else None
        if last and last[:4] == (color, width, axis, fixed) and start <= last[5] + 0.01:
            out[-1] = last[:5] + (max(end, last[5]),)
        else:
            out.append(seg)
    return out


def render(screen, cols, rows, title=None):
    width = cols * CELL_W + 2 * PAD
    height = rows * CELL_H + 2 * PAD
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" '
        'viewBox="0 0 %.1f %.1f" font-family="%s" font-size="%d">'
        % (width, height, width, height, FONT, FONT_SIZE)
    ]
    if title:
        out.append("<title>%s</title>" % escape(title))
    out.append('<rect width="100%%" height="100%%" rx="8" fill="%s"/>' % DEFAULT_BG)
    # Backgrounds: one rectangle per run of one colour.
    for r, cells in enumerate(screen):
        c = 0
        while c < cols:
            bg = cells[c][1].colors()[1]
            end = c + 1
            while end < cols and cells[end][1].colors()[1] == bg:
                end += 1
            if bg is not None:
                out.append(
                    '<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>'
                    % (PAD + c * CELL_W, PAD + r * CELL_H, (end - c) * CELL_W, CELL_H, bg)
                )
            c = end
    # Box drawing as lines.
    segments, paths = [], []
    for r, cells in enumerate(screen):
        for c, (ch, style) in enumerate(cells):
            if ch and (ch in BOX or ch in ARCS):
                x, y = PAD + c * CELL_W, PAD + r * CELL_H
                box_parts(ch, x, y, style.colors()[0], segments, paths)
    if segments or paths:
        out.append('<g fill="none" stroke-linecap="square">')
        for color, width, axis, fixed, start, end in joined(segments):
            if axis == "h":
                d = "M%.2f %.2fH%.2f" % (start, fixed, end)
            else:
                d = "M%.2f %.2fV%.2f" % (fixed, start, end)
            out.append('<path d="%s" stroke="%s" stroke-width="%.1f"/>' % (d, color, width))
        for color, d in paths:
            out.append('<path d="%s" stroke="%s" stroke-width="%.1f"/>' % (d, color, WIDTH[1]))
        out.append("</g>")
    # Text: one <text> per row, one <tspan> per run of one style, placed at its column.
    baseline = CELL_H * 0.78
    for r, cells in enumerate(screen):
        spans = []
        c = 0
        while c < cols:
            style = cells[c][1]
            end = c + 1
            while end < cols and cells[end][1].key() == style.key():
                end += 1
            spans.extend(text_spans([(i, cells[i][0]) for i in range(c, end)], style))
            c = end
        if spans:
            out.append(
                '<text y="%.1f" xml:space="preserve">%s</text>'
                % (PAD + r * CELL_H + baseline, "".join(spans))
            )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def text_spans(run, style):
    """`<tspan>`s for a run of `(column, char)` in one style. Drawn box characters and gaps of
    two or more spaces are left out, so each piece of text is placed at its own column."""
    fg, _ = style.colors()
    attrs = ['fill="%s"' % fg]
    if style.bold:
        attrs.append('font-weight="bold"')
    if style.italic:
        attrs.append('font-style="italic"')
    if style.underline:
        attrs.append('text-decoration="underline"')
    if style.dim:
        attrs.append('opacity="0.6"')
    spans = []
    pieces = []  # [start column, text]
    current = None
    gap = 0  # spaces since the current piece's last character
    for col, ch in run:
        if ch is None:  # the second cell of a wide character
            continue
        if ch in BOX or ch in ARCS:
            current, gap = None, 0
            continue
        if ch == " ":
            gap += 1
            if gap >= 2:
                current = None
            continue
        if current is None:
            current = [col, ""]
            pieces.append(current)
        else:
            current[1] += " " * gap
        gap = 0
        current[1] += ch
    for start, text in pieces:
        if text:
            spans.append(
                '<tspan x="%.1f" %s>%s</tspan>'
                % (PAD + start * CELL_W, " ".join(attrs), escape(text))
            )
    return spans


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cols", type=int, default=120)
    parser.add_argument("--rows", type=int, default=36)
    parser.add_argument("--title", default=None)
    args = parser.parse_args()
    text = sys.stdin.read()
    screen = parse(text, args.cols, args.rows)
    sys.stdout.write(render(screen, args.cols, args.rows, args.title))


if __name__ == "__main__":
    main()
