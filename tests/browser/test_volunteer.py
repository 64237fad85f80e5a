"""In a real browser at phone size: a volunteer claims a micro-wish, checks in and finishes
with a photo; a second volunteer trying to claim the same wish is told it is taken."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent, CaseStatus, PhotoStage
from tests.browser.conftest import PHONE
from tests.browser.test_resident import photo_file
from tests.browser.test_walkthrough import sign_in


def test_a_volunteer_claims_checks_in_and_finishes_while_another_is_told_it_is_taken(
        live_server: str, browser, shots: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wish = db.session.scalar(select(Case).where(Case.external_ref == "demo-21"))
    assert wish is not None and wish.status == CaseStatus.RECEIVED
    wish_id = wish.id
    db.session.remove()

    me = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN",
                             geolocation={"latitude": 27.8642, "longitude": 112.9482},
                             permissions=["geolocation"])
    other = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN")
    page, rival = me.new_page(), other.new_page()
    sign_in(page, live_server, "volunteer")
    sign_in(rival, live_server, "captain")
    page.wait_for_url("**/v/")
    rival.wait_for_url("**/v/")
    rival_card = rival.locator(f"article.claimable[data-case='{wish_id}']")
    assert rival_card.count() == 1  # the rival sees it open, then is slower
    page.screenshot(path=str(shots / "volunteer-nearby-phone.png"), full_page=True)

    page.locator(f"article.claimable[data-case='{wish_id}'] button").click()
    page.wait_for_load_state()
    assert "操作成功" in page.locator(".flash").inner_text()

    rival_card.locator("button").click()
    rival.wait_for_load_state()
    message = rival.locator("[data-testid=error-message]").inner_text()
    assert "已被认领" in message
    rival.screenshot(path=str(shots / "claim-taken-phone.png"))

    card = page.locator(f"article.work-card[data-case='{wish_id}']")
    card.locator("form[action$='/on-the-way'] button").click()
    page.wait_for_load_state()
    card = page.locator(f"article.work-card[data-case='{wish_id}']")
    card.locator("form[data-action=arrive] button").click()
    page.wait_for_load_state()
    card = page.locator(f"article.work-card[data-case='{wish_id}']")
    card.locator("form[data-action=finish] textarea").fill("晾衣架钢丝绳已更换，试过能升降。")
    card.locator("form[data-action=finish] input[type=file]").set_input_files(
        str(photo_file(tmp_path)))
    page.screenshot(path=str(shots / "volunteer-finish-phone.png"), full_page=True)
    card.locator("form[data-action=finish] button[type=submit]").click()
    page.wait_for_load_state()
    me.close()
    other.close()

    db.session.expire_all()
    wish = db.session.get(Case, wish_id)
    assert wish is not None and wish.assignment_status == "done"
    assert wish.checkin_distance_m is not None and wish.checkin_distance_m < 1000
    assert [p.stage for p in wish.photos] == [PhotoStage.AFTER]
    actions = list(db.session.scalars(select(CaseEvent.action)
                                      .where(CaseEvent.case_id == wish_id)
                                      .order_by(CaseEvent.seq)))
    assert actions == ["register", "receive", "claim", "on_the_way", "arrive", "finish"]
