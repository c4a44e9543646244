"""Font registry: every bundled (and user) face parsed once, with coverage, hashes and fallback chains.

Faces are classified by what they can draw, not by name: a face with colour bitmaps is "emoji", one
covering Han is "cjk", one lacking the Latin alphabet is "script" (Arabic, Hebrew, Devanagari...),
anything else is "text". A family's fallback chain is: the family itself, the other text families,
the script faces, the CJK faces (ordered by the `lang` hint) and finally emoji.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType

from fontTools.ttLib import TTCollection, TTFont
from PIL import ImageFont

from ogservice.cards.bundled import bundled_dir
from ogservice.cards.glyphs import GlyphEngine
from ogservice.errors import UnprocessableField

BUNDLED_FONTS_DIR = bundled_dir("fonts")
FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
ALIASES = MappingProxyType(
    {"sans": "Inter", "serif": "Noto Serif", "display": "Noto Serif", "mono": "Noto Mono"}
)
ALIAS_ORDER = ("Inter", "Noto Serif", "Noto Mono")
CJK_LANGS = MappingProxyType({"JP": "ja", "KR": "ko", "SC": "zh", "TC": "zh-TW", "HK": "zh-HK"})
CJK_DEFAULT_ORDER = ("zh", "ja", "zh-TW", "zh-HK", "ko")
CJK_TAGS = (
    ("zh-hant", "zh-TW"),
    ("zh-tw", "zh-TW"),
    ("zh-hk", "zh-HK"),
    ("zh-mo", "zh-HK"),
    ("zh", "zh"),
    ("ja", "ja"),
    ("ko", "ko"),
)
EMOJI_TABLES = ("CBDT", "sbix", "COLR", "SVG ")
FONT_CACHE_SIZE = 256


@dataclass(frozen=True)
class FontFace:
    """One face of one font file: identity, style, metrics in em and the code points it covers."""

    path: Path
    index: int
    family: str
    weight: int
    style: str
    sha256: str
    role: str
    lang: str | None
    ascent: float
    descent: float
    ink_above: float  # no glyph's outline reaches further above the baseline than this (em)...
    ink_below: float  # ...or further below it (the font's bounding box, or its line metrics if larger)
    bitmap_size: int | None
    coverage: frozenset[int] = field(repr=False, compare=False)

    @cached_property
    def id(self) -> str:
        """Stable identifier: the path, plus `#index` for a member of a font collection."""
        return f"{self.path}#{self.index}" if self.path.suffix in (".ttc", ".otc") else str(self.path)

    def __hash__(self) -> int:
        # Faces key the shaping and glyph caches on every call: hash the id, not eleven fields.
        return hash(self.id)

    def covers(self, char: str) -> bool:
        """Whether the face's cmap maps this single character."""
        return ord(char) in self.coverage


def _format12_ranges(data: bytes) -> list[tuple[int, int]] | None:
    """(start, end) ranges of a format 12 cmap subtable, parsed raw: fontTools' path is 10x slower on CJK."""
    count = struct.unpack_from(">H", data, 2)[0]
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", data, 4 + 8 * i)
        unicode_full = (platform, encoding) in ((3, 10), (0, 4), (0, 6))
        if unicode_full and struct.unpack_from(">H", data, offset)[0] == 12:
            groups = struct.unpack_from(">I", data, offset + 12)[0]
            body = data[offset + 16 : offset + 16 + 12 * groups]
            return [(s, e) for s, e, glyph in struct.iter_unpack(">III", body) if glyph or s != e]
    return None


def _coverage(font: TTFont, seen: dict[object, frozenset[int]]) -> frozenset[int]:
    """The set of code points the face maps to a glyph; equal cmaps (CJK collections) share one set."""
    ranges = _format12_ranges(font.reader["cmap"])
    if ranges is None:
        return frozenset(font.getBestCmap() or {})
    key = _merged(ranges)
    if key not in seen:
        seen[key] = frozenset(cp for start, end in ranges for cp in range(start, end + 1))
    return seen[key]


def _merged(ranges: list[tuple[int, int]]) -> tuple[int, ...]:
    """Canonical flat form of sorted ranges (adjacent ones joined), so equal coverage compares equal."""
    flat: list[int] = []
    for start, end in ranges:
        if flat and start == flat[-1] + 1:
            flat[-1] = end
        else:
            flat += (start, end)
    return tuple(flat)


def _family(font: TTFont) -> str:
    """Typographic family name (name ID 16), else the legacy family name (ID 1)."""
    name = font["name"]
    return str(name.getDebugName(16) or name.getDebugName(1) or "Unknown")


def _role(font: TTFont, coverage: frozenset[int]) -> str:
    """Classify a face by what it can draw (see module docstring)."""
    if any(tag in font for tag in EMOJI_TABLES):
        return "emoji"
    if 0x4E00 in coverage:
        return "cjk"
    latin = set(range(0x41, 0x5B)) | set(range(0x61, 0x7B))
    return "text" if latin <= coverage else "script"


def _bitmap_size(font: TTFont) -> int | None:
    """The strike size of a colour-bitmap (CBDT) face, the only size FreeType renders it at."""
    if "CBLC" not in font:
        return None
    return int(font["CBLC"].strikes[0].bitmapSizeTable.ppemY)


def _cjk_lang(family: str) -> str | None:
    """Language a CJK face is designed for, from the region suffix of its family name."""
    return CJK_LANGS.get(family.rsplit(" ", 1)[-1])


def _face(path: Path, index: int, font: TTFont, digest: str, seen: dict[object, frozenset[int]]) -> FontFace:
    """Build the FontFace of one parsed face."""
    coverage = _coverage(font, seen)
    family, head, hhea = _family(font), font["head"], font["hhea"]
    upem = head.unitsPerEm
    italic = bool(font["OS/2"].fsSelection & 1)
    role = _role(font, coverage)
    return FontFace(
        path=path,
        index=index,
        family=family,
        weight=int(font["OS/2"].usWeightClass),
        style="italic" if italic else "normal",
        sha256=digest,
        role=role,
        lang=_cjk_lang(family) if role == "cjk" else None,
        ascent=hhea.ascent / upem,
        descent=-hhea.descent / upem,
        ink_above=max(head.yMax, hhea.ascent) / upem,
        ink_below=-min(head.yMin, hhea.descent) / upem,
        bitmap_size=_bitmap_size(font),
        coverage=coverage,
    )


def _faces_of(path: Path, seen: dict[object, frozenset[int]]) -> list[FontFace]:
    """All faces in one font file (several for a .ttc collection)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if path.suffix.lower() in (".ttc", ".otc"):
        with TTCollection(str(path), lazy=True) as collection:
            return [_face(path, i, f, digest, seen) for i, f in enumerate(collection.fonts)]
    with TTFont(str(path), lazy=True) as font:
        return [_face(path, 0, font, digest, seen)]


def _font_files(dirs: Iterable[Path]) -> list[Path]:
    """Font files under the given directories, in a stable order (directory order, then path)."""
    files: list[Path] = []
    for d in dirs:
        files += sorted(p for p in Path(d).rglob("*") if p.suffix.lower() in FONT_SUFFIXES)
    return files


class FontRegistry:
    """Every available face, parsed once per process; hands out cached font objects and fallback chains."""

    def __init__(self, faces: Sequence[FontFace]) -> None:
        self.faces: tuple[FontFace, ...] = tuple(faces)
        self._families = {f.family for f in faces}
        self._open = lru_cache(maxsize=FONT_CACHE_SIZE)(_open_font)
        self._chain = lru_cache(maxsize=256)(self._build_chain)
        self.glyphs = GlyphEngine()

    @classmethod
    def load(cls, dirs: Sequence[Path] = (BUNDLED_FONTS_DIR,)) -> FontRegistry:
        """Parse every font file under `dirs` (bundled fonts first, then an optional user dir)."""
        seen: dict[object, frozenset[int]] = {}
        return cls([face for path in _font_files(dirs) for face in _faces_of(path, seen)])

    def resolve(self, family: str) -> str:
        """The real family name behind an alias; unknown families are a user error (422)."""
        real = ALIASES.get(family.lower(), family)
        if real not in self._families:
            raise UnprocessableField(f"unknown font family {family!r}", field="family")
        return real

    def best_face(self, family: str, weight: int = 400) -> FontFace:
        """The face of a family closest to the requested weight, upright faces preferred."""
        real = self.resolve(family)
        faces = [f for f in self.faces if f.family == real]
        return min(faces, key=lambda f: (f.style != "normal", abs(f.weight - weight), f.weight))

    def chain(self, family: str, weight: int = 400, lang: str | None = None) -> tuple[FontFace, ...]:
        """Fallback chain: primary, other text faces, script faces, CJK (by lang), emoji."""
        return self._chain(self.resolve(family), weight, lang)

    def _build_chain(self, family: str, weight: int, lang: str | None) -> tuple[FontFace, ...]:
        """Uncached chain construction: one face per family, each at the nearest weight."""
        order = [family] + [f for f in ALIAS_ORDER if f in self._families and f != family]
        order += sorted({f.family for f in self.faces if f.role == "text"} - set(order))
        order += sorted({f.family for f in self.faces if f.role == "script"})
        cjk = {f.family for f in self.faces if f.role == "cjk" and "Mono" not in f.family}  # same coverage
        order += sorted(cjk, key=lambda n: _cjk_rank(n, lang))
        order += sorted({f.family for f in self.faces if f.role == "emoji"})
        return tuple(self.best_face(name, weight) for name in order)

    def font_for(self, char: str, family: str, weight: int = 400, lang: str | None = None) -> FontFace | None:
        """First face in the family's fallback chain whose cmap covers `char`, or None."""
        return next((f for f in self.chain(family, weight, lang) if f.covers(char)), None)

    def face(self, family: str, weight: int, size: int) -> ImageFont.FreeTypeFont:
        """A cached Pillow font for the family at the nearest weight and this pixel size."""
        return self.font(self.best_face(family, weight), size)

    def font(self, face: FontFace, size: int) -> ImageFont.FreeTypeFont:
        """A cached Pillow font (draws colour emoji); colour-bitmap faces only at their strike size."""
        return self._open(str(face.path), face.index, face.bitmap_size or size)

    def advance(self, face: FontFace, text: str, direction: str = "ltr", lang: str | None = None) -> float:
        """Shaped advance width of `text` in em (kerning and ligatures on); cached with the shaping."""
        return self.glyphs.shape(face, text, direction, lang).advance

    def by_id(self, face_id: str) -> FontFace:
        """The face with this id (as found in a laid-out block's runs)."""
        return next(f for f in self.faces if f.id == face_id)

    def fingerprint(self) -> str:
        """Hash of all font file hashes: part of every render cache key, so a font change re-renders."""
        return hashlib.sha256("\n".join(sorted({f.sha256 for f in self.faces})).encode()).hexdigest()


def _open_font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index, layout_engine=ImageFont.Layout.RAQM)


def _cjk_rank(family: str, lang: str | None) -> tuple[bool, int]:
    """Sort key for CJK families: the hinted language first, then Simplified Chinese, Japanese..."""
    face_lang = _cjk_lang(family)
    rank = CJK_DEFAULT_ORDER.index(face_lang) if face_lang in CJK_DEFAULT_ORDER else len(CJK_DEFAULT_ORDER)
    return (face_lang != cjk_lang_of(lang), rank)


def cjk_lang_of(lang: str | None) -> str | None:
    """Map a BCP 47 tag to the CJK face language it selects ('zh-Hant' -> 'zh-TW', 'ja-JP' -> 'ja')."""
    tag = (lang or "").lower()
    for prefix, face_lang in CJK_TAGS:
        if tag == prefix or tag.startswith(prefix + "-"):
            return face_lang
    return None
