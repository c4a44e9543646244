"""/docs in Chromium with every other request refused: the page is complete offline (no CDN)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.api_keys import make_app

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; .ci/run installs it (no browser downloads here)
ORIGIN = "http://ogservice.test"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (.ci/run installs it)")


def test_docs_page_renders_every_operation_offline(tmp_path: Path) -> None:
    from playwright.sync_api import Route, sync_playwright

    client = make_app(tmp_path).test_client()
    page_html = client.get("/docs").get_data(as_text=True)
    paths = client.get("/openapi.json").json["paths"]
    refused: list[str] = []

    def serve(route: Route) -> None:
        if route.request.url == f"{ORIGIN}/docs":
            route.fulfill(body=page_html, content_type="text/html")
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.route("**/*", serve)
            page.goto(f"{ORIGIN}/docs")
            headings = page.locator("section.op h3").all_inner_texts()
            page.click("a[href='#schema-CardsRequest']")
            schema_visible = page.locator("#schema-CardsRequest pre").is_visible()
        finally:
            browser.close()
    assert refused == []
    shown = {" ".join(h.split()) for h in headings}
    assert shown == {f"{method.upper()} {path}" for path, methods in paths.items() for method in methods}
    assert schema_visible
