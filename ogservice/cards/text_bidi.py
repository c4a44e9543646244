"""The Unicode Bidirectional Algorithm (UAX #9): paragraph level, resolved levels, visual order.

A complete implementation of rules P2-P3, X1-X10, W1-W7, N0 (paired brackets), N1-N2, I1-I2 and L1-L2,
checked against Unicode's own conformance data (tests/cards/data/BidiCharacterTest-subset.txt).
No wheel on PyPI exposes per-character levels (python-bidi only returns the reordered string, and
icu4py has no bidi), and shaping run by run needs exactly those levels, so the rules live here.
Character classes come from `unicodedata`; the paired brackets (BidiBrackets.txt) are listed below.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import NamedTuple, TypeVar

T = TypeVar("T")
MAX_DEPTH = 125
STRONG_RTL = frozenset({"R", "AL"})
ISOLATE_INITIATORS = frozenset({"LRI", "RLI", "FSI"})
EMBEDDINGS = frozenset({"LRE", "RLE", "LRO", "RLO"})
REMOVED = frozenset({"LRE", "RLE", "LRO", "RLO", "PDF", "BN"})  # X9
NEUTRAL_OR_ISOLATE = frozenset({"B", "S", "WS", "ON", "LRI", "RLI", "FSI", "PDI"})
# Bidi_Paired_Bracket of every opening bracket (Bidi_Paired_Bracket_Type=Open), BidiBrackets.txt 15.0.
BRACKETS = {
    0x0028: 0x0029, 0x005B: 0x005D, 0x007B: 0x007D, 0x0F3A: 0x0F3B, 0x0F3C: 0x0F3D, 0x169B: 0x169C,
    0x2045: 0x2046, 0x207D: 0x207E, 0x208D: 0x208E, 0x2308: 0x2309, 0x230A: 0x230B, 0x2329: 0x232A,
    0x2768: 0x2769, 0x276A: 0x276B, 0x276C: 0x276D, 0x276E: 0x276F, 0x2770: 0x2771, 0x2772: 0x2773,
    0x2774: 0x2775, 0x27C5: 0x27C6, 0x27E6: 0x27E7, 0x27E8: 0x27E9, 0x27EA: 0x27EB, 0x27EC: 0x27ED,
    0x27EE: 0x27EF, 0x2983: 0x2984, 0x2985: 0x2986, 0x2987: 0x2988, 0x2989: 0x298A, 0x298B: 0x298C,
    0x298D: 0x2990, 0x298F: 0x298E, 0x2991: 0x2992, 0x2993: 0x2994, 0x2995: 0x2996, 0x2997: 0x2998,
    0x29D8: 0x29D9, 0x29DA: 0x29DB, 0x29FC: 0x29FD, 0x2E22: 0x2E23, 0x2E24: 0x2E25, 0x2E26: 0x2E27,
    0x2E28: 0x2E29, 0x2E55: 0x2E56, 0x2E57: 0x2E58, 0x2E59: 0x2E5A, 0x2E5B: 0x2E5C, 0x3008: 0x3009,
    0x300A: 0x300B, 0x300C: 0x300D, 0x300E: 0x300F, 0x3010: 0x3011, 0x3014: 0x3015, 0x3016: 0x3017,
    0x3018: 0x3019, 0x301A: 0x301B, 0xFE59: 0xFE5A, 0xFE5B: 0xFE5C, 0xFE5D: 0xFE5E, 0xFF08: 0xFF09,
    0xFF3B: 0xFF3D, 0xFF5B: 0xFF5D, 0xFF5F: 0xFF60, 0xFF62: 0xFF63,
}  # fmt: skip
CLOSERS = {close: open_ for open_, close in BRACKETS.items()}
CANONICAL = {0x2329: 0x3008, 0x232A: 0x3009}  # brackets are matched under canonical equivalence (BD16)


def bidi_classes(text: str) -> list[str]:
    """Bidi class per character (unassigned code points count as L)."""
    return [unicodedata.bidirectional(c) or "L" for c in text]


def paragraph_level(text: str) -> int:
    """P2-P3: 1 if the first strong character outside isolates is right-to-left, else 0."""
    leading = _leading_strong_level(text)
    return leading if leading is not None else _first_strong_level(bidi_classes(text), 0, len(text), 0)


def first_strong_level(text: str) -> int | None:
    """P2: 1 if the first strong character outside isolates is right-to-left, 0 if left-to-right,
    None when the text has none (digits and punctuation only)."""
    leading = _leading_strong_level(text)
    if leading is not None:
        return leading
    level = _first_strong_level(bidi_classes(text), 0, len(text), -1)
    return None if level < 0 else level


def _leading_strong_level(text: str) -> int | None:
    """The level a strong first character implies (most titles start with a letter), so the rest
    need not be classified; None when the first character is not strong (or there is none)."""
    first = (unicodedata.bidirectional(text[0]) or "L") if text else ""
    return 0 if first == "L" else 1 if first in STRONG_RTL else None


def _first_strong_level(classes: Sequence[str], start: int, end: int, default: int) -> int:
    """The level the first strong class in [start, end) implies, skipping isolates (P2)."""
    depth = 0
    for cls in classes[start:end]:
        if cls in ISOLATE_INITIATORS:
            depth += 1
        elif cls == "PDI" and depth:
            depth -= 1
        elif depth == 0 and cls == "L":
            return 0
        elif depth == 0 and cls in STRONG_RTL:
            return 1
    return default


def embedding_levels(text: str, base: int) -> list[int]:
    """Resolved level of every character of a paragraph at base level `base`; characters the
    algorithm removes (X9: embedding controls, BN) take their neighbour's level, so they stay with it."""
    levels = resolve_levels(bidi_classes(text), base, [ord(c) for c in text])
    out, last = [], base
    for level in levels:
        last = last if level is None else level
        out.append(last)
    return out


class _Status(NamedTuple):
    level: int
    override: str | None
    isolate: bool


def resolve_levels(classes: Sequence[str], base: int, codepoints: Sequence[int]) -> list[int | None]:
    """UAX #9 levels after L1 for one paragraph on one line; None for X9-removed characters."""
    types = list(classes)
    matching = _matching_pdis(types)
    levels = _explicit_levels(types, base, matching)
    kept = [i for i, t in enumerate(classes) if t not in REMOVED]
    explicit = tuple(levels)  # sos and eos compare explicit levels, before I1-I2 raise them
    for sequence in _isolating_run_sequences(kept, explicit, types, matching):
        edges = _sequence_edges(sequence, explicit, classes, base)
        _resolve_sequence(sequence, types, classes, levels, edges, codepoints)
    return _line_levels(classes, levels, base)


def _matching_pdis(types: Sequence[str]) -> dict[int, int]:
    """BD9: each isolate initiator's matching PDI (initiators without one are absent)."""
    matching, open_ = {}, []
    for i, cls in enumerate(types):
        if cls in ISOLATE_INITIATORS:
            open_.append(i)
        elif cls == "PDI" and open_:
            matching[open_.pop()] = i
    return matching


def _explicit_levels(types: list[str], base: int, matching: dict[int, int]) -> list[int]:
    """X1-X8: explicit embeddings, overrides and isolates (overrides rewrite `types` in place)."""
    stack = [_Status(base, None, False)]
    overflow_isolates = overflow_embeddings = valid_isolates = 0
    levels = [base] * len(types)
    for i, cls in enumerate(types):
        top = stack[-1]
        if cls in EMBEDDINGS or cls in ISOLATE_INITIATORS:
            isolate = cls in ISOLATE_INITIATORS
            if isolate:
                levels[i] = top.level
                if top.override:
                    types[i] = top.override
            rtl = cls in ("RLE", "RLO", "RLI") or (
                cls == "FSI" and _first_strong_level(types, i + 1, matching.get(i, len(types)), 0) == 1
            )
            new = (top.level + 1) | 1 if rtl else (top.level + 2) & ~1
            if new <= MAX_DEPTH and overflow_isolates == 0 and overflow_embeddings == 0:
                valid_isolates += isolate
                override = {"LRO": "L", "RLO": "R"}.get(cls)
                stack.append(_Status(new, override, isolate))
            elif isolate:
                overflow_isolates += 1
            elif overflow_isolates == 0:
                overflow_embeddings += 1
            if not isolate:
                levels[i] = top.level
            continue
        if cls == "PDI":
            if overflow_isolates:
                overflow_isolates -= 1
            elif valid_isolates:
                overflow_embeddings = 0
                while not stack[-1].isolate:
                    stack.pop()
                stack.pop()
                valid_isolates -= 1
            top = stack[-1]
        elif cls == "PDF":
            if overflow_isolates == 0:
                if overflow_embeddings:
                    overflow_embeddings -= 1
                elif not top.isolate and len(stack) > 1:
                    stack.pop()
            levels[i] = stack[-1].level
            continue
        levels[i] = base if cls == "B" else top.level
        if top.override and cls not in ("B", "BN"):
            types[i] = top.override
    return levels


def _isolating_run_sequences(
    kept: Sequence[int], levels: Sequence[int], types: Sequence[str], matching: dict[int, int]
) -> list[list[int]]:
    """BD13: level runs (over characters X9 keeps) chained across matched isolate initiators and PDIs."""
    runs: list[list[int]] = []
    for i in kept:
        if runs and levels[runs[-1][-1]] == levels[i]:
            runs[-1].append(i)
        else:
            runs.append([i])
    run_starting_at = {run[0]: run for run in runs}
    continuations = set(matching.values())
    sequences = []
    for run in runs:
        if run[0] in continuations and types[run[0]] == "PDI":
            continue
        sequence = list(run)
        while sequence[-1] in matching and matching[sequence[-1]] in run_starting_at:
            sequence += run_starting_at[matching[sequence[-1]]]
        sequences.append(sequence)
    return sequences


def _resolve_sequence(
    seq: list[int],
    types: list[str],
    original: Sequence[str],
    levels: list[int],
    edges: tuple[str, str],
    codepoints: Sequence[int],
) -> None:
    """W1-W7, N0-N2 and I1-I2 over one isolating run sequence."""
    level, (sos, eos) = levels[seq[0]], edges
    _weak_types(seq, types, sos)
    _paired_brackets(seq, types, original, level, sos, codepoints)
    _neutrals(seq, types, level, sos, eos)
    for i in seq:  # I1-I2
        cls = types[i]
        if level % 2 == 0:
            levels[i] = level + (1 if cls == "R" else 2 if cls in ("AN", "EN") else 0)
        else:
            levels[i] = level + (1 if cls in ("L", "EN", "AN") else 0)


def _sequence_edges(
    seq: Sequence[int], levels: Sequence[int], types: Sequence[str], base: int
) -> tuple[str, str]:
    """X10: sos and eos, from the higher of the sequence's level and its neighbours' levels."""
    level = levels[seq[0]]
    before = next((levels[i] for i in range(seq[0] - 1, -1, -1) if types[i] not in REMOVED), base)
    after = base
    if types[seq[-1]] not in ISOLATE_INITIATORS:
        after = next((levels[i] for i in range(seq[-1] + 1, len(types)) if types[i] not in REMOVED), base)
    return ("R" if max(level, before) % 2 else "L"), ("R" if max(level, after) % 2 else "L")


def _weak_types(seq: Sequence[int], types: list[str], sos: str) -> None:
    """W1-W7 over one isolating run sequence."""
    prev, strong = sos, sos
    for i in seq:  # W1-W3
        cls = types[i]
        if cls == "NSM":
            cls = "ON" if prev in ISOLATE_INITIATORS or prev == "PDI" else prev
        if cls in ("L", "R", "AL"):
            strong = cls
        elif cls == "EN" and strong == "AL":
            cls = "AN"
        prev = cls
        types[i] = "R" if cls == "AL" else cls
    for k in range(1, len(seq) - 1):  # W4
        left, mid, right = types[seq[k - 1]], types[seq[k]], types[seq[k + 1]]
        if left == right and (mid == "ES" and left == "EN" or mid == "CS" and left in ("EN", "AN")):
            types[seq[k]] = left
    k = 0
    while k < len(seq):  # W5
        if types[seq[k]] != "ET":
            k += 1
            continue
        end = k
        while end < len(seq) and types[seq[end]] == "ET":
            end += 1
        touches = (k > 0 and types[seq[k - 1]] == "EN") or (end < len(seq) and types[seq[end]] == "EN")
        for j in range(k, end):
            types[seq[j]] = "EN" if touches else "ET"
        k = end
    strong = sos
    for i in seq:  # W6, W7
        cls = "ON" if types[i] in ("ES", "ET", "CS") else types[i]
        if cls in ("L", "R"):
            strong = cls
        types[i] = "L" if cls == "EN" and strong == "L" else cls


def _paired_brackets(
    seq: Sequence[int],
    types: list[str],
    original: Sequence[str],
    level: int,
    sos: str,
    codepoints: Sequence[int],
) -> None:
    """N0: a bracket pair takes the embedding direction when it encloses strong text of that
    direction, else the opposite direction when both its content and its context have it."""
    embedding = "R" if level % 2 else "L"
    for opener, closer in _bracket_pairs(seq, types, codepoints):
        inside = {_strength(types[seq[k]]) for k in range(opener + 1, closer)}
        if embedding in inside:
            direction = embedding
        elif inside - {None}:
            context = next(
                (s for k in range(opener - 1, -1, -1) if (s := _strength(types[seq[k]]))), sos
            )
            direction = context if context != embedding else embedding
        else:
            continue
        for k in (opener, closer):
            types[seq[k]] = direction
            for j in range(k + 1, len(seq)):  # NSMs after a bracket follow it
                if original[seq[j]] != "NSM":
                    break
                types[seq[j]] = direction


def _strength(cls: str) -> str | None:
    """Strong direction a resolved class counts as for N0 and N1 (numbers count as R)."""
    return "L" if cls == "L" else "R" if cls in ("R", "AN", "EN") else None


def _bracket_pairs(
    seq: Sequence[int], types: Sequence[str], codepoints: Sequence[int]
) -> list[tuple[int, int]]:
    """BD16: positions (within the sequence) of matched bracket pairs, sorted by opener."""
    stack: list[tuple[int, int]] = []  # (closing code point wanted, position)
    pairs = []
    for k, i in enumerate(seq):
        if types[i] != "ON":
            continue
        cp = CANONICAL.get(codepoints[i], codepoints[i])
        if cp in BRACKETS or codepoints[i] in BRACKETS:
            if len(stack) == 63:
                break
            stack.append((CANONICAL.get(BRACKETS[codepoints[i]], BRACKETS[codepoints[i]]), k))
        elif cp in CLOSERS or codepoints[i] in CLOSERS:
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth][0] == cp:
                    pairs.append((stack[depth][1], k))
                    del stack[depth:]
                    break
    return sorted(pairs)


def _neutrals(seq: Sequence[int], types: list[str], level: int, sos: str, eos: str) -> None:
    """N1-N2: a run of neutrals takes its neighbours' direction when both agree, else the embedding's."""
    embedding = "R" if level % 2 else "L"
    k = 0
    while k < len(seq):
        if types[seq[k]] not in NEUTRAL_OR_ISOLATE:
            k += 1
            continue
        end = k
        while end < len(seq) and types[seq[end]] in NEUTRAL_OR_ISOLATE:
            end += 1
        before = _strength(types[seq[k - 1]]) if k else sos
        after = _strength(types[seq[end]]) if end < len(seq) else eos
        direction = before if before == after else embedding
        for j in range(k, end):
            types[seq[j]] = direction
        k = end


def _line_levels(original: Sequence[str], levels: Sequence[int], base: int) -> list[int | None]:
    """L1 for a paragraph set on one line: separators, and whitespace before them or at the end,
    go back to the paragraph level; X9-removed characters get None."""
    out: list[int | None] = [None if cls in REMOVED else lv for cls, lv in zip(original, levels, strict=True)]
    trailing = True
    for i in range(len(original) - 1, -1, -1):
        cls = original[i]
        if cls in ("S", "B"):
            out[i], trailing = base, True
        elif trailing and cls in ("WS", "FSI", "LRI", "RLI", "PDI"):
            out[i] = base
        elif cls not in REMOVED:
            trailing = False
    return out


def visual_order(items: Sequence[T], levels: Sequence[int]) -> list[T]:
    """L2: reverse every maximal sequence at or above each level, from the highest to the lowest odd."""
    order = list(range(len(items)))
    if not levels:
        return []
    lowest_odd = min(levels) | 1
    for level in range(max(levels), lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] < level:
                i += 1
                continue
            j = i
            while j < len(order) and levels[order[j]] >= level:
                j += 1
            order[i:j] = reversed(order[i:j])
            i = j
    return [items[k] for k in order]
