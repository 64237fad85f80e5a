"""Email through a real SMTP server (aiosmtpd), each person's channel and language, and
the periodic sweeps: overdue escalation and confirmation without feedback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
import redis
from aiosmtpd.controller import Controller
from flask import Flask
from rq import Queue, SimpleWorker
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import CaseEvent, CaseStatus, Channel, Notification, utcnow
from dispatch.services.cases import sweeps
from tests.factories import World, walk


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp(app: Flask) -> Iterator[Mailbox]:
    mailbox = Mailbox()
    with socket.socket() as probe:  # a free port: the controller checks it can connect
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    yield mailbox
    controller.stop()


def run_worker(redis_url: str) -> None:
    queue = Queue("default", connection=redis.Redis.from_url(redis_url))
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def test_a_captain_who_chose_email_gets_it_in_english(world: World, smtp: Mailbox,
                                                     redis_url: str) -> None:
    world.captain.email, world.captain.notify_by_email = "captain@example.org", True
    world.captain.language = "en"
    walk(world.case, world, "assign")
    db.session.commit()
    run_worker(redis_url)
    [raw] = smtp.messages
    mail = message_from_bytes(raw)
    assert mail["To"] == "captain@example.org"
    assert str(make_header(decode_header(mail["Subject"]))).startswith("New work for you")
    email_row = db.session.scalar(select(Notification).where(
        Notification.channel == Channel.EMAIL))
    assert email_row is not None and mail["X-Idempotency-Key"] == email_row.key
    assert email_row.sent_at is not None


def test_others_keep_the_default_language_and_the_inbox_only(world: World) -> None:
    walk(world.case, world, "assign")
    db.session.commit()
    [row] = [r for r in db.session.scalars(select(Notification))
             if r.user_id == world.captain.id]
    assert row.channel == Channel.INBOX and row.text.startswith("有新派单")


def test_notification_settings_are_each_persons_choice(signed_in, world: World) -> None:
    page = signed_in("captain")
    assert page.post("/inbox/settings", {"notify_by_email": "y", "language": "en"}
                     ).status_code == 422  # email wanted, but no address
    assert page.post("/inbox/settings", {"email": "not-an-address", "language": "zh"}
                     ).status_code == 422
    assert page.post("/inbox/settings", {"email": "c@example.org", "notify_by_email": "y",
                                         "language": "en"}).status_code == 302
    db.session.expire_all()
    assert (world.captain.email, world.captain.notify_by_email, world.captain.language) == (
        "c@example.org", True, "en")


def test_overdue_cases_escalate_to_the_studio_lead_once(world: World) -> None:
    world.coordinator.is_studio_lead = True
    world.case.due_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert sweeps.escalate_overdue() == [world.case.id]
    assert sweeps.escalate_overdue() == []
    db.session.commit()
    told = [r.user_id for r in db.session.scalars(select(Notification))
            if r.text.startswith("已超期")]
    assert told == [world.coordinator.id]


def test_replies_without_feedback_are_confirmed_after_the_configured_days(
        app: Flask, world: World) -> None:
    walk(world.case, world, "reply")
    db.session.commit()
    assert sweeps.auto_confirm() == []  # replied just now
    later = utcnow() + timedelta(days=app.config["AUTO_CONFIRM_DAYS"], hours=1)
    assert sweeps.auto_confirm(now=later) == [world.case.id]
    db.session.commit()
    assert world.case.status == CaseStatus.FEEDBACK
    last = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == world.case.id)
                              .order_by(CaseEvent.seq.desc())).first()
    assert last is not None and (last.action, last.actor_role) == ("auto_confirm", "system")


def test_the_morning_digest_comes_once_a_day(world: World) -> None:
    from dispatch.services.cases.notifications import plan_digests

    walk(world.case, world, "assign")
    world.case.due_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    assert plan_digests("2026-11-24") == 3  # two coordinators of the studio, the captain
    assert plan_digests("2026-11-24") == 0
    db.session.commit()
    captain_digest = db.session.scalar(select(Notification).where(
        Notification.key == f"digest:2026-11-24:u{world.captain.id}"))
    assert captain_digest is not None and "1" in captain_digest.text


def test_a_job_left_failed_by_a_killed_worker_is_started_again(world: World,
                                                              redis_url: str) -> None:
    from rq.job import Job, JobStatus

    from dispatch.jobs.outbox import relay_pending

    walk(world.case, world, "assign")
    db.session.commit()  # jobs queued after commit
    connection = redis.Redis.from_url(redis_url)
    row = db.session.scalar(select(Notification).where(
        Notification.user_id == world.captain.id))
    assert row is not None
    job = Job.fetch(f"notify-{row.id}", connection=connection)
    Queue("default", connection=connection).remove(job)
    job.set_status(JobStatus.FAILED)  # as RQ leaves a job whose work horse was killed
    assert relay_pending() >= 1
    run_worker(redis_url)
    db.session.expire_all()
    assert row.sent_at is not None
