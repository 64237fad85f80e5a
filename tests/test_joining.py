"""People joining and leaving: a volunteer applies on the phone, a coordinator or the
team's captain decides once, the one-time link sets the password once; deactivating
someone returns their open work to the team with a ledger line; the anonymisation job."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import (
    ApplicationStatus,
    AuditEntry,
    Case,
    CaseStatus,
    Role,
    Team,
    User,
    VolunteerApplication,
    utcnow,
)
from dispatch.services.cases import leaving
from dispatch.services.desk import retention
from dispatch.services.errors import InvalidInput
from dispatch.services.responders import joining
from tests.factories import World, gen_case, take_step, walk

TOKEN = re.compile(r'name="submission_token" type="hidden" value="([^"]+)"')


def _apply(web, world: World, **kw: object):  # type: ignore[no-untyped-def]
    match = TOKEN.search(web.get("/join").get_data(as_text=True))
    assert match
    return web.post("/join", {"name": "刘志愿", "phone": "13600001234", "skills": ["repair"],
                              "base_place": "天鹤村小区", "team": str(world.team.id),
                              "submission_token": match.group(1), **kw})


def _application() -> VolunteerApplication:
    db.session.expire_all()
    found = db.session.scalar(select(VolunteerApplication))
    assert found is not None
    return found


def test_a_volunteer_applies_is_approved_sets_a_password_and_signs_in(
        web, signed_in, world: World) -> None:
    response = _apply(web, world)
    assert response.status_code == 200 and 'data-testid="join-sent"' in response.get_data(True)
    application = _application()
    assert application.status is ApplicationStatus.PENDING
    captain = signed_in("captain")  # the captain of the team wanted decides here
    desk = signed_in("coordinator")
    page = desk.post("/desk/people/applications", {"application_id": application.id,
                                                   "decision": "approve"})
    link = re.search(r'value="(http[^"]+/password/([^"]+))"', page.get_data(as_text=True))
    assert page.status_code == 200 and link
    volunteer = db.session.scalar(select(User).where(User.username == "13600001234"))
    assert volunteer is not None and volunteer.role is Role.VOLUNTEER
    assert volunteer.team_id == world.team.id
    again = captain.post("/desk/people/applications", {"application_id": application.id,
                                                       "decision": "approve"})
    assert again.status_code == 403  # the desk is not the captain's; and it is decided
    path = f"/password/{link.group(2)}"
    assert web.post(path, {"password": "短", "confirm": "短"}).status_code == 422
    secret = "青石板路的桂花树下乘凉"
    assert web.post(path, {"password": secret, "confirm": secret}).status_code == 302
    assert web.get(path).status_code == 404  # once
    assert web.login("13600001234", "青石板路的桂花树下乘凉").status_code == 302
    actions = [e.action for e in db.session.scalars(select(AuditEntry))]
    assert "application.approve" in actions


def test_the_captain_of_the_team_wanted_may_decide_and_only_once(web, world: World) -> None:
    _apply(web, world)
    application = _application()
    with_outsider = application
    try:
        joining.approve(with_outsider, world.outsider_captain)
        raise AssertionError("another team's captain decided")
    except Exception as error:  # NotPermitted
        assert "NotPermitted" in type(error).__name__
    joining.decline(application, world.captain, "本队已满员")
    db.session.commit()
    try:
        joining.approve(application, world.coordinator)
        raise AssertionError("decided twice")
    except InvalidInput as error:
        assert error.field == "decision"


def test_a_second_pending_application_with_the_same_phone_is_refused(web, world: World
                                                                      ) -> None:
    assert _apply(web, world).status_code == 200
    response = _apply(web, world)
    assert response.status_code == 422 and "刘志愿" in response.get_data(as_text=True)


def test_a_bad_phone_keeps_what_was_typed(web, world: World) -> None:
    response = _apply(web, world, phone="12")
    assert response.status_code == 422 and "天鹤村小区" in response.get_data(as_text=True)


def test_a_coordinators_reset_gives_a_one_time_link(signed_in, web, world: World) -> None:
    desk = signed_in("coordinator")
    page = desk.post("/desk/people/reset", {"user_id": world.member.id}).get_data(True)
    token = re.search(r'/password/([^"]+)"', page)
    assert token
    secret = "湘江边的老码头看日落了"
    assert web.post(f"/password/{token.group(1)}", {
        "password": secret, "confirm": secret}).status_code == 302
    assert web.login(world.member.username, "湘江边的老码头看日落了").status_code == 302


def test_deactivating_returns_open_work_to_the_team_with_a_ledger_line(world: World) -> None:
    case = walk(world.case, world, "receive")
    take_step(case, "assign", world, team=None, volunteer=world.member)
    take_step(case, "accept", world, actor=None)
    db.session.commit()
    moved = leaving.deactivate(world.member, world.coordinator)
    db.session.commit()
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert moved == [case.id] and case.assigned_team_id == world.team.id
    assert case.status is CaseStatus.HANDLING and case.events[-1].action == "reassign"
    assert "离开" in case.events[-1].note or "left" in case.events[-1].note
    member = db.session.get(User, world.member.id)
    assert not member.active and member.deactivated_at is not None
    assert member.display_name  # history kept


def test_a_captain_who_leaves_leaves_the_team_without_a_captain(world: World) -> None:
    team_id, captain_id = world.team.id, world.captain.id
    assert world.team.captain_id == captain_id
    leaving.deactivate(world.captain, world.coordinator)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Team, team_id).captain_id is None  # the desk chooses the next
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "team.captain_left"))
    assert entry is not None and entry.target == f"team:{team_id}"
    assert entry.before == {"captain_id": captain_id}


def test_the_last_coordinator_of_a_studio_cannot_be_deactivated(world: World) -> None:
    leaving.deactivate(world.coordinator2, world.admin)
    try:
        leaving.deactivate(world.coordinator, world.admin)
        raise AssertionError("the studio has no coordinator left")
    except InvalidInput as error:
        assert error.field == "user"


def test_anonymisation_after_retention_months_is_counted_in_the_audit_log(app, world: World
                                                                          ) -> None:
    old = gen_case(world.category, world.studio, reporter_name="王大妈")
    walk(old, world, "archive")
    leaving.deactivate(world.member, world.coordinator)
    db.session.commit()
    assert retention.anonymise()["cases"] == 0  # not yet
    later = utcnow() + timedelta(days=31 * app.config["RETENTION_MONTHS"])
    counts = retention.anonymise(later)
    db.session.commit()
    assert counts["users"] == 1 and counts["cases"] == 1
    case = db.session.get(Case, old.id)
    assert case.reporter_phone is None and case.reporter_name is None
    assert db.session.get(User, world.member.id).phone is None
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "retention.anonymise").order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.after["cases"] == 1


def test_the_captain_approves_on_the_phone(web, signed_in, world: World) -> None:
    _apply(web, world)
    application = _application()
    captain = signed_in("captain")
    assert "刘志愿" in captain.get("/v/team/applications").get_data(as_text=True)
    page = captain.post("/v/team/applications", {"application_id": application.id,
                                                 "decision": "approve"})
    assert page.status_code == 200 and "/password/" in page.get_data(as_text=True)
    outsider = signed_in("outsider_captain")
    assert "刘志愿" not in outsider.get("/v/team/applications").get_data(as_text=True)


def test_a_coordinator_cannot_act_on_an_administrators_account(signed_in, world: World
                                                                ) -> None:
    desk = signed_in("coordinator")
    assert desk.post("/desk/people/deactivate", {"user_id": world.admin.id}
                     ).status_code == 403
    assert desk.post("/desk/people/reset", {"user_id": world.admin.id}).status_code == 403
    db.session.expire_all()
    assert db.session.get(User, world.admin.id).active
