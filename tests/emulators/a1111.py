"""AUTOMATIC1111 / Forge WebUI emulator: POST /sdapi/v1/txt2img with the WebUI's answers and errors.

Speaks providers.md 7a: base64 PNGs without a data: prefix, `info` as a JSON *string* holding the seed,
`{"error","detail","body","errors"}` for handled errors (404 "Sampler not found", 500 on CUDA OOM),
FastAPI 422 `{"detail": [...]}` for bad fields (unknown fields are rejected: an explicit assumption, so
adapters never rely on extras being ignored), optional `--api-auth` Basic with 401 + WWW-Authenticate,
and an `X-Process-Time` header on every answer. Output size is the request's, floored to multiples of 8.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from flask import Response, jsonify, request

from ogservice.gateway.providers.a1111 import A1111Provider
from tests.emulators.base import ContractCase, Emulator, png_bytes

SAMPLERS = ("Euler a", "Euler", "DPM++ 2M", "DPM++ 2M SDE", "DPM++ SDE", "DDIM", "UniPC")
SCHEDULERS = ("automatic", "uniform", "karras", "exponential", "sgm_uniform", "Karras")
FIELDS: dict[str, tuple] = {
    "prompt": ("str",), "negative_prompt": ("str",), "styles": ("list",), "seed": ("int", -1, 2**32 - 1),
    "subseed": ("int", -1, 2**32 - 1), "subseed_strength": ("num", 0, 1), "sampler_name": ("str",),
    "sampler_index": ("str",), "scheduler": ("enum", *SCHEDULERS), "batch_size": ("int", 1, 8),
    "n_iter": ("int", 1, 100), "steps": ("int", 1, 150), "cfg_scale": ("num", 1, 30),
    "distilled_cfg_scale": ("num", 0, 30), "width": ("int", 64, 2048), "height": ("int", 64, 2048),
    "restore_faces": ("bool",), "tiling": ("bool",), "enable_hr": ("bool",), "hr_scale": ("num", 1, 4),
    "hr_upscaler": ("str",), "denoising_strength": ("num", 0, 1), "override_settings": ("dict",),
    "override_settings_restore_afterwards": ("bool",), "send_images": ("bool",), "save_images": ("bool",),
    "alwayson_scripts": ("dict",), "script_name": ("str",), "script_args": ("list",),
}
TYPES = {"str": str, "bool": bool, "list": list, "dict": dict}


def invalid(key: str, value: Any) -> str | None:
    """Pydantic's message for a bad txt2img field, or None when it is acceptable."""
    rule = FIELDS.get(key)
    if rule is None:
        return "extra fields not permitted"
    kind = rule[0]
    if kind in TYPES:
        return None if isinstance(value, TYPES[kind]) else f"value is not a valid {kind}"
    if kind == "enum":
        return None if value in rule[1:] else f"value is not one of {rule[1:]}"
    numeric = (int,) if kind == "int" else (int, float)
    if not isinstance(value, numeric) or isinstance(value, bool):
        return f"value is not a valid {'integer' if kind == 'int' else 'float'}"
    return None if rule[1] <= value <= rule[2] else f"ensure this value is between {rule[1]} and {rule[2]}"


def handled(status: int, error: str, detail: str = "", errors: str = "") -> Response:
    """A1111's envelope for handled exceptions."""
    resp = jsonify({"error": error, "detail": detail, "body": "", "errors": errors})
    resp.status_code = status
    return resp


class A1111Emulator(Emulator):
    """In-process WebUI started with `--api` (and `--api-auth` when `credentials` is set)."""

    name = "a1111"
    credentials: tuple[str, str] | None = None
    random_seed = 2750444522  # what the "GPU" picks for seed -1

    def routes(self) -> None:
        self.app.add_url_rule("/sdapi/v1/txt2img", "txt2img", self.txt2img, methods=["POST"])
        self.app.add_url_rule("/sdapi/v1/samplers", "samplers", self.samplers, methods=["GET"])
        self.app.after_request(self._process_time)

    @staticmethod
    def _process_time(resp: Response) -> Response:
        resp.headers["X-Process-Time"] = "0.0123"
        return resp

    def samplers(self) -> Response:
        return jsonify([{"name": name, "aliases": [], "options": {}} for name in SAMPLERS])

    def txt2img(self) -> Response:
        body = request.get_json(silent=True)
        self.requests.append({"path": request.path, "headers": dict(request.headers), "json": body})
        if (refusal := self._guard()) is not None:
            return refusal
        if not isinstance(body, dict):
            return self._unprocessable([{"loc": ["body"], "msg": "value is not a valid dict"}])
        problems = [{"loc": ["body", k], "msg": m} for k, v in body.items() if (m := invalid(k, v))]
        if problems:
            return self._unprocessable(problems)
        if body.get("sampler_name", "Euler a") not in SAMPLERS:
            return handled(404, "HTTPException", "Sampler not found")
        if self.take_failure("malformed"):
            return jsonify({"parameters": body, "info": "{}"})
        return jsonify(self._render(body))

    def _guard(self) -> Response | None:
        kind = self.take_failure("unauthorized", "server_error", "slow")
        if kind == "unauthorized" or not self._authorized():
            resp = jsonify({"detail": "Incorrect username or password"})
            resp.status_code, resp.headers["WWW-Authenticate"] = 401, "Basic"
            return resp
        if kind == "server_error":
            return handled(500, "OutOfMemoryError", "", "CUDA out of memory. Tried to allocate 2.00 GiB")
        return None

    def _authorized(self) -> bool:
        if self.credentials is None:
            return True
        auth = request.authorization
        return auth is not None and (auth.username, auth.password) == self.credentials

    @staticmethod
    def _unprocessable(problems: list[dict[str, Any]]) -> Response:
        resp = jsonify({"detail": [{**p, "type": "value_error"} for p in problems]})
        resp.status_code = 422
        return resp

    def _render(self, body: dict[str, Any]) -> dict[str, Any]:
        width, height = body.get("width", 512) // 8 * 8, body.get("height", 512) // 8 * 8
        seed = body.get("seed", -1)
        seed = self.random_seed if seed == -1 else seed
        data = b"not a png at all" if self.take_failure("not_image") else png_bytes(width, height)
        info = {"seed": seed, "all_seeds": [seed], "width": width, "height": height,
                "infotexts": [f"{body.get('prompt', '')}\nSteps: {body.get('steps', 50)}, Seed: {seed}"]}
        return {"images": [base64.b64encode(data).decode("ascii")], "parameters": body,
                "info": json.dumps(info)}


CASES = [
    ContractCase(
        "sdxl-a1111",
        A1111Provider,
        A1111Emulator,
        api_key=None,
        failures={
            "server_error": "ProviderUnavailable",
            "malformed": "BadResponse",
            "not_image": "BadResponse",
            "unauthorized": "KeyRefused",
        },
    )
]
