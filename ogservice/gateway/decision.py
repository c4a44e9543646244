"""Types shared by the router (which decides) and the gateway (which executes the decision)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ..errors import UnprocessableField
from .request import Layer, Quality, Tier


class RouteContext(BaseModel):
    """Everything besides the prompt that a routing decision depends on; built per request."""

    model_config = ConfigDict(frozen=True)

    tier: Tier = "free"
    quality: Quality | None = None  # None: use the request's quality
    layer: Layer | None = None
    intent: str | None = None  # explicit override of intent detection
    model: str | None = None  # a named model: skip rules, still apply the hard filters
    # With a named model: may another model serve when it cannot? Without it the request fails
    # (ModelUnavailable, GenerationFailed) rather than silently answering with another model.
    fallback: bool = False
    budget_remaining_usd: float | None = None  # None: unlimited
    deadline_s: float | None = None  # None: no deadline
    # True when the caller answers within deadline_s with a provisional result (local stand-ins, e.g.
    # the AI-layers pipeline serving a provisional card) and takes the model's image later, from a
    # background job. Then deadline_s bounds the caller's wait, not the model: the router does not
    # reject a model for being slower than deadline_s (it only prefers one that arrives in time when
    # that one costs no more), and the gateway runs the job under the per-model timeouts alone.
    async_ok: bool = False
    configured_providers: frozenset[str] = frozenset({"local"})
    unhealthy_models: frozenset[str] = frozenset()  # open breakers
    refused_providers: frozenset[str] = frozenset()  # providers whose API key was refused (401/403)
    template: str | None = None  # not a routing input: the card template a call is for (the ledger)


class Rejected(BaseModel):
    """A candidate the router did not pick, and why (shown to users in the explanation)."""

    model_config = ConfigDict(frozen=True)

    model: str
    reason: str


class Decision(BaseModel):
    """The router's answer: the chosen model, its ordered fallbacks, and the full reasoning."""

    model_config = ConfigDict(frozen=True)

    model: str
    intent: str
    rule: str = Field(description="Name of the config rule that produced the preference list.")
    fallbacks: tuple[str, ...] = ()
    rejected: tuple[Rejected, ...] = ()
    predicted_cost_usd: float = 0.0
    predicted_latency_s: float = 0.0
    reasons: tuple[str, ...] = ()  # human-readable trail, e.g. "tier pro -> pro variant"
    requested: str | None = Field(
        None, description="The model named explicitly; `model` differs only when fallback was asked for."
    )

    @property
    def substituted(self) -> bool:
        """True when another model serves in place of the one named explicitly."""
        return self.requested is not None and self.model != self.requested

    def candidates(self) -> tuple[str, ...]:
        """Primary first, then fallbacks, in the order the gateway should try them."""
        return (self.model, *self.fallbacks)


class ModelUnavailable(UnprocessableField):
    """A model named explicitly cannot serve this request, and no fallback was asked for."""

    title = "Model unavailable"

    def __init__(self, model: str, reasons: tuple[str, ...]) -> None:
        why = "; ".join(reasons) or "no reason given"
        super().__init__(
            f"model {model!r} cannot serve this request: {why} "
            "(ask for a fallback to let another model serve)",
            field="model",
        )
        self.model, self.reasons = model, reasons
