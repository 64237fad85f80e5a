"""Place-name search against a real HTTP server speaking Nominatim's /search API.

No mocks: geopy builds the request, sends it over a socket to a local ThreadingHTTPServer and
parses what comes back, so these tests catch changes in what geopy sends or expects.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from dispatch.geo.geocoding import GeoMatch, geocode, geocoder_from_config

USER_AGENT = "dispatch-tests/1.0"
_UNSET = object()  # marks a config key to leave out entirely

# Shaped like a real Nominatim format=json reply (strings for coordinates and bounding box);
# the places and numbers are illustrative, not copied from a live server.
SEARCH_REPLY: list[dict[str, Any]] = [
    {
        "place_id": 218457311,
        "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
        "osm_type": "relation",
        "osm_id": 3283458,
        "lat": "24.4846",
        "lon": "117.9927",
        "class": "boundary",
        "type": "administrative",
        "place_rank": 16,
        "importance": 0.46,
        "addresstype": "district",
        "name": "海沧区",
        "display_name": "海沧区, 厦门市, 福建省, 中国",
        "boundingbox": ["24.4290", "24.6110", "117.8730", "118.0670"],
    },
    {
        "place_id": 218460027,
        "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
        "osm_type": "node",
        "osm_id": 1937294821,
        "lat": "24.4721",
        "lon": "118.0353",
        "class": "place",
        "type": "suburb",
        "place_rank": 20,
        "importance": 0.21,
        "addresstype": "suburb",
        "name": "海沧街道",
        "display_name": "海沧街道, 海沧区, 厦门市, 福建省, 361026, 中国",
        "boundingbox": ["24.4521", "24.4921", "118.0153", "118.0553"],
    },
]


@dataclass
class FakeNominatim:
    """What the server answers, and what it was asked."""

    url: str
    status: int = 200
    body: Any = field(default_factory=lambda: SEARCH_REPLY)
    stall_seconds: float = 0.0
    requests: list[tuple[str, dict[str, list[str]], dict[str, str]]] = field(default_factory=list)
    # Set on teardown so a stalled handler stops waiting at once.
    release: threading.Event = field(default_factory=threading.Event)

    def config(self, **overrides: Any) -> dict[str, Any]:
        return {"GEOCODER": "nominatim", "GEOCODER_URL": self.url,
                "GEOCODER_USER_AGENT": USER_AGENT, "GEOCODER_TIMEOUT": 3, **overrides}


class _Server(ThreadingHTTPServer):
    # Non-daemon handler threads, so server_close() joins them and none outlives its test.
    daemon_threads = False


@pytest.fixture
def nominatim() -> Iterator[FakeNominatim]:
    state: FakeNominatim

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            state.requests.append((parts.path, parse_qs(parts.query), dict(self.headers)))
            if state.stall_seconds:
                # Never answer: by the time the wait ends the client has hung up.
                state.release.wait(state.stall_seconds)
                return
            payload = json.dumps(state.body, ensure_ascii=False).encode()
            if state.status != 200:
                payload = b"<html><body>Internal Server Error</body></html>"
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass  # keep the test output clean

    server = _Server(("127.0.0.1", 0), Handler)
    host, port = server.server_address[:2]
    state = FakeNominatim(url=f"http://{host}:{port}")
    # A short poll interval so shutdown() does not wait out the default half second.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              name="fake-nominatim")
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_matches_come_back_in_order_with_float_coordinates(nominatim: FakeNominatim) -> None:
    matches = geocode("  海沧  ", nominatim.config(), limit=3)

    assert matches == [
        GeoMatch(name="海沧区, 厦门市, 福建省, 中国", latitude=24.4846, longitude=117.9927,
                 source="geocoder"),
        GeoMatch(name="海沧街道, 海沧区, 厦门市, 福建省, 361026, 中国", latitude=24.4721,
                 longitude=118.0353, source="geocoder"),
    ]
    assert all(isinstance(m.latitude, float) and isinstance(m.longitude, float) for m in matches)


def test_request_carries_query_limit_country_language_and_user_agent(
        nominatim: FakeNominatim) -> None:
    geocode("  海沧街道 ", nominatim.config(), limit=3)

    assert len(nominatim.requests) == 1
    path, params, headers = nominatim.requests[0]
    assert path == "/search"
    assert params == {"q": ["海沧街道"], "format": ["json"], "limit": ["3"],
                      "countrycodes": ["cn"], "accept-language": ["zh"]}
    assert headers["User-Agent"] == USER_AGENT


def test_country_filter_can_be_dropped(nominatim: FakeNominatim) -> None:
    geocode("London", nominatim.config(), country_codes=None)

    _, params, _ = nominatim.requests[0]
    assert "countrycodes" not in params
    assert params["limit"] == ["5"]


def test_url_path_prefix_is_kept(nominatim: FakeNominatim) -> None:
    geocode("海沧", nominatim.config(GEOCODER_URL=nominatim.url + "/nominatim/"))

    assert nominatim.requests[0][0] == "/nominatim/search"


def test_default_user_agent_is_ours(nominatim: FakeNominatim) -> None:
    config = nominatim.config()
    del config["GEOCODER_USER_AGENT"]
    geocode("海沧", config)

    assert nominatim.requests[0][2]["User-Agent"] == "dispatch-community-service"


def test_no_results_is_an_empty_list(nominatim: FakeNominatim) -> None:
    nominatim.body = []
    assert geocode("不存在的地方", nominatim.config()) == []
    assert len(nominatim.requests) == 1


def test_server_error_is_an_empty_list(nominatim: FakeNominatim,
                                       caplog: pytest.LogCaptureFixture) -> None:
    nominatim.status = 500
    assert geocode("海沧", nominatim.config()) == []
    assert len(nominatim.requests) == 1
    assert any(r.name == "dispatch.geo.geocoding" and r.levelname == "WARNING"
               for r in caplog.records)


@pytest.mark.parametrize("body", ["this is not a list of places", [1, 2], {"error": "bad"}])
def test_malformed_reply_is_an_empty_list(nominatim: FakeNominatim, body: Any) -> None:
    nominatim.body = body
    assert geocode("海沧", nominatim.config()) == []


def test_results_without_coordinates_or_name_are_skipped(nominatim: FakeNominatim) -> None:
    # geopy turns a missing lat/lon into (0, 0), which would be a match off the coast of Africa.
    no_position = {key: value for key, value in SEARCH_REPLY[0].items()
                   if key not in ("lat", "lon")}
    no_name = {**SEARCH_REPLY[0], "display_name": ""}
    nominatim.body = [no_position, no_name, SEARCH_REPLY[1]]

    assert [m.name for m in geocode("海沧", nominatim.config())] == [
        SEARCH_REPLY[1]["display_name"]]


def test_slow_server_times_out_to_an_empty_list(nominatim: FakeNominatim) -> None:
    nominatim.stall_seconds = 2.0
    started = time.monotonic()
    matches = geocode("海沧", nominatim.config(GEOCODER_TIMEOUT=0.5))
    elapsed = time.monotonic() - started

    assert matches == []
    # Only proves we gave up before the server answered (and made one attempt, not retries);
    # not a speed requirement.
    assert elapsed < nominatim.stall_seconds
    assert len(nominatim.requests) == 1


def test_unreachable_server_is_an_empty_list() -> None:
    # Bind a port and close it again, so nothing listens there.
    probe = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = probe.server_address[1]
    probe.server_close()
    config = {"GEOCODER": "nominatim", "GEOCODER_URL": f"http://127.0.0.1:{port}",
              "GEOCODER_USER_AGENT": USER_AGENT, "GEOCODER_TIMEOUT": 1}
    assert geocode("海沧", config) == []


@pytest.mark.parametrize("overrides", [
    {"GEOCODER": _UNSET},
    {"GEOCODER": ""},
    {"GEOCODER": None},
    {"GEOCODER": "google"},
    {"GEOCODER_URL": "ftp://127.0.0.1"},
    {"GEOCODER_TIMEOUT": "soon"},
], ids=["unset", "empty", "none", "unknown", "not-http", "bad-timeout"])
def test_missing_or_invalid_configuration_means_no_geocoder(
        overrides: dict[str, Any], nominatim: FakeNominatim) -> None:
    # Everything else points at the live fake server, so a request would show up there.
    config = {key: value for key, value in nominatim.config(**overrides).items()
              if value is not _UNSET}
    assert geocoder_from_config(config) is None
    assert geocode("海沧", config) == []
    assert nominatim.requests == []


def test_empty_query_sends_nothing(nominatim: FakeNominatim) -> None:
    assert geocode("", nominatim.config()) == []
    assert geocode("   \t", nominatim.config()) == []
    assert nominatim.requests == []


def test_geocoder_from_config_splits_the_url() -> None:
    geocoder = geocoder_from_config({"GEOCODER": " Nominatim ",
                                     "GEOCODER_URL": "https://nominatim.example.org/",
                                     "GEOCODER_USER_AGENT": USER_AGENT,
                                     "GEOCODER_TIMEOUT": "2.5"})
    assert geocoder is not None
    assert geocoder.api == "https://nominatim.example.org/search"  # type: ignore[attr-defined]
    assert geocoder.timeout == 2.5
    assert geocoder.headers["User-Agent"] == USER_AGENT
