"""What a gateway run returns or raises: every attempt, the result, and the two failure kinds."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ServiceUnavailable, UnprocessableField
from .decision import Decision
from .request import GeneratedImage


@dataclass(frozen=True)
class Attempt:
    """One call (or skipped candidate): its outcome, error, latency, booked cost and what came next."""

    model: str
    outcome: str  # "ok", the error class name, or "skipped"
    error: str = ""
    latency_s: float = 0.0
    cost_usd: float = 0.0  # what the vendor bills for it (policy.billed): 0 for a 429, 401/403, 4xx
    action: str = ""  # the policy's verdict after a failure, e.g. "retry: honouring Retry-After 1.0s"


@dataclass(frozen=True)
class GatewayResult:
    """The image, the decision that led to it and every attempt made on the way."""

    image: GeneratedImage
    decision: Decision
    attempts: tuple[Attempt, ...]

    @property
    def cost_usd(self) -> float:
        """What the vendor bills for all attempts (policy.billed), vendor-reported where known."""
        return round(sum(a.cost_usd for a in self.attempts), 6)

    @property
    def model(self) -> str:
        return self.image.model


class GenerationFailed(ServiceUnavailable):
    """Every candidate failed or was skipped; `attempts` says how."""

    title = "Image generation failed"

    def __init__(self, detail: str, decision: Decision, attempts: tuple[Attempt, ...]) -> None:
        super().__init__(detail, attempts=[a.__dict__ for a in attempts])
        self.decision, self.attempts = decision, attempts


class GenerationRefused(UnprocessableField):
    """The model's safety system refused the prompt; no other model was tried."""

    title = "Prompt refused"

    def __init__(self, detail: str, decision: Decision, attempts: tuple[Attempt, ...]) -> None:
        super().__init__(detail, attempts=[a.__dict__ for a in attempts])
        self.decision, self.attempts = decision, attempts
