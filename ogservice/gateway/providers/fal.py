"""fal.ai queue API adapter (fal-ai/flux/schnell, fal-ai/flux/dev).

Flow: POST {queue}/{model_id}[/{subpath}] -> {request_id, status_url, response_url}; GET status_url until
COMPLETED; GET the result (status_url without "/status"); GET images[0].url from the CDN (no auth).
A request still queued or running when we stop waiting is cancelled: PUT {status_url without
"/status"}/cancel (fal removes a queued request and signals a running one).

Which queue URLs we follow (the `Authorization: Key` header goes with every queue call):
  * a URL on the configured base host is used as given (fal's advice: do not build them yourself);
  * with a base-URL override, a URL on fal's own queue host is rewritten onto the override, so a proxy
    or emulator that forwards fal's answers verbatim keeps working and the key stays on that host;
  * any other host is ignored and the URL is rebuilt from the documented pattern on the configured base
    (`{owner}/{app}/requests/{id}/status`; the subpath is dropped), so the key never leaves our host.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import httpx

from ..errors import BadResponse, ContentRefused, GatewayError
from ..images import decode_b64
from ..request import GeneratedImage, ImageRequest
from ..sizes import nearest_size
from .base import HttpProvider, default_error, is_fetch, json_body
from .flux import QUALITIES as QUALITIES  # re-exported: part of this module's public names
from .flux import FluxInputs, Plan, finish_plan

if TYPE_CHECKING:
    from ..catalog import ModelSpec

STEP = "ogservice_step"  # request extension naming which leg of the flow a response answers
DEFAULT_HOST = "queue.fal.run"
PRESETS = MappingProxyType(
    {
        "1024x1024": "square_hd",
        "512x512": "square",
        "768x1024": "portrait_4_3",
        "576x1024": "portrait_16_9",
        "1024x768": "landscape_4_3",
        "1024x576": "landscape_16_9",
    }
)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


MODELS = MappingProxyType(
    {
        "fal-ai/flux/schnell": FluxInputs(steps=(1, 12), quality_steps=(2, 4, 6, 8)),
        "fal-ai/flux/dev": FluxInputs(steps=(1, 50), quality_steps=(16, 28, 40, 50), guidance=(1.0, 20.0)),
    }
)
GENERIC = FluxInputs(steps=(1, 50), quality_steps=(4, 28, 28, 28))


def plan(req: ImageRequest, spec: ModelSpec) -> Plan:
    """Map the canonical request onto the endpoint's input (pure; also used when parsing)."""
    model = MODELS.get(spec.vendor_model, GENERIC)
    choice = nearest_size(req, spec.sizes or tuple(PRESETS), vendor=spec.vendor_model)
    fields: dict[str, Any] = {"prompt": req.prompt, "image_size": image_size(choice.value), "num_images": 1}
    fields["output_format"] = "jpeg" if req.quality == "draft" else "png"
    fields["enable_safety_checker"] = True
    return finish_plan(req, spec, model, fields, choice, "guidance_scale")


def image_size(size: str) -> str | dict[str, int]:
    """A preset name when fal has one for this size, else the documented {width, height} object."""
    width, height = (int(p) for p in size.lower().split("x"))
    return PRESETS.get(f"{width}x{height}", {"width": width, "height": height})


class FalProvider(HttpProvider):
    """fal queue: submit, poll status, fetch the result, download the image."""

    name = "fal"
    default_base_url = "https://queue.fal.run"

    def build_request(self, req: ImageRequest, spec: ModelSpec) -> httpx.Request:
        """Submit to the queue (the subpath, e.g. /schnell, is part of the submit URL only)."""
        url = f"{self.base_url}/{spec.vendor_model}"
        return httpx.Request(
            "POST", url, headers=self._auth(), json=plan(req, spec).input, extensions={STEP: "submit"}
        )

    def parse_response(
        self, resp: httpx.Response, req: ImageRequest, spec: ModelSpec
    ) -> GeneratedImage | httpx.Request:
        """Walk submit -> status* -> result -> file."""
        if (image := self.fetched(resp, req, spec)) is not None:
            return image
        step = resp.request.extensions.get(STEP)
        body = json_body(resp, self.name)
        if step == "submit":
            return self._status(self._submitted_url(body, spec))
        if step == "status":
            return self._after_status(body, resp.request)
        return self._result(body, req, spec)

    def error_for(self, resp: httpx.Response) -> GatewayError:
        """fal's `{"detail": str | [validation errors]}`; a dead CDN URL is a bad response."""
        if is_fetch(resp.request):
            return BadResponse("result file is gone (expired?)", provider=self.name, status=resp.status_code)
        return default_error(resp, self.name, _detail(resp))

    def cancel_requests(self, pending: httpx.Request) -> list[httpx.Request]:
        """PUT .../requests/{id}/cancel for the request whose status `pending` polls."""
        if pending.extensions.get(STEP) != "status":
            return []
        url = _request_url(pending) + "/cancel"
        return [httpx.Request("PUT", url, headers=self._auth(), extensions={STEP: "cancel"})]

    # --- the legs of the flow --------------------------------------------------------------------
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Key {self.config.api_key}"} if self.config.api_key else {}

    def _status(self, url: str) -> httpx.Request:
        return httpx.Request("GET", url, headers=self._auth(), extensions={STEP: "status"})

    def _submitted_url(self, body: dict[str, Any], spec: ModelSpec) -> str:
        """The status URL to poll, chosen by the host rules in the module docstring."""
        request_id = body.get("request_id")
        if not isinstance(request_id, str) or not _REQUEST_ID.match(request_id):
            raise BadResponse("submit answer has no usable request_id", provider=self.name)
        app = "/".join(spec.vendor_model.split("/")[:2])
        fallback = f"{self.base_url}/{app}/requests/{request_id}/status"
        return self._own_url(body.get("status_url"), fallback)

    def _own_url(self, advertised: object, fallback: str) -> str:
        """`advertised` when it is on our host, rewritten when on fal's host under an override."""
        if not isinstance(advertised, str) or not advertised.startswith(("http://", "https://")):
            return fallback
        url, base = httpx.URL(advertised), httpx.URL(self.base_url)
        if (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port):
            return advertised
        if self.config.base_url and url.host == DEFAULT_HOST:
            return self.base_url + url.raw_path.decode("ascii")
        return fallback

    def _after_status(self, body: dict[str, Any], asked: httpx.Request) -> httpx.Request:
        """IN_QUEUE / IN_PROGRESS: ask again; COMPLETED: fetch the result next to the status URL."""
        status = body.get("status")
        if status in ("IN_QUEUE", "IN_PROGRESS"):
            return self._status(str(asked.url))
        if status != "COMPLETED":
            raise BadResponse(f"unknown queue status {status!r}", provider=self.name)
        return httpx.Request("GET", _request_url(asked), headers=self._auth(), extensions={STEP: "result"})

    def _result(
        self, body: dict[str, Any], req: ImageRequest, spec: ModelSpec
    ) -> GeneratedImage | httpx.Request:
        """The result body: refuse flagged images, then download (or decode a data URI)."""
        images = body.get("images")
        if not isinstance(images, list):
            raise BadResponse("result has no images list", provider=self.name)
        if not images or any(flag is True for flag in body.get("has_nsfw_concepts") or []):
            raise ContentRefused("fal safety checker flagged the image", provider=self.name, code="nsfw")
        url = images[0].get("url") if isinstance(images[0], dict) else None
        if not isinstance(url, str):
            raise BadResponse("result image has no url", provider=self.name)
        seed = body.get("seed") if isinstance(body.get("seed"), int) else req.seed
        fields = plan(req, spec).image_fields(seed)
        if url.startswith("data:"):
            return self.image(decode_b64(url, provider=self.name), req, spec, **fields)
        return self.fetch_later(url, **fields)


def _request_url(status: httpx.Request) -> str:
    """The queue request's own URL (result; + "/cancel" to cancel): its status URL less "/status"."""
    return str(status.url).partition("?")[0].removesuffix("/status")


def _detail(resp: httpx.Response) -> str:
    """fal's `detail`: a string, or FastAPI validation errors joined as "loc: msg"."""
    try:
        detail = resp.json().get("detail")
    except (ValueError, AttributeError):
        return resp.text[:200] or resp.reason_phrase
    if isinstance(detail, list):
        errors = [d for d in detail if isinstance(d, dict)]
        parts = [f"{'.'.join(map(str, d.get('loc', [])))}: {d.get('msg')}" for d in errors]
        return "; ".join(parts) or resp.reason_phrase
    return str(detail or resp.reason_phrase)
