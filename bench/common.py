"""Set-up shared by benchmarks, and its one teardown: a temporary directory, the embedded Redis
started in it, a throwaway database (a SQLite file there, or one PostgreSQL schema that is
dropped before and after) and the app on them, with or without the demo data::

    with throwaway_stack(PG_SCHEMA, args.database_url) as stack:
        app = stack.demo_app(WTF_CSRF_ENABLED=False)
        ...

When the block ends, however it ends, everything is undone, last made first: whatever was
registered on ``stack.cleanup``, the apps' engines disposed, the schema dropped, Redis stopped,
the directory deleted."""

from __future__ import annotations

import contextlib
import math
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dispatch import create_app
from dispatch.config import normalise_database_url
from dispatch.dev import embedded_redis
from dispatch.extensions import db

SPOT = (27.8655, 112.9468)  # inside the demo region, near the demo studios
NO_REDIS = "redis://127.0.0.1:9/0"  # the app's Redis in a stack without one: never connected to


@dataclass
class Database:
    url: str
    kind: str
    drop: Callable[[], None]


def database(choice: str | None, workdir: Path, schema: str) -> Database:
    """``None`` or ``sqlite``: a file in ``workdir``. A PostgreSQL URL: only the schema
    ``schema`` there, dropped and recreated at the start and dropped by ``drop()``."""
    if not choice or choice == "sqlite":
        return Database(f"sqlite:///{workdir / 'dispatch.db'}", "SQLite", lambda: None)
    url = make_url(normalise_database_url(choice))
    if url.get_backend_name() != "postgresql":
        raise SystemExit(f"--database-url: 'sqlite' or a PostgreSQL URL "
                         f"(got {url.get_backend_name()})")
    options = " ".join(filter(None, [url.query.get("options"), f"-csearch_path={schema}"]))
    scoped = url.update_query_dict({"options": options})  # type: ignore[arg-type]
    admin = create_engine(url)

    def run(*statements: str) -> None:
        with admin.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))

    def drop() -> None:
        run(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()

    run(f"DROP SCHEMA IF EXISTS {schema} CASCADE", f"CREATE SCHEMA {schema}")
    return Database(scoped.render_as_string(hide_password=False), "PostgreSQL", drop)


@dataclass
class Stack:
    workdir: Path  # the temporary directory: instance folder, uploads, Redis, SQLite files
    database: Database
    redis_url: str  # the embedded Redis, or NO_REDIS
    cleanup: contextlib.ExitStack  # undone when the stack's block ends, last registered first
    # id(app) -> the settings it was built with (JSON-able): bench/served gives them to the
    # gunicorn workers, so that each builds the same app.
    settings: dict[int, dict[str, object]] = field(default_factory=dict)

    def dispose_at_end(self, app: Flask, extension: SQLAlchemy = db) -> Flask:
        """Dispose of ``app``'s engine for ``extension`` at the end, before the database is
        dropped."""
        def dispose() -> None:
            with app.app_context():
                extension.engine.dispose()

        self.cleanup.callback(dispose)
        return app

    def app(self, **config: object) -> Flask:
        """The app on the stack's database and Redis, its instance folder in the directory,
        with its tables and no rows."""
        settings = {
            "INSTANCE_PATH": str(self.workdir / "instance"),
            "SECRET_KEY": secrets.token_hex(16),
            "SQLALCHEMY_DATABASE_URI": self.database.url,
            "REDIS_URL": self.redis_url,
            **config,
        }
        app = create_app(settings)
        self.settings[id(app)] = settings
        self.dispose_at_end(app)
        with app.app_context():
            db.create_all()
        return app

    def demo_app(self, **config: object) -> Flask:
        """:meth:`app` with the demo data in it (``seed-demo``); its uploads in the
        directory. ``config`` overrides any of the settings."""
        app = self.app(**{
            "UPLOAD_DIR": str(self.workdir / "uploads"),
            "DEMO_PASSWORD": secrets.token_urlsafe(12),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast setup; sign-in is not timed
            **config,
        })
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        if result.exit_code != 0:
            raise RuntimeError(f"seed-demo failed: {result.output}") from result.exception
        return app


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)


@contextlib.contextmanager
def throwaway_stack(schema: str, database_url: str | None, *,
                    redis: bool = True) -> Iterator[Stack]:
    """A temporary directory ``bench-<name>-…`` (``schema`` is ``bench_<name>``), the
    embedded Redis started in it unless ``redis`` is false, and the database of
    :func:`database`; all undone when the block ends (see the module's docstring)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"{schema.replace('_', '-')}-"))
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        redis_url = NO_REDIS
        if redis:
            redis_url, process = embedded_redis.start(workdir / "redis", daemonize=False)
            if process is not None:
                cleanup.callback(stop, process)
        database_ = database(database_url, workdir, schema)
        cleanup.callback(database_.drop)
        yield Stack(workdir, database_, redis_url, cleanup)


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0 < p <= 100) by nearest rank; NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def percentile_ms(seconds: list[float], p: float) -> float:
    """:func:`percentile` of times in seconds, in milliseconds."""
    return percentile(seconds, p) * 1000


# --- a webhook receiver (bench/notify.py, bench/workers.py) ------------------------------------

@dataclass
class Receiver:
    url: str
    arrivals: list[tuple[str, float]]  # (Idempotency-Key, time.time() when the POST arrived)


@contextlib.contextmanager
def receiving(delay_s: float = 0.0) -> Iterator[Receiver]:
    """A group-chat robot on 127.0.0.1 (a thread per request): waits ``delay_s`` as an
    outside service thinking would, records each POST's key and arrival, answers 200."""
    arrivals: list[tuple[str, float]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the robots' HTTPS endpoints do

        def setup(self) -> None:
            super().setup()
            # As web servers do: without it, the body's small write waits for the ACK of the
            # headers' (Nagle's algorithm against delayed ACKs: 40 ms a request).
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self) -> None:  # the name http.server calls
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if delay_s:
                time.sleep(delay_s)
            with lock:
                arrivals.append((self.headers.get("Idempotency-Key") or "", time.time()))
            body = b'{"errcode": 0, "errmsg": "ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="receiver", daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_port}/hook", arrivals)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
