"""In a real browser: a volunteer applies on a phone, a coordinator approves at the desk
and passes on the one-time link, the volunteer sets a password, signs in and claims a
micro-wish."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Case, CaseStatus
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_walkthrough import sign_in


def test_a_volunteer_applies_is_approved_signs_in_and_claims_a_wish(
        live_server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    wish = db.session.scalar(select(Case).where(Case.external_ref == "demo-21"))
    assert wish is not None and wish.status == CaseStatus.RECEIVED
    wish_id = wish.id
    db.session.remove()

    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN")
    page = phone.new_page()
    page.goto(f"{live_server}/join")
    page.fill("#name", "刘小敏")
    page.fill("#phone", "13600009876")
    page.fill("#base_place", "天鹤村小区")
    for skill in ("repair", "elder_care"):  # WeUI hides the box itself: tap its row
        page.locator("label.weui-check__label",
                     has=page.locator(f"input[value={skill}]")).click()
    page.select_option("#team", index=1)
    page.screenshot(path=str(shots / "volunteer-join-phone.png"), full_page=True)
    page.click("#join-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "谢谢您" in page.locator("[data-testid=join-sent]").inner_text()

    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    coordinator = desk.new_page()
    sign_in(coordinator, live_server, "coordinator")
    coordinator.goto(f"{live_server}/desk/people")
    row = coordinator.locator("[data-testid=applications] tr", has_text="刘小敏")
    coordinator.screenshot(path=str(shots / "desk-people-desktop.png"), full_page=True)
    row.locator("button.btn-success").click()
    coordinator.wait_for_load_state("networkidle")
    link = coordinator.locator("[data-testid=one-time-link]").input_value()
    assert "/password/" in link
    desk.close()

    page.goto(link.replace("http://127.0.0.1:5000", live_server))
    page.fill("#password", "桂花树下的青石板凳子")
    page.fill("#confirm", "桂花树下的青石板凳子")
    page.screenshot(path=str(shots / "volunteer-set-password-phone.png"))
    page.click("form button[type=submit].weui-btn")
    page.wait_for_load_state("networkidle")
    assert "/login" in page.url
    page.fill("#username", "13600009876")
    page.fill("#password", "桂花树下的青石板凳子")
    page.click("button[type=submit].weui-btn")
    page.wait_for_url("**/v/")
    page.locator(f"article.claimable[data-case='{wish_id}'] button").click()
    page.wait_for_load_state()
    assert "操作成功" in page.locator(".flash").inner_text()
    db.session.remove()
    claimed = db.session.get(Case, wish_id)
    assert claimed is not None and claimed.status == CaseStatus.HANDLING
    assert claimed.assigned_volunteer is not None
    assert claimed.assigned_volunteer.username == "13600009876"
    phone.close()
