"""Short content balances the layout: a short title is set large and centred in its space instead of
leaving most of the card empty below it."""

from __future__ import annotations

import pytest

from ogservice.cards.layers import applies
from ogservice.config import load_settings
from ogservice.pipeline import CardService

from .test_compose import TEMPLATES, NoCache


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> CardService:
    return CardService(load_settings(dev=True, data_dir=tmp_path_factory.mktemp("balance")), NoCache())


def _title_box(
    template: str, layout: str, layer_id: str, fields: dict[str, str]
) -> tuple[float, float, float, float]:
    """The box of the layer `layer_id` drawn for these fields (a layout may have one per content)."""
    layers = TEMPLATES[template].layouts[layout].layers
    return next(la.box for la in layers if la.id == layer_id and applies(la, fields))


@pytest.mark.parametrize(
    ("template", "size", "layout", "field"),
    [
        ("blog-post", "og", "landscape", "title"),
        ("blog-post", "square", "square", "title"),
        ("promo-banner", "feed", "landscape", "headline"),
        ("promo-banner", "story", "story", "headline"),
    ],
)
def test_a_short_title_is_large_and_centred_in_its_space(service, template, size, layout, field):
    job = service.run(template, [(field, "Hello World"), ("size", size)])
    report = next(r for r in job.composition.texts if r.id == field)
    # the preset is the layout's reference size
    _, top, _, height = _title_box(template, layout, field, {field: "Hello World"})
    assert report.lines == 1
    middle = report.box[1] + report.box[3] / 2
    assert abs(middle - (top + height / 2)) <= 2, f"title centred at {middle}, box {top}..{top + height}"
    assert report.box[3] >= height / 4, "a short title set small in a large space"
