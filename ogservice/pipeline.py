"""The card pipeline: an ordered tuple of small steps with a deadline check between them.

    parse -> images -> plan layers -> resolve layers -> key -> render: lookup (hit: done), else
    compose, encode, store -> done

Image fields (a product photo, a logo) name an uploaded image or a URL: the images step turns each
into an image id (fetching a URL SSRF-safely, within the layer deadline) and the ids join the
card's key, so a changed image makes a new card; the pixels are loaded only to compose.

A card whose template and fields ask for AI layers (bg=ai, lettering=ai) has them planned and
resolved (ogservice/layers/): ready layers are composed as pixels and their digests join the
card's key; a layer still being made is drawn locally and the card is provisional (composed,
never stored or indexed as the final card). A card without AI layers takes the same steps, with
nothing to plan.

Each step takes the Job and fills in its part; `run()` times every step (for Server-Timing and the
CLI) and checks the deadline before each one. Concurrent requests for the same card in one process
wait for the first render instead of repeating it (single flight, see `flights`); across processes
the content-addressed, atomic store makes duplicate renders harmless: one asset, never a torn file.

The deadline (OGS_RENDER_TIMEOUT_MS) decides whether to wait and whether to start work, never
whether to throw finished work away:
- past the deadline before a step, or before compose starts, the answer is a 503 with Retry-After;
- a request waiting for another request's render of the same card waits until its own deadline at
  most, then gets the same 503 (if that render finishes in time, the waiter is served its result);
- a card that exists is served: one found by the lookup, however late the lookup answered, and one
  whose compose had started in time. Such a render runs on through encode and store (the costly
  part is done, storing is cheap), and the response may then be late by at most that one render.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .cards import backgrounds
from .cards.compose import Canvas, Composition, compose
from .cards.encode import PngEncoder, encode
from .cards.fields import CardRequest, parse_card_request
from .cards.fonts import BUNDLED_FONTS_DIR, FontRegistry
from .cards.formats import PNG, Format, parse_format
from .cards.made import ReadyImages
from .cards.templates import BUNDLED_DIR, Template, load_templates
from .config import Settings
from .errors import BadRequest, ByteLimitUnreachable, NotFound, ServiceUnavailable
from .flights import Flights, FlightTimeout
from .layers import report
from .layers.images import load_images, resolve_images
from .layers.outcomes import Local, Outcome, Planned, Progress, Ready
from .layers.plan import plan_asks
from .sources.assets import ImageSources
from .store import Store
from .store.retention import Retention

if TYPE_CHECKING:
    from .layers.service import LayerService
    from .tenants.model import Tenant

RENDERER_VERSION = "5"
# Of OGS_OG_DEADLINE_MS, the part kept for composing and encoding once the wait for layers ends.
COMPOSE_RESERVE_S = 0.2
log = logging.getLogger(__name__)
_DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclass
class Job:
    """One card request travelling through the steps."""

    template_name: str
    params: Sequence[tuple[str, str]]
    deadline: float
    request: CardRequest | None = None
    format: Format = PNG
    max_bytes: int | None = None  # the encoded card must fit (ByteLimitUnreachable, 422, otherwise)
    key: str = ""
    data: bytes | None = None  # the encoded card, in `format`
    quality: int | None = None  # of a lossy format, when this job encoded the card (None on a hit)
    digest: str = ""
    cache_hit: bool = False
    composition: Composition | None = None
    missing: tuple[str, ...] = ()  # characters no font covered (kept in the index for cache hits)
    timings: dict[str, float] = field(default_factory=dict)
    layer_wait_until: float = 0.0  # monotonic time until which pending AI layers are waited for
    progress: Progress | None = None  # hears about pending layers while they are waited for
    planned: list[Planned] = field(default_factory=list)
    layers: list[Outcome] = field(default_factory=list)
    crawler: bool = True  # a crawler-facing URL: image URLs only from OGS_IMAGE_HOSTS
    images: dict[str, str] = field(default_factory=dict)  # image field -> image id
    # Who pays for AI layers, on which tier: the API key's tenant (or a job's); None for keyless
    # requests (signed /og URLs, the CLI), which are the default tenant's (OGS_TIER, OGS_BUDGET_USD).
    tenant: Tenant | None = None
    keep: bool = False  # store the card without expiry whatever OGS_ASSET_TTL says (a publish hook's)

    @property
    def png(self) -> bytes | None:
        """The encoded card (named for the format every card had before formats: PNG by default)."""
        return self.data

    @property
    def final(self) -> bool:
        """Nothing about this card will change by itself: it is stored, indexed and cached long."""
        return report.is_final(self.layers)

    @property
    def names_image_urls(self) -> bool:
        """An image field names a URL, whose image may change: the same request may make a new card
        once the URL is fetched again (OGS_IMAGE_URL_TTL), so the URL must not be pinned to this one."""
        assert self.request is not None
        return any(self.request.fields[name] != image_id for name, image_id in self.images.items())

    @property
    def provisional(self) -> bool:
        """A layer is still being made: the same URL serves the final card once it is there."""
        return report.is_provisional(self.layers)


Step = Callable[["CardService", Job], None]


class CardService:
    """Per-app card engine: templates and fonts loaded once, a store, and the pipeline steps."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        fonts: FontRegistry | None = None,
        layers: LayerService | None = None,
        images: ImageSources | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.images = images or ImageSources.from_settings(settings, store)
        self.layers = layers  # None: AI layers are off (each is set locally, reported as ai-off)
        dirs = [BUNDLED_DIR, *([settings.templates_dir] if settings.templates_dir else [])]
        self.templates: dict[str, Template] = load_templates(dirs)
        self.fonts = fonts or FontRegistry.load(_font_dirs(settings))
        self._fingerprint = self.fonts.fingerprint()
        self._flights = Flights()  # card keys being rendered in this process right now
        self.retention = Retention.from_settings(settings)  # OGS_ASSET_TTL, and pinned cards

    def template(self, name: str) -> Template:
        template = self.templates.get(name)
        if template is None:
            raise NotFound(f"no template named '{name[:64]}'; available: {', '.join(sorted(self.templates))}")
        return template

    def run(
        self,
        template_name: str,
        params: Sequence[tuple[str, str]],
        timeout_ms: int | None = None,
        layer_wait_ms: int | None = None,
        progress: Progress | None = None,
        *,
        format: str | Format = PNG,
        max_bytes: int | None = None,
        crawler: bool = True,
        tenant: Tenant | None = None,
        keep: bool = False,
    ) -> Job:
        """Run the steps for one request; raises OgsError subclasses for bad input.

        `format`: png, jpg, webp or avif (a name is checked: 400 for an unknown one); `max_bytes`:
        the card's encoded size limit, met by choosing the quality (422 when it cannot be).
        `crawler`: the request comes from a URL anyone may fetch (GET /og), so image URLs must name
        a host in OGS_IMAGE_HOSTS; callers that authenticated the client may pass False.
        `tenant`: whose tier routes the AI layers and whose budget pays for them (None: default).
        `keep`: the card is stored without expiry (pinned: a publish hook's), else for OGS_ASSET_TTL.

        AI layers still being made are waited for until `layer_wait_ms` after the start (default
        OGS_OG_DEADLINE_MS less the time kept for composing), then set locally (a provisional card).
        """
        started = time.monotonic()
        budget = (timeout_ms or self.settings.render_timeout_ms) / 1000
        wait = (layer_wait_ms if layer_wait_ms is not None else self.settings.og_deadline_ms) / 1000
        if layer_wait_ms is None:
            wait = max(0.0, wait - COMPOSE_RESERVE_S)
        job = Job(template_name, params, deadline=started + budget, layer_wait_until=started + wait)
        job.format = format if isinstance(format, Format) else parse_format(format)
        job.max_bytes = check_max_bytes(max_bytes)
        job.progress = progress
        job.crawler = crawler
        job.tenant, job.keep = tenant, keep
        for step in STEPS:
            _check_deadline(job, step.__name__)
            if step in RENDER_STEPS:
                step(self, job)  # records its own finer timings
                continue
            with _timed(job, step.__name__.lstrip("_")):
                step(self, job)
        return job

    def asset(self, digest: str) -> bytes | None:
        """The encoded card named by `digest`; the store has verified that it hashes to that name."""
        return self.store.get(f"asset/{digest}")

    def request_key(
        self,
        req: CardRequest,
        layers: Sequence[Outcome] = (),
        fmt: Format = PNG,
        max_bytes: int | None = None,
        images: dict[str, str] | None = None,
    ) -> str:
        """sha256 of everything that determines the bytes: with AI layers, each one's asset digest
        (or how it was set locally), and each image field as its image id (the content, not the
        URL that named it), so a new layer or image makes a new card and the cache stays exact;
        the format and byte limit, so each encoding of a card is its own asset."""
        canonical: dict[str, object] = {
            "renderer": RENDERER_VERSION,
            "template": req.template.digest,
            "fonts": self._fingerprint,
            "size": [req.preset.width, req.preset.height, req.preset.layout],
            "fields": {**req.fields, **(images or {})},
            "seed": self.seed(req),
            "missing": self.settings.missing_glyph,
        }
        if layers:  # absent for cards without AI layers: their keys are what they always were
            canonical["layers"] = {o.slot: report.card_part(o) for o in layers}
        if fmt is not PNG:  # absent for PNG, as for AI layers: PNG keys are what they always were
            canonical["format"] = fmt.name
        if max_bytes is not None:
            canonical["max_bytes"] = max_bytes
        return hashlib.sha256(json.dumps(canonical, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def seed(self, req: CardRequest) -> int:
        if req.seed is not None:
            return req.seed
        names = req.template.background.seed_fields or tuple(sorted(req.fields))
        return backgrounds.seed_from(req.template.name, *(req.fields.get(n, "") for n in names))


def _parse(service: CardService, job: Job) -> None:
    template = service.template(job.template_name)
    job.request = parse_card_request(template, job.params, service.settings.max_pixels)


def _images(service: CardService, job: Job) -> None:
    """Each image field's image id: uploads checked to exist, URLs fetched (or remembered)."""
    assert job.request is not None
    deadline = min(job.layer_wait_until, job.deadline - COMPOSE_RESERVE_S)
    job.images = resolve_images(job.request, service.images, crawler=job.crawler, deadline=deadline)


def _plan_layers(service: CardService, job: Job) -> None:
    """The layers this card asks a model for (none for most cards), each routed to a planned model."""
    assert job.request is not None
    if service.layers is not None:
        job.planned = service.layers.plan(job.request, job.tenant)
    else:
        job.planned = [Local(a.slot, a.kind, "ai-off") for a in plan_asks(job.request)]


def _resolve_layers(service: CardService, job: Job) -> None:
    """What is ready, what is still being made (waited for up to the layer deadline), what is local."""
    if service.layers is None or all(isinstance(p, Local) for p in job.planned):
        job.layers = [p for p in job.planned if isinstance(p, Local)]
        return
    wait_until = min(job.layer_wait_until, job.deadline - COMPOSE_RESERVE_S)
    job.layers = service.layers.resolve(job.planned, wait_until, job.progress)


def _key(service: CardService, job: Job) -> None:
    assert job.request is not None
    job.key = service.request_key(job.request, job.layers, job.format, job.max_bytes, job.images)


def _lookup(service: CardService, job: Job) -> None:
    entry = service.store.get(f"req/{job.key}")
    if entry is None or (found := read_index_entry(entry)) is None:
        if entry is not None:  # once per damaged entry: the render below overwrites it
            log.warning("store: request index entry req/%s is damaged; rendering the card again", job.key)
        return
    digest, missing = found
    if (data := service.asset(digest)) is not None:
        job.data, job.digest, job.missing, job.cache_hit = data, digest, missing, True


def index_entry(digest: str, missing: tuple[str, ...]) -> bytes:
    """The request-index entry: the asset digest, then the uncovered characters (reported on hits too)."""
    return "\n".join((digest, "".join(missing))).encode()


def read_index_entry(entry: bytes) -> tuple[str, tuple[str, ...]] | None:
    """(digest, missing characters) from an index entry; None, a miss, for a damaged one."""
    try:
        digest, _, missing = entry.decode().partition("\n")
    except UnicodeDecodeError:
        return None
    return (digest, tuple(missing)) if _DIGEST.fullmatch(digest) else None


def _render(service: CardService, job: Job) -> None:
    """The stored card, or a new render. One lookup, under the card's flight lock: a second request
    for the same card waits here (until its deadline at most), then finds the first one's result (a
    miss costs one lookup). A card that is not final (an AI layer pending, or failed for now) is
    composed but never looked up or stored."""
    if not job.final:
        _check_deadline(job, "compose")
        _compose(service, job)
        return
    try:
        with service._flights.hold(job.key, job.deadline):
            with _timed(job, "lookup"):
                _lookup(service, job)
            if job.data is None:
                _check_deadline(job, "compose")  # a found card is served late; new work starts in time
                _draw(service, job)
    except FlightTimeout:
        raise ServiceUnavailable(
            "render deadline passed while another request was rendering this card", retry_after=1
        ) from None


def _draw(service: CardService, job: Job) -> None:
    """Compose, encode and store the card: once started, run to the end (see the module docstring)."""
    _compose(service, job)
    assert job.data is not None
    with _timed(job, "store"):
        ttl = service.retention.ttl(job.digest, job.keep)
        service.store.put(f"asset/{job.digest}", job.data, ttl)
        service.store.put(f"req/{job.key}", index_entry(job.digest, job.missing), ttl)


def _compose(service: CardService, job: Job) -> None:
    assert job.request is not None
    req = job.request
    canvas = Canvas(
        preset=req.preset,
        fields=req.fields,
        seed=service.seed(req),
        palette=_palette(req),
        missing=service.settings.missing_glyph,
        ready=_ready_images(job.layers),
        images=load_images(job.images, service.images),
    )
    # A PNG is compressed in bands while the card is drawn (on big cards, on a second core).
    png = PngEncoder() if job.format is PNG else None
    with _timed(job, "compose"):
        job.composition = compose(req.template, canvas, service.fonts, progress=png)
        job.missing = job.composition.missing()
    with _timed(job, "encode"):
        matte = canvas.palette.stops[0]  # formats without alpha flatten the card on its background
        try:
            encoded = encode(job.composition.image, job.format, job.max_bytes, matte=matte, png=png)
        except ByteLimitUnreachable as exc:
            exc.extra["size"] = req.size_name  # a set of sizes says which of them missed the limit
            raise
        job.data, job.quality = encoded.data, encoded.quality
        job.digest = hashlib.sha256(job.data).hexdigest()


def _ready_images(layers: Sequence[Outcome]) -> ReadyImages:
    ready = [o for o in layers if isinstance(o, Ready)]
    background = next((o.layer.image() for o in ready if o.kind == "background"), None)
    return ReadyImages(background, {o.slot: o.layer.image() for o in ready if o.kind == "lettering"})


@contextmanager
def _timed(job: Job, name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    job.timings[name] = (time.perf_counter() - started) * 1000


def _palette(req: CardRequest) -> backgrounds.Palette:
    bg = req.template.background
    brand = req.fields.get(bg.brand.strip("{}"), "") if bg.brand else ""
    if brand:
        return backgrounds.palette_from_brand(brand)
    theme = req.fields.get(bg.theme.strip("{}"), "") if bg.theme.startswith("{") else bg.theme
    return backgrounds.theme(theme or "midnight")


def check_max_bytes(max_bytes: int | None) -> int | None:
    """A byte limit is a positive number of bytes (bool is not a number here)."""
    if max_bytes is not None and (isinstance(max_bytes, bool) or max_bytes < 1):
        raise BadRequest("max_bytes must be a positive number of bytes", parameter="max_bytes")
    return max_bytes


def _check_deadline(job: Job, step: str) -> None:
    if time.monotonic() > job.deadline:
        raise ServiceUnavailable(f"render deadline passed before step '{step}'", retry_after=1)


def _font_dirs(settings: Settings) -> list[Path]:
    return [BUNDLED_FONTS_DIR, *([settings.fonts_dir] if settings.fonts_dir else [])]


STEPS: tuple[Step, ...] = (_parse, _images, _plan_layers, _resolve_layers, _key, _render)
RENDER_STEPS: tuple[Step, ...] = (_render,)
