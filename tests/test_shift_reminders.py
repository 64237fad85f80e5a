"""Reminders through the notification jobs: a shift tomorrow and an hour before, a shift
short of people the evening before (to the captain), a visit coming due; each exactly
once however often the sweep runs; delivered to the inbox by a real RQ worker."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import redis
from flask import Flask
from rq import Queue, SimpleWorker
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.jobs.periodic import standing_reminders
from dispatch.models import InboxMessage, Notification, utcnow
from dispatch.services.clock import display_zone, local
from dispatch.services.standing import signups
from dispatch.services.standing.reminders import plan_reminders
from tests.factories import World
from tests.pairing_factories import gen_pairing
from tests.shift_factories import gen_shift


def _keys() -> list[str]:
    db.session.expire_all()
    return sorted(k.split(":")[0] for k in db.session.scalars(select(Notification.key).where(
        Notification.case_id.is_(None))))


def test_each_reminder_goes_once(world: World) -> None:
    now = utcnow()
    soon = gen_shift(starts_in=timedelta(minutes=40))
    tomorrow = gen_shift(starts_in=timedelta(hours=20))
    signups.sign_up(soon, world.volunteer, now=now)
    signups.sign_up(tomorrow, world.volunteer, now=now)
    pairing = gen_pairing(world.coordinator, world.member, rhythm_days=7)
    pairing.started_at = now - timedelta(days=6, hours=12)  # due in half a day
    db.session.commit()
    assert plan_reminders(now) == 3
    assert plan_reminders(now) == 0  # the second sweep finds every key taken
    assert _keys() == ["shift-day", "shift-hour", "visit-due"]


def test_the_captain_hears_of_a_short_shift_the_evening_before(world: World) -> None:
    evening = datetime.combine(local(utcnow()).date(), time(19, 0), tzinfo=display_zone())
    next_day = datetime.combine(evening.date() + timedelta(days=1), time(6, 0),
                                tzinfo=display_zone())
    full = gen_shift(starts_at=next_day, places=1, captain_id=world.captain.id)
    short = gen_shift(starts_at=next_day, places=3, captain_id=world.captain.id)
    signups.sign_up(full, world.volunteer, now=evening - timedelta(days=1))
    db.session.commit()
    assert plan_reminders(evening - timedelta(hours=2)) == 1  # 17:00: only the volunteer's
    assert plan_reminders(evening) == 1
    short_keys = db.session.scalars(select(Notification.key).where(
        Notification.key.like("shift-short:%"))).all()
    assert short_keys == [f"shift-short:{short.id}:inbox"]


def test_reminders_reach_the_inbox_through_a_real_worker(app: Flask, world: World,
                                                        redis_url: str) -> None:
    shift = gen_shift(starts_in=timedelta(minutes=30))
    signups.sign_up(shift, world.volunteer)
    db.session.commit()
    queue = Queue("default", connection=redis.Redis.from_url(redis_url))
    job = queue.enqueue(standing_reminders)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert job.return_value() == 1
    SimpleWorker([queue], connection=queue.connection).work(burst=True)  # the deliveries
    db.session.expire_all()
    texts = db.session.scalars(select(InboxMessage.text).where(
        InboxMessage.user_id == world.volunteer.id)).all()
    assert len(texts) == 1 and shift.site_name in texts[0]
