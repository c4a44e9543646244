"""How a card's AI layers came out, said in response headers and by the CLI.

    X-Ogs-Layers: background=flux-schnell;fresh, title=local;ocr-mismatch
    Server-Timing: layer-background;dur=412.0;desc="flux-schnell fresh", ...

Only layers a request asked a model for are reported; a card without AI layers has no header.
"""

from __future__ import annotations

from collections.abc import Sequence

from .outcomes import Local, Outcome, Pending, Ready

# Why a layer is set locally. Final reasons hold until the configuration or the inputs change, so a
# card made with them is stored and cached like any card; the others may clear within minutes, so
# such a card is served with a short max-age and is not stored as final.
REASONS = {
    "pending": "its model is still working (provisional card)",
    "ai-off": "no Redis reachable at start-up, so no layer queue",
    "queue-down": "the layer queue (Redis) failed just now",
    "no-model": "the router plans no remote model (no provider configured for this tier)",
    "budget": "the predicted cost exceeds what remains of today's budget (the request's tenant's)",
    "tier": "the stored layer was made by a model the request's tier is not offered",
    "unavailable": "every candidate model is unhealthy (circuit open) or unreachable",
    "refused": "the model refused the prompt (safety)",
    "model-error": "every candidate model failed",
    "worker-error": "the layer job crashed, timed out or lost its worker, beyond its retries",
    "ocr-mismatch": "OCR did not read the expected words in the model's lettering",
    "ocr-unsure": "OCR could not read the model's lettering confidently",
    "ocr-no-text": "no lettering was found in the model's image",
    "ocr-unsupported-script": "the text is in a script the OCR guard cannot read, so it is never sent",
    "ocr-ambiguous": "OCR reads look-alike misspellings of this text as the text, so it is never sent",
}
FINAL_REASONS = frozenset(
    {
        "no-model",
        "tier",
        "refused",
        "ocr-mismatch",
        "ocr-unsure",
        "ocr-no-text",
        "ocr-unsupported-script",
        "ocr-ambiguous",
    }
)


def state(outcome: Outcome) -> tuple[str, str]:
    """(who made it, how): ("flux-schnell", "fresh"), ("local", "pending"), ("local", "budget")."""
    if isinstance(outcome, Ready):
        return outcome.layer.made.model, "fresh" if outcome.fresh else "cached"
    if isinstance(outcome, Pending):
        return "local", "pending"
    return "local", outcome.reason


def layers_header(outcomes: Sequence[Outcome]) -> str:
    """The X-Ogs-Layers value ('' when no layer asked for a model)."""
    return ", ".join(f"{o.slot}={';'.join(state(o))}" for o in outcomes)


def timing_entries(outcomes: Sequence[Outcome]) -> list[str]:
    """Server-Timing entries: how long this request waited for each layer, and its state."""
    return [f'layer-{o.slot};dur={o.waited_ms:.2f};desc="{" ".join(state(o))}"' for o in outcomes]


def is_final(outcomes: Sequence[Outcome]) -> bool:
    """True when nothing about these layers will change by itself: the card may be stored and cached."""
    return all(isinstance(o, Ready) or (isinstance(o, Local) and o.reason in FINAL_REASONS) for o in outcomes)


def is_provisional(outcomes: Sequence[Outcome]) -> bool:
    """True when a layer is still being made: the same URL will serve the final card later."""
    return any(isinstance(o, Pending) for o in outcomes)


def card_part(outcome: Outcome) -> str:
    """What a layer contributes to the card's key: its asset digest, or how it was set locally."""
    return outcome.layer.digest if isinstance(outcome, Ready) else ":".join(("local", state(outcome)[1]))


def describe(outcome: Outcome) -> str:
    """One line for people (the CLI): who made the layer, at what cost, how long it took, or why not."""
    if isinstance(outcome, Ready):
        made = outcome.layer.made
        return f"{outcome.slot}: {made.model} ({made.provider}), ${made.cost_usd:.4f}, {made.seconds:.1f} s"
    reason = "pending" if isinstance(outcome, Pending) else outcome.reason
    detail = f" ({outcome.detail})" if isinstance(outcome, Local) and outcome.detail else ""
    return f"{outcome.slot}: set locally: {reason} - {REASONS.get(reason, reason)}{detail}"
