"""In a real browser at desktop size: the demo coordinator filters the dispatch board, opens
a case, assigns the first suggested responder with one click, checks the finished work,
replies with a ready reply, and archives the case after the resident's feedback."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Case, CaseStatus, User
from dispatch.services.cases import lifecycle
from dispatch.services.intake.filing import hash_feedback_key
from dispatch.services.permissions import Actor
from dispatch.services.responders.suggest import parse_assignee
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_walkthrough import sign_in, take


def field_work_by_the_assignee(case_id: int) -> None:
    """The volunteer's own steps (their phone pages are covered by test_volunteer.py)."""
    case = db.session.get(Case, case_id)
    assert case is not None
    worker = case.assigned_volunteer or (case.assigned_team.captain if case.assigned_team
                                         else None)
    assert worker is not None
    me = Actor.of(worker)
    lifecycle.accept(case, me)
    lifecycle.arrive(case, me, latitude=case.latitude, longitude=case.longitude)
    lifecycle.finish(case, me, note="现场已处理完毕，拍照留存。")
    db.session.commit()
    db.session.remove()


def test_the_coordinator_dispatches_from_the_board_to_the_archive(
        live_server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = desk.new_page()
    sign_in(page, live_server, "coordinator")
    assert page.url.endswith("/desk/board")
    page.wait_for_selector(".leaflet-marker-pane .board-dot, .board-cluster-icon", timeout=15_000)
    page.screenshot(path=str(shots / "desk-board-desktop.png"))

    page.select_option("select[name=status]", "received")
    page.click("[data-testid=board-filter] button[type=submit]")
    page.wait_for_load_state()
    assert "status=received" in page.url
    first = page.locator("#board-list a[data-case]").first
    case_id = int(first.get_attribute("data-case") or 0)
    statuses = {db.session.get(Case, int(item.get_attribute("data-case") or 0)).status
                for item in page.locator("#board-list a[data-case]").all()}
    assert statuses == {CaseStatus.RECEIVED}  # the list follows the filter
    db.session.remove()
    page.screenshot(path=str(shots / "desk-board-filtered-desktop.png"))
    first.click()
    page.wait_for_url(f"**/desk/cases/{case_id}*")

    suggestion = page.locator("#suggestions .suggestion").first
    key = suggestion.get_attribute("data-key") or ""
    assert suggestion.inner_text().strip()  # each suggestion says why
    page.screenshot(path=str(shots / "desk-case-suggestions-desktop.png"), full_page=True)
    suggestion.locator("form.one-click button[type=submit]").click()
    page.wait_for_load_state()
    case = db.session.get(Case, case_id)
    team, volunteer = parse_assignee(key)
    assert case is not None and case.status == CaseStatus.HANDLING
    assert (case.assigned_team_id, case.assigned_volunteer_id) == (
        team.id if team else None, volunteer.id if volunteer else None)
    assert case.due_at is not None
    db.session.remove()

    field_work_by_the_assignee(case_id)
    page.reload()
    page.screenshot(path=str(shots / "desk-case-check-desktop.png"), full_page=True)
    take(page, live_server, "check_work")
    form = page.locator("form[data-action=reply]")
    form.locator("select.reply-template").select_option(index=1)
    assert form.locator("[name='reply-text']").input_value().strip()  # the template filled it
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#case-status [data-status]").get_attribute("data-status") == "replied"

    replied = db.session.get(Case, case_id)
    assert replied is not None
    code = replied.tracking_code
    replied.feedback_key_hash = hash_feedback_key("the-residents-key")  # a demo case has none
    db.session.commit()
    db.session.remove()
    resident = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN")
    phone = resident.new_page()
    phone.goto(f"{live_server}/c/{code}?k=the-residents-key")
    phone.locator("label.choice").filter(has_text="满意").first.click()
    phone.locator("label.rating").filter(has_text="5").click()
    phone.click(".feedback-form button[type=submit]")
    phone.wait_for_url("**thanks=1*")
    resident.close()

    page.reload()
    take(page, live_server, "archive")
    assert page.locator("#case-status [data-status]").get_attribute("data-status") == "archived"
    page.screenshot(path=str(shots / "desk-case-archived-desktop.png"), full_page=True)
    desk.close()

    case = db.session.get(Case, case_id)
    assert case is not None
    actions = [event.action for event in case.events]
    since_assigned = actions[len(actions) - 1 - actions[::-1].index("assign"):]
    assert since_assigned == ["assign", "accept", "arrive", "finish", "check_work", "reply",
                              "give_feedback", "archive"]
    coordinator = db.session.scalar(select(User).where(User.username == "coordinator"))
    checker = next(e for e in case.events if e.action == "check_work")
    assert coordinator is not None and checker.actor_id == coordinator.id
