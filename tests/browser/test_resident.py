"""In a real browser at phone size: a resident reports with a photo and later gives
feedback; and user text carrying script never runs on any page that shows it."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Case, CaseStatus, User
from dispatch.services.cases import lifecycle
from dispatch.services.permissions import Actor
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_walkthrough import sign_in

EVIL = "<img src=x onerror=alert(1)> <script>alert(2)</script> `${alert(3)}`"


def photo_file(tmp_path: Path) -> Path:
    path = tmp_path / "IMG_2031.jpg"
    image = Image.new("RGB", (1200, 900), (90, 120, 160))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def file_report(page, base: str, description: str, name: str, photo: Path | None,  # type: ignore[no-untyped-def]
                shots: Path | None = None) -> str:
    page.goto(f"{base}/report")
    page.locator("label.category").filter(has_text="设施安全隐患").click()
    page.locator("#report-place .folium-map").click(position={"x": 180, "y": 150})
    assert page.locator("#pin-state").inner_text() == "已标注位置。"
    if shots:
        page.screenshot(path=str(shots / "report-step1-phone.png"), full_page=True)
    page.click("button[name=next]")
    page.wait_for_url("**/report/details**")
    page.fill("#description", description)
    page.fill("#name", name)
    page.fill("#phone", "13812345678")
    if photo:
        page.set_input_files("#photos", str(photo))
    if shots:
        page.screenshot(path=str(shots / "report-step2-phone.png"), full_page=True)
    page.click("#report-details button[type=submit]")
    page.wait_for_url("**/c/*?filed=1&k=*")
    return page.locator("[data-testid=tracking-code]").inner_text()


def test_a_resident_reports_with_a_photo_and_gives_feedback_later(
        live_server: str, browser, shots: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    code = file_report(page, live_server, "天鹤村小区7栋旁的车棚顶棚被风掀开一角，铁皮晃得厉害。",
                       "王阿姨", photo_file(tmp_path), shots)
    assert page.locator(".qr svg").count() == 1
    assert page.locator(".photos img").count() == 1
    page.screenshot(path=str(shots / "report-filed-phone.png"), full_page=True)

    case = db.session.scalar(select(Case).where(Case.tracking_code == code))
    assert case is not None and case.status == CaseStatus.REGISTERED and len(case.photos) == 1
    coordinator = db.session.scalar(select(User).where(User.username == "coordinator"))
    desk = Actor.of(coordinator)  # the coordinator records every step here
    lifecycle.receive(case, desk)
    lifecycle.assign(case, desk, volunteer=db.session.scalar(
        select(User).where(User.username == "volunteer")))
    for step in ("accept", "arrive"):
        getattr(lifecycle, step)(case, desk)
    lifecycle.finish(case, desk, note="已加固车棚顶棚")
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    lifecycle.check_work(case, Actor.of(admin))  # a second person checks the work
    lifecycle.reply(case, desk, "车棚顶棚已加固，感谢您的反映。")
    db.session.commit()

    page.goto(f"{live_server}/my-reports")
    page.wait_for_selector("#my-reports li")
    assert code in page.locator("#my-reports").inner_text()
    page.goto(f"{live_server}/c/{code}")
    page.screenshot(path=str(shots / "feedback-form-phone.png"), full_page=True)
    page.locator("label.choice").filter(has_text="满意").first.click()
    page.locator("label.rating").filter(has_text="4").click()
    page.click(".feedback-form button[type=submit]")
    page.wait_for_url("**thanks=1*")
    db.session.expire_all()
    assert case.status == CaseStatus.FEEDBACK
    assert (case.feedback_satisfied, case.feedback_rating) == (True, 4)
    context.close()

    wide = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = wide.new_page()
    page.goto(f"{live_server}/report")
    page.screenshot(path=str(shots / "report-step1-desktop.png"))
    page.goto(f"{live_server}/c/{code}")
    page.screenshot(path=str(shots / "public-case-desktop.png"), full_page=True)
    sign_in(page, live_server, "coordinator")
    page.goto(f"{live_server}/desk/cases/{case.id}")
    assert page.locator(".desk-photos img").count() == 1
    page.screenshot(path=str(shots / "case-with-photo-desktop.png"), full_page=True)
    wide.close()


def test_script_in_user_text_never_runs(live_server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    dialogs: list[str] = []
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    code = file_report(page, live_server, EVIL, EVIL, photo=None)
    page.goto(f"{live_server}/my-reports")
    page.wait_for_selector("#my-reports li")
    page.goto(f"{live_server}/c/{code}")
    page.locator(".leaflet-marker-pane .awesome-marker").first.click()  # opens the popup
    page.wait_for_timeout(300)
    case_id = db.session.scalar(select(Case.id).where(Case.tracking_code == code))
    sign_in(page, live_server, "coordinator")
    page.goto(f"{live_server}/desk/cases")
    page.goto(f"{live_server}/desk/cases/{case_id}")
    page.locator(".leaflet-marker-pane .awesome-marker").first.click()
    page.locator(".leaflet-marker-pane .awesome-marker").first.hover()
    page.wait_for_timeout(300)
    assert EVIL.split(" ")[0] in page.locator(".leaflet-popup-content").inner_text()
    context.close()
    assert dialogs == []
