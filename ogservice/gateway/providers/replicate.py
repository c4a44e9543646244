"""Replicate predictions API adapter (official models, e.g. black-forest-labs/flux-schnell).

Flow: POST /models/{owner}/{name}/predictions with `Prefer: wait=N` -> the prediction object; when it is
not terminal yet, GET /predictions/{id} until it is; then GET the first output URL (no auth header: the
file host is not the API host). N (1-60) never outlasts the time left before the deadline, so the
create call answers in time with the prediction's id; a prediction still running when we stop
waiting is cancelled with POST /predictions/{id}/cancel. The poll URL is built from the prediction id
on the configured base URL rather than taken from `urls.get`, so the API token is only ever sent to
the host we were configured with.
"""

from __future__ import annotations

import math
import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import httpx

from ..errors import BadResponse, ContentRefused, GatewayError, ProviderUnavailable, RateLimited
from ..request import GeneratedImage, ImageRequest
from ..sizes import nearest_aspect
from .base import HttpProvider, default_error, is_fetch, json_body, retry_after_seconds
from .flux import QUALITIES as QUALITIES  # re-exported: part of this module's public names
from .flux import FluxInputs, Plan, finish_plan

if TYPE_CHECKING:
    from ..catalog import ModelSpec

STEP = "ogservice_step"  # request extension naming which leg of the flow a response answers
ASPECTS = ("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21")
_THROTTLE = re.compile(r"resets in ~?(\d+(?:\.\d+)?)\s*s")
_LOG_SEED = re.compile(r"[Uu]sing seed:\s*(\d+)")
_NSFW = re.compile(r"nsfw|safety|sensitive", re.IGNORECASE)


MODELS = MappingProxyType(
    {
        "black-forest-labs/flux-schnell": FluxInputs(steps=(1, 4), quality_steps=(2, 4, 4, 4)),
        "black-forest-labs/flux-dev": FluxInputs(
            steps=(1, 50), quality_steps=(16, 28, 40, 50), guidance=(0.0, 10.0)
        ),
    }
)
GENERIC = FluxInputs(steps=None)  # an unknown official model: send only the universal fields


def plan(req: ImageRequest, spec: ModelSpec) -> Plan:
    """Map the canonical request onto the model's `input` object (pure; also used when parsing)."""
    model = MODELS.get(spec.vendor_model, GENERIC)
    choice = nearest_aspect(req, spec.aspects or ASPECTS, vendor=spec.vendor_model)
    fields: dict[str, Any] = {"prompt": req.prompt, "aspect_ratio": choice.value, "num_outputs": 1}
    fields["output_format"] = "webp" if req.quality == "draft" else "png"
    return finish_plan(req, spec, model, fields, choice, "guidance")


class ReplicateProvider(HttpProvider):
    """Replicate official-model predictions with `Prefer: wait`, polling and output download."""

    name = "replicate"
    default_base_url = "https://api.replicate.com/v1"
    prefer_wait = 60  # seconds Replicate may hold the create call open (1-60), when time allows

    def build_request(self, req: ImageRequest, spec: ModelSpec) -> httpx.Request:
        """POST the prediction for an official model (no version id needed)."""
        headers = {**self._auth(), "Prefer": f"wait={self.prefer_wait}"}
        url = f"{self.base_url}/models/{spec.vendor_model}/predictions"
        body = {"input": plan(req, spec).input}
        return httpx.Request("POST", url, headers=headers, json=body, extensions={STEP: "create"})

    def bounded(self, request: httpx.Request, remaining_s: float) -> httpx.Request:
        """`Prefer: wait=N` with N <= the time left less a second for the answer to travel back.

        The answer carries the prediction id, without which a job still running at the deadline
        cannot be cancelled; with under two seconds left the create call does not wait at all.
        """
        if request.extensions.get(STEP) == "create":
            wait = min(self.prefer_wait, math.floor(remaining_s) - 1)
            if wait >= 1:
                request.headers["Prefer"] = f"wait={wait}"
            else:
                request.headers.pop("Prefer", None)
        return request

    def cancel_requests(self, pending: httpx.Request) -> list[httpx.Request]:
        """POST /predictions/{id}/cancel for the prediction `pending` polls."""
        if pending.extensions.get(STEP) != "poll":
            return []
        url = f"{pending.url}/cancel"
        return [httpx.Request("POST", url, headers=self._auth(), extensions={STEP: "cancel"})]

    def parse_response(
        self, resp: httpx.Response, req: ImageRequest, spec: ModelSpec
    ) -> GeneratedImage | httpx.Request:
        """A prediction -> next poll or output fetch; an output file -> the image."""
        if (image := self.fetched(resp, req, spec)) is not None:
            return image
        prediction = json_body(resp, self.name)
        status = prediction.get("status")
        if status in ("starting", "processing"):
            return self._poll(prediction)
        if status == "succeeded":
            return self._fetch(prediction, req, spec)
        if status in ("failed", "canceled"):
            raise self._failed(prediction, resp.status_code)
        raise BadResponse(
            f"unknown prediction status {status!r}", provider=self.name, status=resp.status_code
        )

    def error_for(self, resp: httpx.Response) -> GatewayError:
        """Replicate's problem envelope (`detail`, `title`); 429 carries "resets in ~Ns"."""
        if is_fetch(resp.request):
            return BadResponse("output file is gone (expired?)", provider=self.name, status=resp.status_code)
        detail, title = _problem(resp)
        if resp.status_code == 429:
            wait = _THROTTLE.search(detail)
            retry = float(wait.group(1)) if wait else retry_after_seconds(resp)
            return RateLimited(detail, retry_after=retry, provider=self.name, status=429, code="throttled")
        return default_error(resp, self.name, detail, title)

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.api_key}"} if self.config.api_key else {}

    def _poll(self, prediction: dict[str, Any]) -> httpx.Request:
        """GET the prediction by id on our own base URL (never follow a URL with our token)."""
        if not isinstance(pid := prediction.get("id"), str) or not pid.isalnum():
            raise BadResponse("prediction has no usable id", provider=self.name)
        return httpx.Request(
            "GET", f"{self.base_url}/predictions/{pid}", headers=self._auth(), extensions={STEP: "poll"}
        )

    def _fetch(self, prediction: dict[str, Any], req: ImageRequest, spec: ModelSpec) -> httpx.Request:
        """GET the first output file; an empty output is the model declining to produce an image."""
        output = prediction.get("output")
        output = [output] if isinstance(output, str) else output
        if not isinstance(output, list):
            raise BadResponse("succeeded prediction has no output list", provider=self.name)
        if not output or not isinstance(output[0], str) or not output[0].startswith(("http://", "https://")):
            raise ContentRefused(
                "prediction succeeded without an image", provider=self.name, code="no_output"
            )
        seed = _LOG_SEED.search(str(prediction.get("logs") or ""))
        carried = int(seed.group(1)) if seed else req.seed
        return self.fetch_later(output[0], **plan(req, spec).image_fields(carried))

    def _failed(self, prediction: dict[str, Any], status: int) -> GatewayError:
        """A failed/canceled prediction: NSFW filter -> ContentRefused, anything else -> unavailable."""
        error = str(prediction.get("error") or prediction.get("status"))
        if _NSFW.search(error):
            return ContentRefused(error, provider=self.name, status=status, code="nsfw")
        code = str(prediction.get("status"))
        return ProviderUnavailable(error, provider=self.name, status=status, code=code)


def _problem(resp: httpx.Response) -> tuple[str, str]:
    """(detail, title) from Replicate's problem-style body; the reason phrase when it is not JSON."""
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200] or resp.reason_phrase, ""
    if not isinstance(body, dict):
        return str(body)[:200], ""
    return str(body.get("detail") or resp.reason_phrase).strip(), str(body.get("title") or "")
