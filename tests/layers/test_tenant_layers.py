"""Layers are shared by content across tenants, but what one tenant may use stays its own: a tier
never gets a stored layer made by a model it is not offered, and one tenant's empty budget never
sets another tenant's layers locally."""

from __future__ import annotations

import time

import pytest
from PIL import Image

from ogservice.cards.fields import parse_card_request
from ogservice.cards.templates import BUNDLED_DIR, load_templates
from ogservice.layers.assets import Failure, Made
from ogservice.layers.outcomes import Local, Pending, Ready
from ogservice.layers.service import LayerService
from ogservice.layers.spec import LayerSpec
from ogservice.tenants.model import Tenant

FREE = Tenant(name="hobby", tier="free", budget_usd=1.0)
PRO = Tenant(name="acme", tier="pro", budget_usd=1.0)


@pytest.fixture
def layers(queued_layers: LayerService) -> LayerService:
    return queued_layers


def _background(service: LayerService, tenant: Tenant) -> LayerSpec:
    template = load_templates([BUNDLED_DIR])["blog-post"]
    req = parse_card_request(template, [("title", "Shared"), ("bg", "ai")], service.settings.max_pixels)
    (spec,) = service.plan(req, tenant)
    assert isinstance(spec, LayerSpec) and spec.tenant == tenant.name and spec.tier == tenant.tier
    return spec


def test_a_stored_layer_made_by_a_model_the_tier_excludes_is_not_used_on_that_tier(
    layers: LayerService,
) -> None:
    free, pro = _background(layers, FREE), _background(layers, PRO)
    assert free.key == pro.key  # the same layer: shared by content
    # A pro tenant's job fell back to a pro-only model; the layer is stored under the planned key.
    made = Made("imagen-4-ultra", "google", 0.06, 3.0, time.time())
    layers.resolver.layers.save(pro.key, Image.new("RGB", (64, 64), "navy"), made)
    (for_pro,) = layers.resolve([pro], time.monotonic())
    (for_free,) = layers.resolve([free], time.monotonic())
    assert isinstance(for_pro, Ready)
    assert isinstance(for_free, Local) and for_free.reason == "tier" and "imagen-4-ultra" in for_free.detail


def test_one_tenants_budget_failure_holds_for_that_tenant_only(layers: LayerService) -> None:
    broke, acme = _background(layers, FREE), _background(layers, PRO)
    layers.resolver.failures.fail(broke.key, Failure("budget", "no money left"), 300, broke.tenant)
    (for_broke,) = layers.resolve([broke], time.monotonic())
    (for_acme,) = layers.resolve([acme], time.monotonic())
    assert isinstance(for_broke, Local) and for_broke.reason == "budget"
    assert isinstance(for_acme, Pending)  # acme's job is queued: its budget pays
