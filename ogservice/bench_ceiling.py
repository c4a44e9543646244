"""The ceiling for `ogservice bench cached`: a bare Flask route returning the card bytes from memory."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response

app = Flask("ceiling")
_PNG = Path(os.environ.get("OGS_BENCH_FILE", "card.png")).read_bytes()


@app.get("/card.png")
def card() -> Response:
    return Response(_PNG, mimetype="image/png")


@app.get("/healthz")
def healthz() -> Response:
    return Response("ok")
