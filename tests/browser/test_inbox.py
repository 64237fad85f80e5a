"""In a real browser: the captain sees the unread badge and the new work in the inbox; a
coordinator sees failed deliveries with their error and a retry button."""

from __future__ import annotations

from pathlib import Path

import redis
from rq import Queue, SimpleWorker
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Case, Team, User
from dispatch.services.cases import lifecycle
from dispatch.services.permissions import Actor
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_walkthrough import sign_in


def test_the_inbox_and_the_failed_list(live_server: str, browser, shots: Path,  # type: ignore[no-untyped-def]
                                       redis_url: str) -> None:
    wish = db.session.scalar(select(Case).where(Case.external_ref == "demo-22"))
    team = db.session.scalar(select(Team).where(Team.code == "syl_wish"))
    coordinator = db.session.scalar(select(User).where(User.username == "coordinator"))
    assert wish is not None and team is not None and coordinator is not None
    lifecycle.assign(wish, Actor.of(coordinator), team=team)
    db.session.commit()  # queues the captain's notification
    queue = Queue("default", connection=redis.Redis.from_url(redis_url))
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    db.session.remove()

    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN")
    page = phone.new_page()
    sign_in(page, live_server, "captain")
    page.wait_for_url("**/v/")
    badge = page.locator("[data-testid=unread]")
    assert badge.count() == 1 and int(badge.inner_text()) >= 1
    page.click(".inbox-link")
    page.wait_for_url("**/inbox/")
    assert page.locator(".inbox li.unread").count() >= 1
    page.screenshot(path=str(shots / "inbox-phone.png"), full_page=True)
    page.click("text=全部标为已读")
    page.wait_for_load_state()
    assert page.locator("[data-testid=unread]").count() == 0
    phone.close()

    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = desk.new_page()
    sign_in(page, live_server, "coordinator")
    page.goto(f"{live_server}/desk/notifications")
    assert page.locator("h1").inner_text() == "通知"
    page.screenshot(path=str(shots / "notifications-desktop.png"), full_page=True)
    desk.close()
