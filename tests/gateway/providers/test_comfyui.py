"""ComfyUI adapter against its emulator: injected graph, /history polling, /view fetch, errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import ogservice
from ogservice.config import ProviderConfig
from ogservice.gateway import errors
from ogservice.gateway.catalog import ModelSpec
from ogservice.gateway.providers.comfyui import ComfyUIProvider, plan
from ogservice.gateway.request import ImageRequest
from tests.emulators.comfyui import ComfyUIEmulator
from tests.gateway.providers.helpers import emulated, fragment_specs, raised, real_request

PACKAGE = Path(ogservice.__file__).parent / "gateway"


@pytest.fixture
def spec() -> ModelSpec:
    return fragment_specs("comfyui")["comfyui"]


@pytest.fixture
def emulator() -> ComfyUIEmulator:
    return ComfyUIEmulator()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def provider(emulator: ComfyUIEmulator, sleeps: list[float]) -> ComfyUIProvider:
    adapter = emulated(ComfyUIProvider, emulator, api_key=None)
    adapter.sleep = sleeps.append
    return adapter


def queued(emulator: ComfyUIEmulator) -> dict:
    """The API-format graph the emulator received with the first /prompt."""
    return emulator.requests[0]["json"]["prompt"]


@pytest.mark.parametrize(
    ("size", "quality", "latent", "steps"),
    [
        ((1200, 630), "standard", (1344, 768), 25),
        ((1080, 1920), "draft", (768, 1344), 15),
        ((1024, 1024), "ultra", (1024, 1024), 50),
    ],
)
def test_graph_values_injected_per_size_and_quality(provider, emulator, spec, size, quality, latent, steps):
    req = ImageRequest(
        prompt="a lighthouse",
        negative_prompt="text, watermark",
        width=size[0],
        height=size[1],
        quality=quality,
        seed=5,
    )
    image = provider.generate(req, spec)
    graph = queued(emulator)
    sampler = {k: graph["3"]["inputs"][k] for k in ("seed", "steps", "cfg", "sampler_name", "scheduler")}
    assert sampler == {
        "seed": 5,
        "steps": steps,
        "cfg": 6.0,
        "sampler_name": "dpmpp_2m",
        "scheduler": "karras",
    }
    assert graph["5"]["inputs"] == {"width": latent[0], "height": latent[1], "batch_size": 1}
    assert graph["6"]["inputs"]["text"] == "a lighthouse"
    assert graph["7"]["inputs"]["text"] == "text, watermark"
    assert graph["4"]["inputs"]["ckpt_name"] == "sd_xl_base_1.0.safetensors"
    assert (image.width, image.height) == latent and image.seed == 5


def test_the_packaged_workflow_is_api_format_and_left_untouched(provider, emulator, spec):
    default = json.loads((PACKAGE / "providers" / "comfyui_workflow.json").read_text())
    provider.generate(ImageRequest(prompt="x"), spec)
    assert all("class_type" in node and "inputs" in node for node in default.values())
    assert default["6"]["inputs"]["text"] == ""  # the shipped file is a template, never mutated
    assert set(queued(emulator)) == set(default)


def test_same_prompt_without_seed_renders_reproducibly(provider, emulator, spec):
    first = provider.generate(ImageRequest(prompt="a red fox"), spec)
    second = provider.generate(ImageRequest(prompt="a red fox"), spec)
    other = provider.generate(ImageRequest(prompt="a blue fox"), spec)
    assert first.seed == second.seed != other.seed
    assert emulator.requests[0]["json"]["prompt"]["3"]["inputs"]["seed"] == first.seed


def test_polls_history_until_it_is_not_empty_then_views_the_output(provider, emulator, spec, sleeps):
    emulator.polls_until_done = 4
    provider.generate(ImageRequest(prompt="x"), spec)
    pid = next(iter(emulator.jobs))
    paths = [r["path"] for r in emulator.requests]
    assert paths == ["/prompt"] + [f"/history/{pid}"] * 4 + ["/view"]
    assert emulator.requests[-1]["args"] == {
        "filename": "ogservice_00001_.png",
        "subfolder": "",
        "type": "output",
    }
    assert sleeps.count(provider.poll_interval) >= 3


def test_a_prompt_still_running_at_the_deadline_is_deleted_and_interrupted_once(provider, emulator, spec):
    emulator.polls_until_done = 100
    provider.poll_interval = 10.0
    with pytest.raises(errors.ProviderTimeout) as info:
        provider.generate(ImageRequest(prompt="x"), spec, deadline=time.monotonic() + 5)
    pid = next(iter(emulator.jobs))
    assert emulator.cancels == [("delete", pid), ("interrupt", pid)]
    assert "cancel sent to the vendor (HTTP 200, 200)" in str(info.value)
    messages = emulator.jobs[pid]["entry"]["status"]["messages"]
    assert messages[-1][0] == "execution_interrupted"


def test_a_finished_prompt_is_not_cancelled(provider, emulator, spec):
    provider.generate(ImageRequest(prompt="x"), spec, deadline=time.monotonic() + 5)
    assert emulator.cancels == []


def test_emulator_interrupts_only_the_running_prompt_and_deletes_only_pending_ones(emulator, spec):
    client = emulator.client()
    graph = plan(ImageRequest(prompt="x"), spec).graph
    first, second = (client.post("/prompt", json={"prompt": graph}).json()["prompt_id"] for _ in range(2))
    assert client.get("/queue").json()["queue_pending"][0][1] == second
    assert client.post("/interrupt", json={"prompt_id": second}).status_code == 200
    assert client.get(f"/history/{first}").json() == {}  # still running: the id named another prompt
    assert client.post("/queue", json={"delete": [first, second]}).status_code == 200
    assert client.get("/queue").json() == {"queue_running": [[0, first, graph, {}, []]], "queue_pending": []}
    client.post("/interrupt", content=b"")  # no body: the global interrupt
    assert client.get(f"/history/{first}").json()[first]["status"]["status_str"] == "error"
    assert client.get(f"/history/{second}").json() == {}  # deleted prompts never run
    assert client.post("/queue", content=b"not json").status_code == 500


def test_strict_mode_and_dropped_options(provider, emulator, spec):
    raised(provider, spec, errors.StrictSizeError, width=1200, height=630, strict=True)
    assert emulator.requests == []
    image = provider.generate(ImageRequest(prompt="x", width=1200, height=630, transparent=True), spec)
    assert any("1344x768" in note for note in image.notes)
    assert "transparent not supported by comfyui; dropped" in image.notes


def test_missing_checkpoint_is_rejected_with_the_node_error(provider, spec):
    missing = spec.model_copy(update={"options": {**spec.options, "checkpoint": "flux1-dev.safetensors"}})
    error = raised(provider, missing, errors.RequestRejected)
    assert error.code == "prompt_outputs_failed_validation"
    assert "Value not in list: ckpt_name: 'flux1-dev.safetensors'" in error.message
    assert "node 4 (CheckpointLoaderSimple)" in error.message


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"client_id": "x"}, "no_prompt"),
        ({"prompt": {"nodes": [], "links": []}}, "invalid_prompt"),
        ({"prompt": {"1": {"class_type": "NoSuchNode", "inputs": {}}}}, "invalid_prompt"),
        (
            {
                "prompt": {
                    "5": {
                        "class_type": "EmptyLatentImage",
                        "inputs": {"width": 8, "height": 8, "batch_size": 1},
                    }
                }
            },
            "prompt_no_outputs",
        ),
    ],
)
def test_emulator_refuses_bad_graphs_like_comfyui(emulator, body, kind):
    with emulator.client() as client:
        resp = client.post("/api/prompt", json=body)
    assert resp.status_code == 400 and resp.json()["error"]["type"] == kind


def test_emulator_names_missing_inputs_per_node(emulator):
    graph = json.loads((PACKAGE / "providers" / "comfyui_workflow.json").read_text())
    del graph["3"]["inputs"]["steps"]
    with emulator.client() as client:
        resp = client.post("/prompt", json={"prompt": graph})
    errors_3 = resp.json()["node_errors"]["3"]["errors"]
    assert resp.status_code == 400 and [(e["type"], e["details"]) for e in errors_3] == [
        ("required_input_missing", "steps")
    ]


def test_execution_error_in_history_is_unavailable_with_the_exception(provider, emulator, spec):
    emulator.execution_error = "CUDA out of memory. Tried to allocate 3.00 GiB"
    error = raised(provider, spec, errors.ProviderUnavailable)
    assert "KSampler: CUDA out of memory" in error.message and error.code == "execution_error"


def test_deleted_output_file_is_a_bad_response(provider, emulator, spec):
    emulator.inject("expired_url")
    with pytest.raises(errors.BadResponse, match="gone"):
        provider.generate(ImageRequest(prompt="x"), spec)


def test_custom_workflow_file_from_options(provider, emulator, spec, tmp_path):
    graph = json.loads((PACKAGE / "providers" / "comfyui_workflow.json").read_text())
    graph["30"] = graph.pop("3")  # other node ids: injection follows the KSampler's links, not ids
    graph["8"]["inputs"]["samples"] = ["30", 0]
    graph["9"]["inputs"]["filename_prefix"] = "custom"
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(graph))
    custom = spec.model_copy(update={"options": {**spec.options, "workflow": str(path)}})
    provider.generate(ImageRequest(prompt="x", seed=77, quality="high"), custom)
    assert queued(emulator)["30"]["inputs"]["seed"] == 77 and queued(emulator)["30"]["inputs"]["steps"] == 35
    assert emulator.requests[-1]["args"]["filename"].startswith("custom_")


def test_ui_format_workflow_is_a_configuration_error(provider, spec, tmp_path):
    path = tmp_path / "ui.json"
    path.write_text(json.dumps({"nodes": [], "links": []}))
    with pytest.raises(errors.NotConfigured):
        provider.generate(
            ImageRequest(prompt="x"), spec.model_copy(update={"options": {"workflow": str(path)}})
        )


def test_without_base_url_the_documented_local_default_is_used(spec):
    built = real_request(ComfyUIProvider, ProviderConfig(name="comfyui"), spec)
    assert str(built.url) == "http://127.0.0.1:8188/prompt"
    assert "Authorization" not in built.headers
