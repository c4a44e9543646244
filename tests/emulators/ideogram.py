"""Ideogram emulator: legacy `/generate` (JSON) and 3.0 `/v1/ideogram-v3/generate[-transparent]`.

v3 accepts multipart/form-data (documented) and JSON (the vendor's own Python example posts JSON).
Errors are `{"detail": "..."}`: 400 invalid input, 401 bad key, 422 safety check, 429 over the
concurrency limit (no retry header). Images come back as expiring URLs served by `host_file`.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify, request
from PIL import Image

from ogservice.gateway.providers.ideogram import IdeogramProvider
from tests.emulators.base import URL_FAILURES, ContractCase, Emulator, png_bytes
from tests.emulators.lettering import encode, lettering_image

# Output resolution per aspect (Ideogram's ~1 MP resolution table).
RESOLUTIONS = {
    "1x1": (1024, 1024), "16x9": (1312, 736), "9x16": (736, 1312), "3x2": (1248, 832), "2x3": (832, 1248),
    "4x3": (1152, 864), "3x4": (864, 1152), "16x10": (1280, 800), "10x16": (800, 1280), "1x3": (576, 1728),
    "3x1": (1728, 576), "2x1": (1408, 704), "1x2": (704, 1408), "4x5": (896, 1120), "5x4": (1120, 896),
}  # fmt: skip
LEGACY_ASPECTS = ("1x1", "16x9", "9x16", "3x2", "2x3", "4x3", "3x4", "16x10", "10x16", "1x3", "3x1")
LEGACY_MODELS = ("V_1", "V_1_TURBO", "V_2", "V_2_TURBO", "V_2A", "V_2A_TURBO")
LEGACY_COMMON = frozenset({"prompt", "model", "aspect_ratio", "magic_prompt_option", "seed", "num_images"})
LEGACY_EXTRA = {
    "style_type": {"V_2", "V_2_TURBO", "V_2A", "V_2A_TURBO"},
    "negative_prompt": {"V_1", "V_1_TURBO", "V_2", "V_2_TURBO"},
    "color_palette": {"V_2", "V_2_TURBO"},
    "resolution": {"V_2"},
}
V3_FIELDS = frozenset({
    "prompt", "seed", "aspect_ratio", "resolution", "rendering_speed", "magic_prompt", "negative_prompt",
    "num_images", "style_type", "style_preset", "style_codes", "color_palette",
})  # fmt: skip
V3_FILES = frozenset(
    {"style_reference_images", "character_reference_images", "character_reference_images_mask"}
)
ENUMS = {
    "magic_prompt_option": ("AUTO", "ON", "OFF"),
    "magic_prompt": ("AUTO", "ON", "OFF"),
    "rendering_speed": ("FLASH", "TURBO", "DEFAULT", "QUALITY", "BALANCED"),
    "upscale_factor": ("X1", "X2", "X4"),
}
LEGACY_STYLES = ("AUTO", "GENERAL", "REALISTIC", "DESIGN", "RENDER_3D", "ANIME")
V3_STYLES = ("AUTO", "GENERAL", "REALISTIC", "DESIGN", "FICTION")


class Invalid(Exception):
    """An Ideogram error answer: status plus `detail`."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def check_int(fields: dict[str, Any], key: str, low: int, high: int) -> None:
    """Coerce form strings to int in place; 400 when not an integer in range."""
    if key not in fields:
        return
    try:
        fields[key] = int(fields[key])
    except (TypeError, ValueError):
        raise Invalid(400, f"{key} must be an integer") from None
    if not low <= fields[key] <= high:
        raise Invalid(400, f"{key} must be between {low} and {high}")


def check_enum(key: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise Invalid(400, f"Invalid {key} {value!r}; expected one of {', '.join(allowed)}")


class IdeogramEmulator(Emulator):
    """The Ideogram generate endpoints as a Flask app."""

    name = "ideogram"

    def __init__(self, *, api_key: str = "test-key", safety_answer: str = "422") -> None:
        self.api_key = api_key
        self.safety_answer = (
            safety_answer  # "422" (prompt check) or "unsafe_image" (200, is_image_safe false)
        )
        self.rate_limit_headers: dict[str, str] = {}  # Ideogram sends no retry signal
        super().__init__()

    def routes(self) -> None:
        self.app.add_url_rule("/generate", "legacy", self.legacy, methods=["POST"])
        self.app.add_url_rule("/v1/ideogram-v3/generate", "v3", self.v3, methods=["POST"])
        self.app.add_url_rule(
            "/v1/ideogram-v3/generate-transparent", "v3t", self.v3_transparent, methods=["POST"]
        )

    # --- endpoints -----------------------------------------------------------------------------
    def legacy(self) -> Response:
        body = request.get_json(silent=True)
        self.requests.append({"path": request.path, "headers": dict(request.headers), "json": body})
        return self.handle(lambda: self.validate_legacy(body), transparent=False)

    def v3(self) -> Response:
        fields = self.v3_fields()
        return self.handle(lambda: self.validate_v3(fields, transparent=False), transparent=False)

    def v3_transparent(self) -> Response:
        fields = self.v3_fields()
        return self.handle(lambda: self.validate_v3(fields, transparent=True), transparent=True)

    def v3_fields(self) -> dict[str, Any] | None:
        """Multipart form fields (or a JSON body), logged as the vendor received them."""
        if request.mimetype == "multipart/form-data":
            fields: dict[str, Any] = request.form.to_dict()
            fields.update({name: "<file>" for name in request.files})
            self.requests.append(
                {"path": request.path, "headers": dict(request.headers), "form": dict(fields)}
            )
            return fields
        body = request.get_json(silent=True)
        self.requests.append({"path": request.path, "headers": dict(request.headers), "json": body})
        return dict(body) if isinstance(body, dict) else None

    def handle(self, validate: Any, *, transparent: bool) -> Response:
        try:
            self.check_auth()
            fields = validate()
            return self.failure() or self.answer(fields, transparent)
        except Invalid as problem:
            return self.detail(problem.status, problem.detail)

    def detail(self, status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
        resp = jsonify({"detail": detail})
        resp.status_code = status
        resp.headers.update(headers or {})
        return resp

    def check_auth(self) -> None:
        key = request.headers.get("Api-Key", "")
        if not key or key != self.api_key or self.take_failure("unauthorized"):
            raise Invalid(401, "Invalid or missing Api-Key header")

    # --- validation ----------------------------------------------------------------------------
    def validate_legacy(self, body: Any) -> dict[str, Any]:
        if (
            not isinstance(body, dict)
            or set(body) != {"image_request"}
            or not isinstance(body["image_request"], dict)
        ):
            raise Invalid(400, "Body must be a JSON object with exactly one key, image_request")
        fields = dict(body["image_request"])
        model = fields.get("model", "V_2")
        check_enum("model", model, LEGACY_MODELS)
        for key in fields:
            if key not in LEGACY_COMMON and model not in LEGACY_EXTRA.get(key, ()):
                raise Invalid(400, f"{key} is not supported by model {model}")
        self.check_common(fields, [f"ASPECT_{a.replace('x', '_')}" for a in LEGACY_ASPECTS], LEGACY_STYLES)
        if "resolution" in fields:
            raise Invalid(400, "resolution is not emulated; use aspect_ratio")
        fields["aspect"] = fields.pop("aspect_ratio", "ASPECT_1_1").removeprefix("ASPECT_").replace("_", "x")
        return fields

    def validate_v3(self, fields: dict[str, Any] | None, *, transparent: bool) -> dict[str, Any]:
        if fields is None:
            raise Invalid(400, "Body must be multipart/form-data or a JSON object")
        allowed = V3_FIELDS | V3_FILES | ({"upscale_factor"} if transparent else set())
        for key in fields:
            if key not in allowed:
                raise Invalid(400, f"Unknown field: {key}")
        self.check_common(fields, tuple(RESOLUTIONS), V3_STYLES)
        if "style_codes" in fields and "style_type" in fields:
            raise Invalid(400, "style_codes cannot be combined with style_type")
        if transparent and fields.get("rendering_speed") == "FLASH":
            raise Invalid(400, "rendering_speed FLASH is not supported for transparent generation")
        if "resolution" in fields and fields["resolution"] not in {
            f"{w}x{h}" for w, h in RESOLUTIONS.values()
        }:
            raise Invalid(400, f"Invalid resolution {fields['resolution']!r}")
        fields["aspect"] = fields.pop("aspect_ratio", "1x1")
        return fields

    def check_common(self, fields: dict[str, Any], aspects: Any, styles: tuple[str, ...]) -> None:
        if not isinstance(fields.get("prompt"), str) or not fields["prompt"].strip():
            raise Invalid(400, "prompt is required")
        if "aspect_ratio" in fields and "resolution" in fields:
            raise Invalid(400, "aspect_ratio cannot be combined with resolution")
        if "aspect_ratio" in fields:
            check_enum("aspect_ratio", fields["aspect_ratio"], tuple(aspects))
        if "style_type" in fields:
            check_enum("style_type", fields["style_type"], styles)
        for key, values in ENUMS.items():
            if key in fields:
                check_enum(key, fields[key], values)
        check_int(fields, "seed", 0, 2147483647)
        check_int(fields, "num_images", 1, 8)

    # --- answers -------------------------------------------------------------------------------
    def failure(self) -> Response | None:
        kind = self.take_failure("rate_limit", "server_error", "malformed", "safety", "slow")
        if kind == "rate_limit":
            return self.detail(429, "Too many requests", self.rate_limit_headers)
        if kind == "server_error":
            return self.detail(500, "Internal Server Error")
        if kind == "malformed":
            return jsonify({"created": self.now(), "images": "not the documented shape"})
        if kind == "safety" and self.safety_answer == "422":
            return self.detail(422, "Prompt failed the safety check.")
        if kind == "safety":
            return jsonify(
                {"created": self.now(), "data": [{"url": None, "is_image_safe": False, "seed": 1}]}
            )
        return None

    def answer(self, fields: dict[str, Any], transparent: bool) -> Response:
        width, height = RESOLUTIONS[fields["aspect"]]
        items = [self.item(fields, width, height, transparent) for _ in range(fields.get("num_images", 1))]
        return jsonify({"created": self.now(), "data": items})

    def item(self, fields: dict[str, Any], width: int, height: int, transparent: bool) -> dict[str, Any]:
        magic = fields.get("magic_prompt", fields.get("magic_prompt_option", "AUTO"))
        prompt = fields["prompt"] if magic == "OFF" else f"A striking, detailed image of {fields['prompt']}"
        return {
            "url": self.host_file(self.image(fields["prompt"], width, height, transparent)),
            "prompt": prompt,
            "resolution": f"{width}x{height}",
            "is_image_safe": True,
            "seed": fields.get("seed", random.randint(0, 2147483647)),
            "style_type": fields.get("style_type", "GENERAL"),
        }

    def image(self, prompt: str, width: int, height: int, transparent: bool) -> bytes:
        """The prompt's quoted text lettered (transparent on generate-transparent), else a flat image."""
        if self.take_failure("not_image"):
            return b"<html><body>AccessDenied</body></html>"
        wrong = self.take_failure("misspell", "lookalike")
        if lettering := lettering_image(prompt, width, height, transparent=transparent, wrong=wrong):
            return encode(lettering)
        if not transparent:
            return png_bytes(width, height)
        return encode(Image.new("RGBA", (width, height), (0, 0, 0, 0)))

    def now(self) -> str:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


MODEL_IDS = (
    "ideogram-v1-turbo",
    "ideogram-v2",
    "ideogram-v2-turbo",
    "ideogram-v2a",
    "ideogram-v2a-turbo",
    "ideogram-v3",
)
CASES = [
    ContractCase(model_id, IdeogramProvider, IdeogramEmulator, failures=dict(URL_FAILURES))
    for model_id in MODEL_IDS
]
