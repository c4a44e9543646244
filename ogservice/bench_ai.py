"""`ogservice bench ai`: AI-layer cards against the emulators, a real server and real workers.

Phases (see README "Benchmarks"):
  1. single flight: 20 concurrent requests for one new card with two AI layers (a background and
     lettering the guard sends to a model); model calls counted at the emulators;
  2. the mixed trace (bench_ai_trace): fetched at a steady rate, with the text model's `misspell`
     failure switched on for its first third of lettering calls; each unique card's first fetch is
     a cold one (its layers are not made yet);
  3. settle: every unique card fetched until it is final (warm layers), then once more (cached);
     the model lettering of final cards is read back by OCR (each slot's layer, as composited).
Unique layers are the layers sent to a model; lettering the guard sets locally (look-alikes,
unreadable scripts) is counted apart, by reason.
Every figure is computed from what happened: responses, the emulators' request logs, the ledger.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import click
import httpx
from PIL import Image

from .bench_ai_rig import LATENCY_BOUNDS_S, Rig, run_nonce, running_rig
from .bench_ai_trace import REPEAT_SHARE, Card, Trace, build_trace
from .config import Settings
from .layers.outcomes import Local
from .layers.spec import LayerSpec

CONCURRENT_REQUESTS = 20
# The single-flight card's title: a headline the lettering guard lets through to a model (no O, o,
# 0, I, i, l or 1), so the burst asks for two model layers, the background and the lettering.
FLIGHT_TITLE = "Fresh Autumn Menu"
MISSPELL_SHARE = 1 / 3  # of the trace's lettering calls, the first ones drawn misspelled
TEXT_CAPABLE = 4  # the least text_rendering score of a model the baseline could ask to letter a title


@dataclass
class Fetch:
    """One GET /og answer as a client saw it."""

    card: int
    ms: float
    status: int
    provisional: bool
    layers: str

    @property
    def final(self) -> bool:
        return self.status == 200 and not self.provisional


class Planner:
    """The AI layers of a card, planned by the server's own code with the server's settings."""

    def __init__(self, settings: Settings) -> None:
        from .cards.templates import BUNDLED_DIR, load_templates
        from .gateway.service import Gateway

        self.settings = settings
        self.gateway = Gateway.from_settings(settings)
        self.templates = load_templates([BUNDLED_DIR])

    def layers(self, card: Card) -> list[Any]:
        """LayerSpec (a model is asked) or Local (why not) per AI layer of the card."""
        from .layers.plan import plan_asks
        from .layers.route import specify

        req = self.request(card)
        tier = self.settings.tier
        return [specify(a, self.gateway, req.template.name, tier, None) for a in plan_asks(req)]

    def request(self, card: Card) -> Any:
        from .cards.fields import parse_card_request

        return parse_card_request(self.templates[card.template], card.params, self.settings.max_pixels)

    def models(self, cards: Sequence[Card]) -> dict[str, str]:
        """Planned model -> its provider, over these cards."""
        found = {}
        for card in cards:
            for spec in self.layers(card):
                if (model := getattr(spec, "model", "")) and (entry := self.gateway.catalog.find(model)):
                    found[model] = entry.provider
        return found

    def baseline(self, cards: Sequence[Card]) -> tuple[str, float]:
        """The heaviest text-capable model (the one a "smartest model draws it all" pipeline picks:
        the highest price for the first card among live models scoring TEXT_CAPABLE+ at text) and
        what it charges for every card here, each drawn once at the card's size and quality."""
        specs = [
            s for s in self.gateway.catalog.models
            if s.provider != "local" and not s.retired and s.capabilities.text_rendering >= TEXT_CAPABLE
        ]  # fmt: skip
        first = self.request(cards[0])
        heavy = max(specs, key=lambda s: self._price(s, first))
        return heavy.id, round(sum(self._price(heavy, self.request(c)) for c in cards), 6)

    @staticmethod
    def _price(spec: Any, req: Any) -> float:
        return float(spec.price_for(req.template.background.quality, req.preset.width, req.preset.height))

    def close(self) -> None:
        self.gateway.close()


def run_bench(
    fetches: int = 200,
    *,
    time_scale: float = 1.0,
    workers: int = 6,
    server_workers: int = 2,
    rate: float = 4.0,
    clients: int = 16,
    seed: int = 0,
    nonce: str | None = None,
    echo: Any = None,
) -> dict[str, Any]:
    """Run every phase; the figures as one dict (see `report`)."""
    nonce = nonce or run_nonce()
    trace = build_trace(fetches, nonce, seed)
    rig_args = {"time_scale": time_scale, "workers": workers, "server_workers": server_workers}
    with running_rig(nonce, **rig_args) as rig:
        return run_on(rig, trace, time_scale=time_scale, rate=rate, clients=clients, echo=echo)


def run_on(
    rig: Rig, trace: Trace, *, time_scale: float, rate: float, clients: int = 16, echo: Any = None
) -> dict[str, Any]:
    """The phases against a running rig; the figures."""
    say = echo or (lambda _: None)
    flight_card = _flight_card(trace.nonce)
    planner = Planner(rig.settings)
    try:
        models = planner.models([flight_card, *trace.cards])
        rig.use_catalog_latency(models, time_scale)
        say(f"run {trace.nonce}: {len(trace.fetches)} fetches of {len(trace.cards)} cards {trace.kinds}; "
            f"models {sorted(models)}; {rig.workers} layer workers")  # fmt: skip
        with httpx.Client(timeout=60) as http:
            say("phase 1: 20 concurrent requests for one new card")
            flight = _single_flight(rig, planner, http, flight_card, time_scale)
            say("phase 2: the mixed trace")
            run = _trace(rig, planner, http, trace, rate, clients, time_scale, say)
        baseline_model, baseline_usd = planner.baseline(trace.cards)
    finally:
        planner.close()
    return report(rig, trace, flight, run, baseline_model, baseline_usd, models, time_scale)


def _flight_card(nonce: str) -> Card:
    params = (
        ("title", FLIGHT_TITLE),
        ("bg", "ai"),
        ("lettering", "ai"),
        ("bg_prompt", f"calm abstract waves, run {nonce} flight"),
    )
    return Card(-1, "flight", "blog-post", params, (("title", FLIGHT_TITLE),))


def _single_flight(
    rig: Rig, planner: Planner, http: httpx.Client, card: Card, time_scale: float
) -> dict[str, Any]:
    """20 requests at once for one new card; then its model calls, counted at the emulators."""
    barrier = threading.Barrier(CONCURRENT_REQUESTS)

    def get(_: int) -> Fetch:
        barrier.wait()
        return _get(http, rig.base_url, card)

    from .gateway.ledger import Ledger

    ledger = Ledger(rig.client, rig.prefix)
    before = ledger.spend()
    calls_before = rig.generation_calls()
    with ThreadPoolExecutor(CONCURRENT_REQUESTS) as pool:
        answers = list(pool.map(get, range(CONCURRENT_REQUESTS)))
    _settle(rig, http, [card], {}, time_scale)
    planned = planner.layers(card)
    return {
        "requests": CONCURRENT_REQUESTS,
        "answered_200": sum(a.status == 200 for a in answers),
        "unique_layers": sum(isinstance(p, LayerSpec) for p in planned),  # sent to a model
        "local_layers": local_reasons(planned),  # set locally at planning, by reason
        "model_calls": rig.generation_calls() - calls_before,
        "booked_usd": round((after := ledger.spend())["actual_usd"] - before["actual_usd"], 6),
        "discarded": after["discarded"] - before["discarded"],  # correct lettering OCR did not confirm
        "og_ms": _latency([a.ms for a in answers]),  # cold layers too, all at once
    }


@dataclass
class TraceRun:
    fetches: list[Fetch]
    finals: dict[int, Fetch]  # each unique card's first final answer
    settled: list[Fetch]  # the first final answers of cards the trace itself never saw final
    cached: list[Fetch]  # one more fetch of every card once all are final
    calls: int  # generation calls the emulators received during the trace and its settling
    repeated_calls: list[str]  # bodies of generation calls made more than once (should be none)
    unique_layers: int  # layers sent to a model (unique by layer key)
    local_lettering: dict[str, int]  # lettering set locally at planning, by reason (unique cards' slots)
    spend: dict[str, Any]  # the ledger's booked spend during the trace (delta)
    misspell_injected: int
    misspell_drawn: int
    misread: dict[int, list[dict[str, Any]]]  # final cards whose model lettering misreads


def _trace(
    rig: Rig, planner: Planner, http: httpx.Client, trace: Trace, rate: float, clients: int,
    time_scale: float, say: Any,
) -> TraceRun:  # fmt: skip
    from .gateway.ledger import Ledger

    planned = [p for c in trace.cards for p in planner.layers(c)]
    specs = {p.key: p for p in planned if isinstance(p, LayerSpec)}
    local_lettering = local_reasons([p for p in planned if p.kind == "lettering"])
    lettering_layers = sum(p.kind == "lettering" for p in specs.values())
    typography = next((p.model for p in specs.values() if p.kind == "lettering"), None)
    emulator = (
        rig.endpoint_of(planner.gateway.catalog.find(typography).provider).emulator if typography else None
    )
    injected = max(1, round(lettering_layers * MISSPELL_SHARE)) if emulator else 0
    if emulator is not None:
        emulator.inject("misspell", injected)
    ledger = Ledger(rig.client, rig.prefix)
    spent_before, calls_before = ledger.spend(), Counter(rig.prompts())
    cards = {c.id: c for c in trace.cards}
    began = time.monotonic()

    def fetch(n_card: tuple[int, int]) -> Fetch:
        n, card_id = n_card
        time.sleep(max(0.0, began + n / rate - time.monotonic()))
        return _get(http, rig.base_url, cards[card_id])

    with ThreadPoolExecutor(clients) as pool:
        fetched = list(pool.map(fetch, enumerate(trace.fetches)))
    say(f"  {len(fetched)} fetches in {time.monotonic() - began:.1f} s; settling")
    finals = {f.card: f for f in reversed(fetched) if f.final}  # the first final answer wins
    settled = _settle(rig, http, list(cards.values()), finals, time_scale)
    cached = [_get(http, rig.base_url, c) for c in trace.cards]
    spent = _spend_delta(spent_before, ledger.spend())
    left = emulator._failures.count("misspell") if emulator else 0  # noqa: SLF001 (a test emulator)
    calls = Counter(rig.prompts()) - calls_before
    repeated = sorted(body for body, n in calls.items() if n > 1)
    drawn = injected - left
    made = calls.total()
    misread = _misread_finals(rig, planner, trace, finals)
    return TraceRun(
        fetched, finals, settled, cached, made, repeated, len(specs), local_lettering, spent, injected, drawn,
        misread,
    )  # fmt: skip


def local_reasons(planned: Sequence[Any]) -> dict[str, int]:
    """How many of these planned layers are set locally (never sent to a model), by reason."""
    return dict(Counter(p.reason for p in planned if isinstance(p, Local)))


def _settle(
    rig: Rig, http: httpx.Client, cards: list[Card], finals: dict[int, Fetch], time_scale: float
) -> list[Fetch]:
    """Fetch every card not yet seen final until it is; the first final answers (PNG kept)."""
    until = time.monotonic() + 120 + 600 * time_scale
    waiting = [c for c in cards if c.id not in finals]
    found: list[Fetch] = []
    while waiting:
        if time.monotonic() > until:
            raise RuntimeError(f"{len(waiting)} cards never became final, e.g. {waiting[0].path}")
        answers = [_get(http, rig.base_url, c) for c in waiting]
        for card, answer in zip(waiting, answers, strict=True):
            if answer.final:
                finals[card.id] = answer
                found.append(answer)
        waiting = [c for c in waiting if c.id not in finals]
        time.sleep(0.5 if waiting else 0)
    return found


def _get(http: httpx.Client, base_url: str, card: Card) -> Fetch:
    started = time.perf_counter()
    resp = http.get(base_url + card.path)
    ms = (time.perf_counter() - started) * 1000
    provisional = "X-Ogs-Provisional" in resp.headers
    return Fetch(card.id, ms, resp.status_code, provisional, resp.headers.get("X-Ogs-Layers", ""))


def _spend_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    keys = ("actual_usd", "discarded_usd", "calls", "errors", "discarded")
    delta = {k: round(after[k] - before[k], 6) for k in keys}
    templates = {}
    for name, now in after["by_template"].items():
        was = before["by_template"].get(name, {"actual_usd": 0.0, "calls": 0})
        templates[name] = {"actual_usd": round(now["actual_usd"] - was["actual_usd"], 6),
                           "calls": now["calls"] - was["calls"]}  # fmt: skip
    return {**delta, "by_template": templates}


def misread_lettering(
    card: Card, answer: Fetch, layer_of: Callable[[str], Image.Image | None]
) -> list[dict[str, Any]]:
    """The model-lettered slots of a final card whose lettering does not read as its text, each with
    what OCR read and where it parts from the text (to tell a misspelling from a misreading).

    What is read is the slot's lettering layer as the card composites it (`layer_of(slot)`: the
    asset in the layer store), on a plain matte, and compared as the guard compares (case, white
    space, quote and dash shapes aside). Not the whole card: there the background, the card's other
    texts and the box's scale made OCR misread correct lettering. A slot set locally is the card
    engine's own typesetting and is not a model's spelling.
    """
    from .lettering.ocr import read_text
    from .lettering.spelling import compare, matte

    model_made = {
        slot for part in answer.layers.split(", ") if "=" in part
        for slot, who in [part.split("=", 1)] if not who.startswith("local;")
    }  # fmt: skip
    found = []
    for slot, text in card.lettering:
        if slot not in model_made:
            continue
        layer = layer_of(slot)
        verdict = compare(read_text(matte(layer)), text) if layer is not None else None
        if verdict is None or not verdict.ok:
            read, why = (verdict.read, verdict.detail) if verdict else ("", "its layer is not in the store")
            found.append({"slot": slot, "expected": text, "read": read, "difference": why})
    return found


def _misread_finals(rig: Rig, planner: Planner, trace: Trace, finals: dict[int, Fetch]) -> dict[int, Any]:
    """misread_lettering of every final card with lettering, its layers read from the layer store."""
    from .layers.assets import ReadyLayers
    from .store import open_store

    store = open_store(rig.settings)
    try:
        layers = ReadyLayers(store)

        def layer_of(card: Card) -> Callable[[str], Image.Image | None]:
            keys = {p.slot: p.key for p in planner.layers(card) if isinstance(p, LayerSpec)}
            ready = lambda slot: layers.ready(keys[slot]) if slot in keys else None  # noqa: E731
            return lambda slot: layer.image() if (layer := ready(slot)) is not None else None

        cards = [c for c in trace.cards if c.lettering and c.id in finals]
        return {c.id: m for c in cards if (m := misread_lettering(c, finals[c.id], layer_of(c)))}
    finally:
        store.close()


def _latency(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]  # noqa: E731
    return {"p50": round(statistics.median(ordered), 1), "p99": round(pick(0.99), 1), "n": len(ordered)}


def report(
    rig: Rig, trace: Trace, flight: dict[str, Any], run: TraceRun, baseline_model: str,
    baseline_usd: float, models: dict[str, str], time_scale: float,
) -> dict[str, Any]:  # fmt: skip
    """The figures, each from what happened (responses, emulator logs, the ledger)."""
    seen: set[int] = set()
    cold: list[Fetch] = []
    for f in run.fetches:
        if f.card not in seen:
            seen.add(f.card)
            cold.append(f)
    warm = [f for f in run.fetches if f.final] + run.settled + run.cached
    deadline = rig.settings.og_deadline_ms
    cards = {c.id: c for c in trace.cards}
    lettered = {cid: f for cid, f in run.finals.items() if cards[cid].lettering}
    misread = run.misread
    slots = [  # "slot=who;how" of each lettering slot of the final cards (not their backgrounds)
        part for cid, f in lettered.items() for part in f.layers.split(", ")
        if part.split("=", 1)[0] in dict(cards[cid].lettering)
    ]  # fmt: skip
    booked = run.spend["actual_usd"]  # every paid call, discarded lettering included (its share below)
    n = len(run.fetches)
    per_1000, baseline_1000 = booked / n * 1000, baseline_usd / n * 1000
    cheaper = 100 * (1 - per_1000 / baseline_1000) if baseline_1000 else 0.0
    figures = {
        "run": {
            "nonce": trace.nonce, "time_scale": time_scale, "layer_workers": rig.workers,
            "deadline_ms": deadline, "models": sorted(models),
            "model_latency_s": [LATENCY_BOUNDS_S[0] * time_scale, LATENCY_BOUNDS_S[1] * time_scale],
        },
        "og_cold_ms": {
            **_latency([f.ms for f in cold]),
            "provisional": sum(f.provisional for f in cold),
            "over_deadline": sum(f.ms > deadline for f in cold),
            "errors": sum(f.status >= 500 for f in run.fetches),
        },
        "og_warm_ms": _latency([f.ms for f in warm]),
        "single_flight": flight,
        "trace": {
            "fetches": n, "unique_cards": len(trace.cards), "repeat_share": REPEAT_SHARE,
            "kinds": trace.kinds, "unique_layers": run.unique_layers, "model_calls": run.calls,
            "local_lettering": run.local_lettering,
            "ledger_calls": int(run.spend["calls"]),
            "ledger_failed_calls": int(run.spend["errors"]),  # e.g. a timed-out attempt, then retried
            "repeated_calls": [body[:300] for body in run.repeated_calls],
        },
        "cost": {
            "booked_usd": booked, "discarded_usd": run.spend["discarded_usd"],
            "per_1000_cards_usd": round(per_1000, 4),
            "by_template": run.spend["by_template"],
            "baseline_model": baseline_model, "baseline_usd": baseline_usd,
            "baseline_per_1000_cards_usd": round(baseline_1000, 4),
            "cheaper_pct": round(cheaper, 1),
        },
        "lettering": {
            "misspell_injected": run.misspell_injected, "misspelled_calls": run.misspell_drawn,
            "discarded": int(run.spend["discarded"]),
            "final_cards_read": len(lettered),
            "model_lettered_slots": sum(not p.split("=", 1)[1].startswith("local;") for p in slots),
            "local_slots": sum(p.split("=", 1)[1].startswith("local;") for p in slots),
            "local_slots_by_reason": dict(Counter(
                who.removeprefix("local;") for p in slots if (who := p.split("=", 1)[1]).startswith("local;")
            )),
            "misspelled_final_cards": len(misread),
            "misread": [m for found in misread.values() for m in found],
        },
    }  # fmt: skip
    p99s = (figures["og_cold_ms"]["p99"], figures["og_warm_ms"]["p99"], flight["og_ms"]["p99"])
    figures["targets"] = {
        "og_p99_under_1s": max(p99s) < 1000,
        "one_call_per_layer": flight["model_calls"] == flight["unique_layers"]
        and run.calls == run.unique_layers,
        "cheaper_95pct": cheaper >= 95,
        "no_misspelled_final_cards": not misread,
    }
    return figures


@click.command("ai")
@click.option("-n", "fetches", default=200, show_default=True, help="Fetches in the mixed trace.")
@click.option("--time-scale", default=1.0, show_default=True, help="Model latency factor (1 = 3-12 s).")
@click.option("--workers", default=6, show_default=True, help="Layer worker processes.")
@click.option("--rate", default=4.0, show_default=True, help="Trace fetches per second.")
@click.option("--seed", default=0, show_default=True, help="Trace order and mix (texts are new every run).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object with every figure.")
def ai_command(fetches: int, time_scale: float, workers: int, rate: float, seed: int, as_json: bool) -> None:
    """AI-layer cards against the emulators: og:image latency, single flight, cost, spelling."""
    echo = None if as_json else (lambda line: click.echo(line, err=True))
    figures = run_bench(fetches, time_scale=time_scale, workers=workers, rate=rate, seed=seed, echo=echo)
    if as_json:
        click.echo(json.dumps(figures))
        return
    click.echo(render_text(figures))


def render_text(f: dict[str, Any]) -> str:
    cold, warm, sf, tr, cost, let = (
        f["og_cold_ms"],
        f["og_warm_ms"],
        f["single_flight"],
        f["trace"],
        f["cost"],
        f["lettering"],
    )
    run = f["run"]
    lo, hi = run["model_latency_s"]
    lines = [
        f"models {', '.join(run['models'])} taking {lo:g}-{hi:g} s; deadline {run['deadline_ms']} ms",
        f"og:image cold layers  p50 {cold['p50']:7.1f} ms  p99 {cold['p99']:7.1f} ms  (n={cold['n']}, "
        f"{cold['provisional']} provisional, {cold['over_deadline']} over the deadline, "
        f"{cold['errors']} 5xx)",
        f"og:image warm layers  p50 {warm['p50']:7.1f} ms  p99 {warm['p99']:7.1f} ms  "
        f"(n={warm['n']}, final cards)",
        f"single flight: {sf['requests']} concurrent requests, {sf['unique_layers']} unique model layers -> "
        f"{sf['model_calls']} model calls (set locally: {_reasons(sf['local_layers'])}); "
        f"their og:image p50 {sf['og_ms']['p50']:.1f} ms p99 {sf['og_ms']['p99']:.1f} ms",
        f"trace: {tr['fetches']} fetches of {tr['unique_cards']} cards {tr['kinds']}, "
        f"{tr['unique_layers']} unique model layers -> {tr['model_calls']} model calls "
        f"({tr['ledger_calls']} in the ledger, {tr['ledger_failed_calls']} failed); "
        f"lettering set locally, never sent: {_reasons(tr['local_lettering'])}",
        f"cost per 1,000 cards: ${cost['per_1000_cards_usd']:.4f} booked "
        f"(${cost['booked_usd']:.4f} for the trace, ${cost['discarded_usd']:.4f} of it discarded lettering)",
        f"baseline ({cost['baseline_model']} draws each unique card once, title included): "
        f"${cost['baseline_per_1000_cards_usd']:.4f} per 1,000 -> {cost['cheaper_pct']:.1f}% cheaper",
        f"lettering: {let['misspelled_calls']} misspelled by the model, {let['discarded']} discarded by OCR; "
        f"{let['final_cards_read']} final cards read back ({let['model_lettered_slots']} model-lettered, "
        f"{let['local_slots']} local slots: {_reasons(let['local_slots_by_reason'])}): "
        f"{let['misspelled_final_cards']} misspelled",
        "targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in f["targets"].items()),
    ]  # fmt: skip
    return "\n".join(lines)


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {reason}" for reason, n in sorted(counts.items())) or "none"
