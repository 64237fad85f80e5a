"""Settings · users and roles: who may change whose account, the last coordinator of a
studio and the last administrator kept (also under two concurrent demotions on
PostgreSQL), a role change ending the person's sessions, a new staff account with its
one-time link, deactivating and bringing back, the version check and the audit log."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from dispatch.extensions import db
from dispatch.models import AuditEntry, OneTimeLink, Role, User
from dispatch.services.desk import user_settings
from dispatch.services.errors import InvalidInput
from tests.factories import World, gen_studio, gen_user


def _fields(user: User, **kw: object) -> dict[str, object]:
    return {"version": user.version, "display_name": user.display_name,
            "role": user.role.value, "studio_id": user.studio_id or "", **kw}


def _user(user_id: int) -> User:
    db.session.expire_all()
    user = db.session.get(User, user_id)
    assert user is not None
    return user


def test_an_admin_changes_a_role_the_audit_says_so_and_the_session_ends(
        signed_in, world: World) -> None:
    admin = signed_in("admin")
    member = signed_in("member")
    assert member.get("/v/").status_code == 200
    response = admin.post(f"/desk/settings/users/{world.member.id}",
                          _fields(world.member, role="captain"))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _user(world.member.id).role == Role.CAPTAIN
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.update"))
    assert entry.before == {"role": "volunteer"} and entry.after == {"role": "captain"}
    assert entry.actor_id == world.admin.id
    assert member.get("/v/").status_code in (302, 401)  # signed out: sign in again


def test_the_last_coordinator_of_a_studio_is_kept(signed_in, world: World) -> None:
    admin = signed_in("admin")
    assert admin.post(f"/desk/settings/users/{world.coordinator2.id}",
                      _fields(world.coordinator2, role="volunteer")).status_code == 302
    refused = admin.post(f"/desk/settings/users/{world.coordinator.id}",
                         _fields(world.coordinator, role="volunteer",
                                 display_name="谭晓岚改"))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "最后一名协调员" in page and "谭晓岚改" in page
    assert _user(world.coordinator.id).role == Role.COORDINATOR
    moved = admin.post(f"/desk/settings/users/{world.coordinator.id}",
                       _fields(world.coordinator, studio_id=gen_studio_id(world)))
    assert moved.status_code == 422  # moving them away empties the studio too
    deactivated = admin.post(f"/desk/settings/users/{world.coordinator.id}/deactivate",
                             {"version": world.coordinator.version}, follow_redirects=True)
    assert "最后一名协调员" in deactivated.get_data(as_text=True)
    assert _user(world.coordinator.id).active


def gen_studio_id(world: World) -> int:
    studio = gen_studio(world.region)
    db.session.commit()
    return studio.id


def test_the_last_admin_cannot_demote_themselves(signed_in, world: World) -> None:
    admin = signed_in("admin")
    refused = admin.post(f"/desk/settings/users/{world.admin.id}",
                         _fields(world.admin, role="coordinator",
                                 studio_id=world.studio.id))
    assert refused.status_code == 422 and "最后一位管理员" in refused.get_data(as_text=True)
    assert _user(world.admin.id).role == Role.ADMIN


def test_a_coordinator_manages_only_their_studio_s_volunteers_and_never_grants_admin(
        signed_in, world: World) -> None:
    world.team.studio = world.studio
    db.session.commit()
    desk = signed_in("coordinator")
    refused = desk.post(f"/desk/settings/users/{world.member.id}",
                        _fields(world.member, role="admin", display_name="新名字"))
    assert refused.status_code == 422 and "新名字" in refused.get_data(as_text=True)
    assert _user(world.member.id).role == Role.VOLUNTEER
    assert desk.get(f"/desk/settings/users/{world.member.id}").status_code == 200
    for other in (world.admin, world.coordinator2, world.volunteer, world.outsider_captain):
        assert desk.get(f"/desk/settings/users/{other.id}").status_code == 403
        assert desk.post(f"/desk/settings/users/{other.id}",
                         _fields(other)).status_code == 403
    listed = desk.get("/desk/settings/users").get_data(as_text=True)
    assert world.member.username in listed and world.outsider_captain.username not in listed


def test_a_second_editor_sees_what_changed_and_nothing_is_overwritten(
        signed_in, world: World) -> None:
    admin = signed_in("admin")
    first = _fields(world.member, display_name="第一位")
    second = _fields(world.member, display_name="第二位")
    assert admin.post(f"/desk/settings/users/{world.member.id}", first).status_code == 302
    stale = admin.post(f"/desk/settings/users/{world.member.id}", second)
    assert stale.status_code == 409 and 'data-testid="stale"' in stale.get_data(as_text=True)
    assert _user(world.member.id).display_name == "第一位"


def test_a_new_staff_account_gets_a_one_time_link(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    made = desk.post("/desk/settings/users/new", {
        "username": "xiaoli", "display_name": "小李", "phone": "13912345678",
        "role": "coordinator", "studio_id": world.studio.id})
    assert made.status_code == 201, made.get_data(as_text=True)
    assert 'data-testid="one-time-link"' in made.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.username == "xiaoli"))
    assert user is not None and user.role == Role.COORDINATOR
    assert user.studio_id == world.studio.id and user.phone == "+8613912345678"
    assert db.session.scalar(select(OneTimeLink).where(OneTimeLink.user_id == user.id))
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create"))
    listed = desk.get("/desk/settings/users").get_data(as_text=True)
    assert "13912345678" not in listed and "5678" in listed  # masked
    taken = desk.post("/desk/settings/users/new", {
        "username": "xiaoli", "display_name": "另一位", "role": "volunteer",
        "studio_id": world.studio.id})
    assert taken.status_code == 422 and "另一位" in taken.get_data(as_text=True)
    admin_made = desk.post("/desk/settings/users/new", {
        "username": "boss", "display_name": "老板", "role": "admin",
        "studio_id": world.studio.id})
    assert admin_made.status_code == 422
    assert db.session.scalar(select(User).where(User.username == "boss")) is None


def test_deactivating_and_bringing_back(signed_in, world: World) -> None:
    admin = signed_in("admin")
    assert admin.post(f"/desk/settings/users/{world.member.id}/deactivate",
                      {"version": world.member.version}).status_code == 302
    assert not _user(world.member.id).active
    assert world.member.username in admin.get(
        "/desk/settings/users?active=no").get_data(as_text=True)
    assert world.member.username not in admin.get(
        "/desk/settings/users?active=yes").get_data(as_text=True)
    assert admin.post(f"/desk/settings/users/{world.member.id}/reactivate",
                      {"version": 0}).status_code == 302
    assert _user(world.member.id).active
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"user.deactivate", "user.reactivate"} <= actions


@pytest.mark.parametrize("fields", [
    {"role": "overlord"}, {"studio_id": "99999999999999"}, {"studio_id": "NaN"},
    {"display_name": "\x00"}, {"display_name": ""}, {"version": "1e300"}, {"role": ""},
])
def test_bad_input_is_a_form_error_never_a_500(signed_in, world: World,
                                               fields: dict[str, Any]) -> None:
    admin = signed_in("admin")
    response = admin.post(f"/desk/settings/users/{world.member.id}",
                          _fields(world.member, **fields))
    assert response.status_code in (400, 422)
    assert _user(world.member.id).version == world.member.version
    assert admin.get("/desk/settings/users?role=x&studio=1e300&active=x").status_code == 200
    assert admin.get("/desk/settings/users?role=\x00").status_code == 400
    assert admin.get("/desk/settings/users/99999999999999").status_code == 404


def test_two_concurrent_demotions_leave_one_coordinator(app: Flask, world: World) -> None:
    """Both read "two coordinators"; the studio's row lock makes the second wait and count
    again: exactly one demotion goes through (PostgreSQL, two real connections)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL's row locks (SQLite serialises all writers)")
    results: dict[str, Any] = {}
    started, hold, demoted_a = threading.Barrier(2), threading.Event(), threading.Event()

    def demote(user_id: int, name: str, wait: bool) -> None:
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                admin = db.session.get(User, world.admin.id)
                assert user is not None and admin is not None
                started.wait(10)
                if not wait:  # A goes first and holds its transaction open
                    assert demoted_a.wait(20)
                user_settings.update_user(user, admin, user.version,
                                          {**user_settings.values_of(user),
                                           "role": "volunteer"})
                if wait:
                    demoted_a.set()
                    hold.wait(10)
                db.session.commit()
                results[name] = "won"
            except InvalidInput as refused:
                db.session.rollback()
                results[name] = refused
            finally:
                db.session.remove()

    a = threading.Thread(target=demote, args=(world.coordinator.id, "a", True))
    b = threading.Thread(target=demote, args=(world.coordinator2.id, "b", False))
    a.start()
    b.start()
    time.sleep(1.0)  # B is now waiting on the studio row A locked
    hold.set()
    a.join(20)
    b.join(20)
    assert results["a"] == "won" and isinstance(results["b"], InvalidInput), results
    db.session.expire_all()
    assert db.session.scalar(select(User.id).where(
        User.studio_id == world.studio.id, User.role == Role.COORDINATOR)) is not None


def test_a_coordinator_cannot_reach_an_admin_through_the_people_page(
        signed_in, world: World) -> None:
    other = gen_user(Role.VOLUNTEER)
    db.session.commit()
    desk = signed_in("coordinator")
    assert desk.post(f"/desk/settings/users/{other.id}/deactivate",
                     {"version": 1}).status_code == 403
    assert desk.post(f"/desk/settings/users/{world.admin.id}/deactivate",
                     {"version": 1}).status_code == 403


@pytest.mark.parametrize("payload", [
    {}, {"version": "\x00"}, {"version": "9" * 400}, {"version": "NaN", "role": "admin"},
    {"captain_id": "-1", "version": "1"}, {"latitude": "inf", "longitude": "nan"},
    {"display_name": "x" * 5000, "role": "volunteer", "version": "1"},
    {"username": "\x00", "role": "volunteer", "display_name": "a"},
])
def test_no_settings_address_answers_500(signed_in, world: World,
                                        payload: dict[str, Any]) -> None:
    web = signed_in("admin")
    for path in (f"/desk/settings/users/{world.member.id}", "/desk/settings/users/new",
                 f"/desk/settings/users/{world.member.id}/deactivate",
                 f"/desk/settings/users/{world.member.id}/reactivate",
                 "/desk/settings/teams/new", f"/desk/settings/teams/{world.team.id}",
                 f"/desk/settings/teams/{world.team.id}/captain",
                 f"/desk/settings/teams/{world.team.id}/retire",
                 f"/desk/settings/teams/{world.team.id}/restore",
                 f"/desk/settings/categories/{world.category.id}"):
        assert web.post(path, payload).status_code < 500, path


def test_the_users_list_pages_through_a_district_and_finds_people_by_name(
        signed_in, world: World, app: Flask) -> None:
    """Thousands of volunteers do not fit one page: 50 a page, the filters kept from page
    to page, a search by part of a name or username (a typed % is a letter), a bounded
    number of queries per page whatever its rows, and no address that answers 500."""
    for n in range(120):
        db.session.add(User(username=f"street.vol{n:03d}", display_name=f"街道志愿者{n:03d}",
                            role=Role.VOLUNTEER, password_hash="-"))
    db.session.add(User(username="odd.name", display_name="百分之百%志愿者",
                        role=Role.VOLUNTEER, password_hash="-"))
    db.session.commit()
    web = signed_in("admin")
    first = web.get("/desk/settings/users?role=volunteer")
    page_one = first.get_data(as_text=True)
    assert first.status_code == 200
    assert page_one.count('data-user="') == 50
    assert 'href="/desk/settings/users?page=2&amp;role=volunteer"' in page_one
    volunteers = db.session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.VOLUNTEER))
    last_page = -(-volunteers // 50)
    last = web.get(f"/desk/settings/users?role=volunteer&page={last_page}")
    assert last.get_data(as_text=True).count('data-user="') == volunteers - 50 * (last_page - 1)

    found = web.get("/desk/settings/users?q=vol11").get_data(as_text=True)
    assert found.count('data-user="') == 10  # street.vol110 … street.vol119
    percent = web.get("/desk/settings/users?q=%25").get_data(as_text=True)
    assert percent.count('data-user="') == 1 and "百分之百%志愿者" in percent

    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        web.get("/desk/settings/users?role=volunteer&page=2")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) < 15, statements  # not one query per row

    for query in ("page=999999999999", "page=-1", "page=NaN", "q=" + "x" * 5000,
                  "q=%00", "studio=99999999999"):
        assert web.get(f"/desk/settings/users?{query}").status_code < 500, query
