"""In a real browser: a coordinator signs in and walks one case from registered to
archived, seeing the ledger grow; phone and desktop screenshots are taken on the way."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent
from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import PASSWORD


def sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].weui-btn")
    # Let the landing page finish loading: leaving it mid-download makes the dev server
    # drop a connection with a file still open (a ResourceWarning, an error here).
    page.wait_for_load_state("networkidle")


def take(page, base_url: str, action: str, fill: dict[str, str] | None = None,  # type: ignore[no-untyped-def]
         select_first: str | None = None) -> None:
    form = page.locator(f"form[data-action={action}]")
    for name, value in (fill or {}).items():
        form.locator(f"[name='{action}-{name}']").fill(value)
    if select_first:
        form.locator(f"select[name='{action}-{select_first}'] option").nth(1).wait_for(
            state="attached")
        value = form.locator(f"select[name='{action}-{select_first}'] option").nth(1) \
            .get_attribute("value")
        form.locator(f"select[name='{action}-{select_first}']").select_option(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_a_coordinator_walks_a_case_from_registered_to_archived(
        live_server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    case = db.session.scalar(select(Case).where(Case.external_ref == "demo-18"))
    assert case is not None and case.status == "registered"
    case_id, code = case.id, case.tracking_code
    db.session.remove()

    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN")
    page = phone.new_page()
    page.goto(live_server + "/")
    assert page.locator("h1").first.inner_text() == "反映身边的问题"
    page.screenshot(path=str(shots / "home-phone.png"), full_page=True)
    page.goto(live_server + "/login")
    page.screenshot(path=str(shots / "login-phone.png"))
    phone.close()

    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = desk.new_page()
    sign_in(page, live_server, "coord.haicang")
    assert page.url.endswith("/desk/board")
    page.goto(f"{live_server}/desk/cases")
    page.screenshot(path=str(shots / "case-list-desktop.png"))

    page.goto(f"{live_server}/desk/cases/{case_id}")
    page.screenshot(path=str(shots / "case-registered-desktop.png"), full_page=True)
    take(page, live_server, "receive")
    assert page.locator("#case-status [data-status]").get_attribute("data-status") == "received"
    assert "操作成功" in page.locator(".alert").inner_text()

    take(page, live_server, "assign", fill={"note": "请带上工具"}, select_first="assignee")
    page.screenshot(path=str(shots / "case-assigned-desktop.png"), full_page=True)
    take(page, live_server, "accept")
    take(page, live_server, "arrive")
    take(page, live_server, "finish", fill={"note": "井盖已重新固定并加装防坠网。"})
    # She recorded the work herself (phoned in), so a second person checks it.
    assert page.locator("form[data-action=check_work]").count() == 0
    second = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    checker = second.new_page()
    sign_in(checker, live_server, "admin")
    checker.goto(f"{live_server}/desk/cases/{case_id}")
    take(checker, live_server, "check_work")
    assert "复核通过" in checker.locator("#ledger").inner_text()
    second.close()
    page.reload()
    take(page, live_server, "reply", fill={"text": "您反映的井盖松动问题已处理，谢谢您的反映。"})
    form = page.locator("form[data-action=give_feedback]")
    form.locator("input[name='give_feedback-satisfied'][value=yes]").check()
    form.locator("input[name='give_feedback-rating'][value='5']").check()
    form.locator("input[name='give_feedback-fixed'][value=yes]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    take(page, live_server, "archive")
    assert page.locator("#case-status [data-status]").get_attribute("data-status") == "archived"
    assert page.locator("form.action-form").count() == 0
    page.screenshot(path=str(shots / "case-archived-desktop.png"), full_page=True)

    phone_desk = browser.new_context(viewport=PHONE, device_scale_factor=2)
    page = phone_desk.new_page()
    sign_in(page, live_server, "coord.haicang")
    page.goto(f"{live_server}/desk/cases/{case_id}")
    page.screenshot(path=str(shots / "case-archived-phone.png"), full_page=True)
    page.goto(f"{live_server}/c/{code}")
    page.screenshot(path=str(shots / "public-case-phone.png"), full_page=True)
    phone_desk.close()
    desk.close()

    actions = list(db.session.scalars(select(CaseEvent.action)
                                      .where(CaseEvent.case_id == case_id)
                                      .order_by(CaseEvent.seq)))
    assert actions == ["register", "receive", "assign", "accept", "arrive", "finish",
                       "check_work", "reply", "give_feedback", "archive"]


def test_a_captain_accepts_on_the_phone_and_english_is_one_tap_away(
        live_server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=PHONE, device_scale_factor=2)
    page = context.new_page()
    sign_in(page, live_server, "captain.yanzhong")
    assert page.url.endswith("/v/")
    page.screenshot(path=str(shots / "volunteer-home-phone.png"), full_page=True)
    card = page.locator("article.work-card").filter(has=page.locator("form[data-action=accept]"))
    card.first.locator("form[data-action=accept] button").click()
    page.wait_for_load_state()
    assert "操作成功" in page.locator(".flash").inner_text()
    page.click(".lang-switch button")
    page.wait_for_load_state()
    assert page.locator("h1.page-title").inner_text() == "My work"
    page.screenshot(path=str(shots / "volunteer-home-phone-en.png"), full_page=True)
    context.close()
