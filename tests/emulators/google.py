"""Emulators of Google's image APIs: Imagen 4 on Vertex AI (`:predict`) and Gemini image models.

Both speak Google's error envelope `{"error": {code, message, status, details}}`, validate bodies
the way protobuf-backed Google endpoints do (an unknown name is a 400 INVALID_ARGUMENT), and answer
safety blocks with HTTP 200 the way the real services do. `retired` holds model ids Google has shut
down (404 NOT_FOUND); `safety_style` picks which of the vendor's block shapes "safety" produces.
"""

from __future__ import annotations

import base64
import json
from types import MappingProxyType
from typing import Any

from flask import Response, request

from ogservice.gateway.providers.gemini import GeminiProvider
from ogservice.gateway.providers.vertex import VertexProvider
from tests.emulators.base import ContractCase, Emulator, png_bytes

NOT_AN_IMAGE = b"<html><body>upstream proxy page</body></html>"
RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"

# Imagen 4 output sizes at 1K per aspect ratio; 2K doubles both sides.
IMAGEN_1K = MappingProxyType(
    {
        "1:1": (1024, 1024),
        "3:4": (896, 1280),
        "4:3": (1280, 896),
        "9:16": (768, 1408),
        "16:9": (1408, 768),
    }
)
# vendor model -> whether it accepts sampleImageSize (Standard and Ultra do, Fast does not).
IMAGEN_MODELS = MappingProxyType(
    {
        "imagen-4.0-generate-001": True,
        "imagen-4.0-fast-generate-001": False,
        "imagen-4.0-ultra-generate-001": True,
    }
)
IMAGEN_PARAMETERS = frozenset(
    {
        "sampleCount",
        "aspectRatio",
        "sampleImageSize",
        "personGeneration",
        "safetySetting",
        "includeRaiReason",
        "includeSafetyAttributes",
        "language",
        "outputOptions",
        "addWatermark",
        "seed",
        "enhancePrompt",
        "storageUri",
    }
)
PERSON_GENERATION = frozenset({"dont_allow", "allow_adult", "allow_all"})

# Gemini image output sizes at 1K per aspect ratio (Google's table); other sizes scale it.
GEMINI_1K = MappingProxyType(
    {
        "1:1": (1024, 1024),
        "2:3": (832, 1248),
        "3:2": (1248, 832),
        "3:4": (864, 1184),
        "4:3": (1184, 864),
        "4:5": (896, 1152),
        "5:4": (1152, 896),
        "9:16": (768, 1344),
        "16:9": (1344, 768),
        "21:9": (1536, 672),
    }
)
IMAGE_SIZE_SCALE = MappingProxyType({"512px": 0.5, "1K": 1.0, "2K": 2.0, "4K": 4.0})
# vendor model -> accepted imageConfig.imageSize values (empty: the field is refused).
GEMINI_MODELS = MappingProxyType(
    {
        "gemini-2.5-flash-image": (),
        "gemini-3-pro-image": ("1K", "2K", "4K"),
        "gemini-3.1-flash-image": ("512px", "1K", "2K", "4K"),
    }
)
GEMINI_TOP_LEVEL = frozenset(
    {
        "contents",
        "generationConfig",
        "safetySettings",
        "systemInstruction",
        "tools",
        "toolConfig",
        "cachedContent",
    }
)
GENERATION_CONFIG = frozenset(
    {
        "responseModalities",
        "imageConfig",
        "seed",
        "temperature",
        "topP",
        "topK",
        "candidateCount",
        "maxOutputTokens",
        "stopSequences",
        "thinkingConfig",
    }
)


def google_error(code: int, status: str, message: str, *details: dict[str, Any]) -> Response:
    """A response in Google's error envelope."""
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = list(details)
    return Response(json.dumps({"error": error}), status=code, mimetype="application/json")


def unknown_name(name: str, where: str) -> str:
    """Google's wording for a field the proto does not have."""
    at = f" at '{where}'" if where else ""
    return f'Invalid JSON payload received. Unknown name "{name}"{at}: Cannot find field.'


def b64(data: bytes) -> str:
    """Base64 text as Google puts it in JSON."""
    return base64.b64encode(data).decode()


class VertexEmulator(Emulator):
    """Vertex AI `publishers/google/models/{model}:predict` for the Imagen 4 family."""

    name = "vertex"

    def __init__(self) -> None:
        self.retired: set[str] = set()
        self.safety_style = "filtered"  # "filtered": 200 without images | "prompt": 400 Responsible AI
        super().__init__()

    def routes(self) -> None:
        rule = "/v1/projects/<project>/locations/<location>/publishers/google/models/<action>"
        self.app.add_url_rule(rule, "predict", self.predict, methods=["POST"])

    def predict(self, project: str, location: str, action: str) -> Response:
        body = request.get_json(silent=True)
        self.requests.append({"path": request.path, "headers": dict(request.headers), "json": body})
        failure = self.take_failure()
        model, _, verb = action.partition(":")
        if early := self._gate(failure, f"projects/{project}/locations/{location}", model, verb):
            return early
        if problem := imagen_problem(body, model):
            return google_error(400, "INVALID_ARGUMENT", problem)
        return self._answer(failure, body.get("parameters", {}))

    def _gate(self, failure: str | None, where: str, model: str, verb: str) -> Response | None:
        """Auth, model lookup and injected transport-level failures, in the vendor's order."""
        if failure == "unauthorized":
            resource = f"//aiplatform.googleapis.com/{where}/publishers/google/models/{model}"
            return google_error(
                403,
                "PERMISSION_DENIED",
                f"Permission 'aiplatform.endpoints.predict' denied on "
                f"resource '{resource}' (or it may not exist).",
            )
        if not request.headers.get("Authorization", "").removeprefix("Bearer ").strip():
            return google_error(
                401,
                "UNAUTHENTICATED",
                "Request is missing required authentication credential. "
                "Expected OAuth 2 access token, login cookie or other valid authentication credential.",
            )
        if verb != "predict" or model not in IMAGEN_MODELS or model in self.retired:
            return google_error(
                404,
                "NOT_FOUND",
                f"Publisher Model `{where}/publishers/google/models/{model}` "
                "was not found or your project does not have access to it.",
            )
        if failure == "rate_limit":
            return google_error(
                429,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for aiplatform.googleapis.com/"
                f"online_prediction_requests_per_base_model with base model: {model}.",
            )
        if failure == "server_error":
            return google_error(500, "INTERNAL", "Internal error encountered.")
        return None

    def _answer(self, failure: str | None, params: dict[str, Any]) -> Response:
        if failure == "safety" and self.safety_style == "prompt":
            return google_error(
                400,
                "INVALID_ARGUMENT",
                "The prompt could not be submitted. This prompt contains "
                "sensitive words that violate Google's Responsible AI practices. Support codes: 42876398",
            )
        if failure == "safety":
            filtered = [{"raiFilteredReason": "Unable to show generated images. Support codes: 58061214"}]
            return Response(
                json.dumps({"predictions": filtered} if params.get("includeRaiReason") else {}),
                mimetype="application/json",
            )
        if failure == "malformed":
            return Response('{"predictions": [{"bytesBase64Encoded": "iVBO', mimetype="application/json")
        width, height = imagen_size(params)
        data = NOT_AN_IMAGE if failure == "not_image" else png_bytes(width, height)
        prediction = {"bytesBase64Encoded": b64(data), "mimeType": "image/png"}
        return Response(json.dumps({"predictions": [prediction]}), mimetype="application/json")


def imagen_size(params: dict[str, Any]) -> tuple[int, int]:
    """The pixel size Imagen returns for the requested aspect ratio and sampleImageSize."""
    width, height = IMAGEN_1K[params.get("aspectRatio", "1:1")]
    scale = 2 if params.get("sampleImageSize") == "2K" else 1
    return width * scale, height * scale


def imagen_problem(body: object, model: str) -> str | None:
    """What Vertex would say is wrong with a :predict body, or None."""
    if not isinstance(body, dict):
        return "Invalid JSON payload received. Expected an object."
    if extra := sorted(set(body) - {"instances", "parameters"}):
        return unknown_name(extra[0], "")
    instances = body.get("instances")
    if not isinstance(instances, list) or len(instances) != 1 or not isinstance(instances[0], dict):
        return "instances must hold exactly one object"
    if not isinstance(instances[0].get("prompt"), str) or not instances[0]["prompt"]:
        return "instances[0].prompt is required"
    params = body.get("parameters", {})
    return (
        imagen_parameter_problem(params, model)
        if isinstance(params, dict)
        else "parameters must be an object"
    )


def imagen_parameter_problem(params: dict[str, Any], model: str) -> str | None:
    """Field-level checks of Imagen 4 parameters, including the per-model ones."""
    if "negativePrompt" in params:
        return f"negativePrompt is not supported by {model}."
    if extra := sorted(set(params) - IMAGEN_PARAMETERS):
        return unknown_name(extra[0], "parameters")
    if "sampleImageSize" in params and not IMAGEN_MODELS[model]:
        return f"sampleImageSize is not supported by {model}."
    checks = {
        "aspectRatio": params.get("aspectRatio", "1:1") in IMAGEN_1K,
        "sampleImageSize": params.get("sampleImageSize", "1K") in ("1K", "2K"),
        "sampleCount": params.get("sampleCount", 1) in (1, 2, 3, 4),
        "personGeneration": str(params.get("personGeneration", "allow_adult")).lower() in PERSON_GENERATION,
    }
    if bad := [name for name, ok in checks.items() if not ok]:
        return f"Invalid value for parameters.{bad[0]}: {params[bad[0]]!r}"
    if "seed" in params and params.get("addWatermark", True):
        return "Seed is not supported when watermark is enabled. Set addWatermark to false to use a seed."
    return None


class GeminiEmulator(Emulator):
    """Gemini API `v1beta/models/{model}:generateContent` for the image models."""

    name = "gemini"

    def __init__(self) -> None:
        # Shut down by Google: the preview ids of the 3-series image models (2026-06-25).
        self.retired: set[str] = {"gemini-3-pro-image-preview", "gemini-3.1-flash-image-preview"}
        self.safety_style = (
            "prompt"  # "prompt": promptFeedback | "image": IMAGE_SAFETY | "text": refusal text
        )
        self.retry_delay = "27s"
        super().__init__()

    def routes(self) -> None:
        self.app.add_url_rule("/v1beta/models/<action>", "generate", self.generate, methods=["POST"])

    def generate(self, action: str) -> Response:
        body = request.get_json(silent=True)
        self.requests.append({"path": request.path, "headers": dict(request.headers), "json": body})
        failure = self.take_failure()
        model, _, verb = action.partition(":")
        if early := self._gate(failure, model, verb):
            return early
        if problem := gemini_problem(body, model):
            field, message = problem
            violation = {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field, "description": message}],
            }
            return google_error(400, "INVALID_ARGUMENT", message, violation)
        return self._answer(failure, model, body)

    def _gate(self, failure: str | None, model: str, verb: str) -> Response | None:
        """Key check, model lookup and injected failures, in the vendor's order."""
        if failure == "unauthorized":
            info = {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
            }
            return google_error(
                400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", info
            )
        if not (request.headers.get("x-goog-api-key") or request.args.get("key")):
            return google_error(
                403,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers (callers "
                "without established identity). Please use API Key or other form of API consumer "
                "identity to call this API.",
            )
        if verb != "generateContent" or model not in GEMINI_MODELS or model in self.retired:
            return google_error(
                404,
                "NOT_FOUND",
                f"models/{model} is not found for API version v1beta, or is not "
                "supported for generateContent. Call ListModels to see the list of available "
                "models and their supported methods.",
            )
        if failure == "rate_limit":
            quota = {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [
                    {
                        "quotaMetric": "generativelanguage.googleapis.com/generate_content_paid_tier_input_token_count",  # noqa: E501
                        "quotaId": "GenerateContentPaidTierInputTokensPerModelPerMinute",
                        "quotaValue": "1000000",
                    }
                ],
            }
            return google_error(
                429,
                "RESOURCE_EXHAUSTED",
                "You exceeded your current quota, please check your plan and billing details.",
                quota,
                {"@type": RETRY_INFO, "retryDelay": self.retry_delay},
            )
        if failure == "server_error":
            return google_error(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
        return None

    def _answer(self, failure: str | None, model: str, body: dict[str, Any]) -> Response:
        if failure == "safety":
            return Response(json.dumps(self._blocked(model)), mimetype="application/json")
        if failure == "malformed":
            return Response(json.dumps({"candidates": {"0": "unexpected"}}), mimetype="application/json")
        image_config = body.get("generationConfig", {}).get("imageConfig", {})
        size = image_config.get("imageSize", "1K")
        width, height = (
            round(side * IMAGE_SIZE_SCALE[size]) for side in GEMINI_1K[image_config.get("aspectRatio", "1:1")]
        )
        data = NOT_AN_IMAGE if failure == "not_image" else png_bytes(width, height)
        return Response(json.dumps(gemini_success(model, data, size)), mimetype="application/json")

    def _blocked(self, model: str) -> dict[str, Any]:
        """One of the three 200-without-image answers Gemini gives."""
        usage = {"promptTokenCount": 9, "totalTokenCount": 9}
        if self.safety_style == "prompt":
            return {
                "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
                "usageMetadata": usage,
                "modelVersion": model,
            }
        if self.safety_style == "image":
            return {"candidates": [{"finishReason": "IMAGE_SAFETY", "index": 0}], "usageMetadata": usage}
        refusal = {"role": "model", "parts": [{"text": "I can't create images of that. Try another idea?"}]}
        return {
            "candidates": [{"content": refusal, "finishReason": "STOP", "index": 0}],
            "usageMetadata": usage,
        }


def image_tokens(model: str, size: str) -> int:
    """Output tokens Google bills for one image of this model and size ([3P] tables)."""
    if model == "gemini-2.5-flash-image":
        return 1290
    if model == "gemini-3-pro-image":
        return 2000 if size == "4K" else 1120
    return {"512px": 747, "1K": 1120, "2K": 1680, "4K": 2520}[size]


def gemini_success(model: str, data: bytes, size: str) -> dict[str, Any]:
    """A successful generateContent answer; 3-series models send a thought image first."""
    parts: list[dict[str, Any]] = [{"text": "Here is your image."}]
    if model.startswith("gemini-3"):
        thought = png_bytes(64, 64, (200, 200, 200))
        parts.insert(0, {"inlineData": {"mimeType": "image/png", "data": b64(thought)}, "thought": True})
    parts.append({"inlineData": {"mimeType": "image/png", "data": b64(data)}})
    tokens = image_tokens(model, size)
    usage = {
        "promptTokenCount": 12,
        "candidatesTokenCount": tokens + 6,
        "totalTokenCount": tokens + 18,
        "candidatesTokensDetails": [
            {"modality": "TEXT", "tokenCount": 6},
            {"modality": "IMAGE", "tokenCount": tokens},
        ],
    }
    candidate = {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}
    return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": model, "responseId": "emu-1"}


def gemini_problem(body: object, model: str) -> tuple[str, str] | None:
    """(field, message) Gemini would reject a generateContent body with, or None."""
    if not isinstance(body, dict):
        return "", "Invalid JSON payload received. Expected an object."
    if extra := sorted(set(body) - GEMINI_TOP_LEVEL):
        return extra[0], unknown_name(extra[0], "")
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        return "contents", "* GenerateContentRequest.contents: contents is not specified"
    config = body.get("generationConfig", {})
    if not isinstance(config, dict):
        return "generation_config", "generationConfig must be an object"
    if extra := sorted(set(config) - GENERATION_CONFIG):
        return "generation_config", unknown_name(extra[0], "generation_config")
    return modality_problem(config) or image_config_problem(config.get("imageConfig", {}), model)


def modality_problem(config: dict[str, Any]) -> tuple[str, str] | None:
    """responseModalities is a proto enum: anything but TEXT/IMAGE is an invalid value."""
    for i, value in enumerate(config.get("responseModalities", [])):
        if value not in ("TEXT", "IMAGE"):
            field = f"generation_config.response_modalities[{i}]"
            return field, (
                f"Invalid value at '{field}' (type.googleapis.com/google.ai.generativelanguage.v1beta."
                f'GenerationConfig.Modality), "{value}"'
            )
    return None


def image_config_problem(image_config: object, model: str) -> tuple[str, str] | None:
    """imageConfig: known names, a supported ratio, imageSize only where the model has it."""
    field = "generation_config.image_config"
    if not isinstance(image_config, dict):
        return field, "imageConfig must be an object"
    if extra := sorted(set(image_config) - {"aspectRatio", "imageSize"}):
        return field, unknown_name(extra[0], field)
    if image_config.get("aspectRatio", "1:1") not in GEMINI_1K:
        return f"{field}.aspect_ratio", f"Unsupported aspect ratio: {image_config['aspectRatio']}"
    sizes = GEMINI_MODELS[model]
    if "imageSize" in image_config and not sizes:
        return f"{field}.image_size", f"Image size is not supported for model {model}."
    if "imageSize" in image_config and image_config["imageSize"] not in sizes:
        return f"{field}.image_size", f"Unsupported image size: {image_config['imageSize']}"
    return None


VERTEX = {"project": "test-project", "location": "us-central1"}
CASES = [
    ContractCase("imagen-4-fast", VertexProvider, VertexEmulator, extra_config=VERTEX),
    ContractCase("imagen-4", VertexProvider, VertexEmulator, extra_config=VERTEX),
    ContractCase("imagen-4-ultra", VertexProvider, VertexEmulator, extra_config=VERTEX),
    ContractCase("nano-banana", GeminiProvider, GeminiEmulator),
    ContractCase("nano-banana-pro", GeminiProvider, GeminiEmulator),
    ContractCase("nano-banana-2", GeminiProvider, GeminiEmulator),
]
