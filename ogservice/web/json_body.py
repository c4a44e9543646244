"""Strict JSON request bodies: every JSON endpoint reads its body here, or answers 400 saying why.

Python's json module nests by recursion (a deep enough body raised RecursionError, a 500), accepts
NaN and Infinity (not JSON), reads 1e400 as infinity, keeps the last of repeated keys silently and
lets "\\ud800" through as a lone surrogate. Request bodies are small objects, so nesting is capped
well below the interpreter's limit, before parsing.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Request

from ..errors import BadRequest

MAX_DEPTH = 32  # bodies are objects of scalars and short lists; 32 leaves ample room
# A string (brackets inside it do not nest) or a bracket, matched left to right in one pass: an
# unterminated string runs to the end, so no text is scanned twice.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)|([\[\]{}])', re.DOTALL)
INVALID = "JSON body is not valid JSON"


def json_object(request: Request, example: str) -> dict[str, Any]:
    """The body as a JSON object; BadRequest (400) for anything else. `example` shows a valid body."""
    if not request.is_json:
        raise BadRequest(f"expected a JSON object body (Content-Type: application/json), e.g. {example}")
    try:
        text = request.get_data(cache=True).decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(f"{INVALID}: it is not UTF-8") from None
    if _nests_deeper(text, MAX_DEPTH):
        raise BadRequest(f"JSON body nests deeper than {MAX_DEPTH} levels")
    body = _parse(text)
    if not isinstance(body, dict):
        raise BadRequest(f"expected a JSON object body, e.g. {example}")
    return body


def _parse(text: str) -> Any:
    try:
        body = json.loads(
            text, object_pairs_hook=_unique_keys, parse_constant=_not_a_number, parse_float=_finite
        )
        json.dumps(body, ensure_ascii=False).encode("utf-8")  # raises on a lone surrogate anywhere
    except json.JSONDecodeError as exc:
        raise BadRequest(f"{INVALID}: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except UnicodeEncodeError:
        raise BadRequest(f"{INVALID}: a \\u escape is half of a surrogate pair") from None
    except ValueError as exc:  # from the hooks below, or an integer with more than 4300 digits
        raise BadRequest(f"{INVALID}: {exc}") from None
    return body


def _nests_deeper(text: str, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` deep (brackets inside strings do not count)."""
    depth = 0
    for bracket in _TOKEN.findall(text):
        if bracket:
            depth += 1 if bracket in "[{" else -1
            if depth > limit:
                return True
    return False


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise BadRequest(f"JSON body repeats the key '{key[:64]}'")
        seen.add(key)
    return dict(pairs)


def _not_a_number(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _finite(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError(f"{literal[:32]} is too large for a number")
    return value
