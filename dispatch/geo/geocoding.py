"""Optional place-name search through an outside geocoder (geopy).

Residents may type a place name instead of picking a point on the map. The geocoder is an extra:
it is off unless configured, and any failure (bad configuration, network error, timeout, error
reply) is logged and yields no matches, so the page works the same without it.

Configuration (Flask config or any mapping):

* ``GEOCODER``: ``""`` (default, no geocoder) or ``"nominatim"``.
* ``GEOCODER_URL``: base URL of the Nominatim server, e.g. ``"http://127.0.0.1:8080"`` or
  ``"https://nominatim.example.org"``; a path prefix is kept. Empty means geopy's default, the
  public OpenStreetMap server, whose usage policy (at most one request a second) then applies.
* ``GEOCODER_USER_AGENT``: default ``"dispatch-community-service"``.
* ``GEOCODER_TIMEOUT``: seconds, default 3.

Nominatim answers in WGS-84, the same datum we store, so matches need no conversion.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from geopy.adapters import URLLibAdapter
from geopy.exc import GeopyError
from geopy.geocoders import Nominatim
from geopy.geocoders.base import Geocoder
from geopy.location import Location

logger = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "dispatch-community-service"
DEFAULT_TIMEOUT = 3.0


@dataclass(frozen=True)
class GeoMatch:
    """One place the geocoder found, in WGS-84."""

    name: str
    latitude: float
    longitude: float
    source: str = "geocoder"


def _split_url(url: str) -> tuple[str | None, str]:
    """Split GEOCODER_URL into geopy's (scheme, domain); domain may carry a path prefix."""
    if "://" not in url:
        # A bare host: let geopy pick its default scheme (https).
        return None, url.strip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"GEOCODER_URL must be an http(s) URL, got {url!r}")
    return parts.scheme, (parts.netloc + parts.path).rstrip("/")


def geocoder_from_config(config: Mapping[str, Any]) -> Geocoder | None:
    """Build the configured geocoder, or None when there is none or its settings are invalid."""
    kind = str(config.get("GEOCODER") or "").strip().lower()
    if not kind:
        return None
    if kind != "nominatim":
        logger.warning("Unknown GEOCODER %r; place-name search is off", kind)
        return None
    try:
        timeout = float(config.get("GEOCODER_TIMEOUT") or DEFAULT_TIMEOUT)
        user_agent = str(config.get("GEOCODER_USER_AGENT") or DEFAULT_USER_AGENT)
        url = str(config.get("GEOCODER_URL") or "").strip()
        options: dict[str, Any] = {}
        if url:
            scheme, options["domain"] = _split_url(url)
            if scheme:
                options["scheme"] = scheme
        # urllib rather than geopy's preferred requests adapter: requests retries timed-out
        # reads, which would multiply GEOCODER_TIMEOUT while the resident waits.
        return Nominatim(user_agent=user_agent, timeout=timeout,
                         adapter_factory=URLLibAdapter, **options)
    except (GeopyError, ValueError) as error:
        logger.warning("Invalid geocoder configuration; place-name search is off: %s", error)
        return None


def geocode(query: str, config: Mapping[str, Any], limit: int = 5,
            country_codes: str | None = "cn") -> list[GeoMatch]:
    """Look up a place name; an empty list when nothing matches or the geocoder is unavailable."""
    query = query.strip()
    if not query:
        return []
    geocoder = geocoder_from_config(config)
    if geocoder is None:
        return []
    try:
        # The context manager closes the adapter's connections instead of leaving it to GC.
        with geocoder:
            locations = geocoder.geocode(query, exactly_one=False, limit=limit,
                                         country_codes=country_codes, language="zh")
        # geopy returns None rather than an empty list when nothing matched.
        return [GeoMatch(name=location.address, latitude=float(location.latitude),
                         longitude=float(location.longitude))
                for location in locations or [] if _has_position(location)]
    # AttributeError/TypeError/KeyError: geopy parsing a malformed reply from a foreign server.
    except (GeopyError, OSError, ValueError, AttributeError, TypeError, KeyError) as error:
        # Not logging the query: residents often type their own address.
        logger.warning("Geocoder request failed: %s", error)
        return []


def _has_position(location: Location) -> bool:
    """Skip results without a name or coordinates; geopy would place the latter at (0, 0)."""
    raw = location.raw if isinstance(location.raw, Mapping) else {}
    return bool(location.address) and raw.get("lat") is not None and raw.get("lon") is not None
