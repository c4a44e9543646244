"""A request waits for a pending layer only when its model can deliver before the wait ends.

Found by `ogservice bench ai`: every cold request held a server thread for the whole layer wait
(600 ms) although no model call finishes that fast, so 20 crawlers fetching a new card at once
queued on 8 threads and the last answer took 2.8 s. Now such a request answers at once.
"""

from __future__ import annotations

import time

import pytest

from ogservice.cards.fields import parse_card_request
from ogservice.cards.templates import BUNDLED_DIR, load_templates
from ogservice.layers.outcomes import Pending
from ogservice.layers.service import LayerService


@pytest.fixture
def layers(queued_layers: LayerService) -> LayerService:
    return queued_layers


def _planned(service: LayerService, title: str) -> list:
    template = load_templates([BUNDLED_DIR])["blog-post"]
    req = parse_card_request(template, [("title", title), ("bg", "ai")], service.settings.max_pixels)
    return service.plan(req)


def test_a_request_does_not_wait_for_a_layer_no_model_delivers_in_time(layers: LayerService) -> None:
    planned = _planned(layers, "Answer at once")
    assert planned[0].model == "flux-schnell"  # catalog p50: 2 s
    (outcome,) = layers.resolve(planned, time.monotonic() + 0.6)
    assert isinstance(outcome, Pending)
    assert outcome.waited_ms == 0  # the provisional card is composed now, not after the wait


def test_a_request_still_waits_when_the_model_may_deliver_before_the_wait_ends(layers: LayerService) -> None:
    planned = _planned(layers, "Worth waiting for")
    (outcome,) = layers.resolve(planned, time.monotonic() + 2.5)  # longer than the model's p50
    assert isinstance(outcome, Pending)  # no worker runs it here
    assert outcome.waited_ms > 0
