"""Line breaking: measured pieces between break opportunities; greedy, balanced and clamped lines.

Widths are in em, so one set of measurements serves every candidate font size of the auto-fit search.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from ogservice.cards.text_segment import is_breaking_space, line_starts

Measure = Callable[[int, int], float]  # em width of clusters [start, end)
Lines = list[tuple[int, int]]  # (start, end) index ranges

class Piece(NamedTuple):
    """An unbreakable stretch of clusters [start, end) followed by spaces [end, stop); widths in em."""

    start: int
    end: int
    stop: int
    width: float
    space: float


def make_pieces(clusters: Sequence[str], measure: Measure, lang: str | None = None) -> list[Piece]:
    """Cut clusters at every line break opportunity (see `text_segment`) into measured pieces; the
    breaking spaces that end a piece are its trailing space (dropped at a line end)."""
    bounds: list[tuple[int, int, int]] = []
    start = 0
    for stop in [*line_starts(clusters, lang), len(clusters)]:
        end = stop
        while end > start and is_breaking_space(clusters[end - 1]):
            end -= 1
        if end > start:
            bounds.append((start, end, stop))
        elif bounds:  # a piece of spaces only: its spaces join the previous piece's trailing space
            a, b, _ = bounds[-1]
            bounds[-1] = (a, b, stop)
        start = stop
    return [Piece(a, b, c, measure(a, b), measure(b, c) if c > b else 0.0) for a, b, c in bounds]


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
