"""`ogservice gallery`: every template x preset x sample as a PNG, and a contact sheet linking them all."""

from __future__ import annotations

import re

from click.testing import CliRunner
from PIL import Image

from ogservice import gallery
from ogservice.cards.templates import BUNDLED_DIR, load_templates
from ogservice.cli import main

TEMPLATES = load_templates([BUNDLED_DIR])


def test_gallery_writes_every_preset_sample_and_variant_and_links_them(tmp_path):
    result = CliRunner().invoke(main, ["gallery", "-o", str(tmp_path), "-t", "hero"])
    assert result.exit_code == 0, result.output
    hero = TEMPLATES["hero"]
    expected = len(hero.sizes) * len(gallery.SAMPLES) * len(gallery.VARIANTS)  # hero takes them all
    pngs = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.png"))
    assert len(pngs) == expected
    for name in pngs:
        size = name.split("/")[1]
        with Image.open(tmp_path / name) as image:
            assert image.size == (hero.sizes[size].width, hero.sizes[size].height)
    sheet = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert sorted(set(re.findall(r"<img src='([^']+)'", sheet))) == pngs


def test_samples_cover_the_scripts_short_and_long_text_and_brand_colours():
    cards = list(gallery.plan(TEMPLATES))
    texts = " ".join(v for card in cards for _, v in card.params)
    arabic, hebrew, cjk, devanagari, thai = (
        "[\u0600-\u06ff]",
        "[\u05d0-\u05ea]",
        "[\u3040-\u30ff\u4e00-\u9fff]",
        "[\u0900-\u097f]",
        "[\u0e01-\u0e5b]",
    )
    for script in (arabic, hebrew, cjk, devanagari, thai, "[A-Za-z]"):
        assert re.search(script, texts), script
    assert {"short", "long"} <= {card.sample for card in cards}
    promo = [card for card in cards if card.template == "promo-banner"]
    assert {dict(c.params).get("brand_color") for c in promo} >= {None, "#FF6B00", "#00A86B"}
    assert {(c.template, c.size) for c in cards} == {(n, s) for n, t in TEMPLATES.items() for s in t.sizes}


def test_an_unknown_template_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["gallery", "-o", str(tmp_path), "-t", "nope"])
    assert result.exit_code != 0
    assert "no template named 'nope'" in result.output
