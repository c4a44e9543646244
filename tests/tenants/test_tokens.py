"""API key tokens: recognisable prefix, enough randomness, a checksum that catches typos, a stable hash."""

from __future__ import annotations

import hashlib

from ogservice.tenants.tokens import PREFIX, hint, new_token, token_hash, well_formed


def test_a_new_key_is_prefixed_random_and_well_formed():
    keys = {new_token() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert key.startswith("ogs_live_") and len(key) == len(PREFIX) + 38 and key.isascii()
        assert well_formed(key)


def test_a_mistyped_truncated_or_foreign_key_is_not_well_formed():
    key = new_token()
    body = key[len(PREFIX) :]
    # Transpose the first two neighbours that differ (swapping equal characters changes nothing).
    i = next(i for i in range(len(body) - 1) if body[i] != body[i + 1])
    swapped = PREFIX + body[:i] + body[i + 1] + body[i] + body[i + 2 :]
    changed = key[:-1] + ("A" if key[-1] != "A" else "B")
    for bad in (
        key[:-1],
        key + "x",
        key + "\n",
        swapped,
        changed,
        key.replace("live", "test"),
        "sk_live_" + body,
        "",
        " " + key,
    ):
        assert not well_formed(bad), bad


def test_the_stored_form_is_the_sha256_and_the_hint_shows_the_last_four():
    key = new_token()
    assert token_hash(key) == hashlib.sha256(key.encode()).hexdigest()
    assert hint(key) == f"ogs_live_...{key[-4:]}"
