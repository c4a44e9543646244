"""The /og and /a routes: signatures, caching headers, 304s, and a sweep of bad inputs (only 4xx)."""

from __future__ import annotations

import io
import threading
from urllib.parse import quote

import pytest
from PIL import Image

from ogservice import create_app
from ogservice.config import load_settings
from ogservice.signing import sign_url

KEY = "test-key-1"


@pytest.fixture
def app(tmp_path):
    settings = load_settings(dev=False, signing_keys=f"{KEY},old-key", data_dir=tmp_path / "data")
    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


def signed(path_template: str, fields: list[tuple[str, str]], key: str = KEY) -> str:
    return sign_url(key, path_template, fields)


TITLE = [("title", "SALE 50% OFF: “quotes” & 'more'"), ("site", "example.com")]


def test_signed_card_renders_png_with_cache_headers(client):
    resp = client.get(signed("/og/blog-post.png", TITLE))
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    assert Image.open(io.BytesIO(resp.data)).size == (1200, 630)
    assert resp.headers["ETag"].strip('"') and len(resp.headers["ETag"].strip('"')) == 64
    cache = resp.headers["Cache-Control"]
    assert "max-age=3600" in cache and "s-maxage=86400" in cache and "immutable" not in cache
    assert "compose;dur=" in resp.headers["Server-Timing"]
    assert resp.headers["X-Ogs-Cache"] == "miss"
    again = client.get(signed("/og/blog-post.png", TITLE))
    assert again.headers["X-Ogs-Cache"] == "hit" and again.data == resp.data


def test_if_none_match_gives_304(client):
    url = signed("/og/blog-post.png", TITLE)
    etag = client.get(url).headers["ETag"]
    resp = client.get(url, headers={"If-None-Match": etag})
    assert resp.status_code == 304 and not resp.data and resp.headers["ETag"] == etag


IF_NONE_MATCH = [
    ('"{etag}"', 304),
    ('W/"{etag}"', 304),  # If-None-Match compares weakly
    ('"other", W/"{etag}"', 304),
    ("*", 304),
    ('"other"', 200),
    ('"other,{etag}"', 200),  # one quoted tag that contains a comma, not a list
    ('"{etag}x"', 200),
]


@pytest.mark.parametrize(("header", "status"), IF_NONE_MATCH)
def test_if_none_match_is_answered_alike_by_the_hot_path_the_route_and_the_asset(client, header, status):
    url = signed("/og/blog-post.png", [("title", "Entity tags"), ("site", "x.dev")])
    digest = client.get(url).headers["ETag"].strip('"')  # rendered: this exact URL now takes the hot path
    path, query = url.split("?")
    same_card = path + "?" + "&".join(reversed(query.split("&")))  # verifies alike, not resolved yet
    value = {"If-None-Match": header.format(etag=digest)}
    route, hot = client.get(same_card, headers=value), client.get(url, headers=value)
    timings = route.headers["Server-Timing"], hot.headers["Server-Timing"]
    assert not timings[0].startswith("hot;") and timings[1].startswith("hot;")
    assert route.status_code == hot.status_code == client.get(f"/a/{digest}.png", headers=value).status_code
    assert hot.status_code == status and (hot.data == b"") == (status == 304)


def test_asset_url_is_immutable_and_content_addressed(client):
    resp = client.get(signed("/og/blog-post.png", TITLE))
    digest = resp.headers["ETag"].strip('"')
    asset = client.get(f"/a/{digest}.png")
    assert asset.status_code == 200 and asset.data == resp.data
    assert "immutable" in asset.headers["Cache-Control"]
    import hashlib

    assert hashlib.sha256(asset.data).hexdigest() == digest


def test_rotated_old_key_still_verifies(client):
    assert client.get(signed("/og/blog-post.png", TITLE, key="old-key")).status_code == 200


@pytest.mark.parametrize(
    "size,expected",
    [("og", (1200, 630)), ("x", (1200, 600)), ("square", (1080, 1080)), ("800x418", (800, 418))],
)
def test_sizes(client, size, expected):
    resp = client.get(signed("/og/blog-post.png", [*TITLE, ("size", size)]))
    assert resp.status_code == 200
    assert Image.open(io.BytesIO(resp.data)).size == expected


def _bad_requests():
    ok = signed("/og/blog-post.png", TITLE)
    sig = ok.rsplit("s=", 1)[1]
    return [
        ("unknown-template", signed("/og/nope.png", TITLE), 404),
        ("traversal", "/og/..%2F..%2Fetc%2Fpasswd.png?title=x", 404),
        ("traversal-dots", signed("/og/../templates/blog-post.png", TITLE), 404),
        ("uppercase-template", signed("/og/Blog-Post.png", TITLE), 404),
        ("missing-signature", "/og/blog-post.png?title=x", 403),
        ("tampered-signature", ok[:-2] + ("AA" if not ok.endswith("AA") else "BB"), 403),
        ("tampered-field", ok.replace("example.com", "evil.com"), 403),
        ("signature-for-other-template", f"/og/hero.png?title=x&s={sig}", 403),
        ("missing-title", signed("/og/blog-post.png", [("site", "x")]), 400),
        ("empty-title", signed("/og/blog-post.png", [("title", "   ")]), 400),
        ("unknown-field", signed("/og/blog-post.png", [*TITLE, ("colour", "red")]), 400),
        ("duplicate-field", signed("/og/blog-post.png", [*TITLE, ("title", "again")]), 400),
        ("control-char", signed("/og/blog-post.png", [("title", "bad\x00null")]), 400),
        ("escape-char", signed("/og/blog-post.png", [("title", "bad\x1b[31m")]), 400),
        ("invalid-utf8", "/og/blog-post.png?title=%FF%FE%FD&s=" + sig, 400),
        ("lone-surrogate-utf8", "/og/blog-post.png?title=%ED%A0%80&s=" + sig, 400),
        ("bad-theme", signed("/og/blog-post.png", [*TITLE, ("theme", "neon")]), 422),
        (
            "bad-brand-color",
            signed("/og/promo-banner.png", [("headline", "x"), ("brand_color", "blue")]),
            422,
        ),
        ("bad-size-name", signed("/og/blog-post.png", [*TITLE, ("size", "poster")]), 400),
        ("huge-size", signed("/og/blog-post.png", [*TITLE, ("size", "40000x40000")]), 422),
        ("too-many-pixels", signed("/og/blog-post.png", [*TITLE, ("size", "4096x4096")]), 422),
        ("zero-size", signed("/og/blog-post.png", [*TITLE, ("size", "0x630")]), 422),
        ("negative-seed", signed("/og/blog-post.png", [*TITLE, ("seed", "-1")]), 400),
        ("superscript-seed", signed("/og/blog-post.png", [*TITLE, ("seed", "²")]), 400),
        ("circled-seed", signed("/og/blog-post.png", [*TITLE, ("seed", "①")]), 400),
        ("arabic-digit-size", signed("/og/blog-post.png", [*TITLE, ("size", "٦٤x٦٤")]), 400),
        ("invisible-title", signed("/og/blog-post.png", [("title", "\u200b\u0301\u202e")]), 400),
        ("long-title", signed("/og/blog-post.png", [("title", "x" * 201)]), 413),
        ("huge-query", signed("/og/blog-post.png", [("title", "y" * 5000)]), 413),
        ("many-params", "/og/blog-post.png?" + "&".join(f"p{i}=1" for i in range(200)), 400),
        ("bad-asset-digest", "/a/../../etc/passwd.png", 404),
        ("unknown-asset", "/a/" + "0" * 64 + ".png", 404),
        ("bad-asset-name", "/a/zz.png", 404),
    ]


@pytest.mark.parametrize(
    ("name", "url", "status"), _bad_requests(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_bad_input_yields_problem_json_4xx(client, name, url, status):
    resp = client.get(url)
    assert resp.status_code == status, resp.data[:300]
    if status != 404 or resp.mimetype == "application/problem+json":
        body = resp.get_json(force=True)
        assert resp.mimetype == "application/problem+json"
        assert body["status"] == status and body["detail"]
        assert "Traceback" not in resp.get_data(as_text=True)


def test_fuzzed_fields_never_5xx(client):
    import random

    rng = random.Random(5)
    alphabet = "aZ9 %&=?#/\\\"'<>\u00e9\u202e\u0627\u05e9\u4e2d\U0001f600\u200d\ufeff\t\n"
    for _ in range(60):
        title = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 240)))
        fields = [("title", title), ("size", rng.choice(["og", "x", "square", "1x1", "99999x1", "abc"]))]
        resp = client.get(signed("/og/blog-post.png", fields))
        assert resp.status_code < 500, (title, resp.data[:200])


@pytest.mark.parametrize("text", ["\u200b", "\u200d", "\u00ad", "\u0301", "\u202e", "\u2060", "\u20de"])
@pytest.mark.parametrize(
    ("template", "fields"),
    [
        ("blog-post", ["subtitle", "author", "date", "site", "tag"]),
        ("hero", ["subtitle", "eyebrow", "cta"]),
        ("promo-banner", ["subhead", "discount", "price", "old_price", "cta"]),
    ],
)
def test_optional_fields_with_nothing_visible_render_as_if_empty(client, text, template, fields):
    required = "headline" if template == "promo-banner" else "title"
    blank = client.get(signed(f"/og/{template}.png", [(required, "Hello")]))
    invisible = client.get(signed(f"/og/{template}.png", [(required, "Hello"), *((f, text) for f in fields)]))
    assert invisible.status_code == 200 and invisible.data == blank.data


def test_dev_mode_serves_unsigned_but_still_checks_given_signatures(tmp_path):
    client = create_app(load_settings(dev=True, data_dir=tmp_path)).test_client()
    assert client.get("/og/blog-post.png?title=" + quote("Hello dev")).status_code == 200
    assert client.get("/og/blog-post.png?title=Hello&s=forged").status_code == 403


def test_concurrent_renders_store_one_asset_and_no_partial_files(app, tmp_path):
    url = signed("/og/blog-post.png", [("title", "Concurrency is not parallelism"), ("site", "go.dev")])
    results = []

    def fetch():
        results.append(app.test_client().get(url))

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in results} == {200}
    assert len({r.data for r in results}) == 1
    assert app.extensions["ogs.cards"].store.flush(timeout=10)  # the server writes behind the response
    assets = list((tmp_path / "data" / "asset").rglob("*"))
    files = [p for p in assets if p.is_file()]
    assert len(files) == 1 and not [p for p in files if p.name.startswith(".tmp-")]


def test_healthz(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json()["status"] == "ok"  # details: test_healthz.py


def test_missing_glyphs_reported_on_misses_and_hits(client):
    url = signed("/og/blog-post.png", [("title", "Hieroglyph \U00013000 card")])
    first, second = client.get(url), client.get(url)
    assert first.headers["X-Ogs-Missing-Glyphs"] == "U+13000"
    assert second.headers["X-Ogs-Cache"] == "hit" and second.headers["X-Ogs-Missing-Glyphs"] == "U+13000"


def test_missing_glyph_policy_error_is_422(tmp_path):
    settings = load_settings(dev=True, data_dir=tmp_path, missing_glyph="error")
    resp = create_app(settings).test_client().get("/og/blog-post.png?title=" + quote("Bad \U00013000"))
    assert resp.status_code == 422 and "U+13000" in resp.get_json()["detail"]


def test_two_processes_rendering_the_same_card_store_one_asset(tmp_path):
    # Two apps on one data folder stand in for two gunicorn workers: no shared lock between them.
    settings = load_settings(dev=False, signing_keys=KEY, data_dir=tmp_path / "data")
    apps = [create_app(settings) for _ in range(2)]
    url = signed("/og/blog-post.png", [("title", "Two workers, one asset")])
    results = []
    threads = [
        threading.Thread(target=lambda a=a: results.append(a.test_client().get(url))) for a in apps * 3
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in results} == {200} and len({r.data for r in results}) == 1
    assert all(a.extensions["ogs.cards"].store.flush(timeout=10) for a in apps)
    files = [p for p in (tmp_path / "data" / "asset").rglob("*") if p.is_file()]
    assert len(files) == 1 and not files[0].name.startswith(".tmp-")


def test_repeat_hits_take_the_hot_path_with_the_same_answer(client):
    url = signed("/og/blog-post.png", [("title", "Hot path"), ("site", "x.dev")])
    first = client.get(url)
    hot = client.get(url)
    assert hot.status_code == 200 and hot.data == first.data and hot.headers["ETag"] == first.headers["ETag"]
    assert hot.headers["Server-Timing"].startswith("hot;dur=") and hot.headers["X-Ogs-Cache"] == "hit"
    assert client.get(url, headers={"If-None-Match": f'W/"x", {first.headers["ETag"]}'}).status_code == 304
    # A different query (even one more parameter) is not the resolved URL: it is verified again.
    assert client.get(url + "&title=x").status_code == 403
    assert client.get(url.replace("Hot", "Hat")).status_code == 403
