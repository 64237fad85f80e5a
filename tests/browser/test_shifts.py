"""In a real browser at phone size: a volunteer signs up for the last place of a dawn
checkpoint shift while a second phone is refused, checks in on site and out, and the hours
appear in their record and in the monthly report; the captain sees who has arrived."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from dispatch.extensions import db
from dispatch.models import Shift, ShiftSignup, User, utcnow
from dispatch.services.clock import display_zone, local
from dispatch.services.desk.figures import Month
from dispatch.services.standing import rosters
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_walkthrough import sign_in


def _phone(browser, **kw):  # type: ignore[no-untyped-def]
    return browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN", **kw)


def test_last_place_of_a_dawn_shift_then_hours_in_the_record_and_report(
        live_server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    # The seeded dawn shift at Chendai has 3 places and 2 taken. It is moved to start in
    # twenty minutes so that check-in (open from an hour before) can happen in the test.
    shift = db.session.scalar(select(Shift).where(Shift.series == "demo-chendai")
                              .order_by(Shift.starts_at))
    assert shift is not None and shift.places - shift.taken == 1
    starts = utcnow().replace(microsecond=0) + timedelta(minutes=20)
    shift.starts_at, shift.ends_at = starts, starts + timedelta(hours=2, minutes=30)
    shift_id, site = shift.id, (shift.latitude, shift.longitude)
    db.session.commit()
    db.session.remove()

    me = _phone(browser, geolocation={"latitude": site[0] + 0.0004, "longitude": site[1]},
                permissions=["geolocation"])
    other = _phone(browser)
    page, rival = me.new_page(), other.new_page()
    sign_in(page, live_server, "volunteer")
    sign_in(rival, live_server, "vol.zhangmin")
    for phone in (page, rival):
        phone.goto(f"{live_server}/v/shifts")
    card = f"[data-shift='{shift_id}']"
    assert rival.locator(card).get_attribute("data-status") == "available"
    page.screenshot(path=str(shots / "shifts-phone.png"), full_page=True)

    page.locator(f"{card} form[action$='/sign-up'] button").click()
    page.wait_for_load_state()
    assert page.locator(card).get_attribute("data-status") == "signed_up"
    rival.locator(f"{card} form[action$='/sign-up'] button").click()  # a moment too late
    rival.wait_for_load_state()
    assert "已满" in rival.locator("[data-testid=refused]").inner_text()
    assert rival.locator(card).get_attribute("data-status") == "full"
    rival.screenshot(path=str(shots / "shift-full-phone.png"))

    page.locator(f"{card} form.checkin button").click()  # asks for the position, then posts
    page.wait_for_selector(f"{card} form[action$='/check-out']", timeout=20000)
    assert "已签到" in page.locator(card).inner_text()
    # The volunteer stays two and a half hours: move the check-in back rather than wait.
    db.session.execute(update(ShiftSignup).where(ShiftSignup.shift_id == shift_id,
                                                 ShiftSignup.checked_in_at.is_not(None))
                       .values(checked_in_at=utcnow() - timedelta(hours=2, minutes=30)))
    db.session.commit()
    page.locator(f"{card} form[action$='/check-out'] button").click()
    page.wait_for_load_state()
    page.goto(f"{live_server}/v/me")
    assert page.locator("[data-testid=shift-hours]").inner_text() == "2.5"
    page.screenshot(path=str(shots / "shift-record-phone.png"), full_page=True)

    captain = _phone(browser).new_page()
    sign_in(captain, live_server, "captain.jinjiang")
    captain.goto(f"{live_server}/v/shifts/{shift_id}/roster")
    volunteer = db.session.scalar(select(User).where(User.username == "volunteer"))
    assert volunteer is not None
    assert volunteer.display_name in captain.locator("[data-testid=arrived]").inner_text()
    captain.screenshot(path=str(shots / "shift-roster-phone.png"), full_page=True)
    captain.context.close()
    me.close()
    other.close()

    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    sign_in(desk, live_server, "coordinator")
    month = local(starts).strftime("%Y-%m")
    desk.goto(f"{live_server}/desk/reports/monthly?month={month}")
    figures = rosters.month_figures(*_bounds(month))
    assert figures.hours >= 2.5
    assert desk.locator("[data-testid=shift-hours]").inner_text() == str(figures.hours)
    desk.locator("[data-testid=standing]").screenshot(
        path=str(shots / "desk-monthly-shifts.png"))
    desk.goto(f"{live_server}/desk/shifts")
    desk.screenshot(path=str(shots / "desk-shifts-desktop.png"), full_page=True)
    desk.context.close()


def _bounds(label: str) -> tuple[datetime, datetime]:
    month = Month.parse(label, display_zone())
    assert month is not None
    return month.start, month.end
