"""The intent router: rules from config pick a preference list, hard filters prune it, local always serves.

A model named explicitly (ctx.model) serves or the decision fails (ModelUnavailable, with every
reason): no other model stands in unless ctx.fallback asks for it, and then the decision names the
substitute (`requested`, a "substituted:" reason line).

decide() is pure and fast: rule look-up is one dict access into a table built at construction, and
each candidate costs a handful of comparisons. Filters (all failing reasons are reported):

  not configured    the provider has no key / base URL (ctx.configured_providers)
  key refused       the provider refused our API key lately (ctx.refused_providers: its breaker)
  circuit open      the model's breaker is open (ctx.unhealthy_models)
  retired           the vendor retired it; skipped unless requested explicitly (then: a warning)
                    (a deprecated model is not filtered: rules.toml lists it after its successor;
                    a warning says when it is chosen)
  tier              the model is not offered on the caller's tier
  transparency      a transparent image was asked for and the model cannot make one
  budget            predicted cost > remaining budget. Each candidate is priced on its own: when the
                    first choice is over budget the rule's list is stepped down, and only when no
                    remote model on it fits does the local one serve.
  deadline          latency prior p95 > deadline. p95, not p50: a call abandoned at the deadline is
                    still billed, so only models that nearly always arrive in time are worth starting.
                    The decision's predicted latency is the p50 (the typical wait).
                    With ctx.async_ok (the caller serves a provisional result by the deadline and
                    takes the model's image later) the deadline rejects nothing: it would only push
                    the request to a dearer model (a $0.003 background, p95 6 s, to a $0.04 one for
                    a 5 s deadline). A later remote model that arrives in time goes first only when
                    it costs no more than the first choice.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..validation import first_problem_in
from .catalog import (
    MODELS_DIR,
    Catalog,
    CatalogError,
    ModelSpec,
    load_catalog,
    read_toml,
    unknown_model_message,
)
from .decision import Decision, ModelUnavailable, Rejected, RouteContext
from .errors import key_setting
from .intent import INTENTS, Intent, IntentResult, detect_intent
from .request import ImageRequest, Layer, Quality, Tier

RULES_FILE = Path(__file__).with_name("rules.toml")
LOCAL_FOR_TEXT, LOCAL_DEFAULT = "local-type", "local-procedural"
_LAYERS: tuple[Layer | None, ...] = (*get_args(Layer), None)


class Rule(BaseModel):
    """One routing rule: conditions (absent = any) and the preferred model ids, best first."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    intent: tuple[Intent, ...] | None = Field(None, min_length=1)
    tier: tuple[Tier, ...] | None = Field(None, min_length=1)
    quality: tuple[Quality, ...] | None = Field(None, min_length=1)
    layer: tuple[Layer, ...] | None = Field(None, min_length=1)
    prefer: tuple[str, ...] = Field(min_length=1)

    def matches(self, intent: str, tier: str, quality: str, layer: str | None) -> bool:
        """True when every condition the rule sets holds."""
        pairs = ((self.intent, intent), (self.tier, tier), (self.quality, quality), (self.layer, layer))
        return all(allowed is None or value in allowed for allowed, value in pairs)

    def conditions(self) -> str:
        """'intent=typography, quality=draft' (or 'any request') for explanations."""
        fields = {"intent": self.intent, "tier": self.tier, "quality": self.quality, "layer": self.layer}
        parts = [f"{k}={'|'.join(v)}" for k, v in fields.items() if v is not None]
        return ", ".join(parts) or "any request"


def load_rules(path: Path | None = None) -> tuple[Rule, ...]:
    """The shipped rules.toml, or `path` (OGS_RULES_FILE); cached per process; errors name file and field."""
    return _load_rules_cached(Path(path).resolve() if path is not None else RULES_FILE)


@lru_cache(maxsize=16)
def _load_rules_cached(path: Path) -> tuple[Rule, ...]:
    label = "rules.toml" if path == RULES_FILE else str(path)
    data = read_toml(path, label)
    if set(data) - {"rule"} or not isinstance(data.get("rule"), list) or not data["rule"]:
        raise CatalogError(f"{label}: expected only [[rule]] tables, at least one")
    rules = tuple(_rule(label, n, entry) for n, entry in enumerate(data["rule"], start=1))
    _check_rules(label, rules)
    return rules


def _rule(label: str, number: int, entry: object) -> Rule:
    try:
        return Rule.model_validate(entry)
    except ValidationError as exc:
        raise CatalogError(f"{label}: {first_problem_in(f'rule[{number}]', exc)}") from None


def _check_rules(label: str, rules: tuple[Rule, ...]) -> None:
    """Names are unique and the last rule matches everything, so no request goes unrouted."""
    names = [r.name for r in rules]
    if dupes := sorted({n for n in names if names.count(n) > 1}):
        raise CatalogError(f"{label}: duplicate rule name {dupes[0]!r}")
    if rules[-1].conditions() != "any request":
        last = rules[-1].name
        raise CatalogError(f"{label}: the last rule ({last!r}) must have no conditions (a catch-all)")


@dataclass(frozen=True)
class _Needs:
    """What one request demands of a candidate, computed once per decision."""

    tier: Tier
    quality: Quality
    width: int
    height: int
    transparent: bool
    budget: float | None
    deadline: float | None
    async_ok: bool
    configured: frozenset[str]
    unhealthy: frozenset[str]
    refused: frozenset[str]
    explicit: str | None

    def price(self, spec: ModelSpec) -> float:
        """Predicted USD for this request's quality and size."""
        return spec.price_for(self.quality, self.width, self.height, self.transparent)


class Router:
    """Config-driven router: `decide(request, context)` -> Decision with fallbacks and reasons."""

    def __init__(self, catalog: Catalog, rules: Sequence[Rule]) -> None:
        self.catalog = catalog
        self.rules = tuple(rules)
        self._locals = MappingProxyType({i: catalog.find(i) or _builtin_local(i) for i in _local_ids()})
        self._prefer = MappingProxyType({r.name: tuple(self._spec(i) for i in r.prefer) for r in self.rules})
        keys = itertools.product(INTENTS, get_args(Tier), get_args(Quality), _LAYERS)
        table: dict[tuple[str, str, str, str | None], Rule] = {
            k: rule for k in keys if (rule := self._scan(*k)) is not None
        }
        self._table = MappingProxyType(table)

    def decide(self, req: ImageRequest, ctx: RouteContext) -> Decision:
        """Choose a model and ordered fallbacks for one request, explaining every step."""
        quality = ctx.quality or req.quality
        found = detect_intent(req.prompt, layer=ctx.layer, quality=quality, override=ctx.intent)
        needs = _needs(req, ctx, quality)
        candidates, rule, head = self._candidates(found, ctx, quality)
        survivors, rejected = _screen(candidates, needs)
        survivors, timing = _on_time_first(survivors, needs)
        if ctx.model and not ctx.fallback:  # the named model or nothing: no silent substitute
            if not survivors:
                raise ModelUnavailable(ctx.model, tuple(r.reason for r in rejected))
            local, last_resort = None, []
        else:
            local, last_resort = self._last_resort(found.intent, survivors, rejected)
        survivors = survivors if local is None else [*survivors, local]
        chosen = survivors[0]
        summary = _summary(chosen, needs, len(rejected))
        substitute = _substitution(ctx.model, chosen, rejected)
        warnings = _warnings(chosen, needs)
        reasons = [found.explain(), head, *warnings, *timing, *last_resort, *substitute, summary]
        # Every field is built from validated values above; skipping re-validation halves the cost.
        return Decision.model_construct(
            model=chosen.id,
            intent=found.intent,
            rule=rule,
            fallbacks=tuple(s.id for s in survivors[1:]),
            rejected=tuple(r for r in rejected if local is None or r.model != local.id),
            predicted_cost_usd=needs.price(chosen),
            predicted_latency_s=chosen.latency_p50_s,
            reasons=tuple(reasons),
            requested=ctx.model,
        )

    def knows(self, model_id: str) -> bool:
        """True for catalog ids and the built-in local providers."""
        return model_id in self.catalog or model_id in self._locals

    def rule_for(self, intent: str, tier: str, quality: str, layer: str | None) -> Rule:
        """The first matching rule (precomputed for known intents; scanned for custom overrides)."""
        rule = self._table.get((intent, tier, quality, layer)) or self._scan(intent, tier, quality, layer)
        return rule or self.rules[-1]

    def _scan(self, intent: str, tier: str, quality: str, layer: str | None) -> Rule | None:
        return next((r for r in self.rules if r.matches(intent, tier, quality, layer)), None)

    def _spec(self, model_id: str) -> ModelSpec | Rejected:
        """The catalog entry, a built-in local one, or a rejection naming close matches."""
        spec = self.catalog.find(model_id) or self._locals.get(model_id)
        return spec or Rejected(model=model_id, reason=unknown_model_message(model_id, self.catalog.ids()))

    def _candidates(
        self, found: IntentResult, ctx: RouteContext, quality: str
    ) -> tuple[tuple[ModelSpec | Rejected, ...], str, str]:
        """The preference list, the rule's name and the reason line saying where the list came from."""
        rule = self.rule_for(found.intent, ctx.tier, quality, ctx.layer)
        about = f": {rule.description}" if rule.description else ""
        head = f'rule "{rule.name}" ({rule.conditions()}{about}) prefers {", ".join(rule.prefer)}'
        if not ctx.model:
            return self._prefer[rule.name], rule.name, head
        named = self._spec(ctx.model)
        if not ctx.fallback:
            return (named,), "explicit", f'model "{ctx.model}" requested explicitly: rules skipped'
        head = f'model "{ctx.model}" requested explicitly, with fallback: then {head}'
        return (named, *self._prefer[rule.name]), "explicit", head

    def _last_resort(
        self, intent: str, survivors: list[ModelSpec], rejected: list[Rejected]
    ) -> tuple[ModelSpec | None, list[str]]:
        """The intent's local model when no local one survived (it always serves), with a reason line."""
        if any(s.provider == "local" for s in survivors):
            return None, []
        local = self._locals[LOCAL_FOR_TEXT if intent == "typography" else LOCAL_DEFAULT]
        why = next((f" despite: {r.reason}" for r in rejected if r.model == local.id), "")
        role = "fallback" if survivors else "model: no other candidate passed the filters"
        return local, [f"{local.id} serves as the last-resort {role}{why}"]


def _local_ids() -> tuple[str, ...]:
    return (LOCAL_DEFAULT, LOCAL_FOR_TEXT)


def _builtin_local(model_id: str) -> ModelSpec:
    """Local providers are built in: a custom catalog (OGS_MODELS_FILE) need not list them."""
    return load_catalog(MODELS_DIR / "local.toml").get(model_id)


def _needs(req: ImageRequest, ctx: RouteContext, quality: Quality) -> _Needs:
    width, height = req.pixels()
    return _Needs(
        tier=ctx.tier,
        quality=quality,
        width=width,
        height=height,
        transparent=req.transparent,
        budget=ctx.budget_remaining_usd,
        deadline=ctx.deadline_s,
        async_ok=ctx.async_ok,
        configured=ctx.configured_providers,
        unhealthy=ctx.unhealthy_models,
        refused=ctx.refused_providers,
        explicit=ctx.model,
    )


def _screen(
    candidates: Sequence[ModelSpec | Rejected], needs: _Needs
) -> tuple[list[ModelSpec], list[Rejected]]:
    """Split candidates into survivors (in order, no repeats) and rejections with every failing reason."""
    survivors: list[ModelSpec] = []
    rejected: list[Rejected] = []
    seen: set[str] = set()
    for cand in candidates:
        if (cand.model if isinstance(cand, Rejected) else cand.id) in seen:
            continue
        seen.add(cand.model if isinstance(cand, Rejected) else cand.id)
        if isinstance(cand, Rejected):
            rejected.append(cand)
        elif problems := _problems(cand, needs):
            rejected.append(Rejected(model=cand.id, reason="; ".join(problems)))
        else:
            survivors.append(cand)
    return survivors, rejected


def _problems(spec: ModelSpec, needs: _Needs) -> list[str]:
    """Every hard filter the model fails for this request (empty: it may serve)."""
    problems = []
    if spec.provider != "local" and spec.provider not in needs.configured:
        problems.append(f"provider {spec.provider} not configured (set {_setting_hint(spec.provider)})")
    if spec.provider in needs.refused:
        problems.append(f"provider {spec.provider} refused the API key (check {key_setting(spec.provider)})")
    if spec.id in needs.unhealthy:
        problems.append("circuit open (recent failures)")
    if spec.retired and needs.explicit != spec.id:
        problems.append(f"retired ({spec.retired}); request it explicitly to use it anyway")
    if needs.tier not in spec.tiers:
        problems.append(f"not offered on tier {needs.tier} (tiers: {', '.join(spec.tiers)})")
    if needs.transparent and not spec.capabilities.transparency:
        problems.append("cannot produce a transparent background")
    return problems + _cost_and_time(spec, needs)


def _cost_and_time(spec: ModelSpec, needs: _Needs) -> list[str]:
    problems = []
    if needs.budget is not None:
        cost = needs.price(spec)
        if cost > needs.budget:
            problems.append(f"predicted cost ${cost:.4f} > remaining budget ${needs.budget:.4f}")
    if not needs.async_ok and not _on_time(spec, needs):
        problems.append(f"latency p95 {spec.latency_p95_s:g} s > deadline {needs.deadline:g} s")
    return problems


def _on_time(spec: ModelSpec, needs: _Needs) -> bool:
    return needs.deadline is None or spec.latency_p95_s <= needs.deadline


def _on_time_first(survivors: list[ModelSpec], needs: _Needs) -> tuple[list[ModelSpec], list[str]]:
    """With async_ok, a late first choice yields only to a remote model in time that costs no more."""
    if not needs.async_ok or not survivors or _on_time(first := survivors[0], needs):
        return survivors, []
    late = f"{first.id}: latency p95 {first.latency_p95_s:g} s > deadline {needs.deadline:g} s"
    for swap in survivors[1:]:
        if swap.provider != "local" and _on_time(swap, needs) and needs.price(swap) <= needs.price(first):
            ordered = [swap, *(s for s in survivors if s is not swap)]
            return ordered, [f"{late}; {swap.id} arrives in time for no more, so it goes first"]
    return survivors, [f"{late}: kept (async_ok: a provisional result is served by the deadline)"]


def _setting_hint(provider: str) -> str:
    """Which OGS_* settings make a provider configured (mirrors ProviderConfig.configured)."""
    if provider in ("a1111", "comfyui"):
        return f"OGS_{provider.upper()}_BASE_URL"
    if provider == "vertex":
        return "OGS_VERTEX_API_KEY and OGS_VERTEX_PROJECT"
    return f"OGS_{provider.upper()}_API_KEY"


def _substitution(requested: str | None, chosen: ModelSpec, rejected: list[Rejected]) -> list[str]:
    """The reason line saying that another model serves in place of the one named (fallback asked)."""
    if requested is None or chosen.id == requested:
        return []
    why = next((r.reason for r in rejected if r.model == requested), "it cannot serve")
    return [f"substituted: {chosen.id} serves in place of {requested} ({why}), as fallback was asked for"]


def _warnings(chosen: ModelSpec, needs: _Needs) -> list[str]:
    if chosen.retired and needs.explicit == chosen.id:
        return [f"warning: {chosen.id} is retired ({chosen.retired}); used because it was requested by name"]
    if chosen.deprecated:
        return [f"warning: {chosen.id} is deprecated ({chosen.deprecated})"]
    return []


def _summary(chosen: ModelSpec, needs: _Needs, rejections: int) -> str:
    cost = needs.price(chosen)
    after = f" after {rejections} rejected candidate{'s' * (rejections != 1)}" if rejections else ""
    return (
        f"chose {chosen.id} ({chosen.provider}){after}: predicted ${cost:.4f}, "
        f"~{chosen.latency_p50_s:g} s (p50) for {needs.quality} {needs.width}x{needs.height}"
    )
