"""fal.ai queue API emulator: submit, status state machine, result, CDN files, FastAPI-style errors.

Speaks providers.md 6b: POST /{owner}/{app}[/{subpath}] -> {request_id, status_url, response_url, ...};
GET /{owner}/{app}/requests/{id}/status (202 while IN_QUEUE/IN_PROGRESS, 200 when COMPLETED);
GET /{owner}/{app}/requests/{id} -> the result; PUT /{owner}/{app}/requests/{id}/cancel -> 202
`{"status": "CANCELLATION_REQUESTED"}` while queued or in progress, 400 `ALREADY_COMPLETED` after,
404 `NOT_FOUND` (the statuses fal documents; the codes per status are from third-party clients);
`Authorization: Key ...` on every call; errors as `{"detail": ...}`,
422 validation as FastAPI `detail` lists (extra fields are rejected, an assumption made explicit here);
the safety checker answers `has_nsfw_concepts: [true]` with a black image, as fal does.
A cancelled request is gone from the queue: its status and result answer 404 (an assumption).
`cancels` records the request id of each cancel call, for tests to assert.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, jsonify, request

from ogservice.gateway.providers.fal import FalProvider
from tests.emulators.base import URL_FAILURES, ContractCase, Emulator, png_bytes

PRESETS = {
    "square_hd": (1024, 1024), "square": (512, 512), "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024), "landscape_4_3": (1024, 768), "landscape_16_9": (1024, 576),
}
FORMATS = {"jpeg": ("JPEG", "image/jpeg"), "png": ("PNG", "image/png")}
COMMON = {
    "prompt": ("str",), "image_size": ("size",), "seed": ("int", 0, 2**32 - 1), "num_images": ("int", 1, 4),
    "enable_safety_checker": ("bool",), "sync_mode": ("bool",), "output_format": ("enum", *FORMATS),
    "acceleration": ("enum", "none", "regular", "high"),
}
SCHEMAS = {
    "fal-ai/flux/schnell": {**COMMON, "num_inference_steps": ("int", 1, 12)},
    "fal-ai/flux/dev": {**COMMON, "num_inference_steps": ("int", 1, 50), "guidance_scale": ("num", 1, 20)},
}


def check(value: Any, rule: tuple) -> tuple[str, str] | None:
    """(msg, type) in pydantic's words for an invalid value, or None when valid."""
    kind = rule[0]
    if kind == "size":
        return _check_size(value)
    if kind == "enum":
        return None if value in rule[1:] else (f"value is not a valid enumeration member {rule[1:]}", "enum")
    if kind in ("str", "bool"):
        ok = isinstance(value, str if kind == "str" else bool)
        return None if ok else (f"value is not a valid {kind}", f"type_error.{kind}")
    numeric = (int,) if kind == "int" else (int, float)
    if not isinstance(value, numeric) or isinstance(value, bool):
        return f"value is not a valid {'integer' if kind == 'int' else 'number'}", "type_error"
    if not rule[1] <= value <= rule[2]:
        return f"ensure this value is between {rule[1]} and {rule[2]}", "value_error.number"
    return None


def _check_size(value: Any) -> tuple[str, str] | None:
    if isinstance(value, str):
        return None if value in PRESETS else (f"value is not one of {sorted(PRESETS)}", "enum")
    if isinstance(value, dict) and set(value) == {"width", "height"}:
        if all(isinstance(v, int) and 64 <= v <= 14142 for v in value.values()):
            return None
    return "image_size must be a preset name or {width, height} integers", "value_error"


def detail(status: int, message: Any) -> Response:
    """fal's error envelope."""
    resp = jsonify({"detail": message})
    resp.status_code = status
    return resp


class FalEmulator(Emulator):
    """In-process fal queue; a request needs `polls_until_done` status calls to reach COMPLETED."""

    name = "fal"
    token = "test-key"
    polls_until_done = 2
    advertise_base: str | None = None  # host put in status_url/response_url; None = this emulator

    def __init__(self) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.cancels: list[str] = []  # request id of each cancel call
        super().__init__()

    def routes(self) -> None:
        self.app.add_url_rule("/<owner>/<app>/requests/<rid>/status", "status", self.status, methods=["GET"])
        self.app.add_url_rule("/<owner>/<app>/requests/<rid>/cancel", "cancel", self.cancel, methods=["PUT"])
        self.app.add_url_rule("/<owner>/<app>/requests/<rid>", "result", self.result, methods=["GET"])
        self.app.add_url_rule("/<owner>/<app>", "submit", self.submit, methods=["POST"])
        self.app.add_url_rule("/<owner>/<app>/<path:sub>", "submit_sub", self.submit, methods=["POST"])

    def _log(self, body: Any = None) -> None:
        self.requests.append({"path": request.path, "url": request.url, "headers": dict(request.headers),
                              "json": body})

    # --- endpoints -------------------------------------------------------------------------------
    def submit(self, owner: str, app: str, sub: str = "") -> Response:
        body = request.get_json(silent=True)
        self._log(body)
        model = "/".join(p for p in (owner, app, sub) if p)
        if (refusal := self._guard()) is not None:
            return refusal
        if model not in SCHEMAS:
            return detail(404, f"Application '{model}' not found")
        if (errors := self._validate(model, body)) is not None:
            return detail(422, errors)
        rid = str(uuid.uuid4())
        self.jobs[rid] = {"model": model, "app": f"{owner}/{app}", "input": body, "polls": 0, "result": None}
        base = f"{self.advertise_base or self.base_url}/{owner}/{app}/requests/{rid}"
        return jsonify({"request_id": rid, "response_url": base, "status_url": f"{base}/status",
                        "cancel_url": f"{base}/cancel", "status": "IN_QUEUE", "queue_position": 1})

    def status(self, owner: str, app: str, rid: str) -> Response:
        self._log()
        if (job := self._job(owner, app, rid)) is None:
            return detail(404, "Request not found")
        job["polls"] += 1
        remaining = self.polls_until_done - job["polls"]
        if remaining <= 0:
            return jsonify({"status": "COMPLETED", "logs": None, "metrics": {"inference_time": 0.9},
                            "response_url": f"{self.base_url}{request.path.removesuffix('/status')}"})
        if remaining == 1:
            return jsonify({"status": "IN_PROGRESS", "logs": None}), 202
        return jsonify({"status": "IN_QUEUE", "queue_position": remaining - 2}), 202

    def cancel(self, owner: str, app: str, rid: str) -> Response:
        self._log()
        if request.headers.get("Authorization") != f"Key {self.token}":
            return detail(401, "Unauthorized")
        self.cancels.append(rid)
        if (job := self._job(owner, app, rid)) is None:
            return jsonify({"status": "NOT_FOUND"}), 404
        if job["polls"] >= self.polls_until_done:
            return jsonify({"status": "ALREADY_COMPLETED"}), 400
        job["cancelled"] = True
        return jsonify({"status": "CANCELLATION_REQUESTED"}), 202

    def result(self, owner: str, app: str, rid: str) -> Response:
        self._log()
        if (job := self._job(owner, app, rid)) is None:
            return detail(404, "Request not found")
        if job["polls"] < self.polls_until_done:
            return detail(400, "Request is still in progress")
        if self.take_failure("malformed"):
            return jsonify({"output": "done", "request_id": rid})
        job["result"] = job["result"] or self._render(job["input"])
        return jsonify(job["result"])

    # --- checks ----------------------------------------------------------------------------------
    def _guard(self) -> Response | None:
        """Auth and injected failures, where fal answers them (at submit)."""
        kind = self.take_failure("unauthorized", "rate_limit", "server_error", "slow")
        if kind == "unauthorized" or request.headers.get("Authorization") != f"Key {self.token}":
            return detail(401, "Unauthorized")
        if kind == "rate_limit":
            return detail(429, "Too many concurrent requests for this key")
        if kind == "server_error":
            return detail(500, "Internal Server Error")
        return None

    def _job(self, owner: str, app: str, rid: str) -> dict[str, Any] | None:
        """The job unless cancelled, if the key is right and the path uses the app id without the subpath."""
        job = self.jobs.get(rid)
        ok = request.headers.get("Authorization") == f"Key {self.token}"
        live = job is not None and not job.get("cancelled")
        return job if ok and live and job["app"] == f"{owner}/{app}" else None

    @staticmethod
    def _validate(model: str, body: Any) -> list[dict[str, Any]] | None:
        if not isinstance(body, dict):
            return [{"loc": ["body"], "msg": "value is not a valid dict", "type": "type_error.dict"}]
        schema, errors = SCHEMAS[model], []
        for key, value in body.items():
            problem = ("extra fields not permitted", "value_error.extra") if key not in schema else None
            if (problem := problem or check(value, schema[key])) is not None:
                errors.append({"loc": ["body", key], "msg": problem[0], "type": problem[1]})
        if "prompt" not in body:
            errors.append({"loc": ["body", "prompt"], "msg": "field required", "type": "value_error.missing"})
        return errors or None

    # --- results ---------------------------------------------------------------------------------
    def _render(self, inputs: dict[str, Any]) -> dict[str, Any]:
        size = inputs.get("image_size", "landscape_4_3")
        width, height = PRESETS[size] if isinstance(size, str) else (size["width"], size["height"])
        fmt, media_type = FORMATS[inputs.get("output_format", "jpeg")]
        flagged = bool(self.take_failure("safety")) and inputs.get("enable_safety_checker", True)
        data = png_bytes(width, height, (0, 0, 0) if flagged else (40, 90, 200), fmt=fmt)
        data = b"\x00garbage, not an image" if self.take_failure("not_image") else data
        url = self.host_file(data, media_type)
        image = {"url": url, "width": width, "height": height, "content_type": media_type}
        return {"images": [image], "timings": {"inference": 0.41}, "seed": inputs.get("seed", 424242),
                "has_nsfw_concepts": [flagged], "prompt": inputs["prompt"]}


CASES = [
    ContractCase(model_id, FalProvider, FalEmulator, failures=dict(URL_FAILURES))
    for model_id in ("flux-schnell", "flux-dev")
]
