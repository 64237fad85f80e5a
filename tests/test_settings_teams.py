"""Settings · teams and captains: a coordinator creates and edits their studio's teams,
chooses or replaces the captain (roles follow, sessions end), retires a team once it
holds no open cases; version check, audit log, bad input kept on the form."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import AuditEntry, Role, Team, User
from dispatch.services.cases import lifecycle
from dispatch.services.desk import team_settings
from dispatch.services.errors import InvalidInput
from dispatch.services.permissions import Actor
from tests.factories import World, gen_case, gen_studio, gen_team, gen_user


def _ours(world: World) -> None:
    world.team.studio = world.studio
    db.session.commit()


def _team_fields(world: World, **kw: object) -> dict[str, object]:
    return {"code": "tianhe", "name_zh": "天鹤服务队", "name_en": "Tianhe team",
            "region_id": world.region.id, "studio_id": world.studio.id,
            "latitude": "27.86", "longitude": "112.95", "skills": ["repair", "road"], **kw}


def _edit_fields(team: Team, **kw: object) -> dict[str, object]:
    return {"version": team.version, "code": team.code, "name_zh": team.name_zh,
            "name_en": team.name_en, "region_id": team.region_id,
            "studio_id": team.studio_id or "", "latitude": team.latitude,
            "longitude": team.longitude, "skills": team.skills, **kw}


def _fresh(model: Any, row_id: int) -> Any:
    db.session.expire_all()
    return db.session.get(model, row_id)


def test_a_coordinator_creates_a_team_of_their_studio(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    assert desk.get("/desk/settings/teams/new").status_code == 200
    made = desk.post("/desk/settings/teams/new", _team_fields(world))
    assert made.status_code == 302, made.get_data(as_text=True)
    team = db.session.scalar(select(Team).where(Team.code == "tianhe"))
    assert team is not None and team.studio_id == world.studio.id
    assert team.skills == ["repair", "road"] and team.active
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "team.create"))
    again = desk.post("/desk/settings/teams/new", _team_fields(world, name_zh="第二个"))
    assert again.status_code == 422 and "第二个" in again.get_data(as_text=True)
    other = gen_studio(world.region)
    db.session.commit()
    elsewhere = desk.post("/desk/settings/teams/new",
                          _team_fields(world, code="x2", studio_id=other.id))
    assert elsewhere.status_code == 422
    assert db.session.scalar(select(Team).where(Team.code == "x2")) is None


@pytest.mark.parametrize("bad", [{"latitude": "NaN"}, {"longitude": "1e300"},
                                 {"code": "Bad Code!"}, {"region_id": "99999999999"},
                                 {"name_zh": ""}, {"code": "a\x00b"}, {"skills": ["nope"]}])
def test_bad_input_is_a_form_error_with_what_was_typed(signed_in, world: World,
                                                      bad: dict[str, Any]) -> None:
    desk = signed_in("coordinator")
    response = desk.post("/desk/settings/teams/new",
                         _team_fields(world, name_en="Kept words", **bad))
    assert response.status_code in (400, 422)
    if response.status_code == 422:
        assert "Kept words" in response.get_data(as_text=True)
    assert db.session.scalar(select(Team).where(Team.name_en == "Kept words")) is None


def test_only_their_own_studio_s_teams(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    assert desk.get(f"/desk/settings/teams/{world.team.id}").status_code == 403
    assert desk.post(f"/desk/settings/teams/{world.team.id}",
                     _edit_fields(world.team)).status_code == 403
    _ours(world)
    assert desk.get(f"/desk/settings/teams/{world.team.id}").status_code == 200
    admin = signed_in("admin")
    assert admin.get(f"/desk/settings/teams/{world.outsider_team.id}").status_code == 200


def test_editing_is_version_checked_and_audited(signed_in, world: World) -> None:
    _ours(world)
    desk = signed_in("coordinator")
    first = _edit_fields(world.team, name_zh="改名一")
    second = _edit_fields(world.team, name_zh="改名二")
    assert desk.post(f"/desk/settings/teams/{world.team.id}", first).status_code == 302
    stale = desk.post(f"/desk/settings/teams/{world.team.id}", second)
    assert stale.status_code == 409 and 'data-testid="stale"' in stale.get_data(as_text=True)
    assert _fresh(Team, world.team.id).name_zh == "改名一"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "team.update"))
    assert entry.after == {"name_zh": "改名一"} and entry.actor_id == world.coordinator.id


def test_a_new_captain_joins_and_the_old_one_steps_down(signed_in, world: World) -> None:
    _ours(world)
    old_session = signed_in("captain")
    assert old_session.get("/v/").status_code == 200
    desk = signed_in("coordinator")
    # The independent volunteer is not yet in the team: they join it as its captain.
    done = desk.post(f"/desk/settings/teams/{world.team.id}/captain",
                     {"version": world.team.version, "captain_id": world.volunteer.id})
    assert done.status_code == 302, done.get_data(as_text=True)
    team = _fresh(Team, world.team.id)
    new, old = db.session.get(User, world.volunteer.id), db.session.get(User, world.captain.id)
    assert team.captain_id == new.id and new.team_id == team.id and new.role == Role.CAPTAIN
    assert old.role == Role.VOLUNTEER and old.team_id == team.id  # still a member
    assert old_session.get("/v/").status_code in (302, 401)  # signs in again
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "team.captain"))


def test_the_captain_of_another_team_is_refused(signed_in, world: World) -> None:
    _ours(world)
    desk = signed_in("admin")
    refused = desk.post(f"/desk/settings/teams/{world.team.id}/captain",
                        {"version": world.team.version,
                         "captain_id": world.outsider_captain.id})
    assert refused.status_code == 422
    assert _fresh(Team, world.team.id).captain_id == world.captain.id
    nobody = desk.post(f"/desk/settings/teams/{world.team.id}/captain",
                       {"version": world.team.version, "captain_id": "99999999999"})
    assert nobody.status_code == 422


def test_a_team_with_open_cases_is_not_retired(signed_in, world: World) -> None:
    _ours(world)
    case = gen_case(world.category, world.studio)
    lifecycle.receive(case, world.desk())
    lifecycle.assign(case, world.desk(), team=world.team)
    db.session.commit()
    desk = signed_in("coordinator")
    refused = desk.post(f"/desk/settings/teams/{world.team.id}/retire",
                        {"version": world.team.version}, follow_redirects=True)
    assert "仍有 1 件未办结" in refused.get_data(as_text=True)
    assert _fresh(Team, world.team.id).active


def test_retiring_keeps_the_team_and_frees_its_members(signed_in, world: World) -> None:
    _ours(world)
    desk = signed_in("coordinator")
    done = desk.post(f"/desk/settings/teams/{world.team.id}/retire",
                     {"version": world.team.version})
    assert done.status_code == 302
    team = _fresh(Team, world.team.id)
    assert team is not None and not team.active and team.captain_id is None
    assert db.session.get(User, world.member.id).team_id is None
    assert db.session.get(User, world.captain.id).role == Role.VOLUNTEER
    restored = desk.post(f"/desk/settings/teams/{world.team.id}/restore",
                         {"version": team.version})
    assert restored.status_code == 302 and _fresh(Team, world.team.id).active
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"team.retire", "team.restore", "team.members_freed"} <= actions


def test_a_captain_of_two_teams_keeps_the_role(signed_in, world: World) -> None:
    _ours(world)
    second = gen_team(world.region, studio=world.studio)
    db.session.flush()
    second.captain = world.captain
    newcomer = gen_user(Role.VOLUNTEER, team=world.team)
    db.session.commit()
    desk = signed_in("coordinator")
    assert desk.post(f"/desk/settings/teams/{world.team.id}/captain",
                     {"version": world.team.version, "captain_id": newcomer.id}
                     ).status_code == 302
    assert _fresh(User, world.captain.id).role == Role.CAPTAIN


def test_the_pages_render_for_the_desk(signed_in, world: World) -> None:
    _ours(world)
    for who in ("coordinator", "admin"):
        web = signed_in(who)
        page = web.get("/desk/settings/teams").get_data(as_text=True)
        assert world.team.name_zh in page
        assert web.get(f"/desk/settings/teams/{world.team.id}").status_code == 200




def test_a_retirement_and_an_assignment_at_once_cannot_both_pass(app: Flask, world: World) -> None:
    """PostgreSQL, two connections: the assignment holds the team's row (share lock) while
    the retirement waits; once the assignment commits, the retirement counts its case and
    is refused. Nothing ends with an open case in a retired team."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL's row locks (SQLite serialises all writers)")
    _ours(world)
    case = gen_case(world.category, world.studio)
    lifecycle.receive(case, world.desk())
    db.session.commit()
    results: dict[str, Any] = {}
    assigned, hold = threading.Event(), threading.Event()

    def assign() -> None:
        with app.app_context():
            try:
                row = db.session.get(type(case), case.id)
                lifecycle.assign(row, Actor.of(db.session.get(User, world.coordinator.id)),
                                 team=db.session.get(Team, world.team.id))
                assigned.set()
                hold.wait(10)
                db.session.commit()
                results["assign"] = "won"
            finally:
                db.session.remove()

    def retire() -> None:
        with app.app_context():
            try:
                team = db.session.get(Team, world.team.id)
                team_settings.retire(team, db.session.get(User, world.coordinator2.id),
                                     team.version)
                db.session.commit()
                results["retire"] = "won"
            except InvalidInput as refused:
                db.session.rollback()
                results["retire"] = refused
            finally:
                db.session.remove()

    a = threading.Thread(target=assign)
    a.start()
    assert assigned.wait(10)
    b = threading.Thread(target=retire)
    b.start()
    time.sleep(0.5)  # the retirement now waits on the team's row
    hold.set()
    a.join(20)
    b.join(20)
    assert results["assign"] == "won" and isinstance(results["retire"], InvalidInput), results
    assert _fresh(Team, world.team.id).active
