import io
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from ogservice.cards import encode
from ogservice.cards.encode import encode_png


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_png_round_trips_pixel_exact(mode):
    rng = np.random.default_rng(1)
    channels = len(mode)
    pixels = rng.integers(0, 256, size=(37, 53, channels), dtype=np.uint8)
    original = Image.fromarray(pixels, mode)
    decoded = Image.open(io.BytesIO(encode_png(original)))
    decoded.load()
    assert decoded.mode == mode and decoded.size == (53, 37)
    assert np.array_equal(np.asarray(decoded), pixels)


def test_other_modes_are_converted_to_rgb():
    decoded = Image.open(io.BytesIO(encode_png(Image.new("L", (4, 3), 128))))
    assert decoded.mode == "RGB" and decoded.getpixel((0, 0)) == (128, 128, 128)


def test_smooth_card_background_compresses_well():
    y = np.linspace(0, 1, 630)[:, None, None]
    x = np.linspace(0, 1, 1200)[None, :, None]
    gradient = (np.array([20, 24, 60]) * (1 - (x + y) / 2)) + np.array([90, 40, 140]) * (x + y) / 2
    data = encode_png(Image.fromarray(gradient.astype(np.uint8)))
    assert len(data) < 100_000


def _card_like(width=1200, height=630):
    """Blocky background with noisy text-like bands: big enough to be cut into bands."""
    rng = np.random.default_rng(7)
    field = rng.integers(0, 256, size=(height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    pixels = np.repeat(np.repeat(field, 8, axis=0), 8, axis=1)[:height, :width].copy()
    pixels[200:400, 100:1100] = rng.integers(0, 256, size=(200, 1000, 3), dtype=np.uint8)
    return pixels


@pytest.fixture
def shared(monkeypatch):
    """Cards of this size share their bands with the helper thread (only bigger ones do by default)."""
    monkeypatch.setattr(encode, "SHARE_MIN_BYTES", encode.SPLIT_MIN_BYTES)


def _decoded(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    image.load()
    return np.asarray(image)


def _laid_out(image, reaches, drawn_upto):
    """An encoder told the layers' reaches and that the first `drawn_upto` layers are drawn."""
    encoder = encode.PngEncoder()
    encoder.layout(image, reaches)
    encoder.drawn(image, drawn_upto)
    return encoder


REACHES = [(150, 420), (380, 480), (500, 520), (530, 600)]  # title, subtitle, rule, site of a card


def test_big_image_round_trips_through_bands():
    pixels = _card_like()
    assert pixels.nbytes > encode.SPLIT_MIN_BYTES
    image = Image.fromarray(pixels)
    assert np.array_equal(_decoded(encode_png(image)), pixels)
    assert np.array_equal(_decoded(_laid_out(image, REACHES, 2).finish(image)), pixels)


def test_bands_follow_the_last_layer_reaching_each_row_and_thin_runs_join_a_neighbour(monkeypatch):
    monkeypatch.setattr(encode, "MAX_BAND_BYTES", 10**9)
    image = Image.new("RGB", (1200, 630))
    bands = [(b.top, b.bottom, b.ready) for b in encode._bands(image, REACHES)]
    # Rows 0-150 wait for nothing, 150-380 for the title, 380-480 for the subtitle (drawn second,
    # over the title's last rows). Runs thinner than MIN_BAND_BYTES (28 rows here) join the next:
    # the 20-row gap joins the rule, the 10-row gap the site; the last 30 rows stand alone.
    assert encode.MIN_BAND_BYTES // (1200 * 3) + 1 == 28
    assert bands == [(0, 150, 0), (150, 380, 1), (380, 480, 2), (480, 520, 3), (520, 600, 4), (600, 630, 0)]
    assert [(b.top, b.bottom) for b in encode._bands(image, [])] == [(0, 630)]


def test_thick_bands_are_cut_evenly_so_both_cores_can_share_them():
    image = Image.new("RGB", (1200, 630))
    assert encode.MAX_BAND_BYTES // (1200 * 3) == 145
    bands = [(b.top, b.bottom, b.ready) for b in encode._bands(image, REACHES)]
    assert bands[:4] == [(0, 75, 0), (75, 150, 0), (150, 265, 1), (265, 380, 1)]
    whole = [(b.top, b.bottom) for b in encode._bands(image, [])]
    assert whole == [(0, 126), (126, 252), (252, 378), (378, 504), (504, 630)]


@pytest.mark.usefixtures("shared")
def test_bands_whose_layers_are_drawn_start_before_finish():
    image = Image.fromarray(_card_like())
    encoder = _laid_out(image, REACHES, 1)
    started = [(b.top, b.job is not None) for b in encoder._bands]
    assert started == [
        (0, True), (75, True), (150, True), (265, True), (380, False), (480, False), (520, False), (600, True)
    ]
    assert np.array_equal(_decoded(encoder.finish(image)), np.asarray(image))


def test_a_card_below_the_sharing_size_keeps_its_bands_on_the_calling_thread(monkeypatch):
    image = Image.fromarray(_card_like())
    assert encode.SPLIT_MIN_BYTES <= np.asarray(image).nbytes < encode.SHARE_MIN_BYTES
    monkeypatch.setattr(encode, "_helper", None)  # any use would fail
    encoder = _laid_out(image, REACHES, 4)
    assert len(encoder._bands) > 1 and all(band.job is None for band in encoder._bands)
    png = encoder.finish(image)
    monkeypatch.undo()
    monkeypatch.setattr(encode, "SHARE_MIN_BYTES", encode.SPLIT_MIN_BYTES)
    assert png == _laid_out(image, REACHES, 4).finish(image)  # the same bytes as when shared


@pytest.mark.usefixtures("shared")
def test_bytes_do_not_depend_on_the_helper_core_or_on_when_layers_were_reported(monkeypatch):
    # The asset is stored under sha256(png): the same card must always give the same bytes.
    image = Image.fromarray(_card_like())
    free = _laid_out(image, REACHES, 0).finish(image)
    assert _laid_out(image, REACHES, 4).finish(image) == free
    release = threading.Event()
    encode._helper().submit(release.wait, 10)  # the helper is busy: every band is taken back
    try:
        busy = _laid_out(image, REACHES, 4).finish(image)
    finally:
        release.set()
    monkeypatch.setattr(encode, "_helper", lambda: None)  # a single-core machine
    assert busy == free == _laid_out(image, REACHES, 4).finish(image)
    assert encode_png(image) == encode_png(image)


@pytest.mark.usefixtures("shared")
def test_concurrent_encodes_of_one_image_are_identical():
    image = Image.fromarray(_card_like())
    with ThreadPoolExecutor(6) as pool:
        results = set(pool.map(lambda _: _laid_out(image, REACHES, 4).finish(image), range(12)))
    assert len(results) == 1


@pytest.mark.usefixtures("shared")
def test_rows_changed_after_the_helper_read_them_are_compressed_again_not_kept_stale(caplog):
    image = Image.fromarray(_card_like())
    encoder = _laid_out(image, [(500, 600)], 0)  # a (buggy) layer says it only touches rows 500-600...
    for band in encoder._bands:
        if band.job is not None:
            band.job.result()  # ...the helper has read and compressed the rows above...
    image.paste((255, 0, 0), (0, 10, 50, 20))  # ...then the layer draws near the top anyway
    png = encoder.finish(image)
    assert np.array_equal(_decoded(png), np.asarray(image))
    assert "rows 0-125 changed after being reported final; compressed again" in caplog.text


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_rows_are_packed_the_same_by_the_fast_path_and_the_fallback(mode, monkeypatch):
    image = Image.fromarray(_card_like()).convert(mode)
    fast = encode._packed(image, 37, 211)
    assert fast == image.crop((0, 37, image.width, 211)).tobytes()
    real = Image._getencoder

    def changed_signature(mode, name, args=(), *extra):  # a Pillow whose entry point moved on
        if args == (mode, 0, 1):
            raise TypeError("unexpected arguments")
        return real(mode, name, args, *extra)

    monkeypatch.setattr(Image, "_getencoder", changed_signature)
    assert encode._packed(image, 37, 211) == fast


def test_band_checksums_combine_into_the_checksum_of_the_whole_stream():
    import zlib

    rng = np.random.default_rng(3)
    parts = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (0, 1, 65520, 65521, 300_000, 7)]
    combined = 1
    for part in parts:
        combined = encode.adler32_combine(combined, zlib.adler32(part), len(part))
    assert combined == zlib.adler32(b"".join(parts))


@pytest.mark.usefixtures("shared")
def test_an_image_that_cannot_be_read_in_place_is_banded_at_finish_only(monkeypatch):
    # Pillow keeps images over 16 MB in several blocks; reading them in place is not possible, so
    # nothing starts early and no checksum (which would need a full copy) is taken.
    image = Image.fromarray(_card_like())
    expected = _laid_out(image, REACHES, 4).finish(image)
    monkeypatch.setattr(encode, "in_place", lambda _image: False)
    monkeypatch.setattr(encode, "pixels", None)  # any use would fail
    encoder = _laid_out(image, REACHES, 4)
    assert all(band.job is None for band in encoder._bands)
    assert encoder.finish(image) == expected
