"""What axe does not check, in chromium on the demo site: primary actions at least 44 × 44
px, body text on the phone pages at least 16 px, a focus ring you can see, and the phone
pages' larger-text setting, which stays across visits and works without JavaScript."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.conftest import PHONE
from tests.browser.demo_site import LANGUAGES, PAGES, VIEWPORTS, Visitors, site, visitors

__all__ = ["site", "visitors"]  # the module-scoped fixtures this module's tests use

MIN_TARGET = 44
MIN_TEXT = 16

# (who, path, CSS selector of the primary actions there): each one at least 44 × 44 px.
TARGETS: list[tuple[str | None, str, str]] = [
    (None, "/", ".topbar a, .topbar button, .weui-btn, .text-size button"),
    (None, "/report", "label.choice span, .weui-btn, .form-actions button"),
    (None, "/report/details?kind=hazard&category={hazard_category}&lat=24.479800&lon=118.089400",
     ".change-link, .form-actions button, .check-row"),
    (None, "/c/{replied_code}?k=a11y-feedback-key", ".feedback-form button, .weui-btn"),
    ("volunteer", "/v/", ".inbox-link, .subnav a, .work-card .weui-btn"),
    ("volunteer", "/v/me", ".skills label, .check-row, .form-actions button"),
]

# Text on the phone pages that may be smaller: the unread count on the inbox icon and the
# map's own controls (Leaflet's attribution, scale and zoom buttons).
SMALL_TEXT_ALLOWED = ".weui-badge, .leaflet-container"

SMALL_TEXT = """allowed => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!node.textContent.trim() || !element || element.closest(allowed)) continue;
    if (!element.checkVisibility || !element.checkVisibility()) continue;
    const size = parseFloat(getComputedStyle(element).fontSize);
    const tag = `<${element.tagName.toLowerCase()} class="${element.className}">`;
    if (size < 16) small.push(`${size}px: ${node.textContent.trim().slice(0, 40)} (${tag})`);
  }
  return small;
}"""


def _box(locator: Any) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None
    return box


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("row", TARGETS, ids=lambda row: f"{row[0] or 'resident'}:{row[1]}")
def test_primary_actions_are_at_least_44_px(row: tuple[str | None, str, str], language: str,
                                            site: tuple[str, dict[str, Any]],
                                            visitors: Visitors) -> None:
    who, path, selector = row
    base, places = site
    page = visitors.visit(who, language, base + path.format(**places))
    targets = page.locator(selector)
    assert targets.count() > 0, f"nothing on {path} matches {selector}"
    small = []
    for index in range(targets.count()):
        target = targets.nth(index)
        if not target.is_visible():
            continue
        box = _box(target)
        if box["width"] < MIN_TARGET - 0.5 or box["height"] < MIN_TARGET - 0.5:
            small.append(f"{target.evaluate('e => e.outerHTML')[:120]}: "
                         f"{box['width']:.0f} × {box['height']:.0f} px")
    assert not small, f"[{language}] {path}: targets under 44 × 44 px:\n" + "\n".join(small)


PHONE_PAGES = [(who, path) for who, path in PAGES if VIEWPORTS[who] == PHONE]


@pytest.mark.parametrize("row", PHONE_PAGES, ids=lambda row: f"{row[0] or 'resident'}:{row[1]}")
def test_body_text_on_phone_pages_is_at_least_16_px(row: tuple[str | None, str],
                                                     site: tuple[str, dict[str, Any]],
                                                     visitors: Visitors) -> None:
    who, path = row
    base, places = site
    page = visitors.visit(who, "zh", base + path.format(**places))
    small = page.evaluate(SMALL_TEXT, SMALL_TEXT_ALLOWED)
    assert not small, f"{path}: text under {MIN_TEXT} px:\n" + "\n".join(small[:15])


@pytest.mark.parametrize("who", [None, "coordinator"])
def test_the_keyboard_focus_is_visible(who: str | None, site: tuple[str, dict[str, Any]],
                                       visitors: Visitors) -> None:
    base, _places = site
    page = visitors.page(who, "zh")
    page.goto(base + ("/desk/cases" if who else "/"))
    for _ in range(3):
        page.keyboard.press("Tab")
        ring = page.evaluate("""() => { const e = document.activeElement;
            const s = getComputedStyle(e);
            return [e.tagName, s.outlineStyle, parseFloat(s.outlineWidth)]; }""")
        assert ring[0] != "BODY", "Tab did not reach a control"
        assert ring[1] != "none" and ring[2] >= 2, f"no visible focus ring on {ring[0]}: {ring}"


def _font_size(page: Any) -> float:
    return float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_the_larger_text_setting_stays_across_visits(javascript: bool, browser: Any,
                                                     site: tuple[str, dict[str, Any]]) -> None:
    base, _places = site
    context = browser.new_context(viewport=PHONE, locale="zh-CN",
                                  java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{base}/report")
    normal = _font_size(page)
    assert normal >= MIN_TEXT
    button = page.locator("[data-testid=text-size]")
    assert button.get_attribute("aria-pressed") == "false"
    button.click()
    page.wait_for_load_state()
    assert page.url.endswith("/report"), "the setting did not lead back to the page"
    assert _font_size(page) >= normal * 1.2
    assert page.locator("[data-testid=text-size]").get_attribute("aria-pressed") == "true"
    cookie = next(c for c in context.cookies() if c["name"] == "text_size")
    assert cookie["value"] == "large" and cookie["httpOnly"]
    assert cookie["expires"] > time.time() + 300 * 24 * 3600  # kept, not a session cookie
    kept = context.storage_state()
    context.close()

    # Another day: the browser was closed (the session cookie is gone), the setting is not.
    later = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=javascript,
                                storage_state={"cookies": [c for c in kept["cookies"]
                                                           if c["name"] == "text_size"],
                                               "origins": []})
    page = later.new_page()
    page.goto(f"{base}/")
    assert _font_size(page) >= normal * 1.2
    page.locator("[data-testid=text-size]").click()  # and back to normal
    page.wait_for_load_state()
    assert _font_size(page) == normal
    assert not [c for c in later.cookies() if c["name"] == "text_size"]
    later.close()


def test_the_phone_bar_stays_above_a_scrolled_map(site: tuple[str, dict[str, Any]],
                                                   visitors: Visitors) -> None:
    """Scrolled so that the map passes under the sticky bar, the bar is what a tap there
    reaches, not Leaflet's zoom buttons (z-index 1000) drawn through it."""
    base, places = site
    path = "/c/{handling_code}"
    page = visitors.visit(None, "zh", base + path.format(**places))
    bar = _box(page.locator(".topbar").first)
    zoom = page.locator(".leaflet-control-zoom").first
    assert zoom.count() == 1, f"no map on {path}"
    zoom.scroll_into_view_if_needed()
    top = page.evaluate("() => document.querySelector('.leaflet-control-zoom')"
                        ".getBoundingClientRect().top")
    page.evaluate(f"window.scrollBy(0, {top} - {bar['height']} / 2)")
    at = page.evaluate(f"() => document.elementFromPoint(30, {bar['height']} / 2)"
                       ".closest('.topbar') !== null")
    assert at, f"{path}: the map's controls cover the bar when scrolled under it"
