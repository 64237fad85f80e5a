"""Extension objects, created unbound and bound to the app in ``create_app``."""

from __future__ import annotations

import functools
import sqlite3
import time
from typing import Any

import redis
from babel import Locale
from flask import current_app, g, has_request_context, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from rq import Queue
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import DeclarativeBase

from dispatch.config import LANGUAGES

# Named constraints so that Alembic can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(get_remote_address)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers go on while one writer writes; the busy timeout makes a second
    writer wait for the first instead of failing at once. synchronous=NORMAL is WAL's
    recommended setting: no corruption on a crash, one fsync per checkpoint, not per commit."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        # The BEGIN the driver puts before a transaction's first write takes the write lock
        # at once (waiting the busy timeout for it) with a fresh snapshot. A plain (deferred)
        # BEGIN takes it at the INSERT itself and, in WAL mode, fails at once with "database
        # is locked" (SQLITE_BUSY_SNAPSHOT) when another writer committed meanwhile: seen
        # under four concurrent filings (bench/api.py, bench/api_v1.py). Reads still run
        # without a transaction, as before.
        dbapi_connection.isolation_level = "IMMEDIATE"


# A pooled connection that sat idle this long is pinged before use (see below).
IDLE_PING_SECONDS = 10.0


@event.listens_for(Engine, "checkin")
def _note_when_returned(_dbapi_connection: Any, record: Any) -> None:
    record.info["returned_at"] = time.monotonic()


@event.listens_for(Engine, "checkout")
def _ping_after_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """A connection that sat idle in the pool is pinged before use, so that the first
    request after a quiet spell in which PostgreSQL restarted (a night's maintenance) gets a
    fresh connection instead of an error; the pool then drops every connection older than
    the dead one. A busy connection is not pinged: SQLAlchemy's ``pool_pre_ping`` would cost
    a round trip on every request (a tenth of a refused claim's time). What a restart under
    load costs instead is one clean 503 per connection in use at that moment, the same as
    the requests the restart itself interrupts: the first error drops the whole pool."""
    returned = record.info.get("returned_at")
    if (isinstance(dbapi_connection, sqlite3.Connection) or returned is None
            or time.monotonic() - returned < IDLE_PING_SECONDS):
        return
    try:
        # As SQLAlchemy's psycopg ping does: outside a transaction, so no BEGIN is left open.
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.autocommit = autocommit
    except Exception as error:
        raise InvalidatePoolError(f"an idle connection did not answer: {error}") from error


@functools.cache
def _locale(code: str) -> Locale:
    """Parsed once: Babel's ``Locale.parse`` checks for the locale's data file on disk each
    time, and Flask-Babel calls it on every request with whatever the selector returns."""
    return Locale.parse(code)


def select_locale() -> Locale:
    """The visitor's choice (kept in the session; a caller of the JSON API with a token has
    no session and chooses by ``g.api_locale``), else Simplified Chinese."""
    if has_request_context():
        chosen = g.get("api_locale") or session.get("lang")
        if chosen in LANGUAGES:
            return _locale(str(chosen))
    return _locale(str(current_app.config["BABEL_DEFAULT_LOCALE"]))


def get_redis() -> redis.Redis:
    return current_app.extensions["dispatch.redis"]


def get_queue(name: str = "default") -> Queue:
    return Queue(name, connection=get_redis())
