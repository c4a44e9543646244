"""Line breaking: break opportunities (spaces, hyphens, CJK rules), greedy, balanced and clamped lines.

Widths are in em, so one set of measurements serves every candidate font size of the auto-fit search.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

Measure = Callable[[int, int], float]  # em width of clusters [start, end)
Lines = list[tuple[int, int]]  # (start, end) index ranges

# Kinsoku: never start a line with a closing mark (or small kana, prolonged sound mark), never end one
# with an opening mark. Latin closing punctuation is included for mixed text ("東京, Japan").
NO_BREAK_BEFORE = frozenset(
    "、。，．・：；？！）」』】〉》〕］｝〙〗〟’”›»ー々ゝゞヽヾぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ"
    "‐゠–〜～…‥.,:;!?)]}%"
)
NO_BREAK_AFTER = frozenset("（「『【〈《〔［｛〘〖〝‘“‹«([{")
HYPHENS = frozenset("-‐–—/")
CJK_RANGES = (
    (0x2E80, 0x2FDF),
    (0x3000, 0x303F),
    (0x3040, 0x30FF),
    (0x31C0, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFF60),
    (0x20000, 0x3FFFF),
)


class Piece(NamedTuple):
    """An unbreakable stretch of clusters [start, end) followed by spaces [end, stop); widths in em."""

    start: int
    end: int
    stop: int
    width: float
    space: float


def is_cjk(cluster: str) -> bool:
    """Ideographs, kana and CJK punctuation: each is its own break unit (Hangul keeps word spaces)."""
    cp = ord(cluster[0])
    return cp >= 0x2E80 and any(lo <= cp <= hi for lo, hi in CJK_RANGES)


def can_break_before(prev: str, cur: str, emoji: Callable[[str], bool]) -> bool:
    """Whether a line may start at `cur` when it follows `prev` (neither is a space)."""
    if cur[0] in NO_BREAK_BEFORE or prev[-1] in NO_BREAK_AFTER:
        return False
    if prev[-1] in HYPHENS:
        return cur[0].isalpha()
    return is_cjk(prev) or is_cjk(cur) or emoji(prev) or emoji(cur)


def make_pieces(clusters: Sequence[str], measure: Measure, emoji: Callable[[str], bool]) -> list[Piece]:
    """Cut clusters at every break opportunity into measured pieces."""
    word_end = _next_space if _breaks_only_at_spaces(clusters) else _word_end
    bounds: list[tuple[int, int, int]] = []
    start = i = 0
    while i < len(clusters):
        end = i = word_end(clusters, i, emoji)
        while i < len(clusters) and clusters[i].isspace():
            i += 1
        if end > start:
            bounds.append((start, end, i))
        start = i
    return [Piece(a, b, c, measure(a, b), measure(b, c) if c > b else 0.0) for a, b, c in bounds]


def _breaks_only_at_spaces(clusters: Sequence[str]) -> bool:
    """Single characters below the CJK blocks and no hyphen: nothing but a space offers a break
    (kinsoku marks only forbid breaks, and those come from ideographs, emoji and hyphens)."""
    text = "".join(clusters)
    return (
        len(text) == len(clusters)
        and (not text or max(text) < "\u2e80")
        and HYPHENS.isdisjoint(text)
    )


def _next_space(clusters: Sequence[str], i: int, emoji: Callable[[str], bool]) -> int:
    """Index of the next space after i (the whole word), for text that breaks only at spaces."""
    j = i + 1
    while j < len(clusters) and not clusters[j].isspace():
        j += 1
    return j


def _word_end(clusters: Sequence[str], i: int, emoji: Callable[[str], bool]) -> int:
    """Index after the unbreakable stretch starting at i."""
    j = i + 1
    while j < len(clusters) and not clusters[j].isspace():
        if can_break_before(clusters[j - 1], clusters[j], emoji):
            break
        j += 1
    return j


def split_piece(piece: Piece, measure: Measure) -> list[Piece]:
    """A too-wide piece as one piece per cluster, so an overlong word breaks by characters."""
    out = [Piece(i, i + 1, i + 1, measure(i, i + 1), 0.0) for i in range(piece.start, piece.end)]
    last = out[-1]
    out[-1] = Piece(last.start, last.end, piece.stop, last.width, piece.space)
    return out


def _prefix(pieces: Sequence[Piece]) -> list[float]:
    """Prefix sums of piece width plus trailing space."""
    sums = [0.0]
    for p in pieces:
        sums.append(sums[-1] + p.width + p.space)
    return sums


def line_width(pieces: Sequence[Piece], sums: Sequence[float], i: int, j: int) -> float:
    """Width of pieces [i, j) on one line: the last piece's trailing space does not count."""
    return sums[j] - sums[i] - pieces[j - 1].space


def greedy_lines(pieces: Sequence[Piece], max_width: float) -> Lines:
    """First-fit lines as piece ranges: gives the minimum number of lines."""
    sums, lines, start = _prefix(pieces), [], 0
    for j in range(1, len(pieces) + 1):
        if j - 1 > start and line_width(pieces, sums, start, j) > max_width:
            lines.append((start, j - 1))
            start = j - 1
    return lines + [(start, len(pieces))] if pieces else []


def balanced_lines(pieces: Sequence[Piece], max_width: float, count: int) -> Lines:
    """Exactly `count` lines minimising the sum of squared slack: even lines, no orphan last word."""
    n, sums, inf = len(pieces), _prefix(pieces), float("inf")
    spaces = [p.space for p in pieces]
    cost = [[inf] * (n + 1) for _ in range(count + 1)]
    back = [[0] * (n + 1) for _ in range(count + 1)]
    cost[0][0] = 0.0
    for m in range(1, count + 1):
        previous, current, pointers = cost[m - 1], cost[m], back[m]
        for j in range(1, n + 1):
            end = sums[j] - spaces[j - 1]  # line_width(i, j) == end - sums[i], inlined: the hot loop
            for i in range(j - 1, -1, -1):
                width = end - sums[i]
                if width > max_width and i < j - 1:
                    break
                candidate = previous[i] + (max_width - width) ** 2
                if candidate < current[j]:
                    current[j], pointers[j] = candidate, i
    if cost[count][n] == inf:
        return greedy_lines(pieces, max_width)
    return _walk_back(back, count, n)


def _walk_back(back: Sequence[Sequence[int]], count: int, n: int) -> Lines:
    """Line ranges from the dynamic programme's back pointers."""
    lines, j = [], n
    for m in range(count, 0, -1):
        lines.append((back[m][j], j))
        j = back[m][j]
    return lines[::-1]


def clamp_lines(
    pieces: Sequence[Piece], max_width: float, limit: int, ellipsis: float, measure: Measure
) -> Lines:
    """`limit` lines as cluster ranges; the last is cut (whole pieces if possible) to leave room for '…'."""
    lines = greedy_lines(pieces, max_width)
    kept = [(pieces[i].start, pieces[j - 1].end) for i, j in lines[: limit - 1]]
    first = lines[limit - 1][0]
    sums, end = _prefix(pieces), first
    while end < len(pieces) and line_width(pieces, sums, first, end + 1) + ellipsis <= max_width:
        end += 1
    if end > first:
        return kept + [(pieces[first].start, pieces[end - 1].end)]
    stop = pieces[first].start
    while stop < pieces[first].end and measure(pieces[first].start, stop + 1) + ellipsis <= max_width:
        stop += 1
    return kept + [(pieces[first].start, stop)]
