"""Security headers on every response: a Content-Security-Policy with a fresh script nonce
per request, no framing, no MIME sniffing, a referrer policy, and HSTS over HTTPS.

A small ``after_request`` hook rather than Flask-Talisman: Talisman is barely maintained,
and all we need is one policy built from our own settings (the tile host) plus a nonce.

Scripts run only from this site or with the request's nonce (``csp_nonce()`` in templates;
Folium's inline script is wrapped by ``_macros.html:map_block``, which adds it). Styles
allow ``'unsafe-inline'``: Leaflet and Folium set inline styles (style attributes in their
popups and markers), and inline styles cannot run code; the common compromise.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, g, request
from markupsafe import Markup
from werkzeug.wrappers import Response

from dispatch.geo import maps

HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """This request's script nonce (made on first use)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


def tile_source(tile_url: str) -> str:
    """The CSP source of a tile URL template: its scheme and host, a ``{s}`` subdomain
    (or any label with a placeholder, e.g. ``webrd0{s}``) becoming the leading ``*.``."""
    parts = urlsplit(tile_url)
    if not parts.scheme or not parts.netloc:
        return ""
    labels = parts.netloc.split(".")
    templated = [i for i, label in enumerate(labels) if "{" in label]
    if templated:
        labels = ["*", *labels[templated[-1] + 1:]]
    return f"{parts.scheme}://{'.'.join(labels)}"


def policy(nonce: str, tile_url: str) -> str:
    images = " ".join(filter(None, ["'self'", "data:", "blob:", tile_source(tile_url)]))
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src {images}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def register(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.template_filter("nonced")
    def _nonced(html: Markup) -> Markup:
        return maps.add_nonce(html, csp_nonce())

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy",
                           policy(csp_nonce(), app.config.get("TILE_URL", "")))
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # The private feedback link carries its key in the query: other sites (the map
        # tiles) get the origin only, never the path and query.
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
