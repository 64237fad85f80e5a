"""In a real browser at desktop size: a coordinator ticks three registered cases on the case
list and receives them in one step; the summary lists all three, each case has its own
ledger line, and the summary page passes axe (WCAG 2.2 AA). Then the board remembers a
filter until it is cleared."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import CaseEvent, Category
from tests.browser.conftest import DESKTOP
from tests.browser.test_accessibility import axe_violations, describe
from tests.browser.test_walkthrough import sign_in
from tests.factories import gen_case


def test_three_cases_ticked_and_received_together(live_server: str, browser,  # type: ignore[no-untyped-def]
                                                  shots: Path) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    # The demo has two registered cases: a resident reports a third.
    gen_case(db.session.scalar(select(Category).order_by(Category.id).limit(1)),
             title="楼道堆放杂物")
    db.session.commit()
    sign_in(page, live_server, "coordinator")
    page.goto(f"{live_server}/desk/cases")
    rows = page.locator("tbody tr", has=page.locator(".badge", has_text="已登记"))
    assert rows.count() == 3
    picked = [rows.nth(i).get_attribute("data-case") for i in range(3)]
    for case_id in picked:
        page.check(f"#pick-{case_id}")
    assert page.locator("[data-bulk-count]").inner_text() == "已勾选 3 件"
    page.screenshot(path=str(shots / "desk-case-list-bulk-desktop.png"))
    page.click("button[name=action][value=receive]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=bulk-counts]").inner_text().startswith(
        "3 件已完成")
    done = {page.locator("#bulk-done li").nth(i).get_attribute("data-case")
            for i in range(page.locator("#bulk-done li").count())}
    assert done == set(picked)
    violations = axe_violations(page)
    assert not violations, describe("bulk summary", violations)
    page.screenshot(path=str(shots / "desk-bulk-summary-desktop.png"))
    for case_id in picked:
        count = db.session.scalar(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.case_id == int(case_id or 0), CaseEvent.action == "receive"))
        assert count == 1
    db.session.remove()

    # Receiving the same cases again from the page still showing them: each is refused.
    page.go_back()
    page.wait_for_load_state("networkidle")
    for case_id in picked:
        page.check(f"#pick-{case_id}")
    page.click("button[name=action][value=receive]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#bulk-refused li").count() == len(picked)
    assert "已由" in page.locator("#bulk-refused").inner_text()

    # The board keeps the filter it was left with, until it is cleared.
    page.goto(f"{live_server}/desk/board")
    page.check("#overdue")
    page.click(".board-filter button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server}/desk/board")
    page.wait_for_load_state("networkidle")
    assert "overdue=y" in page.url and page.is_checked("#overdue")
    page.click("[data-testid=clear-filters]")
    page.wait_for_load_state("networkidle")
    assert not page.is_checked("#overdue")
    context.close()
