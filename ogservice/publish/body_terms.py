"""A card error in the terms of the JSON body the caller sent, not the GET URL's parameters.

The pipeline names what it refuses as a GET /og parameter (`parameter: "image"`, `"size"`); a
publisher API's caller sent a JSON body, so its problem names the body's field instead
(`field: "product.image"` in POST /v1/banners, `"fields.image"` or `"sizes"` in POST /v1/cards).
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import OgsError

# Request parameters that are not template fields: the same name, or its list, in both bodies.
REQUEST_PARAMETERS = {"size": "sizes", "format": "format", "max_bytes": "max_bytes"}


def in_body_terms(error: OgsError, body_path: Callable[[str], str | None]) -> OgsError:
    """`error` naming `body_path(parameter)` as its `field` (and in its detail); unchanged when the
    error names no parameter, or one `body_path` does not know (None)."""
    name = error.extra.get("parameter")
    path = body_path(name) if isinstance(name, str) else None
    if path is not None:
        error.extra = {**{k: v for k, v in error.extra.items() if k != "parameter"}, "field": path}
        error.detail = error.detail.replace(f"field '{name}'", f"field '{path}'")
    return error


def card_body_path(parameter: str) -> str:
    """Where a POST /v1/cards body holds `parameter`: a request member, else a template field."""
    return REQUEST_PARAMETERS.get(parameter, f"fields.{parameter}")
