"""ComfyUI adapter: POST /prompt (API-format graph) -> poll GET /history/{id} -> GET /view the output.

The graph is the packaged SDXL workflow (comfyui_workflow.json) unless the catalog entry names another
API-format file in `options.workflow`. Values are injected by following the KSampler's links (positive,
negative, latent_image, model) rather than by node ids, so custom graphs work as long as they have one
KSampler. `options.checkpoint`, `options.sampler_name`, `options.scheduler` and `options.cfg` override
the graph. Without a requested seed the seed is derived from the prompt, so the same request renders
the same image (the service caches by content hash). ComfyUI has no auth of its own; behind a proxy,
`api_key` "user:pass" is sent as HTTP Basic and anything else as a Bearer token.
A prompt still queued or running when we stop waiting is removed from the queue (POST /queue
{"delete": [id]}) and interrupted (POST /interrupt {"prompt_id": id}: only when it is the one running,
so another client's prompt is never stopped).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ..errors import BadResponse, GatewayError, NotConfigured, ProviderUnavailable, RequestRejected
from ..request import GeneratedImage, ImageRequest
from ..sizes import nearest_size, requested_label
from .a1111 import QUALITY_STEPS, SDXL_SIZES  # the same SDXL buckets and step presets
from .base import HttpProvider, default_error, is_fetch, json_body

if TYPE_CHECKING:
    from ..catalog import ModelSpec

STEP = "ogservice_step"  # request extension naming which leg of the flow a response answers
_PROMPT_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


@dataclass(frozen=True)
class Plan:
    """The graph to queue for one request plus what was changed on the way."""

    graph: dict[str, Any]
    seed: int
    requested: str
    produced: str
    notes: tuple[str, ...]


def load_workflow(spec: ModelSpec) -> dict[str, Any]:
    """The API-format graph: `options.workflow` (a path) or the packaged default SDXL graph."""
    if custom := spec.options.get("workflow"):
        text = Path(custom).read_text(encoding="utf-8")
    else:
        text = resources.files(__package__).joinpath("comfyui_workflow.json").read_text(encoding="utf-8")
    graph = json.loads(text)
    if not isinstance(graph, dict) or "nodes" in graph:
        raise NotConfigured(
            "ComfyUI workflow must be in API format (export with 'Save (API)')", provider="comfyui"
        )
    return graph


def plan(req: ImageRequest, spec: ModelSpec) -> Plan:
    """Inject prompt, size, seed, steps, cfg and checkpoint into a copy of the workflow (pure)."""
    graph = copy.deepcopy(load_workflow(spec))
    sampler = _sampler(graph)
    choice = nearest_size(req, spec.sizes or SDXL_SIZES, vendor=spec.id)
    width, height = (int(p) for p in choice.value.split("x"))
    seed = req.seed if req.seed is not None else _prompt_seed(req.prompt)
    _linked(graph, sampler, "positive")["text"] = req.prompt
    _linked(graph, sampler, "negative")["text"] = req.negative_prompt or ""
    _linked(graph, sampler, "latent_image").update(width=width, height=height, batch_size=1)
    sampler.update(seed=seed, steps=req.steps or QUALITY_STEPS[req.quality])
    _apply_options(graph, sampler, req, spec)
    notes = ([choice.note] if choice.note else []) + _unsupported(req, spec)
    return Plan(graph, seed, requested_label(req), choice.value, tuple(notes))


def _sampler(graph: dict[str, Any]) -> dict[str, Any]:
    """The inputs of the graph's single KSampler."""
    samplers = [
        n["inputs"] for n in graph.values() if isinstance(n, dict) and n.get("class_type") == "KSampler"
    ]
    if len(samplers) != 1:
        raise NotConfigured("ComfyUI workflow needs exactly one KSampler", provider="comfyui")
    return samplers[0]


def _linked(graph: dict[str, Any], inputs: dict[str, Any], name: str) -> dict[str, Any]:
    """The inputs of the node wired into `inputs[name]` (links are [node_id, output_index])."""
    link = inputs.get(name)
    node = graph.get(str(link[0])) if isinstance(link, list) and link else None
    if not isinstance(node, dict) or not isinstance(node.get("inputs"), dict):
        raise NotConfigured(f"ComfyUI workflow: KSampler input {name!r} is not linked", provider="comfyui")
    return node["inputs"]


def _apply_options(
    graph: dict[str, Any], sampler: dict[str, Any], req: ImageRequest, spec: ModelSpec
) -> None:
    """Catalog options and an explicit guidance override the graph's defaults."""
    opts = spec.options
    sampler.update({k: opts[k] for k in ("sampler_name", "scheduler", "cfg") if k in opts})
    if req.guidance is not None:
        sampler["cfg"] = req.guidance
    if "checkpoint" in opts:
        _linked(graph, sampler, "model")["ckpt_name"] = opts["checkpoint"]


def _prompt_seed(prompt: str) -> int:
    """A stable seed from the prompt so identical requests give identical images."""
    return int.from_bytes(hashlib.sha256(prompt.encode("utf-8")).digest()[:4], "big")


def _unsupported(req: ImageRequest, spec: ModelSpec) -> list[str]:
    dropped = (["style"] if req.style else []) + (["transparent"] if req.transparent else [])
    return [f"{name} not supported by {spec.id}; dropped" for name in dropped]


class ComfyUIProvider(HttpProvider):
    """Self-hosted ComfyUI: queue a graph, poll its history, download the saved image."""

    name = "comfyui"
    default_base_url = "http://127.0.0.1:8188"  # ComfyUI's documented default address

    def build_request(self, req: ImageRequest, spec: ModelSpec) -> httpx.Request:
        """Queue the injected graph; `client_id` only matters for websocket listeners."""
        body = {"prompt": plan(req, spec).graph, "client_id": f"ogservice-{uuid.uuid4().hex}"}
        return httpx.Request(
            "POST", f"{self.base_url}/prompt", headers=self._auth(), json=body, extensions={STEP: "submit"}
        )

    def parse_response(
        self, resp: httpx.Response, req: ImageRequest, spec: ModelSpec
    ) -> GeneratedImage | httpx.Request:
        """submit -> history (until non-empty) -> view -> image."""
        if (image := self.fetched(resp, req, spec)) is not None:
            return image
        step = resp.request.extensions.get(STEP)
        body = json_body(resp, self.name)
        if step == "submit":
            return self._history(body)
        return self._after_history(body, resp.request, req, spec)

    def error_for(self, resp: httpx.Response) -> GatewayError:
        """ComfyUI's `{"error": {type, message, details}, "node_errors": {...}}`; aiohttp text otherwise."""
        if is_fetch(resp.request):
            return BadResponse("output file is gone", provider=self.name, status=resp.status_code)
        try:
            body = resp.json()
        except ValueError:
            return default_error(resp, self.name, resp.text[:200])
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return default_error(resp, self.name, str(error or resp.reason_phrase))
        message = "; ".join(
            filter(None, [error.get("message"), error.get("details"), *_node_errors(body.get("node_errors"))])
        )
        return default_error(resp, self.name, message, str(error.get("type") or ""))

    def cancel_requests(self, pending: httpx.Request) -> list[httpx.Request]:
        """Delete the prompt `pending` polls from the queue, then interrupt it if it is running."""
        if pending.extensions.get(STEP) != "history":
            return []
        prompt_id = pending.url.path.rsplit("/", 1)[-1]
        calls = (("queue", {"delete": [prompt_id]}), ("interrupt", {"prompt_id": prompt_id}))
        return [
            httpx.Request("POST", f"{self.base_url}/{path}", headers=self._auth(), json=body)
            for path, body in calls
        ]

    def _auth(self) -> dict[str, str]:
        key = self.config.api_key
        if not key:
            return {}
        if ":" in key:
            return {"Authorization": "Basic " + base64.b64encode(key.encode()).decode("ascii")}
        return {"Authorization": f"Bearer {key}"}

    def _history(self, body: dict[str, Any]) -> httpx.Request:
        prompt_id = body.get("prompt_id")
        if not isinstance(prompt_id, str) or not _PROMPT_ID.match(prompt_id):
            raise BadResponse("/prompt answer has no usable prompt_id", provider=self.name)
        if body.get("node_errors"):
            raise RequestRejected(
                "; ".join(_node_errors(body["node_errors"])), provider=self.name, code="node_errors"
            )
        return httpx.Request(
            "GET", f"{self.base_url}/history/{prompt_id}", headers=self._auth(), extensions={STEP: "history"}
        )

    def _after_history(
        self, body: dict[str, Any], asked: httpx.Request, req: ImageRequest, spec: ModelSpec
    ) -> httpx.Request:
        """`{}` while queued or running; then the entry's status and first saved image."""
        if not body:
            return httpx.Request("GET", asked.url, headers=self._auth(), extensions={STEP: "history"})
        entry = body.get(asked.url.path.rsplit("/", 1)[-1])
        if not isinstance(entry, dict):
            raise BadResponse("history has no entry for our prompt", provider=self.name)
        status = entry.get("status")
        status = status if isinstance(status, dict) else {}
        if status.get("status_str") == "error":
            raise ProviderUnavailable(_execution_error(status), provider=self.name, code="execution_error")
        return self._view(_first_output(entry.get("outputs")), req, spec)

    def _view(self, image: dict[str, Any], req: ImageRequest, spec: ModelSpec) -> httpx.Request:
        """Download the saved image from `/view` (with our auth: it is our own server)."""
        params = {k: image.get(k, "") for k in ("filename", "subfolder", "type")}
        url = httpx.URL(f"{self.base_url}/view").copy_merge_params(params)
        p = plan(req, spec)
        fields = {"requested": p.requested, "produced": p.produced, "notes": p.notes, "seed": p.seed}
        return self.fetch_later(url, headers=self._auth(), **fields)


def _first_output(outputs: object) -> dict[str, Any]:
    """The first image a SaveImage-style node wrote (type "output"); BadResponse when none."""
    if not isinstance(outputs, dict):
        raise BadResponse("history entry has no outputs", provider="comfyui")
    for node in outputs.values():
        for image in (node or {}).get("images", []) if isinstance(node, dict) else []:
            if (
                isinstance(image, dict)
                and isinstance(image.get("filename"), str)
                and image.get("type") == "output"
            ):
                return image
    raise BadResponse("workflow finished without saving an image", provider="comfyui")


def _execution_error(status: dict[str, Any]) -> str:
    """The exception message of the `execution_error` event, if ComfyUI recorded one."""
    for message in status.get("messages") or []:
        if isinstance(message, list) and len(message) == 2 and message[0] == "execution_error":
            data = message[1] if isinstance(message[1], dict) else {}
            return f"{data.get('node_type', 'node')}: {data.get('exception_message', 'execution failed')}"
    return "workflow execution failed"


def _node_errors(node_errors: object) -> list[str]:
    """Flatten `node_errors` to "node 4 (CheckpointLoaderSimple): Value not in list: ckpt_name: ..."."""
    if not isinstance(node_errors, dict):
        return []
    lines = []
    for node_id, info in node_errors.items():
        for err in (info or {}).get("errors", []) if isinstance(info, dict) else []:
            lines.append(
                f"node {node_id} ({info.get('class_type')}): {err.get('message')}: {err.get('details')}"
            )
    return lines
