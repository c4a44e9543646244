"""The README's signing snippets (Python, Node, PHP) sign exactly as the service verifies: run as
written, then on parameters with Unicode and every reserved character."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from ogservice.signing import signature, verify

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
SIGNING = README.split("### Signing", 1)[1].split("\n## ", 1)[0]
WORKED_EXAMPLE = "/og/blog-post.png?size=og&title=Hello%20World&s=nVtRfl7BdNJt524X-2XUOi4QADm8tXQARmEsKM69N9Q"
CASES = [
    ("secret-key", "/og/blog-post.png", {"title": "Hello World", "size": "og"}),
    ("k", "/og/promo-banner.jpg", {"headline": "50% off: “quotes” & 'apostrophes' (now!) *", "cta": "Go"}),
    ("k2", "/og/blog-post.webp", {"title": "Ünïcödé ✓ 🎉 日本語 עברית", "site": "a+b=c/d?e#f~g_h.i-j"}),
    ("ключ", "/og/hero.avif", {"title": "Tab\tand text; commas, colons: @$", "max_bytes": "1", "tag": ""}),
    ("k", "/og/blog-post.png", {}),
]
# Each runner reads [key, path, params] triples as JSON on stdin and prints one URL per line.
HARNESS = {
    "python": "\nimport json as _json, sys as _sys\n"
    "for _k, _p, _f in _json.load(_sys.stdin):\n    print(og_sign(_k, _p, _f))\n",
    "js": "\nconst _cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));\n"
    "for (const [k, p, f] of _cases) console.log(ogSign(k, p, f));\n",
    "php": "\nforeach (json_decode(stream_get_contents(STDIN), true) as [$k, $p, $f]) "
    '{ echo og_sign($k, $p, (array) $f), "\\n"; }\n',
}
COMMANDS = {"python": "python3", "js": "node", "php": "php"}
SUFFIX = {"python": "py", "js": "js", "php": "php"}


def _snippet(language: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", SIGNING, re.S)
    assert len(blocks) == 1, f"one {language} snippet in the README's Signing section"
    return blocks[0]


def _run(language: str, source: str, folder: Path, stdin: str = "") -> list[str]:
    """Run `source` as a file with the language's own interpreter (the test skips without it)."""
    if shutil.which(COMMANDS[language]) is None:
        pytest.skip(f"{COMMANDS[language]} is not installed")
    script = folder / f"sign.{SUFFIX[language]}"
    script.write_text(source)
    done = subprocess.run(
        [COMMANDS[language], str(script)], input=stdin, text=True, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def _without_example(source: str) -> str:
    """The snippet's function alone (its last statement prints the worked example)."""
    return source.rstrip().rsplit("\n", 1)[0]


@pytest.mark.parametrize("language", ["python", "js", "php"])
def test_snippet_as_written_prints_the_worked_example(language, tmp_path):
    assert _run(language, _snippet(language), tmp_path) == [WORKED_EXAMPLE]


@pytest.mark.parametrize("language", ["python", "js", "php"])
def test_snippet_signs_like_the_service(language, tmp_path):
    source = _without_example(_snippet(language)) + HARNESS[language]
    urls = _run(language, source, tmp_path, json.dumps(CASES))
    assert len(urls) == len(CASES)
    for url, (key, path, params) in zip(urls, CASES, strict=True):
        parts = urlsplit(url)
        parsed = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
        assert parts.path == path and dict((k, v) for k, v in parsed if k != "s") == params
        verify([key], path, parsed)  # what the server does with this URL
        assert dict(parsed)["s"] == signature(key, path, list(params.items()))
