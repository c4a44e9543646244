"""LayerAsk -> LayerSpec: the canonical image request and the model the router plans for it.

The planned model is the router's choice for the tier and the rules with every configured
provider healthy and no budget or deadline filter: it names the layer (see LayerSpec.key), so the
key does not change while a breaker is open or the day's budget runs low. Whether a model can be
paid for and reached right now is asked separately (`live_reason`), per request.
"""

from __future__ import annotations

from typing import Any

from ..gateway.decision import Decision, RouteContext
from ..gateway.request import ImageRequest, Tier
from ..lettering.prompt import LetteringStyle
from .outcomes import Local
from .plan import LayerAsk
from .spec import LayerSpec


def specify(ask: LayerAsk, gateway: Any, template: str, tier: Tier, tenant: str | None) -> LayerSpec | Local:
    """The layer's spec, or Local with the reason it is set without asking a model."""
    req = ImageRequest(
        prompt=ask.prompt or ask.text, width=ask.width, height=ask.height, seed=ask.seed, quality=ask.quality
    )
    decision: Decision = gateway.router.decide(req, planning_context(gateway, ask, tier))
    spec = gateway.catalog.find(decision.model)
    if spec is None or spec.provider == "local":
        return Local(ask.slot, ask.kind, "no-model", decision.reasons[-1] if decision.reasons else "")
    if ask.kind == "lettering":
        from ..lettering import lettering_prompt, ocr_can_confirm, ocr_can_read

        readable, why = ocr_can_read(ask.text)
        if not readable:
            return Local(ask.slot, ask.kind, "ocr-unsupported-script", why)  # never sent to a model
        confirmable, why = ocr_can_confirm(ask.text)
        if not confirmable:
            return Local(ask.slot, ask.kind, "ocr-ambiguous", why)  # never sent: OCR could not prove it
        # Transparent where the model can; else on a flat background the job keys out.
        transparent = spec.capabilities.transparency
        prompt = lettering_prompt(ask.text, ask.style or LetteringStyle(), transparent)
        req = req.model_copy(update={"prompt": prompt, "transparent": transparent})
    return LayerSpec(
        slot=ask.slot,
        kind=ask.kind,
        text=ask.text,
        request=req,
        intent=ask.intent,
        model=spec.id,
        vendor_model=spec.vendor_model,
        options=dict(spec.options),
        template=template,
        tier=tier,
        tenant=tenant,
    )


def planning_context(gateway: Any, ask: LayerAsk, tier: Tier) -> RouteContext:
    """Rules and configuration only: every configured provider counts as healthy, no budget filter."""
    return RouteContext(
        tier=tier,
        quality=ask.quality,  # type: ignore[arg-type]
        layer="background" if ask.kind == "background" else "typography",
        intent=ask.intent,
        configured_providers=frozenset(gateway.providers) | {"local"},
    )


def job_context(spec: LayerSpec, deadline_s: float | None) -> RouteContext:
    """The context a worker generates with (the gateway adds health and budget)."""
    return RouteContext(
        tier=spec.tier,
        quality=spec.request.quality,
        layer="background" if spec.kind == "background" else "typography",
        intent=spec.intent,
        deadline_s=deadline_s,
        template=spec.template,
    )


def live_reason(spec: LayerSpec, gateway: Any) -> str:
    """'' when a remote model can make this layer now; else 'budget' or 'unavailable'."""
    ctx = gateway.context(job_context(spec, None), spec.tenant)
    decision: Decision = gateway.router.decide(spec.request, ctx)
    chosen = gateway.catalog.find(decision.model)
    if chosen is not None and chosen.provider != "local":
        return ""
    planned = gateway.catalog.find(spec.model)
    cost = (
        planned.price_for(spec.request.quality, spec.request.width, spec.request.height) if planned else 0.0
    )
    budget = ctx.budget_remaining_usd
    return "budget" if budget is not None and cost > budget else "unavailable"
