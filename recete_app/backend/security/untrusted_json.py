"""Parsing a JSON body from outside, with bounds: nesting depth and the size of a number.

Python's parser recurses once per nesting level and turns every run of digits into an int, so a
body of 100,000 brackets or a 5,000-digit number raised RecursionError or ValueError out of the
parser and became a 500 with a long traceback. Receivers call this only after the signature
has been checked over the raw bytes, so an unsigned body costs no parse at all.
"""

from __future__ import annotations

import json
from typing import Any

from recete_app.backend.errors import RecetError

MAX_DEPTH = 64
MAX_NUMBER_CHARS = 40  # an id of 20 digits, a price with decimals: far below this


def _malformed(message: str) -> RecetError:
    return RecetError(message, code="malformed_json")


def _bounded_int(digits: str) -> int:
    if len(digits) > MAX_NUMBER_CHARS:
        raise _malformed(f"A number in the body is longer than {MAX_NUMBER_CHARS} characters.")
    return int(digits)


def _bounded_float(digits: str) -> float:
    if len(digits) > MAX_NUMBER_CHARS:
        raise _malformed(f"A number in the body is longer than {MAX_NUMBER_CHARS} characters.")
    return float(digits)


def _no_constant(name: str) -> Any:
    raise _malformed(f"{name} is not a JSON number.")


def _too_deep(raw: bytes) -> bool:
    """Deeper than MAX_DEPTH, counted without the parser. Counting brackets is C-speed and
    settles the common case (a webhook has far fewer than MAX_DEPTH of them); only a body with
    more is walked, ignoring brackets inside strings."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def parse_object(raw: bytes) -> tuple[dict[str, Any], str]:
    """The body as a JSON object and as text; a 400 "malformed_json" error for anything else."""
    if _too_deep(raw):
        raise _malformed(f"The body is nested deeper than {MAX_DEPTH} levels.")
    try:
        text = raw.decode("utf-8")
        parsed = json.loads(
            text,
            parse_int=_bounded_int,
            parse_float=_bounded_float,
            parse_constant=_no_constant,
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _malformed("The request body is not valid JSON.") from None
    if not isinstance(parsed, dict):
        raise _malformed("The request body must be a JSON object.")
    return parsed, text
