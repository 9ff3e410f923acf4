"""Colour names, #rgb/#rrggbb strings and (r, g, b) tuples, normalised to lowercase #rrggbb."""

from __future__ import annotations

import re
from typing import Any

NAMED = {
    "black": "#000000",
    "silver": "#c0c0c0",
    "gray": "#808080",
    "grey": "#808080",
    "white": "#ffffff",
    "maroon": "#800000",
    "red": "#ff0000",
    "purple": "#800080",
    "fuchsia": "#ff00ff",
    "green": "#008000",
    "lime": "#00ff00",
    "olive": "#808000",
    "yellow": "#ffff00",
    "navy": "#000080",
    "blue": "#0000ff",
    "teal": "#008080",
    "aqua": "#00ffff",
    "orange": "#ffa500",
    "pink": "#ffc0cb",
    "brown": "#a52a2a",
}
HEX_RE = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
# Colour strings already seen, normalised: envs draw the same few colours every frame (bounded, so an env that
# builds a new string per frame cannot grow it without limit).
_SEEN: dict[str, str] = {}
_SEEN_MAX = 4096


def normalize_color(value: Any) -> str | None:
    """None stays None (no fill or no stroke); anything unrecognised raises with the value in the message."""
    if value is None:
        return None
    if type(value) is str and value in _SEEN:
        return _SEEN[value]
    if isinstance(value, str):
        normalized = _normalize_text(value)
        if type(value) is str and len(_SEEN) < _SEEN_MAX:
            _SEEN[value] = normalized
        return normalized
    if isinstance(value, (tuple, list)):
        if len(value) != 3 or not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in value):
            raise ValueError(f"an RGB colour needs three ints from 0 to 255, got {value!r}")
        return "#{:02x}{:02x}{:02x}".format(*value)
    raise TypeError(f"a colour must be a str, an (r, g, b) tuple or None, got {type(value).__name__}")


def _normalize_text(value: str) -> str:
    text = value.strip().lower()
    if text in NAMED:
        return NAMED[text]
    if HEX_RE.match(text):
        digits = text[1:]
        return "#" + ("".join(c * 2 for c in digits) if len(digits) == 3 else digits)
    raise ValueError(f"unknown colour {value!r}; use a name, '#rgb', '#rrggbb' or an (r, g, b) tuple")
