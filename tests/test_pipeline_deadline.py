"""Single flight and the render deadline: no lock outlives its requests, no wait outlives its deadline,
and a card that exists (found, or finished late) is served rather than answered with a 503."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from ogservice import create_app, pipeline
from ogservice.cards.fields import parse_card_request
from ogservice.config import load_settings
from ogservice.errors import OgsError, ServiceUnavailable
from ogservice.pipeline import CardService, Job
from ogservice.store import Store

GENEROUS_S = 3.0  # an answer due in ~0.3 s must come well within this, even on a loaded machine


class GatedStore:
    """A real store whose index reads can be held at a gate (a render stuck in its lookup, holding the
    card's flight lock) or slowed down (a store that answers late)."""

    def __init__(self, backend: Store, delay_s: float = 0.0) -> None:
        self.backend, self.delay_s = backend, delay_s
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = threading.Event()  # set while a read waits at the closed gate

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)

    def get(self, key: str) -> bytes | None:
        if key.startswith("req/"):
            if not self.gate.is_set():
                self.waiting.set()
                self.gate.wait(timeout=30)
            time.sleep(self.delay_s)
        return self.backend.get(key)

    def put(self, key: str, data: bytes, ttl: int | None = None) -> None:
        self.backend.put(key, data, ttl)


def _service(tmp_path: Path, **settings: Any) -> CardService:
    service = create_app(load_settings(dev=True, data_dir=tmp_path / "data", **settings)).extensions[
        "ogs.cards"
    ]
    service.store = GatedStore(service.store)
    return service


def _run_in_thread(
    service: CardService, params: list[tuple[str, str]], **kw: Any
) -> tuple[threading.Thread, list]:
    outcome: list[Job | BaseException] = []

    def run() -> None:
        try:
            outcome.append(service.run("blog-post", params, **kw))
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_the_flights_map_is_empty_after_hits_misses_and_failures(tmp_path):
    service = _service(tmp_path, missing_glyph="error")
    for i in range(12):
        fields = [("title", f"Card {i}"), ("site", "example.com")]
        assert not service.run("blog-post", fields).cache_hit  # a miss: rendered and stored
        assert service.run("blog-post", fields).cache_hit  # a hit
        with pytest.raises(OgsError):  # fails inside the render: no font covers U+13000
            service.run("blog-post", [("title", f"Card {i} \U00013000")])
        with pytest.raises(OgsError):  # fails before it: a bad seed
            service.run("blog-post", [*fields, ("seed", "²")])
    assert len(service._flights) == 0


def test_a_request_waiting_for_another_requests_render_gets_a_503_at_its_deadline(tmp_path):
    service = _service(tmp_path)
    card = [("title", "Held by another request")]
    service.store.gate.clear()
    first, _ = _run_in_thread(service, card)  # holds the card's flight lock, stuck in its lookup
    assert service.store.waiting.wait(GENEROUS_S)
    try:
        started = time.monotonic()
        second, outcome = _run_in_thread(service, card, timeout_ms=300)
        second.join(GENEROUS_S)
        assert not second.is_alive(), "the waiter outlived its deadline"
        assert isinstance(outcome[0], ServiceUnavailable) and outcome[0].extra["retry_after"] >= 1
        assert time.monotonic() - started < GENEROUS_S
    finally:
        service.store.gate.set()
    first.join(GENEROUS_S)
    assert len(service._flights) == 0


def test_through_http_the_waiter_gets_problem_json_with_retry_after(tmp_path):
    app = create_app(load_settings(dev=True, data_dir=tmp_path / "data", render_timeout_ms=300))
    cards = app.extensions["ogs.cards"]
    cards.store = store = GatedStore(cards.store)
    url = "/og/blog-post.png?title=" + quote("Waiting over HTTP")
    store.gate.clear()
    first = threading.Thread(target=lambda: app.test_client().get(url), daemon=True)
    first.start()
    assert store.waiting.wait(GENEROUS_S)
    try:
        started = time.monotonic()
        resp = app.test_client().get(url)
        assert time.monotonic() - started < GENEROUS_S
    finally:
        store.gate.set()
    first.join(GENEROUS_S)
    assert resp.status_code == 503 and resp.mimetype == "application/problem+json"
    assert int(resp.headers["Retry-After"]) >= 1 and "another request" in resp.get_json()["detail"]
    assert len(cards._flights) == 0


def test_a_waiter_gets_the_first_render_when_it_finishes_within_the_deadline(tmp_path):
    service = _service(tmp_path)
    card = [("title", "Rendered once, served twice")]
    service.store.gate.clear()
    first, rendered = _run_in_thread(service, card)
    assert service.store.waiting.wait(GENEROUS_S)
    second, waited = _run_in_thread(service, card, timeout_ms=20_000)
    time.sleep(0.1)  # let the second request reach the flight lock (if it has not, it finds a hit anyway)
    service.store.gate.set()
    first.join(GENEROUS_S * 3)
    second.join(GENEROUS_S * 3)
    assert isinstance(rendered[0], Job) and not rendered[0].cache_hit
    assert isinstance(waited[0], Job) and waited[0].cache_hit and waited[0].png == rendered[0].png
    assert len(service._flights) == 0


def test_no_render_starts_after_the_deadline_but_a_found_card_is_served_late(tmp_path, monkeypatch):
    service = _service(tmp_path)
    composed: list[str] = []
    real_compose = pipeline.compose
    monkeypatch.setattr(pipeline, "compose", lambda *a, **kw: composed.append("x") or real_compose(*a, **kw))
    card = [("title", "Looked up too slowly")]
    service.store.delay_s = 0.4  # every index lookup answers after the 200 ms deadline
    with pytest.raises(ServiceUnavailable):
        service.run("blog-post", card, timeout_ms=200)
    assert not composed and service.store.backend.get(f"req/{_key(service, card)}") is None
    service.store.delay_s = 0.0
    rendered = service.run("blog-post", card)
    service.store.delay_s = 0.4
    late = service.run("blog-post", card, timeout_ms=200)  # found after the deadline: still served
    assert late.cache_hit and late.png == rendered.png and len(composed) == 1
    assert len(service._flights) == 0


def test_a_render_that_finishes_after_the_deadline_is_stored_and_served(tmp_path, monkeypatch):
    service = _service(tmp_path)
    real_compose = pipeline.compose
    monkeypatch.setattr(pipeline, "compose", lambda *a, **kw: time.sleep(0.4) or real_compose(*a, **kw))
    card = [("title", "Finished late")]
    job = service.run("blog-post", card, timeout_ms=200)
    assert job.png is not None and not job.cache_hit
    assert service.store.flush(timeout=10)
    monkeypatch.setattr(pipeline, "compose", real_compose)
    assert service.run("blog-post", card).cache_hit


def _key(service: CardService, params: list[tuple[str, str]]) -> str:
    template = service.template("blog-post")
    return service.request_key(parse_card_request(template, params, service.settings.max_pixels))
