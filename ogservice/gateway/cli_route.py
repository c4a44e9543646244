"""`ogservice route`: explain which model would serve a prompt, and the query model the HTTP API shares.

With no vendor keys only the local providers are configured, and routing still answers (local serves).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..config import ConfigError, load_settings
from ..errors import UnprocessableField
from ..validation import first_problem, problems
from .catalog import unknown_model_message
from .decision import Decision, ModelUnavailable, RouteContext
from .intent import INTENTS, Intent
from .request import ImageRequest, Layer, Quality, Tier

if TYPE_CHECKING:
    from ..config import Settings
    from .service import Gateway


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
    budget: float | None = Field(None, ge=0, description="USD left to spend; None: the tenant's daily budget")
    deadline: float | None = Field(None, gt=0, description="seconds")
    fallback: bool = Field(False, description="With `model`: may another model serve when it cannot?")

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("prompt is blank")
        return value

    @model_validator(mode="after")
    def _image_request_valid(self) -> RouteQuery:
        """Size and aspect ratio make a request a model can be asked (checked here, with the body)."""
        try:
            self.image_request()
        except ValidationError as exc:
            where, message = problems(exc)[0]  # no location: ImageRequest's own check names its fields
            raise ValueError(f"{where}: {message}" if where else message) from None
        return self

    def image_request(self) -> ImageRequest:
        """The canonical request (always valid: the query checked it when it was validated)."""
        width, height = (int(p) for p in (self.size or "1024x1024").split("x"))
        return ImageRequest(
            prompt=self.prompt,
            width=width,
            height=height,
            aspect_ratio=self.aspect_ratio,
            quality=self.quality,
            transparent=self.transparent,
        )

    def context(self, default_tier: Tier) -> RouteContext:
        """What the caller asked for; Gateway.context adds breakers, budget and configured providers."""
        return RouteContext(
            tier=self.tier or default_tier,
            quality=self.quality,
            layer=self.layer,
            intent=self.intent,
            model=self.model,
            fallback=self.fallback,
            deadline_s=self.deadline,
            budget_remaining_usd=self.budget,
        )


def decide(gateway: Gateway, query: RouteQuery, tier: Tier, tenant: str | None) -> Decision:
    """The decision the gateway would execute for `query`: the CLI's and POST /v1/route's one way."""
    if query.model and not gateway.router.knows(query.model):
        raise UnprocessableField(unknown_model_message(query.model, gateway.catalog.ids()), field="model")
    return gateway.route(query.image_request(), query.context(tier), tenant)


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
@click.option("--fallback", is_flag=True, help="With --model: let another model serve when it cannot.")
@click.option("--budget", type=float, help="USD left to spend (default: what is left today).")
@click.option("--deadline", type=float, help="Seconds the image may take.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def route(as_json: bool, **options: Any) -> None:
    """Explain which model would serve a prompt: intent, rule, filters, fallbacks, cost and latency."""
    from .service import Gateway

    try:
        settings = _routing_settings()
        query = RouteQuery(**{k: v for k, v in options.items() if v is not None and v is not False})
        gateway = Gateway.from_settings(settings)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    except ValidationError as exc:
        raise click.UsageError(first_problem(exc)) from None
    try:
        decision = decide(gateway, query, settings.tier, None)
    except ModelUnavailable as exc:
        raise click.ClickException(exc.detail) from None
    except UnprocessableField as exc:  # an unknown model id
        raise click.UsageError(exc.detail) from None
    finally:
        gateway.close()
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
