"""Colour values: parsing, WCAG luminance and contrast, mixing, OKLab/OKLCH, and palettes.

Scalar functions work on 8-bit sRGB triples; the `*_array` functions are their numpy
counterparts, used on the small fields the background generator computes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from types import MappingProxyType

import numpy as np

from ..errors import UnprocessableField

RGB = tuple[int, int, int]
Lab = tuple[float, float, float]

WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)

NAMED: MappingProxyType[str, RGB] = MappingProxyType(
    {
        "black": (0, 0, 0),
        "white": (255, 255, 255),
        "red": (255, 0, 0),
        "green": (0, 128, 0),
        "lime": (0, 255, 0),
        "blue": (0, 0, 255),
        "yellow": (255, 255, 0),
        "cyan": (0, 255, 255),
        "magenta": (255, 0, 255),
        "gray": (128, 128, 128),
        "grey": (128, 128, 128),
        "silver": (192, 192, 192),
        "orange": (255, 165, 0),
        "purple": (128, 0, 128),
        "navy": (0, 0, 128),
        "teal": (0, 128, 128),
        "maroon": (128, 0, 0),
        "olive": (128, 128, 0),
        "pink": (255, 192, 203),
        "brown": (165, 42, 42),
    }
)

_HEX = re.compile(r"#([0-9a-f]{3}|[0-9a-f]{6})")
_HEX_ALPHA = re.compile(r"#([0-9a-f]{8})")
_RGB_FUNC = re.compile(r"rgb\(\s*(\d{1,3})\s*[,\s]\s*(\d{1,3})\s*[,\s]\s*(\d{1,3})\s*\)")


class InvalidColor(UnprocessableField, ValueError):
    """A colour string that is not #RGB, #RRGGBB, rgb(r, g, b) or a basic name; a 422 for clients."""


def parse_color(text: str) -> RGB:
    """(r, g, b) of '#RGB', '#RRGGBB', 'rgb(r, g, b)' or a basic CSS name; InvalidColor otherwise."""
    value = text.strip().lower() if isinstance(text, str) else ""
    if value in NAMED:
        return NAMED[value]
    if match := _HEX.fullmatch(value):
        digits = match.group(1)
        digits = "".join(c * 2 for c in digits) if len(digits) == 3 else digits
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    if match := _RGB_FUNC.fullmatch(value):
        channels = tuple(int(g) for g in match.groups())
        if all(0 <= c <= 255 for c in channels):
            return channels  # type: ignore[return-value]
        raise InvalidColor(f"colour {text!r}: rgb() channels must be 0-255")
    raise InvalidColor(f"colour {text!r} is not #RGB, #RRGGBB, rgb(r, g, b) or one of: {', '.join(NAMED)}")


def parse_fill(text: str) -> tuple[int, ...]:
    """(r, g, b, a) of '#RRGGBBAA' (a translucent shape), else the (r, g, b) parse_color reads."""
    if match := _HEX_ALPHA.fullmatch(text.strip().lower()):
        return tuple(bytes.fromhex(match.group(1)))
    return parse_color(text)


def to_hex(rgb: RGB) -> str:
    """'#rrggbb' of an sRGB triple."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _linear(channel: float) -> float:
    """sRGB-encoded channel in [0, 1] -> linear light (the WCAG/sRGB transfer curve)."""
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def _encode(linear: float) -> float:
    """Linear light in [0, 1] -> sRGB-encoded channel (inverse of _linear)."""
    return linear * 12.92 if linear <= 0.0031308 else 1.055 * linear ** (1 / 2.4) - 0.055


def relative_luminance(rgb: RGB) -> float:
    """WCAG 2 relative luminance in [0, 1]."""
    r, g, b = (_linear(c / 255) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def luminance_ratio(l1: float, l2: float) -> float:
    """WCAG contrast ratio (1..21) between two relative luminances, in either order."""
    hi, lo = max(l1, l2), min(l1, l2)
    return (hi + 0.05) / (lo + 0.05)


def contrast_ratio(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio (1..21) between two colours."""
    return luminance_ratio(relative_luminance(a), relative_luminance(b))


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """a blended toward b by t in [0, 1], in sRGB space the way compositing does it."""
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def lighten(rgb: RGB, amount: float) -> RGB:
    """rgb mixed toward white by amount in [0, 1]."""
    return mix(rgb, WHITE, amount)


def darken(rgb: RGB, amount: float) -> RGB:
    """rgb mixed toward black by amount in [0, 1]."""
    return mix(rgb, BLACK, amount)


# OKLab (Björn Ottosson, 2020): perceptually even, so palette stops and gradients keep hue.
_LMS_FROM_LINEAR = np.array(
    [[0.4122214708, 0.5363325363, 0.0514459929],
     [0.2119034982, 0.6806995451, 0.1073969566],
     [0.0883024619, 0.2817188376, 0.6299787005]]
)  # fmt: skip
_LAB_FROM_LMS = np.array(
    [[0.2104542553, 0.7936177850, -0.0040720468],
     [1.9779984951, -2.4285922050, 0.4505937099],
     [0.0259040371, 0.7827717662, -0.8086757660]]
)  # fmt: skip
_LMS_FROM_LAB = np.linalg.inv(_LAB_FROM_LMS)
_LINEAR_FROM_LMS = np.linalg.inv(_LMS_FROM_LINEAR)


def to_oklab(rgb: RGB) -> Lab:
    """OKLab (L, a, b) of an sRGB colour."""
    linear = np.array([_linear(c / 255) for c in rgb])
    lab = _LAB_FROM_LMS @ np.cbrt(_LMS_FROM_LINEAR @ linear)
    return (float(lab[0]), float(lab[1]), float(lab[2]))


def _oklab_to_linear(lab: Lab) -> np.ndarray:
    """Linear-light RGB of an OKLab colour, possibly outside [0, 1] (out of gamut)."""
    return _LINEAR_FROM_LMS @ ((_LMS_FROM_LAB @ np.array(lab)) ** 3)


def from_oklab(lab: Lab) -> RGB:
    """sRGB of an OKLab colour, clipped to the gamut."""
    linear = np.clip(_oklab_to_linear(lab), 0.0, 1.0)
    return tuple(round(_encode(float(c)) * 255) for c in linear)  # type: ignore[return-value]


def to_oklch(rgb: RGB) -> Lab:
    """OKLCH (L, C, hue in degrees) of an sRGB colour."""
    lightness, a, b = to_oklab(rgb)
    return (lightness, math.hypot(a, b), math.degrees(math.atan2(b, a)) % 360)


def from_oklch(lightness: float, chroma: float, hue: float) -> RGB:
    """sRGB of an OKLCH colour; chroma is reduced (hue and lightness kept) until it fits the gamut."""
    lo, hi = 0.0, max(chroma, 0.0)
    if _in_gamut(lightness, hi, hue):
        return from_oklab(_lab(lightness, hi, hue))
    for _ in range(18):  # bisection on chroma: 2^-18 is far below one 8-bit step
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _in_gamut(lightness, mid, hue) else (lo, mid)
    return from_oklab(_lab(lightness, lo, hue))


def _lab(lightness: float, chroma: float, hue: float) -> Lab:
    rad = math.radians(hue)
    return (lightness, chroma * math.cos(rad), chroma * math.sin(rad))


def _in_gamut(lightness: float, chroma: float, hue: float) -> bool:
    linear = _oklab_to_linear(_lab(lightness, chroma, hue))
    return bool(np.all(linear >= -1e-4) and np.all(linear <= 1 + 1e-4))


def oklab_array(colors: list[RGB] | tuple[RGB, ...]) -> np.ndarray:
    """(n, 3) OKLab array of sRGB colours."""
    return np.array([to_oklab(c) for c in colors])


def oklab_to_srgb8_array(lab: np.ndarray) -> np.ndarray:
    """uint8 sRGB (..., 3) of an OKLab field (..., 3), clipped to the gamut; vectorised for backgrounds."""
    # Plane by plane with scalar weights: 2-3x faster here than (n, 3) @ (3, 3) matmuls, which
    # allocate more and larger temporaries; a table replaces np.power (~30 ns a value here).
    planes = [lab[..., 0], lab[..., 1], lab[..., 2]]
    lms = [_cube(_combine(row, planes)) for row in _LMS_FROM_LAB]
    out = np.empty(lab.shape, np.uint8)
    for channel, row in enumerate(_LINEAR_FROM_LMS):
        linear = np.clip(_combine(row, lms), 0.0, 1.0)
        out[..., channel] = _encode_table().take((linear * (_ENCODE_STEPS - 1) + 0.5).astype(np.intp))
    return out


def _combine(weights: np.ndarray, planes: list[np.ndarray]) -> np.ndarray:
    """weights[0] * planes[0] + weights[1] * planes[1] + weights[2] * planes[2], in the planes' dtype."""
    return planes[0] * weights[0].item() + planes[1] * weights[1].item() + planes[2] * weights[2].item()


def _cube(values: np.ndarray) -> np.ndarray:
    return values * values * values


_ENCODE_STEPS = 16384  # linear-light resolution: finer than 1/4 of an 8-bit step even in the darks


@cache
def _encode_table() -> np.ndarray:
    """Read-only linear-light -> 8-bit sRGB table, built once per process."""
    linear = np.linspace(0.0, 1.0, _ENCODE_STEPS)
    encoded = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * np.power(linear, 1 / 2.4) - 0.055)
    table = (encoded * 255 + 0.5).astype(np.uint8)
    table.flags.writeable = False
    return table


def luminance_array(rgb8: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of each pixel of a uint8 (..., 3) array."""
    table = _luminance_table()
    return table[0].take(rgb8[..., 0]) + table[1].take(rgb8[..., 1]) + table[2].take(rgb8[..., 2])


@cache
def _luminance_table() -> np.ndarray:
    """Read-only (3, 256) table: each channel's weighted linear-light contribution, built once."""
    linear = np.array([_linear(i / 255) for i in range(256)])
    table = np.stack([0.2126 * linear, 0.7152 * linear, 0.0722 * linear])
    table.flags.writeable = False
    return table


# Palettes: the colour stops backgrounds are painted from.
NEAR_BLACK: RGB = (17, 17, 23)


@dataclass(frozen=True)
class Palette:
    """An ordered set of colour stops a background is painted from."""

    name: str
    stops: tuple[RGB, ...]
    brand: RGB | None = None  # a brand colour, used exactly where a marketer expects it (CTA, badge, rule)

    def __post_init__(self) -> None:
        if len(self.stops) < 2:
            raise ValueError("a palette needs at least two stops")
        if any(len(c) != 3 or not all(isinstance(v, int) and 0 <= v <= 255 for v in c) for c in self.stops):
            raise ValueError(f"palette {self.name!r}: every stop must be three integers 0-255")

    @property
    def dark(self) -> bool:
        """True when white text reads better than black over the average of the stops."""
        mean = sum(relative_luminance(c) for c in self.stops) / len(self.stops)
        return luminance_ratio(1.0, mean) >= luminance_ratio(mean, 0.0)

    @property
    def text(self) -> RGB:
        """Default text colour for this palette: near-white on dark, near-black on light."""
        return WHITE if self.dark else NEAR_BLACK


def _palette(name: str, *hexes: str) -> Palette:
    return Palette(name, tuple(parse_color(h) for h in hexes))


THEMES: MappingProxyType[str, Palette] = MappingProxyType(
    {
        p.name: p
        for p in (
            _palette("midnight", "#070b24", "#151a4f", "#372277", "#6a35a8"),
            _palette("sunset", "#2a0f3f", "#6d1f5e", "#c2405a", "#f08a4b"),
            _palette("ocean", "#021a3a", "#06386b", "#0d6496", "#2aa3b5"),
            _palette("forest", "#07170f", "#123a27", "#24613e", "#5c9a5a"),
            _palette("paper", "#fdfaf3", "#f6eedd", "#eee1c6", "#e3d2b0"),
            _palette("mono-dark", "#0b0b0d", "#18181b", "#27272a", "#3a3a40"),
            _palette("mono-light", "#ffffff", "#f6f6f7", "#e9e9ec", "#dadade"),
            _palette("candy", "#ffd6e4", "#fbc2eb", "#d7c4f7", "#b9dcff"),
        )
    }
)


def theme(name: str) -> Palette:
    """A named palette; UnprocessableField listing the choices for an unknown name."""
    try:
        return THEMES[name]
    except KeyError:
        raise UnprocessableField(f"unknown theme {name!r}; choose one of: {', '.join(THEMES)}") from None


def text_on(fill: RGB, min_ratio: float = 4.5) -> RGB:
    """The text colour that reads on a solid fill: white or near-black, whichever contrasts more,
    and pure black for the few mid-tones (luminance ~0.19) where neither reaches min_ratio."""
    best = max((WHITE, NEAR_BLACK), key=lambda text: contrast_ratio(text, fill))
    if contrast_ratio(best, fill) < min_ratio and contrast_ratio(BLACK, fill) > contrast_ratio(best, fill):
        return BLACK
    return best


# (OKLCH lightness, share of the chroma, hue offset in degrees) of the four stops. The dark ramp
# stays light enough to show its hue (a green brand gives green, not near-black); the light one is
# a pale tint of the brand's hue for brand colours too deep to stand out on a dark background.
_DARK_RAMP = ((0.24, 0.7, -10), (0.31, 0.85, -3), (0.38, 1.0, 4), (0.46, 0.95, 10))
_LIGHT_RAMP = ((0.985, 0.4, -8), (0.96, 0.7, -3), (0.93, 0.9, 3), (0.9, 1.0, 8))
_DARK_CHROMA, _LIGHT_CHROMA = 0.16, 0.045  # calm backgrounds even for neon brand colours
_PALE, _DARK_CHROMA_UNDER_PALE = 0.85, 0.035  # OKLCH lightness of a very light brand colour


@lru_cache(maxsize=256)
def palette_from_brand(color: str) -> Palette:
    """A four-stop palette in the brand's hue, carrying the exact brand colour for CTA, badge and rule.

    The stops are dark or light, whichever sets the brand colour off more (WCAG contrast between the
    brand and the stops' mean luminance): a bright orange CTA sits on deep orange-brown, a deep red
    or purple one on a pale tint of its own hue.
    """
    brand = parse_color(color)
    lightness, chroma, hue = to_oklch(brand)
    # Deep shades of a very light brand colour (a yellow, a pastel) turn olive or muddy: its dark
    # background keeps the hue at a lower chroma, a warm or cool near-black the brand colour lights up.
    dark_chroma = _DARK_CHROMA if lightness < _PALE else _DARK_CHROMA_UNDER_PALE
    options = []
    for ramp, cap in ((_DARK_RAMP, dark_chroma), (_LIGHT_RAMP, _LIGHT_CHROMA)):
        stops = tuple(from_oklch(lum, min(chroma, cap) * c, (hue + dh) % 360) for lum, c, dh in ramp)
        mean = sum(relative_luminance(s) for s in stops) / len(stops)
        options.append((luminance_ratio(relative_luminance(brand), mean), stops))
    stops = max(options, key=lambda option: option[0])[1]
    return Palette(f"brand-{color.strip().lower()}", stops, brand)
