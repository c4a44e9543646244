"""The cached glyph engine draws what a reference renderer draws, where the layout said, from any thread."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ogservice.cards import glyphs
from ogservice.cards.fonts import FontRegistry
from ogservice.cards.text import TextStyle, draw_text, layout_text
from ogservice.cards.text_itemize import _walk, itemize

TITLE = "Layered rendering: how we cut our social image bill by 90% in a week"


@pytest.fixture(scope="module")
def registry() -> FontRegistry:
    return FontRegistry.load()


def fixed(size: int, weight: int = 400) -> TextStyle:
    return TextStyle(min_size=size, max_size=size, weight=weight, max_lines=1)


def ink(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.int16)


@pytest.mark.parametrize(("text", "weight", "size"), [(TITLE[:34], 700, 64), ("office AVAWAY fi", 400, 30)])
def test_drawn_text_matches_pillows_freetype_rendering(
    registry: FontRegistry, text: str, weight: int, size: int
):
    # Pillow's draw.text (raqm + FreeType) is the independent reference: same font, size and baseline.
    block = layout_text(registry, text, 3000, 400, fixed(size, weight))
    ours = Image.new("RGB", (block.width + 40, block.height + 40))
    draw_text(ours, block, (20, 20), (255, 255, 255))
    reference = Image.new("RGB", ours.size)
    font = registry.font(registry.best_face("sans", weight), size)
    baseline = 20 + block.lines[0].baseline
    ImageDraw.Draw(reference).text(
        (20, baseline), text, font=font, fill="white", anchor="ls", features=["kern", "liga"]
    )
    a, b = ink(ours), ink(reference)
    assert ours.getbbox() is not None
    bbox_ours, bbox_ref = ours.getbbox(), reference.getbbox()
    assert all(abs(p - q) <= 2 for p, q in zip(bbox_ours, bbox_ref, strict=True)), (bbox_ours, bbox_ref)
    assert np.abs(a - b).mean() < 4  # glyph edges may differ by a pixel; shapes and positions agree
    assert abs(int((a > 128).sum()) - int((b > 128).sum())) < 0.03 * (b > 128).sum()


def test_measured_width_is_where_the_ink_ends(registry: FontRegistry):
    block = layout_text(registry, TITLE, 5000, 400, fixed(64, 700))
    canvas = Image.new("RGB", (block.width + 80, block.height + 80))
    draw_text(canvas, block, (40, 40), (255, 255, 255))
    left, _, right, _ = canvas.getbbox()
    assert abs((right - left) - block.width) <= 8  # side bearings of the first and last letters only


def test_glyph_coverage_keeps_full_ink_and_moves_edges_by_at_most_half_a_step(registry: FontRegistry):
    table = glyphs._coverage_table(glyphs.COVERAGE_LEVELS)
    values = np.arange(256)
    assert table[0] == 0 and table[255] == 255  # background stays untouched, solid strokes stay solid
    assert np.abs(table.astype(int) - values).max() <= 255 / (glyphs.COVERAGE_LEVELS - 1) / 2 + 0.5
    assert np.all(np.diff(table.astype(int)) >= 0)  # more ink never comes out lighter
    face = registry.chain("sans", 400)[0]
    gids = registry.glyphs.shape(face, TITLE, "ltr", None).gids
    masks = [registry.glyphs.glyph(face, 30, gid).mask for gid in gids]
    levels = np.unique(np.concatenate([m.ravel() for m in masks if m is not None]))
    assert set(levels.tolist()) <= set(table.tolist()) and len(levels) == glyphs.COVERAGE_LEVELS


def test_glyphs_are_rasterised_once_and_shared_read_only(registry: FontRegistry):
    face = registry.best_face("sans", 700)
    gid = registry.glyphs.shape(face, "g", "ltr", None).gids[0]
    first = registry.glyphs.glyph(face, 57, gid)
    assert registry.glyphs.glyph(face, 57, gid) is first
    assert first.mask is not None and not first.mask.flags.writeable
    assert registry.glyphs.glyph(face, 58, gid).mask.shape != first.mask.shape


def test_rasterising_from_many_threads_gives_the_same_bitmaps(registry: FontRegistry):
    # FreeType faces are not thread-safe; gunicorn's threads render cards at once.
    face = registry.best_face("serif", 400)
    gids = registry.glyphs.shape(face, "Quartz jumbling vexed wolf", "ltr", None).gids
    jobs = [(size, gid) for size in range(20, 52) for gid in gids]
    engine = FontRegistry.load([face.path.parent]).glyphs  # a cold cache: every call rasterises
    with ThreadPoolExecutor(8) as pool:
        concurrent = list(pool.map(lambda job: engine.glyph(face, *job), jobs))
    for (size, gid), glyph in zip(jobs, concurrent, strict=True):
        expected = registry.glyphs.glyph(face, size, gid)
        assert (glyph.left, glyph.top) == (expected.left, expected.top)
        assert (glyph.mask is None and expected.mask is None) or np.array_equal(glyph.mask, expected.mask)


def test_shaping_joins_arabic_and_forms_ligatures(registry: FontRegistry):
    arabic = registry.font_for("ل", "sans")
    assert arabic is not None
    joined = registry.glyphs.shape(arabic, "لا", "rtl", "ar")
    assert len(joined.gids) == 1  # lam + alef become one ligature glyph
    latin = registry.best_face("serif", 400)
    assert len(registry.glyphs.shape(latin, "office", "ltr", None).gids) < len("office")


@pytest.mark.parametrize(
    "text",
    [TITLE, "Größere Straßenfeste — “quoted”", "Съешь же ещё этих булок", "Ξεσκεπάζω την ψυχή", "a  b", "x"],
)
def test_the_one_face_shortcut_itemizes_like_the_general_walk(registry: FontRegistry, text: str):
    chain = registry.chain("sans", 700)
    assert itemize(text, chain, 0, "placeholder") == _walk(text, chain, 0, "placeholder")


def test_combining_marks_and_uncovered_text_take_the_general_walk(registry: FontRegistry):
    chain = registry.chain("sans", 400)
    decomposed = "Cafe\u0301 \U00013000"  # e + combining acute; an uncovered hieroglyph
    items = itemize(decomposed, chain, 0, "placeholder")
    assert "e\u0301" in [c.text for c in items.clusters] and items.missing == ("\U00013000",)


def test_small_block_masks_are_remembered_and_big_ones_are_not(registry: FontRegistry):
    from ogservice.cards import text_draw

    site = layout_text(registry, "ogservice.dev", 400, 60, fixed(24))
    first = text_draw.block_coverage(site)
    assert text_draw.block_coverage(site) is first  # the same site name on the next card: no re-merge
    assert np.array_equal(first.mask, text_draw._merged(site).mask)
    title = layout_text(registry, "A title big enough to skip the memory " * 2, 1100, 400, fixed(90))
    assert text_draw.block_coverage(title).mask.nbytes > text_draw.REMEMBER_MAX_BYTES
    assert title not in text_draw._recent
