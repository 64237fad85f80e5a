"""The desk's register: a walk-in, a call or a patrol registered for a resident, with the
channel on the case and in its ledger, received and assigned (or answered on the spot) in
the same step, look-alikes shown before filing, and bad input kept in the form."""

from __future__ import annotations

import re

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Case, CaseStatus, IntakeChannel, Outcome
from dispatch.services.desk.export_files import CASE_COLUMNS
from tests.factories import World, gen_case

TOKEN = re.compile(r'name="submission_token" type="hidden" value="([^"]+)"')


def _token(desk) -> str:  # type: ignore[no-untyped-def]
    match = TOKEN.search(desk.get("/desk/intake").get_data(as_text=True))
    assert match
    return match.group(1)


def _fields(world: World, desk, **kw: object) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {"channel": "walk_in", "kind": "hazard", "category": str(world.category.id),
            "reporter_name": "王阿姨", "reporter_phone": "13912345678",
            "lat": "27.8700", "lon": "112.9400", "crs": "wgs84",
            "description": "楼道灯坏了，晚上看不见。", "then": "receive",
            "submission_token": _token(desk), **kw}


def _newest() -> Case:
    db.session.expire_all()
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case is not None
    return case


def test_a_walk_in_is_registered_received_and_assigned_in_one_step(signed_in,
                                                                  world: World) -> None:
    desk = signed_in("coordinator")
    response = desk.post("/desk/intake", _fields(world, desk, then="assign",
                                                 assignee=f"team:{world.team.id}"))
    assert response.status_code == 302, response.get_data(as_text=True)
    case = _newest()
    assert case.channel is IntakeChannel.WALK_IN
    assert case.status is CaseStatus.HANDLING and case.assigned_team_id == world.team.id
    assert [e.action for e in case.events] == ["register", "receive", "assign"]
    assert "来访" in case.events[0].note or "Walk-in" in case.events[0].note
    assert case.feedback_key_hash is None and case.studio_id == world.studio.id
    assert case.reporter_phone == "+8613912345678"


def test_answered_on_the_spot_is_archived_with_the_answer(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    response = desk.post("/desk/intake", _fields(
        world, desk, channel="phone", then="answer", answer="垃圾车每天早上七点来。"))
    assert response.status_code == 302
    case = _newest()
    assert case.channel is IntakeChannel.PHONE
    assert case.status is CaseStatus.ARCHIVED and case.outcome is Outcome.RESOLVED
    assert case.reply_text == "垃圾车每天早上七点来。" and case.replied_at is not None
    assert [e.action for e in case.events] == ["register", "receive", "answer"]


def test_without_place_or_category_the_form_comes_back_with_what_was_typed(
        signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    before = db.session.scalar(select(Case.id).order_by(Case.id.desc()))
    response = desk.post("/desk/intake", _fields(world, desk, category="", lat="", lon="",
                                                 place=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "楼道灯坏了" in page and "王阿姨" in page
    assert "Please choose a category." in page or "请选择类别" in page
    assert _newest().id == before


def test_an_unknown_place_name_is_an_error_beside_the_place(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    response = desk.post("/desk/intake", _fields(world, desk, lat="", lon="",
                                                 place="没有这个地方"))
    assert response.status_code == 422
    assert 'id="place"' in response.get_data(as_text=True)


def test_look_alikes_are_shown_before_filing_and_then_it_files(signed_in,
                                                               world: World) -> None:
    desk = signed_in("coordinator")
    near = world.case  # 车棚 at 27.8655, 112.9468
    fields = _fields(world, desk, lat="27.8656", lon="112.9468")
    first = desk.post("/desk/intake", fields)
    assert first.status_code == 200 and near.tracking_code in first.get_data(as_text=True)
    assert _newest().id == near.id  # nothing filed yet
    listed = desk.get(f"/desk/intake/lookalikes.json?category={world.category.id}"
                      "&lat=27.8656&lon=112.9468&crs=wgs84").get_json()
    assert [c["code"] for c in listed] == [near.tracking_code]
    again = desk.post("/desk/intake", {**fields, "seen": str(near.id)})
    assert again.status_code == 302 and _newest().id != near.id


def test_a_double_submit_registers_once(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    fields = _fields(world, desk)
    assert desk.post("/desk/intake", fields).status_code == 302
    assert desk.post("/desk/intake", fields).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count()).select_from(Case).where(
        Case.submission_token == fields["submission_token"])) == 1
    assert [e.action for e in _newest().events] == ["register", "receive"]


def test_the_online_channel_is_the_residents_form_only(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    response = desk.post("/desk/intake", _fields(world, desk, channel="online"))
    assert response.status_code == 422


def test_the_board_filters_by_channel(signed_in, world: World) -> None:
    gen_case(world.category, world.studio, title="巡查发现井盖缺失",
             channel=IntakeChannel.PATROL)
    db.session.commit()
    desk = signed_in("coordinator")
    page = desk.get("/desk/board?channel=patrol").get_data(as_text=True)
    assert "巡查发现井盖缺失" in page and world.case.title not in page


def test_the_export_has_the_channel(world: World) -> None:
    case = gen_case(world.category, world.studio, channel=IntakeChannel.LETTER)
    headers = [column.header() for column in CASE_COLUMNS]
    values = [column.value(case) for column in CASE_COLUMNS]
    assert values[headers.index("渠道")] == "信件"
