"""A layer job gives a slow model call time instead of abandoning it and paying for a second one.

Found by `ogservice bench ai`: flux-schnell's interactive attempt timeout is 10 s (1.5 x its 6 s
p95, at least 10 s); a call that took longer was abandoned and made again, two model calls for
one layer. A job has no one waiting (the card is provisional meanwhile), so it waits longer.
"""

from __future__ import annotations

from ogservice.cards.fields import parse_card_request
from ogservice.cards.templates import BUNDLED_DIR, load_templates
from ogservice.layers.jobs import LayerJob, open_services
from ogservice.layers.plan import plan_asks
from ogservice.layers.route import specify
from tests.emulators.fal import FalEmulator
from tests.layers.conftest import fal_submits, settings_from

SLOWER_THAN_INTERACTIVE_TIMEOUT_S = 11.0


def test_a_call_slower_than_the_interactive_timeout_is_made_once(
    layer_env: dict[str, str], fal: FalEmulator
) -> None:
    fal.slow.seconds = SLOWER_THAN_INTERACTIVE_TIMEOUT_S  # type: ignore[attr-defined]
    settings = settings_from(layer_env)
    template = load_templates([BUNDLED_DIR])["blog-post"]
    req = parse_card_request(template, [("title", "Patience"), ("bg", "ai")], settings.max_pixels)
    with open_services(settings) as services:
        (ask,) = plan_asks(req)
        spec = specify(ask, services.gateway, "blog-post", settings.tier, None)
        assert spec.model == "flux-schnell"
        result = LayerJob(services).run(spec)
    assert result["state"] == "ready"
    assert fal_submits(fal) == 1
