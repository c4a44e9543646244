"""OpenAI Images emulator: `POST /v1/images/generations` with OpenAI's field rules and error envelope.

`retired=True` answers dall-e-2/-3 the way the vendor does since 2026-05-12 (404 model_not_found).
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any

from flask import Response, jsonify, request

from ogservice.gateway.providers.openai import OpenAIProvider
from tests.emulators.base import ContractCase, Emulator, png_bytes
from tests.emulators.lettering import encode, lettering_image

COMMON = frozenset({"model", "prompt", "n", "size", "quality", "user"})
GPT_ONLY = frozenset(
    {"background", "output_format", "output_compression", "moderation", "stream", "partial_images"}
)
ENUMS = {
    "style": ("vivid", "natural"),
    "response_format": ("url", "b64_json"),
    "background": ("transparent", "opaque", "auto"),
    "output_format": ("png", "jpeg", "webp"),
    "moderation": ("auto", "low"),
}
# Output image tokens per quality at 1024x1024 (providers.md), scaled by area to report usage.
TOKENS = {"low": 272, "medium": 1056, "high": 4160, "auto": 1056}


@dataclass(frozen=True)
class Rules:
    """What one model accepts."""

    fields: frozenset[str]
    qualities: tuple[str, ...]
    sizes: tuple[str, ...]  # empty: free sizes (gpt-image-2)
    max_prompt: int
    max_n: int


DALLE3 = Rules(
    COMMON | {"style", "response_format"},
    ("standard", "hd"),
    ("1024x1024", "1792x1024", "1024x1792"),
    4000,
    1,
)
GPT = Rules(
    COMMON | GPT_ONLY,
    ("low", "medium", "high", "auto"),
    ("1024x1024", "1536x1024", "1024x1536", "auto"),
    32000,
    10,
)
MODELS = {
    "dall-e-3": DALLE3,
    "gpt-image-1": GPT,
    "gpt-image-1-mini": GPT,
    "gpt-image-1.5": GPT,
    "gpt-image-2": Rules(GPT.fields, GPT.qualities, (), 32000, 10),
}
RETIRED = frozenset({"dall-e-2", "dall-e-3"})


class Problem(Exception):
    """An OpenAI error answer: status plus the `error` object."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        type_: str = "invalid_request_error",
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = {"message": message, "type": type_, "param": param, "code": code, **extra}


def invalid(param: str, value: Any, allowed: tuple[str, ...]) -> Problem:
    listed = ", ".join(f"'{a}'" for a in allowed)
    return Problem(
        400, f"Invalid value: '{value}'. Supported values are: {listed}.", param=param, code="invalid_value"
    )


def free_size_problem(size: str) -> str | None:
    """gpt-image-2 size rules: WxH, multiples of 16, ratio <= 3:1, edge <= 3840, area bounds."""
    try:
        w, h = (int(p) for p in size.split("x"))
    except ValueError:
        return "size must be 'auto' or WIDTHxHEIGHT"
    if w % 16 or h % 16:
        return "both dimensions must be multiples of 16"
    if max(w, h) > 3840 or max(w, h) / min(w, h) > 3:
        return "the longest edge must be at most 3840 and the aspect ratio at most 3:1"
    if not 655_360 <= w * h <= 8_294_400:
        return "total pixels must be between 655360 and 8294400"
    return None


class OpenAIEmulator(Emulator):
    """The OpenAI Images API as a Flask app (b64_json or expiring URLs, token usage)."""

    name = "openai"

    def __init__(self, *, retired: bool = False, api_key: str = "test-key") -> None:
        self.retired = retired
        self.api_key = api_key
        self.rate_limit_headers = {"retry-after": "2", "x-ratelimit-reset-requests": "1s"}
        super().__init__()

    def routes(self) -> None:
        self.app.add_url_rule("/v1/images/generations", "generate", self.generate, methods=["POST"])

    def generate(self) -> Response:
        body = request.get_json(silent=True)
        self.requests.append({"path": request.path, "headers": dict(request.headers), "json": body})
        try:
            self.check_auth()
            model, rules = self.validate(body)
            return self.answer(body, model, rules)  # type: ignore[arg-type]  # validate() proved it a dict
        except Problem as problem:
            return self.error(problem)

    def error(self, problem: Problem, headers: dict[str, str] | None = None) -> Response:
        resp = jsonify({"error": problem.error})
        resp.status_code = problem.status
        resp.headers.update(headers or {})
        return resp

    def check_auth(self) -> None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not token:
            raise Problem(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        if token != self.api_key or self.take_failure("unauthorized"):
            raise Problem(
                401,
                f"Incorrect API key provided: {token[:3]}***. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )

    def validate(self, body: Any) -> tuple[str, Rules]:
        """Strict request validation the way the vendor answers it (400 invalid_request_error)."""
        if not isinstance(body, dict):
            raise Problem(400, "We could not parse the JSON body of your request.")
        model = body.get("model", "dall-e-2")
        if model not in MODELS or (self.retired and model in RETIRED):
            raise Problem(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                code="model_not_found",
            )
        rules = MODELS[model]
        for key in body:
            if key not in rules.fields:
                raise Problem(400, f"Unknown parameter: '{key}'.", param=key, code="unknown_parameter")
        self.check_values(body, rules)
        return model, rules

    def check_values(self, body: dict[str, Any], rules: Rules) -> None:
        """Prompt, n, enums, size and format combinations, each answered like the vendor."""
        self.check_prompt(body.get("prompt"), rules)
        n = body.get("n", 1)
        if not isinstance(n, int) or not 1 <= n <= rules.max_n:
            raise Problem(
                400, f"Invalid 'n': must be between 1 and {rules.max_n}.", param="n", code="invalid_value"
            )
        if body.get("quality", rules.qualities[0]) not in rules.qualities:
            raise invalid("quality", body["quality"], rules.qualities)
        for key, allowed in ENUMS.items():
            if key in body and body[key] not in allowed:
                raise invalid(key, body[key], allowed)
        self.check_size(body.get("size", rules.sizes[0] if rules.sizes else "auto"), rules)
        self.check_format(body)

    def check_prompt(self, prompt: Any, rules: Rules) -> None:
        if not isinstance(prompt, str) or not prompt:
            raise Problem(
                400,
                "Missing required parameter: 'prompt'.",
                param="prompt",
                code="missing_required_parameter",
            )
        if len(prompt) > rules.max_prompt:
            raise Problem(
                400,
                f"Invalid 'prompt': string too long. Expected a string with maximum length "
                f"{rules.max_prompt}.",
                param="prompt",
                code="string_above_max_length",
            )

    def check_size(self, size: Any, rules: Rules) -> None:
        if rules.sizes and size not in rules.sizes:
            raise invalid("size", size, rules.sizes)
        if not rules.sizes and size != "auto" and (why := free_size_problem(str(size))):
            raise Problem(400, f"Invalid size '{size}': {why}.", param="size", code="invalid_value")

    def check_format(self, body: dict[str, Any]) -> None:
        fmt = body.get("output_format", "png")
        if body.get("background") == "transparent" and fmt == "jpeg":
            raise Problem(
                400,
                "Transparent background requires output_format png or webp.",
                param="background",
                code="invalid_value",
            )
        if "output_compression" in body and fmt == "png":
            raise Problem(
                400,
                "output_compression is only supported for jpeg and webp.",
                param="output_compression",
                code="invalid_value",
            )
        if body.get("stream"):
            raise Problem(
                400, "stream is not supported by this emulator.", param="stream", code="invalid_value"
            )

    def answer(self, body: dict[str, Any], model: str, rules: Rules) -> Response:
        """Inject the vendor's failures, else return n images of the requested size."""
        if failed := self.injected(model):
            return failed
        size = body.get("size", "auto")
        width, height = (1024, 1024) if size == "auto" else (int(p) for p in size.split("x"))
        if rules is DALLE3:
            return jsonify(self.dalle_body(body, width, height))
        return jsonify(self.gpt_body(body, model, width, height))

    def injected(self, model: str) -> Response | None:
        kind = self.take_failure("rate_limit", "server_error", "malformed", "safety", "slow")
        if kind == "rate_limit":
            problem = Problem(
                429,
                "Rate limit reached for images per minute (IPM): Limit 5, Used 5. Please try again in 12s.",
                code="rate_limit_exceeded",
                type_="requests",
            )
            return self.error(problem, self.rate_limit_headers)
        if kind == "server_error":
            return self.error(
                Problem(
                    500,
                    "The server had an error while processing your request. Sorry about that!",
                    type_="server_error",
                )
            )
        if kind == "malformed":
            return jsonify({"created": int(time.time()), "data": {"oops": "not a list"}})
        if kind == "safety":
            return self.error(self.safety(model))
        return None

    def safety(self, model: str) -> Problem:
        if model == "dall-e-3":
            return Problem(
                400,
                "Your request was rejected as a result of our safety system. Your prompt may "
                "contain text that is not allowed by our safety system.",
                code="content_policy_violation",
            )
        return Problem(
            400,
            "Your request was rejected by the safety system.",
            code="moderation_blocked",
            type_="image_generation_user_error",
            moderation_details={"moderation_stage": "input", "categories": ["violence"]},
        )

    def image_bytes(self, body: dict[str, Any], width: int, height: int, fmt: str = "png") -> bytes:
        """The prompt's quoted text lettered (on transparency when asked), else a flat colour image."""
        if self.take_failure("not_image"):
            return b"<html>this is not an image</html>"
        wrong = self.take_failure("misspell", "lookalike")
        transparent = body.get("background") == "transparent"
        pil_format = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[fmt]
        if lettering := lettering_image(body["prompt"], width, height, transparent=transparent, wrong=wrong):
            return encode(lettering, pil_format)
        return png_bytes(width, height, fmt=pil_format)

    def dalle_body(self, body: dict[str, Any], width: int, height: int) -> dict[str, Any]:
        data = self.image_bytes(body, width, height)
        item = {"revised_prompt": f"A detailed illustration: {body['prompt']}"}
        if body.get("response_format", "url") == "url":
            item["url"] = self.host_file(data, ttl=3600)
        else:
            item["b64_json"] = base64.b64encode(data).decode()
        return {"created": int(time.time()), "data": [item]}

    def gpt_body(self, body: dict[str, Any], model: str, width: int, height: int) -> dict[str, Any]:
        fmt, n = body.get("output_format", "png"), body.get("n", 1)
        quality = body.get("quality", "auto")
        items = [
            {"b64_json": base64.b64encode(self.image_bytes(body, width, height, fmt)).decode()}
            for _ in range(n)
        ]
        out_tokens = n * round(TOKENS[quality] * width * height / 1024**2)
        in_tokens = max(1, len(body["prompt"]) // 4)
        return {
            "created": int(time.time()),
            "data": items,
            "size": f"{width}x{height}",
            "output_format": fmt,
            "background": "transparent" if body.get("background") == "transparent" else "opaque",
            "quality": "medium" if quality == "auto" else quality,
            "usage": {
                "input_tokens": in_tokens,
                "input_tokens_details": {"text_tokens": in_tokens, "image_tokens": 0},
                "output_tokens": out_tokens,
                "total_tokens": in_tokens + out_tokens,
                "output_tokens_details": {"image_tokens": out_tokens, "text_tokens": 0},
            },
        }


CASES = [
    ContractCase(model_id=model_id, provider_cls=OpenAIProvider, emulator_cls=OpenAIEmulator)
    for model_id in ("dall-e-3", "gpt-image-1", "gpt-image-1.5", "gpt-image-2")
]
