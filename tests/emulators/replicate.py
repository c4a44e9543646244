"""Replicate predictions API emulator: official-model create, `Prefer: wait`, status machine, file URLs.

Speaks providers.md 6a: POST /models/{owner}/{name}/predictions (201 + prediction object), GET
/predictions/{id}, POST /predictions/{id}/cancel (the prediction, `canceled` if it was still running),
problem-style error bodies (`detail`, `title`, `status`), 422 "Input validation failed" for unknown or
out-of-range input fields, 429 "resets in ~Ns", and NSFW filtering as a failed prediction.
`Prefer: wait` or `wait=N` must have N in 1-60 (documented); anything else is answered 400 here (the
vendor's exact answer is an assumption). Every call is authenticated. `waits` records the N of each
create (None without the header) and `cancels` the id of each cancel call, for tests to assert.
Routes live under the emulator root, which stands for the documented base `https://api.replicate.com/v1`.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask import Response, jsonify, request

from ogservice.gateway.providers.replicate import ReplicateProvider
from tests.emulators.base import URL_FAILURES, ContractCase, Emulator, png_bytes

ASPECT_SIZES = {
    "1:1": (1024, 1024), "16:9": (1344, 768), "21:9": (1536, 640), "3:2": (1216, 832), "2:3": (832, 1216),
    "4:5": (896, 1088), "5:4": (1088, 896), "3:4": (896, 1152), "4:3": (1152, 896), "9:16": (768, 1344),
    "9:21": (640, 1536),
}
FORMATS = {"webp": ("WEBP", "image/webp"), "jpg": ("JPEG", "image/jpeg"), "png": ("PNG", "image/png")}
COMMON = {
    "prompt": ("str",), "aspect_ratio": ("enum", *ASPECT_SIZES), "num_outputs": ("int", 1, 4),
    "seed": ("int", 0, 2**32 - 1), "output_format": ("enum", *FORMATS), "output_quality": ("int", 0, 100),
    "disable_safety_checker": ("bool",), "go_fast": ("bool",), "megapixels": ("enum", "1", "0.25"),
}
SCHEMAS = {
    "black-forest-labs/flux-schnell": {**COMMON, "num_inference_steps": ("int", 1, 4)},
    "black-forest-labs/flux-dev": {
        **COMMON, "num_inference_steps": ("int", 1, 50), "guidance": ("num", 0, 10),
        "prompt_strength": ("num", 0, 1), "image": ("str",),
    },
}
TOP_LEVEL = {"input", "webhook", "webhook_events_filter", "stream"}
NSFW_ERROR = "All generated images contained NSFW content. Try running it again with a different prompt."
PREFER_WAIT = re.compile(r"^\s*wait(?:=(\d{1,3}))?\s*$")


def check(value: Any, rule: tuple) -> str | None:
    """Replicate's (JSON-schema) message for an invalid input value, or None when it is valid."""
    kind = rule[0]
    if kind == "enum":
        return None if value in rule[1:] else f"{kind}: must be one of: {', '.join(map(repr, rule[1:]))}"
    if kind == "str":
        return None if isinstance(value, str) else "Invalid type. Expected: string"
    if kind == "bool":
        return None if isinstance(value, bool) else "Invalid type. Expected: boolean"
    numeric = (int,) if kind == "int" else (int, float)
    if not isinstance(value, numeric) or isinstance(value, bool):
        return f"Invalid type. Expected: {'integer' if kind == 'int' else 'number'}"
    if value < rule[1]:
        return f"Must be greater than or equal to {rule[1]}"
    return f"Must be less than or equal to {rule[2]}" if value > rule[2] else None


def _unauthenticated() -> Response:
    return problem(401, "Unauthenticated", "You did not pass a valid authentication token")


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    """Replicate's problem-style error body."""
    resp = jsonify({"title": title, "detail": detail, "status": status, **extra})
    resp.status_code = status
    return resp


class ReplicateEmulator(Emulator):
    """In-process Replicate; `polls_until_done` GETs move a prediction starting -> processing -> done."""

    name = "replicate"
    token = "test-key"
    polls_until_done = 2
    finishes_within_wait = True  # False: `Prefer: wait` times out and the client must poll
    throttle_seconds = 30

    def __init__(self) -> None:
        self.predictions: dict[str, dict[str, Any]] = {}
        self.waits: list[int | None] = []  # Prefer: wait=N of each create call (None: no header)
        self.cancels: list[str] = []  # prediction id of each cancel call
        super().__init__()

    def routes(self) -> None:
        self.app.add_url_rule("/models/<owner>/<model>/predictions", "create", self.create, methods=["POST"])
        self.app.add_url_rule("/predictions/<pid>", "get", self.get, methods=["GET"])
        self.app.add_url_rule("/predictions/<pid>/cancel", "cancel", self.cancel, methods=["POST"])

    # --- endpoints -------------------------------------------------------------------------------
    def create(self, owner: str, model: str) -> Response:
        body = request.get_json(silent=True)
        self.requests.append({"path": request.path, "headers": dict(request.headers), "json": body})
        if (refusal := self._guard()) is not None:
            return refusal
        if f"{owner}/{model}" not in SCHEMAS:
            return problem(404, "Not found", f"Model {owner}/{model} not found")
        if (invalid := self._validate(f"{owner}/{model}", body)) is not None:
            return invalid
        wait = self._prefer_wait(request.headers.get("Prefer"))
        if isinstance(wait, Response):
            return wait
        self.waits.append(wait)
        if self.take_failure("malformed"):
            return Response('{"prediction": "queued"}', 201, mimetype="application/json")
        prediction = self._new(f"{owner}/{model}", body["input"])
        if wait is not None and self.finishes_within_wait:
            self._complete(prediction)
        return self._answer(prediction, 201)

    def get(self, pid: str) -> Response:
        self.requests.append({"path": request.path, "headers": dict(request.headers), "json": None})
        if (refusal := self._guard()) is not None:
            return refusal
        if (prediction := self.predictions.get(pid)) is None:
            return problem(404, "Not found", "The requested prediction was not found.")
        self._advance(prediction)
        return self._answer(prediction, 200)

    def cancel(self, pid: str) -> Response:
        self.requests.append({"path": request.path, "headers": dict(request.headers), "json": None})
        if not self._authenticated():
            return _unauthenticated()
        if (prediction := self.predictions.get(pid)) is None:
            return problem(404, "Not found", "The requested prediction was not found.")
        self.cancels.append(pid)
        if prediction["status"] in ("starting", "processing"):
            prediction["status"] = "canceled"
        return self._answer(prediction, 200)

    # --- checks ----------------------------------------------------------------------------------
    def _guard(self) -> Response | None:
        """Auth and injected transport-level failures, in the order Replicate applies them."""
        kind = self.take_failure("unauthorized", "rate_limit", "server_error", "slow")
        if kind == "unauthorized" or not self._authenticated():
            return _unauthenticated()
        if kind == "rate_limit":
            detail = f"Request was throttled. Your rate limit resets in ~{self.throttle_seconds}s."
            return problem(429, "Too Many Requests", detail)
        if kind == "server_error":
            return problem(500, "Internal Server Error", "Something went wrong on our end.")
        return None

    def _authenticated(self) -> bool:
        return request.headers.get("Authorization", "") in (f"Bearer {self.token}", f"Token {self.token}")

    @staticmethod
    def _prefer_wait(header: str | None) -> int | None | Response:
        """N of `Prefer: wait=N` (60 for a bare `wait`), None without the header, 400 when invalid."""
        if header is None:
            return None
        found = PREFER_WAIT.match(header)
        wait = int(found.group(1) or 60) if found else 0
        if not 1 <= wait <= 60:
            detail = f"Prefer must be 'wait' or 'wait=N' with N in 1-60, not {header!r}"
            return problem(400, "Invalid Prefer header", detail)
        return wait

    def _validate(self, model: str, body: Any) -> Response | None:
        """Replicate's 422 for a bad body: unknown properties, unknown inputs, wrong types or ranges."""
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
            return self._invalid([("input", "required", "input is required and must be an object")])
        errors = [(k, "additional_property_not_allowed", f"Additional property {k} is not allowed")
                  for k in body if k not in TOP_LEVEL]
        schema = SCHEMAS[model]
        for key, value in body["input"].items():
            rule = schema.get(key)
            message = f"Additional property {key} is not allowed" if rule is None else check(value, rule)
            if message:
                errors.append((f"input.{key}", "invalid", message))
        if "prompt" not in body["input"]:
            errors.append(("input", "required", "prompt is required"))
        return self._invalid(errors) if errors else None

    @staticmethod
    def _invalid(errors: list[tuple[str, str, str]]) -> Response:
        detail = "".join(f"- {field}: {message}\n" for field, _, message in errors)
        fields = [{"type": kind, "field": field, "description": message} for field, kind, message in errors]
        return problem(422, "Input validation failed", detail, invalid_fields=fields)

    # --- the prediction state machine ----------------------------------------------------------
    def _new(self, model: str, inputs: dict[str, Any]) -> dict[str, Any]:
        pid = secrets.token_hex(13)
        prediction = {"id": pid, "model": model, "version": "hidden", "input": inputs, "logs": "",
                      "output": None, "data_removed": False, "error": None, "status": "starting",
                      "created_at": "2026-01-01T12:00:00.000Z", "polls": 0}
        self.predictions[pid] = prediction
        return prediction

    def _advance(self, prediction: dict[str, Any]) -> None:
        if prediction["status"] not in ("starting", "processing"):
            return
        prediction["polls"] += 1
        prediction["status"] = "processing"
        if prediction["polls"] >= self.polls_until_done:
            self._complete(prediction)

    def _complete(self, prediction: dict[str, Any]) -> None:
        inputs = prediction["input"]
        seed = inputs.get("seed", 1234567)
        prediction["logs"] = f"Using seed: {seed}\n100%|##########| 4/4\n"
        prediction["metrics"] = {"predict_time": 1.1, "total_time": 1.3}
        if self.take_failure("safety") and not inputs.get("disable_safety_checker"):
            prediction.update(status="failed", error=NSFW_ERROR)
            return
        prediction.update(status="succeeded", output=[self._output_url(inputs)])

    def _output_url(self, inputs: dict[str, Any]) -> str:
        width, height = ASPECT_SIZES[inputs.get("aspect_ratio", "1:1")]
        if inputs.get("megapixels") == "0.25":
            width, height = width // 2, height // 2
        fmt, media_type = FORMATS[inputs.get("output_format", "webp")]
        broken = self.take_failure("not_image")
        data = b"<html>not an image</html>" if broken else png_bytes(width, height, fmt=fmt)
        return self.host_file(data, media_type, ttl=3600)

    def _answer(self, prediction: dict[str, Any], status: int) -> Response:
        body = {k: v for k, v in prediction.items() if k != "polls"}
        body["urls"] = {"get": f"{self.base_url}/predictions/{prediction['id']}",
                        "cancel": f"{self.base_url}/predictions/{prediction['id']}/cancel"}
        resp = jsonify(body)
        resp.status_code = status
        return resp


CASES = [
    ContractCase(model_id, ReplicateProvider, ReplicateEmulator, failures=dict(URL_FAILURES))
    for model_id in ("flux-schnell-replicate", "flux-dev-replicate")
]
