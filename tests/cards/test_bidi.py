"""The bidi algorithm against Unicode's own conformance data, and the paired-bracket case of issue 12."""

from __future__ import annotations

from pathlib import Path

import pytest

from ogservice.cards.text_bidi import (
    bidi_classes,
    embedding_levels,
    paragraph_level,
    resolve_levels,
    visual_order,
)

CONFORMANCE = Path(__file__).parent / "unicode" / "BidiCharacterTest-subset.txt"
CLASS_CONFORMANCE = Path(__file__).parent / "unicode" / "BidiTest-subset.txt"
# One character of each bidi class, to turn BidiTest.txt's class sequences into text.
SAMPLE_OF_CLASS = {
    "L": "a", "R": "\u05d0", "AL": "\u0627", "EN": "1", "ES": "+", "ET": "$", "AN": "\u0660",
    "CS": ",", "NSM": "\u0300", "BN": "\u00ad", "B": "\u2029", "S": "\t", "WS": " ", "ON": "!",
    "LRE": "\u202a", "LRO": "\u202d", "RLE": "\u202b", "RLO": "\u202e", "PDF": "\u202c",
    "LRI": "\u2066", "RLI": "\u2067", "FSI": "\u2068", "PDI": "\u2069",
}  # fmt: skip


def _cases() -> list[tuple[int, str]]:
    """(line number, line) of every test line of the conformance subset."""
    lines = CONFORMANCE.read_text(encoding="utf-8").splitlines()
    return [(n, line) for n, line in enumerate(lines, start=1) if line and not line.startswith("#")]


def test_the_conformance_subset_is_the_documented_one() -> None:
    """All hand-written cases plus a 1-in-20 stride of the generated ones (see the file's header)."""
    assert CONFORMANCE.read_text(encoding="utf-8").startswith("# BidiCharacterTest-15.0.0.txt")
    assert len(_cases()) == 4805


def test_every_conformance_line_gives_unicodes_levels_and_order() -> None:
    """Fields: code points; direction (0 LTR, 1 RTL, 2 auto); paragraph level; levels (x = removed
    by X9); visual order of the kept characters."""
    failures = []
    for number, line in _cases():
        fields = line.split(";")
        codepoints = [int(cp, 16) for cp in fields[0].split()]
        text = "".join(map(chr, codepoints))
        direction = int(fields[1])
        base = paragraph_level(text) if direction == 2 else direction
        levels = resolve_levels(bidi_classes(text), base, codepoints)
        kept = [i for i, level in enumerate(levels) if level is not None]
        order = visual_order(kept, [levels[i] for i in kept])
        want_levels = [None if x == "x" else int(x) for x in fields[3].split()]
        want_order = [int(x) for x in fields[4].split()]
        if (base, levels, order) != (int(fields[2]), want_levels, want_order):
            failures.append(number)
    assert failures == []


def test_every_class_sequence_of_the_bidi_test_gives_unicodes_levels_and_order() -> None:
    """BidiTest.txt: class sequences under @Levels/@Reorder; paragraph bits 1 auto, 2 LTR, 4 RTL."""
    levels_wanted: list[int | None] = []
    order_wanted: list[int] = []
    failures, cases = [], 0
    for number, line in enumerate(CLASS_CONFORMANCE.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("@Levels:"):
            levels_wanted = [None if x == "x" else int(x) for x in line.split(":")[1].split()]
        elif line.startswith("@Reorder:"):
            order_wanted = [int(x) for x in line.split(":")[1].split()]
        elif line and not line.startswith(("#", "@")):
            classes, bits = line.split(";")
            text = "".join(SAMPLE_OF_CLASS[c] for c in classes.split())
            for bit, direction in ((1, None), (2, 0), (4, 1)):
                if int(bits) & bit:
                    cases += 1
                    base = paragraph_level(text) if direction is None else direction
                    levels = resolve_levels(bidi_classes(text), base, [ord(c) for c in text])
                    kept = [i for i, level in enumerate(levels) if level is not None]
                    order = visual_order(kept, [levels[i] for i in kept])
                    if (levels, order) != (levels_wanted, order_wanted):
                        failures.append((number, bit))
    assert cases == 19260 and failures == []


def _visual(text: str) -> str:
    """The paragraph's characters in display order (left to right), one line."""
    levels = embedding_levels(text, paragraph_level(text))
    return "".join(visual_order(list(text), levels))


def test_brackets_around_left_to_right_text_stay_paired_in_a_right_to_left_paragraph() -> None:
    """Issue 12: in `אבג abc (def) הוז` the brackets take the direction of what they enclose (N0),
    so they show as '(def)' and not ')def('."""
    text = "אבג abc (def) הוז"
    assert "abc (def)" in _visual(text)
    assert embedding_levels(text, 1)[text.index("(")] == 2


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a (b) c", "a (b) c"),
        ("אב (גד) הו", "וה )דג( בא"),
        ("שלום (world)", ")world( םולש"),
    ],
)
def test_display_order_of_small_paragraphs(text: str, shown: str) -> None:
    """Characters in display order; brackets at an odd level appear unmirrored here because mirroring
    them is the shaper's job (HarfBuzz mirrors in right-to-left runs)."""
    assert _visual(text) == shown
