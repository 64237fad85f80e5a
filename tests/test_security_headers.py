"""Security headers on every response: the Content-Security-Policy (a fresh nonce per
request, carried by every script tag), no framing, no sniffing, the referrer policy, and
HSTS over HTTPS only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from dispatch.views.security import policy, tile_source
from tests.conftest import WebClient
from tests.factories import World

ROOT = Path(__file__).resolve().parent.parent


def directives(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header = response.headers["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
            for part in (p.strip() for p in header.split(";")) if part}


def test_every_page_gets_the_security_headers(web: WebClient, world: World) -> None:
    for path in ("/", f"/c/{world.case.tracking_code}", "/report", "/login",
                 "/static/js/my-reports.js", "/no-such-page"):
        response = web.get(path)
        headers = response.headers
        assert headers["X-Frame-Options"] == "DENY", path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
        csp = directives(response)
        assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
        assert csp["default-src"] == "'self'"
        assert "'unsafe-inline'" not in csp["script-src"]
        assert "Strict-Transport-Security" not in headers  # plain HTTP: no HSTS
        response.close()


def test_every_script_tag_carries_the_requests_nonce(signed_in, web: WebClient,
                                                    world: World) -> None:
    desk = signed_in("coordinator")
    pages = [(web, f"/c/{world.case.tracking_code}"), (web, "/report"),
             (web, f"/report/details?kind=hazard&category={world.category.code}"
                   "&lat=27.8655&lon=112.9468"),
             (desk, "/desk/board"), (desk, f"/desk/cases/{world.case.id}"),
             (desk, "/desk/rota"), (signed_in("member"), "/v/")]
    nonces = set()
    for client, path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        nonce = re.fullmatch(r"'self' 'nonce-([A-Za-z0-9_-]{22})'",
                             directives(response)["script-src"])
        assert nonce, path
        tags = re.findall(r"<script\b[^>]*>", response.get_data(as_text=True))
        assert tags, path
        for tag in tags:  # data blocks are never run: CSP does not apply to them
            if 'type="application/json"' not in tag:
                assert f'nonce="{nonce.group(1)}"' in tag, (path, tag)
        nonces.add(nonce.group(1))
    assert len(nonces) == len(pages)  # fresh for each request


def test_the_map_tiles_host_is_allowed_for_images(app: Flask, web: WebClient) -> None:
    csp = directives(web.get("/report"))
    assert csp["img-src"].split() == ["'self'", "data:", "blob:",
                                      "https://tile.openstreetmap.org"]
    assert csp["style-src"] == "'self' 'unsafe-inline'"  # Leaflet's inline styles
    app.config["TILE_URL"] = "https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}"
    assert "https://*.is.autonavi.com" in directives(web.get("/report"))["img-src"]


@pytest.mark.parametrize(("url", "source"), [
    ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
    ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
    ("http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
    ("/static/tiles/{z}/{x}/{y}.png", ""),  # our own: 'self' covers it
])
def test_tile_sources(url: str, source: str) -> None:
    assert tile_source(url) == source


def test_hsts_only_over_https(web: WebClient) -> None:
    response = web.get("/", base_url="https://dispatch.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_policy_names_the_nonce() -> None:
    assert "script-src 'self' 'nonce-abc'" in policy("abc", "")


def test_no_inline_event_handlers_or_javascript_urls_in_templates_and_scripts() -> None:
    """CSP without 'unsafe-inline' blocks them: handlers are bound in static/js."""
    files = [*(ROOT / "templates").rglob("*.html"), *(ROOT / "static" / "js").glob("*.js")]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<[^>]*\son[a-z]+(\s*=|[\s/>])", text), path
        assert "javascript:" not in text, path
