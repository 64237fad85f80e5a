"""In chromium, the main pages keep to their Content-Security-Policy: no console message,
no page error and no ``securitypolicyviolation`` event, and the maps render with their
tiles (served by a local tile server, allowed by img-src from TILE_URL)."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Case, CaseKind
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_walkthrough import sign_in

WATCH_CSP = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def _tile() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (220, 230, 210)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def tile_server(app: Flask) -> Iterator[str]:
    """A real HTTP tile server on another origin, like the map's tile host."""
    tile = _tile()

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(tile)))
            self.end_headers()
            self.wfile.write(tile)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # "localhost", not 127.0.0.1: another origin than the app's, as a tile host is.
    app.config["TILE_URL"] = f"http://localhost:{server.server_port}/{{z}}/{{x}}/{{y}}.png"
    yield app.config["TILE_URL"]
    server.shutdown()
    server.server_close()
    thread.join(10)


def visit(page, url: str, has_map: bool) -> list[str]:  # type: ignore[no-untyped-def]
    """Open ``url``; return what went wrong there (console, errors, CSP violations)."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"console {message.type}: "
                                                       f"{message.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    # the console says only "404"; this says of what
    page.on("response", lambda response: problems.append(
        f"HTTP {response.status}: {response.url}") if response.status >= 400 else None)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    if has_map:
        assert page.locator(".leaflet-container").count() >= 1, url
        page.wait_for_selector(".leaflet-tile-loaded", timeout=10_000)
    problems += [f"CSP: {v}" for v in page.evaluate("window.__violations")]
    return problems


def test_the_main_pages_keep_to_the_content_security_policy(
        live_server: str, tile_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    hazard = db.session.scalar(select(Case).where(Case.kind == CaseKind.HAZARD)
                               .order_by(Case.id))
    wish = db.session.scalar(select(Case).where(Case.kind == CaseKind.WISH).order_by(Case.id))
    assert hazard is not None and wish is not None
    hazard_code, wish_code, case_id = hazard.tracking_code, wish.tracking_code, hazard.id
    db.session.remove()

    found: dict[str, list[str]] = {}
    resident = browser.new_context(viewport=PHONE, locale="zh-CN")
    resident.add_init_script(WATCH_CSP)
    for path, has_map in (("/", False), ("/report", True), (f"/c/{hazard_code}", True),
                          (f"/c/{wish_code}", True), ("/wall", False)):
        page = resident.new_page()
        found[path] = visit(page, live_server + path, has_map)
        page.close()
    resident.close()

    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    desk.add_init_script(WATCH_CSP)
    page = desk.new_page()
    sign_in(page, live_server, "coordinator")
    page.close()
    for path, has_map in (("/desk/board", True), (f"/desk/cases/{case_id}", True),
                          ("/desk/cases", False), ("/desk/rota", False),
                          ("/desk/reports/monthly", False), ("/desk/exports", False),
                          ("/desk/import", False)):
        page = desk.new_page()
        found[path] = visit(page, live_server + path, has_map)
        if path == "/desk/board":
            page.wait_for_selector(".leaflet-marker-pane .board-dot, .board-cluster-icon",
                                   timeout=15_000)  # board.js ran and fetched the GeoJSON
        page.close()
    desk.close()

    volunteer = browser.new_context(viewport=PHONE, locale="zh-CN")
    volunteer.add_init_script(WATCH_CSP)
    page = volunteer.new_page()
    sign_in(page, live_server, "volunteer")
    page.close()
    page = volunteer.new_page()
    found["/v/"] = visit(page, live_server + "/v/", False)
    page.close()
    page = volunteer.new_page()
    found["/v/me"] = visit(page, live_server + "/v/me", False)
    page.close()
    volunteer.close()

    bad = {path: problems for path, problems in found.items() if problems}
    assert not bad, "\n".join(f"{p}: {q}" for p, qs in bad.items() for q in qs)
