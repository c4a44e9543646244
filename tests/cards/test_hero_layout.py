"""The hero's layout holds together: its eyebrow is a label read at a glance (not a speck above a
132 px title), and with the longest texts the fields allow, in wide and tall scripts, with and
without the visual, no two layers collide and everything stays on the canvas."""

from __future__ import annotations

import pytest

from ogservice.pipeline import CardService

from .test_compose import TEMPLATES

HERO = TEMPLATES["hero"]


def _longest(text: str, field: str) -> str:
    """`text` repeated up to the field's max_length."""
    limit = HERO.fields[field].max_length
    return (text * (limit // len(text) + 1))[:limit].strip()


DEMANDING = {  # the longest texts the fields allow, and the tallest blocks
    "latin": {
        "eyebrow": _longest("Engineering notes ", "eyebrow"),
        "title": _longest("Layered rendering: how we cut our image bill ", "title"),
        "subtitle": _longest("Procedural backgrounds, real fonts and a content-hash cache. ", "subtitle"),
        "cta": _longest("Get started today ", "cta"),
    },
    "arabic": {
        "eyebrow": _longest("جديد ومميز هذا الأسبوع ", "eyebrow"),
        "title": _longest("خصم 50% على جميع الدورات حتى 31 ديسمبر ", "title"),
        "subtitle": _longest("إطلاق Next.js 15 مع دعم React Server Components ", "subtitle"),
        "cta": "تسوق الآن",
    },
    "arabic-3-lines": {  # a three-line title over a one-line subtitle: the tallest blocks, not the longest
        "eyebrow": "جديد ومميز لهذا الأسبوع فقط",
        "title": "خصم 50% على جميع الدورات حتى 31 ديسمبر ولفترة محدودة فقط لكل الطلاب الجدد والقدامى",
        "subtitle": "إطلاق Next.js 15 مع دعم React Server Components وخلفيات إجرائية وخطوط حقيقية",
        "cta": "تسوق الآن",
    },
    "japanese": {
        "eyebrow": "新着・エンジニアリング",
        "title": _longest("小さなチームでも安定した画像生成を正しく", "title"),
        "subtitle": _longest("レーションと背景をミリ秒で合成します。", "subtitle"),
        "cta": "今すぐ購入",
    },
}


def _render(service: CardService, fields: dict[str, str], size: str, image: str | None):
    params = [*fields.items(), ("size", size), *([("image", image)] if image else [])]
    return service.run("hero", params).composition


@pytest.mark.parametrize("with_photo", [False, True])
def test_the_eyebrow_is_a_readable_label(service, photo, with_photo):
    """Set at 34 px or more on the 1920x1080 hero (it was 26 px under a 132 px title)."""
    card = _render(service, {"title": "Ship it", "eyebrow": "New"}, "hd", photo if with_photo else None)
    eyebrow = next(r for r in card.texts if r.id == "eyebrow")
    assert eyebrow.size >= 34, f"eyebrow set at {eyebrow.size} px"


def _overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.mark.parametrize("size", sorted(HERO.sizes))
@pytest.mark.parametrize("script", sorted(DEMANDING))
@pytest.mark.parametrize("with_photo", [False, True])
def test_demanding_texts_collide_with_nothing_and_stay_on_the_canvas(
    service, photo, size, script, with_photo
):
    card = _render(service, DEMANDING[script], size, photo if with_photo else None)
    width, height = card.image.size
    layers = dict(card.layers)
    assert {"eyebrow", "title", "subtitle", "cta"} <= set(layers)
    for name, (x, y, w, h) in layers.items():
        assert x >= 0 and y >= 0 and x + w <= width + 0.5 and y + h <= height + 0.5, (
            f"{name} leaves the canvas"
        )
    names = sorted(layers)
    clashes = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :] if _overlap(layers[a], layers[b])]
    assert not clashes, clashes
    eyebrow = next(r for r in card.texts if r.id == "eyebrow")
    assert not eyebrow.clamped, f"the eyebrow lost its end at {eyebrow.size} px"
