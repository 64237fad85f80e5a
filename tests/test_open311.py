"""Open311 GeoReport v2, read side: discovery, services, requests and updates in JSON and
XML with the specification's field names; its filters, windows and errors; and nothing
private (no phone, no name, no internal note, no hidden photo, a wish only blurred)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dispatch.extensions import db
from dispatch.models import CaseKind, CasePhoto, PhotoStage, utcnow
from dispatch.services.cases import lifecycle
from tests import open311_spec as spec
from tests.conftest import WebClient
from tests.factories import World, gen_case, take_step, walk

V2 = "/open311/v2"
FORMATS = ("json", "xml")


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_lists_the_v2_endpoint_and_its_formats(web: WebClient, fmt: str) -> None:
    response = web.get(f"/open311/discovery.{fmt}")
    assert response.status_code == 200
    body = spec.read(response, fmt)
    assert set(body) == spec.DISCOVERY
    (endpoint,) = body["endpoints"]
    assert set(endpoint) == spec.ENDPOINT
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_active_categories_with_their_definitions(
        web: WebClient, world: World, fmt: str) -> None:
    (service,) = spec.read(web.get(f"{V2}/services.{fmt}"), fmt)
    assert set(service) == spec.SERVICE
    assert service["service_code"] == world.category.code
    assert service["type"] == "realtime"
    definition = spec.read(web.get(f"{V2}/services/{world.category.code}.{fmt}"), fmt)
    assert set(definition) == spec.DEFINITION
    for attribute in definition["attributes"]:
        assert set(attribute) == spec.ATTRIBUTE
        assert attribute["datatype"] in spec.DATATYPES
        assert all(set(value) == spec.ATTRIBUTE_VALUE for value in attribute["values"])
    kinds = {a["code"]: a for a in definition["attributes"]}["kind"]
    assert [v["key"] for v in kinds["values"]] == ["hazard", "wish"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_has_the_specifications_fields_and_only_them(
        web: WebClient, world: World, fmt: str) -> None:
    response = web.get(f"{V2}/requests/{world.case.tracking_code}.{fmt}")
    assert response.status_code == 200
    if fmt == "xml":
        assert spec.xml_root(response) == "service_requests"
    (record,) = spec.read(response, fmt)
    assert set(record) == spec.REQUEST
    assert record["service_request_id"] == world.case.tracking_code
    assert record["status"] == "open"
    assert record["service_code"] == world.category.code
    assert record["agency_responsible"] == world.studio.name_zh
    assert float(record["lat"]) == world.case.latitude
    requested = datetime.fromisoformat(record["requested_datetime"])
    assert requested == world.case.created_at.replace(microsecond=0)
    assert datetime.fromisoformat(record["expected_datetime"]) > requested


def test_a_micro_wish_is_served_only_at_its_blurred_point_and_without_its_address(
        web: WebClient, world: World) -> None:
    wish = gen_case(world.category, world.studio, kind=CaseKind.WISH, latitude=27.865537,
                    longitude=112.946812, address="天鹤村3栋2单元501")
    db.session.commit()
    for path in (f"{V2}/requests/{wish.tracking_code}.json", f"{V2}/requests.json",
                 f"{V2}/requests.xml?extensions=true"):
        body = web.get(path).get_data(as_text=True)
        assert "27.865537" not in body and "112.946812" not in body
        assert "501" not in body
    (record,) = spec.read(web.get(f"{V2}/requests/{wish.tracking_code}.json"), "json")
    assert (record["lat"], record["long"]) == (27.866, 112.947)
    assert record["address"] is None


def test_no_phone_name_internal_note_or_hidden_photo_goes_out(
        web: WebClient, world: World) -> None:
    case = gen_case(world.category, world.studio, reporter_name="王秀英",
                    reporter_phone="13912345678")
    lifecycle.record_event(case, world.desk(), "add_note", note="内部：住户情绪激动",
                           internal=True)
    db.session.add_all([
        CasePhoto(case_id=case.id, key="hiddenphotokey0001", stage=PhotoStage.REPORT,
                  width=1, height=1, size_bytes=1, hidden=True),
        CasePhoto(case_id=case.id, key="publicphotokey0002", stage=PhotoStage.REPORT,
                  width=1, height=1, size_bytes=1)])
    db.session.commit()
    for fmt in FORMATS:
        for path in (f"{V2}/requests/{case.tracking_code}.{fmt}?extensions=true",
                     f"{V2}/requests.{fmt}?extensions=true",
                     f"{V2}/servicerequestupdates.{fmt}"):
            body = web.get(path).get_data(as_text=True)
            for secret in ("王秀英", "13912345678", "5678", "住户情绪激动", "hiddenphotokey0001"):
                assert secret not in body, (path, secret)
    (record,) = spec.read(web.get(f"{V2}/requests/{case.tracking_code}.json"), "json")
    assert record["media_url"].endswith("/media/publicphotokey0002.jpg")


def test_requests_filter_by_id_service_status_and_window(web: WebClient, world: World) -> None:
    old = gen_case(world.category, world.studio, at=utcnow() - timedelta(days=120))
    closed = walk(gen_case(world.category, world.studio), world, until="reply")
    db.session.commit()

    def ids(query: str) -> set[str]:
        return {r["service_request_id"]
                for r in spec.read(web.get(f"{V2}/requests.json?{query}"), "json")}

    assert ids("") == {world.case.tracking_code, closed.tracking_code}  # the last 90 days
    assert ids("status=open") == {world.case.tracking_code}
    assert ids("status=closed") == {closed.tracking_code}
    assert ids(f"service_code={world.category.code}&status=open,closed") == \
        {world.case.tracking_code, closed.tracking_code}
    since = (utcnow() - timedelta(days=150)).isoformat()
    until = (utcnow() - timedelta(days=100)).isoformat()
    assert ids(f"start_date={since}&end_date={until}") == {old.tracking_code}
    assert ids(f"service_request_id={old.tracking_code},{closed.tracking_code}") == \
        {old.tracking_code, closed.tracking_code}
    assert ids("page_size=1&page=2") | ids("page_size=1") == \
        {world.case.tracking_code, closed.tracking_code}
    assert ids("page=3&page_size=1") == set()


def test_a_closed_request_carries_the_public_reply_and_its_ledger_steps(
        web: WebClient, world: World) -> None:
    walk(world.case, world, until="reply")
    lifecycle.record_event(world.case, world.desk(), "add_note", note="内部备注",
                           internal=True)
    db.session.commit()
    (record,) = spec.read(web.get(
        f"{V2}/requests/{world.case.tracking_code}.json?extensions=true"), "json")
    assert set(record) == spec.REQUEST | spec.EXTENSIONS
    assert record["status"] == "closed"
    assert record["status_notes"] == "已为您处理完毕。"
    assert record["expected_datetime"] is None
    steps = record["extended_attributes"]["steps"]
    assert [s["action"] for s in steps] == ["register", "receive", "assign", "accept",
                                            "arrive", "finish", "check_work", "reply"]


def test_a_duplicate_names_its_parent_request(web: WebClient, world: World) -> None:
    take_step(world.case, "receive", world)
    original = gen_case(world.category, world.studio)
    take_step(world.case, "mark_duplicate", world, original=original)
    db.session.commit()
    (record,) = spec.read(web.get(
        f"{V2}/requests/{world.case.tracking_code}.xml?extensions=true"), "xml")
    assert record["extended_attributes"]["parent_service_request_id"] == \
        original.tracking_code


@pytest.mark.parametrize("fmt", FORMATS)
def test_updates_follow_the_public_ledger_in_a_window(
        web: WebClient, world: World, fmt: str) -> None:
    walk(world.case, world, until="reply")
    db.session.commit()
    updates = spec.read(web.get(f"{V2}/servicerequestupdates.{fmt}"), fmt)
    assert all(set(u) == spec.UPDATE for u in updates)
    assert [u["status"] for u in updates][-1] == "fixed"
    assert updates[-1]["description"].endswith("已为您处理完毕。")
    assert {u["service_request_id"] for u in updates} == {world.case.tracking_code}
    later = (utcnow() + timedelta(minutes=5)).isoformat().replace("+", "%2B")
    assert spec.read(web.get(f"{V2}/servicerequestupdates.{fmt}?start_date={later}"),
                     fmt) == []


BAD_QUERIES = [
    ("start_date=yesterday", "start_date"),
    ("end_date=2026-13-45T00:00:00Z", "end_date"),
    ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "end_date"),
    ("start_date=2026-06-01T00:00:00Z&end_date=2026-05-01T00:00:00Z", "start_date"),
    ("page_size=1000000", "page_size"),
    ("page_size=0", "page_size"),
    ("page=-1", "page"),
    ("status=pending", "status"),
]


def test_bad_query_parameters_are_a_400_in_the_specifications_format(
        web: WebClient, world: World) -> None:
    for query, field in BAD_QUERIES:
        for fmt in FORMATS:
            response = web.get(f"{V2}/requests.{fmt}?{query}")
            assert response.status_code == 400, query
            (error,) = spec.read(response, fmt)
            assert set(error) == spec.ERROR
            assert int(error["code"]) == 400
            assert error["description"].startswith(field), (query, error)


UNKNOWN = [
    "services/no_such_service", "requests/NOSUCHCASE", "tokens/o311-1-nothing",
    "tokens/not-ours", "no/such/path"]


def test_unknown_things_are_a_404_in_the_specifications_format(
        web: WebClient, world: World) -> None:
    for path in UNKNOWN:
        for fmt in FORMATS:
            response = web.get(f"{V2}/{path}.{fmt}")
            assert response.status_code == 404, path
            (error,) = spec.read(response, fmt)
            assert int(error["code"]) == 404
    response = web.get(f"{V2}/requests.json?service_code=no_such_service")
    assert response.status_code == 404


def test_another_jurisdiction_is_a_404_when_one_is_set(web: WebClient, world: World) -> None:
    web.app.config["OPEN311_JURISDICTION"] = "yuetang.example"
    assert web.get(f"{V2}/services.json?jurisdiction_id=yuetang.example").status_code == 200
    assert web.get(f"{V2}/services.json").status_code == 200
    response = web.get(f"{V2}/services.xml?jurisdiction_id=elsewhere")
    assert response.status_code == 404
    assert spec.xml_root(response) == "errors"



def test_reads_are_rate_limited_per_address_in_the_specifications_format(
        web: WebClient, world: World) -> None:
    web.app.config["OPEN311_READ_LIMITS"] = "2 per minute"
    codes = [web.get(f"{V2}/services.xml").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    response = web.get(f"{V2}/services.json")
    assert spec.read(response, "json")[0]["code"] == 429
