"""The mixed trace of `ogservice bench ai`: which card URLs a publisher's crawlers fetch, in what order.

Pure (no network): a list of unique cards, each fetched once cold and some fetched again later
(REPEAT_SHARE of all fetches are repeats). Every text and background prompt is new in every run
(words from a generator seeded by the run's nonce, plus the nonce itself), except the banners'
headlines and discount badges, which are the ordinary promo texts a shop letters (HEADLINES,
DISCOUNTS; the run's own layer store and Redis prefix keep an earlier run from answering for them).
The only reuse is what the trace asks for: repeat fetches, a draft's edits sharing its post's
background prompt, and the banners of one campaign sharing its discount badges.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlencode

from .bench_texts import distinct_words

REPEAT_SHARE = 0.7
# Unique cards by kind: most are blog cards (AI background, local title); a draft is a post whose
# CMS preview is fetched after each of DRAFT_EDITS title edits; banners letter their headline and
# discount badge with a text model (lettering=ai), the part of the trace the OCR guard is tested on.
MIX = (("blog", 0.5), ("draft", 0.2), ("hero", 0.2), ("banner", 0.1))
DRAFT_EDITS = 3
DISCOUNTS = ("20% OFF", "SALE 30% OFF", "40% OFF TODAY")  # one campaign's badges, shared by its banners
# Promo headlines as shops write them (capitals or title case), drawn in a shuffled order per run.
# The lettering guard sends only text without O, o, 0, I, i, l or 1 to a model (see
# ogservice/lettering/lookalikes.py): 5 of these 16 can be lettered by a model, the other 11 and
# every discount badge (all hold a 0 or an O) are set locally as "ocr-ambiguous".
HEADLINES = (
    "FRESH AUTUMN MENU", "BEST DEALS", "SUMMER SALE", "WEEKEND BRUNCH", "MEGA SALE",
    "Flash Sale", "NEW ARRIVALS", "Free Shipping", "BLACK FRIDAY", "Cyber Monday",
    "Back to School", "HAPPY HOUR", "Limited Edition", "Spring Savings", "Just Dropped",
    "Grand Opening",
)  # fmt: skip
THEMES = ("ocean", "sunset", "forest", "midnight", "paper")


@dataclass(frozen=True)
class Card:
    """One unique card: its template, URL parameters, and the words a model is asked to letter."""

    id: int
    kind: str
    template: str
    params: tuple[tuple[str, str], ...]
    lettering: tuple[tuple[str, str], ...] = ()  # (slot, expected text) for lettering=ai cards

    @property
    def path(self) -> str:
        return f"/og/{self.template}.png?{urlencode(self.params)}"


@dataclass(frozen=True)
class Trace:
    cards: tuple[Card, ...]
    fetches: tuple[int, ...]  # card ids in fetch order; a card's first fetch is its cold one
    nonce: str
    kinds: dict[str, int] = field(default_factory=dict)  # unique cards per kind


def build_trace(fetches: int, nonce: str, seed: int = 0) -> Trace:
    """`fetches` fetches, (1 - REPEAT_SHARE) of them of unique cards, mixed as MIX says."""
    rng = random.Random(f"{seed}:{nonce}")
    unique = max(len(MIX), round(fetches * (1 - REPEAT_SHARE)))
    counts = _split(unique, MIX)
    words = distinct_words(rng.randrange(2**31))
    cards: list[Card] = []
    headlines = itertools.cycle(rng.sample(HEADLINES, len(HEADLINES)))  # more banners: headlines again
    makers = {"blog": _blog, "draft": _drafts, "hero": _hero, "banner": partial(_banner, headlines=headlines)}
    for kind, count in counts.items():
        made = 0
        while made < count:
            for card in makers[kind](len(cards), nonce, words, rng, count - made):
                cards.append(card)
                made += 1
    order = [c.id for c in cards] + [rng.choice(cards).id for _ in range(max(0, fetches - len(cards)))]
    rng.shuffle(order)
    return Trace(tuple(cards), tuple(order), nonce, counts)


def _split(total: int, mix: tuple[tuple[str, float], ...]) -> dict[str, int]:
    """Largest remainder: counts per kind summing to `total`, each at least 1."""
    raw = {kind: total * share for kind, share in mix}
    counts = {kind: max(1, int(value)) for kind, value in raw.items()}
    for kind in sorted(raw, key=lambda k: raw[k] - int(raw[k]), reverse=True):
        if sum(counts.values()) >= total:
            break
        counts[kind] += 1
    return counts


def _title(words: Iterator[str], count: int) -> str:
    return " ".join(next(words) for _ in range(count)).capitalize()


def _bg_prompt(words: Iterator[str], nonce: str, n: int) -> str:
    return f"soft abstract {next(words)} {next(words)} shapes, gentle light, run {nonce} card {n}"


def _blog(n: int, nonce: str, words: Iterator[str], rng: random.Random, left: int) -> list[Card]:
    params = (
        ("title", f"{_title(words, 6)} {nonce}"),
        ("site", f"{next(words)}.dev"),
        ("theme", rng.choice(THEMES)),
        ("bg", "ai"),
        ("bg_prompt", _bg_prompt(words, nonce, n)),
    )
    return [Card(n, "blog", "blog-post", params)]


def _drafts(n: int, nonce: str, words: Iterator[str], rng: random.Random, left: int) -> list[Card]:
    """One draft post, previewed after each title edit: new cards, one background prompt."""
    prompt, theme, base = _bg_prompt(words, nonce, n), rng.choice(THEMES), _title(words, 4)
    cards = []
    for edit in range(min(DRAFT_EDITS, left)):
        title = f"{base} {next(words)} {nonce}"
        params = (("title", title), ("theme", theme), ("bg", "ai"), ("bg_prompt", prompt))
        cards.append(Card(n + edit, "draft", "blog-post", params + (("subtitle", f"draft {edit + 1}"),)))
    return cards


def _hero(n: int, nonce: str, words: Iterator[str], rng: random.Random, left: int) -> list[Card]:
    params = (
        ("title", f"{_title(words, 4)} {nonce}"),
        ("theme", rng.choice(THEMES)),
        ("bg", "ai"),
        ("bg_prompt", _bg_prompt(words, nonce, n)),
    )
    return [Card(n, "hero", "hero", params)]


def _banner(
    n: int, nonce: str, words: Iterator[str], rng: random.Random, left: int, *, headlines: Iterator[str]
) -> list[Card]:
    headline = next(headlines)
    discount = f"{DISCOUNTS[n % len(DISCOUNTS)]}"
    params = (
        ("headline", headline),
        ("discount", discount),
        ("theme", "candy"),  # one campaign, one look: its badges share a lettering style
        ("bg", "ai"),
        ("lettering", "ai"),
        ("bg_prompt", _bg_prompt(words, nonce, n)),
    )
    return [Card(n, "banner", "promo-banner", params, (("headline", headline), ("discount", discount)))]
