"""The shipped catalog and rules against the vendors' lifecycle (providers.md, update 2026-12).

No rule may select a model the vendor has shut down; a deprecated model is never a first choice; every
rule keeps a live remote model for each tier it serves; the catalog's prices are the vendors' figures.
"""

from __future__ import annotations

import itertools
from typing import get_args

import pytest

from ogservice.gateway.catalog import load_catalog
from ogservice.gateway.decision import RouteContext
from ogservice.gateway.intent import INTENTS
from ogservice.gateway.request import ImageRequest, Layer, Quality, Tier
from ogservice.gateway.router import Router, load_rules

CATALOG = load_catalog()
ROUTER = Router(CATALOG, load_rules())
ALL_PROVIDERS = frozenset(
    {"openai", "ideogram", "gemini", "vertex", "stability", "fal", "replicate", "local"}
)
LAYERS: tuple[Layer | None, ...] = (None, *get_args(Layer))
SIZES = ((1024, 1024), (1200, 630), (1080, 1920), (4096, 1024))
# (budget, deadline, async_ok, transparent): no limits, tight money, tight time, provisional results.
LIMITS = (
    (None, None, False, False),
    (0.02, None, False, False),
    (0.1, 20.0, False, True),
    (None, 10.0, True, False),
    (0.5, 60.0, False, False),
)
SHUT_DOWN = {  # id -> the date providers.md gives
    "imagen-4-fast": "2026-08-17",
    "imagen-4": "2026-08-17",
    "imagen-4-ultra": "2026-08-17",
    "nano-banana": "2026-10-02",
    "gpt-image-1": "2026-10-23",
    "dall-e-3": "2026-05-12",
}


def _decisions(**ctx: object):
    """Every intent x tier x quality x layer x size x limits, each with the router's decision."""
    keys = itertools.product(INTENTS, get_args(Tier), get_args(Quality), LAYERS, SIZES, LIMITS)
    for intent, tier, quality, layer, (width, height), (budget, deadline, async_ok, transparent) in keys:
        req = ImageRequest(prompt="a lighthouse at dusk", width=width, height=height, transparent=transparent)
        context = RouteContext(
            intent=intent,
            tier=tier,
            quality=quality,
            layer=layer,
            budget_remaining_usd=budget,
            deadline_s=deadline,
            async_ok=async_ok,
            configured_providers=ALL_PROVIDERS,
            **ctx,
        )
        yield (
            (intent, tier, quality, layer, width, height, budget, deadline, transparent),
            ROUTER.decide(req, context),
        )


def test_the_catalog_marks_every_shut_down_model_retired_with_its_date():
    for model_id, date in SHUT_DOWN.items():
        retired = CATALOG.get(model_id).retired
        assert retired and retired.startswith(date), model_id
    deprecated = CATALOG.get("gpt-image-1.5").deprecated
    assert deprecated and deprecated.startswith("2026-12-01") and not CATALOG.get("gpt-image-1.5").retired


def test_the_shipped_rules_name_no_retired_model():
    named = {(rule.name, model_id) for rule in ROUTER.rules for model_id in rule.prefer}
    assert not {(rule, m) for rule, m in named if CATALOG.get(m).retired}


def test_no_rule_can_select_a_retired_model_in_any_context():
    retired = {spec.id for spec in CATALOG.models if spec.retired} | set(SHUT_DOWN)
    # Open breakers on the first choices push the router down the lists, where successors' fallbacks sit.
    for unhealthy in (
        frozenset(),
        frozenset({"nano-banana-2", "gpt-image-2", "ideogram-v3", "flux-schnell"}),
    ):
        for key, decision in _decisions(unhealthy_models=unhealthy):
            assert not set(decision.candidates()) & retired, (key, decision.candidates())


def test_a_retired_model_is_still_used_when_named_explicitly():
    ctx = RouteContext(model="imagen-4", configured_providers=ALL_PROVIDERS)
    decision = ROUTER.decide(ImageRequest(prompt="a lake"), ctx)
    assert decision.model == "imagen-4"
    assert any(r.startswith("warning: imagen-4 is retired (2026-08-17") for r in decision.reasons)


def test_every_rule_has_a_live_remote_first_choice_that_is_not_deprecated_on_every_tier():
    """Only the tier filters here: a deprecated model may serve only when budget, transparency or an open
    breaker removed the live models before it (then it beats going local)."""
    for intent, tier, quality, layer in itertools.product(INTENTS, get_args(Tier), get_args(Quality), LAYERS):
        ctx = RouteContext(
            intent=intent, tier=tier, quality=quality, layer=layer, configured_providers=ALL_PROVIDERS
        )
        for width, height in SIZES:
            decision = ROUTER.decide(ImageRequest(prompt="a lighthouse", width=width, height=height), ctx)
            first = CATALOG.get(decision.model)
            assert first.provider != "local" and not first.deprecated, (
                intent,
                tier,
                quality,
                layer,
                first.id,
            )
            assert CATALOG.get(decision.candidates()[-1]).provider == "local"


@pytest.mark.parametrize(
    ("quality", "plain", "transparent"),
    [
        ("draft", 0.03, 0.04),
        ("standard", 0.06, 0.07),
        ("high", 0.09, 0.10),
        ("ultra", 0.09, 0.10),
    ],
)
def test_ideogram_v3_transparent_is_priced_apart(quality: Quality, plain: float, transparent: float):
    spec = CATALOG.get("ideogram-v3")
    assert spec.price_for(quality) == plain
    assert spec.price_for(quality, transparent=True) == transparent
    req = ImageRequest(prompt="a sticker", quality=quality, transparent=True)
    assert spec.price_of(req) == transparent


@pytest.mark.parametrize(
    ("size", "prices"),
    [
        ((1024, 1024), (0.006, 0.053, 0.211)),
        ((1536, 1024), (0.005, 0.041, 0.165)),
        ((1024, 1536), (0.005, 0.041, 0.165)),
        ((1200, 630), (0.005, 0.041, 0.165)),  # an Open Graph card is made at the landscape size's price
    ],
)
def test_gpt_image_2_prices_non_square_sizes_apart(size: tuple[int, int], prices: tuple[float, ...]):
    spec = CATALOG.get("gpt-image-2")
    assert tuple(spec.price_for(q, *size) for q in ("draft", "standard", "high")) == prices
    assert spec.price_for("ultra", *size) == prices[-1]


def test_the_router_predicts_the_transparent_price():
    ctx = RouteContext(model="ideogram-v3", configured_providers=ALL_PROVIDERS)
    decision = ROUTER.decide(ImageRequest(prompt="a sticker", transparent=True), ctx)
    assert (decision.model, decision.predicted_cost_usd) == ("ideogram-v3", 0.07)


def test_choosing_a_deprecated_model_says_so():
    ctx = RouteContext(intent="complex_scene", budget_remaining_usd=0.02, configured_providers=ALL_PROVIDERS)
    decision = ROUTER.decide(ImageRequest(prompt="a fox", quality="draft"), ctx)
    assert (
        decision.model == "gpt-image-1.5"
    )  # nano-banana-2 ($0.067) is over budget; local is the other choice
    assert any(r.startswith("warning: gpt-image-1.5 is deprecated (2026-12-01") for r in decision.reasons)
