"""POST /v1/assets: upload an image (multipart field `file`) -> {"id", "width", "height", "format"}.

The id is what image fields take (sources/assets.py). The upload is decoded and capped exactly as
a fetched image is: 413 over OGS_IMAGE_MAX_BYTES or OGS_IMAGE_MAX_PIXELS, 415 when it is not an image.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import BadRequest, ImageTooLarge
from ..sources.assets import ImageSources, StoredImage
from .openapi import json_of, operation

bp = Blueprint("assets_api", __name__)

FORM_OVERHEAD = 64 * 1024  # multipart boundaries, headers and any small fields around the file


@bp.post("/v1/assets")
@operation(
    {200: json_of(StoredImage)}, errors=(400, 413, 415), tags=("images",), body_media="multipart/form-data",
    body_schema={
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary", "description": "PNG, JPEG, WebP..."}},
    },
)  # fmt: skip
def upload() -> Response:
    """Upload an image; its id is what image fields take."""
    sources: ImageSources = current_app.extensions["ogs.images"]
    data = _uploaded_file(sources.max_bytes)
    return jsonify(sources.add(data).json())


def _uploaded_file(max_bytes: int) -> bytes:
    """The `file` field's bytes; 400 without one, 413 over the cap (the body is not read past it)."""
    request.max_content_length = max_bytes + FORM_OVERHEAD  # the app's 256 KB limit is for JSON bodies
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        raise _too_large(max_bytes) from None
    if upload is None:
        raise BadRequest(
            'expected a multipart/form-data body with the image in a field named "file"', field="file"
        )
    data = upload.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    if not data:
        raise BadRequest('the "file" field is empty', field="file")
    return data


def _too_large(max_bytes: int) -> ImageTooLarge:
    return ImageTooLarge(f"the upload is over {max_bytes} bytes (OGS_IMAGE_MAX_BYTES)")
