"""Line breaks a typographer would choose (issue 12 item 2): UAX #14 through ICU, BudouX phrases for
Japanese and Chinese, no-break characters, Thai words, name+number pairs, hyphenation by language."""

from __future__ import annotations

import pytest

from ogservice.cards.fonts import FontRegistry
from ogservice.cards.text import TextBlock, TextStyle, layout_text
from ogservice.cards.text_break import make_pieces
from ogservice.cards.text_itemize import split_clusters


@pytest.fixture(scope="module")
def registry() -> FontRegistry:
    return FontRegistry.load()


def units(text: str, lang: str | None = None) -> list[str]:
    """The unbreakable pieces of a text, each with its trailing spaces dropped."""
    clusters = split_clusters(text)
    pieces = make_pieces(clusters, lambda a, b: float(b - a), lang)
    return ["".join(clusters[p.start : p.end]) for p in pieces]


def lines_of(block: TextBlock) -> list[str]:
    return ["".join(run.text for run in line.runs) for line in block.lines]


def every_width(registry: FontRegistry, text: str, widths: range, lang: str | None = None) -> list[list[str]]:
    """The lines of `text` at 40 px in each box width."""
    style = TextStyle(min_size=40, max_size=40, max_lines=12, lang=lang)
    return [lines_of(layout_text(registry, text, w, 2000, style)) for w in widths]


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        ("新しいプレゼンテーションを公開しました", "プレゼンテーション"),  # not "レーショ|ン"
        ("小さな変更で安定した正しさを保つ", "小さな"),  # not "小さ|な"
        ("小さな変更で安定した正しさを保つ", "安定"),  # not "安|定"
        ("小さな変更で安定した正しさを保つ", "正しさ"),  # not "正|しさ"
    ],
)
def test_japanese_breaks_between_phrases_not_inside_words(text: str, whole: str) -> None:
    assert any(whole in unit for unit in units(text, "ja")), units(text, "ja")


def test_japanese_titles_never_split_a_word_at_any_width(registry: FontRegistry) -> None:
    text = "新しいプレゼンテーションの小さな安定した正しさを確認する"
    for lines in every_width(registry, text, range(420, 900, 41)):  # the longest phrase fits: 10 x 40 px
        assert "".join(lines) == text
        assert not any(line.startswith(("ン", "な", "定", "しさ")) for line in lines[1:]), lines


def test_a_phrase_longer_than_the_line_still_keeps_kinsoku(registry: FontRegistry) -> None:
    text = "新しいプレゼンテーションの小さな安定した正しさを確認する"
    for lines in every_width(registry, text, range(130, 420, 23)):
        assert "".join(lines) == text
        assert not any(line.startswith(("ョ", "ー", "。")) for line in lines[1:]), lines


def test_chinese_breaks_at_phrases() -> None:
    pieces = units("我们的新产品今天发布欢迎大家来体验", "zh")
    assert 1 < len(pieces) < 17 and "".join(pieces) == "我们的新产品今天发布欢迎大家来体验"
    assert not any(p in ("品", "布", "验") for p in pieces), pieces


def test_no_break_space_and_word_joiner_hold_words_together() -> None:
    assert units("Preis 100\u00a0€ heute") == ["Preis", "100\u00a0€", "heute"]
    assert units("Preis 100\u2060€ heute") == ["Preis", "100\u2060€", "heute"]


def test_no_break_space_survives_layout(registry: FontRegistry) -> None:
    for lines in every_width(registry, "Preis 100\u00a0€ und 200\u00a0€ heute nur", range(120, 700, 29)):
        assert all(not line.startswith("€") and not line.endswith("100") for line in lines), lines


def test_zero_width_space_is_a_break_opportunity_and_draws_nothing(registry: FontRegistry) -> None:
    assert units("abcdef\u200bghijkl") == ["abcdef\u200b", "ghijkl"]
    block = layout_text(registry, "abcdef\u200bghijkl", 200, 400, TextStyle(min_size=40, max_size=40))
    assert [line.replace("\u200b", "") for line in lines_of(block)] == ["abcdef", "ghijkl"]
    assert block.missing == ()


def test_thai_breaks_between_words() -> None:
    assert units("ภาษาไทยเป็นภาษาที่สวยงาม", "th") == ["ภาษา", "ไทย", "เป็น", "ภาษา", "ที่", "สวยงาม"]


def test_a_thai_sentence_wraps_only_between_words_and_draws_every_letter(registry: FontRegistry) -> None:
    """No spaces to break at: at every width, lines end at ICU's dictionary word boundaries."""
    words = ["ภาษา", "ไทย", "เป็น", "ภาษา", "ที่", "สวยงาม", "และ", "มี", "ประวัติศาสตร์", "ยาวนาน"]
    text = "".join(words)
    boundaries = {sum(len(w) for w in words[:k]) for k in range(len(words) + 1)}
    wrapped = 0
    for width in range(230, 900, 31):  # the longest word, ประวัติศาสตร์, is about 212 px at 40 px
        block = layout_text(registry, text, width, 2000, TextStyle(min_size=40, max_size=40, max_lines=12))
        lines = lines_of(block)
        assert "".join(lines) == text and block.missing == () and not block.clamped, lines
        ends = {sum(len(line) for line in lines[: k + 1]) for k in range(len(lines))}
        assert ends <= boundaries, lines
        assert {run.face.family for line in block.lines for run in line.runs} == {"Noto Sans Thai"}
        wrapped += len(lines) > 1
    assert wrapped >= 10


@pytest.mark.parametrize("pair", ["iPhone 16", "Galaxy S24", "Next.js 15"])
def test_a_name_keeps_its_model_number(pair: str) -> None:
    assert pair in units(f"Das neue {pair} und mehr im großen Vergleich heute")


def test_name_number_pairs_stay_on_one_line_at_every_width(registry: FontRegistry) -> None:
    text = "Das neue iPhone 16 und das Galaxy S24 im großen Vergleich"
    for lines in every_width(registry, text, range(260, 1000, 37)):
        assert not any(line.endswith(("iPhone", "Galaxy")) for line in lines), lines


def test_hebrew_prefix_stays_with_its_word() -> None:
    assert "ב-GitHub" in units("אנחנו עוברים ב-GitHub עכשיו", "he")


def test_an_overlong_german_compound_is_hyphenated_at_syllables(registry: FontRegistry) -> None:
    """Issue 12: not '…fahrtsg / esellschafts…' without a hyphen."""
    word = "Donaudampfschifffahrtsgesellschaftskapitän"
    style = TextStyle(min_size=40, max_size=40, max_lines=6, lang="de")
    lines = lines_of(layout_text(registry, word, 300, 800, style))
    assert len(lines) > 1 and "".join(lines).replace("\u2010", "") == word
    assert all(line.endswith("\u2010") for line in lines[:-1]), lines
    allowed = ("Do", "nau", "dampf", "schiff", "fahrts", "ge", "sell", "schafts", "ka", "pi", "tän")
    syllable_ends = {sum(len(s) for s in allowed[: k + 1]) for k in range(len(allowed))}
    at = 0
    for line in lines[:-1]:
        at += len(line) - 1
        assert at in syllable_ends, lines


def test_without_a_language_hint_german_letters_pick_german_patterns(registry: FontRegistry) -> None:
    word = "Donaudampfschifffahrtsgesellschaftskapitän"
    lines = lines_of(layout_text(registry, word, 300, 800, TextStyle(min_size=40, max_size=40, max_lines=6)))
    assert all(line.endswith("\u2010") for line in lines[:-1]) and "ahrtsg\u2010" not in "".join(lines)


def test_a_name_number_pair_wider_than_the_box_breaks_at_its_space(registry: FontRegistry) -> None:
    style = TextStyle(min_size=40, max_size=40, max_lines=4)
    lines = lines_of(layout_text(registry, "iPhone 16", 150, 400, style))
    assert lines == ["iPhone", "16"]


@pytest.mark.parametrize("lang", [None, "en", "de", "fr", "ja"])
def test_plain_text_breaks_where_icu_does(lang: str | None) -> None:
    """line_starts skips ICU for PLAIN text (ASCII letters, digits, apostrophes, spaces): over a
    corpus of such texts (the bench's titles, and seeded random ones with doubled, leading and
    trailing spaces and lone apostrophes) its breaks are exactly ICU's."""
    import random

    from ogservice.bench_texts import card_texts
    from ogservice.cards.text_segment import PLAIN, _icu_breaks, plain_starts

    rng = random.Random(12)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'"
    texts = [text for _, card in zip(range(200), card_texts(), strict=False) for text in card[:2]]
    for _ in range(3000):
        words = ["".join(rng.choices(alphabet, k=rng.randint(1, 9))) for _ in range(rng.randint(1, 10))]
        texts.append("".join(word + " " * rng.choice((0, 1, 1, 1, 2)) for word in words))
    texts += ["", " ", "  a", "a  ", "' '", "it's 16 GB", "Top 10 tips for 2026"]
    for text in texts:
        assert PLAIN.fullmatch(text), text
        assert plain_starts(text) == sorted(_icu_breaks.__wrapped__(text, lang)), text
