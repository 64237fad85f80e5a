"""In a real browser: an admin issues an Open311 API key on the desk, sees it once, and
revokes it."""

from __future__ import annotations

from pathlib import Path

from tests.browser.conftest import DESKTOP
from tests.browser.test_walkthrough import sign_in


def test_an_admin_issues_and_revokes_an_open311_key(
        live_server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live_server, "admin")
    page.click("nav >> text=API 密钥")
    page.fill("input[name=name]", "FixMyStreet 岳塘")
    page.click("form[action$='/desk/api-clients'] button[type=submit]")
    page.wait_for_load_state()
    key = page.locator("[data-testid=new-key] code").inner_text()
    assert key.startswith("d311_")
    page.screenshot(path=str(shots / "desk-api-keys-desktop.png"), full_page=True)
    answer = page.request.post(f"{live_server}/open311/v2/requests.json", form={
        "api_key": key, "service_code": "facility_hazard", "lat": "27.8655",
        "long": "112.9468", "description": "浏览器测试：车棚顶棚松动"})
    assert answer.status == 200, answer.text()
    page.goto(f"{live_server}/desk/api-clients")
    assert key not in page.content()
    page.click("table.api-clients button:has-text('吊销')")
    page.wait_for_load_state()
    assert page.locator("table.api-clients .badge.text-bg-secondary").count() == 1
    refused = page.request.post(f"{live_server}/open311/v2/requests.json", form={
        "api_key": key, "service_code": "facility_hazard", "lat": "27.8655",
        "long": "112.9468", "description": "吊销之后"})
    assert refused.status == 403
    context.close()
