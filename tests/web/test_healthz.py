"""GET /healthz: 200 with {"status": "ok" | "degraded", "checks": {...}}, degraded-but-serving included."""

from __future__ import annotations

from ogservice import create_app
from ogservice.config import load_settings


def test_a_healthy_service_reports_every_dependency_ok(tmp_path):
    client = create_app(load_settings(dev=True, data_dir=tmp_path)).test_client()
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and "blog-post" in body["templates"]
    assert body["checks"] == {
        "store": {"status": "ok", "backend": "files", "errors": 0},
        "breaker": {"status": "ok", "backend": "redis", "errors": 0},
        "ledger": {"status": "ok", "backend": "redis", "errors": 0},
        "budget": {"status": "ok", "backend": "redis", "errors": 0},
        "api_keys": {"status": "ok", "backend": "redis", "errors": 0},
        "rate_limit": {"status": "ok", "backend": "redis", "errors": 0},
    }


def test_a_store_that_cannot_write_is_reported_degraded_while_cards_are_served(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")  # the data folder cannot be created: every write fails
    app = create_app(load_settings(dev=True, data_dir=blocker))
    client = app.test_client()
    assert client.get("/og/blog-post.png?title=Disk+trouble").status_code == 200
    assert app.extensions["ogs.cards"].store.flush(timeout=10)
    resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    store = body["checks"]["store"]
    assert body["status"] == "degraded" and store["status"] == "degraded" and store["errors"] >= 2
    assert "Not a directory" in store["last_error"]
