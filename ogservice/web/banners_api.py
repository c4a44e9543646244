"""POST /v1/banners: a product's promo set (the seven promo sizes, or those asked for) in one call.

The body maps onto promo-banner's fields (publish/banners.py) and every size is rendered by
`render_sizes`, the code behind POST /v1/cards, so a banner is exactly the card of those fields.
The answer is JSON like POST /v1/cards' (`banners` instead of `cards`); with
`Accept: application/zip` it is the set itself, one `<size>.<ext>` entry per size. Banners use
local layers only, so every size is final when the call returns (no jobs).
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, current_app, jsonify, request

from ..errors import OgsError, ServiceUnavailable
from ..pipeline import CardService
from ..publish.banners import TEMPLATE, banner_body_path, banner_spec, zip_set
from ..publish.body_terms import in_body_terms
from ..publish.models import BannersRequest, BannersResponse
from ..publish.render import Rendered, render_sizes
from .cards_api import validated
from .json_body import json_object
from .openapi import operation

bp = Blueprint("banners_api", __name__)
EXAMPLE = '{"product": {"name": "Trail shoe", "price": "$89"}, "discount": "-30%", "sizes": "all"}'
ZIP = "application/zip"


@bp.post("/v1/banners")
@operation({200: BannersResponse}, body=BannersRequest, tags=("cards",))
def create_banners() -> Response:
    """Render every size of the set; JSON results, or the set as a zip for `Accept: application/zip`."""
    body = validated(BannersRequest, json_object(request, example=EXAMPLE))
    cards: CardService = current_app.extensions["ogs.cards"]
    try:
        results = render_sizes(cards, banner_spec(body), time.monotonic())
    except OgsError as exc:
        raise in_body_terms(exc, banner_body_path) from None
    if request.accept_mimetypes.best_match(["application/json", ZIP]) == ZIP:
        return _zip_response(cards, results)
    response = BannersResponse(template=TEMPLATE, banners=[r.result for r in results.values()])
    return jsonify(response.model_dump())


def _zip_response(cards: CardService, results: dict[str, Rendered]) -> Response:
    files = {}
    for rendered in results.values():
        data = cards.store.get(f"asset/{rendered.digest}")
        if data is None:  # stored moments ago by render_sizes; only a lost store gets here
            raise ServiceUnavailable("a rendered banner could not be read back from the store", retry_after=5)
        files[f"{rendered.result.size}.{rendered.result.format}"] = data
    resp = Response(zip_set(files), mimetype=ZIP)
    resp.headers["Content-Disposition"] = 'attachment; filename="banners.zip"'
    return resp
