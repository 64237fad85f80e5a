"""In chromium: the phone that filed a report keeps its feedback key, so the plain link of
the reply's text message still opens the feedback form there (even after the session
cookie is gone); another phone with the same link sees no form."""

from __future__ import annotations

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Case, User
from dispatch.services.cases import lifecycle
from dispatch.services.permissions import Actor
from tests.browser.conftest import PHONE
from tests.browser.test_resident import file_report


def reply_to(code: str) -> None:
    case = db.session.scalar(select(Case).where(Case.tracking_code == code))
    assert case is not None
    coordinator = db.session.scalar(select(User).where(User.username == "coordinator"))
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    volunteer = db.session.scalar(select(User).where(User.username == "volunteer"))
    desk = Actor.of(coordinator)
    lifecycle.receive(case, desk)
    lifecycle.assign(case, desk, volunteer=volunteer)
    lifecycle.accept(case, desk)
    lifecycle.arrive(case, desk)
    lifecycle.finish(case, desk, note="已修好")
    lifecycle.check_work(case, Actor.of(admin))
    lifecycle.reply(case, desk, "已修好，谢谢。")
    db.session.commit()
    db.session.remove()


def test_the_text_message_link_opens_the_feedback_form_only_on_the_filing_phone(
        live_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    phone = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = phone.new_page()
    code = file_report(page, live_server, "楼道灯坏了，晚上看不见台阶。", "李叔", None)
    assert page.locator("[data-testid=private-link]").count() == 1
    reply_to(code)
    phone.clear_cookies()  # the browser was closed: the session cookie is gone

    page.goto(f"{live_server}/c/{code}")  # the link in the text message has no key
    page.wait_for_url("**k=*")
    page.wait_for_selector(".feedback-form")
    phone.close()

    stranger = browser.new_context(viewport=PHONE, locale="zh-CN")
    other = stranger.new_page()
    other.goto(f"{live_server}/c/{code}")
    other.wait_for_load_state("networkidle")
    assert other.locator(".feedback-form").count() == 0 and "k=" not in other.url
    stranger.close()
