"""`ogservice bench ai` on a tiny trace, models 20x faster: its figures are what happened.

The bench's own machinery runs (emulators, a real server, real workers, real Redis); the test then
counts the emulators' calls and reads the ledger itself and compares. A bench that stopped
counting, or counted the wrong thing, fails here rather than printing a pleasant figure.
"""

from __future__ import annotations

import redis

from ogservice.bench_ai import Fetch, misread_lettering, run_on
from ogservice.bench_ai_rig import run_nonce, running_rig
from ogservice.bench_ai_trace import HEADLINES, REPEAT_SHARE, Card, Trace, build_trace
from ogservice.gateway.ledger import Ledger
from ogservice.lettering import ocr_can_confirm
from tests.emulators.lettering import draw_lettering, misspell

TIME_SCALE = 0.05  # models take 0.15-0.6 s instead of 3-12 s


def _calls_at_emulators(endpoints: list) -> int:
    """Generation calls, counted as each vendor's tests count them (fal: submits, not polls)."""
    total = 0
    for ep in endpoints:
        paths = [r["path"] for r in list(ep.emulator.requests)]
        if "fal" in ep.providers:
            total += sum("/requests/" not in p for p in paths)
        else:
            total += sum(not p.startswith("/_files/") for p in paths)
    return total


FETCHES = 60  # 18 unique cards, two of them banners


def _trace_with_lettered_headlines(nonce: str) -> Trace:
    """A trace whose two banners' headlines the guard both sends to the text model (the first
    lettering call is misspelled, the other is not); their discount badges (each holds a 0 or an O)
    are set locally, so the run has both kinds."""
    for seed in range(1000):
        trace = build_trace(FETCHES, nonce, seed)
        headlines = [dict(c.lettering)["headline"] for c in trace.cards if c.kind == "banner"]
        if len(headlines) == 2 and all(ocr_can_confirm(h)[0] for h in headlines):
            return trace
    raise AssertionError("no seed gives two banner headlines the guard lets through")


def test_bench_figures_are_the_emulators_counts_and_the_ledgers_money(redis_client: redis.Redis) -> None:
    nonce = run_nonce()
    trace = _trace_with_lettered_headlines(nonce)
    with running_rig(nonce, time_scale=TIME_SCALE, workers=2, server_workers=1) as rig:
        figures = run_on(rig, trace, time_scale=TIME_SCALE, rate=20)
        calls = _calls_at_emulators(rig.endpoints)
        spend = Ledger(rig.client, rig.prefix).spend()
        prefix = rig.prefix
    flight, run, cost, lettering = (
        figures["single_flight"],
        figures["trace"],
        figures["cost"],
        figures["lettering"],
    )

    assert flight["model_calls"] + run["model_calls"] == calls == spend["calls"]
    assert run["model_calls"] == run["ledger_calls"]
    # Unique layers are the ones sent to a model: the flight card's background and title lettering;
    # the trace's backgrounds (one per prompt: a draft's edits share theirs) and the two banner headlines.
    assert flight["answered_200"] == 20 and flight["unique_layers"] == 2 and flight["local_layers"] == {}
    assert run["unique_layers"] == len({dict(c.params)["bg_prompt"] for c in trace.cards}) + 2
    assert run["model_calls"] == run["unique_layers"]
    # The discount badge is never sent (look-alikes), counted apart from the model layers.
    assert run["local_lettering"] == {"ocr-ambiguous": 2}
    assert round(flight["booked_usd"] + cost["booked_usd"], 6) == round(spend["actual_usd"], 6)
    assert cost["per_1000_cards_usd"] == round(cost["booked_usd"] / run["fetches"] * 1000, 4)
    assert cost["baseline_usd"] > 0 and cost["baseline_model"]
    # The text model misspelled part of the trace; OCR threw each of those away, none reached a card.
    assert lettering["misspelled_calls"] == lettering["misspell_injected"] >= 1
    assert flight["discarded"] + lettering["discarded"] == spend["discarded"]
    assert lettering["model_lettered_slots"] + lettering["local_slots"] == 2 * lettering["final_cards_read"]
    # On the final cards: the badges as planned, the misspelled headline discarded by OCR, the
    # other headline the model's, its layer read back as its text.
    by_reason = lettering["local_slots_by_reason"]
    assert by_reason.pop("ocr-ambiguous") == 2 and sum(by_reason.values()) == lettering["discarded"] == 1
    assert lettering["model_lettered_slots"] == 1
    # (The check can count a misspelled card: test_ocr_check_of_final_cards_finds_... below.)
    assert lettering["misspelled_final_cards"] == 0 and lettering["misread"] == []
    assert lettering["final_cards_read"] == figures["trace"]["kinds"]["banner"]
    # Every unique card had a cold first fetch; the trace's repeats are the only other fetches.
    assert figures["og_cold_ms"]["n"] == run["unique_cards"] == len(trace.cards)
    assert run["fetches"] == FETCHES and len(trace.cards) == round(FETCHES * (1 - REPEAT_SHARE))
    assert figures["og_cold_ms"]["errors"] == 0
    # The run's keys are gone (its own prefix, RQ's keys carrying its nonce).
    assert not list(redis_client.scan_iter(match=f"{prefix}*"))
    assert not list(redis_client.scan_iter(match=f"rq:*{nonce}*"))


def test_ocr_check_of_final_cards_finds_a_misspelled_model_lettering() -> None:
    """The misspelling figure can be non-zero: a card whose lettering layer shows the model's
    misspelled words is caught; the same card with the right lettering is not."""
    text = "BEST DEALS"
    card = Card(1, "banner", "promo-banner", (), (("headline", text),))
    wrong, right = (draw_lettering(t, 1024, 256) for t in (misspell(text), text))  # transparent layers
    answer = Fetch(1, 1.0, 200, False, "background=flux-schnell;cached, headline=ideogram-v3;cached")
    (found,) = misread_lettering(card, answer, {"headline": wrong}.get)
    assert found["slot"] == "headline" and found["read"] == misspell(text) != text
    assert misread_lettering(card, answer, {"headline": right}.get) == []
    # A model-lettered slot whose layer is gone counts: nothing proves its spelling.
    (gone,) = misread_lettering(card, answer, {}.get)
    assert gone["slot"] == "headline" and "not in the store" in gone["difference"]
    # A slot set locally is the card engine's typesetting, not read as the model's.
    local = Fetch(1, 1.0, 200, False, "headline=local;ocr-mismatch")
    assert misread_lettering(card, local, {"headline": wrong}.get) == []


def test_trace_mix_repeats_and_new_words_every_run() -> None:
    one, two = build_trace(200, "Bazeko"), build_trace(200, "Dumori")
    assert len(one.fetches) == 200 and len(one.cards) == 60
    assert one.kinds == {"blog": 30, "draft": 12, "hero": 12, "banner": 6}
    assert set(one.fetches) == {c.id for c in one.cards}  # every card fetched at least once
    titles = lambda t: {dict(c.params)["title"] for c in t.cards if c.kind != "banner"}  # noqa: E731
    assert len(titles(one)) == 54 and not titles(one) & titles(two)
    # Banners letter ordinary promo headlines, all different while there are fewer banners than them.
    headlines = [dict(c.lettering)["headline"] for c in one.cards if c.kind == "banner"]
    assert len(set(headlines)) == 6 and set(headlines) <= set(HEADLINES)
    assert all("Bazeko" in dict(c.params)["bg_prompt"] for c in one.cards)


def test_every_bench_ai_option_is_in_the_readme() -> None:
    from pathlib import Path

    from ogservice.bench_ai import ai_command

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("### `bench ai`", 1)[1].split("\n## ", 1)[0]
    for option in ai_command.params:
        assert any(f"{name}" in section for name in option.opts), option.opts
