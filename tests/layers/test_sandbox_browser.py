"""The README's sandbox steps, followed as a new user would, show an AI-background card in Chromium.

`ogservice sandbox` and `ogservice serve --with-worker` (what `make sandbox` and `make run` start)
run as real processes; the URL is the one the README says to open, on the test's own port; the
browser reloads it until the final card arrives, then the screenshot's pixels are checked: the
background is the fal emulator's flat colour (flux-schnell's layer), not the procedural field.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.layers.conftest import ROOT, free_port, server_process, stop, wait_for

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; .ci/run installs it (no browser downloads here)
EMULATED_BACKGROUND = (40, 90, 200)  # the flat colour the background emulators return
README_URL = re.compile(r"Open `http://127\.0\.0\.1:8000(/og/[^`]+)`")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (.ci/run installs it)")


def readme_card_path() -> str:
    """The card URL the README's sandbox section tells a user to open (path and query)."""
    section = (ROOT / "README.md").read_text().split("### Try it with no keys: the sandbox", 1)[1]
    match = README_URL.search(section)
    assert match, "the README's sandbox section names no URL to open"
    return match.group(1)


def sandbox_env(log_path: Path) -> dict[str, str]:
    """The `export OGS_…` lines `ogservice sandbox` printed (to its log), as a user pastes them."""
    wait_for(lambda: "# sandbox running" in log_path.read_text(), timeout=60)
    text = log_path.read_text()
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("export "):
            env.update(pair.split("=", 1) for pair in line.split()[1:])
    return env


def test_readme_sandbox_steps_show_an_ai_background_in_a_browser(
    base_env: dict[str, str], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    log_path = tmp_path / "sandbox.log"
    with open(log_path, "wb") as log:  # a file, not a pipe: the emulators' access logs never block
        sandbox = subprocess.Popen(
            [sys.executable, "-m", "ogservice.cli", "sandbox"], cwd=ROOT, env={**os.environ, **base_env},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        env = {**base_env, **sandbox_env(log_path), "OGS_PORT": str(free_port())}
        with server_process(env, "server", workers=1, extra=("--with-worker",)) as base:
            headers, shot = final_card_in_chromium(sync_playwright, base + readme_card_path(), tmp_path)
    finally:
        stop(sandbox)
    assert headers["x-ogs-layers"].startswith("background=flux-schnell;")
    from PIL import Image

    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        card_corner = rgb.getpixel((rgb.width // 2, rgb.height - 60))  # below the text, inside the card
    assert card_corner == EMULATED_BACKGROUND, f"not the AI background: {card_corner}"


def final_card_in_chromium(sync_playwright, url: str, tmp_path: Path) -> tuple[dict[str, str], Path]:
    """Open `url`, reload (as a user presses F5) until the card is not provisional; screenshot it."""
    shot = tmp_path / "card.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 630})
            response = page.goto(url)

            def final() -> dict[str, str] | None:
                nonlocal response
                if response is not None and "x-ogs-provisional" not in response.headers:
                    return response.headers
                time.sleep(0.5)
                response = page.reload()
                return None

            headers = wait_for(final, timeout=120, every=0.0)
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    return headers, shot
