"""Local providers, the provider registry, the gateway CLI and the sandbox, all without vendor keys."""

from __future__ import annotations

import io
import json

import httpx
import pytest
from click.testing import CliRunner
from PIL import Image

from ogservice.config import PROVIDERS, load_settings
from ogservice.gateway.catalog import load_catalog
from ogservice.gateway.cli_run import fit_png, generate, models, summarize_runs
from ogservice.gateway.errors import BadResponse
from ogservice.gateway.local import FunctionProvider, LocalProvider, quoted_text
from ogservice.gateway.providers.base import HttpProvider
from ogservice.gateway.registry import build_providers, configured_providers
from ogservice.gateway.request import GeneratedImage, ImageRequest
from ogservice.gateway.service import Attempt

CATALOG = load_catalog()


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as img:
        return img.size


@pytest.fixture
def no_keys(monkeypatch, redis_prefix, tmp_path) -> dict[str, str]:
    """An environment with no vendor credentials, a private Redis prefix and a private data dir."""
    for name in PROVIDERS:
        monkeypatch.delenv(f"OGS_{name.upper()}_API_KEY", raising=False)
        monkeypatch.delenv(f"OGS_{name.upper()}_BASE_URL", raising=False)
    return {"OGS_REDIS_PREFIX": redis_prefix, "OGS_DATA_DIR": str(tmp_path / "data")}


def test_function_provider_wraps_pil_images_and_validates_bytes():
    provider = FunctionProvider("fn", lambda req, spec: Image.new("RGB", (req.width, req.height)))
    image = provider.generate(
        ImageRequest(prompt="x", width=300, height=200), CATALOG.get("local-procedural")
    )
    assert (image.width, image.height, image.media_type) == (300, 200, "image/png")
    assert image.model == "local-procedural" and image.provider == "fn" and image.cost_usd == 0.0
    broken = FunctionProvider("fn", lambda req, spec: b"GIF89a not ours")
    with pytest.raises(BadResponse):
        broken.generate(ImageRequest(prompt="x"), CATALOG.get("local-procedural"))


@pytest.mark.parametrize("size", [(1200, 630), (1080, 1920), (64, 64)])
def test_local_procedural_is_the_exact_size_and_deterministic(size):
    provider, spec = LocalProvider(), CATALOG.get("local-procedural")
    req = ImageRequest(prompt="calm gradient", width=size[0], height=size[1], seed=3)
    first, again = provider.generate(req, spec), provider.generate(req, spec)
    assert _size(first.data) == size and first.data == again.data
    other = provider.generate(req.model_copy(update={"seed": 4}), spec)
    assert other.data != first.data


def test_local_type_typesets_the_quoted_text_on_a_transparent_canvas():
    provider, spec = LocalProvider(), CATALOG.get("local-type")
    req = ImageRequest(prompt='a banner saying "SUMMER SALE"', width=800, height=400, transparent=True)
    image = provider.generate(req, spec)
    with Image.open(io.BytesIO(image.data)) as img:
        alpha = img.convert("RGBA").getchannel("A")
        assert img.size == (800, 400) and alpha.getextrema() == (0, 255)  # ink on a transparent canvas
        left, top, right, bottom = alpha.getbbox()
        assert right - left > 200 and left > 0 and right < 800  # a real line of text, inside the margins


def test_quoted_text_prefers_quotes_and_falls_back_to_the_prompt():
    assert quoted_text('poster with “Grand Opening” and "10% off"') == "Grand Opening\n10% off"
    assert quoted_text("  just this  ") == "just this"


def test_local_type_finds_the_quoted_text_in_every_script_intent_detection_knows():
    assert quoted_text("木の看板「営業中」、夕暮れ") == "営業中"  # what the sign says, not the whole prompt
    assert quoted_text("une affiche « Soldes » et ‹ Fin ›") == "Soldes\nFin"
    assert quoted_text("text saying 'Hello World', clear font") == "Hello World"


def test_registry_without_keys_has_only_local(settings):
    assert configured_providers(settings) == frozenset({"local"})
    assert set(build_providers(settings, CATALOG)) == {"local"}


def test_registry_builds_the_adapter_for_a_configured_vendor(settings):
    configured = settings.model_copy(
        update={"openai_api_key": load_settings(dev=True, openai_api_key="k").openai_api_key}
    )
    with httpx.Client() as client:
        providers = build_providers(configured, CATALOG, client)
        assert isinstance(providers["openai"], HttpProvider) and providers["openai"].name == "openai"
        assert providers["openai"].client is client and "stability" not in providers


def test_fit_png_resizes_another_size_and_says_so():
    buf = io.BytesIO()
    Image.new("RGB", (1024, 1024), "red").save(buf, "JPEG")
    image = GeneratedImage(data=buf.getvalue(), media_type="image/jpeg", width=1024, height=1024, model="m")
    data, note = fit_png(image, 1200, 630)
    assert _size(data) == (1200, 630) and data.startswith(b"\x89PNG") and "1024x1024" in note


def test_cli_generate_without_keys_writes_a_png_of_the_requested_size(no_keys, tmp_path):
    out = tmp_path / "card.png"
    args = ["--prompt", "soft abstract gradient background", "--size", "1200x630", "-o", str(out)]
    result = CliRunner().invoke(generate, args, env=no_keys)
    assert result.exit_code == 0, result.output
    assert _size(out.read_bytes()) == (1200, 630)
    assert (
        "model:    local-" in result.output
        and "attempt 1:" in result.output
        and "cost:     $0.0000" in result.output
    )


def test_cli_generate_refuses_a_malformed_size(no_keys, tmp_path):
    result = CliRunner().invoke(
        generate, ["-p", "x", "--size", "big", "-o", str(tmp_path / "x.png")], env=no_keys
    )
    assert result.exit_code == 2 and "WIDTHxHEIGHT" in result.output


def test_cli_bench_models_measures_local_models_as_json(no_keys):
    result = CliRunner().invoke(
        models, ["--models", "local-procedural", "-n", "3", "--size", "256x256", "--json"], env=no_keys
    )
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout.strip().splitlines()[-1])
    assert row["model"] == "local-procedural" and row["calls"] == 3 and row["error_rate"] == 0.0


def test_bench_summary_percentiles_and_error_rate():
    runs = [Attempt("m", "ok", latency_s=s, cost_usd=0.01) for s in (1.0, 2.0, 3.0, 4.0)]
    runs.append(Attempt("m", "ProviderTimeout", latency_s=30.0, cost_usd=0.01))
    row = summarize_runs("m", runs)
    assert (row["p50_s"], row["p95_s"], row["error_rate"], row["cost_usd"]) == (3.0, 4.0, 0.2, 0.05)
    assert row["errors"] == {"ProviderTimeout": 1}


def test_sandbox_serves_the_emulators_and_the_gateway_generates_through_them(settings, redis_prefix):
    from ogservice.gateway.decision import RouteContext
    from ogservice.gateway.sandbox import start_sandbox
    from ogservice.gateway.service import Gateway

    with start_sandbox(speed=0) as endpoints:
        env = dict(part.split("=", 1) for ep in endpoints for line in ep.env for part in line.split()[1:])
        assert {"OGS_OPENAI_BASE_URL", "OGS_OPENAI_API_KEY"} <= env.keys()
        overrides = {k.removeprefix("OGS_").lower(): v for k, v in env.items()}
        configured = load_settings(dev=True, redis_prefix=redis_prefix, **overrides)
        gateway = Gateway.from_settings(configured)
        try:
            req = ImageRequest(prompt="a lighthouse at dusk", width=1024, height=1024)
            result = gateway.generate(req, RouteContext(model="gpt-image-1", tier="pro"))
        finally:
            gateway.close()
    assert result.model == "gpt-image-1" and result.image.provider == "openai"
    assert [a.outcome for a in result.attempts] == ["ok"] and result.cost_usd > 0


def test_sandbox_without_a_checkout_says_so(tmp_path):
    from ogservice.gateway.sandbox import SandboxError, find_checkout

    with pytest.raises(SandboxError, match="source checkout"):
        find_checkout([tmp_path])


def test_cli_spend_shows_the_ledger_per_model_and_tier(no_keys, tmp_path, redis_prefix):
    from ogservice.gateway.cli_run import spend

    env = {**no_keys, "OGS_REDIS_PREFIX": redis_prefix}
    args = [
        "--prompt",
        "calm gradient background",
        "--size",
        "320x200",
        "--tier",
        "pro",
        "-o",
        str(tmp_path / "x.png"),
    ]
    assert CliRunner().invoke(generate, args, env=env).exit_code == 0
    result = CliRunner().invoke(spend, ["--json"], env=env)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["calls"] == 1 and summary["by_tier"]["pro"]["calls"] == 1
    assert list(summary["by_model"]) == ["local-procedural"] and summary["actual_usd"] == 0.0
    text = CliRunner().invoke(spend, [], env=env).output
    assert "local-procedural" in text and "tier pro" in text


def test_cli_generate_for_a_tenant_takes_its_tier_unless_told(no_keys, tmp_path, redis_client, redis_prefix):
    from ogservice.gateway.cli_run import spend
    from ogservice.tenants.store import TenantStore

    TenantStore(redis_client, redis_prefix).create_key("acme", tier="enterprise", budget_usd=1)
    base = ["--prompt", "calm gradient background", "--size", "320x200", "-o", str(tmp_path / "x.png")]
    for extra in ([], ["--tier", "free"]):
        done = CliRunner().invoke(generate, [*base, "--tenant", "acme", *extra], env=no_keys)
        assert done.exit_code == 0, done.output
    summary = json.loads(CliRunner().invoke(spend, ["--tenant", "acme", "--json"], env=no_keys).output)
    assert {tier: row["calls"] for tier, row in summary["by_tier"].items()} == {"enterprise": 1, "free": 1}
