"""ComfyUI emulator: /prompt graph validation, /history ({} until done), /view file serving.

Speaks providers.md 7b as server.py/execution.py do: 400 `{"error": {type, message, details, extra_info},
"node_errors": {...}}` for `no_prompt`, `invalid_prompt` (UI-format graph, unknown class_type — ComfyUI's
analogue of an unknown field), `prompt_no_outputs` and `prompt_outputs_failed_validation` (per node
`required_input_missing`, `value_not_in_list`, bad links, out-of-range numbers). Extra node inputs are
ignored, as ComfyUI does. Every route is also served under /api. No auth, no rate limits, no safety filter.

The queue, as server.py keeps it: the oldest unfinished prompt is running, the others are pending.
GET /queue lists both; POST /queue `{"delete": [ids]}` removes pending ones (`{"clear": true}` all) and
a deleted prompt never reaches /history; POST /interrupt stops the running prompt, or with
`{"prompt_id": id}` only when that one is running (its history entry then records
`execution_interrupted`). Both answer 200 with an empty body; a body that is not JSON is a 500, as
aiohttp's `request.json()` raises there. `cancels` records ("delete", id) and ("interrupt", id or
None) for each call, for tests to assert.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, jsonify, request

from ogservice.gateway.providers.comfyui import ComfyUIProvider
from tests.emulators.base import ContractCase, Emulator, png_bytes

CHECKPOINTS = ("sd_xl_base_1.0.safetensors", "sd_xl_turbo_1.0_fp16.safetensors")
SAMPLERS = ("euler", "euler_ancestral", "dpmpp_2m", "dpmpp_2m_sde", "dpmpp_sde", "ddim", "uni_pc")
SCHEDULERS = ("normal", "karras", "exponential", "sgm_uniform", "simple", "ddim_uniform", "beta")
LINK = ("link",)
NODES: dict[str, dict[str, tuple]] = {
    "CheckpointLoaderSimple": {"ckpt_name": ("enum", *CHECKPOINTS)},
    "EmptyLatentImage": {
        "width": ("int", 16, 16384),
        "height": ("int", 16, 16384),
        "batch_size": ("int", 1, 64),
    },
    "CLIPTextEncode": {"text": ("str",), "clip": LINK},
    "KSampler": {
        "seed": ("int", 0, 2**64 - 1),
        "steps": ("int", 1, 10000),
        "cfg": ("num", 0, 100),
        "sampler_name": ("enum", *SAMPLERS),
        "scheduler": ("enum", *SCHEDULERS),
        "denoise": ("num", 0, 1),
        "model": LINK,
        "positive": LINK,
        "negative": LINK,
        "latent_image": LINK,
    },
    "VAEDecode": {"samples": LINK, "vae": LINK},
    "SaveImage": {"images": LINK, "filename_prefix": ("str",)},
    "PreviewImage": {"images": LINK},
}
OUTPUT_NODES = ("SaveImage", "PreviewImage")


def failure(kind: str, message: str, details: str = "", node_errors: dict | None = None) -> Response:
    """ComfyUI's 400 envelope for a prompt it will not queue."""
    body = {
        "error": {"type": kind, "message": message, "details": details, "extra_info": {}},
        "node_errors": node_errors or {},
    }
    resp = jsonify(body)
    resp.status_code = 400
    return resp


def input_error(name: str, value: Any, rule: tuple, graph: dict[str, Any]) -> dict[str, Any] | None:
    """The node error ComfyUI records for one input, or None when valid."""
    kind = rule[0]
    if kind == "link":
        ok = isinstance(value, list) and len(value) == 2 and str(value[0]) in graph
        return None if ok else _err("bad_linked_input", "Bad linked input, must be a length-2 list", name)
    if kind == "enum":
        ok = value in rule[1:]
        return (
            None
            if ok
            else _err("value_not_in_list", "Value not in list", f"{name}: '{value}' not in {list(rule[1:])}")
        )
    if kind == "str":
        return None if isinstance(value, str) else _err("invalid_input_type", "Invalid input type", name)
    if not isinstance(value, int if kind == "int" else (int, float)) or isinstance(value, bool):
        return _err("invalid_input_type", f"Failed to convert an input value to a {kind.upper()} value", name)
    if not rule[1] <= value <= rule[2]:
        return _err(
            "value_bigger_than_max" if value > rule[2] else "value_smaller_than_min",
            "Value out of range",
            f"{name}: {value}",
        )
    return None


def _err(kind: str, message: str, details: str) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": {"input_name": details}}


class ComfyUIEmulator(Emulator):
    """In-process ComfyUI; a queued prompt shows in /history after `polls_until_done` polls."""

    name = "comfyui"
    polls_until_done = 2
    execution_error: str | None = None  # set to make the next run fail inside a node (e.g. CUDA OOM)

    def __init__(self) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.outputs: dict[str, bytes] = {}
        self.cancels: list[tuple[str, str | None]] = []  # ("delete" | "interrupt", prompt id)
        super().__init__()

    def routes(self) -> None:
        for prefix in ("", "/api"):
            self.app.add_url_rule(f"{prefix}/prompt", f"prompt{prefix}", self.prompt, methods=["POST"])
            self.app.add_url_rule(
                f"{prefix}/history/<pid>", f"history{prefix}", self.history, methods=["GET"]
            )
            self.app.add_url_rule(f"{prefix}/view", f"view{prefix}", self.view, methods=["GET"])
            self.app.add_url_rule(f"{prefix}/queue", f"queue{prefix}", self.queue, methods=["GET", "POST"])
            self.app.add_url_rule(
                f"{prefix}/interrupt", f"interrupt{prefix}", self.interrupt, methods=["POST"]
            )

    def _log(self, body: Any = None) -> None:
        self.requests.append(
            {"path": request.path, "args": dict(request.args), "headers": dict(request.headers), "json": body}
        )

    # --- /prompt ---------------------------------------------------------------------------------
    def prompt(self) -> Response:
        body = request.get_json(silent=True)
        self._log(body)
        if self.take_failure("server_error", "slow"):
            return Response("500: Internal Server Error", 500, mimetype="text/plain")
        if not isinstance(body, dict) or "prompt" not in body:
            return failure("no_prompt", "No prompt provided", "No prompt provided")
        if (refusal := self._validate(body["prompt"])) is not None:
            return refusal
        pid = str(body.get("prompt_id") or uuid.uuid4())
        self.jobs[pid] = {
            "graph": body["prompt"], "number": len(self.jobs), "polls": 0, "entry": None, "deleted": False,
        }
        return jsonify({"prompt_id": pid, "number": self.jobs[pid]["number"], "node_errors": {}})

    def _validate(self, graph: Any) -> Response | None:
        if not isinstance(graph, dict) or "nodes" in graph:
            return failure(
                "invalid_prompt",
                "Cannot execute because a node is missing the class_type property.",
                "Node ID '#nodes'",
            )
        for node_id, node in graph.items():
            class_type = node.get("class_type") if isinstance(node, dict) else None
            if class_type not in NODES:
                return failure(
                    "invalid_prompt",
                    f"Cannot execute because node {class_type} does not exist.",
                    f"Node ID '#{node_id}'",
                )
        outputs = [i for i, n in graph.items() if n["class_type"] in OUTPUT_NODES]
        if not outputs:
            return failure("prompt_no_outputs", "Prompt has no outputs", "")
        node_errors = {
            i: e for i, e in ((i, self._node_errors(n, graph, outputs)) for i, n in graph.items()) if e
        }
        if node_errors:
            return failure(
                "prompt_outputs_failed_validation", "Prompt outputs failed validation", "", node_errors
            )
        return None

    @staticmethod
    def _node_errors(
        node: dict[str, Any], graph: dict[str, Any], outputs: list[str]
    ) -> dict[str, Any] | None:
        inputs = node.get("inputs") if isinstance(node.get("inputs"), dict) else {}
        errors = []
        for name, rule in NODES[node["class_type"]].items():
            if name not in inputs:
                errors.append(_err("required_input_missing", "Required input is missing", name))
            elif (problem := input_error(name, inputs[name], rule, graph)) is not None:
                errors.append(problem)
        return (
            {"errors": errors, "dependent_outputs": outputs, "class_type": node["class_type"]}
            if errors
            else None
        )

    # --- /queue and /interrupt -----------------------------------------------------------------------
    def queue(self) -> Response:
        if request.method == "GET":
            self._log()
            running, pending = self._running(), self._pending()
            return jsonify({"queue_running": [self._item(p) for p in running[:1]],
                            "queue_pending": [self._item(p) for p in pending]})
        body = request.get_json(silent=True)
        self._log(body)
        if not isinstance(body, dict):
            return Response("500: Internal Server Error", 500, mimetype="text/plain")
        doomed = self._pending() if body.get("clear") else []
        for pid in body.get("delete") or []:
            self.cancels.append(("delete", pid))
            doomed += [pid] if pid in self._pending() else []
        for pid in doomed:
            self.jobs[pid]["deleted"] = True
        return Response(status=200)

    def interrupt(self) -> Response:
        body = request.get_json(silent=True)
        self._log(body)
        if request.get_data() and not isinstance(body, dict):
            return Response("500: Internal Server Error", 500, mimetype="text/plain")
        wanted = (body or {}).get("prompt_id")
        self.cancels.append(("interrupt", wanted))
        running = self._running()
        if running and wanted in (None, running[0]):
            self.jobs[running[0]]["entry"] = self._interrupted(running[0], self.jobs[running[0]])
        return Response(status=200)

    def _unfinished(self) -> list[str]:
        live = [(j["number"], pid) for pid, j in self.jobs.items() if j["entry"] is None and not j["deleted"]]
        return [pid for _, pid in sorted(live)]

    def _running(self) -> list[str]:
        return self._unfinished()[:1]

    def _pending(self) -> list[str]:
        return self._unfinished()[1:]

    def _item(self, pid: str) -> list[Any]:
        job = self.jobs[pid]
        return [job["number"], pid, job["graph"], {}, []]

    @staticmethod
    def _interrupted(pid: str, job: dict[str, Any]) -> dict[str, Any]:
        event = {"prompt_id": pid, "node_id": "3", "node_type": "KSampler", "executed": []}
        status = {"status_str": "error", "completed": False,
                  "messages": [["execution_start", {"prompt_id": pid}], ["execution_interrupted", event]]}
        return {"prompt": [job["number"], pid, job["graph"], {}, []], "outputs": {}, "status": status}

    # --- /history and /view ----------------------------------------------------------------------
    def history(self, pid: str) -> Response:
        self._log()
        job = self.jobs.get(pid)
        if job is None or job["deleted"]:
            return jsonify({})
        if job["entry"] is not None:
            return jsonify({pid: job["entry"]})
        job["polls"] += 1
        if job["polls"] < self.polls_until_done:
            return jsonify({})
        if self.take_failure("malformed"):
            return jsonify({pid: {"prompt": [job["number"], pid], "status": {"completed": True}}})
        job["entry"] = job["entry"] or self._run(pid, job)
        return jsonify({pid: job["entry"]})

    def _run(self, pid: str, job: dict[str, Any]) -> dict[str, Any]:
        graph = job["graph"]
        if self.execution_error:
            event = {
                "prompt_id": pid,
                "node_id": "3",
                "node_type": "KSampler",
                "exception_message": self.execution_error,
                "exception_type": "torch.OutOfMemoryError",
            }
            status = {"status_str": "error", "completed": False, "messages": [["execution_error", event]]}
            return {"prompt": [job["number"], pid, graph, {}, []], "outputs": {}, "status": status}
        latent = next(n["inputs"] for n in graph.values() if n["class_type"] == "EmptyLatentImage")
        width, height = latent["width"] // 8 * 8, latent["height"] // 8 * 8
        save_id, save = next((i, n) for i, n in graph.items() if n["class_type"] in OUTPUT_NODES)
        filename = f"{save['inputs'].get('filename_prefix', 'ComfyUI')}_{len(self.outputs) + 1:05}_.png"
        kind = "output" if save["class_type"] == "SaveImage" else "temp"
        self.outputs[filename] = (
            b"\x89PNG but not really" if self.take_failure("not_image") else png_bytes(width, height)
        )
        status = {
            "status_str": "success",
            "completed": True,
            "messages": [["execution_start", {"prompt_id": pid}], ["execution_success", {"prompt_id": pid}]],
        }
        images = [{"filename": filename, "subfolder": "", "type": kind}]
        return {
            "prompt": [job["number"], pid, graph, {}, [save_id]],
            "outputs": {save_id: {"images": images}},
            "status": status,
        }

    def view(self) -> Response:
        self._log()
        filename, subfolder = request.args.get("filename", ""), request.args.get("subfolder", "")
        if not filename or filename.startswith("/") or ".." in filename:
            return Response(status=400)
        if subfolder.startswith("/") or ".." in subfolder:
            return Response(status=403)
        if request.args.get("type", "output") not in ("output", "input", "temp"):
            return Response(status=400)
        if self.take_failure("expired_url") or filename not in self.outputs:
            return Response(status=404)
        return Response(self.outputs[filename], mimetype="image/png")


CASES = [
    ContractCase(
        "comfyui",
        ComfyUIProvider,
        ComfyUIEmulator,
        api_key=None,
        failures={
            "server_error": "ProviderUnavailable",
            "malformed": "BadResponse",
            "not_image": "BadResponse",
            "expired_url": "BadResponse",
        },
    )
]
