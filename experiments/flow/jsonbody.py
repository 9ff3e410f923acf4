"""JSON that browsers send, parsed strictly: NaN, Infinity, numbers too large for a float (1e400, or an integer
past float range) or too long for an int, text no database stores (NUL characters, lone surrogates) and values
nested deeper than anything a page sends are refused like malformed JSON (anything a browser sends may be forged;
such values would fail later, when stored or sent on)."""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

from experiments.definition.errors import ApplicationError

MAX_INT = int(sys.float_info.max)  # the largest integer a browser can send (as a double)
MAX_DEPTH = 64  # nested lists and objects; a step row's observations are a few levels deep
# Only JSON escapes can put these in a string (the raw characters are invalid JSON or invalid UTF-8).
UNSTORABLE_ESCAPE = re.compile(rb"\\u(0000|[dD][89a-fA-F])")
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # after parsing, a surrogate left over is a lone one


class BadJson(ApplicationError):
    """Not JSON this server takes; the message says why."""


def _no_constants(name: str) -> float:
    raise BadJson(f"{name} is not a valid number here; values must be finite")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadJson(f"{text[:20]} is not a valid number here; values must be finite")
    return value


def _float_sized(text: str) -> int:
    # A browser's numbers are doubles, so an integer past float range is forged; it would raise OverflowError (a
    # 500) wherever it meets a float (math.isfinite, a comparison's conversion, a float column).
    value = int(text)
    if abs(value) > MAX_INT:
        raise BadJson(f"{text[:20]}... is not a valid number here; integers must be within float range")
    return value


def parse_json(raw: bytes | str) -> Any:
    """The JSON value in `raw`, or BadJson."""
    try:
        value = json.loads(raw, parse_constant=_no_constants, parse_float=_finite, parse_int=_float_sized)
    except BadJson:
        raise
    except RecursionError:
        raise BadJson(f"values may be nested at most {MAX_DEPTH} deep") from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, an int past Python's digit limit
        raise BadJson(str(error)) from None
    escapes = UNSTORABLE_ESCAPE.search(raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass"))
    problem = _problem(value, check_strings=escapes is not None)
    if problem:
        raise BadJson(problem)
    return value


def _problem(value: Any, check_strings: bool) -> str | None:
    """What is wrong with a parsed value: nesting past MAX_DEPTH, or unstorable text (walked without recursion)."""
    kinds = (dict, list, str) if check_strings else (dict, list)
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"values may be nested at most {MAX_DEPTH} deep"
        if check_strings and any(isinstance(s, str) and UNSTORABLE.search(s) for s in _strings(item)):
            return "text may not contain NUL characters or lone surrogates"
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, kinds))
    return None


def _strings(item: Any) -> list:
    return [item] if isinstance(item, str) else list(item) if isinstance(item, dict) else []


def message_type(content: Any) -> str | None:
    """A socket message's type: a string, or None for anything else (a list or object there is forged)."""
    kind = content.get("type") if isinstance(content, dict) else None
    return kind if isinstance(kind, str) else None
