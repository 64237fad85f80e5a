"""axe-core (vendored, static/vendor/axe-core-4.14.1) in chromium over every page the
journeys reach, in Chinese and in English: residents and volunteers at phone size, the desk
at desktop size, with the demo data (cards and cases in several states). No violation of
impact "serious" or "critical" under the WCAG 2.2 AA rules is allowed.

One server and one database for the module, one browser context per (who, language),
reused (tests/browser/demo_site.py). A page another change adds is one more row in
demo_site.PAGES."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.demo_site import FORM_ERRORS, LANGUAGES, PAGES, Visitors, site, visitors

__all__ = ["site", "visitors"]  # the module-scoped fixtures this module's tests use

AXE_URL = "/static/vendor/axe-core-4.14.1/axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = ("serious", "critical")


# The board's case markers meet WCAG 2.2's target size by its "equivalent" exception (2.5.8):
# every case on the map is also a full-size link in the list beside it. Markers are placed by
# where residents stand, so two may touch at some zoom; the rest of the page is checked in full.
TARGET_SIZE_EXEMPT = {"/desk/board": ".leaflet-marker-pane"}


def axe_violations(page: Any, path: str = "") -> list[dict[str, Any]]:
    """The serious and critical WCAG 2.2 AA violations axe finds on the page as it is."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    exempt = TARGET_SIZE_EXEMPT.get(path.split("?")[0])
    found = page.evaluate(
        "([tags, exempt]) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations'], rules: exempt ? {'target-size': {enabled: false}} : {}})"
        ".then(all => !exempt ? all : axe.run({exclude: [[exempt]]},"
        " {runOnly: {type: 'rule', values: ['target-size']}, resultTypes: ['violations']})"
        ".then(size => ({violations: all.violations.concat(size.violations)})))",
        [WCAG_TAGS, exempt])
    return [v for v in found["violations"] if v["impact"] in BLOCKING]


def describe(path: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{path}: {sum(len(v['nodes']) for v in violations)} serious/critical "
             "axe violations"]
    for violation in violations:
        lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']} "
                     f"({len(violation['nodes'])}x)")
        for node in violation["nodes"][:6]:
            summary = node.get("failureSummary", "").replace("\n", " ")[:220]
            related = {" ".join(map(str, r["target"])) for check in node.get("any", [])
                       for r in check.get("relatedNodes", [])}
            lines.append(f"      {' '.join(map(str, node['target']))[:120]} -- {summary}"
                         + (f" (beside: {', '.join(sorted(related))[:200]})" if related else ""))
    return "\n".join(lines)


def _ids(row: tuple[Any, ...]) -> str:
    return f"{row[0] or 'resident'}:{row[1]}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("row", PAGES, ids=_ids)
def test_page_has_no_serious_axe_violation(row: tuple[str | None, str], language: str,
                                           site: tuple[str, dict[str, Any]],
                                           visitors: Visitors) -> None:
    who, path = row
    base, places = site
    page = visitors.visit(who, language, base + path.format(**places))
    violations = axe_violations(page, path)
    assert not violations, describe(f"[{language}] {who or 'resident'} {path}", violations)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("row", FORM_ERRORS, ids=_ids)
def test_form_errors_have_no_serious_axe_violation(row: tuple[str | None, str, str],
                                                   language: str,
                                                   site: tuple[str, dict[str, Any]],
                                                   visitors: Visitors) -> None:
    who, path, submit = row
    base, places = site
    page = visitors.visit(who, language, base + path.format(**places))
    page.click(submit)
    page.wait_for_load_state()
    assert page.locator(".field-error, .invalid-feedback").count() > 0, "no error was shown"
    violations = axe_violations(page)
    assert not violations, describe(f"[{language}] {who or 'resident'} {path} (sent empty)",
                                    violations)
