"""Gateway commands: `ogservice generate`, `ogservice bench models` (as `models`), `ogservice sandbox`.

`generate` goes through the router (or the named model) with the full failure policy and writes a
PNG of the requested size; a named model that cannot make the image fails the command with the
reason, unless `--fallback` lets another model serve (the output then names it);
`bench models` measures latency, errors and cost per model;
`sandbox` serves every vendor emulator on loopback so the whole gateway can be tried without keys.
"""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import click
import redis
from PIL import Image, ImageOps
from pydantic import ValidationError

from ..config import ConfigError, Settings, load_settings
from ..tenants.store import TenantStore
from ..validation import first_problem
from .decision import ModelUnavailable, RouteContext
from .request import GeneratedImage, ImageRequest

_SIZE = re.compile(r"([0-9]{2,4})x([0-9]{2,4})")
QUALITIES = click.Choice(["draft", "standard", "high", "ultra"])
TIERS = click.Choice(["free", "pro", "enterprise"])


def _settings() -> Settings:
    # Generating needs no signing key, so dev mode is forced as `render` does; vendor keys still apply.
    try:
        return load_settings(dev=True)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def parse_size(text: str) -> tuple[int, int]:
    """'1200x630' -> (1200, 630); click.BadParameter otherwise."""
    match = _SIZE.fullmatch(text.lower().strip())
    if not match:
        raise click.BadParameter(f"expected WIDTHxHEIGHT such as 1200x630, got {text!r}", param_hint="--size")
    return int(match[1]), int(match[2])


def fit_png(image: GeneratedImage, width: int, height: int) -> tuple[bytes, str]:
    """PNG bytes of exactly width x height (scaled to cover, centre-cropped) and a note when changed."""
    if (image.width, image.height) == (width, height) and image.media_type == "image/png":
        return image.data, ""
    with Image.open(io.BytesIO(image.data)) as src:
        fitted = ImageOps.fit(src.convert("RGBA"), (width, height), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    fitted.save(buf, "PNG")
    if (image.width, image.height) == (width, height):
        return buf.getvalue(), f"converted {image.media_type} to PNG"
    return (
        buf.getvalue(),
        f"{image.model} produced {image.width}x{image.height}; resized and cropped to {width}x{height}",
    )


def _request(prompt: str, size: str, quality: str, seed: int | None, transparent: bool) -> ImageRequest:
    width, height = parse_size(size)
    try:
        return ImageRequest(
            prompt=prompt, width=width, height=height, quality=quality, seed=seed, transparent=transparent
        )  # type: ignore[arg-type]
    except ValidationError as exc:
        raise click.ClickException(f"invalid request: {first_problem(exc)}") from None


@click.command()
@click.option("--prompt", "-p", required=True, help="What to generate; quoted text is typeset exactly.")
@click.option("--model", "-m", default=None, help="A catalog model id (default: let the router choose).")
@click.option("--fallback", is_flag=True, help="When --model cannot make the image, let another model serve.")
@click.option("--size", default="1200x630", show_default=True, help="Output WIDTHxHEIGHT.")
@click.option("--tier", type=TIERS, default=None, help="Routing tier (default: the tenant's, else OGS_TIER).")
@click.option("--quality", type=QUALITIES, default="standard", show_default=True)
@click.option("--seed", type=int, default=None, help="Seed, for models that take one.")
@click.option("--transparent", is_flag=True, help="Ask for a transparent background.")
@click.option("--deadline", type=float, default=None, help="Give up after this many seconds.")
@click.option("--tenant", default=None, help="Tenant whose tier, budget and ledger this call uses.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def generate(
    prompt: str,
    model: str | None,
    fallback: bool,
    size: str,
    tier: str | None,
    quality: str,
    seed: int | None,
    transparent: bool,
    deadline: float | None,
    tenant: str | None,
    output: Path,
) -> None:
    """Generate one image through the gateway and write a PNG of exactly the requested size."""
    from .service import Gateway, GenerationFailed, GenerationRefused

    req = _request(prompt, size, quality, seed, transparent)
    settings = _settings()
    tier = tier or _tier_of(settings, tenant)
    ctx = RouteContext(tier=tier, quality=quality, model=model, fallback=fallback, deadline_s=deadline)  # type: ignore[arg-type]
    gateway = Gateway.from_settings(settings)
    try:
        result = gateway.generate(req, ctx, tenant)
    except ModelUnavailable as exc:  # filtered before any call: tier, key refused, budget, unknown id
        raise click.ClickException(exc.detail) from None
    except (GenerationFailed, GenerationRefused) as exc:
        _echo_attempts(exc.attempts)
        raise click.ClickException(exc.detail) from None
    finally:
        gateway.close()
    data, note = fit_png(result.image, req.width, req.height)
    output.write_bytes(data)
    click.echo(
        f"model:    {result.model} ({result.image.provider}); rule {result.decision.rule}, "
        f"intent {result.decision.intent}"
    )
    for rejected in result.decision.rejected:
        click.echo(f"rejected: {rejected.model}: {rejected.reason}")
    _echo_attempts(result.attempts)
    substitute = f"{result.model} served in place of {model} (--fallback)" if model != result.model else ""
    for line in (*result.image.notes, note, substitute if model else ""):
        if line:
            click.echo(f"note:     {line}")
    click.echo(f"cost:     ${result.cost_usd:.4f}")
    click.echo(f"wrote {output} ({req.width}x{req.height}, {len(data):,} bytes)")


def _tier_of(settings: Settings, tenant: str | None) -> str:
    """The tenant's own tier when it has a record (`ogservice keys create`), else OGS_TIER."""
    if tenant is None:
        return settings.tier
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=0.5, socket_timeout=1)
    try:
        record = TenantStore(client, settings.redis_prefix).tenant(tenant)
    except redis.RedisError:
        record = None  # the budget, which fails closed, will say more
    finally:
        client.close()
    return record.tier if record else settings.tier


def _echo_attempts(attempts: Any) -> None:
    for n, a in enumerate(attempts, 1):
        detail = f" {a.error}" if a.error else ""
        then = f" -> {a.action}" if a.action else ""
        click.echo(
            f"attempt {n}: {a.model} {a.outcome} {a.latency_s * 1000:.0f} ms ${a.cost_usd:.4f}{detail}{then}"
        )


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarize_runs(model: str, runs: list[Any]) -> dict[str, Any]:
    """Figures for one model from its attempts: latency percentiles (successes), error rate, cost."""
    ok = [a.latency_s for a in runs if a.outcome == "ok"]
    errors = [a.outcome for a in runs if a.outcome != "ok"]
    return {
        "model": model,
        "calls": len(runs),
        "p50_s": round(percentile(ok, 0.5), 3),
        "p95_s": round(percentile(ok, 0.95), 3),
        "error_rate": round(len(errors) / max(1, len(runs)), 3),
        "errors": dict(sorted({e: errors.count(e) for e in errors}.items())),
        "cost_usd": round(sum(a.cost_usd for a in runs), 4),
    }


@click.command("models")
@click.option(
    "--models", "model_ids", default="", help="Comma-separated model ids (default: every usable one)."
)
@click.option("-n", "count", default=20, show_default=True, help="Calls per model.")
@click.option("--size", default="1024x1024", show_default=True)
@click.option("--quality", type=QUALITIES, default="draft", show_default=True)
@click.option("--max-usd", default=1.0, show_default=True, help="Refuse to start above this predicted spend.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per model, one per line.")
def models(model_ids: str, count: int, size: str, quality: str, max_usd: float, as_json: bool) -> None:
    """Measure p50/p95 latency, error rate and cost of each configured model (real calls, real money)."""
    from .service import Gateway

    gateway = Gateway.from_settings(_settings())
    try:
        req = _request("a lighthouse on a cliff at dusk, watercolor", size, quality, None, False)
        chosen = _bench_models(gateway, model_ids)
        _check_spend(gateway, chosen, req, count, max_usd)
        rows = _bench_run(gateway, chosen, req, count)
    finally:
        gateway.close()
    for row in rows:
        click.echo(json.dumps(row) if as_json else _row_text(row))


def _bench_models(gateway: Any, model_ids: str) -> list[str]:
    wanted = [m.strip() for m in model_ids.split(",") if m.strip()]
    usable = [m.id for m in gateway.catalog.models if m.provider in gateway.providers]
    for model in wanted:
        if model not in gateway.catalog:
            raise click.ClickException(f"unknown model {model!r}; usable: {', '.join(usable)}")
        if model not in usable:
            raise click.ClickException(f"{model}: its provider is not configured (set its OGS_*_API_KEY)")
    return wanted or usable


def _check_spend(gateway: Any, chosen: list[str], req: ImageRequest, count: int, max_usd: float) -> None:
    predicted = count * sum(gateway.catalog.get(m).price_of(req) for m in chosen)
    click.echo(f"benchmarking {', '.join(chosen)}: {count} calls each, predicted ${predicted:.2f}", err=True)
    if predicted > max_usd:
        raise click.ClickException(f"predicted spend ${predicted:.2f} is above --max-usd {max_usd:.2f}")


def _bench_run(gateway: Any, chosen: list[str], req: ImageRequest, count: int) -> list[dict[str, Any]]:
    runs: dict[str, list[Any]] = {m: [] for m in chosen}
    jobs = [(m, i) for i in range(count) for m in chosen]  # interleaved: a slow minute hits all models alike
    with click.progressbar(
        jobs, label="calling models", file=sys.stderr, item_show_func=lambda j: j[0] if j else ""
    ) as bar:
        for model, i in bar:
            _, attempt = gateway.call_once(model, req.model_copy(update={"seed": i}))
            runs[model].append(attempt)
    return [summarize_runs(m, r) for m, r in runs.items()]


def _row_text(row: dict[str, Any]) -> str:
    errors = ", ".join(f"{k} x{v}" for k, v in row["errors"].items()) or "-"
    return (
        f"{row['model']:<28} p50 {row['p50_s']:6.2f}s  p95 {row['p95_s']:6.2f}s  "
        f"errors {row['error_rate']:5.1%}  cost ${row['cost_usd']:.4f}  ({errors})"
    )


@click.command()
@click.option("--port-base", type=int, default=0, help="First port (one per vendor); default: any free port.")
@click.option(
    "--speed",
    type=float,
    default=10.0,
    show_default=True,
    help="Divide the catalog latency priors by this (1 = realistic, 0 = no delay).",
)
def sandbox(port_base: int, speed: float) -> None:
    """Serve every vendor emulator on loopback and print the OGS_* lines to point the gateway at them."""
    from .sandbox import SandboxError, run_forever

    try:
        run_forever(port_base=port_base, speed=speed, echo=click.echo)
    except SandboxError as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@click.option("--tenant", default=None, help="One tenant (default: all tenants).")
@click.option("--day", default=None, metavar="YYYY-MM-DD", help="Default: today (UTC).")
@click.option("--json", "as_json", is_flag=True, help="The summary as one JSON object.")
def spend(tenant: str | None, day: str | None, as_json: bool) -> None:
    """Show the cost ledger: predicted and actual spend per model, tier and tenant."""
    from .ledger import Ledger

    settings = _settings()
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=0.5, socket_timeout=1)
    summary = Ledger(client, settings.redis_prefix).spend(tenant, day)
    client.close()
    if as_json:
        click.echo(json.dumps(summary))
        return
    click.echo(
        f"{summary['day']} tenant {summary['tenant']}: ${summary['actual_usd']:.4f} actual, "
        f"${summary['predicted_usd']:.4f} predicted, {summary['calls']} calls, {summary['errors']} errors"
    )
    for model, row in summary["by_model"].items():
        click.echo(
            f"  {model:<24} ${row['actual_usd']:.4f}  {row['calls']:>5} calls  {row['errors']:>4} errors"
        )
    for tier, row in summary["by_tier"].items():
        click.echo(f"  tier {tier:<19} ${row['actual_usd']:.4f}  {row['calls']:>5} calls")
    for name, usd in summary.get("by_tenant", {}).items():
        click.echo(f"  tenant {name:<17} ${usd:.4f}")


COMMANDS = [generate, sandbox, spend]  # `models` joins the `bench` group (ogservice bench models)
