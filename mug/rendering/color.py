"""Colours as the anchor's Surface takes them: (r, g, b) tuples of ints, '#rgb'/'#rrggbb', or one of 20 names."""

from __future__ import annotations

import re

# The anchor's 20 names (its own set: cyan and magenta, no silver or fuchsia; mug.colors has the CSS basic set).
NAMED_COLORS: dict[str, str] = {
    "black": "#000000",
    "white": "#ffffff",
    "red": "#ff0000",
    "lime": "#00ff00",
    "blue": "#0000ff",
    "green": "#008000",
    "yellow": "#ffff00",
    "cyan": "#00ffff",
    "aqua": "#00ffff",
    "magenta": "#ff00ff",
    "orange": "#ffa500",
    "purple": "#800080",
    "pink": "#ffc0cb",
    "brown": "#a52a2a",
    "gray": "#808080",
    "grey": "#808080",
    "navy": "#000080",
    "teal": "#008080",
    "maroon": "#800000",
    "olive": "#808000",
}
_HEX = re.compile(r"#([0-9a-f]{3}|[0-9a-f]{6})")


def normalize_color(color: tuple[int, int, int] | str) -> str:
    """Lowercase '#rrggbb'. Only a tuple counts as RGB (a list is a TypeError), and only plain ints 0-255 in it."""
    if isinstance(color, tuple):
        if len(color) != 3:
            raise ValueError(f"an RGB tuple has 3 elements, got {len(color)}")
        if not all(isinstance(part, int) for part in color):
            raise ValueError(f"RGB tuple elements must be ints, got {color!r}")
        if not all(0 <= part <= 255 for part in color):
            raise ValueError(f"RGB values must be 0-255, got {color!r}")
        return "#{:02x}{:02x}{:02x}".format(*color)
    if isinstance(color, str):
        text = color.strip().lower()
        if text in NAMED_COLORS:
            return NAMED_COLORS[text]
        if _HEX.fullmatch(text):
            digits = text[1:]
            return "#" + (digits if len(digits) == 6 else "".join(d * 2 for d in digits))
        raise ValueError(f"unrecognised colour string {color!r}")
    raise TypeError(f"a colour is an (r, g, b) tuple or a str, got {type(color).__name__}")
