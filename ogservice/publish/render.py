"""A card's sizes rendered into results: asset URL, signed og URL, layers, and whether it is final.

Used by the web request (POST /v1/cards with its `wait`) and by card jobs on the workers (which
wait for AI layers as long as a layer job may run). A card the pipeline did not store (an AI layer
is pending, or failed for now) still gets its asset stored here, so its URL always serves it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from ..errors import ByteLimitUnreachable
from ..layers import report
from ..layers.outcomes import Outcome
from ..pipeline import CardService, Job
from ..signing import sign_url
from ..tenants.model import Tenant
from .jobs import RenderSpec
from .models import CardResult, LayerReport


@dataclass(frozen=True)
class Rendered:
    """One size's result, and whether all its AI layers have settled (nothing pending)."""

    result: CardResult
    settled: bool
    digest: str
    cache_hit: bool


def card_params(fields: Mapping[str, str], size: str) -> list[tuple[str, str]]:
    """The card's query parameters, as its GET /og URL carries them."""
    return [*sorted(fields.items()), *([("size", size)] if size else [])]


def render_sizes(
    cards: CardService,
    spec: RenderSpec,
    wait_until: float,
    skip: Collection[str] = (),
    tenant: Tenant | None = None,
    keep: bool = False,
) -> dict[str, Rendered]:
    """Each size of `spec` ("" is the template's default size) not in `skip`, in turn; AI layers are
    waited for until `wait_until` (time.monotonic) across all sizes, not each; `tenant`'s tier routes
    them and its budget pays (None: the default tenant). `keep`: stored without expiry (a publish
    hook's cards, pinned). Bad input raises 4xx; a `max_bytes` some sizes cannot meet raises one
    422 naming each of them, after the other sizes are rendered."""
    done: dict[str, Rendered] = {}
    unmet: list[ByteLimitUnreachable] = []
    for size in spec.sizes or [""]:
        if size in skip:
            continue
        wait_ms = int(max(0.0, wait_until - time.monotonic()) * 1000)
        timeout_ms = wait_ms + cards.settings.render_timeout_ms
        try:
            done[size] = render_one(cards, spec, size, timeout_ms, wait_ms, tenant, keep)
        except ByteLimitUnreachable as exc:
            unmet.append(exc)  # go on: the caller learns every size the limit misses in one answer
    if unmet:
        raise limit_unmet(unmet, asked=len(done) + len(unmet))
    return done


def limit_unmet(unmet: Sequence[ByteLimitUnreachable], asked: int) -> ByteLimitUnreachable:
    """One 422 for the sizes whose smallest encoding is over max_bytes, each with the bytes it reached.
    `smallest_bytes` is the largest of those: no lower limit fits every size asked for."""
    first = unmet[0].extra
    reached = [{"size": e.extra["size"], "smallest_bytes": e.extra["smallest_bytes"]} for e in unmet]
    needed = max(r["smallest_bytes"] for r in reached)
    fmt, limit = first["format"], first["max_bytes"]
    if len(reached) == 1:
        size = reached[0]["size"]
        detail = f"no {fmt} encoding of size {size} fits in {limit} bytes: the smallest is {needed} bytes"
    else:
        each = ", ".join(f"{r['size']} {r['smallest_bytes']}" for r in reached)
        detail = (
            f"no {fmt} encoding fits in {limit} bytes for {len(reached)} of {asked} sizes; the smallest "
            f"each reached, in bytes: {each} (max_bytes must be at least {needed} for all of them)"
        )
    return ByteLimitUnreachable(
        detail,
        parameter="max_bytes",
        max_bytes=first["max_bytes"],
        format=first["format"],
        smallest_bytes=needed,
        unmet_sizes=reached,
    )


def render_one(
    cards: CardService,
    spec: RenderSpec,
    size: str,
    timeout_ms: int,
    layer_wait_ms: int,
    tenant: Tenant | None = None,
    keep: bool = False,
) -> Rendered:
    params = card_params(spec.fields, size)
    job = cards.run(
        spec.template, params, timeout_ms=timeout_ms, layer_wait_ms=layer_wait_ms,
        format=spec.format, max_bytes=spec.max_bytes, tenant=tenant, keep=keep,
        crawler=False,  # the caller authenticated
    )  # fmt: skip
    assert job.data is not None and job.request is not None
    digest = _stored(cards, job, job.data, keep)
    preset = job.request.preset
    result = CardResult(
        size=job.request.size_name,
        width=preset.width,
        height=preset.height,
        format=job.format.name,
        bytes=len(job.data),
        url=job.format.asset_path(digest),
        og_url=og_url(cards, spec, params),
        layers=[_layer(o) for o in job.layers],
        provisional=job.provisional,
    )
    return Rendered(result, settled=not job.provisional, digest=digest, cache_hit=job.cache_hit)


def og_url(cards: CardService, spec: RenderSpec, params: Sequence[tuple[str, str]]) -> str:
    """The signed GET URL of the same card (absolute when OGS_PUBLIC_URL is set)."""
    path = f"/og/{spec.template}.{spec.format}"
    if spec.max_bytes is not None:
        params = [*params, ("max_bytes", str(spec.max_bytes))]
    return cards.settings.public_url + sign_url(cards.settings.keys()[0], path, params)


def _stored(cards: CardService, job: Job, data: bytes, keep: bool) -> str:
    """The asset's digest; stored here unless the pipeline stored these very bytes as asked. A card
    to keep is stored without expiry here even when it was a cache hit (stored earlier with one)."""
    digest = hashlib.sha256(data).hexdigest()
    if keep and job.cache_hit:
        cards.store.put(f"asset/{digest}", data)
    elif digest != job.digest or not job.final:
        cards.store.put(f"asset/{digest}", data, cards.retention.ttl(digest, keep))
    return digest


def _layer(outcome: Outcome) -> LayerReport:
    made_by, how = report.state(outcome)
    return LayerReport(slot=outcome.slot, made_by=made_by, state=how)
