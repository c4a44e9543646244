"""Lines never collide (issue 12 item 1): across every template, preset and script, no pixel row
holds ink of two consecutive lines, because leading comes from the ink of the fonts actually used."""

from __future__ import annotations

import pytest

from ogservice.cards import backgrounds
from ogservice.cards.compose import Canvas, _plan, _TextPlan
from ogservice.cards.fonts import FontRegistry
from ogservice.cards.templates import BUNDLED_DIR, load_templates
from ogservice.cards.text import TextBlock, TextStyle, layout_text
from ogservice.cards.text_draw import _placed_glyphs

TEMPLATES = load_templates([BUNDLED_DIR])
PRESETS = [(name, size) for name, t in sorted(TEMPLATES.items()) for size in t.sizes]
# Long enough to wrap in every text box; marks above and below, descenders over CJK, mixed runs.
SCRIPTS = {
    "latin": "Équipe Ça Ölçüm: gyp jumpy quays, Ångström Ÿ façade typography for everyone",
    "arabic": "خصم 50% على جميع الدورات حتى 31 ديسمبر — إطلاق Next.js 15 مع دعم React Server Components",
    "hebrew": "שלום עולם, זו כותרת ארוכה לדוגמה בעברית עם ניקוד: בְּרֵאשִׁית בָּרָא אֱלֹהִים",
    "devanagari": "नमस्ते दुनिया, यह हिंदी में एक लंबा शीर्षक है जो कई पंक्तियों में जाता है क्षत्रिय कृष्ण",
    "thai": "ผู้ใหญ่ลี้ฟื้นฟูวงปี่พาทย์ที่ฐานทัพ ฎีกาเรื่องญาติ ลดราคาสูงสุด 50% ถึง 31 ธันวาคมนี้เท่านั้น",
    "cjk": "東京で新しいレストランがオープンしました gyp jumpy 今週末は予約が必要です 我们的新产品今天发布",
    "cyrillic": "Съешь же ещё этих мягких французских булок, да выпей чаю — Йй Ёё ДЦЩ",
    "greek": "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία, Ϊ ΰ ξ ζ ψ φ",
    "emoji": "Launch day 🚀 with the team 👨‍👩‍👧 and ❤️ 🇫🇷 👍🏽 gyp quays jumpy fellows",
}
TEXT_FIELDS = ("title", "subtitle", "headline", "subhead", "eyebrow", "cta", "tag", "author", "site")


@pytest.fixture(scope="module")
def registry() -> FontRegistry:
    return FontRegistry.load()


def line_ink_rows(block: TextBlock) -> list[tuple[int, int]]:
    """Each line's inked pixel rows [top, bottom) relative to the block, as drawn (colour emoji by
    their scaled strike's box)."""
    rows = []
    for line in block.lines:
        tops, bottoms = [], []
        for run in line.runs:
            if run.face.bitmap_size:
                scale = block.size / run.face.bitmap_size
                ascent, descent = run.font.getmetrics()
                tops.append(round(line.baseline - ascent * scale))
                bottoms.append(tops[-1] + round((ascent + descent) * scale))
                continue
            for _, top, mask in _placed_glyphs(block, run, (run.x, line.baseline)):
                inked = mask.any(axis=1).nonzero()[0]
                if len(inked):
                    tops.append(top + int(inked[0]))
                    bottoms.append(top + int(inked[-1]) + 1)
        if tops:
            rows.append((min(tops), max(bottoms)))
    return rows


def assert_lines_apart(block: TextBlock, where: str) -> None:
    """At least one clear pixel row between the ink of each line and the next."""
    rows = line_ink_rows(block)
    for (_, bottom), (top, _) in zip(rows, rows[1:], strict=False):
        assert bottom < top, f"{where}: ink rows {rows} (size {block.size})"


@pytest.mark.parametrize(("template", "preset"), PRESETS)
@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_no_two_lines_touch_in_any_template_preset_or_script(
    registry: FontRegistry, template: str, preset: str, script: str
) -> None:
    t = TEMPLATES[template]
    names = {f for f in TEXT_FIELDS if f in t.fields} or set(t.fields)
    fields = {name: SCRIPTS[script] for name in names}
    canvas = Canvas(t.sizes[preset], fields, 1, backgrounds.theme("midnight"))
    plans, _ = _plan(t, canvas, registry)
    text_plans = [p for p in plans if isinstance(p, _TextPlan)]
    assert text_plans
    for plan in text_plans:
        assert_lines_apart(plan.block, f"{template}/{preset}/{plan.layer.id}")


@pytest.mark.parametrize(
    "text",
    [
        "إطلاق Next.js 15 مع دعم React Server Components",  # hero hd, issue 12
        "خصم 50% على جميع الدورات حتى 31 ديسمبر",  # promo-banner skyscraper, issue 12
        "नमस्ते दुनिया, यह हिंदी में एक शीर्षक है",  # blog-post og and hero hd, issue 12
        "ผู้ใหญ่ฟื้นฟูปี่พาทย์ที่ฐานทัพ ลดราคาถึงสิ้นเดือนนี้",  # Thai: tone over vowel above, ู ญ ฐ below
    ],
)
@pytest.mark.parametrize("line_height", [1.0, 1.04, 1.1])
def test_the_issues_examples_keep_their_lines_apart_at_tight_line_heights(
    registry: FontRegistry, text: str, line_height: float
) -> None:
    for size in (24, 40, 64, 96):
        style = TextStyle(min_size=size, max_size=size, max_lines=8, line_height=line_height)
        block = layout_text(registry, text, 6 * size, 4000, style)
        assert len(block.lines) > 1
        assert_lines_apart(block, f"{text} at {size}px")


def test_plain_latin_keeps_the_templates_tight_leading(registry: FontRegistry) -> None:
    """Leading opens only as far as the ink needs: lowercase Latin at 1.1 keeps exactly 1.1."""
    style = TextStyle(min_size=60, max_size=60, max_lines=4, line_height=1.1)
    block = layout_text(registry, "simple words over more simple words", 400, 2000, style)
    pitches = {round(b.baseline - a.baseline, 3) for a, b in zip(block.lines, block.lines[1:], strict=False)}
    assert pitches == {66.0}
