"""Set-up shared by benchmarks: a throwaway database (a SQLite file, or one PostgreSQL schema
that is dropped before and after) and the app with the demo data in it."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dispatch import create_app
from dispatch.config import normalise_database_url
from dispatch.extensions import db


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


def demo_app(database_url: str, redis_url: str, workdir: Path, **config: object) -> Flask:
    """The app on ``database_url`` with its tables and the demo data (``seed-demo``)."""
    app = create_app({
        "INSTANCE_PATH": str(workdir / "instance"),
        "SECRET_KEY": secrets.token_hex(16),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "UPLOAD_DIR": str(workdir / "uploads"),
        "DEMO_PASSWORD": secrets.token_urlsafe(12),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast setup; sign-in is not timed
        **config,
    })
    with app.app_context():
        db.create_all()
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    if result.exit_code != 0:
        raise RuntimeError(f"seed-demo failed: {result.output}") from result.exception
    return app
