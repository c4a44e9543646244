"""Font registry: bundled faces, licences, coverage-driven fallback, language hints, caching, fingerprint."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from ogservice.cards.fonts import BUNDLED_FONTS_DIR, FONT_CACHE_SIZE, FontRegistry
from ogservice.errors import UnprocessableField


@pytest.fixture(scope="module")
def registry() -> FontRegistry:
    return FontRegistry.load()


def test_every_bundled_font_file_ships_with_its_ofl_licence() -> None:
    files = [p for p in BUNDLED_FONTS_DIR.rglob("*") if p.suffix in (".ttf", ".otf", ".ttc")]
    assert len(files) >= 12
    for path in files:
        licence = path.parent / "OFL.txt"
        assert licence.is_file(), path
        assert "SIL OPEN FONT LICENSE Version 1.1" in licence.read_text()
        assert path.name in (BUNDLED_FONTS_DIR / "README.md").read_text()


def test_aliases_resolve_to_real_families_with_regular_and_bold(registry: FontRegistry) -> None:
    for alias in ("sans", "serif", "display"):
        regular, bold = registry.best_face(alias, 400), registry.best_face(alias, 700)
        assert (regular.weight, bold.weight) == (400, 700)
        assert regular.family == bold.family
    assert registry.best_face("sans").family == "Inter"
    assert registry.best_face("mono").role == "text"


def test_unknown_family_is_a_user_error(registry: FontRegistry) -> None:
    with pytest.raises(UnprocessableField, match="Comic"):
        registry.chain("Comic Sans", 400)


@pytest.mark.parametrize(
    ("char", "family_part"),
    [
        ("A", "Inter"),
        ("ß", "Inter"),
        ("Ж", "Inter"),
        ("Ω", "Inter"),
        ("ش", "Arabic"),
        ("ש", "Hebrew"),
        ("क", "Devanagari"),
        ("ก", "Thai"),
        ("\u0e49", "Thai"),  # tone mark mai tho
        ("๙", "Thai"),  # Thai digit nine
        ("中", "CJK"),
        ("か", "CJK"),
        ("😀", "Emoji"),
    ],
)
def test_font_for_walks_the_fallback_chain_to_a_covering_face(
    registry: FontRegistry, char: str, family_part: str
) -> None:
    face = registry.font_for(char, "sans", 700)
    assert face is not None and family_part in face.family
    with TTFont(str(face.path), fontNumber=face.index, lazy=True) as font:
        assert ord(char) in font.getBestCmap()


def test_serif_family_serves_latin_itself_and_falls_back_for_other_scripts(registry: FontRegistry) -> None:
    assert registry.font_for("a", "serif").family == "Noto Serif"
    assert registry.font_for("ש", "serif").family == "Noto Sans Hebrew"


def test_every_alias_sets_thai_in_noto_sans_thai_at_the_weight_asked_for(registry: FontRegistry) -> None:
    for alias in ("sans", "serif", "display", "mono"):
        faces = [registry.font_for("ก", alias, weight) for weight in (400, 700)]
        assert [(f.family, f.weight) for f in faces if f] == [("Noto Sans Thai", w) for w in (400, 700)]


def test_uncovered_character_has_no_font(registry: FontRegistry) -> None:
    assert registry.font_for("\U00013000", "sans") is None  # Egyptian hieroglyph: nothing bundled


def test_lang_hint_picks_the_regional_han_face(registry: FontRegistry) -> None:
    assert registry.font_for("骨", "sans", lang="ja").family == "Noto Sans CJK JP"
    assert registry.font_for("骨", "sans", lang="zh").family == "Noto Sans CJK SC"
    assert registry.font_for("骨", "sans", lang="zh-Hant").family == "Noto Sans CJK TC"


def test_chain_order_is_primary_text_script_cjk_emoji(registry: FontRegistry) -> None:
    roles = [f.role for f in registry.chain("sans", 400)]
    assert roles[0] == "text" and roles[-1] == "emoji"
    assert roles == sorted(roles, key=["text", "script", "cjk", "emoji"].index)


def test_face_objects_are_cached_per_face_and_size(registry: FontRegistry) -> None:
    assert registry.face("sans", 700, 64) is registry.face("sans", 700, 64)
    assert registry.face("sans", 700, 64) is not registry.face("sans", 700, 48)
    assert registry.face("sans", 700, 64).size == 64


def test_a_font_in_use_stays_cached_while_many_others_pass_through(registry: FontRegistry) -> None:
    inter = registry.best_face("sans", 400)
    title = registry.font(inter, 64)
    serif = registry.best_face("serif", 400)
    for size in range(8, 8 + 2 * FONT_CACHE_SIZE):  # a burst of one-off sizes, the title font in between
        registry.font(serif, size)
        assert registry.font(inter, 64) is title


def test_colour_emoji_face_is_only_opened_at_its_bitmap_strike(registry: FontRegistry) -> None:
    emoji = registry.font_for("😀", "sans")
    assert emoji is not None and emoji.bitmap_size == 109
    assert registry.font(emoji, 40).size == 109


def test_content_hash_and_fingerprint_track_font_files(registry: FontRegistry, tmp_path: Path) -> None:
    inter = registry.best_face("sans", 400)
    assert len(inter.sha256) == 64
    assert registry.fingerprint() == FontRegistry.load().fingerprint()
    shutil.copy(BUNDLED_FONTS_DIR / "noto-serif" / "NotoSerif-Regular.ttf", tmp_path / "Extra.ttf")
    with_user = FontRegistry.load([tmp_path])
    assert with_user.fingerprint() != registry.fingerprint()
    assert {f.family for f in with_user.faces} == {"Noto Serif"}
