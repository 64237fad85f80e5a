"""In a real browser at desktop size: a coordinator puts a reception day on the rota,
registers a walk-in during it and receives and assigns it in one step, answers a second
matter (a phone call) on the spot, and the monthly report shows both by channel."""

from __future__ import annotations

from pathlib import Path

from dispatch.models import utcnow
from dispatch.services.clock import local
from tests.browser.conftest import DESKTOP
from tests.browser.test_walkthrough import sign_in


def _register(page) -> None:  # type: ignore[no-untyped-def]
    """Submit the intake form; when look-alikes nearby are shown first, file it as new."""
    page.click("#intake-form button[name=register]:not(.visually-hidden)")
    page.wait_for_load_state("networkidle")
    if "/desk/intake" in page.url:
        assert page.locator("[data-testid=lookalikes]").count() == 1
        page.click("#intake-form button[name=register]:not(.visually-hidden)")
        page.wait_for_load_state("networkidle")


def test_a_reception_day_walk_in_and_an_answer_on_the_spot_reach_the_monthly_report(
        live_server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live_server, "coordinator")

    page.goto(f"{live_server}/desk/reception")
    page.fill("#day", local(utcnow()).date().isoformat())
    page.fill("#starts", "00:00")
    page.fill("#ends", "23:59")
    page.select_option("#representatives", label="谭晓岚 · 工作室协调员")
    page.fill("#topic", "老旧小区改造接待日")
    page.click("form[action*='/desk/reception'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/desk/reception/" in page.url

    page.click("text=＋ 登记诉求")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=intake-session]").count() == 1
    page.fill("#reporter_name", "李大爷")
    page.fill("#reporter_phone", "13700001111")
    page.select_option("#category", index=1)
    page.fill("#place", "天鹤村")
    page.locator("#place-matches button", has_text="天鹤村小区").first.click()
    page.fill("#description", "3栋楼道灯坏了一个星期，晚上老人上下楼看不见。")
    page.check("input[name=then][value=assign]")
    assert page.locator("#answer").is_hidden()
    page.select_option("#assignee", index=1)
    page.screenshot(path=str(shots / "desk-intake-desktop.png"), full_page=True)
    _register(page)
    assert "/desk/reception/" in page.url

    page.click("text=＋ 登记诉求")
    page.wait_for_load_state("networkidle")
    page.check("input[name=channel][value=phone]")
    page.fill("#reporter_name", "张阿姨")
    page.select_option("#category", index=2)
    page.fill("#place", "新塘村")
    page.locator("#place-matches button", has_text="新塘村小区").first.click()
    page.fill("#description", "想问社区卫生服务站周六开不开门。")
    page.check("input[name=then][value=answer]")
    page.fill("#answer", "社区卫生服务站周六上午八点到十二点开放。")
    _register(page)

    rows = page.locator("[data-testid=session-visits] tbody tr")
    assert rows.count() == 2
    assert page.locator("tr[data-outcome=case]").inner_text().count("处理中") == 1
    assert "当场答复" in page.locator("tr[data-outcome=answered]").inner_text()
    assert "137****1111" in rows.first.inner_text()
    page.screenshot(path=str(shots / "desk-reception-session-desktop.png"), full_page=True)

    page.goto(f"{live_server}/desk/reports/monthly")
    assert page.locator("[data-testid=reception-sessions]").inner_text() == "1"
    assert page.locator("[data-testid=reception-received]").inner_text() == "2"
    assert page.locator("[data-testid=reception-answered]").inner_text() == "1"
    by_channel = page.locator("[data-testid=by-channel]")
    assert by_channel.locator("tr[data-key=walk_in]").count() == 1
    assert by_channel.locator("tr[data-key=phone]").count() == 1
    by_channel.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "desk-monthly-by-channel-desktop.png"), full_page=True)
    context.close()
