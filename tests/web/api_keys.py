"""Helpers of the /v1 tests: an app (outside dev mode unless asked), issued keys, the Bearer header."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from ogservice import create_app
from ogservice.config import load_settings


def make_app(tmp_path: Path, dev: bool = False, **settings: Any) -> Flask:
    return create_app(load_settings(dev=dev, signing_keys="k1", data_dir=tmp_path / "data", **settings))


def issue(app: Flask, tenant: str = "acme", **changes: Any) -> tuple[str, Any]:
    """A new key of `tenant` (created as a pro tenant with $2/day unless it exists); (token, key)."""
    if app.extensions["ogs.tenants"].tenant(tenant) is None:
        changes = {"tier": "pro", "budget_usd": 2.0, **changes}
    token, key, _ = app.extensions["ogs.tenants"].create_key(tenant, **changes)
    return token, key


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
