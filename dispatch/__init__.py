"""Dispatch: a community issue and volunteer dispatch service.

``create_app`` wires configuration, extensions, blueprints and error handlers. Nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import redis
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from dispatch import (  # noqa: F401  (models registers the tables)
    cli,
    jobs,  # noqa: F401  (queue notifications after every commit)
    models,
)
from dispatch.config import BASE_SETTINGS, DEFAULT_INSTANCE, PROJECT_ROOT, settings_from_environment
from dispatch.dev import embedded_redis
from dispatch.extensions import babel, csrf, db, limiter, login_manager, migrate, select_locale
from dispatch.geo import maps
from dispatch.views import (
    api,
    assets,
    auth,
    desk,
    errors,
    field,
    health,
    inbox,
    open311,
    params,
    public,
    requests,
    security,
    templating,
    tokens,
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    instance_path = Path((config or {}).get("INSTANCE_PATH") or DEFAULT_INSTANCE)
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(BASE_SETTINGS)
    app.config.update(settings_from_environment(instance_path))
    app.config.update(config or {})

    requests.register(app)  # the request id first: everything after may log
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:  # behind nginx & co.: each resident's own address, not the proxy's
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    _connect_redis(app, instance_path)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(Path(__file__).parent / "translations"))
    limiter.init_app(app)
    params.register(app)  # the <id:...> converter, before the blueprints' rules

    for blueprint in (public.bp, auth.bp, desk.bp, field.bp, api.bp, inbox.bp, open311.bp,
                      tokens.bp, health.bp):
        app.register_blueprint(blueprint)
    maps.use_local_assets()
    errors.register(app)
    templating.register(app)
    assets.register(app)
    security.register(app)
    cli.register(app)
    return app


def _connect_redis(app: Flask, instance_path: Path) -> None:
    """The app's one Redis: queues, rate limits. Embedded unless REDIS_URL says otherwise."""
    url = app.config.get("REDIS_URL") or ""
    if not url:
        url, _ = embedded_redis.start(instance_path / "redis", daemonize=True)
        app.config["REDIS_URL"] = url
    # Short timeouts: a Redis outage must not hold up filing a case (the outbox waits).
    app.extensions["dispatch.redis"] = redis.Redis.from_url(
        url, socket_connect_timeout=2, socket_timeout=5)
    storage = "redis+unix://" + url[len("unix://"):] if url.startswith("unix://") else url
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage)
