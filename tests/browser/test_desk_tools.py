"""In a real browser: the public duty page and results wall on a phone and a desktop, the
duty rota, and a batch import of inspection findings from upload to imported cases."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import Case, CaseKind, CaseStatus, Outcome
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_walkthrough import sign_in

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "inspection-findings.csv"


def test_residents_see_who_is_on_duty_and_the_results_wall(
        live_server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    resolved = db.session.scalar(select(func.count()).select_from(Case).where(
        Case.outcome == Outcome.RESOLVED))
    db.session.remove()
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{live_server}/duty")
        assert page.locator(".duty-name").count() >= 1  # the demo rota covers every day
        assert "+86" not in page.content()  # names only, never a person's phone
        page.screenshot(path=str(shots / f"public-duty-{name}.png"), full_page=True)
        page.goto(f"{live_server}/wall")
        assert page.locator("#results article.wall-card").count() == min(resolved or 0, 12)
        assert page.locator("#tasks article.task-card").count() >= 1
        page.screenshot(path=str(shots / f"public-wall-{name}.png"), full_page=True)
        context.close()


def test_a_coordinator_imports_a_self_inspection_after_the_preview(
        live_server: str, browser, shots: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lines = SAMPLE.read_text(encoding="utf-8-sig").splitlines()
    broken = tmp_path / "自查问题.csv"
    bad_row = "X-1,坐标写错的一行,纬度不是数字。,道路病害,北纬22度,112.79,,"
    broken.write_text("\n".join([*lines, bad_row]) + "\n", encoding="utf-8-sig")
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live_server, "coord.taishan")
    page.goto(f"{live_server}/desk/rota")
    assert page.locator("form").count() >= 2  # add a shift, remove one
    page.screenshot(path=str(shots / "desk-rota-desktop.png"), full_page=True)

    page.goto(f"{live_server}/desk/import")
    page.set_input_files("input[type=file]", str(broken))
    page.click("form[enctype] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("[data-ok=no]").count() == 1
    assert page.locator("[data-ok=yes]").count() == len(lines) - 1
    page.screenshot(path=str(shots / "desk-import-preview-desktop.png"), full_page=True)
    page.locator("input[type=checkbox][name=skip_bad]").check()
    page.locator("form button[type=submit].btn-primary").last.click()
    page.wait_for_load_state()
    context.close()

    refs = {line.split(",")[0] for line in lines[1:]}
    imported = db.session.scalars(select(Case).where(Case.kind == CaseKind.INSPECTION,
                                                     Case.external_ref.in_(refs))).all()
    assert len(refs) == 25 and {case.external_ref for case in imported} == refs
    # Registered and received by the importing coordinator: on the task list at once.
    assert all(case.status == CaseStatus.RECEIVED and
               [e.action for e in case.events] == ["register", "receive"]
               for case in imported)
