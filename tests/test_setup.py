"""Configuration, the embedded Redis, the CLI, the worker and the migrations."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import redis
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from rq import Queue, SimpleWorker
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.exc import DatabaseError

from dispatch import create_app
from dispatch.config import load_or_create_secret, normalise_database_url
from dispatch.dev import demo_data, embedded_redis
from dispatch.extensions import db
from dispatch.geo import spatial
from dispatch.jobs.periodic import check_health
from dispatch.models import Case, CaseEvent, Notification, User
from dispatch.models.spatial_index import CASE_POINTS, not_spatial
from tests.factories import World, build_world


def test_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = load_or_create_secret(tmp_path)
    assert len(first) >= 40
    assert load_or_create_secret(tmp_path) == first
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600


def test_plain_postgresql_urls_use_psycopg() -> None:
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_defaults_are_sqlite_under_instance_and_an_embedded_redis(tmp_path: Path,
                                                                   monkeypatch) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    try:
        assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'dispatch.db'}"
        assert app.config["REDIS_URL"] == f"unix://{tmp_path / 'redis' / 'redis.sock'}"
        assert app.extensions["dispatch.redis"].ping()
        assert app.config["SECRET_KEY"] == (tmp_path / "secret_key").read_text()
        assert app.config["BABEL_DEFAULT_LOCALE"] == "zh"
        assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Shanghai"
    finally:
        embedded_redis.stop(tmp_path / "redis")


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app: Flask) -> None:
    if db.engine.dialect.name != "sqlite":
        return  # the PostgreSQL run has nothing to check here
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def test_seed_demo_is_idempotent(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert f"cases +{len(demo_data.CASES)}" in first.output

    def snapshot() -> tuple[int, int, list[tuple[str, str, int]]]:
        db.session.expire_all()
        cases = db.session.execute(select(Case.tracking_code, Case.status, Case.version)
                                   .order_by(Case.id)).all()
        return (db.session.scalar(select(func.count()).select_from(User)) or 0,
                db.session.scalar(select(func.count()).select_from(CaseEvent)) or 0,
                [tuple(row) for row in cases])

    before = snapshot()
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0  # history
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "cases +0" in second.output
    assert snapshot() == before


def test_demo_cases_cover_every_status(app: Flask) -> None:
    app.test_cli_runner().invoke(args=["seed-demo"])
    statuses = set(db.session.scalars(select(Case.status)))
    assignments = set(db.session.scalars(select(Case.assignment_status)))
    assert {s.value for s in statuses} == {"registered", "received", "handling", "replied",
                                           "feedback", "archived"}
    assert {"assigned", "accepted", "on_site", "done"} <= {a for a in assignments if a}


def test_create_user_command(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "Tan.Jing", "--role", "coordinator",
                                 "--name", "谭静", "--password", "a long password"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "tan.jing"))
    assert user is not None and user.check_password("a long password")
    again = runner.invoke(args=["create-user", "tan.jing", "--role", "volunteer",
                                "--password", "another password"])
    assert again.exit_code != 0 and "该用户名已被使用" in again.output
    short = runner.invoke(args=["create-user", "x", "--role", "volunteer",
                                "--password", "short"])
    assert short.exit_code != 0


def test_a_real_worker_runs_jobs_inside_the_app(app: Flask, world: World,
                                                redis_url: str) -> None:
    queue = Queue("default", connection=redis.Redis.from_url(redis_url))
    job = queue.enqueue(check_health)
    assert SimpleWorker([queue], connection=queue.connection).work(burst=True)
    job.refresh()
    assert job.get_status() == "finished"
    assert job.return_value() == {"database": "ok", "cases": 1}


def _fresh_database(app: Flask, tmp_path: Path) -> str:
    """An empty database of the same kind as the test run's."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'migrated.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        connection.execute(text("CREATE SCHEMA migration_check"))
    engine.dispose()
    separator = "&" if "?" in url else "?"
    # public after it: where the spatial extensions' functions live (as in production).
    return f"{url}{separator}options=-csearch_path%3Dmigration_check,public"


def test_migrations_build_the_models_schema_and_the_ledger_triggers(
        app: Flask, tmp_path: Path, redis_url: str) -> None:
    url = _fresh_database(app, tmp_path)
    migrated = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "SECRET_KEY": "x",
                           "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url,
                           "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with migrated.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection,
                                                 opts={"include_name": not_spatial})
            drift = compare_metadata(context, db.metadata)
            assert spatial.detect(connection) != "scan"  # R*Tree, PostGIS or earthdistance
        assert drift == [], f"models and migrations differ: {drift}"
        world = build_world()  # a case with a ledger line, written through the migrated schema
        db.session.commit()
        found = spatial.nearest(db.session, CASE_POINTS, select(Case.id), world.case.latitude,
                                world.case.longitude, within_m=10)
        assert [hit.id for hit in found] == [world.case.id]  # the index follows the rows
        try:
            with db.engine.begin() as connection:
                connection.execute(text("DELETE FROM case_events"))
            raise AssertionError("the ledger trigger is missing")
        except DatabaseError as error:
            assert "append-only" in str(error)
        db.session.remove()
        downgrade(revision="base")
        with db.engine.connect() as connection:
            schema = "migration_check" if connection.dialect.name == "postgresql" else None
            assert set(inspect(connection).get_table_names(schema)) <= {"alembic_version"}
        db.engine.dispose()
