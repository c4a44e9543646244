"""Planning AI layers: which layers ask a model, with what prompt and key; the card key follows them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ogservice.cards.fields import parse_card_request
from ogservice.config import load_settings
from ogservice.gateway.service import Gateway
from ogservice.layers.assets import Made, ReadyLayer
from ogservice.layers.outcomes import Local, Pending, Ready
from ogservice.layers.plan import NO_TEXT, plan_asks
from ogservice.layers.report import card_part, is_final, is_provisional, layers_header, timing_entries
from ogservice.layers.route import specify
from ogservice.layers.spec import LayerSpec
from ogservice.pipeline import CardService
from ogservice.store import open_store


@pytest.fixture(scope="module")
def cards(tmp_path_factory: pytest.TempPathFactory) -> CardService:
    settings = load_settings(dev=True, data_dir=tmp_path_factory.mktemp("plan"))
    return CardService(settings, open_store(settings))


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    """fal and Ideogram configured (nothing is called: planning only routes)."""
    settings = load_settings(
        dev=True, fal_api_key="k", fal_base_url="http://127.0.0.1:9", ideogram_api_key="k",
        ideogram_base_url="http://127.0.0.1:9",
    )  # fmt: skip
    gateway = Gateway.from_settings(settings)
    yield gateway
    gateway.close()


def _request(cards: CardService, template: str, **fields: str):
    return parse_card_request(cards.template(template), list(fields.items()), 10_000_000)


def _spec(cards: CardService, gateway: Gateway, template: str, **fields: str) -> list[LayerSpec | Local]:
    req = _request(cards, template, **fields)
    return [specify(ask, gateway, template, "free", None) for ask in plan_asks(req)]


def test_cards_without_ai_fields_plan_nothing_and_keep_their_key(cards: CardService) -> None:
    req = _request(cards, "blog-post", title="Hello")
    assert plan_asks(req) == []
    assert cards.request_key(req) == cards.request_key(req, [])


def test_a_background_prompt_never_carries_the_title_and_always_says_no_text(cards: CardService) -> None:
    (ask,) = plan_asks(_request(cards, "blog-post", title="Secret Title", bg="ai", theme="sunset"))
    assert ask.slot == "background" and "Secret Title" not in ask.prompt
    assert "sunset" in ask.prompt and ask.prompt.endswith(NO_TEXT)
    assert (ask.width, ask.height) == (1200, 630)
    custom = plan_asks(_request(cards, "blog-post", title="T", bg="ai", bg_prompt="misty pine forest"))[0]
    assert custom.prompt == f"misty pine forest, {NO_TEXT}"  # bg_prompt replaces the template's prompt


def test_posts_sharing_a_background_prompt_share_one_layer(cards: CardService, gateway: Gateway) -> None:
    (one,) = _spec(cards, gateway, "blog-post", title="First post", bg="ai", bg_prompt="team offsite")
    (two,) = _spec(cards, gateway, "blog-post", title="Second post", bg="ai", bg_prompt="team offsite")
    assert isinstance(one, LayerSpec) and isinstance(two, LayerSpec)
    assert one.model == "flux-schnell" and one.key == two.key


def test_the_layer_key_follows_model_prompt_size_and_seed(cards: CardService, gateway: Gateway) -> None:
    (base,) = _spec(cards, gateway, "blog-post", title="T", bg="ai")
    assert isinstance(base, LayerSpec)
    variants = [
        base.model_copy(update={"model": "flux-dev"}),
        base.model_copy(update={"request": base.request.model_copy(update={"prompt": "other"})}),
        base.model_copy(update={"request": base.request.model_copy(update={"width": 1080})}),
        base.model_copy(update={"request": base.request.model_copy(update={"seed": 7})}),
    ]
    assert len({base.key, *(v.key for v in variants)}) == 5
    # Who asked does not make another layer: tenant and template are accounting, not pixels.
    assert base.model_copy(update={"tenant": "acme", "template": "hero"}).key == base.key


def test_lettering_is_asked_for_each_layer_the_template_letters(cards: CardService, gateway: Gateway) -> None:
    planned = _spec(cards, gateway, "promo-banner", headline="BEST DEALS", discount="-25%", lettering="ai")
    assert [(p.slot, p.model) for p in planned] == [("discount", "ideogram-v3"), ("headline", "ideogram-v3")]
    headline = planned[1]
    assert isinstance(headline, LayerSpec) and headline.text == "BEST DEALS"
    assert headline.request.transparent and '"BEST DEALS"' in headline.request.prompt
    without_badge = _spec(cards, gateway, "promo-banner", headline="SALE", lettering="ai")
    assert [p.slot for p in without_badge] == ["headline"]  # an empty layer is not drawn at all


def test_text_ocr_cannot_tell_from_its_lookalikes_is_set_locally(
    cards: CardService, gateway: Gateway
) -> None:
    discount, headline = _spec(
        cards, gateway, "promo-banner", headline="SALE 50% OFF", discount="-50%", lettering="ai"
    )
    assert isinstance(headline, Local) and (headline.slot, headline.reason) == ("headline", "ocr-ambiguous")
    assert isinstance(discount, Local) and "'0'" in discount.detail  # a model's "-5O%" reads as "-50%"


def test_no_model_is_planned_without_a_configured_provider(cards: CardService) -> None:
    bare = Gateway.from_settings(load_settings(dev=True))
    (ask,) = plan_asks(_request(cards, "blog-post", title="T", bg="ai"))
    planned = specify(ask, bare, "blog-post", "free", None)
    bare.close()
    assert isinstance(planned, Local) and planned.reason == "no-model"


def _ready(slot: str, digest: str, kind: str = "background") -> Ready:
    made = Made("flux-schnell", "fal", 0.003, 1.2, 0.0)
    return Ready(slot, kind, ReadyLayer(b"", digest, made), fresh=True, waited_ms=12.5)


def test_the_card_key_changes_when_a_layer_changes(cards: CardService) -> None:
    req = _request(cards, "blog-post", title="Hello", bg="ai")
    keys = {
        cards.request_key(req, [_ready("background", "a" * 64)]),
        cards.request_key(req, [_ready("background", "b" * 64)]),
        cards.request_key(req, [Pending("background", "background", "flux-schnell")]),
        cards.request_key(req, [Local("background", "background", "budget")]),
    }
    assert len(keys) == 4
    assert card_part(_ready("background", "c" * 64)) == "c" * 64


def test_the_report_says_who_made_each_layer_or_why_not() -> None:
    outcomes = [_ready("background", "d" * 64), Local("title", "lettering", "ocr-mismatch")]
    assert layers_header(outcomes) == "background=flux-schnell;fresh, title=local;ocr-mismatch"
    assert timing_entries(outcomes)[0] == 'layer-background;dur=12.50;desc="flux-schnell fresh"'
    assert is_final(outcomes) and not is_provisional(outcomes)
    pending = [*outcomes, Pending("headline", "lettering", "ideogram-v3")]
    assert is_provisional(pending) and not is_final(pending)
    assert not is_final([Local("background", "background", "model-error")])  # may work again soon
