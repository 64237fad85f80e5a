"""Conformance: an Open311 client files a request, follows its token, reads it back, and
sees it closed once the coordinator has replied and archived, in JSON and in XML, with
every field name checked against the specification's lists."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Case, CaseStatus
from dispatch.services.open_data import api_keys
from tests import open311_spec as spec
from tests.conftest import WebClient
from tests.factories import World, take_step

V2 = "/open311/v2"


def check_request(record: dict[str, Any], extended: bool = False) -> None:
    assert set(record) == spec.REQUEST | (spec.EXTENSIONS if extended else set())


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_file_follow_and_see_it_closed(web: WebClient, signed_in, world: World,
                                       fmt: str) -> None:
    key = api_keys.issue("FixMyStreet").key
    db.session.commit()
    client = web.app.test_client()

    def get(path: str) -> Any:
        with web.app.app_context():
            response = client.get(f"{V2}/{path}")
        assert response.status_code == 200, (path, response.get_data(as_text=True))
        return spec.read(response, fmt)

    # The client learns the services and what a request of one may say.
    services = get(f"services.{fmt}")
    assert all(set(s) == spec.SERVICE for s in services)
    code = services[0]["service_code"]
    assert set(get(f"services/{code}.{fmt}")) == spec.DEFINITION

    with web.app.app_context():
        filed = client.post(f"{V2}/requests.{fmt}", data={
            "api_key": key, "service_code": code, "lat": "27.8655", "long": "112.9468",
            "description": "天鹤村车棚顶棚松动", "first_name": "王", "phone": "13912345678"})
    assert filed.status_code == 200
    (answer,) = spec.read(filed, fmt)
    assert set(answer) == spec.POST_RESPONSE

    (followed,) = get(f"tokens/{answer['token']}.{fmt}")
    assert set(followed) == spec.TOKEN_RESPONSE
    request_id = followed["service_request_id"]
    assert request_id == answer["service_request_id"]

    (record,) = get(f"requests/{request_id}.{fmt}")
    check_request(record)
    assert record["status"] == "open" and record["status_notes"] is None

    # The coordinator takes it through the desk: the work, then the reply and the archive
    # through the case page's own forms.
    case = db.session.scalar(select(Case).where(Case.tracking_code == request_id))
    assert case is not None
    for action in ("receive", "assign", "accept", "arrive", "finish", "check_work"):
        take_step(case, action, world)
    db.session.commit()
    desk: WebClient = signed_in("coordinator")
    replied = desk.post(f"/desk/cases/{case.id}/actions/reply", {
        "reply-version": str(case.version), "reply-text": "车棚顶棚已加固，谢谢您的反映。"})
    assert replied.status_code == 302, replied.get_data(as_text=True)
    (record,) = get(f"requests/{request_id}.{fmt}")
    check_request(record)
    assert record["status"] == "closed"
    assert record["status_notes"] == "车棚顶棚已加固，谢谢您的反映。"

    db.session.expire_all()
    take_step(db.session.get(Case, case.id), "give_feedback", world)  # taken down by phone
    db.session.commit()
    version = db.session.get(Case, case.id).version
    archived = desk.post(f"/desk/cases/{case.id}/actions/archive",
                         {"archive-version": str(version)})
    assert archived.status_code == 302, archived.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == CaseStatus.ARCHIVED

    (record,) = get(f"requests/{request_id}.{fmt}?extensions=true")
    check_request(record, extended=True)
    assert record["status"] == "closed"
    steps = record["extended_attributes"]["steps"]
    assert [s["action"] for s in steps][-3:] == ["reply", "give_feedback", "archive"]
    (listed,) = [r for r in get(f"requests.{fmt}?status=closed")
                 if r["service_request_id"] == request_id]
    check_request(listed)

    # A FixMyStreet-style client following the updates sees each public step.
    updates = [u for u in get(f"servicerequestupdates.{fmt}")
               if u["service_request_id"] == request_id]
    assert all(set(u) == spec.UPDATE for u in updates)
    assert [u["status"] for u in updates][-1] == "closed"
    assert "王" not in str(record) and "13912345678" not in str(updates)
