"""ogservice: social images as layers (procedural/model backgrounds, local typesetting), cached by hash."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from .config import Settings

__version__ = "0.1.0"


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app: validated settings, per-app services, blueprints, one error handler."""
    from .web.app import build_app

    return build_app(settings)
