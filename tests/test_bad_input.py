"""Inputs that used to give a 500: each one now gets a 4xx with a message in the user's
language, or is ignored where it is only a filter. One example per cause; the property
test (``test_property_routes.py``) looks for more."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import Case, CaseKind
from dispatch.services.cases import claims, lifecycle
from dispatch.services.permissions import Actor
from tests.conftest import WebClient
from tests.factories import World, gen_case
from tests.test_reports import SPOT, details_form

HUGE = ["2147483648", "99999999999", "99999999999999999999", "²", "١٢", "-1", "0"]


def case_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Case)) or 0


# --- 5. A form error on the volunteer page shows every card with every form

def test_a_decline_without_reason_shows_all_cards_with_all_their_forms(
        signed_in, world: World) -> None:
    second = gen_case(world.category, world.studio, title="路灯不亮")
    for case in (world.case, second):
        lifecycle.receive(case, world.desk())
        lifecycle.assign(case, world.desk(), team=world.team)
    db.session.commit()
    captain = signed_in("captain")
    response = captain.post(f"/v/cases/{world.case.id}/actions/decline",
                            {"decline-version": str(world.case.version), "decline-note": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "此项为必填项。" in page
    for case in (world.case, second):
        for action in ("accept", "decline"):
            assert f"/v/cases/{case.id}/actions/{action}" in page


def test_a_too_long_release_reason_keeps_what_was_typed(signed_in, world: World) -> None:
    wish = gen_case(world.category, world.studio, kind=CaseKind.WISH, title="帮老人换灯泡")
    lifecycle.receive(wish, world.desk())
    claims.claim(wish, Actor.of(world.volunteer))
    db.session.commit()
    typed = "家里有事" * 501
    response = signed_in("volunteer").post(
        f"/v/cases/{wish.id}/actions/release",
        {"release-version": str(wish.version), "release-note": typed})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert typed in page and f"/v/cases/{wish.id}/actions/release" in page


# --- 6. NUL and other control characters

def test_a_nul_in_a_path_segment_is_not_found(web: WebClient, world: World) -> None:
    assert web.get("/c/%00").status_code == 404
    assert web.get("/c/AB%00CD").status_code == 404


def test_a_nul_in_a_query_argument_is_a_bad_request(web: WebClient, world: World) -> None:
    response = web.get("/api/places?q=a%00b")
    assert response.status_code == 400
    response = web.get("/track?code=%00")
    assert response.status_code in (302, 400)
    response = web.get("/report?q=%01x")
    assert response.status_code == 400
    assert "控制字符" in response.get_data(as_text=True)


def test_a_nul_in_a_report_description_is_refused_and_nothing_is_filed(
        web: WebClient, world: World) -> None:
    before = case_count()
    response = web.post("/report/details",
                        details_form(web, world, description="车棚\x00松动"))
    assert response.status_code == 400
    assert "控制字符" in response.get_data(as_text=True)
    assert case_count() == before


def test_tabs_and_line_breaks_in_a_description_are_kept(web: WebClient, world: World) -> None:
    response = web.post("/report/details",
                        details_form(web, world, description="车棚\t松动\r\n很危险"))
    assert response.status_code == 302


def test_a_nul_in_a_desk_search_is_a_bad_request(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    assert desk.get("/desk/cases?q=%00").status_code == 400
    assert desk.get("/desk/board?q=a%00").status_code == 400


# --- 7. Integers: ids out of range, odd digits, huge pages and versions

@pytest.mark.parametrize("raw", HUGE)
def test_an_id_out_of_range_or_not_ascii_digits_is_not_found(signed_in, world: World,
                                                              raw: str) -> None:
    desk = signed_in("coordinator")
    assert desk.get(f"/desk/cases/{raw}").status_code == 404
    assert desk.get(f"/desk/teams/{raw}").status_code == 404
    assert desk.post(f"/desk/cases/{raw}/actions/receive").status_code == 404


@pytest.mark.parametrize("raw", HUGE[:4])
def test_a_form_version_out_of_range_is_refused_not_a_crash(signed_in, world: World,
                                                            raw: str) -> None:
    desk = signed_in("coordinator")
    response = desk.post(f"/desk/cases/{world.case.id}/actions/receive",
                         {"receive-version": raw})
    assert response.status_code in (409, 422)
    response = desk.post(f"/desk/cases/{world.case.id}/escalate",
                         {"escalate-version": raw, "escalate-note": "请组长看看"})
    assert response.status_code in (409, 422)
    response = desk.post(f"/desk/cases/{world.case.id}/moderate",
                         {"moderate-version": raw, "moderate-field": "title"})
    assert response.status_code in (409, 422)


@pytest.mark.parametrize("raw", ["user:99999999999", "user:99999999999999999999",
                                 "user:²", "team:2147483648", "team:-1"])
def test_an_assignee_key_out_of_range_is_a_form_error(signed_in, world: World,
                                                      raw: str) -> None:
    lifecycle.receive(world.case, world.desk())
    db.session.commit()
    response = signed_in("coordinator").post(
        f"/desk/cases/{world.case.id}/actions/assign",
        {"assign-version": str(world.case.version), "assign-assignee": raw})
    assert response.status_code == 422


@pytest.mark.parametrize("raw", ["99999999999999999999", "²", "-5", "0", "abc"])
def test_a_huge_or_odd_page_number_is_not_a_crash(signed_in, web: WebClient, world: World,
                                                  raw: str) -> None:
    desk = signed_in("coordinator")
    assert desk.get(f"/desk/cases?page={raw}").status_code == 200
    assert desk.get(f"/desk/board?page={raw}").status_code == 200
    assert web.get(f"/wall?page={raw}").status_code == 200


@pytest.mark.parametrize("raw", ["99999999999999999999", "²", "2147483648"])
def test_odd_integers_in_other_forms_and_arguments(signed_in, world: World, raw: str) -> None:
    desk = signed_in("coordinator")
    assert desk.get(f"/desk/rota?studio={raw}").status_code == 200
    assert desk.post(f"/desk/teams/{world.team.id}/members/remove",
                     {"user_id": raw}).status_code == 400
    captain = signed_in("captain")
    assert captain.post(f"/v/cases/{world.case.id}/share",
                        {f"share{world.case.id}-member": raw}).status_code == 422


# --- 8. Whitespace-only filter values mean "all"

@pytest.mark.parametrize("name", ["status", "kind", "category", "region", "studio"])
def test_a_whitespace_only_filter_value_means_all(signed_in, world: World, name: str) -> None:
    desk = signed_in("coordinator")
    for path in ("/desk/board", "/desk/board/cases.geojson", "/desk/board/heat.json",
                 "/desk/cases"):
        response = desk.get(f"{path}?{name}=%20")
        assert response.status_code == 200, (path, response.status_code)
    page = desk.get(f"/desk/cases?{name}=%20%09").get_data(as_text=True)
    assert world.case.title in page


def test_a_whitespace_only_studio_on_the_monthly_report_means_all(signed_in,
                                                                  world: World) -> None:
    desk = signed_in("coordinator")
    assert desk.get("/desk/reports/monthly?studio=%20").status_code == 200
    assert desk.get("/desk/reports/monthly?studio=%20&month=%20").status_code == 200
    assert desk.get("/desk/reports/monthly?studio=²").status_code in (200, 422)


# --- 9. Coordinates: NaN, infinities, out of range

@pytest.mark.parametrize("lat,lon", [("nan", "0"), ("0", "inf"), ("-inf", "nan"),
                                     ("1e999", "112"), ("91", "112"), ("27", "181")])
def test_odd_coordinates_are_a_form_error_or_ignored(web: WebClient, signed_in,
                                                     world: World, lat: str, lon: str) -> None:
    code = world.category.code
    response = web.get(f"/report?kind=hazard&category={code}&lat={lat}&lon={lon}&next=1")
    assert response.status_code == 200  # the form again, with its error
    response = web.get(f"/report?kind=hazard&category={code}&lat={lat}&lon={lon}")
    assert response.status_code == 200
    response = web.get(f"/report/details?kind=hazard&category={code}&lat={lat}&lon={lon}")
    assert response.status_code == 400
    before = case_count()
    response = web.post("/report/details", details_form(web, world, lat=lat, lon=lon))
    assert response.status_code in (400, 422)
    assert case_count() == before
    assert signed_in("volunteer").get(f"/v/?lat={lat}&lon={lon}").status_code == 200


def test_a_check_in_with_nan_coordinates_is_a_form_error(signed_in, world: World) -> None:
    lifecycle.receive(world.case, world.desk())
    lifecycle.assign(world.case, world.desk(), team=world.team)
    lifecycle.accept(world.case, Actor.of(world.captain))
    db.session.commit()
    response = signed_in("captain").post(
        f"/v/cases/{world.case.id}/actions/arrive",
        {"arrive-version": str(world.case.version), "arrive-latitude": "nan",
         "arrive-longitude": "inf"})
    assert response.status_code == 422


def test_good_coordinates_still_reach_step_two(web: WebClient, world: World) -> None:
    response = web.get(f"/report?kind=hazard&category={world.category.code}"
                       f"&lat={SPOT[0]}&lon={SPOT[1]}&crs=wgs84&next=1")
    assert response.status_code == 302


# --- 10. CR/LF in a redirect target

@pytest.mark.parametrize("target", ["/desk/\r\nSet-Cookie: x=1", "/v/\nLocation: //evil",
                                    "/%0d%0aX: 1", "/\x00"])
def test_a_line_break_in_next_on_language_never_reaches_the_header(web: WebClient,
                                                                    world: World,
                                                                    target: str) -> None:
    response = web.post("/language", {"lang": "en", "next": target})
    assert response.status_code in (302, 400)
    location = response.headers.get("Location", "")
    assert "\r" not in location and "\n" not in location and "Set-Cookie" not in location
    assert "x=1" not in response.headers.get("Set-Cookie", "")
    if response.status_code == 302 and "%0d" not in target:
        assert location == "/"


@pytest.mark.parametrize("target", ["/desk/\r\nSet-Cookie: x=1", "/v/\nLocation: //evil"])
def test_a_line_break_in_next_on_login_never_reaches_the_header(web: WebClient,
                                                                 world: World,
                                                                 target: str) -> None:
    response = web.post("/login", {"username": world.coordinator.username,
                                   "password": "correct horse battery",
                                   "next": target, "csrf_token": web.csrf()})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "\r" not in location and "\n" not in location and location == "/desk/board"
    page = web.get("/login?next=%2Fdesk%2F%0d%0aSet-Cookie:%20x=1")
    assert page.status_code in (302, 400)
