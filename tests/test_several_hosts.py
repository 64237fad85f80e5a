"""Several hosts over one PostgreSQL and one Redis: two gunicorn instances on two ports, each
with its own RQ worker and its own cron scheduler, as two hosts behind nginx would run them
(docs/deploy.md). Traffic goes to both; claims stay exclusive, each notification is delivered
once, the periodic jobs are queued once (not once per host), and a photo filed on one host is
served by the other (one shared upload folder).

PostgreSQL only: several hosts need a database server they share; SQLite is one file on one
machine.
"""

from __future__ import annotations

import io
import re
import secrets
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
import requests
from flask import Flask
from flask_migrate import stamp
from PIL import Image
from rq.cron import get_cron_job_history_key
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent, Channel, InboxMessage, Notification, Role
from dispatch.services.cases import lifecycle
from tests.conftest import wait_until
from tests.factories import World, gen_user
from tests.processes import (
    csrf_of,
    file_report,
    host_env,
    hosts,
    receiving,
    report_form,
    sign_in,
)
from tests.test_claims import open_wish

pytestmark = pytest.mark.hosts
# Periodic jobs queued at a scheduler's first tick, then every 5 and 10 minutes: once in
# this test's time, however many hosts run a scheduler.
INTERVAL_JOBS = ("release_expired_claims", "escalate_overdue_cases")


def photo_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((800, 600), 60).convert("RGB").save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def race_claims(pairs: list[tuple[requests.Session, str, str]], wish: Case) -> list[int]:
    """Every (session, host, token) claims ``wish`` at the same moment."""
    barrier = threading.Barrier(len(pairs))
    codes: list[int] = []
    url, version = f"/v/cases/{wish.id}/actions/claim", str(wish.version)

    def claim(session: requests.Session, base: str, token: str) -> None:
        barrier.wait(30)
        response = session.post(base + url, data={"csrf_token": token, "claim-version": version},
                                allow_redirects=False, timeout=60)
        codes.append(response.status_code)

    threads = [threading.Thread(target=claim, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return codes


def file_with_photo(base: str, world: World) -> str:
    """A resident files a hazard with one photo on ``base``; its public page's path."""
    session = requests.Session()
    response = file_report(session, base, report_form(session, base, world.category.code),
                           photo_bytes())
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"].split("?")[0]


def test_two_hosts_share_the_work_without_doing_anything_twice(
        app: Flask, world: World, postgres_url: str | None, redis_url: str,
        tmp_path: Path) -> None:
    if postgres_url is None:
        pytest.skip("several hosts share one PostgreSQL server; SQLite is one file on one host"
                    " (set TEST_DATABASE_URL)")
    with receiving() as receiver:
        world.team.webhook_kind, world.team.webhook_url = "wecom", receiver.url
        wishes = [open_wish(world, studio=world.studio) for _ in range(3)]
        volunteers = [gen_user(Role.VOLUNTEER) for _ in range(6)]
        lifecycle.receive(world.case, world.desk())
        db.session.commit()
        stamp()  # the schema is the tests' create_all(): the migrations' head, for /readyz
        connection = redis.Redis.from_url(redis_url)
        env = host_env(postgres_url, redis_url, secrets.token_hex(16), tmp_path / "uploads")
        with hosts(2, env, tmp_path) as (one, two):
            for host in (one, two):
                host.worker()
                host.scheduler()
            for host in (one, two):
                host.web(workers=1, threads=8, wait=False)
            for host in (one, two):
                host.wait_for_web()
                assert requests.get(host.base + "/readyz", timeout=10).status_code == 200
            wait_until(lambda: connection.zcard("rq:cron_schedulers") == 2, 60,
                       "both schedulers to register")
            time.sleep(1)  # the second scheduler's first tick, had it queued anything
            histories = {name: connection.zcard(get_cron_job_history_key(
                f"dispatch.jobs.periodic.{name}")) for name in INTERVAL_JOBS}

            # Claims: six volunteers, three on each host, race for each of three wishes.
            pairs = []
            for n, volunteer in enumerate(volunteers):
                base = (one, two)[n % 2].base
                session = sign_in(base, volunteer.username)
                pairs.append((session, base, csrf_of(session, base + "/v/")))
            for wish in wishes:
                codes = race_claims(pairs, wish)
                assert sorted(codes) == [302] + [409] * 5, codes

            # The coordinator signs in on one host and assigns on the other (one session).
            desk = sign_in(one.base, world.coordinator.username)
            response = desk.post(f"{two.base}/desk/cases/{world.case.id}/actions/assign", data={
                "csrf_token": csrf_of(desk, f"{two.base}/desk/cases/{world.case.id}"),
                "assign-version": str(world.case.version + 0),
                "assign-assignee": f"team:{world.team.id}"}, allow_redirects=False, timeout=60)
            assert response.status_code == 302, response.text[:800]

            # A photo filed on host one is served by host two.
            case_path = file_with_photo(one.base, world)
            page = requests.get(two.base + case_path, timeout=30).text
            photos = re.findall(r'href="(/media/[^"]+\.jpg)"', page)
            assert photos, page[:800]

            def served_processed() -> bool:  # a placeholder (PNG) until a worker processed it
                served = requests.get(two.base + photos[0], timeout=30)
                assert served.status_code == 200, served.status_code
                return served.content[:2] == b"\xff\xd8"

            wait_until(served_processed, 60, "a worker to process the photo")

            def all_sent() -> bool:
                db.session.rollback()
                return db.session.scalar(select(func.count()).select_from(Notification).where(
                    Notification.sent_at.is_(None))) == 0

            wait_until(all_sent, 120, "both workers to deliver every notification")
            time.sleep(1)  # a second delivery, if there were one, would arrive meanwhile
            logs = "".join(p.output() for host in (one, two) for p in host.processes)

    assert all(count == 1 for count in histories.values()), (histories, logs[-3000:])
    db.session.rollback()
    for wish in wishes:
        assert db.session.get(Case, wish.id).assigned_volunteer_id in {v.id for v in volunteers}
        assert db.session.scalar(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.case_id == wish.id, CaseEvent.action == "claim")) == 1
    rows = db.session.scalars(select(Notification)).all()
    webhooks = [row.key for row in rows if row.channel == Channel.WEBHOOK]
    assert webhooks and Counter(receiver.keys) == Counter(webhooks)  # each exactly once
    inbox = Counter(db.session.scalars(select(InboxMessage.notification_id)))
    assert set(inbox.values()) == {1}
    assert len(inbox) == len(rows) - len(webhooks)
