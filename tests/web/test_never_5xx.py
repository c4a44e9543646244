"""Property: no request a user can send gets a 5xx. Every template, field, size and seed, and the JSON
endpoints, through the Flask test client, with the nasty classes weighted in: invisible, combining
and bidi characters, Unicode digits, tiny/flat/huge sizes, very long text, broken percent-encoding
(lone surrogates, overlong forms), repeated keys and deep JSON.

Reproducible and bounded: derandomized, no example database, a fixed number of examples each.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ogservice import create_app
from ogservice.cards.templates import BUNDLED_DIR, load_templates
from ogservice.config import PROVIDERS, load_settings

TEMPLATES = load_templates([BUNDLED_DIR])
BOUNDED = settings(
    max_examples=1200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- characters and text ------------------------------------------------------------------------

INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u00ad\u2060\u2061\u2064\ufeff\u180e\u034f\u3164\u115f\uffa0"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
COMBINING = "\u0300\u0301\u0308\u0327\u0336\u0489\u20dd\u20de\u20e3\ufe0f\ufe0e\u0e31\u093c\u05b4"
DIGITS = "0123456789²³¹①⑳٣۴१１𝟙𝟘Ⅻ⁰₉"
SCRIPTS = "aZ é ß Ж Ω 中文 日本 한 مرحبا שלום नमस्ते ไทย 😀👩‍💻🏳️‍🌈 \U00013000 \U0001fae0 \ufc5e ﷽"
PUNCTUATION = " \t\n\r%&=?#+/\\\"'<>{}·…—"
CONTROL = "\x00\x01\x1b\x7f\x85\ud7ff\ue000\ufffd\ufffe\uffff"


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, picked in proportion to its weight (st.one_of flattens nested
    one_of's into one list of equally likely branches, so it cannot weight them)."""
    return st.sampled_from([strategy for weight, strategy in choices for _ in range(weight)]).flatmap(
        lambda strategy: strategy
    )


nasty_char = st.sampled_from(INVISIBLE + BIDI + COMBINING + DIGITS + SCRIPTS + PUNCTUATION)
hostile_text = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=24),  # any Unicode scalar value
    st.text(st.sampled_from(CONTROL + "ab"), max_size=6),
    st.builds(lambda c, n: c * n, nasty_char, st.integers(150, 2000)),  # very long
)
typeset_text = st.one_of(  # passes validation and reaches the typesetter (or counts as empty)
    st.text(nasty_char, max_size=12),
    st.text(st.sampled_from(INVISIBLE + BIDI + COMBINING), min_size=1, max_size=8),
)
nasty_text = weighted((4, typeset_text), (1, hostile_text))
# Nasty characters around a word: a required field that gets past validation to the renderer.
WORDS = ["Hello", "SALE -50%", "中文", "مرحبا", "שלום", "नमस्ते", "👩‍💻", "x", "Ж"]
visible_text = st.builds(
    lambda before, word, after: before + word + after,
    st.text(nasty_char, max_size=6),
    st.sampled_from(WORDS),
    st.text(nasty_char, max_size=6),
)

# --- query strings -------------------------------------------------------------------------------

BROKEN_ESCAPES = ["%ED%A0%80", "%ED%BF%BF", "%FF", "%C0%80", "%E2%82", "%", "%zz", "%u200B", "%F4%90%80%80"]
side = weighted(
    (2, st.sampled_from([0, 1, 15, 16, 17, 20, 30, 32, 64, 630, 1200, 2400, 4096, 4097, 99999])),
    (3, st.integers(16, 130)),  # tiny and flat: where scaled layers fall below a pixel
    (1, st.integers(0, 5000)),
)


def size_value(template: str) -> st.SearchStrategy[str]:
    return weighted(
        (2, st.sampled_from(list(TEMPLATES[template].sizes))),
        (3, st.builds(lambda w, h: f"{w}x{h}", side, side)),
        (1, st.sampled_from(sorted({s for t in TEMPLATES.values() for s in t.sizes}))),
        (1, st.text(st.sampled_from(DIGITS + "xX×- "), max_size=10)),
    )


seed_value = weighted(
    (3, st.integers(0, 10**20).map(str)),
    (1, st.sampled_from(["²", "①", "٣", "１２", "𝟙", "1²", "Ⅻ", "-1", "+1", "1e3", " 1", "0x1", "1_0"])),
    (1, st.text(st.sampled_from(DIGITS + "-+ .e"), max_size=20)),
)


def _value_for(template: str, name: str) -> st.SearchStrategy[str]:
    """Mostly a value the parameter can take (with nasty characters in text), sometimes any text."""
    field = TEMPLATES[template].fields.get(name)
    if name == "size":
        plausible = size_value(template)
    elif name == "seed":
        plausible = seed_value
    elif field is None:
        return nasty_text
    elif field.kind == "choice":
        plausible = st.sampled_from(field.choices)
    elif field.kind == "color":
        plausible = st.sampled_from(["#1a73e8", "#FFF", "000000", "#ff00aa"])
    elif field.required:
        plausible = visible_text
    else:
        return nasty_text
    return weighted((3, plausible), (1, nasty_text))


CARD_FLAWS = weighted(
    (6, st.none()), (1, st.sampled_from(["repeated", "unknown", "signature", "escape", "no-required"]))
)


@st.composite
def card_queries(draw: st.DrawFn) -> tuple[str, str]:
    """(template, raw query string): mostly a well-formed query of the template's fields with nasty
    values, size and seed; sometimes one flaw (a repeated, unknown or signature parameter, a
    broken percent-escape, required fields left to chance)."""
    template = draw(st.sampled_from(sorted(TEMPLATES)))
    fields = TEMPLATES[template].fields
    names = draw(st.lists(st.sampled_from(list(fields)), unique=True, max_size=len(fields)))
    names += [name for name in ("size", "seed") if draw(st.sampled_from([True, True, False]))]
    flaw = draw(CARD_FLAWS)
    if flaw != "no-required":
        names = [n for n, f in fields.items() if f.required and n not in names] + names
    parts = [f"{quote(n)}={quote(draw(_value_for(template, n)), safe='')}" for n in names]
    if flaw == "repeated" and names:
        parts.append(f"{names[0]}={quote(draw(nasty_text), safe='')}")
    elif flaw == "unknown":
        parts.append(f"{draw(st.sampled_from(['x', '', 'title', 'headline', 'Title']))}=1")
    elif flaw == "signature":
        parts.append(f"s={quote(draw(nasty_text), safe='')}")
    elif flaw == "escape":
        parts.append(f"{draw(st.sampled_from(names or ['title']))}={draw(st.sampled_from(BROKEN_ESCAPES))}")
    return template, "&".join(draw(st.permutations(parts)))


# --- JSON bodies ---------------------------------------------------------------------------------

json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(allow_nan=False), nasty_text
)
json_value = st.recursive(
    json_scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(nasty_text, inner, max_size=4)
)
PLAUSIBLE = {
    "tier": st.sampled_from(["free", "pro", "enterprise"]),
    "quality": st.sampled_from(["draft", "standard", "high", "ultra"]),
    "layer": st.sampled_from(["background", "typography", "hero", "final", "image"]),
    "intent": st.sampled_from(["typography", "photoreal", "background", "complex_scene"]),
    "model": st.sampled_from(["gpt-image-2", "ideogram-v3", "local-gradient", "x"]),
    "size": st.one_of(
        st.builds(lambda w, h: f"{w}x{h}", side, side),
        st.sampled_from(["64x4096", "4096x64", "4096x4096", "64x64", "9999x9999", "10x10"]),
        st.text(nasty_char, max_size=9),
    ),
    "aspect_ratio": st.one_of(
        st.sampled_from(["16:9", "1:1", "0:0", "99:1", "1:99", "٩:١٦", "16:9\n", "1:0"]),
        st.builds(lambda w, h: f"{w}:{h}", st.integers(0, 99), st.integers(0, 99)),  # extreme shapes
    ),
    "transparent": st.booleans(),
    "budget": st.one_of(st.floats(-1, 1e6), st.integers(-1, 10**30)),
    "deadline": st.one_of(st.floats(-1, 1e9), st.integers(0, 10**30)),
}
ROUTE_KEYS = sorted(PLAUSIBLE)
route_value = {key: weighted((2, plausible), (1, json_value)) for key, plausible in PLAUSIBLE.items()}
# Escapes of lone surrogates (the last is a valid pair, for contrast).
LONE_SURROGATES = ["\\ud800", "\\udfff", "\\ud83d x", "\\ude00\\ud83d", "\\ud83d\\ude00"]
RAW_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" * 5000, "1e-400", "-0"]


ROUTE_FLAWS = ["no-prompt", "number", "surrogate", "deep-value", "repeated", "deep", "cut"]
ROUTE_FLAW = weighted((4, st.none()), (3, st.sampled_from(ROUTE_FLAWS)))


@st.composite
def route_bodies(draw: st.DrawFn) -> str:
    """A body text: mostly an object of route fields with any JSON values; sometimes one flaw (no
    prompt, a raw non-JSON number, a lone surrogate escape, deep nesting inside or around the
    object, a repeated key, truncation)."""
    keys = draw(st.lists(st.sampled_from(ROUTE_KEYS), unique=True, max_size=6))
    fields = {key: draw(route_value[key]) for key in keys}
    flaw = draw(ROUTE_FLAW)
    if flaw != "no-prompt":
        fields["prompt"] = draw(st.one_of(visible_text, nasty_text))
    items = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in fields.items()]
    key = json.dumps(draw(st.sampled_from(ROUTE_KEYS)))
    depth = draw(st.integers(20, 20_000))
    if flaw == "number":
        items.append(f"{key}: {draw(st.sampled_from(RAW_NUMBERS))}")
    elif flaw == "surrogate":
        items.append(f'{key}: "a {draw(st.sampled_from(LONE_SURROGATES))} b"')
    elif flaw == "deep-value":
        items.append(f"{key}: {'[' * depth}{']' * depth}")
    elif flaw == "repeated" and items:
        items.append(items[0])
    body = "{" + ", ".join(items) + "}"
    if flaw == "deep":
        body = "[" * depth + body + "]" * depth
    elif flaw == "cut":
        body = body[: draw(st.integers(0, len(body)))]
    return body


CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "application/problem+json"]
CONTENT_TYPES += ["application/json"] * 5 + ["text/plain", ""]


# --- the property --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    # Dev mode without keys serves unsigned URLs, so every example reaches the renderer.
    settings = load_settings(dev=True, data_dir=tmp_path_factory.mktemp("never-5xx"))
    return create_app(settings).test_client()


def _assert_not_5xx(resp: Any, what: str) -> None:
    assert resp.status_code < 500, f"{what} -> {resp.status_code}: {resp.get_data()[:200]!r}"
    if resp.status_code >= 400:
        assert resp.mimetype == "application/problem+json", what
        assert resp.get_json()["status"] == resp.status_code
    elif resp.status_code == 200 and resp.mimetype == "image/png":
        assert resp.data.startswith(b"\x89PNG\r\n\x1a\n")


@BOUNDED
@given(query=card_queries())
def test_no_card_request_gets_a_5xx(client, query: tuple[str, str]) -> None:
    template, raw = query
    url = f"/og/{template}.png?{raw}"
    _assert_not_5xx(client.get(url), url[:400])


@pytest.fixture(scope="module")
def keyed_client(tmp_path_factory: pytest.TempPathFactory):
    """Every vendor configured (never called: routing is a dry run), so the router prices and sizes
    each remote model: a 99:1 ratio once reached a size-priced model as a 10,189 px wide request."""
    keys = {f"{name}_api_key": "k" for name in PROVIDERS} | {"vertex_project": "p"}
    keys |= {"a1111_base_url": "http://127.0.0.1:9", "comfyui_base_url": "http://127.0.0.1:9"}
    data_dir = tmp_path_factory.mktemp("never-5xx-keyed")
    # A rate no sweep reaches: past 120 examples a minute the sweep would only meet 429s.
    settings = load_settings(dev=True, data_dir=data_dir, rate_limit="100000/second", **keys)
    return create_app(settings).test_client()


@settings(BOUNDED, max_examples=500)
@given(body=route_bodies(), content_type=st.sampled_from(CONTENT_TYPES))
def test_no_route_body_gets_a_5xx(keyed_client, body: str, content_type: str) -> None:
    resp = keyed_client.post(
        "/v1/route", data=body.encode("utf-8", "surrogatepass"), content_type=content_type
    )
    _assert_not_5xx(resp, body[:200])


@settings(BOUNDED, max_examples=150)
@given(path=st.one_of(st.text(st.sampled_from("abcdef0123456789./%-"), max_size=70), nasty_text))
def test_no_asset_or_page_path_gets_a_5xx(client, path: str) -> None:
    escaped = quote(path, safe="%")
    for url in (f"/a/{escaped}.png", f"/og/{escaped}.png", f"/{escaped}", f"/a/{quote(path, safe='/%')}.png"):
        _assert_not_5xx(client.get(url), url[:400])
