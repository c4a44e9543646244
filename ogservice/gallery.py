"""`ogservice gallery -o DIR`: every template x preset x sample content as PNGs and one contact sheet.

The samples are chosen to show what a reviewer (or a user choosing a template) must see: short and
long text, six scripts (Latin, Arabic and Hebrew, whose cards are mirrored, Japanese, Devanagari,
Thai), each in the template's default look, with two brand colours (where the template takes one)
and on a light theme. Cards are rendered through the same CardService the server uses, so the
gallery shows exactly what a request gets.
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .cards.templates import Template
from .config import load_settings

# One text per role and sample; a template picks the roles its fields play (see ROLES).
SAMPLES: dict[str, dict[str, str]] = {
    "short": {"headline": "Hello World", "subline": "", "small": "New", "price": "$9", "action": "Go"},
    "long": {
        "headline": "Layered rendering: how we cut our social image bill by 90% in a single week of work",
        "subline": "Procedural backgrounds, real fonts, measured contrast and a content-hash cache",
        "small": "Engineering",
        "price": "$1,299.99",
        "action": "Get started today",
    },
    "arabic": {
        "headline": "خصم 50% على جميع الدورات حتى 31 ديسمبر",
        "subline": "إطلاق Next.js 15 مع دعم React Server Components",
        "small": "جديد",
        "price": "٧٩ ر.س",
        "action": "تسوق الآن",
    },
    "hebrew": {
        "headline": "מבצע 50% הנחה על כל הקורסים עד 31 בדצמבר",
        "subline": "השקת Next.js 15 עם תמיכה ב-React Server Components",
        "small": "חדש",
        "price": "₪79",
        "action": "לקנייה",
    },
    "japanese": {
        "headline": "小さなチームでも安定した画像生成を正しく",
        "subline": "レーションと背景をミリ秒で合成します",
        "small": "新着",
        "price": "¥7,980",
        "action": "今すぐ購入",
    },
    "hindi": {
        "headline": "हमने सोशल इमेज का बिल नब्बे प्रतिशत कैसे घटाया",
        "subline": "प्रक्रियात्मक पृष्ठभूमि और असली फ़ॉन्ट",
        "small": "नया",
        "price": "₹999",
        "action": "अभी खरीदें",
    },
    "thai": {  # no spaces between words (ICU breaks by dictionary); tone marks stacked over vowels
        "headline": "ลดราคาส่งท้ายปี 50% ทุกคอร์ส ถึง 31 ธันวาคมนี้เท่านั้น",
        "subline": "เปิดตัว Next.js 15 พร้อมรองรับ React Server Components",
        "small": "ใหม่",
        "price": "฿1,290",
        "action": "ซื้อเลย",
    },
}
# Looks each sample is shown in, where the template has the field: its default theme, two brand
# colours (a mid-tone and a deep one), and a light theme (where scrims and dark text show).
VARIANTS: tuple[tuple[str, str, str], ...] = (
    ("default", "", ""),
    ("brand-ff6b00", "brand_color", "#FF6B00"),
    ("brand-00a86b", "brand_color", "#00A86B"),
    ("paper", "theme", "paper"),
    ("photo", "image", "{photo}"),  # a product photo (templates with an image field), uploaded at build
)
PHOTO = "{photo}"

# Which role each template field plays; fixed texts fill the rest.
ROLES: dict[str, dict[str, str]] = {
    "blog-post": {"title": "headline", "subtitle": "subline", "tag": "small"},
    "hero": {"title": "headline", "subtitle": "subline", "eyebrow": "small", "cta": "action"},
    "promo-banner": {"headline": "headline", "subhead": "subline", "price": "price", "cta": "action"},
}
FIXED: dict[str, dict[str, str]] = {
    "blog-post": {"author": "Ada Lovelace", "date": "2026-11-21", "site": "ogservice.dev"},
    "promo-banner": {"discount": "-50%", "old_price": "$159"},
}


@dataclass(frozen=True)
class Card:
    """One gallery entry: what was asked for and where its PNG was written (relative to DIR)."""

    template: str
    size: str
    sample: str
    variant: str
    params: tuple[tuple[str, str], ...]
    file: str
    width: int
    height: int


def sample_params(
    template: str, sample: str, field: str, value: str, fields: set[str]
) -> list[tuple[str, str]]:
    """The request fields for one sample: its role texts, the template's fixed texts, the variant."""
    texts = SAMPLES[sample]
    params = [(name, texts[role]) for name, role in ROLES.get(template, {"title": "headline"}).items()]
    params += [*FIXED.get(template, {}).items(), (field, value)]
    return [(k, v) for k, v in params if v and k in fields]


def _variants(template: Template) -> list[tuple[str, str, str]]:
    """The VARIANTS this template can show (it has the field, and the value is one of its choices)."""
    shown = []
    for name, field, value in VARIANTS:
        spec = template.fields.get(field)
        if not field or (spec is not None and (not spec.choices or value in spec.choices)):
            shown.append((name, field, value))
    return shown


def plan(templates: dict[str, Template], only: tuple[str, ...] = ()) -> Iterator[Card]:
    """Every card of the gallery, in contact-sheet order (template, preset, sample, variant)."""
    for name in sorted(templates):
        if only and name not in only:
            continue
        template = templates[name]
        for size, preset in template.sizes.items():
            for sample in SAMPLES:
                for variant, field, value in _variants(template):
                    yield Card(
                        name,
                        size,
                        sample,
                        variant,
                        tuple(sample_params(name, sample, field, value, set(template.fields))),
                        f"{name}/{size}/{sample}-{variant}.png",
                        preset.width,
                        preset.height,
                    )


def build(
    out: Path, only: tuple[str, ...] = (), progress: Callable[[Card], None] | None = None
) -> list[Card]:
    """Render the gallery into `out` (PNGs and index.html); returns the cards written."""
    from .pipeline import CardService
    from .store import open_store

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(dev=True, data_dir=Path(tmp))
        service = CardService(settings, open_store(settings))
        try:
            for name in only:
                service.template(name)  # NotFound naming the templates there are
            photo = service.images.add(sample_photo()).id
            cards = list(plan(service.templates, only))
            for card in cards:
                params = [(k, photo if v == PHOTO else v) for k, v in card.params]
                job = service.run(card.template, [*params, ("size", card.size)])
                target = out / card.file
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(job.png or b"")
                if progress is not None:
                    progress(card)
        finally:
            service.images.close()
            service.store.close()
    (out / "index.html").write_text(contact_sheet(cards), encoding="utf-8")
    return cards


def sample_photo() -> bytes:
    """A product shot made here (no files, no network): a bottle with its shadow on a pale backdrop."""
    import io

    from PIL import Image, ImageDraw, ImageFilter

    image = Image.new("RGB", (600, 600), (236, 238, 242))
    shadow = Image.new("L", image.size, 0)
    ImageDraw.Draw(shadow).ellipse((170, 500, 430, 560), fill=150)
    image.paste((150, 155, 165), mask=shadow.filter(ImageFilter.GaussianBlur(14)))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((230, 70, 370, 130), radius=18, fill=(40, 40, 48))
    draw.rounded_rectangle((190, 120, 410, 530), radius=60, fill=(0, 150, 200))
    draw.rounded_rectangle((215, 260, 385, 400), radius=14, fill=(250, 250, 250))
    draw.rounded_rectangle((240, 150, 270, 500), radius=15, fill=(90, 200, 235))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def contact_sheet(cards: list[Card]) -> str:
    """One HTML page: a section per template and preset, each card a thumbnail linking to its PNG."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>ogservice gallery</title>",
        "<style>body{font:14px system-ui,sans-serif;margin:24px;background:#f4f4f5;color:#18181b}"
        "section{margin-bottom:32px}.grid{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}"
        "figure{margin:0;background:#fff;padding:8px;border-radius:8px;box-shadow:0 1px 3px #0002}"
        "img{display:block;max-width:360px;max-height:360px}figcaption{margin-top:6px;font-size:12px}"
        ".swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}</style>",
        "</head><body><h1>ogservice gallery</h1>",
        f"<p>{len(cards)} cards: every template &times; preset &times; sample content.</p>",
    ]
    section = None
    for card in cards:
        if (card.template, card.size) != section:
            if section is not None:
                parts.append("</div></section>")
            section = (card.template, card.size)
            parts.append(
                f"<section><h2>{html.escape(card.template)} &middot; {html.escape(card.size)} "
                f"({card.width}&times;{card.height})</h2><div class='grid'>"
            )
        brand = dict(card.params).get("brand_color", "")
        swatch = f"<span class='swatch' style='background:{html.escape(brand)}'></span>" if brand else ""
        caption = f"{swatch}{html.escape(card.sample)} &middot; {html.escape(card.variant)}"
        title = html.escape("\n".join(f"{k}={v}" for k, v in card.params), quote=True)
        parts.append(
            f"<figure><a href='{html.escape(card.file)}'><img src='{html.escape(card.file)}' "
            f"loading='lazy' alt='{title}' title='{title}'></a><figcaption>{caption}</figcaption></figure>"
        )
    if section is not None:
        parts.append("</div></section>")
    parts.append("</body></html>")
    return "\n".join(parts)
