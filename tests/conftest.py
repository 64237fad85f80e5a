"""Fixtures: a real database (SQLite file per test, or PostgreSQL from TEST_DATABASE_URL),
a real Redis (embedded redis-server, or TEST_REDIS_URL), the app, and web clients that
post real forms with real CSRF tokens."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text

from dispatch import create_app
from dispatch.config import normalise_database_url
from dispatch.dev import embedded_redis
from dispatch.extensions import db
from tests import factories

CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PASSWORD = "correct horse battery"


def _worker_number() -> int:
    """0 without pytest-xdist; 1, 2, … for its workers gw0, gw1, … (each gets its own
    Redis database and PostgreSQL database, so parallel tests never see each other)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) + 1 if worker.startswith("gw") else 0


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("TEST_REDIS_URL")
    if configured:
        number = _worker_number()
        if number:  # databases 8, 9, …: clear of the 0 a run without workers uses
            yield f"{make_url_redis(configured)}/{7 + number}"
            return
        yield configured
        return
    url, process = embedded_redis.start(tmp_path_factory.mktemp("redis"), daemonize=False)
    yield url
    assert process is not None
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def postgres_url(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """With TEST_DATABASE_URL: one clean schema for the run, emptied after every test."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if not configured:
        yield None
        return
    url = normalise_database_url(configured)
    number = _worker_number()
    if number:  # an xdist worker: a database of its own beside the configured one
        url = _own_database(url, f"_gw{number}")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
        _create_spatial_extensions(connection)
    engine.dispose()
    app = create_app(_config(url, redis_url, tmp_path_factory.mktemp("pg-instance")))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    yield url


SPATIAL_EXTENSIONS = ("cube", "earthdistance", "postgis")


def _create_spatial_extensions(connection: Any) -> None:
    """Every spatial extension this server has (models/spatial_index.py then indexes on
    PostGIS if present, and tests/test_spatial.py compares it with cube + earthdistance)."""
    available = set(connection.execute(text(
        "SELECT name FROM pg_available_extensions WHERE name = ANY(:names)"),
        {"names": list(SPATIAL_EXTENSIONS)}).scalars())
    for name in SPATIAL_EXTENSIONS:
        if name in available:
            connection.execute(text(f"CREATE EXTENSION IF NOT EXISTS {name}"))


def make_url_redis(url: str) -> str:
    """``redis://host:port/0`` without its database number."""
    head, _, tail = url.rpartition("/")
    return head if tail.isdigit() and head.count("/") >= 2 else url.rstrip("/")


def _own_database(url: str, suffix: str) -> str:
    """The PostgreSQL database ``<name><suffix>`` on the same server, created if missing."""
    parsed = make_url(url)
    name = f"{parsed.database}{suffix}"
    engine = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                    {"name": name}).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def _config(database_url: str, redis_url: str, instance: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": secrets.token_hex(16),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "DEMO_PASSWORD": PASSWORD,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast; production keeps scrypt
    }


@pytest.fixture(scope="session")
def sqlite_schema(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database with the models' schema (tables, R*Tree indexes, ledger
    triggers), made once per test process: each test copies the file instead of running
    create_all() again."""
    path = tmp_path_factory.mktemp("sqlite-schema") / "schema.db"
    application = create_app(_config(f"sqlite:///{path}", redis_url, path.parent / "instance"))
    with application.app_context():
        db.create_all()
        db.engine.dispose()
    return path


@pytest.fixture
def app(request: pytest.FixtureRequest, tmp_path: Path, redis_url: str,
        postgres_url: str | None) -> Iterator[Flask]:
    if postgres_url is None:
        database_file = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_schema"), database_file)
    database_url = postgres_url or f"sqlite:///{database_file}"
    application = create_app(_config(database_url, redis_url, tmp_path / "instance"))
    redis.Redis.from_url(redis_url).flushdb()
    with application.app_context():
        yield application
        db.session.remove()
        if postgres_url is not None:
            _empty_postgres_tables()
        db.engine.dispose()


_EMPTY_TABLES_SQL: dict[str, str] = {}  # per database URL: the schema is the run's own


def _empty_postgres_tables() -> None:
    """Every table emptied and every id sequence back at 1, in one round trip.

    DELETE on a few rows is ~20x faster than TRUNCATE (which makes new files for all 33
    tables: ~150 ms a test, minutes a run). The replica role switches off triggers for the
    transaction: the ledger's append-only trigger, and the foreign keys, so order does not
    matter. It needs a superuser; a test database without one gets TRUNCATE."""
    with db.engine.begin() as connection:
        key = str(db.engine.url)
        if key not in _EMPTY_TABLES_SQL:
            _EMPTY_TABLES_SQL[key] = _empty_tables_sql(connection)
        connection.exec_driver_sql(_EMPTY_TABLES_SQL[key])


def _empty_tables_sql(connection: Any) -> str:
    tables = [table.name for table in db.metadata.sorted_tables]
    superuser = connection.execute(text(
        "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
    if not superuser:
        return f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"
    sequences = connection.execute(text(
        "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"
    )).scalars().all()
    return "; ".join(["SET LOCAL session_replication_role = replica"]
                     + [f"DELETE FROM {name}" for name in tables]
                     + [f"ALTER SEQUENCE {name} RESTART" for name in sequences])


@pytest.fixture
def world(app: Flask) -> factories.World:
    """A small studio with a coordinator, a team with captain and member, and a case."""
    built = factories.build_world()
    db.session.commit()
    return built


class WebClient:
    """A Flask test client that signs in and posts forms the way a browser does.

    Each request runs in a fresh app context, as in production: its own ``g`` and its own
    database session, not the test's (Flask would otherwise reuse the test's context).
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()

    def csrf(self, path: str = "/login") -> str:
        page = self.get(path)
        match = CSRF_PATTERN.search(page.get_data(as_text=True))
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, username: str, password: str = PASSWORD) -> Any:
        return self.post("/login", {"username": username, "password": password,
                                    "csrf_token": self.csrf()})

    def post(self, path: str, data: dict[str, Any] | None = None, *, token: bool = True,
             **kwargs: Any) -> Any:
        data = dict(data or {})
        if token:
            data.setdefault("csrf_token", self.csrf("/"))
        with self.app.app_context():
            response = self.client.post(path, data=data, **kwargs)
        # The test client spools a large body to a temporary file it never closes.
        response.request.environ["wsgi.input"].close()
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        with self.app.app_context():
            return self.client.get(path, **kwargs)


@pytest.fixture
def web(app: Flask) -> WebClient:
    return WebClient(app)


@pytest.fixture
def signed_in(app: Flask, world: factories.World):  # type: ignore[no-untyped-def]
    """``signed_in("coordinator")`` gives a WebClient signed in as that world user."""

    def sign_in(who: str) -> WebClient:
        client = WebClient(app)
        response = client.login(getattr(world, who).username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the translations the tests read, so a stale .mo cannot pass for the .po.
    Once, in the main process: pytest-xdist's workers start after it."""
    if hasattr(session.config, "workerinput"):
        return
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in Path(__file__).parent.parent.glob("dispatch/translations/*/LC_MESSAGES/*.po"):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with po_path.with_suffix(".mo").open("wb") as mo_file:
            write_mo(mo_file, catalog)


@pytest.fixture
def redis_outage(app: Flask, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """The app's Redis is a real server that has just been stopped; calling the fixture's
    value starts it again (same folder) and returns its URL. Stopped again at teardown."""
    directory = tmp_path / "outage-redis"
    url, process = embedded_redis.start(directory, daemonize=False)
    assert process is not None
    app.extensions["dispatch.redis"] = redis.Redis.from_url(url, socket_connect_timeout=1)
    process.terminate()
    process.wait(10)
    started = []

    def restart() -> str:
        again, running = embedded_redis.start(directory, daemonize=False)
        assert running is not None
        started.append(running)
        return again

    yield restart
    for running in started:
        running.terminate()
        running.wait(10)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fault: a slow fault test of the whole `make run` stack "
                                       "(runs in `make test`; deselect with -m 'not fault')")
    config.addinivalue_line("markers", "hosts: several gunicorn hosts over one PostgreSQL and "
                                       "one Redis (skipped on SQLite)")


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> None:
    """Poll for an outcome of other processes; the bound only keeps a broken run from
    hanging (nothing asserts how long it took)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def run_queued_jobs() -> None:
    """Run what the app has queued, in a real RQ worker (burst mode) on the real Redis, in
    the current app context (as worker.py gives each job one)."""
    from rq import SimpleWorker

    from dispatch.extensions import get_queue
    queue = get_queue()
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
