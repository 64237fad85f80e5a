"""Shift pages: publishing on the desk (one shift, a series, bad rules as form errors),
the phone's list and its steps, the captain's roster, and the API's shared status."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import Notification, Shift, ShiftSignup, utcnow
from dispatch.services.clock import local
from dispatch.services.standing import signups
from tests.conftest import WebClient
from tests.factories import World
from tests.shift_factories import gen_shift

SignIn = Callable[[str], WebClient]


def _form(**kw: str) -> dict[str, str]:
    tomorrow = local(utcnow()).date() + timedelta(days=1)
    return {"site_name": "池店镇检查点", "latitude": "24.79", "longitude": "118.56",
            "first_day": tomorrow.isoformat(), "starts": "06:30", "ends": "09:30",
            "places": "5", "note": "", "repeat": "", "until": "", "rule": "",
            "opens_hours_before": "", "captain_id": "", **kw}


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Shift)) or 0


def test_coordinator_publishes_one_shift(world: World, signed_in: SignIn) -> None:
    desk = signed_in("coordinator")
    response = desk.post("/desk/shifts", _form(skills="safety"))
    assert response.status_code == 302, response.get_data(as_text=True)
    shift = db.session.scalar(select(Shift))
    assert shift is not None and shift.skills == ["safety"]
    assert local(shift.starts_at).strftime("%H:%M") == "06:30"
    assert "池店镇检查点" in desk.get("/desk/shifts").get_data(as_text=True)


def test_weekday_series_until_a_date_is_expanded(world: World, signed_in: SignIn) -> None:
    first = local(utcnow()).date() + timedelta(days=1)
    until = first + timedelta(days=13)
    response = signed_in("coordinator").post("/desk/shifts", _form(
        repeat="weekdays", until=until.isoformat()))
    assert response.status_code == 302
    starts = [local(s.starts_at) for s in db.session.scalars(select(Shift))]
    assert len(starts) == sum(1 for d in range(14) if (first + timedelta(days=d)).weekday() < 5)
    assert all(s.weekday() < 5 and s.strftime("%H:%M") == "06:30" for s in starts)
    assert len({s.series for s in db.session.scalars(select(Shift))}) == 1


def test_rule_past_a_year_or_ending_before_it_starts_is_a_form_error(
        world: World, signed_in: SignIn) -> None:
    desk = signed_in("coordinator")
    for rule in ("FREQ=DAILY", "FREQ=DAILY;UNTIL=20200101", "FREQ=NONSENSE"):
        response = desk.post("/desk/shifts", _form(rule=rule))
        page = response.get_data(as_text=True)
        assert response.status_code == 422, rule
        assert "invalid-feedback" in page and rule in page  # the rule typed is kept
    assert _count() == 0


def test_a_volunteer_cannot_publish_but_a_captain_can(world: World, signed_in: SignIn) -> None:
    assert signed_in("member").get("/desk/shifts").status_code == 403
    captain = signed_in("captain")
    assert captain.get("/desk/shifts").status_code == 200
    assert captain.post("/desk/shifts", _form()).status_code == 302
    shift = db.session.scalar(select(Shift))
    assert shift is not None and shift.captain_id == world.captain.id
    assert captain.get("/desk/cases").status_code == 403  # nothing else of the desk


def test_phone_sign_up_then_full_for_the_next_one(world: World, signed_in: SignIn) -> None:
    shift = gen_shift(places=1)
    db.session.commit()
    first, second = signed_in("volunteer"), signed_in("member")
    assert 'data-status="available"' in first.get("/v/shifts").get_data(as_text=True)
    assert first.post(f"/v/shifts/{shift.id}/sign-up").status_code == 302
    refused = second.post(f"/v/shifts/{shift.id}/sign-up")
    assert refused.status_code == 409
    assert 'data-testid="refused"' in refused.get_data(as_text=True)
    api = second.get("/api/shifts").get_json()
    assert [row["status"] for row in api if row["id"] == shift.id] == ["full"]


def test_check_in_and_out_from_the_phone(world: World, signed_in: SignIn) -> None:
    shift = gen_shift(starts_in=timedelta(minutes=20))
    db.session.commit()
    phone = signed_in("volunteer")
    phone.post(f"/v/shifts/{shift.id}/sign-up")
    signup = db.session.scalar(select(ShiftSignup))
    assert signup is not None
    assert phone.post(f"/v/signups/{signup.id}/check-in",
                      {"latitude": "24.81", "longitude": "118.58"}).status_code == 302
    assert signed_in("member").post(f"/v/signups/{signup.id}/check-in").status_code == 403
    assert phone.post(f"/v/signups/{signup.id}/check-out").status_code == 302
    db.session.expire_all()
    assert db.session.get(ShiftSignup, signup.id).checked_out_at is not None


def test_captain_roster_and_ask(world: World, signed_in: SignIn) -> None:
    shift = gen_shift(captain_id=world.captain.id, team_id=world.team.id)
    db.session.commit()
    signed_in("volunteer").post(f"/v/shifts/{shift.id}/sign-up")
    captain = signed_in("captain")
    page = captain.get(f"/v/shifts/{shift.id}/roster").get_data(as_text=True)
    assert world.volunteer.display_name in page
    assert captain.post(f"/v/shifts/{shift.id}/ask").status_code == 302
    asked = db.session.scalars(select(Notification.user_id).where(
        Notification.key.like("shift-ask:%"))).all()
    assert asked == [world.member.id]
    assert signed_in("outsider_captain").get(f"/v/shifts/{shift.id}/roster").status_code == 403


def test_hours_served_show_in_the_record_and_the_monthly_report(
        world: World, signed_in: SignIn) -> None:
    now = utcnow()
    shift = gen_shift(starts_at=now - timedelta(hours=3), hours=4)
    signup = ShiftSignup(shift_id=shift.id, user_id=world.volunteer.id, created_at=now)
    db.session.add(signup)
    shift.taken = 1
    db.session.flush()
    signups.check_in(signup, world.volunteer, None, None, now=now - timedelta(hours=3))
    signups.check_out(signup, world.volunteer, now=now - timedelta(minutes=30))
    db.session.commit()
    me = signed_in("volunteer").get("/v/me").get_data(as_text=True)
    assert '<b data-testid="shift-hours">2.5</b>' in me
    month = local(shift.starts_at).strftime("%Y-%m")
    report = signed_in("coordinator").get(f"/desk/reports/monthly?month={month}")
    assert '<div class="fs-5 fw-semibold" data-testid="shift-hours">2.5</div>' in \
        report.get_data(as_text=True)


def test_cancelling_a_series_tells_each_signed_up_volunteer_once(world: World,
                                                                 signed_in: SignIn) -> None:
    series = "s-cancel"
    first = gen_shift(starts_in=timedelta(days=1), series=series)
    second = gen_shift(starts_in=timedelta(days=8), series=series)
    other = gen_shift(starts_in=timedelta(days=3))
    signups.sign_up(first, world.volunteer)
    dropped = signups.sign_up(second, world.member)
    signups.drop_out(dropped, world.member)
    signups.sign_up(second, world.volunteer)
    signups.sign_up(other, world.member)
    db.session.commit()
    desk = signed_in("coordinator")
    page = desk.get("/desk/shifts").get_data(as_text=True)
    assert first.site_name in page
    response = desk.post(f"/desk/shifts/{first.id}/cancel", {"whole_series": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    keys = sorted(db.session.scalars(select(Notification.key).where(
        Notification.key.like("shift-cancelled:%"))))
    # The volunteer's two sign-ups; not the member who had dropped out, not the other shift.
    assert len(keys) == 2 and all(k.endswith(":inbox") for k in keys)
    users = set(db.session.scalars(select(Notification.user_id).where(
        Notification.key.like("shift-cancelled:%"))))
    assert users == {world.volunteer.id}
    text = db.session.scalar(select(Notification.text).where(
        Notification.key.like("shift-cancelled:%")))
    assert text is not None and first.site_name in text and "取消" in text
    # Cancelling again changes nothing and tells no one twice.
    desk.post(f"/desk/shifts/{first.id}/cancel", {"whole_series": "y"})
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.key.like("shift-cancelled:%"))) == 2
    assert db.session.get(Shift, other.id).state.value == "open"
