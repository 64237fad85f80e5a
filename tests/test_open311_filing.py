"""Open311 GeoReport v2, write side: POST requests with an API key files a case through
the same service as /report; every bad input is refused in the specification's format
with nothing written; keys are stored hashed, revocable and rate-limited."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import ApiClient, Case, CaseEvent, CaseKind, Landmark, Notification
from dispatch.models.places import LandmarkKind
from dispatch.services.open_data import api_keys
from tests import open311_spec as spec
from tests.conftest import WebClient
from tests.factories import World

V2 = "/open311/v2"
BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                  b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
                  b'<service_request><description>&lol3;</description></service_request>')
XXE = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b'<service_request><description>&x;</description></service_request>')


@pytest.fixture
def key(world: World) -> str:
    issued = api_keys.issue("FixMyStreet 岳塘")
    db.session.commit()
    return issued.key


def fields(world: World, key: str | None, **overrides: Any) -> dict[str, str]:
    data = {"service_code": world.category.code, "lat": "27.8655", "long": "112.9468",
            "description": "融通路二号人行道护栏断了", "first_name": "王", "last_name": "秀英",
            "phone": "13912345678", "email": "wang@example.com"}
    if key is not None:
        data["api_key"] = key
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post(web: WebClient, fmt: str, data: Any, **kwargs: Any) -> Any:
    """A client's POST: no session, no CSRF token; a dict is sent form-encoded."""
    with web.app.app_context():
        return web.client.post(f"{V2}/requests.{fmt}", data=data, **kwargs)


def case_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Case)) or 0


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_post_files_a_case_as_the_report_form_does(
        web: WebClient, world: World, key: str, fmt: str) -> None:
    response = post(web, fmt, fields(world, key))
    assert response.status_code == 200, response.get_data(as_text=True)
    (answer,) = spec.read(response, fmt)
    assert set(answer) == spec.POST_RESPONSE
    case = db.session.scalar(select(Case).where(
        Case.tracking_code == answer["service_request_id"]))
    assert case is not None and case.kind == CaseKind.HAZARD
    assert case.submission_token == answer["token"]
    assert case.reporter_name == "王 秀英" and case.reporter_phone == "+8613912345678"
    assert case.studio_id == world.studio.id
    (event,) = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))
    assert (event.action, event.actor_role) == ("register", "resident")
    # The studio hears of it exactly as of a report from the form.
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.case_id == case.id))
    client = db.session.scalar(select(ApiClient))
    assert client is not None and client.last_used_at is not None
    assert answer["token"].startswith(f"o311-{client.id}-")


def test_attributes_choose_the_kind_and_title(web: WebClient, world: World, key: str) -> None:
    response = post(web, "json", fields(world, key, **{"attribute[kind]": "wish",
                                                       "attribute[title]": "想要一个轮椅"}))
    assert response.status_code == 200
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case is not None and case.kind == CaseKind.WISH and case.title == "想要一个轮椅"


def test_an_address_string_alone_is_found_among_the_projects_places(
        web: WebClient, world: World, key: str) -> None:
    db.session.add(Landmark(code="tianhe", kind=LandmarkKind.ESTATE, name_zh="天鹤村小区",
                            region=world.region, name_en="Tianhecun estate",
                            latitude=27.866, longitude=112.947))
    db.session.commit()
    response = post(web, "json", fields(world, key, lat=None, long=None,
                                        address_string="天鹤村"))
    assert response.status_code == 200
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case is not None and (case.latitude, case.address) == (27.866, "天鹤村")


def test_a_multipart_post_is_read_like_a_form_and_its_files_ignored(
        web: WebClient, world: World, key: str) -> None:
    data: dict[str, Any] = {**fields(world, key),
                            "media": (io.BytesIO(b"not fetched, not stored"), "a.jpg")}
    response = post(web, "json", data, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case is not None and case.photos == []


def test_a_flat_xml_body_is_read_too(web: WebClient, world: World, key: str) -> None:
    body = ("<service_request>" + "".join(f"<{k}>{v}</{k}>" for k, v in
                                          fields(world, key).items())
            + "<attribute><kind>wish</kind></attribute></service_request>").encode()
    response = post(web, "xml", body, content_type="text/xml")
    assert response.status_code == 200, response.get_data(as_text=True)
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case is not None and case.kind == CaseKind.WISH


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("which", ["missing", "wrong", "revoked"])
def test_no_valid_api_key_is_a_403_in_the_specifications_format(
        web: WebClient, world: World, key: str, fmt: str, which: str) -> None:
    given = {"missing": None, "wrong": key[:-2] + "xx", "revoked": key}[which]
    if which == "revoked":
        api_keys.revoke(db.session.scalar(select(ApiClient.id)) or 0)
        db.session.commit()
    before = case_count()
    response = post(web, fmt, fields(world, given))
    assert response.status_code == 403
    (error,) = spec.read(response, fmt)
    assert set(error) == spec.ERROR and int(error["code"]) == 403
    assert case_count() == before


BAD_FIELDS: list[tuple[dict[str, Any], int, str | None]] = [
    ({"service_code": "no_such_service"}, 404, None),
    ({"service_code": None}, 400, "service_code"),
    ({"lat": "39.9042", "long": "116.4074"}, 400, "location"),  # Beijing: outside the area
    ({"lat": "north", "long": "112.9"}, 400, "lat"),
    ({"lat": "NaN", "long": "112.9"}, 400, "lat"),
    ({"long": None}, 400, "lat"),
    ({"lat": None, "long": None}, 400, "lat"),
    ({"lat": None, "long": None, "address_string": "火星基地"}, 400, "address_string"),
    ({"description": ""}, 400, "description"),
    ({"description": "x" * 5000}, 400, "description"),
    ({"phone": "12"}, 400, "phone"),
    ({"attribute[kind]": "inspection"}, 400, "attribute[kind]"),
    ({"first_name": "王\x00"}, 400, None),  # the site's own check, before the view
]


def test_bad_fields_are_refused_with_nothing_written(
        web: WebClient, world: World, key: str) -> None:
    for overrides, status, field in BAD_FIELDS:
        response = post(web, "json", fields(world, key, **overrides))
        assert response.status_code == status, (overrides, response.get_data(as_text=True))
        (error,) = spec.read(response, "json")
        assert error["code"] == status
        if field:
            assert error["description"].startswith(field), (overrides, error)
    assert case_count() == 1  # the world's own case only


@pytest.mark.parametrize("body", [XXE, BILLION_LAUGHS, b"<service_request><unclosed>"])
def test_xml_with_entities_or_broken_is_refused(
        web: WebClient, world: World, key: str, body: bytes) -> None:
    before = case_count()
    response = post(web, "xml", body, content_type="application/xml")
    assert response.status_code == 400
    (error,) = spec.read(response, "xml")
    assert error["description"].startswith("body")
    assert "root:" not in response.get_data(as_text=True)
    assert case_count() == before


def test_a_huge_body_is_a_413_and_a_json_body_a_415(
        web: WebClient, world: World, key: str) -> None:
    huge = "description=" + "x" * (10 * 1024 * 1024)
    response = post(web, "json", huge, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert spec.read(response, "json")[0]["code"] == 413
    response = post(web, "xml", b'{"service_code": "x"}', content_type="application/json")
    assert response.status_code == 415
    assert spec.read(response, "xml")[0]["code"] == "415"
    assert case_count() == 1


def test_each_key_is_rate_limited(web: WebClient, world: World, key: str) -> None:
    web.app.config["OPEN311_KEY_LIMITS"] = "2 per minute"
    other = api_keys.issue("Another app").key
    db.session.commit()
    assert [post(web, "json", fields(world, key)).status_code for _ in range(3)] == \
        [200, 200, 429]
    assert post(web, "json", fields(world, other)).status_code == 200  # its own budget
    assert case_count() == 4


def test_a_key_is_kept_only_as_its_hash(world: World) -> None:
    issued = api_keys.issue("  Mark-a-Spot \n 演示 ")
    db.session.commit()
    row = db.session.get(ApiClient, issued.client.id)
    assert row is not None and row.name == "Mark-a-Spot 演示"
    assert issued.key not in (row.key_hash, row.key_prefix)
    assert row.key_hash == api_keys.hash_key(issued.key) and len(issued.key) > 40
    assert api_keys.authenticate(issued.key) == row
    assert api_keys.revoke(row.id) is True
    assert api_keys.revoke(row.id) is False  # once: the conditional UPDATE decides
    assert api_keys.authenticate(issued.key) is None
