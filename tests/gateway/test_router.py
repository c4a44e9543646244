"""The router: the seeds' routing policy (shipped rules.toml) over a small test catalog, plus every filter."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import get_args

import pytest
from click.testing import CliRunner, Result

from ogservice.gateway.catalog import CatalogError, load_catalog
from ogservice.gateway.cli_route import route
from ogservice.gateway.decision import ModelUnavailable, RouteContext
from ogservice.gateway.intent import INTENTS
from ogservice.gateway.request import ImageRequest, Quality, Tier
from ogservice.gateway.router import RULES_FILE, Router, load_rules

ALL_REMOTE = frozenset({"openai", "ideogram", "gemini", "vertex", "stability", "fal", "replicate"})


def _model(mid: str, provider: str, price: str, p50: float, p95: float, **extra: str) -> str:
    lines = [f'id = "{mid}"', f'provider = "{provider}"', f"price = {price}",
             f"latency_p50_s = {p50}", f"latency_p95_s = {p95}", *(f"{k} = {v}" for k, v in extra.items())]
    return "[[model]]\n" + "\n".join(lines) + "\n"


# Prices and latencies in the spirit of providers.md, with the vendors' lifecycle as of 2026-12: Imagen 4,
# nano-banana (gemini-2.5-flash-image), gpt-image-1 and dall-e-3 are retired; gpt-image-1.5 is deprecated.
RETIRED = '"2026-xx: shut down by the vendor"'
TEST_CATALOG = "\n".join([
    _model("ideogram-v3", "ideogram", "{ draft = 0.03, standard = 0.06, high = 0.09, ultra = 0.09 }", 9, 20,
           price_transparent="{ draft = 0.04, standard = 0.07, high = 0.10, ultra = 0.10 }",
           capabilities="{ transparency = true }"),
    _model("ideogram-v2a", "ideogram", "{ default = 0.04 }", 8, 18),
    _model("ideogram-v2a-turbo", "ideogram", "{ default = 0.025 }", 3, 6),
    _model("ideogram-v2-turbo", "ideogram", "{ default = 0.05 }", 4, 8),
    _model("gpt-image-1.5", "openai",
           '{ draft = 0.009, standard = 0.034, high = 0.133, ultra = 0.133, "standard@1536x1024" = 0.05 }',
           8, 25, sizes='["1024x1024", "1536x1024", "1024x1536"]', capabilities="{ transparency = true }",
           deprecated='"2026-12-01: successor gpt-image-2"'),
    _model("gpt-image-1", "openai", "{ draft = 0.011, standard = 0.042, high = 0.167, ultra = 0.167 }",
           8, 25, retired='"2026-10-23: retired by OpenAI"'),
    _model("gpt-image-2", "openai",
           '{ draft = 0.006, standard = 0.053, high = 0.211, ultra = 0.211, "standard@1536x1024" = 0.041 }',
           60, 280, tiers='["pro", "enterprise"]'),
    _model("dall-e-3", "openai", "{ default = 0.04 }", 10, 18,
           retired='"2026-05-12: shut down by the vendor"'),
    _model("imagen-4-fast", "vertex", "{ default = 0.02 }", 3, 5, retired=RETIRED),
    _model("imagen-4", "vertex", "{ default = 0.04 }", 10, 18, retired=RETIRED),
    _model("imagen-4-ultra", "vertex", "{ default = 0.06 }", 28, 45, tiers='["pro", "enterprise"]',
           retired=RETIRED),
    _model("nano-banana", "gemini", "{ default = 0.039 }", 12, 20, retired=RETIRED),
    _model("nano-banana-pro", "gemini", "{ default = 0.134 }", 15, 30, tiers='["pro", "enterprise"]'),
    _model("nano-banana-2", "gemini", "{ draft = 0.067, standard = 0.067, high = 0.101, ultra = 0.101 }",
           15, 22),
    _model("flux-schnell", "fal", "0.0\nprice_per_mp = 0.003", 2, 6),
    _model("flux-dev", "fal", "0.0\nprice_per_mp = 0.025", 4, 10),
    _model("sd3.5-large-turbo", "stability", "{ default = 0.04 }", 3, 4.8),
    _model("local-procedural", "local", "{ default = 0.0 }", 0.05, 0.2),
    _model("local-type", "local", "{ default = 0.0 }", 0.05, 0.2, capabilities="{ transparency = true }"),
]).replace("price = 0.0\nprice_per_mp", "price_per_mp")


@pytest.fixture
def router(tmp_path: Path) -> Router:
    path = tmp_path / "models.toml"
    path.write_text(TEST_CATALOG)
    return Router(load_catalog(path), load_rules())


def decide(router: Router, prompt: str, **ctx: object) -> object:
    req_fields = {k: ctx.pop(k) for k in ("width", "height", "transparent") if k in ctx}
    ctx.setdefault("configured_providers", ALL_REMOTE | {"local"})
    return router.decide(ImageRequest(prompt=prompt, **req_fields), RouteContext(**ctx))


# --- the seeds' examples ------------------------------------------------------------------------------
def test_text_in_prompt_goes_to_the_text_specialist(router: Router):
    d = decide(router, "text saying 'Hello World', clear font, legible")
    assert (d.model, d.intent, d.rule) == ("ideogram-v3", "typography", "typography")
    assert d.fallbacks == ("ideogram-v2a", "gpt-image-1.5", "local-type")


def test_quoted_logo_text_goes_to_the_text_specialist(router: Router):
    assert decide(router, 'a simple logo with the text "CyberCafe"').model == "ideogram-v3"


def test_typography_draft_uses_the_fast_text_model(router: Router):
    d = decide(router, 'a badge saying "Launch 2024"', quality="draft")
    assert d.model == "ideogram-v2a-turbo"


def test_hero_layer_on_enterprise_gets_the_highest_fidelity_model(router: Router):
    d = decide(router, "a futuristic city at night", layer="hero", tier="enterprise")
    assert (d.model, d.rule) == ("gpt-image-2", "hero-enterprise")
    assert d.fallbacks[:2] == ("nano-banana-pro", "nano-banana-2")


def test_hero_layer_on_free_tier_is_not_upgraded(router: Router):
    assert decide(router, "a futuristic city at night", layer="hero").model == "nano-banana-2"


def test_pro_tier_gets_the_pro_variant(router: Router):
    assert decide(router, "a cozy reading nook", tier="free").model == "nano-banana-2"
    assert decide(router, "a cozy reading nook", tier="pro").model == "nano-banana-pro"


def test_wide_angle_goes_to_imagens_successors(router: Router):
    d = decide(router, "wide angle architectural shot of a plaza")
    assert (d.model, d.intent) == ("nano-banana-2", "wide_angle")
    assert decide(router, "a panorama of the alps", tier="pro").model == "nano-banana-pro"


def test_drafts_and_backgrounds_go_to_the_fastest_models(router: Router):
    assert decide(router, "a cybernetic cat", quality="draft").model == "flux-schnell"
    assert decide(router, "minimalist tech background, blue gradient").model == "flux-schnell"
    d = decide(router, "a calm lake", layer="background")
    assert d.candidates()[:3] == ("flux-schnell", "sd3.5-large-turbo", "ideogram-v2a-turbo")


def test_complex_scene_goes_to_the_gpt_image_model(router: Router):
    d = decide(router, "A cybernetic cat eating a galaxy while sitting on a binary tree", tier="pro")
    assert (d.model, d.intent) == ("gpt-image-2", "complex_scene")
    # gpt-image-2 is not offered on free; the deprecated gpt-image-1.5 is only a late fallback there.
    d = decide(router, "A cybernetic cat eating a galaxy while sitting on a binary tree")
    assert d.candidates() == ("nano-banana-2", "gpt-image-1.5", "local-procedural")


# --- filters ------------------------------------------------------------------------------------------
def test_unconfigured_provider_is_rejected_with_the_setting_to_set(router: Router):
    d = decide(router, "text saying 'SALE'", configured_providers=frozenset({"openai"}))
    assert d.model == "gpt-image-1.5"
    reasons = {r.model: r.reason for r in d.rejected}
    assert reasons["ideogram-v3"] == "provider ideogram not configured (set OGS_IDEOGRAM_API_KEY)"


def test_no_keys_routes_to_local_providers(router: Router):
    text = decide(router, 'a poster that says "Hello"', configured_providers=frozenset({"local"}))
    art = decide(router, "a cozy reading nook", configured_providers=frozenset({"local"}))
    assert (text.model, text.fallbacks) == ("local-type", ())
    assert (art.model, art.fallbacks) == ("local-procedural", ())
    assert art.reasons[-1].startswith("chose local-procedural (local) after 3 rejected candidates")
    assert {r.model for r in art.rejected} == {"nano-banana-2", "sd3.5-large", "flux-dev"}


def test_open_circuit_skips_the_model(router: Router):
    d = decide(router, "text saying 'SALE'", unhealthy_models=frozenset({"ideogram-v3"}))
    assert d.model == "ideogram-v2a"
    assert ("ideogram-v3", "circuit open (recent failures)") in {(r.model, r.reason) for r in d.rejected}


def test_tier_filter_names_the_allowed_tiers(router: Router):
    with pytest.raises(ModelUnavailable) as info:
        decide(router, "anything", model="imagen-4-ultra", tier="free")
    assert "not offered on tier free (tiers: pro, enterprise)" in info.value.detail
    assert info.value.status == 422 and info.value.extra["field"] == "model"


def test_a_named_model_is_substituted_only_with_fallback_and_then_says_so(router: Router):
    d = decide(router, "a lake at dawn", model="imagen-4-ultra", tier="free", fallback=True)
    assert d.requested == "imagen-4-ultra" and d.model != "imagen-4-ultra" and d.substituted
    assert d.rejected[0].reason == "not offered on tier free (tiers: pro, enterprise)"
    assert any(r.startswith(f"substituted: {d.model} serves in place of imagen-4-ultra") for r in d.reasons)


def test_budget_filter_shows_cost_and_remaining(router: Router):
    d = decide(router, "a cozy reading nook", tier="pro", budget_remaining_usd=0.06)
    assert d.model == "gpt-image-2"
    assert d.rejected[0].model == "nano-banana-pro"
    assert d.rejected[0].reason == "predicted cost $0.1340 > remaining budget $0.0600"


def test_deadline_filter_uses_the_p95_prior(router: Router):
    d = decide(router, "a futuristic city", layer="hero", tier="enterprise", deadline_s=31)
    assert d.model == "nano-banana-pro"  # p95 30 s fits; gpt-image-2's 280 s does not
    assert [r.model for r in d.rejected] == ["gpt-image-2"]
    assert d.rejected[0].reason == "latency p95 280 s > deadline 31 s"


def test_transparency_requirement(router: Router):
    d = decide(router, "a cozy reading nook", transparent=True)
    assert d.model == "local-procedural"  # no workhorse model can make transparency...
    assert any("transparent" in r.reason for r in d.rejected)
    text = decide(router, "text saying 'SALE'", transparent=True)
    # ...the text specialist can, at its transparent endpoint's price ($0.07 at standard, not $0.06).
    assert (text.model, text.predicted_cost_usd) == ("ideogram-v3", 0.07)


def test_all_failing_reasons_are_reported(router: Router):
    with pytest.raises(ModelUnavailable) as info:
        decide(router, "x", model="imagen-4-ultra", tier="free", configured_providers=frozenset({"local"}))
    assert "not configured" in info.value.detail and "tier free" in info.value.detail


def test_fallbacks_keep_rule_order_after_rejections(router: Router):
    d = decide(router, "a calm lake", layer="background", unhealthy_models=frozenset({"sd3.5-large-turbo"}),
               configured_providers=frozenset({"fal", "stability", "ideogram", "local"}))
    assert d.candidates() == ("flux-schnell", "ideogram-v2a-turbo", "local-procedural")


# --- explicit model, retired models, unknown ids -------------------------------------------------------
def test_explicit_model_skips_rules_and_has_no_fallback_unless_asked(router: Router):
    d = decide(router, "text saying 'SALE'", model="gpt-image-1")
    assert (d.model, d.rule, d.fallbacks, d.substituted) == ("gpt-image-1", "explicit", (), False)
    d = decide(router, "text saying 'SALE'", model="gpt-image-1", fallback=True)
    assert (d.model, d.rule) == ("gpt-image-1", "explicit")
    assert d.fallbacks[0] == "ideogram-v3" and d.fallbacks[-1] == "local-type"  # then the rule's list


def test_explicit_model_still_obeys_budget(router: Router):
    with pytest.raises(ModelUnavailable, match=r"remaining budget \$0\.0100"):
        decide(router, "a lake", model="nano-banana", budget_remaining_usd=0.01)


def test_retired_model_is_skipped_unless_requested_by_name(tmp_path: Path, router: Router):
    rules = tmp_path / "rules.toml"
    prefer = '["dall-e-3", "gpt-image-1", "nano-banana-2", "local-procedural"]'
    rules.write_text(f'[[rule]]\nname = "all"\nprefer = {prefer}\n')
    by_rule = Router(router.catalog, load_rules(rules))
    d = decide(by_rule, "a lake")
    assert d.model == "nano-banana-2"
    assert d.rejected[0].reason.startswith("retired (2026-05-12: shut down by the vendor)")
    assert d.rejected[1].reason.startswith("retired (2026-10-23: retired by OpenAI)")
    named = decide(router, "a lake", model="dall-e-3")
    assert named.model == "dall-e-3"
    assert any(r.startswith("warning: dall-e-3 is retired") for r in named.reasons)


def test_unknown_explicit_model_is_rejected_with_close_matches(router: Router):
    with pytest.raises(ModelUnavailable, match="did you mean gpt-image-1"):
        decide(router, "a lake", model="gpt-imag-1")


def test_rule_ids_missing_from_the_catalog_are_reported_not_fatal(router: Router):
    d = decide(router, "a cozy reading nook")  # workhorse lists nano-banana-2, sd3.5-large, flux-dev
    assert d.model == "nano-banana-2"
    assert "sd3.5-large" in {r.model for r in d.rejected if "not in the catalog" in r.reason}


# --- prediction, configuration ----------------------------------------------------------------------
def test_prediction_uses_quality_and_size_prices_and_the_p50(router: Router):
    d = decide(router, "A cat eating a galaxy while sitting on a binary tree", width=1536, height=1024,
               tier="pro")
    assert (d.model, d.predicted_cost_usd, d.predicted_latency_s) == ("gpt-image-2", 0.041, 60)
    d = decide(router, "a calm lake", layer="background", width=2048, height=1100,
               configured_providers=frozenset({"fal", "local"}))
    assert (d.model, d.predicted_cost_usd) == ("flux-schnell", 0.009)  # 2.15 MP rounds up to 3


def test_swapping_a_model_is_one_string_in_config(tmp_path: Path, router: Router):
    rules = tmp_path / "rules.toml"
    original = RULES_FILE.read_text()
    pro_rule = 'prefer = ["nano-banana-pro", "gpt-image-2",'
    rules.write_text(original.replace(pro_rule, 'prefer = ["flux-dev", "gpt-image-2",'))
    swapped = Router(router.catalog, load_rules(rules))
    assert decide(router, "a cozy reading nook", tier="pro").model == "nano-banana-pro"
    assert decide(swapped, "a cozy reading nook", tier="pro").model == "flux-dev"


def test_reasons_explain_intent_rule_and_choice(router: Router):
    d = decide(router, 'a neon sign saying "OPEN 24/7"')
    assert d.reasons[0].startswith("intent typography (quoted text 'OPEN 24/7'")
    assert d.reasons[1].startswith('rule "typography" (intent=typography')
    # gpt-image-2 on the list is not offered on the free tier
    chose = "chose ideogram-v3 (ideogram) after 1 rejected candidate: predicted $0.0600"
    assert d.reasons[-1].startswith(chose)


def test_precomputed_rule_table_agrees_with_a_scan_of_the_rules(router: Router):
    layers = (None, "background", "typography", "hero", "final", "image")
    for key in itertools.product(INTENTS, get_args(Tier), get_args(Quality), layers):
        expected = next(r for r in router.rules if r.matches(*key))
        assert router.rule_for(*key) is expected, key


def test_custom_intent_override_falls_through_to_the_catch_all(router: Router):
    assert decide(router, "a lake", intent="banner").rule == "workhorse"


@pytest.mark.parametrize(("text", "message"), [
    ('[[rule]]\nname = "a"\nintent = ["typo"]\nprefer = ["x"]\n', "rule[1].intent.0: Input should be"),
    ('[[rule]]\nname = "a"\nintent = ["draft"]\nprefer = ["x"]\n', "must have no conditions"),
    ('[[rule]]\nname = "a"\nprefer = []\n', "rule[1].prefer: Tuple should have at least 1 item"),
    ('[[rule]]\nname = "a"\nprefer = ["x"]\n' * 2, "duplicate rule name 'a'"),
    ('[[rule]]\nname = "a"\nprefers = ["x"]\n', "rule[1].prefer: Field required"),
    ("[[rule]\n", "invalid TOML"),
])
def test_rules_file_errors_name_file_rule_and_field(tmp_path: Path, text: str, message: str):
    path = tmp_path / "bad-rules.toml"
    path.write_text(text)
    with pytest.raises(CatalogError) as info:
        load_rules(path)
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)


def test_shipped_rules_end_with_a_local_model_and_name_only_catalog_ids():
    catalog = load_catalog()
    for rule in load_rules():
        assert catalog.get(rule.prefer[-1]).provider == "local", rule.name
    missing = {i for rule in load_rules() for i in rule.prefer if i not in catalog}
    assert not missing, f"rules.toml names ids missing from the shipped catalog: {sorted(missing)}"


# --- the `ogservice route` command ---------------------------------------------------------------------
@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    models = tmp_path / "models.toml"
    models.write_text(TEST_CATALOG)
    for name in ("OGS_OPENAI_API_KEY", "OGS_VERTEX_API_KEY", "OGS_GEMINI_API_KEY", "OGS_TIER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OGS_DEV", "1")
    monkeypatch.setenv("OGS_MODELS_FILE", str(models))
    monkeypatch.setenv("OGS_IDEOGRAM_API_KEY", "k-ideogram")
    return models


def run_route(*args: str) -> Result:
    return CliRunner().invoke(route, list(args))


def test_cli_json_decision_uses_configured_providers(cli_env: Path):
    result = run_route("--prompt", 'a sign saying "OPEN"', "--size", "1200x630", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert {"model", "intent", "fallbacks", "rejected", "predicted_cost_usd", "predicted_latency_s", "rule",
            "reasons"} <= body.keys()
    assert (body["model"], body["fallbacks"]) == ("ideogram-v3", ["ideogram-v2a", "local-type"])
    unconfigured = "provider openai not configured (set OGS_OPENAI_API_KEY)"
    assert body["rejected"] == [
        {"model": "gpt-image-2",
         "reason": f"{unconfigured}; not offered on tier free (tiers: pro, enterprise)"},
        {"model": "gpt-image-1.5", "reason": unconfigured},
    ]


def test_cli_readable_explanation(cli_env: Path):
    result = run_route("--prompt", "a lake", "--tier", "pro", "--budget", "0.01", "--deadline", "10")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("model:     local-procedural\nintent:    general\nrule:      pro\n")
    assert "  - nano-banana-pro: provider gemini not configured (set OGS_GEMINI_API_KEY); predicted cost" in (
        result.output)


@pytest.mark.parametrize(("args", "message"), [
    (("--model", "ideogram-v33"), "unknown model 'ideogram-v33': not in the catalog; did you mean"),
    (("--size", "10x10"), "width: Input should be greater than or equal to 64"),
    (("--size", "wide"), "size: String should match pattern"),
    (("--tier", "gold"), "'gold' is not one of 'free', 'pro', 'enterprise'"),
])
def test_cli_rejects_bad_options_with_a_clear_message(cli_env: Path, args: tuple[str, ...], message: str):
    result = run_route("--prompt", "a lake", *args)
    assert result.exit_code == 2 and message in result.output


def test_cli_reports_an_invalid_catalog_without_a_traceback(cli_env: Path):
    broken = cli_env.with_name("broken.toml")
    broken.write_text('[[model]]\nid = "x"\nprovider = "openai"\nprice = { standard = 0.1 }\n')
    result = CliRunner().invoke(route, ["--prompt", "a lake"], env={"OGS_MODELS_FILE": str(broken)})
    assert result.exit_code == 1
    missing = "price has no 'default' and misses draft, high, ultra (or set price_per_mp)"
    assert result.output == f"Error: {broken}: model[1]: {missing} (id 'x')\n"


def test_cli_routes_even_before_a_signing_key_is_set(cli_env: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("OGS_DEV")
    monkeypatch.delenv("OGS_SIGNING_KEYS", raising=False)
    result = run_route("--prompt", 'a sign saying "OPEN"', "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["model"] == "ideogram-v3"
    assert "OGS_SIGNING_KEYS" not in result.stderr  # routing needs no signing key: nothing to warn about


# --- budget step-down and the deadline with a provisional result -----------------------------------------
STEP_RULES = """
[[rule]]
name = "background"
intent = ["background"]
prefer = ["ideogram-v2a-turbo", "sd3.5-large-turbo", "flux-schnell", "local-procedural"]

[[rule]]
name = "slow-first"
intent = ["photoreal"]
prefer = ["nano-banana-pro", "flux-schnell", "sd3.5-large-turbo", "local-procedural"]

[[rule]]
name = "rest"
prefer = ["local-procedural"]
"""


@pytest.fixture
def stepped(router: Router, tmp_path: Path) -> Router:
    """The test catalog under rules whose lists are dearest first, so stepping down can be seen."""
    rules = tmp_path / "rules.toml"
    rules.write_text(STEP_RULES)
    return Router(router.catalog, load_rules(rules))


def test_over_budget_first_choices_step_down_the_rule_before_going_local(stepped: Router):
    d = decide(stepped, "abstract shapes", layer="background", budget_remaining_usd=0.01)
    assert (d.model, d.rule, d.fallbacks) == ("flux-schnell", "background", ("local-procedural",))
    assert [r.model for r in d.rejected] == ["ideogram-v2a-turbo", "sd3.5-large-turbo"]
    assert d.rejected[1].reason == "predicted cost $0.0400 > remaining budget $0.0100"


def test_a_small_budget_sends_a_bokeh_background_to_a_cheap_background_model(router: Router):
    """It was classified photoreal, whose models all cost more than $0.01: every one went local."""
    d = decide(router, "Gradient background with soft bokeh", budget_remaining_usd=0.01)
    assert (d.intent, d.rule) == ("background", "background")
    assert d.model == "flux-schnell" and d.predicted_cost_usd <= 0.01


def test_a_tight_deadline_moves_a_background_to_a_dearer_model_only_without_async_ok(stepped: Router):
    prefer = ("flux-schnell", "sd3.5-large-turbo", "local-procedural")
    cheap_first = Router(stepped.catalog, [stepped.rules[0].model_copy(update={"prefer": prefer})])
    waits = decide(cheap_first, "abstract shapes", layer="background", deadline_s=5)
    assert waits.model == "sd3.5-large-turbo"  # p95 4.8 s fits; flux-schnell's 6 s does not: 13x the price
    provisional = decide(cheap_first, "abstract shapes", layer="background", deadline_s=5, async_ok=True)
    assert provisional.model == "flux-schnell" and provisional.predicted_cost_usd == pytest.approx(0.003)
    assert provisional.fallbacks == ("sd3.5-large-turbo", "local-procedural") and not provisional.rejected
    assert any("kept (async_ok" in reason for reason in provisional.reasons)


def test_with_async_ok_a_model_in_time_goes_first_only_when_it_costs_no_more(stepped: Router):
    d = decide(stepped, "a macro photo of dew", deadline_s=5, async_ok=True, tier="pro")
    # nano-banana-pro ($0.134, p95 30 s) is late; sd3.5-large-turbo ($0.04, p95 4.8 s) is in time and cheaper
    assert d.rule == "slow-first" and d.model == "sd3.5-large-turbo"
    assert d.fallbacks == ("nano-banana-pro", "flux-schnell", "local-procedural")
    assert any("sd3.5-large-turbo arrives in time for no more" in reason for reason in d.reasons)
