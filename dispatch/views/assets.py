"""Static files under fingerprinted names, cached for a year.

``url_for('static', filename='js/board.js')`` keeps working everywhere and now gives
``/static/js/board.js?v=<first 12 hex of the file's SHA-256>``: a changed file gets a new
address, so browsers and proxies may keep every address forever (``immutable``). A request
without the fingerprint, or with a stale one (a page rendered before a deploy), still gets the
file, with a short cache time instead. nginx, where it serves ``/static/`` itself, does the same
(``docs/deploy.md``).

Fingerprints are computed once per file per process. In debug mode (`flask run --debug`)
a file's modification time is checked on every use, so an edited file gets a new address;
otherwise not: the files change only with a deploy, which starts new processes, and the
check was a ``stat`` for every script and style of every page.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Flask, request
from werkzeug.wrappers import Response

YEAR = 365 * 24 * 3600
SHORT = 300  # s: an address without (or with a stale) fingerprint
_fingerprints: dict[tuple[str, float], str] = {}  # by path and modification time
_as_first_seen: dict[str, str] = {}  # by path: what recheck=False answers


def fingerprint(path: Path, recheck: bool = True) -> str | None:
    """The file's fingerprint, None if there is no such file. ``recheck``: look at its
    modification time now, so that the fingerprint follows edits."""
    if not recheck and str(path) in _as_first_seen:
        return _as_first_seen[str(path)]
    try:
        mtime = path.stat().st_mtime
    except OSError:
        found = None
    else:
        key = (str(path), mtime)
        found = _fingerprints.get(key)
        if found is None:
            found = _fingerprints[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    if not recheck and found is not None:  # a missing file is not remembered: any name
        _as_first_seen[str(path)] = found  # can be asked for
    return found


def register(app: Flask) -> None:
    folder = Path(app.static_folder or "")

    @app.url_defaults
    def _add_fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            found = fingerprint(folder / str(values["filename"]), recheck=app.debug)
            if found:
                values["v"] = found

    @app.after_request
    def _cache_static(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        filename = (request.view_args or {}).get("filename", "")
        given = request.args.get("v")
        response.cache_control.no_cache = None  # Flask's default for files without max_age
        if given and given == fingerprint(folder / str(filename), recheck=app.debug):
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        else:
            response.cache_control.public = True
            response.cache_control.max_age = SHORT
        return response
