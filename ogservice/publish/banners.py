"""POST /v1/banners' body as promo-banner fields, and a rendered set as one zip.

The only place a banner body meets the template: every size is then rendered by `render_sizes`,
exactly as POST /v1/cards renders a promo-banner with these fields.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

from .body_terms import REQUEST_PARAMETERS
from .jobs import RenderSpec
from .models import BannersRequest

TEMPLATE = "promo-banner"
# Where each promo-banner field comes from in the body, so an error names what the caller sent
# (publish/body_terms.py).
BODY_PATH = {
    "headline": "headline", "subhead": "subhead", "discount": "discount", "cta": "cta",
    "price": "product.price", "old_price": "product.old_price", "image": "product.image",
    "logo": "brand.logo", "brand_color": "brand.color", "dir": "dir",
}  # fmt: skip


def banner_fields(body: BannersRequest) -> dict[str, str]:
    """promo-banner's fields for this body; empty values are left out (the template's defaults apply).

    The headline is the offer, else the product's name; when both are given, the name becomes the
    subhead unless one is given, so the product is always named."""
    product, brand = body.product, body.brand
    headline = body.headline.strip() or product.name.strip()
    subhead = body.subhead.strip() or (product.name.strip() if body.headline.strip() else "")
    color = brand.color.strip()
    fields = {
        "headline": headline,
        "subhead": subhead,
        "discount": body.discount.strip(),
        "cta": body.cta.strip(),
        "price": product.price.strip(),
        "old_price": product.old_price.strip(),
        "image": product.image.strip(),
        "logo": brand.logo.strip(),
        "brand_color": color if not color or color.startswith("#") else f"#{color}",
        "dir": "" if body.dir == "auto" else body.dir,
    }
    return {name: value for name, value in fields.items() if value}


def banner_spec(body: BannersRequest) -> RenderSpec:
    return RenderSpec(
        template=TEMPLATE, fields=banner_fields(body), sizes=body.size_list(),
        format=body.format, max_bytes=body.max_bytes,
    )  # fmt: skip


def banner_body_path(parameter: str) -> str | None:
    """Where a POST /v1/banners body holds `parameter` (`image` is `product.image`); None: nowhere."""
    return BODY_PATH.get(parameter) or REQUEST_PARAMETERS.get(parameter)


def zip_set(files: Mapping[str, bytes]) -> bytes:
    """A zip of the set: one entry per name (`<size>.<ext>`), stored as is (images are compressed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), data)
    return out.getvalue()
