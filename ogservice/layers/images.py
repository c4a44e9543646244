"""Image fields -> image ids (for the card's key) and pixels (for compose): the image layers' resolution.

An image field's value is an uploaded image's id or a URL (cards/fields.py checks the form). Ids
must name a stored image; URLs are fetched SSRF-safely and stored by content hash (sources/), or
taken from the URL cache. On the crawler-facing path (GET /og) a URL must also name a host in
OGS_IMAGE_HOSTS. Every error names the field it came from, and a fetch never outlives `deadline`.
"""

from __future__ import annotations

from collections.abc import Mapping

from PIL import Image

from ..cards.fields import CardRequest
from ..errors import OgsError, UnprocessableField
from ..sources.assets import IMAGE_ID, ImageSources


def image_fields(req: CardRequest) -> dict[str, str]:
    """The request's image fields that have a value, by field name."""
    specs = req.template.fields
    return {name: value for name, value in req.fields.items() if value and specs[name].kind == "image"}


def resolve_images(
    req: CardRequest, sources: ImageSources, *, crawler: bool, deadline: float | None
) -> dict[str, str]:
    """Field -> image id for every image field set; raises the field's own 4xx/5xx problem."""
    ids: dict[str, str] = {}
    for name, value in image_fields(req).items():
        try:
            ids[name] = _image_id(sources, value, crawler=crawler, deadline=deadline)
        except OgsError as exc:
            raise _naming(exc, name) from None
        if IMAGE_ID.match(value) and not sources.has(value):
            raise UnprocessableField(
                f"field '{name}': no uploaded image with id {value}; upload it with POST /v1/assets",
                parameter=name,
            )
    return ids


def _image_id(sources: ImageSources, value: str, *, crawler: bool, deadline: float | None) -> str:
    if IMAGE_ID.match(value):
        return value
    if crawler:
        sources.check_url_allowed_in_signed_url(value)
    if deadline is None:
        return sources.fetch(value).id
    return sources.fetch_within(value, deadline).id


def load_images(ids: Mapping[str, str], sources: ImageSources) -> dict[str, Image.Image]:
    """Field -> pixels, for compose (only on a cache miss: the key needs the ids alone)."""
    images: dict[str, Image.Image] = {}
    for name, image_id in ids.items():
        try:
            images[name] = sources.load_image(image_id)
        except OgsError as exc:  # evicted between resolve and compose
            raise _naming(exc, name) from None
    return images


def _naming(exc: OgsError, name: str) -> OgsError:
    """The same problem, its detail and `parameter` naming the field."""
    exc.detail = f"field '{name}': {exc.detail}"
    exc.args = (exc.detail,)
    exc.extra.setdefault("parameter", name)
    return exc
