"""Turn untrusted query parameters into a validated card request, or a precise 4xx error."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import BadRequest, PayloadTooLarge, UnprocessableField
from .templates import SizePreset, Template

RESERVED = {"size", "seed", "s"}
# ASCII digits only: `\d`, isdigit() and int() each accept a different set of Unicode digits.
_SIZE = re.compile(r"([0-9]{1,5})x([0-9]{1,5})")
_SEED = re.compile(r"[0-9]{1,18}")
_IMAGE_ID = re.compile(r"[0-9a-fA-F]{64}")
_IMAGE_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_COLOR = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_SPACE = re.compile(r"\s+")
MIN_SIDE = 16
# What draws nothing on its own: format controls (zero-width space and joiner, bidi controls, soft
# hyphen, word joiner), combining marks with no base to sit on, separators, and the letters Unicode
# marks default-ignorable (Hangul fillers, U+FFF0..U+FFF8).
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Mn", "Me", "Zs", "Zl", "Zp"})
_IGNORABLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0" + "".join(map(chr, range(0xFFF0, 0xFFF9))))


@dataclass(frozen=True)
class CardRequest:
    """A validated request: template, every field with defaults applied, size and seed."""

    template: Template
    fields: dict[str, str]
    size_name: str
    preset: SizePreset
    seed: int | None


def parse_card_request(template: Template, params: Sequence[tuple[str, str]], max_pixels: int) -> CardRequest:
    """Validate parameters against the template's fields; every problem names the parameter."""
    seen: set[str] = set()
    values: dict[str, str] = {}
    for key, value in params:
        if key in seen:
            raise BadRequest(f"parameter '{key}' is given more than once", parameter=key)
        seen.add(key)
        if key not in RESERVED and key not in template.fields:
            allowed = ", ".join(sorted(template.fields))
            raise BadRequest(
                f"unknown field '{key}'; template {template.name} accepts: {allowed}", parameter=key
            )
        values[key] = value
    fields = {name: _field_value(name, values.get(name), template) for name in template.fields}
    size_name, preset = parse_size(template, values.get("size", ""), max_pixels)
    return CardRequest(template, fields, size_name, preset, _seed(values.get("seed")))


def clean_text(name: str, value: str) -> str:
    """NFC, no control characters, whitespace collapsed (a title is one paragraph)."""
    value = unicodedata.normalize("NFC", value)
    for char in value:
        if unicodedata.category(char) == "Cc" and char not in "\t\n\r":
            raise BadRequest(f"field '{name}' contains a control character U+{ord(char):04X}", parameter=name)
        if unicodedata.category(char) in ("Cs", "Co") or char in "\ufffe\uffff":
            raise BadRequest(
                f"field '{name}' contains an invalid character U+{ord(char):04X}", parameter=name
            )
    return _SPACE.sub(" ", value).strip()


def has_visible_characters(text: str) -> bool:
    """Whether some character of `text` draws something (see _INVISIBLE_CATEGORIES)."""
    return any(
        unicodedata.category(c) not in _INVISIBLE_CATEGORIES and c not in _IGNORABLE_LETTERS for c in text
    )


def _field_value(name: str, raw: str | None, template: Template) -> str:
    spec = template.fields[name]
    value = clean_text(name, raw) if raw is not None else ""
    if value and not has_visible_characters(value):
        if spec.required:
            raise BadRequest(f"field '{name}' has no visible characters", parameter=name)
        value = ""  # nothing to draw: the same card as an empty field
    if not value:
        if spec.required:
            raise BadRequest(f"field '{name}' is required", parameter=name)
        return spec.default
    if len(value) > spec.max_length:
        raise PayloadTooLarge(
            f"field '{name}' is {len(value)} characters; the limit is {spec.max_length}", parameter=name
        )
    if spec.kind == "choice" and value not in spec.choices:
        raise UnprocessableField(
            f"field '{name}' must be one of: {', '.join(spec.choices)}",
            parameter=name,
            choices=list(spec.choices),
        )
    if spec.kind == "color":
        match = _COLOR.match(value)
        if not match:
            raise UnprocessableField(f"field '{name}' must be a hex colour like #1a73e8", parameter=name)
        value = "#" + match.group(1).lower()
    if spec.kind == "image":
        value = _image_value(name, value)
    return value


def _image_value(name: str, value: str) -> str:
    """An uploaded image's id (lower-cased) or an http(s) URL; what the URL may name is the fetch
    policy's decision (sources/policy.py), made when the card is rendered."""
    if _IMAGE_ID.fullmatch(value):
        return value.lower()
    if _IMAGE_URL.fullmatch(value):
        return value
    raise UnprocessableField(
        f"field '{name}' must be an uploaded image's id (64 hex digits, from POST /v1/assets) "
        "or an https URL",
        parameter=name,
    )


def parse_size(template: Template, raw: str, max_pixels: int) -> tuple[str, SizePreset]:
    """A preset name, or WxH laid out with the preset of the nearest aspect ratio."""
    if not raw:
        return template.default_size, template.sizes[template.default_size]
    if raw in template.sizes:
        return raw, template.sizes[raw]
    match = _SIZE.fullmatch(raw)
    if not match:
        presets = ", ".join(template.sizes)
        raise BadRequest(f"size must be a preset ({presets}) or WIDTHxHEIGHT", parameter="size")
    width, height = int(match.group(1)), int(match.group(2))
    if min(width, height) < MIN_SIDE or width * height > max_pixels or max(width, height) > 4096:
        raise UnprocessableField(
            f"size {width}x{height} is outside the limits ({MIN_SIDE}..4096 px a side, {max_pixels} pixels)",
            parameter="size",
        )
    nearest = min(template.sizes.values(), key=lambda p: abs(p.width / p.height - width / height))
    return f"{width}x{height}", SizePreset(width=width, height=height, layout=nearest.layout)


def _seed(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not _SEED.fullmatch(raw):
        raise BadRequest("seed must be a non-negative integer (at most 18 digits)", parameter="seed")
    return int(raw)
