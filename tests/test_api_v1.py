"""/api/v1: tokens, roles and masking, the same steps as the forms (version check, 409),
cursor pages, and bad input answered with a 4xx JSON message and nothing written."""

from __future__ import annotations

import math
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import ApiToken, Case, CaseEvent, CaseKind, User
from dispatch.services.cases import lifecycle
from dispatch.services.responders import tokens
from tests import factories
from tests.conftest import CSRF_PATTERN, WebClient


class Api:
    """JSON calls with a personal token, each in a fresh app context (as in production)."""

    def __init__(self, app: Flask, token: str | None) -> None:
        self.app, self.client = app, app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str) -> Any:
        with self.app.app_context():
            return self.client.get(f"/api/v1{path}", headers=self.headers)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        with self.app.app_context():
            if "data" not in kwargs:
                kwargs["json"] = body
            return self.client.post(f"/api/v1{path}", headers=self.headers, **kwargs)


@pytest.fixture
def api(app: Flask, world: factories.World):  # type: ignore[no-untyped-def]
    def as_user(user: User) -> Api:
        _row, token = tokens.issue(user, "test")
        db.session.commit()
        return Api(app, token)
    return as_user


def _events(case_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(CaseEvent)
                             .where(CaseEvent.case_id == case_id)) or 0


def test_a_token_is_stored_only_as_its_hash_and_stops_working_once_revoked(
        app: Flask, world: factories.World) -> None:
    row, token = tokens.issue(world.coordinator, "spreadsheet")
    db.session.commit()
    assert token.startswith("dsp_") and token not in (row.token_hash, row.prefix)
    assert db.session.scalar(select(ApiToken.token_hash)) == tokens.hash_token(token)
    client = Api(app, token)
    assert client.get("/teams").status_code == 200
    assert tokens.revoke(row.id, owner=world.member) is False  # not theirs
    assert tokens.revoke(row.id, owner=world.coordinator) is True
    db.session.commit()
    refused = client.get("/teams")
    assert refused.status_code == 401 and refused.get_json()["message"]
    assert refused.headers["WWW-Authenticate"] == "Bearer"


def test_a_deactivated_account_s_token_is_refused(app: Flask, world: factories.World) -> None:
    _row, token = tokens.issue(world.coordinator, "tool")
    world.coordinator.active = False
    db.session.commit()
    assert Api(app, token).get("/teams").status_code == 401


def test_no_token_and_no_session_is_401(app: Flask, world: factories.World) -> None:
    assert Api(app, None).get("/cases").status_code == 401
    assert Api(app, "dsp_made-up").get("/cases").status_code == 401


def test_the_desk_lists_cases_a_page_at_a_time_with_a_cursor(
        api: Any, world: factories.World) -> None:
    for _ in range(4):
        factories.gen_case(world.category, world.studio)
    db.session.commit()
    client = api(world.coordinator)
    seen: list[int] = []
    cursor = ""
    while True:
        page = client.get(f"/cases?limit=2{cursor}").get_json()
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 5


def test_the_case_list_filters_by_status(api: Any, world: factories.World) -> None:
    factories.walk(factories.gen_case(world.category, world.studio), world, "receive")
    db.session.commit()
    page = api(world.coordinator).get("/cases?status=received").get_json()
    assert [item["status"] for item in page["items"]] == ["received"]


def test_a_volunteer_may_not_list_cases_nor_read_others_work(
        api: Any, world: factories.World) -> None:
    factories.walk(world.case, world, "assign")  # to the team; the volunteer is outside it
    db.session.commit()
    client = api(world.volunteer)
    assert client.get("/cases").status_code == 403
    assert client.get(f"/cases/{world.case.id}").status_code == 404
    assert client.get(f"/cases/{world.case.id}/responders").status_code == 403
    assert client.post(f"/cases/{world.case.id}/actions/accept",
                       {"version": world.case.version}).status_code == 404


def test_personal_data_is_masked_as_the_pages_mask_it(api: Any, world: factories.World) -> None:
    factories.walk(world.case, world, "assign")
    db.session.commit()
    desk = api(world.coordinator).get(f"/cases/{world.case.id}").get_json()
    assert desk["reporter_phone"] == "+8613812345678"
    member = api(world.member).get(f"/cases/{world.case.id}").get_json()
    assert member["reporter_phone"] == "138****5678"  # on the team, not holding the work


def test_a_claimable_wish_shows_a_volunteer_only_its_blurred_place(
        api: Any, world: factories.World) -> None:
    wish = factories.gen_case(world.category, world.studio, kind=CaseKind.WISH,
                              reporter_name="王阿姨", latitude=27.86543, longitude=112.94687)
    factories.take_step(wish, "receive", world)
    db.session.commit()
    seen = api(world.volunteer).get(f"/cases/{wish.id}").get_json()
    assert seen["location_exact"] is False and seen["reporter_name"] is None
    assert (seen["latitude"], seen["longitude"]) != (27.86543, 112.94687)
    assert seen["reporter_phone"] == "138****5678"


def test_internal_notes_stay_off_a_volunteer_s_ledger(api: Any, world: factories.World) -> None:
    factories.walk(world.case, world, "assign")
    lifecycle.add_note(world.case, world.desk(), "居民情绪激动")
    db.session.commit()
    desk = api(world.coordinator).get(f"/cases/{world.case.id}/events").get_json()
    captain = api(world.captain).get(f"/cases/{world.case.id}/events").get_json()
    assert any(e["internal"] for e in desk) and not any(e["internal"] for e in captain)


def test_the_legal_next_steps_are_those_the_case_page_offers(
        api: Any, world: factories.World) -> None:
    steps = api(world.coordinator).get(f"/cases/{world.case.id}/actions").get_json()
    assert [s["action"] for s in steps] == ["receive"]
    assert steps[0]["fields"] == ["version", "note"]
    assert api(world.captain).get(f"/cases/{world.case.id}/actions").status_code == 404


def test_taking_a_step_writes_one_ledger_event_and_a_stale_version_gets_409(
        api: Any, world: factories.World) -> None:
    client = api(world.coordinator)
    before = _events(world.case.id)
    done = client.post(f"/cases/{world.case.id}/actions/receive", {"version": 1, "note": "好"})
    assert done.status_code == 200 and done.get_json()["status"] == "received"
    assert _events(world.case.id) == before + 1
    stale = client.post(f"/cases/{world.case.id}/actions/receive", {"version": 1})
    assert stale.status_code == 409
    assert stale.get_json()["case"]["version"] == 2 and _events(world.case.id) == before + 1


def test_assigning_through_the_api_uses_the_suggested_responders_key(
        api: Any, world: factories.World) -> None:
    factories.take_step(world.case, "receive", world)
    db.session.commit()
    client = api(world.coordinator)
    keys = [r["key"] for r in client.get(f"/cases/{world.case.id}/responders").get_json()]
    assert f"team:{world.team.id}" in keys
    done = client.post(f"/cases/{world.case.id}/actions/assign",
                       {"version": 2, "assignee": f"team:{world.team.id}"})
    assert done.status_code == 200 and done.get_json()["assignee"] == world.team.name


def test_a_form_rule_is_kept_a_decline_needs_its_reason(api: Any, world: factories.World) -> None:
    factories.walk(world.case, world, "assign")
    db.session.commit()
    refused = api(world.captain).post(f"/cases/{world.case.id}/actions/decline",
                                      {"version": world.case.version})
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["loc"] == ["note"]


def test_a_step_the_role_may_not_take_is_403(api: Any, world: factories.World) -> None:
    factories.walk(world.case, world, "assign")
    db.session.commit()
    refused = api(world.captain).post(f"/cases/{world.case.id}/actions/reassign",
                                      {"version": world.case.version,
                                       "assignee": f"team:{world.team.id}"})
    assert refused.status_code == 403 and refused.get_json()["message"]


def test_filing_a_case_twice_with_one_idempotency_key_files_it_once(
        api: Any, world: factories.World) -> None:
    client = api(world.coordinator)
    body = {"kind": "hazard", "category_id": world.category.id, "description": "井盖缺失",
            "latitude": 27.8655, "longitude": 112.9468, "idempotency_key": "k" * 20}
    first, second = client.post("/cases", body), client.post("/cases", body)
    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] == second.get_json()["id"]
    assert first.get_json()["status"] == "registered"


def test_a_session_caller_must_send_the_csrf_header_to_change_anything(
        signed_in: Any, world: factories.World) -> None:
    web: WebClient = signed_in("coordinator")
    page = web.get("/api/v1/docs")
    assert page.status_code == 200
    assert web.get("/api/v1/teams").status_code == 200  # reading needs no token
    path = f"/api/v1/cases/{world.case.id}/actions/receive"
    with web.app.app_context():
        refused = web.client.post(path, json={"version": 1})
    assert refused.status_code == 400 and refused.is_json
    token = CSRF_PATTERN.search(web.get("/inbox/settings").get_data(as_text=True))
    assert token
    with web.app.app_context():
        done = web.client.post(path, json={"version": 1},
                               headers={"X-CSRFToken": token.group(1)})
    assert done.status_code == 200


@pytest.mark.parametrize(("path", "body"), [
    ("/cases?limit=100000", None),
    ("/cases?limit=-1", None),
    ("/cases?cursor=99999999999999999999", None),
    ("/cases?q=%00", None),
    ("/cases/99999999999", None),
    ("/cases/0/events", None),
])
def test_absurd_reads_are_a_4xx_json_message(api: Any, world: factories.World, path: str,
                                             body: Any) -> None:
    answer = api(world.coordinator).get(path)
    assert 400 <= answer.status_code < 500 and answer.is_json
    assert answer.get_json()["message"]


@pytest.mark.parametrize("body", [
    {"version": math.nan},
    {"version": 2**40},
    {"version": 1, "note": "a\x00b"},
    {"version": 1, "note": "\ud800"},
    {"version": 1, "unknown": 1},
    ["version", 1],
])
def test_absurd_bodies_are_a_4xx_json_message_and_write_nothing(
        api: Any, world: factories.World, body: Any) -> None:
    before = _events(world.case.id)
    answer = api(world.coordinator).post(f"/cases/{world.case.id}/actions/receive", body)
    assert 400 <= answer.status_code < 500 and answer.get_json()["message"]
    assert _events(world.case.id) == before
    assert db.session.get(Case, world.case.id).version == 1


@pytest.mark.parametrize("raw", ["[" * 300_000, '{"version": ' * 50_000, "\xff\xfe", "",
                                 '{"version": Infinity}'])
def test_a_body_that_is_no_json_object_is_a_4xx_json_message(
        api: Any, world: factories.World, raw: str) -> None:
    answer = api(world.coordinator).post(f"/cases/{world.case.id}/actions/receive",
                                         data=raw, content_type="application/json")
    assert 400 <= answer.status_code < 500 and answer.get_json()["message"]
    assert _events(world.case.id) == 1


def test_a_nan_coordinate_files_nothing(api: Any, world: factories.World) -> None:
    body = ('{"kind": "hazard", "category_id": ' + str(world.category.id)
            + ', "description": "x", "latitude": NaN, "longitude": 112.9}')
    answer = api(world.coordinator).post("/cases", data=body, content_type="application/json")
    assert answer.status_code == 422 and answer.get_json()["message"]
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_a_body_of_the_wrong_type_is_415(api: Any, world: factories.World) -> None:
    answer = api(world.coordinator).post(f"/cases/{world.case.id}/actions/receive",
                                         data="version=1", content_type="text/plain")
    assert answer.status_code == 415 and answer.get_json()["message"]


def test_a_ten_megabyte_body_is_413(api: Any, world: factories.World) -> None:
    answer = api(world.coordinator).post(
        f"/cases/{world.case.id}/actions/receive",
        data='{"version": 1, "note": "' + "x" * (10 * 1024 * 1024) + '"}',
        content_type="application/json")
    assert answer.status_code == 413 and answer.get_json()["message"]
    assert _events(world.case.id) == 1


def test_the_openapi_document_is_3_1_and_names_every_operation(
        app: Flask, world: factories.World) -> None:
    document = Api(app, None).get("/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert {"/api/v1/cases", "/api/v1/cases/{case_id}/actions/{action}", "/api/v1/teams",
            "/api/v1/service-points", "/api/v1/claims", "/api/v1/cases/{case_id}/events",
            "/api/v1/cases/{case_id}/responders"} <= set(document["paths"])
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"


def test_the_token_page_shows_a_new_token_once_and_revokes_it(
        signed_in: Any, world: factories.World) -> None:
    web: WebClient = signed_in("captain")
    made = web.post("/tokens/", {"name": "我的脚本"})
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    token = made.get_data(as_text=True).split('data-testid="new-token">')[1].split("<")[0]
    assert token.startswith("dsp_")
    assert token not in web.get("/tokens/").get_data(as_text=True)
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == world.captain.id))
    assert row is not None
    assert web.post(f"/tokens/{row.id}/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is not None


def test_the_cli_makes_and_revokes_a_token(app: Flask, world: factories.World) -> None:
    runner = app.test_cli_runner()
    made = runner.invoke(args=["create-token", world.coordinator.username, "--name", "cron"])
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    assert Api(app, token).get("/teams").status_code == 200
    row_id = db.session.scalar(select(ApiToken.id))
    assert runner.invoke(args=["revoke-token", str(row_id)]).exit_code == 0
    assert Api(app, token).get("/teams").status_code == 401


def test_a_volunteer_claims_a_wish_through_the_api_and_sees_the_claim(
        api: Any, world: factories.World) -> None:
    wish = factories.gen_case(world.category, world.studio, kind=CaseKind.WISH)
    factories.take_step(wish, "receive", world)
    db.session.commit()
    client = api(world.volunteer)
    steps = [s["action"] for s in client.get(f"/cases/{wish.id}/actions").get_json()]
    assert "claim" in steps
    claimed = client.post(f"/cases/{wish.id}/actions/claim", {"version": wish.version})
    assert claimed.status_code == 200, claimed.get_json()
    assert [c["case_id"] for c in client.get("/claims").get_json()] == [wish.id]
    assert api(world.member).get("/claims").get_json() == []  # not theirs
    assert [c["case_id"] for c in api(world.coordinator).get("/claims").get_json()] == [wish.id]


def test_the_api_page_asks_an_anonymous_visitor_to_sign_in(app: Flask) -> None:
    answer = Api(app, None).get("/docs")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_a_token_caller_gets_messages_in_the_language_it_accepts(
        app: Flask, world: factories.World) -> None:
    _row, token = tokens.issue(world.coordinator, "tool")
    db.session.commit()
    client = Api(app, token)
    client.headers["Accept-Language"] = "en-GB,en;q=0.9"
    assert client.get("/cases?limit=0").get_json()["message"].startswith("Please check")
    client.headers["Accept-Language"] = "zh-CN"
    assert client.get("/cases?limit=0").get_json()["message"].startswith("请检查")
