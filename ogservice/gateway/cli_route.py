"""`ogservice route`: explain which model would serve a prompt, and the query model the HTTP API shares.

With no vendor keys only the local providers are configured, and routing still answers (local serves).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..config import PROVIDERS, ConfigError, load_settings
from ..validation import first_problem
from .catalog import load_catalog, unknown_model_message
from .decision import Decision, RouteContext
from .intent import INTENTS, Intent
from .request import ImageRequest, Layer, Quality, Tier
from .router import Router, load_rules

if TYPE_CHECKING:
    from ..config import Settings


class RouteQuery(BaseModel):
    """A routing question as users ask it (CLI flags or the POST /v1/route body)."""

    model_config = ConfigDict(
        frozen=True, extra="forbid",
        json_schema_extra={"examples": [{"prompt": "a red fox in snow, watercolour", "layer": "background"}]},
    )  # fmt: skip

    prompt: str = Field(min_length=1, max_length=32000)
    tier: Tier | None = None  # None: the OGS_TIER default
    quality: Quality = "standard"
    layer: Layer | None = None
    intent: Intent | None = None
    model: str | None = Field(None, min_length=1, max_length=100)
    size: str | None = Field(None, pattern=r"^[0-9]{2,4}x[0-9]{2,4}$", description="WxH")
    aspect_ratio: str | None = None
    transparent: bool = False
    budget: float | None = Field(None, ge=0, description="USD left to spend; None: the daily OGS_BUDGET_USD")
    deadline: float | None = Field(None, gt=0, description="seconds")

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("prompt is blank")
        return value

    def image_request(self) -> ImageRequest:
        """The canonical request; raises pydantic.ValidationError for an impossible size."""
        width, height = (int(p) for p in (self.size or "1024x1024").split("x"))
        return ImageRequest(
            prompt=self.prompt,
            width=width,
            height=height,
            aspect_ratio=self.aspect_ratio,
            quality=self.quality,
            transparent=self.transparent,
        )

    def context(self, settings: Settings, **known: Any) -> RouteContext:
        """RouteContext from the query and settings; `known` adds what a gateway knows (open breakers)."""
        return RouteContext(
            tier=self.tier or settings.tier,
            quality=self.quality,
            layer=self.layer,
            intent=self.intent,
            model=self.model,
            deadline_s=self.deadline,
            budget_remaining_usd=self.budget if self.budget is not None else settings.budget_usd,
            configured_providers=configured_providers(settings),
            **known,
        )


def configured_providers(settings: Settings) -> frozenset[str]:
    """'local' plus every provider whose key (or base URL) is set."""
    return frozenset({"local", *(p for p in PROVIDERS if settings.provider(p).configured)})


def build_router(settings: Settings) -> Router:
    """The router for these settings: OGS_MODELS_FILE or the shipped catalog; OGS_RULES_FILE or rules.toml."""
    return Router(load_catalog(settings.models_file), load_rules(settings.rules_file))


def decision_json(decision: Decision) -> dict[str, Any]:
    """The decision as the JSON object both the CLI (--json) and POST /v1/route answer with."""
    return decision.model_dump(mode="json")


def explain(decision: Decision) -> str:
    """A readable account of a decision for the terminal."""
    lines = [
        f"model:     {decision.model}",
        f"intent:    {decision.intent}",
        f"rule:      {decision.rule}",
        f"fallbacks: {', '.join(decision.fallbacks) or '(none)'}",
        f"predicted: ${decision.predicted_cost_usd:.4f}, ~{decision.predicted_latency_s:g} s",
    ]
    if decision.rejected:
        lines += ["rejected:", *(f"  - {r.model}: {r.reason}" for r in decision.rejected)]
    return "\n".join([*lines, "why:", *(f"  - {reason}" for reason in decision.reasons)])


@click.command("route")
@click.option("--prompt", required=True, help="The image prompt.")
@click.option("--tier", type=click.Choice(["free", "pro", "enterprise"]), help="Tier (default OGS_TIER).")
@click.option("--quality", type=click.Choice(["draft", "standard", "high", "ultra"]), default="standard")
@click.option("--layer", type=click.Choice(["background", "typography", "hero", "final", "image"]))
@click.option("--intent", type=click.Choice(INTENTS), help="Override intent detection.")
@click.option("--model", help="Ask for one model by id (rules skipped, filters still apply).")
@click.option("--size", help="WxH, e.g. 1200x630.")
@click.option("--transparent", is_flag=True, help="Require a transparent background.")
@click.option("--budget", type=float, help="USD left to spend (default OGS_BUDGET_USD).")
@click.option("--deadline", type=float, help="Seconds the image may take.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def route(as_json: bool, **options: Any) -> None:
    """Explain which model would serve a prompt: intent, rule, filters, fallbacks, cost and latency."""
    try:
        settings = _routing_settings()
        router = build_router(settings)
        query = RouteQuery(**{k: v for k, v in options.items() if v is not None and v is not False})
        req = query.image_request()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    except ValidationError as exc:
        raise click.UsageError(first_problem(exc)) from None
    if query.model and not router.knows(query.model):
        raise click.UsageError(unknown_model_message(query.model, router.catalog.ids()))
    decision = router.decide(req, query.context(settings))
    click.echo(json.dumps(decision_json(decision)) if as_json else explain(decision))


def _routing_settings() -> Settings:
    """Settings for routing: a setup that cannot serve yet (no signing key) may still explain routes."""
    try:
        return load_settings()
    except ConfigError as exc:
        # Signing keys matter for serving, not for routing: retry in dev mode (quietly: nothing is
        # wrong for this command), and if the configuration is still invalid, report the original.
        try:
            return load_settings(dev=True)
        except ConfigError:
            raise exc from None


COMMANDS = [route]
