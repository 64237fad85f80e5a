"""Reception days (接待日): a session on the rota with its representatives, the desk's list
of who was received and what each became, and the month's reception figures."""

from __future__ import annotations

import re

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import ReceptionSession, ReceptionVisit, VisitOutcome, utcnow
from dispatch.services.clock import local
from dispatch.services.desk import reception
from tests.factories import World

TOKEN = re.compile(r'name="submission_token" type="hidden" value="([^"]+)"')


def _session(world: World) -> ReceptionSession:
    session = reception.create_session(world.studio, local(utcnow()).date(), "09:00",
                                       "11:30", [world.coordinator, world.coordinator2],
                                       world.coordinator, "老旧小区改造")
    db.session.commit()
    return session


def _register(desk, world: World, session_id: int, **kw: object):  # type: ignore[no-untyped-def]
    page = desk.get(f"/desk/intake?session={session_id}").get_data(as_text=True)
    match = TOKEN.search(page)
    assert match
    return desk.post("/desk/intake", {
        "channel": "walk_in", "kind": "hazard", "category": str(world.category.id),
        "lat": "27.8800", "lon": "112.9300", "crs": "wgs84", "session": str(session_id),
        "submission_token": match.group(1), "description": "路灯不亮", **kw})


def test_a_coordinator_puts_a_session_on_the_rota(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    day = local(utcnow()).date().isoformat()
    fields = {"day": day, "starts": "09:00", "ends": "11:30", "topic": "接待日",
              "representatives": [str(world.coordinator.id), str(world.coordinator2.id)]}
    response = desk.post(f"/desk/reception?studio={world.studio.id}", fields)
    assert response.status_code == 302
    session = db.session.scalar(select(ReceptionSession))
    assert session is not None and {u.id for u in session.representatives} == {
        world.coordinator.id, world.coordinator2.id}
    again = desk.post(f"/desk/reception?studio={world.studio.id}", fields)
    assert again.status_code == 422 and "接待日" in again.get_data(as_text=True)
    assert desk.get("/desk/reception").status_code == 200


def test_someone_off_the_studio_cannot_be_a_representative(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    response = desk.post(f"/desk/reception?studio={world.studio.id}", {
        "day": "2026-12-09", "starts": "09:00", "ends": "11:30",
        "representatives": [str(world.volunteer.id)]})
    assert response.status_code == 422
    assert db.session.scalar(select(ReceptionSession)) is None


def test_the_session_lists_who_was_received_and_what_each_became(signed_in,
                                                                 world: World) -> None:
    session = _session(world)
    desk = signed_in("coordinator")
    assert _register(desk, world, session.id, reporter_name="李大爷",
                     reporter_phone="13700001111", then="assign",
                     assignee=f"team:{world.team.id}").status_code == 302
    assert _register(desk, world, session.id, then="answer", lat="27.8900",
                     answer="社区卫生服务站周六上午开放。").status_code == 302
    assert desk.post(f"/desk/reception/{session.id}/notes", {
        "visitor_name": "张阿姨", "note": "感谢志愿者修好了扶手"}).status_code == 302
    db.session.expire_all()
    outcomes = [v.outcome for v in db.session.scalars(
        select(ReceptionVisit).order_by(ReceptionVisit.id))]
    assert outcomes == [VisitOutcome.CASE, VisitOutcome.ANSWERED, VisitOutcome.NOTE]
    page = desk.get(f"/desk/reception/{session.id}").get_data(as_text=True)
    assert "李大爷" in page and "137****1111" in page and "13700001111" not in page
    assert "社区卫生服务站周六上午开放。" in page and "感谢志愿者修好了扶手" in page


def test_an_empty_note_is_refused_in_the_form(signed_in, world: World) -> None:
    session = _session(world)
    desk = signed_in("coordinator")
    response = desk.post(f"/desk/reception/{session.id}/notes", {"visitor_name": "张阿姨"})
    assert response.status_code == 422 and "张阿姨" in response.get_data(as_text=True)


def test_the_monthly_report_counts_sessions_people_and_answers_and_channels(
        signed_in, world: World) -> None:
    session = _session(world)
    desk = signed_in("coordinator")
    _register(desk, world, session.id)
    _register(desk, world, session.id, channel="phone", then="answer", lat="27.8900",
              answer="已当场答复")
    page = desk.get("/desk/reports/monthly").get_data(as_text=True)
    assert re.search(r'data-testid="reception-sessions">1<', page)
    assert re.search(r'data-testid="reception-received">2<', page)
    assert re.search(r'data-testid="reception-answered">1<', page)
    table = page[page.index('data-testid="by-channel"'):]
    assert 'data-key="walk_in"' in table and 'data-key="phone"' in table
    assert 'data-key="online"' in table  # the world's own case, filed online
