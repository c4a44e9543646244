"""Emulator of Stability AI's v2beta `POST /v2beta/stable-image/generate/sd3` (SD3.5 models).

Speaks Stability's wire format: Bearer auth, multipart/form-data only, `Accept: image/*` (raw bytes
with `finish-reason` and `seed` headers) or `application/json` ({image, finish_reason, seed}),
errors as `{id, name, errors[]}`. Validates fields strictly (unknown field, bad enum, out-of-range
number, negative_prompt on the turbo model -> 400 bad_request). `safety_style` picks which of the
vendor's two safety answers "safety" produces: 403 content_moderation or 200 CONTENT_FILTERED.
"""

from __future__ import annotations

import base64
import json
import secrets
from types import MappingProxyType

from flask import Response, request

from ogservice.gateway.providers.stability import StabilityProvider
from tests.emulators.base import ContractCase, Emulator, png_bytes

PATH = "/v2beta/stable-image/generate/sd3"
# About 1 MP at each supported aspect ratio.
SD3_SIZES = MappingProxyType(
    {
        "16:9": (1344, 768),
        "1:1": (1024, 1024),
        "21:9": (1536, 640),
        "2:3": (832, 1216),
        "3:2": (1216, 832),
        "4:5": (896, 1088),
        "5:4": (1088, 896),
        "9:16": (768, 1344),
        "9:21": (640, 1536),
    }
)
SD3_FIELDS = frozenset(
    {
        "prompt",
        "mode",
        "model",
        "aspect_ratio",
        "negative_prompt",
        "seed",
        "output_format",
        "cfg_scale",
        "style_preset",
        "strength",
    }
)
MODELS = frozenset(
    {"sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium", "sd3-large", "sd3-large-turbo", "sd3-medium"}
)
STYLE_PRESETS = frozenset(
    {
        "3d-model",
        "analog-film",
        "anime",
        "cinematic",
        "comic-book",
        "digital-art",
        "enhance",
        "fantasy-art",
        "isometric",
        "line-art",
        "low-poly",
        "modeling-compound",
        "neon-punk",
        "origami",
        "photographic",
        "pixel-art",
        "tile-texture",
    }
)
ACCEPTED = ("image/*", "application/json", "*/*", "")
MODERATION = (
    "Your request was flagged by our content moderation system, as a result your request was denied "
    "and you were not charged."
)
LOCKOUT = (
    "You have exceeded the rate limit of 150 requests within a 10 second period, and have been timed out "
    "for 60 seconds."
)


def stability_error(status: int, name: str, *errors: str) -> Response:
    """A response in Stability's error envelope."""
    body = {"id": secrets.token_hex(16), "name": name, "errors": list(errors)}
    return Response(json.dumps(body), status=status, mimetype="application/json")


class StabilityEmulator(Emulator):
    """The SD3 generate endpoint with Stability's validation, safety and lock-out behaviour."""

    name = "stability"

    def __init__(self) -> None:
        self.safety_style = (
            "moderation"  # "moderation": 403 content_moderation | "filtered": 200 CONTENT_FILTERED
        )
        super().__init__()

    def routes(self) -> None:
        self.app.add_url_rule(PATH, "sd3", self.sd3, methods=["POST"])

    def sd3(self) -> Response:
        form = request.form.to_dict()
        self.requests.append(
            {
                "path": request.path,
                "headers": dict(request.headers),
                "form": form,
                "files": sorted(request.files),
            }
        )
        failure = self.take_failure()
        if early := self._gate(failure):
            return early
        if errors := form_errors(form, sorted(request.files)):
            return stability_error(400, "bad_request", *errors)
        return self._answer(failure, form)

    def _gate(self, failure: str | None) -> Response | None:
        """Auth, transport-level checks and injected failures, in the vendor's order."""
        if failure == "unauthorized" or not request.headers.get("Authorization", "").startswith("Bearer sk-"):
            return stability_error(401, "unauthorized", "authorization: invalid or missing API key")
        if not request.content_type or not request.content_type.startswith("multipart/form-data"):
            return stability_error(400, "bad_request", "content-type: must be multipart/form-data")
        if request.headers.get("Accept", "") not in ACCEPTED:
            return stability_error(400, "bad_request", "accept: must be one of image/* or application/json")
        if failure == "rate_limit":
            return stability_error(429, "rate_limit_exceeded", LOCKOUT)
        if failure == "server_error":
            return stability_error(
                500, "internal_error", "An unexpected server error has occurred, please try again."
            )
        if failure == "safety" and self.safety_style == "moderation":
            return stability_error(403, "content_moderation", MODERATION)
        return None

    def _answer(self, failure: str | None, form: dict[str, str]) -> Response:
        if failure == "malformed":
            return Response("<html><body>502 Bad Gateway</body></html>", mimetype="text/html")
        fmt = form.get("output_format", "png")
        width, height = SD3_SIZES[form.get("aspect_ratio", "1:1")]
        data = (
            b"\x89PNG\r\n\x1a\n truncated"
            if failure == "not_image"
            else png_bytes(width, height, fmt=fmt.upper())
        )
        finish = "CONTENT_FILTERED" if failure == "safety" else "SUCCESS"
        seed = int(form.get("seed") or 0) or secrets.randbelow(4294967294) + 1
        if request.headers.get("Accept") == "application/json":
            body = {"image": base64.b64encode(data).decode(), "finish_reason": finish, "seed": seed}
            return Response(json.dumps(body), content_type=f"application/json; type=image/{fmt}")
        headers = {"finish-reason": finish, "seed": str(seed), "x-request-id": secrets.token_hex(8)}
        return Response(data, content_type=f"image/{fmt}", headers=headers)


def form_errors(form: dict[str, str], files: list[str]) -> list[str]:
    """Every problem Stability would list for these SD3 form fields."""
    errors = [f"{name}: is not allowed" for name in sorted(set(form) - SD3_FIELDS)]
    errors += [f"{name}: unexpected file" for name in files if name not in ("image", "none")]
    if not 1 <= len(form.get("prompt", "")) <= 10000:
        errors.append("prompt: cannot be empty" if not form.get("prompt") else "prompt: too long")
    errors += enum_errors(form)
    errors += number_errors(form)
    model = form.get("model", "sd3.5-large")
    if "negative_prompt" in form and "turbo" in model:
        errors.append(f"negative_prompt: not supported by {model}")
    return errors


def enum_errors(form: dict[str, str]) -> list[str]:
    """Fields restricted to a fixed set of values."""
    allowed = {
        "model": MODELS,
        "aspect_ratio": SD3_SIZES,
        "output_format": ("png", "jpeg"),
        "style_preset": STYLE_PRESETS,
        "mode": ("text-to-image", "image-to-image"),
    }
    return [
        f"{name}: must be one of {', '.join(sorted(values))}"
        for name, values in allowed.items()
        if name in form and form[name] not in values
    ]


def number_errors(form: dict[str, str]) -> list[str]:
    """Numeric fields outside Stability's documented ranges (or not numbers at all)."""
    ranges = {"seed": (0, 4294967294), "cfg_scale": (1, 10), "strength": (0, 1)}
    errors = []
    for name, (low, high) in ranges.items():
        if name not in form:
            continue
        try:
            ok = low <= (int(form[name]) if name == "seed" else float(form[name])) <= high
        except ValueError:
            ok = False
        if not ok:
            errors.append(f"{name}: must be a number between {low} and {high}")
    return errors


CASES = [
    ContractCase("sd3.5-large", StabilityProvider, StabilityEmulator, api_key="sk-test"),
    ContractCase("sd3.5-large-turbo", StabilityProvider, StabilityEmulator, api_key="sk-test"),
    ContractCase("sd3.5-medium", StabilityProvider, StabilityEmulator, api_key="sk-test"),
]
