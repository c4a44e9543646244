"""`ogservice sign --format` and `ogservice render -o card.<ext>`: URLs the server verifies, files
in the asked format, absolute URLs when OGS_PUBLIC_URL is set."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from PIL import Image

from ogservice import create_app
from ogservice.cards.formats import sniff
from ogservice.cli import main
from ogservice.config import load_settings

KEY = "cli-test-key"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "OGS_SIGNING_KEYS": KEY,
        "OGS_DEV": "0",
        "OGS_DATA_DIR": str(tmp_path / "data"),
        "OGS_PUBLIC_URL": "",
    }


def _sign(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(main, ["sign", "promo-banner", "-f", "headline=Summer sale", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("args", "mime"),
    [([], "image/png"), (["--format", "jpg"], "image/jpeg"), (["--format", "WEBP"], "image/webp")],
)
def test_sign_prints_a_url_the_server_verifies_in_that_format(env, tmp_path, args, mime):
    url = _sign(env, "--size", "rectangle", *args)
    assert url.startswith("/og/promo-banner.")
    settings = load_settings(dev=False, signing_keys=KEY, data_dir=tmp_path / "data")
    resp = create_app(settings).test_client().get(url)
    assert resp.status_code == 200 and resp.mimetype == mime
    assert Image.open(io.BytesIO(resp.data)).size == (300, 250)


def test_sign_with_a_byte_limit_signs_it(env, tmp_path):
    url = _sign(env, "--format", "jpg", "--max-bytes", "20000")
    assert "max_bytes=20000" in url
    settings = load_settings(dev=False, signing_keys=KEY, data_dir=tmp_path / "data")
    resp = create_app(settings).test_client().get(url)
    assert resp.status_code == 200 and len(resp.data) <= 20000


def test_sign_prints_an_absolute_url_with_ogs_public_url(env):
    url = _sign({**env, "OGS_PUBLIC_URL": "https://og.example.com/"}, "--format", "jpg")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "og.example.com", "/og/promo-banner.jpg")
    assert _sign(
        {**env, "OGS_PUBLIC_URL": "https://og.example.com"}, "--base-url", "http://cdn.test/"
    ).startswith("http://cdn.test/og/promo-banner.png?")


def test_sign_refuses_an_unknown_format(env):
    result = CliRunner().invoke(main, ["sign", "blog-post", "-f", "title=x", "--format", "gif"], env=env)
    assert result.exit_code != 0 and "png, jpg, webp" in result.output


@pytest.mark.parametrize(
    ("name", "args", "fmt"),
    [
        ("card.webp", [], "webp"),
        ("card.JPEG", [], "jpg"),
        ("card", [], "png"),
        ("card.png", ["--format", "avif"], "avif"),
    ],
)
def test_render_writes_the_format_of_the_extension_or_of_format(env, tmp_path, name, args, fmt):
    from ogservice.cards.formats import available

    if fmt not in available():
        pytest.skip(f"this Pillow cannot write {fmt}")
    out = tmp_path / name
    result = CliRunner().invoke(
        main, ["render", "blog-post", "-f", "title=Formats", "-o", str(out), *args], env=env
    )
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert sniff(data).name == fmt and Image.open(io.BytesIO(data)).size == (1200, 630)
    assert f"({fmt}, {len(data):,} bytes" in result.stdout


def test_render_meets_a_byte_limit_or_says_why_not(env, tmp_path):
    out = tmp_path / "story.jpg"
    args = ["render", "promo-banner", "-f", "headline=Sale", "--size", "story", "-o", str(out)]
    ok = CliRunner().invoke(main, [*args, "--max-bytes", "40000"], env=env)
    assert ok.exit_code == 0, ok.output
    assert len(out.read_bytes()) <= 40000 and "quality" in ok.stdout
    refused = CliRunner().invoke(main, [*args, "--max-bytes", "900"], env=env)
    assert refused.exit_code != 0 and "the smallest" in refused.output


def test_render_refuses_an_extension_it_cannot_write(env, tmp_path):
    result = CliRunner().invoke(
        main, ["render", "blog-post", "-f", "title=x", "-o", str(tmp_path / "a.gif")], env=env
    )
    assert result.exit_code != 0 and "--format" in result.output and not (tmp_path / "a.gif").exists()
