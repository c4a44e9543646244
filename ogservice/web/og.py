"""GET /og/<template>.<format> (signed, mutable URL) and GET /a/<sha256>.<format> (immutable asset).

The format is the extension (png, jpg, webp, avif): part of the signed path, so a URL signed for
one format does not verify for another. An asset is served only under the extension its bytes are.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from flask import Blueprint, Response, current_app, request

from ..cards.formats import Format, available, sniff
from ..config import Settings
from ..errors import BadRequest, NotFound, PayloadTooLarge
from ..layers.report import layers_header, timing_entries
from ..pipeline import CardService, Job
from ..signing import verify
from .hot import Card, ResolvedUrls, card_headers, url_key
from .openapi import image_media, operation

bp = Blueprint("og", __name__)

_TEMPLATE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_MAX_BYTES = re.compile(r"^[1-9][0-9]{0,9}$")
MAX_FIELDS = 64
MAX_BYTES_PARAM = "max_bytes"  # a query parameter of the signed URL, not a template field


def _settings() -> Settings:
    return current_app.extensions["ogs.settings"]


def _cards() -> CardService:
    return current_app.extensions["ogs.cards"]


@bp.get("/og/<name>.<ext>")
@operation(
    {200: image_media(available()), 304: None}, errors=(400, 403, 404, 413, 422), security="none",
    parameters=(
        {"name": "name", "in": "path", "required": True, "description": "Template name.",
         "schema": {"type": "string", "pattern": _TEMPLATE.pattern}},
        {"name": "ext", "in": "path", "required": True, "schema": {"enum": list(available())}},
        {"name": "s", "in": "query", "description": "Signature of the path and query (see Signing).",
         "schema": {"type": "string"}},
        {"name": MAX_BYTES_PARAM, "in": "query", "description": "Largest encoded size, in bytes.",
         "schema": {"type": "integer", "minimum": 1}},
    ),
    tags=("cards",),
)  # fmt: skip
def og_image(name: str, ext: str) -> Response:
    """Render (or serve from cache) a signed card URL; answers 304 to a matching If-None-Match.

    The template's fields are further query parameters (GET / lists them); the signature covers
    the path, so the extension (format) too."""
    job = _render(name, _format(ext))
    card = Card(job.digest, job.missing, layers_header(job.layers), job.final, job.provisional, job.format)
    resolved: ResolvedUrls = current_app.extensions["ogs.resolved"]
    if not job.names_image_urls:  # an image URL is looked at again: its image may change
        resolved.put(url_key(request.environ), card)  # later hits of a final card: see web/hot.py
    assert job.data is not None
    return _card_response(job.data, card, cache="hit" if job.cache_hit else "miss", timing=server_timing(job))


def _format(ext: str) -> Format:
    """The format a URL's extension names; 404 (naming the choices) for any other extension."""
    found = available().get(ext)
    if found is None:
        raise NotFound(f"no format '.{ext[:16]}': the extension must be one of {', '.join(available())}")
    return found


def _render(name: str, fmt: Format) -> Job:
    """Verify and run the pipeline for the current request."""
    settings = _settings()
    if not _TEMPLATE.match(name):
        raise NotFound("no such template")
    params = query_params(settings.max_query_bytes)
    if not (settings.unsigned_allowed() and not any(k == "s" for k, _ in params)):
        verify(settings.keys(), request.path, params)
    fields = [(k, v) for k, v in params if k not in ("s", MAX_BYTES_PARAM)]
    return _cards().run(name, fields, format=fmt, max_bytes=_max_bytes(params))


def _max_bytes(params: list[tuple[str, str]]) -> int | None:
    """The signed URL's byte limit, if it has one: a number of bytes, given once."""
    given = [v for k, v in params if k == MAX_BYTES_PARAM]
    if not given:
        return None
    if len(given) > 1 or not _MAX_BYTES.match(given[0]):
        raise BadRequest("max_bytes must be given once, as a positive number of bytes", parameter="max_bytes")
    return int(given[0])


def _card_response(data: bytes, card: Card, *, cache: str, timing: str) -> Response:
    headers = card_headers(_settings(), card, cache, timing)
    if request.if_none_match.contains_weak(card.digest):
        return Response(status=304, headers=headers)
    return Response(data, mimetype=card.format.mime, headers=headers)


@bp.get("/a/<digest>.<ext>")
@operation(
    {200: image_media(available()), 304: None}, errors=(404,), security="none",
    parameters=(
        {"name": "digest", "in": "path", "required": True,
         "schema": {"type": "string", "pattern": _DIGEST.pattern}},
        {"name": "ext", "in": "path", "required": True, "schema": {"enum": list(available())}},
    ),
    tags=("cards",),
)  # fmt: skip
def asset(digest: str, ext: str) -> Response:
    """Content-addressed asset: the URL names the bytes, so it may be cached forever. Served only
    under the extension its bytes are (a card's PNG is not at /a/<its sha256>.jpg)."""
    fmt = _format(ext)
    if not _DIGEST.match(digest):
        raise NotFound("no such asset")
    data = _cards().asset(digest)
    if data is None:
        raise NotFound("no such asset (it may have been evicted; request the /og URL again)")
    if sniff(data) is not fmt:
        raise NotFound(f"no such asset as {fmt.name}")
    headers = {"ETag": f'"{digest}"', "Cache-Control": "public, max-age=31536000, immutable"}
    if request.if_none_match.contains_weak(digest):
        return Response(status=304, headers=headers)
    return Response(data, mimetype=fmt.mime, headers=headers)


def query_params(max_bytes: int) -> list[tuple[str, str]]:
    """Parse the raw query strictly: size-capped, UTF-8 or 400, a bounded number of fields."""
    raw = request.query_string
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"query string is {len(raw)} bytes; the limit is {max_bytes}")
    try:
        return parse_qsl(
            raw.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except UnicodeDecodeError:
        raise BadRequest("query string is not valid percent-encoded UTF-8") from None
    except ValueError:
        raise BadRequest(f"too many query parameters (at most {MAX_FIELDS})") from None


def server_timing(job: Job) -> str:
    """Each step's time, then each AI layer's wait and state."""
    steps = [f"{name};dur={ms:.2f}" for name, ms in job.timings.items()]
    return ", ".join(steps + timing_entries(job.layers))
