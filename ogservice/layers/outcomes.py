"""What resolving a layer gives: Ready (pixels from a model), Pending (being made), Local (and why)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .assets import ReadyLayer
from .spec import LayerSpec


@dataclass(frozen=True)
class Ready:
    """The generated layer is in the store; `fresh` when it arrived while this request waited."""

    slot: str
    kind: str
    layer: ReadyLayer
    fresh: bool = False
    waited_ms: float = 0.0


@dataclass(frozen=True)
class Pending:
    """Its job is queued or running; the card shows the local stand-in meanwhile."""

    slot: str
    kind: str
    model: str
    waited_ms: float = 0.0


@dataclass(frozen=True)
class Local:
    """Set locally, for a reason the report gives (see report.REASONS)."""

    slot: str
    kind: str
    reason: str
    detail: str = ""
    model: str = ""
    waited_ms: float = 0.0


Outcome = Ready | Pending | Local
Planned = LayerSpec | Local
Progress = Callable[[Sequence[Outcome], float], None]
