"""For the load balancer and the process supervisor, not for people: no sign-in, no rate
limit, no templates, JSON only.

``/healthz``  the process answers (no I/O at all: a slow database must not get healthy web
              processes killed).
``/readyz``   the database answers, Redis answers and the schema is at the migrations' head;
              503 with ``Retry-After`` otherwise, so the balancer sends traffic elsewhere while
              a host starts, upgrades or loses its database.
"""

from __future__ import annotations

import functools
import logging

import redis
from alembic.script import ScriptDirectory
from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from dispatch.config import PROJECT_ROOT
from dispatch.extensions import db, get_redis, limiter

bp = Blueprint("health", __name__)
limiter.exempt(bp)
log = logging.getLogger(__name__)


@functools.cache
def migration_heads() -> frozenset[str]:
    """The head revision(s) of the code's migrations, read once per process."""
    return frozenset(ScriptDirectory(str(PROJECT_ROOT / "migrations")).get_heads())


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


def _database() -> str:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            try:
                current = set(connection.execute(
                    text("SELECT version_num FROM alembic_version")).scalars())
            except SQLAlchemyError:
                return "not migrated"
    except SQLAlchemyError as error:
        log.warning("readyz: database unavailable: %s", error)
        return "unavailable"
    return "ok" if current == migration_heads() else "not at head"


def _redis() -> str:
    try:
        get_redis().ping()
    except redis.RedisError as error:
        log.warning("readyz: Redis unavailable: %s", error)
        return "unavailable"
    return "ok"


@bp.get("/readyz")
def readyz() -> tuple[Response, int, dict[str, str]]:
    database = _database()
    checks = {"database": "ok" if database != "unavailable" else database,
              "migrations": database if database != "unavailable" else "unknown",
              "redis": _redis()}
    ready = all(value == "ok" for value in checks.values())
    headers = {} if ready else {"Retry-After": "5"}
    return jsonify(status="ok" if ready else "unavailable", **checks), (
        200 if ready else 503), headers
