"""FLUX input rules shared by the hosts that serve it by URL (fal, Replicate): steps, guidance, drops.

Both hosts take the same canonical knobs: quality picks `num_inference_steps` unless `steps` is given
(clamped to the model's range), guidance is clamped or dropped, and options FLUX has no field for are
dropped with a note. Only the guidance field name differs (`guidance_scale` on fal, `guidance` on
Replicate), so the callers pass it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..request import ImageRequest
from ..sizes import SizeChoice, requested_label

if TYPE_CHECKING:
    from ..catalog import ModelSpec

QUALITIES = ("draft", "standard", "high", "ultra")


@dataclass(frozen=True)
class FluxInputs:
    """What one FLUX endpoint accepts beyond prompt/size/seed: step range, quality presets, guidance."""

    steps: tuple[int, int] | None  # inclusive num_inference_steps range, None when not accepted
    quality_steps: tuple[int, int, int, int] = (4, 4, 4, 4)  # draft, standard, high, ultra
    guidance: tuple[float, float] | None = None  # guidance range, None when not accepted


@dataclass(frozen=True)
class Plan:
    """The vendor input for one request plus the honest account of what was changed."""

    input: dict[str, Any]
    requested: str
    produced: str
    notes: tuple[str, ...]

    def image_fields(self, seed: int | None) -> dict[str, Any]:
        """The GeneratedImage fields this plan reports, with the seed the vendor used."""
        return {"requested": self.requested, "produced": self.produced, "notes": self.notes, "seed": seed}


def steps_notes(req: ImageRequest, model: FluxInputs, fields: dict[str, Any]) -> list[str]:
    """Quality -> num_inference_steps (an explicit `steps` wins, clamped to the model's range)."""
    if model.steps is None:
        return [f"steps={req.steps} not supported; dropped"] if req.steps else []
    low, high = model.steps
    wanted = req.steps or model.quality_steps[QUALITIES.index(req.quality)]
    fields["num_inference_steps"] = min(max(wanted, low), high)
    if fields["num_inference_steps"] != wanted:
        return [f"steps={wanted} outside {low}-{high}; using {fields['num_inference_steps']}"]
    return []


def guidance_notes(
    req: ImageRequest, model: FluxInputs, spec: ModelSpec, fields: dict[str, Any], key: str
) -> list[str]:
    """`fields[key]` = the guidance clamped to the model's range; dropped with a note where not taken."""
    if req.guidance is None:
        return []
    if model.guidance is None:
        return [f"guidance not supported by {spec.vendor_model}; dropped"]
    low, high = model.guidance
    fields[key] = min(max(req.guidance, low), high)
    return [] if fields[key] == req.guidance else [f"guidance clamped to {fields[key]}"]


def unsupported_notes(req: ImageRequest, spec: ModelSpec) -> list[str]:
    """Notes for canonical options no FLUX endpoint accepts."""
    dropped = [name for name in ("negative_prompt", "style") if getattr(req, name)]
    dropped += ["transparent"] if req.transparent else []
    return [f"{name} not supported by {spec.vendor_model}; dropped" for name in dropped]


def finish_plan(
    req: ImageRequest,
    spec: ModelSpec,
    model: FluxInputs,
    fields: dict[str, Any],
    size: SizeChoice,
    guidance_key: str,
) -> Plan:
    """Seed, steps, guidance and dropped options onto a host's fields, then the spec's own options."""
    if req.seed is not None:
        fields["seed"] = req.seed
    notes = [size.note] if size.note else []
    notes += steps_notes(req, model, fields) + guidance_notes(req, model, spec, fields, guidance_key)
    notes += unsupported_notes(req, spec)
    fields.update(spec.options)
    return Plan(fields, requested_label(req), size.value, tuple(notes))
