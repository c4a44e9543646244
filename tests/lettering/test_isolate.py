"""Isolating lettering from a model's image, and fitting the layer into a text box."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ogservice.lettering import LetteringImageError, fit_into_box, isolate
from tests.emulators.lettering import encode
from tests.lettering.conftest import HEIGHT, WIDTH, gradient, lettering_png

RED = (200, 50, 40, 255)


def bar_image(ground, ink=(250, 250, 250, 255), box=(300, 250, 700, 330)) -> Image.Image:
    """A solid bar of ink on a background: the ink's pixels are known exactly."""
    image = (
        ground.convert("RGBA")
        if isinstance(ground, Image.Image)
        else Image.new("RGBA", (WIDTH, HEIGHT), ground)
    )
    ImageDraw.Draw(image).rectangle(box, fill=ink)
    return image


def test_opaque_flat_background_becomes_transparent_and_ink_opaque():
    layer = isolate(encode(bar_image(RED)))
    assert layer.mode == "RGBA"
    assert layer.size == (401, 81)  # trimmed to the bar
    pixels = np.asarray(layer)
    assert (pixels[..., 3] == 255).all()
    assert np.abs(pixels[..., :3].astype(int) - 250).max() <= 2


def test_lettering_edges_are_unpremultiplied_not_tinted_by_the_background():
    layer = np.asarray(isolate(lettering_png("Hello", (250, 250, 250, 255), RED))).astype(int)
    edge = (layer[..., 3] > 40) & (layer[..., 3] < 215)
    assert edge.sum() > 100, "anti-aliased edge pixels expected"
    # Against red, a half-covered white pixel is pink; un-premultiplied it is white again.
    assert np.abs(layer[edge][:, :3] - 250).mean() < 12
    assert (layer[..., 3] == 0).mean() > 0.3  # space between and around letters stays clear


def test_gradient_background_is_removed_too():
    layer = np.asarray(isolate(encode(bar_image(gradient((30, 60, 160), (120, 40, 140))))))
    assert layer.shape[:2] == (81, 401)
    # The ink's distance from a varying background varies; coverage stays within a few percent.
    assert (layer[..., 3] >= 245).all()


def test_jpeg_noise_around_the_ink_stays_transparent():
    layer = np.asarray(isolate(encode(bar_image(RED), "JPEG")))
    # JPEG rings within its 8-pixel blocks; nothing farther out survives as ink.
    assert abs(layer.shape[0] - 81) <= 8 and abs(layer.shape[1] - 401) <= 8
    interior = layer[6:-6, 6:-6, 3]
    assert interior.min() > 200 and interior.mean() > 250


def test_transparent_image_keeps_its_alpha_and_is_trimmed():
    source = Image.new("RGBA", (WIDTH, HEIGHT), (0, 0, 0, 0))
    ImageDraw.Draw(source).ellipse((100, 100, 300, 220), fill=(10, 200, 90, 128))
    layer = isolate(encode(source))
    assert layer.size == (201, 121)
    assert np.array_equal(np.asarray(layer), np.asarray(source.crop((100, 100, 301, 221))))


@pytest.mark.parametrize("data", [b"<html>AccessDenied</html>", b""], ids=["html", "empty"])
def test_bytes_that_are_not_an_image_raise_a_lettering_error(data):
    with pytest.raises(LetteringImageError, match="not a readable image"):
        isolate(data)


def test_an_image_without_ink_raises_a_lettering_error():
    with pytest.raises(LetteringImageError, match="no ink"):
        isolate(encode(Image.new("RGBA", (200, 100), RED)))
    with pytest.raises(LetteringImageError, match="no ink"):
        isolate(encode(Image.new("RGBA", (200, 100), (0, 0, 0, 0))))


def ink_box(image: Image.Image) -> tuple[int, int, int, int]:
    return image.getchannel("A").getbbox()


@pytest.mark.parametrize(
    ("box", "align", "valign", "direction", "expected"),
    [
        ((600, 100), "start", "center", "ltr", (0, 0, 400, 100)),
        ((600, 100), "center", "center", "ltr", (100, 0, 500, 100)),
        ((600, 100), "end", "center", "ltr", (200, 0, 600, 100)),
        ((600, 100), "start", "center", "rtl", (200, 0, 600, 100)),  # start is the right edge in RTL
        ((400, 300), "start", "top", "ltr", (0, 0, 400, 100)),
        ((400, 300), "start", "center", "ltr", (0, 100, 400, 200)),
        ((400, 300), "start", "bottom", "ltr", (0, 200, 400, 300)),
    ],
)
def test_fit_into_box_aligns_like_a_text_layer(box, align, valign, direction, expected):
    fitted = fit_into_box(Image.new("RGBA", (400, 100), (255, 255, 255, 255)), *box, align, valign, direction)
    assert fitted.size == box and fitted.mode == "RGBA"
    assert ink_box(fitted) == expected


def test_fit_into_box_scales_down_keeping_the_aspect():
    fitted = fit_into_box(Image.new("RGBA", (800, 200), (0, 0, 0, 255)), 300, 300, "center", "center")
    assert ink_box(fitted) == (0, 112, 300, 187)  # 300 x 75, centred


def test_fit_into_box_scales_up_to_the_width_when_the_box_is_tall():
    fitted = fit_into_box(Image.new("RGBA", (100, 50), (0, 0, 0, 255)), 300, 300, "center", "top")
    assert ink_box(fitted) == (0, 0, 300, 150)


def test_fit_into_box_does_not_darken_edges_with_hidden_transparent_colour():
    lettering = Image.new("RGBA", (64, 64), (0, 0, 0, 0))  # transparent black around...
    ImageDraw.Draw(lettering).rectangle((16, 16, 47, 47), fill=(255, 255, 255, 255))  # ...a white square
    fitted = np.asarray(fit_into_box(lettering, 40, 40)).astype(int)
    visible = fitted[..., 3] > 20
    assert fitted[visible][:, :3].min() >= 235


def test_isolate_accepts_what_pillow_writes_in_other_formats():
    buf = io.BytesIO()
    bar_image(RED).save(buf, "WEBP", lossless=True)
    assert isolate(buf.getvalue()).size == (401, 81)
