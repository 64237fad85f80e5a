"""In chromium: the API's interactive page (Swagger UI from static/vendor) renders the
OpenAPI document under the CSP and can try an operation with the session; the token page
makes a token, shows it once, and revokes it."""

from __future__ import annotations

from pathlib import Path

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_csp import WATCH_CSP, visit
from tests.browser.test_walkthrough import sign_in


def test_the_api_page_shows_every_operation_under_the_csp(
        live_server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    desk.add_init_script(WATCH_CSP)
    page = desk.new_page()
    sign_in(page, live_server, "coordinator")
    page.click("nav a[href='/api/v1/docs']")  # linked from the desk's menu
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/cases/{case_id}/actions/{action}" in [p.strip() for p in paths]
    page.screenshot(path=str(shots / "desk-api-docs-desktop.png"))
    page.close()
    page = desk.new_page()
    problems = visit(page, f"{live_server}/api/v1/docs", has_map=False)
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    assert problems == []
    # "Try it out" on GET /teams, with the session: the answer is a 200 list.
    page.locator(".opblock-get", has_text="/api/v1/teams").first.click()
    page.click(".opblock.is-open .try-out__btn")
    page.click(".opblock.is-open .execute")
    status = page.locator(".opblock.is-open .live-responses-table tbody .response-col_status")
    status.first.wait_for()
    assert status.first.inner_text().strip() == "200"
    desk.close()


def test_the_token_page_makes_a_token_shown_once(
        live_server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    phone = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = phone.new_page()
    sign_in(page, live_server, "volunteer")
    page.goto(f"{live_server}/tokens/")
    page.fill("input[name=name]", "我的脚本")
    page.click("form[action='/tokens/'] button[type=submit]")
    token = page.locator("[data-testid=new-token]").inner_text()
    assert token.startswith("dsp_")
    page.screenshot(path=str(shots / "api-tokens-phone.png"), full_page=True)
    page.goto(f"{live_server}/tokens/")
    assert token not in page.content()
    assert page.locator("[data-testid=token]").count() == 1
    page.click("[data-testid=token] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=token]").count() == 0
    phone.close()
