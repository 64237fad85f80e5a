"""In a real browser: a paired member logs a visit on the phone and files the need found
as a case in one tap; the coordinator receives and dispatches it from the desk. The public
page of that case shows none of the household's private data."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Case, CaseStatus, Household, Visit
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_walkthrough import sign_in, take


def test_a_visit_raises_a_case_the_coordinator_dispatches(
        live_server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    household = db.session.scalar(select(Household).where(Household.code == "HH-YZ-0301"))
    assert household is not None
    household_id, address = household.id, household.address
    db.session.remove()

    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN")
    page = phone.new_page()
    sign_in(page, live_server, "vol.zhaoguiying")
    page.goto(f"{live_server}/v/pairings")
    overdue = db.session.scalar(select(Household.id).where(Household.code == "HH-YZ-0502"))
    assert page.locator(f"[data-household='{overdue}'] .overdue").count() == 1
    assert page.locator(f"[data-household='{household_id}'] .overdue").count() == 0
    page.screenshot(path=str(shots / "pairings-phone.png"), full_page=True)
    page.locator(f"[data-household='{household_id}']").click()
    page.wait_for_load_state()
    assert address in page.locator("[data-testid=household-data]").inner_text()
    page.fill("#found", "卫生间没有扶手，老人起身困难，差点摔倒")
    page.fill("#done", "先放了一把椅子当支撑")
    page.locator("#visit-form button[type=submit]").click()
    page.wait_for_load_state()
    visit = db.session.scalar(select(Visit).where(Visit.household_id == household_id)
                              .order_by(Visit.id.desc()))
    assert visit is not None and visit.found.startswith("卫生间没有扶手")
    visit_id = visit.id
    db.session.remove()
    card = page.locator(f"[data-visit='{visit_id}']")
    card.locator("summary").click()
    card.locator("select").select_option(label="🧓 助老微心愿")
    page.screenshot(path=str(shots / "household-visit-phone.png"), full_page=True)
    card.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(f"[data-visit='{visit_id}'] [data-testid=raised-case]").count() == 1
    phone.close()

    visit = db.session.get(Visit, visit_id)
    assert visit is not None and visit.case_id is not None
    case_id = visit.case_id
    case = db.session.get(Case, case_id)
    assert case is not None
    code = case.tracking_code
    db.session.remove()

    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    sign_in(desk, live_server, "coord.yanzhong")
    desk.goto(f"{live_server}/desk/pairings")
    desk.screenshot(path=str(shots / "desk-pairings-desktop.png"), full_page=True)
    desk.goto(f"{live_server}/desk/cases/{case_id}")
    take(desk, live_server, "receive")
    take(desk, live_server, "assign", fill={"note": "请带上扶手和电钻"}, select_first="assignee")
    desk.goto(f"{live_server}/desk/worklog")
    assert desk.locator("[data-testid=work-log] [data-entry]").count() >= 5  # the demo week
    desk.screenshot(path=str(shots / "desk-worklog-desktop.png"), full_page=True)
    desk.goto(f"{live_server}/c/{code}")
    public = desk.content()
    assert address not in public and "王秀兰" not in public and "13903741201" not in public
    desk.context.close()

    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert case is not None and case.status == CaseStatus.HANDLING
    assert case.assignment_status == "assigned"
