"""Production serving: health and readiness for the load balancer, request ids from the
request to the jobs it queues and the worker's log, JSON log lines, fingerprinted static
files with long cache times, and gunicorn serving the app from gunicorn.conf.py."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
import requests
from flask import Flask, url_for
from flask_migrate import stamp
from rq.job import Job
from sqlalchemy import select, text

from dispatch import create_app, logs
from dispatch.config import PROJECT_ROOT
from dispatch.extensions import db
from dispatch.jobs.outbox import by_event
from dispatch.models import Notification
from dispatch.views.assets import fingerprint
from tests.conftest import WebClient, wait_until
from tests.factories import World
from tests.processes import host_env, hosts
from tests.test_reports import details_form

DEAD_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:1/nothing-listens"
DEAD_REDIS = "redis://127.0.0.1:1/0"


def children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(child) for child in path.read_text().split()} if path.exists() else set()


def test_healthz_answers_without_touching_the_database_or_redis(tmp_path: Path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": DEAD_POSTGRES, "REDIS_URL": DEAD_REDIS,
                      "SECRET_KEY": "x" * 32, "INSTANCE_PATH": str(tmp_path)})
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database_with_redis(app: Flask, web: WebClient) -> None:
    stamp()  # the tests' schema is create_all()'s: say it is the migrations' head
    response = web.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json == {"status": "ok", "database": "ok", "migrations": "ok",
                             "redis": "ok"}


def test_readyz_says_the_schema_is_not_migrated(app: Flask, web: WebClient) -> None:
    with db.engine.begin() as connection:  # another test on this PostgreSQL may have stamped
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    response = web.get("/readyz")
    assert response.status_code == 503
    assert response.json["migrations"] == "not migrated"
    assert response.headers["Retry-After"]


def test_readyz_is_unavailable_without_the_database_or_redis(tmp_path: Path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": DEAD_POSTGRES, "REDIS_URL": DEAD_REDIS,
                      "SECRET_KEY": "x" * 32, "INSTANCE_PATH": str(tmp_path),
                      "PROPAGATE_EXCEPTIONS": False})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unavailable",
                             "migrations": "unknown", "redis": "unavailable"}
    assert response.headers["Retry-After"]
    with app.app_context():
        db.engine.dispose()


def test_health_checks_are_not_rate_limited(app: Flask, web: WebClient) -> None:
    app.config["RATELIMIT_DEFAULT"] = "1 per minute"
    assert all(web.get("/healthz").status_code == 200 for _ in range(5))


def test_a_sane_request_id_is_kept_and_a_bad_one_replaced(web: WebClient) -> None:
    kept = web.get("/healthz", headers={"X-Request-ID": "lb-7f3a.1"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a.1"
    forged = web.get("/healthz", headers={"X-Request-ID": 'x" {"level": "fake"}'})
    assert forged.headers["X-Request-ID"] != 'x" {"level": "fake"}'
    assert len(forged.headers["X-Request-ID"]) == 32
    fresh = web.get("/healthz")
    assert len(fresh.headers["X-Request-ID"]) == 32


def test_each_request_logs_one_json_line(web: WebClient,
                                         caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="dispatch.request"):
        web.get("/duty", headers={"X-Request-ID": "req-1"})
    [record] = [r for r in caplog.records if r.name == "dispatch.request"]
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["method"] == "GET" and line["path"] == "/duty"
    assert line["status"] == 200 and line["request_id"] == "req-1"
    assert line["duration_ms"] >= 0 and line["level"] == "INFO"


def test_a_filing_passes_its_request_id_to_its_jobs_and_the_worker_logs_it(
        app: Flask, web: WebClient, world: World, redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    before = {row.id for row in db.session.scalars(select(Notification))}
    connection.flushdb()  # the world's own notifications, queued without a request
    response = web.post("/report/details", details_form(web, world),
                        headers={"X-Request-ID": "filing-42"})
    assert response.status_code == 302
    rows = [row for row in db.session.scalars(select(Notification)) if row.id not in before]
    assert rows
    jobs = by_event((row.id, row.case_id, row.key) for row in rows)  # one job an event
    for first, *_more in jobs:
        assert Job.fetch(f"notify-{first}", connection=connection).meta == {
            "request_id": "filing-42"}
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": redis_url, "SECRET_KEY": app.config["SECRET_KEY"],
           "UPLOAD_DIR": app.config["UPLOAD_DIR"], "LOG_FORMAT": "json"}
    done = subprocess.run([sys.executable, str(PROJECT_ROOT / "worker.py"), "--burst"],
                          env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=120, check=True)
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    finished = [line for line in lines if line.get("logger") == "dispatch.worker"
                and line.get("job_id", "").startswith("notify-")]
    assert len(finished) == len(jobs), done.stderr
    assert {line["request_id"] for line in finished} == {"filing-42"}
    assert all(line["ok"] for line in finished)


def test_static_addresses_carry_a_fingerprint_and_are_cached_for_a_year(
        app: Flask, web: WebClient) -> None:
    with app.test_request_context():
        address = url_for("static", filename="js/board.js")
    assert address.startswith("/static/js/board.js?v=")
    response = web.get(address)
    assert response.status_code == 200
    assert response.cache_control.max_age == 365 * 24 * 3600
    assert response.cache_control.immutable and response.cache_control.public
    assert not response.cache_control.no_cache
    response.close()


def test_a_stale_or_missing_fingerprint_still_gets_the_file_briefly_cached(
        web: WebClient) -> None:
    for address in ("/static/js/board.js", "/static/js/board.js?v=000000000000"):
        response = web.get(address)
        assert response.status_code == 200
        assert response.cache_control.max_age == 300
        assert not response.cache_control.immutable
        response.close()


def test_pages_link_their_scripts_and_styles_by_fingerprint(web: WebClient) -> None:
    page = web.get("/report").get_data(as_text=True)
    assert "/static/css/mobile.css?v=" in page


def test_every_page_names_its_icon_and_favicon_ico_answers(signed_in) -> None:
    """A page without ``<link rel="icon">`` makes the browser ask /favicon.ico; a 404 there
    is an error in the console (what the CSP browser test failed on, now and then)."""
    desk = signed_in("coordinator")
    for client, path in ((desk, "/desk/board"), (desk, "/desk/cases"), (WebClient(desk.app), "/")):
        page = client.get(path).get_data(as_text=True)
        assert '<link rel="icon" href="/static/icons/icon-192.png?v=' in page, path
    response = desk.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.get_data().startswith(b"\x89PNG")
    response.close()


def test_an_edited_file_gets_a_new_fingerprint_in_debug_mode_only(tmp_path: Path) -> None:
    """In production the files change only with a deploy (new processes): no stat per use."""
    script = tmp_path / "edited.js"
    script.write_text("let a = 1;")
    first = fingerprint(script, recheck=False)
    assert first and fingerprint(script, recheck=True) == first
    script.write_text("let a = 2;  // edited")
    os.utime(script, (time.time() + 5, time.time() + 5))  # a later modification time
    assert fingerprint(script, recheck=True) not in (None, first)  # debug: follows the edit
    assert fingerprint(script, recheck=False) == first  # production: as first seen
    assert fingerprint(tmp_path / "missing.js", recheck=False) is None


def test_gunicorn_reloads_gracefully_on_hup_without_refusing_a_request(
        app: Flask, redis_url: str, tmp_path: Path) -> None:
    env = host_env(app.config["SQLALCHEMY_DATABASE_URI"], redis_url, "k" * 32,
                   tmp_path / "uploads")
    with hosts(1, env, tmp_path) as [host]:
        web = host.web(workers=1, threads=4)
        [before] = children(web.popen.pid)
        codes: list[int] = []
        stop = threading.Event()

        def keep_asking() -> None:
            session = requests.Session()
            while not stop.is_set():
                codes.append(session.get(host.base + "/healthz", timeout=30).status_code)

        asker = threading.Thread(target=keep_asking)
        asker.start()
        try:
            time.sleep(0.5)
            os.kill(web.popen.pid, signal.SIGHUP)
            wait_until(lambda: children(web.popen.pid) - {before}, 60, "the new worker")
            wait_until(lambda: before not in children(web.popen.pid), 60,
                       "the old worker to leave")
            time.sleep(0.5)
        finally:
            stop.set()
            asker.join(30)
        assert web.popen.poll() is None  # the same master
        assert codes and set(codes) == {200}, Counter(codes)
