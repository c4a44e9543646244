"""Procedural backgrounds: deterministic, every style at every shape, palettes that keep a brand's hue."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from ogservice.cards.backgrounds import (
    STYLES,
    THEMES,
    Palette,
    palette_from_brand,
    procedural,
    seed_from,
    theme,
)
from ogservice.cards.color import InvalidColor, parse_color, relative_luminance, to_oklch
from ogservice.errors import UnprocessableField

SIZES = [(1200, 630), (728, 90), (160, 600), (1080, 1920), (300, 250)]


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def _hue_distance(a: float, b: float) -> float:
    return abs((a - b + 180) % 360 - 180)


@pytest.mark.parametrize("style", STYLES)
def test_same_arguments_give_identical_pixels(style: str) -> None:
    seed = seed_from("blog", "Hello world")
    first = procedural(1200, 630, seed=seed, style=style)
    again = procedural(1200, 630, seed=seed, style=style)
    assert first.tobytes() == again.tobytes()


@pytest.mark.parametrize("style", STYLES)
def test_different_seeds_give_visibly_different_images(style: str) -> None:
    a = _pixels(procedural(1200, 630, seed=seed_from("post-1"), style=style, palette=theme("ocean")))
    b = _pixels(procedural(1200, 630, seed=seed_from("post-2"), style=style, palette=theme("ocean")))
    assert np.abs(a - b).mean() > 2.0


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("style", STYLES)
def test_every_style_fills_every_shape_with_a_smooth_image(style: str, size: tuple[int, int]) -> None:
    image = procedural(*size, seed=seed_from(style, str(size)), style=style, palette=theme("sunset"))
    assert image.mode == "RGB" and image.size == size
    pixels = _pixels(image)
    assert pixels.std() > 1.0  # a background, not a flat fill
    # No harsh noise or hard edges: neighbouring pixels differ by a few 8-bit steps at most.
    steps = np.abs(np.diff(pixels, axis=1)).max(axis=2)
    assert np.percentile(steps, 99.5) <= 12


@pytest.mark.parametrize(("style", "limit"), [("gradient", 3), ("mesh", 3), ("aurora", 8)])
def test_no_visible_blocks_even_with_high_contrast_palettes(style: str, limit: int) -> None:
    """The field is computed at 1/8 scale; neighbouring full-size pixels must still change gently."""
    for seed, palette in enumerate([*THEMES.values(), palette_from_brand("#2563eb")]):
        pixels = _pixels(procedural(1200, 630, seed=seed, style=style, palette=palette))
        assert np.abs(np.diff(pixels, axis=1)).max() <= limit, (seed, palette.name)
        assert np.abs(np.diff(pixels, axis=0)).max() <= limit, (seed, palette.name)


@pytest.mark.parametrize("style", STYLES)
def test_tiny_and_extreme_canvases_are_filled(style: str) -> None:
    for size in [(1, 1), (2, 300), (300, 2), (17, 9)]:
        assert procedural(*size, seed=5, style=style).size == size


def test_auto_picks_one_of_the_styles_and_varies_with_the_seed() -> None:
    chosen = set()
    for seed in range(10):
        auto = procedural(320, 180, seed=seed, palette=theme("midnight")).tobytes()
        matches = [
            s
            for s in STYLES
            if procedural(320, 180, seed=seed, style=s, palette=theme("midnight")).tobytes() == auto
        ]
        assert len(matches) == 1
        chosen.add(matches[0])
    assert len(chosen) >= 3


def test_without_a_palette_the_seed_picks_a_theme() -> None:
    means = {
        tuple(_pixels(procedural(64, 64, seed=s, style="gradient")).mean(axis=(0, 1)).round())
        for s in range(40)
    }
    assert len(means) >= 6


@pytest.mark.parametrize("style", STYLES)
def test_png_stays_well_under_the_card_budget(style: str) -> None:
    for seed in range(3):
        buf = io.BytesIO()
        procedural(1200, 630, seed=seed, style=style).save(buf, "PNG", compress_level=1)
        assert len(buf.getvalue()) < 90_000, (style, seed, len(buf.getvalue()))


def test_seed_from_is_stable_across_processes_and_separates_parts() -> None:
    code = "from ogservice.cards.backgrounds import seed_from; print(seed_from('blog', 'Hello'))"
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "123"},
    )
    assert int(other.stdout) == seed_from("blog", "Hello")
    assert seed_from("ab", "c") != seed_from("a", "bc")
    assert 0 <= seed_from("x") < 2**63


def test_unknown_style_and_theme_are_client_errors_naming_the_choices() -> None:
    with pytest.raises(UnprocessableField, match="gradient"):
        procedural(100, 100, seed=1, style="plaid")
    with pytest.raises(UnprocessableField, match="midnight"):
        theme("neon")


@pytest.mark.parametrize("size", [(0, 10), (10, -1), (100_000, 10)])
def test_impossible_sizes_are_refused(size: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        procedural(*size, seed=1)


def test_negative_seed_is_refused() -> None:
    with pytest.raises(ValueError):
        procedural(10, 10, seed=-1)


def test_every_named_theme_exists_and_knows_whether_it_is_dark() -> None:
    dark = {name for name, palette in THEMES.items() if palette.dark}
    assert {"midnight", "ocean", "forest", "mono-dark", "sunset"} <= dark
    assert not dark & {"paper", "mono-light", "candy"}
    for palette in THEMES.values():
        expected = 1.0 if palette.dark else 0.0
        assert relative_luminance(palette.text) == pytest.approx(expected, abs=0.02)


@pytest.mark.parametrize("brand", ["#e11d48", "#2563eb", "#16a34a", "#7c3aed", "#f59e0b", "#0891b2"])
def test_brand_palette_keeps_the_brand_hue(brand: str) -> None:
    _, _, hue = to_oklch(parse_color(brand))
    palette = palette_from_brand(brand)
    hues = [to_oklch(stop)[2] for stop in palette.stops]
    assert all(_hue_distance(h, hue) <= 30 for h in hues), hues
    assert len(set(palette.stops)) == len(palette.stops)  # distinct stops: a real gradient
    mean = _pixels(procedural(400, 210, seed=9, style="mesh", palette=palette)).mean(axis=(0, 1))
    r, g, b = (round(float(c)) for c in mean)
    assert _hue_distance(to_oklch((r, g, b))[2], hue) <= 30


def test_brand_palette_sets_the_brand_colour_off() -> None:
    # The exact brand colour fills the CTA and badge, so the background goes the other way.
    assert not palette_from_brand("#1e3a8a").dark  # a deep navy brand: a pale blue background
    assert palette_from_brand("#fde68a").dark  # a pale yellow brand: a deep yellow-brown one
    assert palette_from_brand("#1e3a8a").brand == (0x1E, 0x3A, 0x8A)


def test_grey_brand_gives_a_neutral_palette() -> None:
    assert all(to_oklch(stop)[1] < 0.02 for stop in palette_from_brand("#808080").stops)


def test_brand_palette_rejects_bad_colours() -> None:
    with pytest.raises(InvalidColor):
        palette_from_brand("#12345")


@pytest.mark.parametrize("stops", [((0, 0, 0),), ((0, 0, 0), (256, 0, 0)), ((0, 0, 0), (1, 2))])
def test_malformed_palettes_are_refused(stops: tuple[tuple[int, ...], ...]) -> None:
    with pytest.raises(ValueError, match="stop"):
        Palette("custom", stops)  # type: ignore[arg-type]


def test_a_custom_two_stop_palette_renders_every_style() -> None:
    palette = Palette("custom", ((10, 20, 30), (200, 120, 40)))
    for style in STYLES:
        assert procedural(200, 100, seed=3, style=style, palette=palette).size == (200, 100)
