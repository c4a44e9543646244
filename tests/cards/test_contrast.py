"""Colour parsing and WCAG maths, and legibility: text over any background ends at >= 4.5:1."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image

from ogservice.cards.backgrounds import STYLES, THEMES, procedural, seed_from
from ogservice.cards.color import (
    InvalidColor,
    contrast_ratio,
    darken,
    lighten,
    luminance_array,
    mix,
    parse_color,
    relative_luminance,
    to_hex,
)
from ogservice.cards.contrast import (
    AIM_RATIO,
    MAX_AIM_OPACITY,
    Scrim,
    apply_scrim,
    choose_legible,
    measure_contrast,
)
from ogservice.errors import UnprocessableField

W, H = 1200, 630
BOX = (80, 180, 1120, 450)
WHITE, BLACK = (255, 255, 255), (0, 0, 0)


def _flat(rgb: tuple[int, int, int]) -> Image.Image:
    return Image.new("RGB", (W, H), rgb)


def _checkerboard(cell: int) -> Image.Image:
    ys, xs = np.indices((H, W))
    return Image.fromarray((((ys // cell + xs // cell) % 2) * 255).astype(np.uint8)).convert("RGB")


def _noise() -> Image.Image:
    return Image.fromarray(np.random.default_rng(7).integers(0, 256, (H, W, 3), dtype=np.uint8))


def _stripes() -> Image.Image:
    """Saturated colour bars: busy in hue as well as in lightness."""
    bars = [(255, 0, 0), (0, 200, 255), (255, 255, 0), (20, 20, 120), (0, 160, 0), (255, 255, 255)]
    row = np.array([bars[(x // 23) % len(bars)] for x in range(W)], dtype=np.uint8)
    return Image.fromarray(np.repeat(row[None], H, axis=0))


def _exhaustive_worst(
    image: Image.Image, box: tuple[int, int, int, int], text: tuple[int, int, int]
) -> float:
    """1st-percentile contrast over every pixel of the box: an independent check of the sampled one."""
    lum = luminance_array(np.asarray(image.crop(box)).reshape(-1, 3))
    t = relative_luminance(text)
    return float(np.percentile((np.maximum(lum, t) + 0.05) / (np.minimum(lum, t) + 0.05), 1))


# --- colour parsing and maths ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rgb"),
    [("#fff", WHITE), ("#0A7", (0, 170, 119)), ("#1e3a8a", (30, 58, 138)), ("rgb(1, 2, 3)", (1, 2, 3)),
     ("RGB(255,255,0)", (255, 255, 0)), ("  navy ", (0, 0, 128)), ("Grey", (128, 128, 128))],
)  # fmt: skip
def test_parse_color_accepts_the_usual_forms(text: str, rgb: tuple[int, int, int]) -> None:
    assert parse_color(text) == rgb


@pytest.mark.parametrize(
    "text", ["", "#12", "#12345", "#ggg", "rgb(256, 0, 0)", "rgb(1,2)", "blurple", "123456"]
)
def test_parse_color_refuses_bad_input_with_a_clear_client_error(text: str) -> None:
    with pytest.raises(InvalidColor, match="colour") as caught:
        parse_color(text)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, UnprocessableField)
    assert caught.value.status == 422


def test_to_hex_round_trips() -> None:
    for rgb in [(0, 0, 0), (18, 52, 86), (255, 128, 1)]:
        assert parse_color(to_hex(rgb)) == rgb


def test_luminance_and_contrast_follow_wcag() -> None:
    assert relative_luminance(WHITE) == pytest.approx(1.0)
    assert relative_luminance(BLACK) == pytest.approx(0.0)
    assert contrast_ratio(WHITE, BLACK) == pytest.approx(21.0)
    assert contrast_ratio((50, 90, 200), WHITE) == pytest.approx(contrast_ratio(WHITE, (50, 90, 200)))
    # The well-known threshold pair: #767676 is the lightest grey that passes AA on white, #777777 fails.
    assert (
        contrast_ratio(parse_color("#767676"), WHITE) >= 4.5 > contrast_ratio(parse_color("#777777"), WHITE)
    )


def test_mix_lighten_darken_move_towards_their_targets() -> None:
    base = (40, 120, 200)
    assert mix(base, WHITE, 0) == base and mix(base, WHITE, 1) == WHITE
    assert (
        relative_luminance(lighten(base, 0.3))
        > relative_luminance(base)
        > relative_luminance(darken(base, 0.3))
    )
    assert darken(base, 1.0) == BLACK and lighten(base, 1.0) == WHITE


def test_luminance_array_matches_the_scalar_formula() -> None:
    pixels = np.random.default_rng(1).integers(0, 256, (50, 3), dtype=np.uint8)
    expected = [relative_luminance((int(r), int(g), int(b))) for r, g, b in pixels]
    assert luminance_array(pixels) == pytest.approx(expected)


# --- measurement ------------------------------------------------------------------------------


def test_measure_on_a_flat_background_is_the_plain_ratio() -> None:
    assert measure_contrast(_flat((30, 60, 90)), BOX, WHITE) == pytest.approx(
        contrast_ratio((30, 60, 90), WHITE)
    )


@pytest.mark.parametrize("cell", [1, 2, 8])
def test_a_busy_checkerboard_is_measured_at_its_worst_not_its_average(cell: int) -> None:
    board = _checkerboard(cell)
    assert measure_contrast(board, BOX, WHITE) < 1.05
    assert measure_contrast(board, BOX, BLACK) < 1.05


def test_measure_looks_only_inside_the_box() -> None:
    image = _flat(WHITE)
    image.paste((0, 0, 0), (0, 0, 400, H))
    assert measure_contrast(image, (500, 100, 900, 300), BLACK) == pytest.approx(21.0)
    assert measure_contrast(image, (100, 100, 300, 300), BLACK) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("box", "nearest"),
    [
        ((80, 136, 80, 228), (80, 136, 81, 228)),  # zero width: text that takes no room
        ((80, 136, 200, 136), (80, 136, 200, 137)),  # zero height
        ((90, 140, 80, 130), (90, 140, 91, 141)),  # inverted
        ((W + 10, 0, W + 50, 40), (W - 1, 0, W, 40)),  # right of the image
        ((-50, -20, -10, -5), (0, 0, 1, 1)),  # above and left of it
        ((300, H + 5, 400, H + 60), (300, H - 1, 400, H)),  # below it
    ],
)
def test_a_box_with_no_pixels_inside_the_image_is_measured_at_its_nearest_pixels(box, nearest) -> None:
    image = _noise()
    for text in (WHITE, BLACK, (200, 30, 90)):
        assert measure_contrast(image, box, text) == measure_contrast(image, nearest, text)
    # The same colour and scrim strength; only the scrim's fade follows each box's own size.
    far, near = choose_legible(image, box, min_ratio=7), choose_legible(image, nearest, min_ratio=7)
    assert (far.text_rgb, far.ratio) == (near.text_rgb, near.ratio)
    assert far.scrim is not None and near.scrim is not None
    assert (far.scrim.rgb, far.scrim.alpha) == (near.scrim.rgb, near.scrim.alpha)
    for shape in ("panel", "gradient"):
        apply_scrim(image, box, Scrim((0, 0, 0), 0.5, shape=shape))  # draws what it can; never raises


# --- choosing a colour ------------------------------------------------------------------------


def test_light_background_gets_dark_text_without_scrim() -> None:
    result = choose_legible(_flat((245, 240, 228)), BOX)
    assert result.scrim is None and result.ratio >= 4.5
    assert relative_luminance(result.text_rgb) < 0.05


def test_dark_background_gets_light_text_without_scrim() -> None:
    result = choose_legible(_flat((12, 16, 40)), BOX)
    assert result.scrim is None and result.text_rgb == WHITE and result.ratio >= 4.5


def test_a_preferred_colour_that_reads_is_kept() -> None:
    brand = (250, 204, 21)  # yellow reads on navy
    result = choose_legible(_flat((10, 20, 60)), BOX, preferred=brand)
    assert result.text_rgb == brand and result.scrim is None
    assert result.ratio == pytest.approx(contrast_ratio(brand, (10, 20, 60)))


def test_a_preferred_colour_that_does_not_read_is_replaced() -> None:
    result = choose_legible(_flat((250, 250, 250)), BOX, preferred=(250, 204, 21))  # yellow on white
    assert result.text_rgb != (250, 204, 21) and result.scrim is None and result.ratio >= 4.5


def test_stricter_targets_are_honoured() -> None:
    grey = _flat((110, 110, 110))  # ~5.2:1 with white, ~4.0 with black
    assert choose_legible(grey, BOX, min_ratio=4.5).scrim is None
    strict = choose_legible(grey, BOX, min_ratio=7.0)
    assert strict.scrim is not None and strict.ratio >= 7.0


BUSY = {
    "checker-1": lambda: _checkerboard(1),
    "checker-16": lambda: _checkerboard(16),
    "noise": _noise,
    "bars": _stripes,
}


@pytest.mark.parametrize("busy", BUSY)
@pytest.mark.parametrize("preferred", [None, (255, 255, 255), (37, 99, 235)])
def test_busy_backgrounds_get_a_scrim_that_really_reaches_4_5(
    busy: str, preferred: tuple[int, int, int] | None
) -> None:
    image = BUSY[busy]()
    result = choose_legible(image, BOX, preferred=preferred)
    assert result.scrim is not None and 0 < result.scrim.opacity < 1
    apply_scrim(image, BOX, result.scrim)
    assert measure_contrast(image, BOX, result.text_rgb) >= 4.5
    assert _exhaustive_worst(image, BOX, result.text_rgb) >= 4.5


@pytest.mark.parametrize("busy", BUSY)
@pytest.mark.parametrize("aim", [4.5, AIM_RATIO])
def test_scrim_opacity_is_the_least_that_reaches_its_aim(busy: str, aim: float) -> None:
    image = BUSY[busy]()
    result = choose_legible(image, BOX, aim=aim)
    assert result.scrim is not None
    assert measure_contrast(_with(image, result.scrim), BOX, result.text_rgb) >= aim
    weaker = dataclasses.replace(result.scrim, opacity=(result.scrim.alpha - 1) / 255)
    assert measure_contrast(_with(image, weaker), BOX, result.text_rgb) < aim


def test_a_scrim_aims_for_7_to_1_only_as_far_as_its_opacity_cap():
    # Aiming higher takes at least the opacity 4.5:1 needs and never more than the cap.
    image = _checkerboard(8)
    capped = choose_legible(image, BOX)
    least = choose_legible(image, BOX, aim=4.5)
    assert least.scrim is not None and capped.scrim is not None
    assert least.scrim.alpha <= capped.scrim.alpha <= round(MAX_AIM_OPACITY * 255)
    assert capped.ratio >= least.ratio >= 4.5


def test_a_panel_scrim_fades_out_over_its_padding() -> None:
    image = _flat((200, 200, 200))
    apply_scrim(image, BOX, Scrim((0, 0, 0), 0.5, padding=16, radius=16))
    column = np.asarray(image)[BOX[1] - 20 : BOX[1] + 1, (BOX[0] + BOX[2]) // 2, 0].astype(int)
    assert column[-1] == 100 and column[0] == 200  # full over the box, untouched past the padding
    steps = np.diff(column[::-1])
    assert (steps >= 0).all() and steps.max() <= 30, column  # a soft ramp, not a hard edge


@pytest.mark.parametrize(
    ("size", "padding", "spread"), [((1920, 1080), 108, 1920 / 1080), ((1200, 630), 63, 1200 / 630)]
)
def test_a_soft_scrim_fades_over_a_tenth_of_the_canvas_and_further_sideways(size, padding, spread) -> None:
    """Its fade follows the canvas, not a fixed 32 px (a box's edge on a 1920x1080 hero)."""
    width, height = size
    image = Image.fromarray(
        ((np.indices((height, width)).sum(axis=0) // 3 % 2) * 255).astype(np.uint8)
    ).convert("RGB")
    box = (width // 5, height // 4, width * 4 // 5, height * 3 // 4)  # text far taller than the fade
    scrim = choose_legible(image, box).scrim
    assert scrim is not None and scrim.soft
    assert (scrim.padding, scrim.spread) == (padding, pytest.approx(spread))
    flat = Image.new("RGB", size, (200, 200, 200))
    apply_scrim(flat, box, scrim)
    pixels = np.asarray(flat)[:, :, 0].astype(int)
    row, column = (box[1] + box[3]) // 2, (box[0] + box[2]) // 2
    assert pixels[row, column] == pixels[box[1], box[0]], "full alpha over the whole box"
    reach_y = box[1] - np.flatnonzero(pixels[: box[1], column] != 200)[0]
    reach_x = box[0] - np.flatnonzero(pixels[row, : box[0]] != 200)[0]
    assert padding - 8 <= reach_y <= padding and spread * padding - 12 <= reach_x <= round(spread * padding)


def _with(image, scrim):
    copy = image.copy()
    apply_scrim(copy, BOX, scrim)
    return copy


def test_gradient_scrim_also_covers_the_box_and_leaves_the_top_alone() -> None:
    image = _checkerboard(4)
    result = choose_legible(image, BOX)
    assert result.scrim is not None
    faded = dataclasses.replace(result.scrim, shape="gradient")
    apply_scrim(image, BOX, faded)
    assert measure_contrast(image, BOX, result.text_rgb) >= 4.5
    untouched = (0, 0, W, max(0, BOX[1] - 4 * faded.padding))
    assert np.array_equal(np.asarray(image.crop(untouched)), np.asarray(_checkerboard(4).crop(untouched)))


def test_panel_scrim_stays_near_the_box() -> None:
    image = _flat((200, 200, 200))
    apply_scrim(image, BOX, Scrim((0, 0, 0), 0.5, padding=10, radius=10))
    pixels = np.asarray(image)
    assert tuple(pixels[BOX[1] + 5, BOX[0] + 5]) == (100, 100, 100)
    assert tuple(pixels[BOX[1] - 20, BOX[0] + 5]) == (200, 200, 200)  # outside the padding
    assert tuple(pixels[BOX[1] - 10, BOX[0] - 10]) == (200, 200, 200)  # rounded-off corner


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("name", sorted(THEMES))
def test_every_procedural_background_ends_legible(style: str, name: str) -> None:
    palette = THEMES[name]
    image = procedural(W, H, seed=seed_from(name, style), style=style, palette=palette)
    result = choose_legible(image, BOX, preferred=palette.text)
    if result.scrim is not None:
        apply_scrim(image, BOX, result.scrim)
    assert measure_contrast(image, BOX, result.text_rgb) >= 4.5
    assert _exhaustive_worst(image, BOX, result.text_rgb) >= 4.4
