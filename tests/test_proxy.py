"""TRUSTED_PROXIES: behind a reverse proxy each resident keeps their own address (for the
filing and "me too" limits); without the setting a forwarded header is not believed."""

from __future__ import annotations

from flask import Flask, request

from dispatch import create_app

KEYS = ("TESTING", "INSTANCE_PATH", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "REDIS_URL")


def address_seen(app: Flask, trusted: int) -> str | None:
    behind = create_app({**{k: app.config[k] for k in KEYS}, "TRUSTED_PROXIES": trusted})
    seen: list[str | None] = []

    @behind.get("/_whoami")
    def whoami() -> str:
        seen.append(request.remote_addr)
        return "ok"

    behind.test_client().get("/_whoami", environ_base={"REMOTE_ADDR": "10.0.0.1"},
                             headers={"X-Forwarded-For": "203.0.113.7"})
    return seen[0]


def test_one_trusted_proxy_hop_gives_the_residents_own_address(app: Flask) -> None:
    assert address_seen(app, 1) == "203.0.113.7"


def test_without_trusted_proxies_a_forwarded_address_is_not_believed(app: Flask) -> None:
    assert address_seen(app, 0) == "10.0.0.1"
