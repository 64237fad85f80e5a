"""Thirty volunteers tap "sign up" for a shift with five places at the same moment, each
from its own thread, app context and database connection: exactly five get a place, the
others are told it is full, and the counter matches the sign-ups. On PostgreSQL the
conditional UPDATE decides it; SQLite serialises writers (its busy timeout queues them)."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from dispatch import create_app
from dispatch.extensions import db
from dispatch.models import Availability, Role, Shift, ShiftSignup, SignupState, User
from dispatch.services.standing import signups
from tests.factories import World, gen_user
from tests.shift_factories import gen_shift

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                reason="the race is PostgreSQL's to decide")


def test_thirty_sign_ups_for_five_places_accept_exactly_five(app: Flask, world: World) -> None:
    shift = gen_shift(places=5)
    volunteers = [gen_user(Role.VOLUNTEER) for _ in range(30)]
    db.session.commit()
    shift_id, user_ids = shift.id, [v.id for v in volunteers]
    # An app of its own with a connection for each phone: the default pool (5 + 10)
    # would make half of them queue for a connection instead of racing for the place.
    racing = create_app({key: app.config[key] for key in (
        "TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "REDIS_URL")} | {
        "INSTANCE_PATH": app.instance_path,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 30, "max_overflow": 0}})
    barrier = threading.Barrier(len(user_ids))
    results: dict[int, Any] = {}

    def tap(user_id: int) -> None:
        with racing.app_context():
            try:
                user = db.session.get(User, user_id)
                target = db.session.get(Shift, shift_id)
                assert user is not None and target is not None
                barrier.wait(20)  # everyone has read the shift with five free places
                signups.sign_up(target, user)
                db.session.commit()
                results[user_id] = "accepted"
            except signups.SignupRefused as refused:
                db.session.rollback()
                results[user_id] = refused.status
            except Exception as error:  # noqa: BLE001 (reported below)
                db.session.rollback()
                results[user_id] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=tap, args=(uid,)) for uid in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with racing.app_context():
        db.engine.dispose()
    outcomes = list(results.values())
    assert len(outcomes) == 30
    assert outcomes.count("accepted") == 5, outcomes
    assert outcomes.count(Availability.FULL) == 25, outcomes
    db.session.expire_all()
    assert db.session.get(Shift, shift_id).taken == 5
    assert db.session.scalar(select(func.count()).select_from(ShiftSignup).where(
        ShiftSignup.shift_id == shift_id, ShiftSignup.state == SignupState.SIGNED_UP)) == 5
