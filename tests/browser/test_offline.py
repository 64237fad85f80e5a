"""Installable and offline-tolerant: the volunteer page comes back from the service
worker's cache when the network drops, and an action taken offline is refused plainly."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent
from tests.browser.conftest import PHONE
from tests.browser.test_walkthrough import sign_in


def test_the_last_loaded_work_is_shown_offline_and_actions_are_refused(
        live_server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live_server, "volunteer")
    page.wait_for_url("**/v/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the service worker, which keeps this copy
    page.wait_for_timeout(500)
    titles = page.locator("article.claimable h2").all_inner_texts()
    assert titles

    context.set_offline(True)
    page.reload()
    assert page.locator("article.claimable h2").all_inner_texts() == titles
    assert page.locator("#offline-banner").is_visible()
    page.screenshot(path=str(shots / "volunteer-offline-phone.png"), full_page=True)

    wish_id = int(page.locator("article.claimable").first.get_attribute("data-case") or 0)
    before = db.session.scalar(select(Case.version).where(Case.id == wish_id))
    page.locator("article.claimable").first.locator("button[type=submit]").click()
    page.wait_for_timeout(300)
    assert "未发送" in page.locator("#offline-banner").inner_text()
    context.set_offline(False)
    context.close()

    db.session.expire_all()
    assert db.session.scalar(select(Case.version).where(Case.id == wish_id)) == before
    assert "claim" not in db.session.scalars(
        select(CaseEvent.action).where(CaseEvent.case_id == wish_id)).all()


def test_the_app_is_installable(live_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    manifest = page.request.get(f"{live_server}/manifest.webmanifest")
    assert manifest.ok and manifest.headers["content-type"].startswith(
        "application/manifest+json")
    data = manifest.json()
    assert data["start_url"] == "/v/" and data["display"] == "standalone"
    for icon in data["icons"]:
        assert page.request.get(f"{live_server}{icon['src']}").ok
    worker = page.request.get(f"{live_server}/sw.js")
    assert worker.ok and "javascript" in worker.headers["content-type"]
    context.close()
