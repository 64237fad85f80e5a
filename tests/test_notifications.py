"""Notifications: written with the ledger event, delivered by a real RQ worker to a real
HTTP receiver and the inbox, once; retried and listed when they fail; never lost when
Redis is down."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from flask import Flask
from rq import Queue, SimpleWorker
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.extensions import db
from dispatch.jobs.delivery import MAX_ATTEMPTS, deliver
from dispatch.jobs.outbox import relay_pending
from dispatch.models import Channel, InboxMessage, Notification
from dispatch.notify.http import send_webhook, webhook_payload
from dispatch.services.cases import lifecycle
from dispatch.services.permissions import Actor
from tests.conftest import WebClient
from tests.factories import World, walk


@dataclass
class Receiver:
    url: str
    calls: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP server standing in for a group-chat robot and an SMS gateway."""
    calls: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            calls.append({"method": self.command, "path": self.path, "body": body,
                          "key": self.headers.get("Idempotency-Key")})
            status = 500 if self.path.startswith("/fail") else 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"errcode": 0}')

        do_GET = do_POST = _record

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Receiver(f"http://127.0.0.1:{server.server_port}", calls)
    server.shutdown()
    server.server_close()
    thread.join(5)


def run_worker(redis_url: str) -> None:
    queue = Queue("default", connection=redis.Redis.from_url(redis_url))
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def rows(channel: Channel | None = None) -> list[Notification]:
    db.session.expire_all()
    query = select(Notification).order_by(Notification.id)
    if channel:
        query = query.where(Notification.channel == channel)
    return list(db.session.scalars(query))


def inbox_of(user_id: int) -> list[InboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(InboxMessage).where(InboxMessage.user_id == user_id)))


def test_outbox_rows_are_part_of_the_events_transaction(world: World,
                                                        receiver: Receiver) -> None:
    world.team.webhook_kind, world.team.webhook_url = "wecom", f"{receiver.url}/hook"
    walk(world.case, world, "receive")
    db.session.commit()
    lifecycle.assign(world.case, world.desk(), team=world.team)
    db.session.rollback()  # the assignment did not happen: nobody may hear of it
    assert [r.channel for r in rows() if "assign" in r.text or r.team_id] == []
    lifecycle.assign(world.case, world.desk(), team=world.team)
    db.session.commit()
    planned = {(r.channel, r.user_id, r.team_id) for r in rows() if r.key.startswith(
        f"{world.case.id}:3:")}
    assert planned == {(Channel.INBOX, world.captain.id, None),
                       (Channel.WEBHOOK, None, world.team.id)}


def test_a_real_worker_delivers_the_assignment_once(signed_in, world: World,
                                                   receiver: Receiver, redis_url: str) -> None:
    world.team.webhook_kind, world.team.webhook_url = "dingtalk", f"{receiver.url}/hook"
    walk(world.case, world, "assign")
    db.session.commit()  # after commit, the jobs are queued on the real Redis
    run_worker(redis_url)
    [call] = receiver.calls
    [hook] = rows(Channel.WEBHOOK)
    assert call["method"] == "POST" and call["key"] == hook.key
    assert json.loads(call["body"])["msgtype"] == "text"
    assert world.case.title[:10] in json.loads(call["body"])["text"]["content"]
    assert len(inbox_of(world.captain.id)) == 1
    for row in rows():
        assert row.sent_at is not None
        assert deliver(row.id) == "already sent"  # a second run changes nothing
    assert len(receiver.calls) == 1 and len(inbox_of(world.captain.id)) == 1
    page = signed_in("captain").get("/v/").get_data(as_text=True)
    assert 'data-testid="unread">1<' in page


def test_each_group_chat_gets_its_own_payload() -> None:
    assert webhook_payload("feishu", "hi") == {"msg_type": "text", "content": {"text": "hi"}}
    assert webhook_payload("wecom", "hi") == {"msgtype": "text", "text": {"content": "hi"}}
    assert webhook_payload("dingtalk", "hi") == {"msgtype": "text", "text": {"content": "hi"}}


def test_the_residents_sms_gateway_receives_the_reply(app: Flask, world: World,
                                                     receiver: Receiver,
                                                     redis_url: str) -> None:
    app.config["SMS_GATEWAY_URL"] = f"{receiver.url}/sms?to={{phone}}&text={{text}}&key={{key}}"
    world.case.reporter_wants_updates = True
    walk(world.case, world, "reply")
    db.session.commit()
    run_worker(redis_url)
    [call] = [c for c in receiver.calls if c["path"].startswith("/sms")]
    query = parse_qs(urlsplit(call["path"]).query)
    assert query["to"] == ["+8613812345678"]
    assert f"/c/{world.case.tracking_code}" in query["text"][0]
    assert len(query["text"][0]) <= 120  # short enough for one text message
    assert query["key"] == [call["key"]]


def test_a_failing_webhook_is_retried_then_listed_with_a_retry_button(
        signed_in, world: World, receiver: Receiver, redis_url: str) -> None:
    world.team.webhook_kind, world.team.webhook_url = "wecom", f"{receiver.url}/fail"
    walk(world.case, world, "assign")
    db.session.commit()
    run_worker(redis_url)  # first attempt fails; RQ schedules the retry with a back-off
    [hook] = rows(Channel.WEBHOOK)
    assert hook.attempts == 1 and "500" in (hook.last_error or "") and hook.failed_at is None
    assert len(inbox_of(world.captain.id)) == 1  # nothing else was blocked
    for _ in range(MAX_ATTEMPTS - 1):
        with pytest.raises(Exception, match="500"):
            deliver(hook.id)
    [hook] = rows(Channel.WEBHOOK)
    assert hook.failed_at is not None and hook.sent_at is None
    desk = signed_in("coordinator")
    page = desk.get("/desk/notifications").get_data(as_text=True)
    assert "500" in page and f"/desk/notifications/{hook.id}/retry" in page
    world.team.webhook_url = f"{receiver.url}/hook"
    db.session.commit()
    assert desk.post(f"/desk/notifications/{hook.id}/retry").status_code == 302
    run_worker(redis_url)
    [hook] = rows(Channel.WEBHOOK)
    assert hook.sent_at is not None


def test_a_worker_killed_after_sending_sends_again_with_the_same_key(
        world: World, receiver: Receiver) -> None:
    world.team.webhook_kind, world.team.webhook_url = "wecom", f"{receiver.url}/hook"
    walk(world.case, world, "assign")
    db.session.commit()
    [hook] = rows(Channel.WEBHOOK)
    send_webhook(hook)  # sent, then the worker died before stamping the row
    assert deliver(hook.id) == "sent"  # the retry sends again ...
    assert [c["key"] for c in receiver.calls] == [hook.key, hook.key]  # ... with one key
    [inbox] = [r for r in rows(Channel.INBOX) if r.user_id == world.captain.id]
    db.session.add(InboxMessage(notification_id=inbox.id, user_id=inbox.user_id,
                                text=inbox.text))
    db.session.commit()  # the inbox row was written, the stamp was not
    assert deliver(inbox.id) == "sent" and len(inbox_of(world.captain.id)) == 1


def test_redis_stopped_during_filing_loses_nothing(
        app: Flask, world: World, redis_outage: Callable[[], str]) -> None:
    web = WebClient(app)
    response = web.post("/report/details", {
        "kind": "hazard", "category": world.category.code, "lat": "27.8655",
        "lon": "112.9468", "submission_token": "t" * 32, "description": "楼道灯坏了"})
    assert response.status_code == 302  # the case is saved while Redis is down
    waiting = [r for r in rows() if r.sent_at is None and r.user_id == world.coordinator.id]
    assert waiting, "the new case's notification must wait in the outbox"
    url = redis_outage()
    assert relay_pending() >= len(waiting)
    run_worker(url)
    assert any("楼道灯坏了"[:4] in m.text or m.url for m in inbox_of(world.coordinator.id))
    assert all(r.sent_at is not None for r in rows())


def test_a_malformed_webhook_address_is_refused_when_saved(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    response = desk.post(f"/desk/teams/{world.team.id}/webhook",
                         {"kind": "wecom", "url": "not a web address"})
    assert response.status_code == 422 and "网址" in response.get_data(as_text=True)
    db.session.expire_all()
    assert world.team.webhook_url is None
    assert desk.post(f"/desk/teams/{world.team.id}/webhook",
                     {"kind": "feishu", "url": "https://open.feishu.cn/hook/abc"}
                     ).status_code == 302


def test_an_expired_claim_tells_its_holder(world: World) -> None:
    from datetime import timedelta

    from dispatch.models import CaseKind, utcnow
    from dispatch.services.cases import claims
    from tests.factories import gen_case

    wish = gen_case(world.category, kind=CaseKind.WISH)
    lifecycle.receive(wish, world.desk())
    claims.claim(wish, Actor.of(world.volunteer), at=utcnow() - timedelta(days=4))
    claims.release_expired()
    db.session.commit()
    told = [r for r in rows(Channel.INBOX) if r.user_id == world.volunteer.id]
    assert told and db.session.scalar(select(func.count()).select_from(Notification)) >= 1


def test_a_failed_check_tells_the_volunteer_why(world: World) -> None:
    case = world.case
    walk(case, world, "receive")
    lifecycle.assign(case, world.desk(), volunteer=world.volunteer)
    me = Actor.of(world.volunteer)
    lifecycle.accept(case, me)
    lifecycle.arrive(case, me)
    lifecycle.finish(case, me, note="已修好")
    lifecycle.return_work(case, world.desk(), note="照片里看不到护栏，请补拍")
    db.session.commit()
    told = [r for r in rows(Channel.INBOX) if r.user_id == world.volunteer.id]
    assert len(told) == 2  # the assignment, then the failed check with its reason
    assert "照片里看不到护栏" in told[-1].text


def _jobs(redis_url: str) -> list[str]:
    connection = redis.Redis.from_url(redis_url)
    return sorted(key.decode().removeprefix("rq:job:")
                  for key in connection.scan_iter("rq:job:notify-*"))


def test_an_events_rows_go_out_in_one_job(world: World, receiver: Receiver,
                                          redis_url: str) -> None:
    redis.Redis.from_url(redis_url).flushdb()  # the world's own jobs
    world.team.webhook_kind, world.team.webhook_url = "wecom", f"{receiver.url}/hook"
    walk(world.case, world, "assign")
    db.session.commit()
    [event_seq] = {r.key.split(":")[1] for r in rows() if r.team_id}
    event = [r for r in rows() if r.key.startswith(f"{world.case.id}:{event_seq}:")]
    assert {r.channel for r in event} == {Channel.INBOX, Channel.WEBHOOK}
    assert f"notify-{event[0].id}" in _jobs(redis_url)
    assert not any(job == f"notify-{row.id}" for row in event[1:] for job in _jobs(redis_url))
    run_worker(redis_url)
    sent = {r.id: r for r in rows()}
    assert all(sent[r.id].sent_at is not None and sent[r.id].attempts == 1 for r in event)
    assert [c["key"] for c in receiver.calls] == [r.key for r in event if r.team_id]
    assert len(inbox_of(world.captain.id)) == 1


def test_the_relay_leaves_an_events_job_waiting_for_its_retry_alone(
        world: World, receiver: Receiver, redis_url: str) -> None:
    """The inbox row went out, the webhook waits for RQ's retry: the relay finds the
    webhook row unsent but queues nothing beside the retry (the same job id)."""
    world.team.webhook_kind, world.team.webhook_url = "wecom", f"{receiver.url}/fail"
    walk(world.case, world, "assign")
    db.session.commit()
    run_worker(redis_url)
    [hook] = rows(Channel.WEBHOOK)
    assert hook.sent_at is None and hook.attempts == 1
    before = _jobs(redis_url)
    assert relay_pending() >= 1
    assert _jobs(redis_url) == before  # no "-again-" job, no job of the webhook row's own
    assert len(receiver.calls) == 1


def test_outside_sends_stop_when_the_jobs_time_is_spent_and_the_rest_waits(
        world: World, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    from dispatch.jobs import delivery

    world.team.webhook_kind, world.team.webhook_url = "wecom", f"{receiver.url}/hook"
    walk(world.case, world, "assign")
    db.session.commit()
    lifecycle.reassign(world.case, world.desk(), team=world.team, note="again")
    db.session.commit()
    first, second = rows(Channel.WEBHOOK)
    monkeypatch.setattr(delivery, "SEND_BUDGET_S", -1.0)  # spent after the first send
    with pytest.raises(delivery.Deferred):
        deliver(first.id, second.id)
    first, second = rows(Channel.WEBHOOK)
    assert first.sent_at is not None and (second.sent_at, second.attempts) == (None, 0)
    assert deliver(first.id, second.id) == "sent"
    assert [c["key"] for c in receiver.calls] == [first.key, second.key]


def test_on_postgresql_a_delivery_commits_without_waiting_for_the_disk(world: World) -> None:
    """``synchronous_commit`` is off in the delivery's own transaction (jobs/delivery.py
    says why that is safe), and only there."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    walk(world.case, world, "assign")
    db.session.commit()
    [inbox] = [r for r in rows(Channel.INBOX) if r.user_id == world.captain.id
               and r.sent_at is None]
    seen: list[str] = []

    def before_commit(session: Session) -> None:
        seen.append(session.connection().exec_driver_sql("SHOW synchronous_commit").scalar())

    sa_event.listen(Session, "before_commit", before_commit)
    try:
        assert deliver(inbox.id) == "sent"
    finally:
        sa_event.remove(Session, "before_commit", before_commit)
    assert seen == ["off"]
    assert db.session.connection().exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
