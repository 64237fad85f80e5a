"""Faults: Redis going away under the scheduler and the worker, a worker killed mid-delivery,
the database down under a page. Real servers and real processes throughout."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from rq import Queue, SimpleWorker
from rq.cron import get_cron_job_history_key
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from sqlalchemy import create_engine, select, text

from dispatch import create_app, extensions
from dispatch.config import PROJECT_ROOT
from dispatch.dev import embedded_redis
from dispatch.extensions import db
from dispatch.jobs.cron import SturdyCronScheduler
from dispatch.jobs.outbox import relay_pending
from dispatch.jobs.periodic import check_health
from dispatch.models import Channel, Notification
from tests.conftest import wait_until
from tests.factories import World, walk

# -- 1. the periodic scheduler outlives a Redis outage -----------------------------------

def test_the_scheduler_waits_out_a_redis_outage_and_catches_up_once(tmp_path: Path) -> None:
    directory = tmp_path / "redis"
    url, server = embedded_redis.start(directory, daemonize=False)
    assert server is not None
    scheduler = SturdyCronScheduler(connection=redis.Redis.from_url(url, socket_timeout=2))
    scheduler.register(check_health, "default", interval=3)
    history = get_cron_job_history_key(scheduler.get_jobs()[0].name)
    thread = threading.Thread(target=scheduler.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: Queue("default", connection=scheduler.connection).count >= 1, 15,
                   "the first tick")
        server.terminate()
        server.wait(10)
        time.sleep(8)  # at least two ticks fall in the outage
        assert thread.is_alive(), "the scheduler stopped when Redis went away"
        url, server = embedded_redis.start(directory, daemonize=False)  # empty: no persistence
        assert server is not None
        back = redis.Redis.from_url(url)
        wait_until(lambda: back.zcard(history) >= 2, 20, "two ticks after Redis came back")
        stamps = sorted(score for _, score in back.zrange(history, 0, -1, withscores=True))
        # One enqueue at the return, not one per missed tick: the next comes an interval later.
        gaps = [later - earlier for earlier, later in zip(stamps, stamps[1:], strict=False)]
        assert all(gap > 2 for gap in gaps), stamps
        assert thread.is_alive()
    finally:
        scheduler.stop()
        thread.join(10)
        server.terminate()
        server.wait(10)
    assert not thread.is_alive()


# -- 2. a worker killed mid-delivery ------------------------------------------------------

@dataclass
class BlockingReceiver:
    """A group-chat robot whose first request hangs until the test lets it go."""

    url: str
    keys: list[str | None] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def blocking_receiver() -> Iterator[BlockingReceiver]:
    receiver = BlockingReceiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.keys.append(self.headers.get("Idempotency-Key"))
            if len(receiver.keys) == 1:
                receiver.release.wait(60)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"errcode": 0}')

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_port}/hook"
    yield receiver
    receiver.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_a_delivery_abandoned_by_a_killed_worker_is_relayed_at_once_with_its_key(
        app: Flask, world: World, blocking_receiver: BlockingReceiver, redis_url: str) -> None:
    world.team.webhook_kind, world.team.webhook_url = "wecom", blocking_receiver.url
    walk(world.case, world, "assign")
    db.session.commit()  # the deliveries are queued on the real Redis
    [hook] = db.session.scalars(select(Notification).where(
        Notification.channel == Channel.WEBHOOK)).all()
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": redis_url, "SECRET_KEY": app.config["SECRET_KEY"],
           "UPLOAD_DIR": app.config["UPLOAD_DIR"]}
    worker = subprocess.Popen([sys.executable, str(PROJECT_ROOT / "worker.py")], env=env,
                              cwd=PROJECT_ROOT, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: blocking_receiver.keys, 60, "the worker to start the delivery")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # the worker, its work horse, its scheduler
        worker.wait(10)
    blocking_receiver.release.set()  # its connection is gone: nobody hears the answer

    assert relay_pending() >= 1  # the abandoned job counts as over: queued again, now
    queue = Queue("default", connection=redis.Redis.from_url(redis_url))
    SimpleWorker([queue], connection=queue.connection).work(burst=True)

    assert blocking_receiver.keys == [hook.key, hook.key]  # the receiver can drop the repeat
    db.session.expire_all()
    assert db.session.get(Notification, hook.id).sent_at is not None


def _mark_started(job_id: str, worker_name: str, connection: redis.Redis) -> None:
    job = Job.fetch(job_id, connection=connection)
    with connection.pipeline() as pipeline:
        job.prepare_for_execution(worker_name, pipeline)
        pipeline.execute()


def test_a_delivery_whose_worker_entry_has_expired_counts_as_abandoned(
        world: World, redis_url: str) -> None:
    walk(world.case, world, "assign")
    db.session.commit()
    connection = redis.Redis.from_url(redis_url)
    inbox = db.session.scalars(select(Notification).where(
        Notification.channel == Channel.INBOX).order_by(Notification.id)).first()
    assert inbox is not None
    _mark_started(f"notify-{inbox.id}", "a-worker-long-gone", connection)
    relay_pending()
    assert any(key.startswith(f"rq:job:notify-{inbox.id}-again-".encode())
               for key in connection.scan_iter(f"rq:job:notify-{inbox.id}*"))


def test_a_delivery_running_on_a_live_worker_is_left_alone(world: World,
                                                          redis_url: str) -> None:
    walk(world.case, world, "assign")
    db.session.commit()
    connection = redis.Redis.from_url(redis_url)
    inbox = db.session.scalars(select(Notification).where(
        Notification.channel == Channel.INBOX).order_by(Notification.id)).first()
    assert inbox is not None
    connection.hset("rq:worker:alive-here", mapping={"hostname": socket.gethostname(),
                                                      "pid": str(os.getpid())})
    _mark_started(f"notify-{inbox.id}", "alive-here", connection)
    relay_pending()
    assert [key for key in connection.scan_iter(f"rq:job:notify-{inbox.id}*")] == [
        f"rq:job:notify-{inbox.id}".encode()]


# -- 3. the database down under a page ----------------------------------------------------

@pytest.mark.parametrize("database_url", [
    "postgresql+psycopg://postgres@127.0.0.1:1/nothing-listens",
    "sqlite:////nonexistent-directory/for/dispatch.db",
], ids=["postgresql", "sqlite"])
@pytest.mark.parametrize("signed_in_as", [None, "1"], ids=["anonymous", "signed-in"])
def test_a_page_with_the_database_down_gets_the_apps_own_503_page(
        tmp_path: Path, redis_url: str, database_url: str, signed_in_as: str | None) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url,
                      "SECRET_KEY": "x" * 32, "INSTANCE_PATH": str(tmp_path),
                      "PROPAGATE_EXCEPTIONS": False})
    client = app.test_client()
    if signed_in_as:
        with client.session_transaction() as session:
            session["_user_id"] = signed_in_as  # the user loader reads the database
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 503, page
    assert "服务暂时不可用" in page and "Internal Server Error" not in page
    assert response.headers["Retry-After"]
    with app.app_context():
        db.engine.dispose()


def test_an_unexpected_error_gets_the_apps_own_500_page_without_the_database(
        tmp_path: Path, redis_url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent-directory/x.db",
                      "REDIS_URL": redis_url, "SECRET_KEY": "x" * 32,
                      "INSTANCE_PATH": str(tmp_path), "PROPAGATE_EXCEPTIONS": False})

    def broken() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/broken", view_func=broken)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1"
    response = client.get("/broken")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "系统出错了" in page, page
    assert "Internal Server Error" not in page
    with app.app_context():
        db.engine.dispose()


def _pooled_backend_cut_off(web_client: Any) -> int:
    """One pooled connection, used by a page just now, whose server process is then
    terminated (as a PostgreSQL restart does to every connection): its old backend pid."""
    db.session.remove()  # this test's own session lets go of its connection
    db.engine.dispose()
    assert web_client.get("/desk/cases").status_code == 200  # the pool's one connection
    pid = db.session.scalar(text("SELECT pg_backend_pid()"))
    db.session.remove()
    admin = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        wait_until(lambda: not connection.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}), 10,
            "the backend to exit")
    admin.dispose()
    return int(pid)


def test_an_idle_connection_cut_off_by_a_restart_is_replaced_before_use(
        app: Flask, signed_in: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: a SQLite file has no server to restart")
    coordinator = signed_in("coordinator")
    old_pid = _pooled_backend_cut_off(coordinator)
    monkeypatch.setattr(extensions, "IDLE_PING_SECONDS", 0.0)  # as after a quiet spell
    assert coordinator.get("/desk/cases").status_code == 200  # pinged, found dead, replaced
    assert db.session.scalar(text("SELECT pg_backend_pid()")) != old_pid


def test_a_busy_connection_cut_off_costs_one_clean_503_then_the_pool_is_fresh(
        app: Flask, signed_in: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not pinged (it was used just now): the request on it fails as the ones a restart
    interrupts do, with the app's own 503, and the pool drops every older connection."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: a SQLite file has no server to restart")
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the app's error pages
    coordinator = signed_in("coordinator")
    _pooled_backend_cut_off(coordinator)
    # "Just now", however slowly this machine got here: not idle long enough for a ping.
    monkeypatch.setattr(extensions, "IDLE_PING_SECONDS", 1e9)
    refused = coordinator.get("/desk/cases")
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert "服务暂时不可用" in refused.get_data(as_text=True)
    assert coordinator.get("/desk/cases").status_code == 200


def test_a_retry_long_overdue_counts_as_abandoned(world: World, redis_url: str) -> None:
    """Its worker's scheduler was killed holding RQ's lock: nobody moves it for minutes."""
    walk(world.case, world, "assign")
    db.session.commit()
    connection = redis.Redis.from_url(redis_url)
    inbox = db.session.scalars(select(Notification).where(
        Notification.channel == Channel.INBOX).order_by(Notification.id)).first()
    assert inbox is not None
    job = Job.fetch(f"notify-{inbox.id}", connection=connection)
    queue = Queue("default", connection=connection)
    queue.remove(job)
    ScheduledJobRegistry(queue=queue).schedule(job, datetime.now(UTC) - timedelta(minutes=2))
    job.set_status(JobStatus.SCHEDULED)
    relay_pending()
    assert any(key.startswith(f"rq:job:notify-{inbox.id}-again-".encode())
               for key in connection.scan_iter(f"rq:job:notify-{inbox.id}*"))


def test_a_hanging_job_is_stopped_by_its_timeout_and_the_worker_goes_on(
        app: Flask, redis_url: str) -> None:
    """worker.py's default SimpleWorker: no work horse to kill, yet the timeout holds."""
    connection = redis.Redis.from_url(redis_url)
    queue = Queue("default", connection=connection)
    hanging = queue.enqueue("time.sleep", 60, job_timeout=2)
    after = queue.enqueue(check_health)
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": redis_url, "SECRET_KEY": app.config["SECRET_KEY"]}
    done = subprocess.run([sys.executable, str(PROJECT_ROOT / "worker.py"), "--burst"],
                          env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=50)
    assert done.returncode == 0, done.stderr
    assert hanging.get_status(refresh=True) == JobStatus.FAILED
    assert "JobTimeoutException" in (hanging.latest_result().exc_string or "")
    assert after.get_status(refresh=True) == JobStatus.FINISHED
