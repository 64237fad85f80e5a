"""Privacy on the anonymous pages: a wish is shown only to about 100 m everywhere public,
feedback needs the key only the resident's link carries, and "me too" cannot be stuffed."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Case, CaseKind, CaseStatus
from tests.conftest import WebClient
from tests.factories import World, gen_case, take_step, walk
from tests.test_reports import details_form

EXACT = (27.865537, 112.946812)  # a wish at someone's door
BLURRED = (27.866, 112.947)


def scripts(page: str) -> str:
    return "\n".join(re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S))


def file_by_form(web: WebClient, world: World, **overrides: Any) -> tuple[Case, str]:
    """File a hazard the way the phone does; return the case and the key of its link."""
    response = web.post("/report/details", details_form(web, world, **overrides))
    assert response.status_code == 302
    location = response.headers["Location"]
    key = parse_qs(urlsplit(location).query)["k"][0]
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case is not None
    return case, key


def replied(case: Case, world: World) -> None:
    for action in ("receive", "assign", "accept", "arrive", "finish", "check_work", "reply"):
        take_step(case, action, world)
    db.session.commit()


def feedback(key: str | None, version: int) -> dict[str, str]:
    data = {"version": str(version), "satisfied": "yes", "rating": "5", "comment": "好"}
    if key is not None:
        data["key"] = key
    return data


def test_the_link_after_filing_carries_a_128_bit_key_stored_only_hashed(
        web: WebClient, world: World) -> None:
    case, key = file_by_form(web, world)
    assert len(key) == 22  # 16 bytes, URL-safe base64
    assert case.feedback_key_hash and len(case.feedback_key_hash) == 64
    assert key not in case.feedback_key_hash
    page = web.get(f"/c/{case.tracking_code}?filed=1&k={key}").get_data(as_text=True)
    assert f"k={key}" in page  # the private link is shown to keep
    other, other_key = file_by_form(web, world)
    assert other_key != key


def test_without_the_key_there_is_no_feedback_form_and_a_post_is_refused(
        app: Flask, web: WebClient, world: World) -> None:
    case, key = file_by_form(web, world)
    replied(case, world)
    stranger = WebClient(app)  # another browser, who found the code on a public page
    page = stranger.get(f"/c/{case.tracking_code}").get_data(as_text=True)
    assert "feedback-form" not in page and key not in page
    wrong = stranger.get(f"/c/{case.tracking_code}?k={secrets.token_urlsafe(16)}")
    assert "feedback-form" not in wrong.get_data(as_text=True)
    for attempt in (None, "", secrets.token_urlsafe(16), key[:-1]):
        response = stranger.post(f"/c/{case.tracking_code}/feedback",
                                 feedback(attempt, case.version))
        assert response.status_code == 404
    db.session.expire_all()
    assert case.status == CaseStatus.REPLIED and case.feedback_rating is None


def test_with_the_key_the_resident_gives_feedback_from_any_browser(
        app: Flask, web: WebClient, world: World) -> None:
    case, key = file_by_form(web, world)
    replied(case, world)
    other_phone = WebClient(app)
    page = other_phone.get(f"/c/{case.tracking_code}?k={key}").get_data(as_text=True)
    assert "feedback-form" in page
    response = other_phone.post(f"/c/{case.tracking_code}/feedback",
                                feedback(key, case.version))
    assert response.status_code == 302
    db.session.expire_all()
    assert case.status == CaseStatus.FEEDBACK and case.feedback_satisfied is True


def test_the_browser_that_filed_sees_the_form_from_the_plain_text_message_link(
        web: WebClient, world: World) -> None:
    case, _key = file_by_form(web, world)
    replied(case, world)
    page = web.get(f"/c/{case.tracking_code}").get_data(as_text=True)  # no k: the SMS link
    assert "feedback-form" in page


def test_a_double_tapped_report_lands_on_one_case_with_the_same_key(
        web: WebClient, world: World) -> None:
    data = details_form(web, world)
    first = web.post("/report/details", dict(data)).headers["Location"]
    second = web.post("/report/details", dict(data)).headers["Location"]
    assert first == second and "k=" in first


def test_a_case_without_a_key_has_no_public_feedback_and_the_desk_records_it(
        web: WebClient, world: World) -> None:
    walk(world.case, world, "reply")  # filed by the factory: like the cases from before
    db.session.commit()
    assert world.case.feedback_key_hash is None
    assert "feedback-form" not in web.get(f"/c/{world.case.tracking_code}").get_data(
        as_text=True)
    assert web.post(f"/c/{world.case.tracking_code}/feedback",
                    feedback("", world.case.version)).status_code == 404
    take_step(world.case, "give_feedback", world)  # the coordinator, from a phone call
    db.session.commit()
    assert world.case.status == CaseStatus.FEEDBACK


def support_form(web: WebClient, code: str) -> dict[str, str]:
    page = web.get(f"/c/{code}").get_data(as_text=True)
    token = re.search(r'name="submission_token" type="hidden" value="([^"]+)"', page)
    assert token
    return {"submission_token": token.group(1)}


def test_a_second_me_too_from_the_same_browser_is_not_counted(
        app: Flask, web: WebClient, world: World) -> None:
    code = world.case.tracking_code
    first = support_form(web, code)
    assert web.post(f"/c/{code}/support", first).status_code == 302
    # The page no longer offers the form; a second post (another tab) is not counted.
    assert 'action="/c/' + code + '/support"' not in web.get(f"/c/{code}").get_data(
        as_text=True)
    again = {"submission_token": first["submission_token"][::-1]}
    assert web.post(f"/c/{code}/support", again).status_code == 302
    db.session.expire_all()
    assert world.case.support_count == 1
    neighbour = WebClient(app)
    assert neighbour.post(f"/c/{code}/support", support_form(neighbour, code)).status_code \
        == 302
    db.session.expire_all()
    assert world.case.support_count == 2


def test_the_eleventh_me_too_from_one_address_within_the_hour_gets_429_in_chinese(
        app: Flask, world: World) -> None:
    code = world.case.tracking_code
    statuses = []
    for _n in range(11):  # a fresh browser each time, all from one address
        browser = WebClient(app)
        form = {"submission_token": secrets.token_urlsafe(24),
                "csrf_token": browser.csrf("/")}
        response = browser.post(f"/c/{code}/support", form, token=False)
        statuses.append(response.status_code)
    assert statuses == [302] * 10 + [429]
    # It says when: "请在 2026-12-01 13:05 之后再试"
    assert re.search(r"\d\d:\d\d 之后再试", response.get_data(as_text=True))
    db.session.expire_all()
    assert world.case.support_count == 10


def test_me_too_limit_is_a_setting(app: Flask, world: World) -> None:
    app.config["SUPPORT_LIMITS"] = "1 per hour"
    code = world.case.tracking_code
    statuses = []
    for _n in range(2):
        browser = WebClient(app)
        statuses.append(browser.post(f"/c/{code}/support",
                                     {"submission_token": secrets.token_urlsafe(24)})
                        .status_code)
    assert statuses == [302, 429]


def test_a_wish_being_reported_is_blurred_on_the_details_step(
        web: WebClient, world: World) -> None:
    walk(world.case, world, "archive")  # no look-alike on this map
    db.session.commit()
    page = web.get(f"/report/details?kind=wish&category={world.category.code}"
                   f"&lat={EXACT[0]}&lon={EXACT[1]}").get_data(as_text=True)
    maps = scripts(page)
    assert "L.map" in maps
    assert str(EXACT[0]) not in maps and str(EXACT[1]) not in maps
    assert f"[{BLURRED[0]}, {BLURRED[1]}]" in maps
    assert "L.marker" not in maps  # a circle, no pin at the centre


def test_a_wish_nearby_is_blurred_among_the_lookalikes(web: WebClient, world: World) -> None:
    gen_case(world.category, kind=CaseKind.WISH, title="想要一盏护眼台灯",
             latitude=EXACT[0], longitude=EXACT[1])
    db.session.commit()
    page = web.get(f"/report/details?kind=hazard&category={world.category.code}"
                   f"&lat={BLURRED[0]}&lon={BLURRED[1]}").get_data(as_text=True)
    assert "想要一盏护眼台灯" in page  # offered as a look-alike
    assert str(EXACT[0]) not in page and str(EXACT[1]) not in page
    assert f"[{BLURRED[0]}, {BLURRED[1]}]" in scripts(page)
    # The distance is to the blurred point, not to the door (54 m away).
    assert "距离约 0 米" in page


def test_a_wish_is_blurred_on_its_public_case_page(web: WebClient, world: World) -> None:
    wish = gen_case(world.category, kind=CaseKind.WISH, title="想要一盏护眼台灯",
                    latitude=EXACT[0], longitude=EXACT[1])
    db.session.commit()
    page = web.get(f"/c/{wish.tracking_code}").get_data(as_text=True)
    assert str(EXACT[0]) not in page and str(EXACT[1]) not in page
    assert f"[{BLURRED[0]}, {BLURRED[1]}]" in scripts(page)


def test_a_hazard_keeps_its_exact_place(web: WebClient, world: World) -> None:
    page = web.get(f"/c/{world.case.tracking_code}").get_data(as_text=True)
    assert f"[{world.case.latitude}, {world.case.longitude}]" in scripts(page)
