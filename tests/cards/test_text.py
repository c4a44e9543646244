"""Local typesetting as a card author relies on it: fit, wrap, clamp, scripts, bidi, emoji, missing glyphs."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ogservice.cards.fonts import FontRegistry
from ogservice.cards.text import TextBlock, TextStyle, draw_text, layout_text
from ogservice.cards.text_itemize import IGNORABLE
from ogservice.errors import UnprocessableField

BOX = (1040, 300)
TITLE_150 = (
    "How we rebuilt our image pipeline to render social cards in milliseconds, cut costs by half, "
    "and still keep every font, emoji and script right, too :)"
)
assert len(TITLE_150) == 150
SAMPLES = {
    "english": "SALE 50% OFF — “curly quotes” and 'straight' ones",
    "german": "Größere Straßenfeste: Überraschende Ergebnisse für Bürger",
    "russian": "Съешь же ещё этих мягких французских булок, да выпей чаю",
    "greek": "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία",
    "japanese": "東京で新しいレストランがオープンしました。今週末は予約が必要です。",
    "chinese": "我们的新产品今天发布，欢迎大家来体验。限时优惠，先到先得！",
    "arabic": "مرحبا بالعالم، هذا عنوان تجريبي باللغة العربية",
    "hebrew": "שלום עולם, זו כותרת לדוגמה בעברית",
    "hindi": "नमस्ते दुनिया, यह हिंदी में एक शीर्षक है",
    "thai": "สวัสดีชาวโลก นี่คือหัวข้อตัวอย่างภาษาไทย",
    "emoji": "Launch day 🚀 with the team 👨‍👩‍👧 and ❤️ 🇫🇷 👍🏽",
}


@pytest.fixture(scope="module")
def registry() -> FontRegistry:
    return FontRegistry.load()


def fixed(size: int, **kw: object) -> TextStyle:
    """A style pinned to one size, for measuring."""
    return TextStyle(min_size=size, max_size=size, **kw)  # type: ignore[arg-type]


def line_texts(block: TextBlock) -> list[str]:
    """Each line's characters in logical order of its runs' appearance (enough for word checks)."""
    return ["".join(run.text for run in line.runs) for line in block.lines]


def ink_box(block: TextBlock, pad: int = 200) -> tuple[int, int, int, int]:
    """Bounding box of the drawn ink, relative to the draw origin."""
    canvas = Image.new("RGBA", (BOX[0] + 2 * pad, BOX[1] + 2 * pad), (0, 0, 0, 0))
    draw_text(canvas, block, (pad, pad), (255, 255, 255))
    box = canvas.getchannel("A").getbbox()
    assert box is not None
    return (box[0] - pad, box[1] - pad, box[2] - pad, box[3] - pad)


def assert_inside(block: TextBlock, width: int, height: int) -> None:
    """The drawn ink stays inside the width x height box at the origin."""
    left, top, right, bottom = ink_box(block)
    assert left >= 0 and top >= 0 and right <= width and bottom <= height, (left, top, right, bottom)


def assert_sources_cover(block: TextBlock, registry: FontRegistry) -> None:
    """Every drawn character comes from a face whose cmap has it."""
    for char, font_id in block.glyph_sources():
        assert ord(char) in IGNORABLE or registry.by_id(font_id).covers(char), (char, font_id)


def test_short_title_takes_max_size_on_one_line(registry: FontRegistry) -> None:
    block = layout_text(registry, "Hello world", *BOX, TextStyle(weight=700))
    assert (block.size, len(block.lines), block.clamped) == (72, 1, False)
    assert_inside(block, *BOX)


def test_150_character_title_shrinks_to_fit_without_clamping(registry: FontRegistry) -> None:
    block = layout_text(registry, TITLE_150, *BOX, TextStyle(weight=700))
    assert 24 <= block.size < 72 and len(block.lines) <= 3 and not block.clamped
    assert " ".join(line_texts(block)) == TITLE_150
    assert_inside(block, *BOX)
    bigger = layout_text(registry, TITLE_150, *BOX, fixed(block.size + 1, weight=700))
    assert bigger.clamped  # the fitted size is the largest that fits


def test_150_character_title_in_a_small_box_is_clamped_with_an_ellipsis(registry: FontRegistry) -> None:
    block = layout_text(registry, TITLE_150, 500, 120, TextStyle(weight=700, max_lines=2))
    assert block.clamped and block.size == 24 and len(block.lines) == 2
    last = line_texts(block)[-1]
    assert last.endswith("…") and not last.endswith(" …")
    assert TITLE_150.startswith(" ".join(line_texts(block))[:-1])  # whole words trimmed
    assert_inside(block, 500, 120)


def test_unbroken_40_character_word_never_overflows(registry: FontRegistry) -> None:
    word = "Supercalifragilisticexpialidociousnesses"
    assert len(word) == 40
    block = layout_text(registry, word, 300, 200, TextStyle(weight=700, max_lines=4))
    assert all(line.width <= 300 for line in block.lines)
    lines = line_texts(block)
    assert "".join(lines).replace("\u2010", "") == word and len(block.lines) > 1
    assert all(line.endswith("\u2010") for line in lines[:-1]), lines  # hyphenated, not cut
    assert_inside(block, 300, 200)
    shrunk = layout_text(registry, word, 900, 200, TextStyle(weight=700))
    assert len(shrunk.lines) == 1 and shrunk.size < 72 and shrunk.width <= 900


def test_balanced_breaks_leave_no_orphan_word(registry: FontRegistry) -> None:
    title = "Announcing the new release of our favourite open source social card renderer"
    full = layout_text(registry, title, 10_000, 400, fixed(48)).width
    block = layout_text(registry, title, int(full * 0.9), 400, fixed(48))
    assert len(block.lines) == 2
    widths = [line.width for line in block.lines]
    assert len(line_texts(block)[-1].split()) >= 4
    assert max(widths) - min(widths) < full * 0.2


def test_kerning_and_ligatures_are_applied(registry: FontRegistry) -> None:
    def width(text: str) -> float:
        return layout_text(registry, text, 2000, 400, fixed(100)).lines[0].width

    assert width("AVAW") < width("A") + width("V") + width("A") + width("W") - 5


def test_arabic_is_joined_and_right_to_left(registry: FontRegistry) -> None:
    word = "مستقبل"
    block = layout_text(registry, word, 2000, 400, fixed(100))
    isolated = sum(layout_text(registry, c, 2000, 400, fixed(100)).width for c in word)
    assert block.direction == "rtl" and block.lines[0].runs[0].direction == "rtl"
    assert block.width < isolated * 0.85  # joined forms are narrower than isolated letters


def test_rtl_paragraph_orders_runs_visually_and_aligns_right(registry: FontRegistry) -> None:
    block = layout_text(registry, "שלום abc", 2000, 400, fixed(60))
    runs = {run.text.strip(): run.x for run in block.lines[0].runs}
    assert block.direction == "rtl" and runs["abc"] < runs["שלום"]
    two_lines = layout_text(registry, "שלום עולם ומלואו, ברוכים הבאים", 600, 400, fixed(60))
    short = min(two_lines.lines, key=lambda line: line.width)
    assert short.x + short.width == pytest.approx(two_lines.width, abs=1)


def test_mixed_ltr_paragraph_with_hebrew_and_numbers_follows_the_bidi_algorithm(
    registry: FontRegistry,
) -> None:
    block = layout_text(registry, "Hello שלום 123", 2000, 400, fixed(60))
    x = {run.text.strip(): run.x for run in block.lines[0].runs}
    assert block.direction == "ltr"
    assert x["Hello"] < x["123"] < x["שלום"]


def test_cjk_breaks_between_ideographs_but_never_before_closing_punctuation(registry: FontRegistry) -> None:
    text = "東京で新しいレストランがオープンしました。今週末は予約が必要です。"
    for width in range(200, 900, 37):
        block = layout_text(registry, text, width, 600, TextStyle(max_lines=8))
        lines = line_texts(block)
        assert "".join(lines) == text
        assert not any(line[0] in "。、」）" for line in lines[1:]), lines


def test_latin_words_stay_whole_inside_cjk_text(registry: FontRegistry) -> None:
    text = "毎日Pythonでプログラミングを勉強しています"
    for width in range(180, 500, 23):
        lines = line_texts(layout_text(registry, text, width, 900, TextStyle(max_lines=12, min_size=30)))
        assert any("Python" in line for line in lines), lines


def test_devanagari_conjuncts_are_shaped(registry: FontRegistry) -> None:
    conjunct = layout_text(registry, "क्ष", 2000, 400, fixed(100)).width
    parts = sum(layout_text(registry, c, 2000, 400, fixed(100)).width for c in "क्ष")
    assert conjunct < parts * 0.8


def test_thai_marks_stack_on_their_letter_without_advancing(registry: FontRegistry) -> None:
    """A tone mark over an upper vowel sits above the vowel, not on it; neither moves the pen."""
    face = registry.font_for("ก", "sans")
    assert face is not None and face.family == "Noto Sans Thai"
    top = {text: registry.glyphs.ink(face, text, "ltr", None)[0] for text in ("ก่", "กี", "กี่")}
    assert top["กี่"] > max(top["ก่"], top["กี"]) + 0.1, top
    assert {round(registry.advance(face, text), 3) for text in ("ก", "ก่", "กี่", "กู")} == {
        round(registry.advance(face, "ก"), 3)
    }


def test_emoji_are_drawn_in_colour_from_the_emoji_font(registry: FontRegistry) -> None:
    block = layout_text(registry, "I ❤️ cards", 2000, 400, fixed(64))
    emoji = [run for line in block.lines for run in line.runs if "❤" in run.text]
    assert emoji and emoji[0].face.role == "emoji"
    canvas = Image.new("RGB", (800, 200), (0, 0, 0))
    draw_text(canvas, block, (10, 10), (255, 255, 255))
    px = np.asarray(canvas).astype(int)
    red = (px[..., 0] > 180) & (px[..., 1] < 90) & (px[..., 2] < 90)
    assert red.sum() > 500  # white text alone cannot produce saturated red


def test_zwj_sequence_is_one_glyph(registry: FontRegistry) -> None:
    family = "👨\u200d👩\u200d👧"
    one = layout_text(registry, "👨", 2000, 400, fixed(64)).width
    block = layout_text(registry, family, 2000, 400, fixed(64))
    assert block.width == pytest.approx(one, abs=2)
    assert {font for _, font in block.glyph_sources()} == {registry.font_for("👨", "sans").id}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_script_sets_from_covering_fonts_inside_the_box(registry: FontRegistry, name: str) -> None:
    block = layout_text(registry, SAMPLES[name], *BOX, TextStyle(weight=700))
    assert block.missing == () and not block.clamped and block.size >= 48
    assert_sources_cover(block, registry)
    assert_inside(block, *BOX)


def test_uppercase_follows_unicode_case_mapping(registry: FontRegistry) -> None:
    block = layout_text(registry, "Straße", *BOX, TextStyle(uppercase=True))
    assert line_texts(block) == ["STRASSE"]


def test_center_and_end_alignment_position_lines_within_the_block(registry: FontRegistry) -> None:
    text = "A fairly long first line and short end"
    for align, expected in (("center", 0.5), ("end", 1.0)):
        block = layout_text(registry, text, 500, 400, fixed(40, align=align))
        short = min(block.lines, key=lambda line: line.width)
        assert short.x == pytest.approx((block.width - short.width) * expected, abs=1)


@pytest.mark.parametrize("char", ["\U00013000", "\U0001e900"])
def test_missing_glyph_placeholder_is_visible_and_reported(registry: FontRegistry, char: str) -> None:
    block = layout_text(registry, f"Tomb {char} raider", *BOX, TextStyle(), missing="placeholder")
    assert block.missing == (char,)
    assert "\ufffd" in "".join(line_texts(block))
    assert_sources_cover(block, registry)


def test_missing_glyph_skip_removes_the_character(registry: FontRegistry) -> None:
    block = layout_text(registry, "Tomb \U00013000 raider", *BOX, TextStyle(), missing="skip")
    assert block.missing == ("\U00013000",) and line_texts(block) == ["Tomb raider"]


def test_missing_glyph_error_names_the_code_point(registry: FontRegistry) -> None:
    with pytest.raises(UnprocessableField, match="U\\+13000"):
        layout_text(registry, "Tomb \U00013000 raider", *BOX, TextStyle(), missing="error")


def test_empty_text_lays_out_to_nothing(registry: FontRegistry) -> None:
    block = layout_text(registry, "   ", *BOX, TextStyle())
    assert block.lines == () and block.bbox((5, 5)) == (5, 5, 5, 5)


def test_repeated_text_reuses_its_layout_and_the_cache_never_holds_a_registry(registry: FontRegistry) -> None:
    import gc
    import weakref

    from ogservice.cards.fonts import BUNDLED_FONTS_DIR

    style = TextStyle(weight=700, min_size=20, max_size=26)
    first = layout_text(registry, "ogservice.dev", 480, 40, style)
    assert layout_text(registry, "ogservice.dev", 480, 40, style) is first  # a site name on every card
    assert layout_text(registry, "ogservice.dev", 300, 40, style) is not first
    other = FontRegistry.load([BUNDLED_FONTS_DIR / "inter"])
    layout_text(other, "ogservice.dev", 480, 40, style)
    gone = weakref.ref(other)
    del other
    gc.collect()
    assert gone() is None


@pytest.mark.parametrize("price", ["٧٩ ر.س", "١٬٢٩٩ ر.س", "79 ر.س"])
def test_a_one_line_arabic_price_fits_its_box_near_full_size(registry, price):
    """Noto Sans Arabic's line metrics (1.37 + 0.74 em) are for its tallest mark stacks: a price
    holds none, so its line is as tall as its glyphs need, not twice a Latin line."""
    style = TextStyle(weight=700, min_size=26, max_size=38, max_lines=1)
    block = layout_text(registry, price, 240, 48, style)
    assert block.height <= 48
    assert block.size >= 34, f"set at {block.size} px"
    _, top, _, bottom = ink_box(block)
    assert 0 <= top and bottom <= 48


def test_latin_line_metrics_do_not_depend_on_the_letters(registry):
    """The primary face's metrics hold for Latin text, so two buttons' baselines line up."""
    style = TextStyle(weight=700, min_size=20, max_size=20, max_lines=1)
    flat = layout_text(registry, "acme", 400, 60, style)
    tall = layout_text(registry, "Ångström gyp", 400, 60, style)
    assert flat.height == tall.height
    assert flat.lines[0].baseline == tall.lines[0].baseline


def test_a_line_whose_ink_is_taller_than_its_box_shrinks(registry):
    style = TextStyle(weight=700, min_size=10, max_size=60, max_lines=1)
    block = layout_text(registry, "Hello", 400, 30, style)
    _, top, _, bottom = ink_box(block)
    assert 0 <= top and bottom <= 30
    assert block.size < 30, "a 60 px line in a 30 px box"
