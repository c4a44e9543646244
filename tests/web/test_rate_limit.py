"""Per-key rate limits through the real app and Redis: 429 problem+json with Retry-After under a burst,
RateLimit-* headers, one count shared by every process, keys counted apart, the default rate."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from tests.web.api_keys import bearer, issue, make_app


def statuses(app: Flask, token: str, count: int) -> list[int]:
    client = app.test_client()
    return [client.get("/v1/models", headers=bearer(token)).status_code for _ in range(count)]


def test_a_burst_over_the_keys_rate_gets_429_with_retry_after(tmp_path: Path):
    app = make_app(tmp_path)
    token, _ = issue(app, rate="5/minute")
    client = app.test_client()
    answers = [client.get("/v1/models", headers=bearer(token)) for _ in range(8)]
    assert [r.status_code for r in answers[:5]] == [200] * 5
    assert [r.headers["RateLimit-Remaining"] for r in answers[:5]] == ["4", "3", "2", "1", "0"]
    assert all(1 <= int(r.headers["RateLimit-Reset"]) <= 60 for r in answers)  # a window has begun
    refused = [r for r in answers if r.status_code == 429]
    assert refused, [r.status_code for r in answers]
    for resp in refused:
        assert resp.mimetype == "application/problem+json" and resp.get_json()["status"] == 429
        assert 1 <= int(resp.headers["Retry-After"]) <= 60
        assert resp.get_json()["retry_after"] == int(resp.headers["Retry-After"])
        assert resp.headers["RateLimit-Limit"] == "5" and resp.headers["RateLimit-Remaining"] == "0"
        assert resp.headers["RateLimit-Policy"] == "5;w=60"
        assert "rate limit of 5 requests per 60 s reached" in resp.get_json()["detail"]


def test_every_process_counts_against_the_same_limit(tmp_path: Path):
    first, second = make_app(tmp_path / "a"), make_app(tmp_path / "b")  # two apps, two Redis clients
    token, _ = issue(first, rate="5/minute")
    assert statuses(first, token, 3) == [200] * 3
    assert statuses(second, token, 3) == [200, 200, 429]


def test_each_key_has_its_own_count_and_the_default_rate_applies_without_rate(tmp_path: Path):
    app = make_app(tmp_path, rate_limit="3/minute")
    limited, _ = issue(app, rate="2/minute")
    default, _ = issue(app)  # same tenant, no --rate: OGS_RATE_LIMIT
    assert statuses(app, limited, 3) == [200, 200, 429]
    assert statuses(app, default, 4) == [200, 200, 200, 429]
    assert app.test_client().get("/v1/models", headers=bearer(default)).headers["RateLimit-Limit"] == "3"


def test_requests_outside_v1_are_neither_authenticated_nor_limited(tmp_path: Path):
    app = make_app(tmp_path, rate_limit="1/minute")
    for _ in range(3):
        resp = app.test_client().get("/healthz")
        assert resp.status_code == 200 and "RateLimit-Limit" not in resp.headers
