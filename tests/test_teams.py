"""Captains share work out; volunteers set availability and see their record;
coordinators keep the team roster."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import CaseEvent, CaseKind, Role, VolunteerProfile, utcnow
from dispatch.services.cases import claims, lifecycle, team_work
from dispatch.services.permissions import Actor, may_see_reporter_phone
from dispatch.services.responders import teams
from tests.conftest import WebClient
from tests.factories import World, gen_case, gen_user, walk


def test_a_captain_shares_team_work_out_to_a_member(signed_in, world: World) -> None:
    walk(world.case, world, "assign")
    db.session.commit()
    captain = signed_in("captain")
    page = captain.get("/v/team").get_data(as_text=True)
    assert world.case.title in page and world.member.display_name in page
    response = captain.post(f"/v/cases/{world.case.id}/share",
                            {f"share{world.case.id}-member": str(world.member.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert world.case.handled_by_id == world.member.id
    assert world.case.assigned_team_id == world.team.id  # the team stays responsible
    last = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == world.case.id)
                              .order_by(CaseEvent.seq.desc())).first()
    assert last is not None and last.action == "share_out"
    assert world.member.display_name in last.text


def test_only_the_captain_shares_and_only_to_members(signed_in, world: World) -> None:
    walk(world.case, world, "assign")
    db.session.commit()
    member = signed_in("member")
    assert member.get("/v/team").status_code == 403
    assert member.post(f"/v/cases/{world.case.id}/share",
                       {f"share{world.case.id}-member": str(world.member.id)}
                       ).status_code == 403
    response = signed_in("captain").post(
        f"/v/cases/{world.case.id}/share",
        {f"share{world.case.id}-member": str(world.volunteer.id)})  # not in the team
    assert response.status_code == 422
    db.session.expire_all()
    assert world.case.handled_by_id is None


def test_work_already_done_cannot_be_shared_out(world: World) -> None:
    walk(world.case, world, "finish")
    try:
        team_work.share_out(world.case, Actor.of(world.captain), world.member)
        raise AssertionError("done work was shared out")
    except Exception as error:  # noqa: BLE001 - checked below
        assert getattr(error, "http_status", None) == 409


def test_the_captain_sees_members_availability_and_load(world: World) -> None:
    walk(world.case, world, "assign")
    team_work.share_out(world.case, Actor.of(world.captain), world.member)
    world.member.profile.on_duty = False  # type: ignore[union-attr]
    rows = {row.user.id: row for row in teams.members_of(world.team)}
    assert rows[world.member.id].open_work == 1 and rows[world.member.id].on_duty is False
    assert rows[world.captain.id].open_work == 0


def test_a_volunteer_sets_availability_and_skills(signed_in, world: World) -> None:
    me = signed_in("volunteer")
    response = me.post("/v/me", {"skills": ["elder_care", "repair"]})  # on_duty unticked
    assert response.status_code == 302
    db.session.expire_all()
    profile = db.session.get(VolunteerProfile, world.volunteer.id)
    assert profile is not None and profile.on_duty is False
    assert profile.skills == ["elder_care", "repair"]
    assert me.post("/v/me", {"on_duty": "y", "skills": ["flying"]}).status_code == 422
    db.session.expire_all()
    assert db.session.get(VolunteerProfile, world.volunteer.id).skills == [  # type: ignore[union-attr]
        "elder_care", "repair"]


def test_the_record_counts_tasks_hours_and_ratings(world: World) -> None:
    start = utcnow() - timedelta(days=2)
    walk(world.case, world, "receive")
    me = Actor.of(world.volunteer)
    lifecycle.assign(world.case, world.desk(), volunteer=world.volunteer, at=start)
    lifecycle.accept(world.case, me, at=start)
    lifecycle.arrive(world.case, me, at=start + timedelta(hours=1))
    lifecycle.finish(world.case, me, "扶手已装好", at=start + timedelta(hours=3, minutes=30))
    lifecycle.check_work(world.case, world.desk())
    lifecycle.reply(world.case, world.desk(), "已处理")
    lifecycle.give_feedback(world.case, Actor.resident(), satisfied=True, rating=4)
    db.session.commit()
    record = teams.record_of(world.volunteer)
    assert (record.tasks_done, record.service_hours, record.ratings,
            record.average_rating) == (1, 2.5, 1, 4.0)


def test_a_coordinator_keeps_the_roster(signed_in, world: World) -> None:
    newcomer = gen_user(Role.VOLUNTEER)
    db.session.commit()
    desk = signed_in("coordinator")
    assert world.team.name_zh in desk.get("/desk/teams").get_data(as_text=True)
    response = desk.post(f"/desk/teams/{world.team.id}/members",
                         {"username": newcomer.username})
    assert response.status_code == 302
    db.session.expire_all()
    assert newcomer.team_id == world.team.id
    assert desk.post(f"/desk/teams/{world.team.id}/members",
                     {"username": "nobody-here"}).status_code == 422
    assert desk.post(f"/desk/teams/{world.team.id}/members",
                     {"username": world.coordinator.username}).status_code == 422
    desk.post(f"/desk/teams/{world.team.id}/members/remove", {"user_id": str(newcomer.id)})
    desk.post(f"/desk/teams/{world.team.id}/members/remove", {"user_id": str(world.captain.id)})
    db.session.expire_all()
    assert newcomer.team_id is None and world.captain.team_id == world.team.id
    assert signed_in("captain").get(f"/desk/teams/{world.team.id}").status_code == 403


FULL_PHONE, MASKED_PHONE = "13812345678", "138****5678"


def phone_on_pages(client, paths: tuple[str, ...] = ("/v/", "/v/me", "/inbox/")) -> str:
    return "".join(client.get(path).get_data(as_text=True) for path in paths)


def test_team_members_who_did_not_accept_see_the_residents_phone_masked(
        signed_in, world: World) -> None:
    walk(world.case, world, "accept")  # assigned to the team; the captain accepted it
    db.session.commit()
    member_pages = phone_on_pages(signed_in("member"))
    assert MASKED_PHONE in member_pages and FULL_PHONE not in member_pages
    captain_pages = phone_on_pages(signed_in("captain"), ("/v/", "/v/team"))
    assert FULL_PHONE in captain_pages  # the captain accepted it for the team


def test_the_member_the_work_was_shared_out_to_sees_the_phone_and_no_one_else(
        app: Flask, signed_in, world: World) -> None:
    walk(world.case, world, "accept")
    team_work.share_out(world.case, Actor.of(world.captain), world.member)
    other = gen_user(Role.VOLUNTEER, team=world.team)
    db.session.commit()
    assert FULL_PHONE in phone_on_pages(signed_in("member"))
    captain_pages = phone_on_pages(signed_in("captain"), ("/v/", "/v/team"))
    assert MASKED_PHONE in captain_pages and FULL_PHONE not in captain_pages
    teammate = WebClient(app)
    assert teammate.login(other.username).status_code == 302
    teammate_pages = phone_on_pages(teammate)
    assert MASKED_PHONE in teammate_pages and FULL_PHONE not in teammate_pages


def test_assigned_work_not_yet_accepted_shows_the_phone_masked(signed_in,
                                                              world: World) -> None:
    walk(world.case, world, "assign")
    db.session.commit()
    captain_pages = phone_on_pages(signed_in("captain"), ("/v/", "/v/team"))
    assert MASKED_PHONE in captain_pages and FULL_PHONE not in captain_pages


def test_the_phone_rule_in_one_place(world: World) -> None:
    walk(world.case, world, "accept")
    assert may_see_reporter_phone(world.case, world.coordinator)
    assert may_see_reporter_phone(world.case, world.captain)
    assert not may_see_reporter_phone(world.case, world.member)
    assert not may_see_reporter_phone(world.case, world.outsider_captain)
    assert not may_see_reporter_phone(world.case, None)


def member_finishes_team_work(world: World) -> None:
    """Team work accepted by the captain, shared out to the member, who finishes it."""
    walk(world.case, world, "accept")
    team_work.share_out(world.case, Actor.of(world.captain), world.member)
    lifecycle.arrive(world.case, Actor.of(world.member))
    lifecycle.finish(world.case, Actor.of(world.member), note="车棚顶棚已加固，螺栓全部更换")
    db.session.commit()


def last_event(case_id: int) -> CaseEvent:
    db.session.expire_all()
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                               .order_by(CaseEvent.seq.desc())).first()
    assert event is not None
    return event


def test_the_captain_sees_the_check_panel_and_passes_a_members_finished_work(
        signed_in, world: World) -> None:
    member_finishes_team_work(world)
    captain = signed_in("captain")
    page = captain.get("/v/").get_data(as_text=True)
    assert f'id="check-{world.case.id}"' in page and "车棚顶棚已加固" in page
    assert 'data-action="check_work"' in page and 'data-action="return_work"' in page
    response = captain.post(f"/v/cases/{world.case.id}/actions/check_work",
                            {"check_work-version": str(world.case.version),
                             "check_work-note": "照片与现场一致"})
    assert response.status_code == 302
    event = last_event(world.case.id)
    assert (event.action, event.actor_id) == ("check_work", world.captain.id)
    assert world.case.work_checked_by_id == world.captain.id


def test_the_captain_sends_finished_work_back_with_a_note(signed_in, world: World) -> None:
    member_finishes_team_work(world)
    captain = signed_in("captain")
    empty = captain.post(f"/v/cases/{world.case.id}/actions/return_work",
                         {"return_work-version": str(world.case.version)})
    assert empty.status_code == 422  # the note is required; the form is shown again
    response = captain.post(f"/v/cases/{world.case.id}/actions/return_work",
                            {"return_work-version": str(world.case.version),
                             "return_work-note": "还缺施工后的照片"})
    assert response.status_code == 302
    event = last_event(world.case.id)
    assert (event.action, event.actor_id, event.note) == ("return_work", world.captain.id,
                                                          "还缺施工后的照片")
    assert "还缺施工后的照片" in signed_in("member").get("/v/").get_data(as_text=True)


def test_the_captain_checks_a_wish_a_team_member_claimed_and_finished(
        signed_in, world: World) -> None:
    wish = gen_case(world.category, world.studio, kind=CaseKind.WISH, title="帮老人换灯泡")
    lifecycle.receive(wish, world.desk())
    claims.claim(wish, Actor.of(world.member))
    lifecycle.arrive(wish, Actor.of(world.member))
    lifecycle.finish(wish, Actor.of(world.member), note="灯泡已换好")
    db.session.commit()
    captain = signed_in("captain")
    assert f'id="check-{wish.id}"' in captain.get("/v/").get_data(as_text=True)
    response = captain.post(f"/v/cases/{wish.id}/actions/check_work",
                            {"check_work-version": str(wish.version)})
    assert response.status_code == 302
    assert last_event(wish.id).action == "check_work"


def test_a_captain_of_another_team_may_not_check_the_work(signed_in, world: World) -> None:
    member_finishes_team_work(world)
    outsider = signed_in("outsider_captain")
    assert f'id="check-{world.case.id}"' not in outsider.get("/v/").get_data(as_text=True)
    response = outsider.post(f"/v/cases/{world.case.id}/actions/check_work",
                             {"check_work-version": str(world.case.version)})
    assert response.status_code == 403
    assert last_event(world.case.id).action == "finish"


def test_the_member_who_finished_may_not_check_their_own_work(signed_in,
                                                              world: World) -> None:
    member_finishes_team_work(world)
    member = signed_in("member")
    assert 'data-action="check_work"' not in member.get("/v/").get_data(as_text=True)
    response = member.post(f"/v/cases/{world.case.id}/actions/check_work",
                           {"check_work-version": str(world.case.version)})
    assert response.status_code == 403
    assert last_event(world.case.id).action == "finish"


def test_a_captain_who_finished_the_work_may_not_check_it(signed_in, world: World) -> None:
    walk(world.case, world, "accept")
    lifecycle.arrive(world.case, Actor.of(world.captain))
    lifecycle.finish(world.case, Actor.of(world.captain), note="已处理")
    db.session.commit()
    captain = signed_in("captain")
    assert 'data-action="check_work"' not in captain.get("/v/").get_data(as_text=True)
    response = captain.post(f"/v/cases/{world.case.id}/actions/check_work",
                            {"check_work-version": str(world.case.version)})
    assert response.status_code == 409
    assert last_event(world.case.id).action == "finish"
