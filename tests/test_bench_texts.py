"""`ogservice bench render` texts: the standard card's shape, and no word any two cards share."""

from __future__ import annotations

from itertools import islice

from ogservice.bench_texts import TITLE_CHARS, card_texts


def test_every_card_has_its_own_words_in_every_field():
    cards = list(islice(card_texts(), 205))
    assert all(len(title) == TITLE_CHARS and not title.endswith(" ") for title, _, _ in cards)
    assert all(40 <= len(subtitle) <= 60 and site.endswith(".dev") for _, subtitle, site in cards)
    fields = [field.removesuffix(".dev").lower() for card in cards for field in card]
    words = [word for field in fields for word in field.split()[:-1]]  # a title's last word may be cut
    assert len(words) == len(set(words)) > 2000
    assert len(set(fields)) == len(fields)
    assert cards == list(islice(card_texts(), 205))  # seeded: the same texts every run
