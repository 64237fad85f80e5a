"""Forms a screen reader can use and the larger-text setting, over HTTP: every visible
field has a label, a field's errors are tied to it (aria-invalid, aria-describedby), and the
text-size setting is a CSRF-checked POST that leaves a year-long cookie."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from tests.conftest import WebClient
from tests.factories import World
from tests.test_reports import SPOT, details_form

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class FieldsAndLabels(HTMLParser):
    """The form fields of a page, and whether each one has a label."""

    def __init__(self) -> None:
        super().__init__()
        self.label_for: set[str] = set()
        self.fields: list[dict[str, str | None]] = []
        self.open_labels = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if attributes.get("for"):
                self.label_for.add(str(attributes["for"]))
        elif tag in ("input", "select", "textarea"):
            if tag == "input" and (attributes.get("type") or "text") in UNLABELLED_TYPES:
                return
            self.fields.append({**attributes, "_tag": tag,
                                "_in_label": "yes" if self.open_labels else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self.open_labels:
            self.open_labels -= 1

    def unlabelled(self) -> list[str]:
        return [f"<{field['_tag']} name={field.get('name')} id={field.get('id')}>"
                for field in self.fields
                if not (field["_in_label"] or field.get("aria-label")
                        or field.get("aria-labelledby")
                        or (field.get("id") and field["id"] in self.label_for))]


def unlabelled_fields(html: str) -> list[str]:
    parser = FieldsAndLabels()
    parser.feed(html)
    return parser.unlabelled()


def test_every_field_on_the_residents_and_volunteers_forms_has_a_label(
        web: WebClient, world: World, signed_in: Any) -> None:
    pages = {path: web.get(path).get_data(as_text=True) for path in (
        "/", "/login", "/report", "/report?kind=hazard&next=1",
        f"/report/details?kind=hazard&category={world.category.code}"
        f"&lat={SPOT[0]}&lon={SPOT[1]}")}
    volunteer = signed_in("member")
    pages["/v/me"] = volunteer.get("/v/me").get_data(as_text=True)
    pages["/inbox/settings"] = volunteer.get("/inbox/settings").get_data(as_text=True)
    for path, html in pages.items():
        assert unlabelled_fields(html) == [], path


def test_a_fields_errors_are_tied_to_it(web: WebClient, world: World) -> None:
    response = web.post("/report/details", details_form(web, world, description=""))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-describedby="description-error"' in html
    assert 'aria-invalid="true"' in html
    assert 'id="description-error"' in html
    # The fields that were fine are not marked.
    assert html.count('aria-invalid="true"') == 1


def test_the_report_places_category_error_is_tied_to_its_group(web: WebClient) -> None:
    html = web.get("/report?kind=hazard&next=1").get_data(as_text=True)
    assert 'role="radiogroup" aria-labelledby="category-title" aria-invalid="true"' \
           ' aria-describedby="category-error"' in html
    assert 'id="category-error"' in html


def test_larger_text_is_kept_in_a_year_long_cookie(web: WebClient) -> None:
    assert 'class="text-large"' not in web.get("/").get_data(as_text=True)
    response = web.post("/text-size", {"size": "large", "next": "/report"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/report")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("text_size=large;") and "Max-Age=31536000" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = web.get("/report").get_data(as_text=True)
    assert '<html lang="zh-CN" class="text-large">' in page
    assert 'aria-pressed="true"' in page

    back = web.post("/text-size", {"size": "normal"})
    assert back.headers["Location"].endswith("/")
    assert 'class="text-large"' not in web.get("/").get_data(as_text=True)


def test_the_text_size_setting_needs_the_csrf_token(web: WebClient) -> None:
    response = web.post("/text-size", {"size": "large"}, token=False)
    assert response.status_code == 400
    assert "text_size" not in response.headers.get("Set-Cookie", "")


def test_an_unknown_text_size_changes_nothing(web: WebClient) -> None:
    response = web.post("/text-size", {"size": "huge", "next": "https://elsewhere.example/"})
    assert response.status_code == 302
    assert not response.headers["Location"].startswith("https://elsewhere")
    assert "text_size" not in response.headers.get("Set-Cookie", "")
