"""The desk at a glance: the board remembers the coordinator's filters (and forgets them on
request or when they no longer make sense), and the case page's "who is free now" panel."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from dispatch.extensions import db
from dispatch.models import Case, DutyShift, Role, utcnow
from dispatch.services.clock import local
from dispatch.services.desk.free_now import free_now
from tests.factories import World, gen_case, gen_category, gen_user, take_step


def test_the_board_restores_the_last_filters_and_clear_forgets_them(
        world: World, signed_in: Any) -> None:
    lights = gen_category(code="lights", name_zh="路灯", receive_hours=24)
    db.session.commit()
    client = signed_in("coordinator")
    first = client.get("/desk/board")
    assert first.status_code == 200  # nothing remembered yet: no redirect
    assert client.get(f"/desk/board?category={lights.id}&overdue=y&q=路灯").status_code == 200
    back = client.get("/desk/board")
    assert back.status_code == 302
    location = back.headers["Location"]
    assert f"category={lights.id}" in location and "overdue=y" in location
    page = client.get(location).get_data(as_text=True)
    assert f'<option selected value="{lights.id}">' in page
    assert 'data-testid="filters-remembered"' in page
    assert client.post("/desk/board/filters/clear").status_code == 302
    again = client.get("/desk/board")
    assert again.status_code == 200
    assert 'data-testid="filters-remembered"' not in again.get_data(as_text=True)


def test_filters_are_per_user_and_stored_values_no_longer_valid_are_ignored(
        world: World, signed_in: Any, app: Any) -> None:
    client = signed_in("coordinator")
    client.get("/desk/board?category=424242&status=bogus&q=水管")
    back = client.get("/desk/board")
    assert back.status_code == 302
    page = client.get(back.headers["Location"])
    assert page.status_code == 200  # an unknown category is dropped, not an error
    with client.client.session_transaction() as session:
        session["board_filters"] = {"user": world.coordinator.id,
                                    "args": {"q": "x" * 500, "evil": "1", "status": ["a"]}}
    assert client.get("/desk/board").status_code == 200  # nothing usable: no redirect
    with client.client.session_transaction() as session:
        session["board_filters"] = {"user": world.coordinator2.id, "args": {"q": "水管"}}
    assert client.get("/desk/board").status_code == 200  # someone else's: not restored
    with client.client.session_transaction() as session:
        session["board_filters"] = "garbage"
    assert client.get("/desk/board").status_code == 200
    assert client.post("/desk/board/filters/clear", token=False).status_code == 400  # CSRF


def test_the_board_list_shows_the_assignee_and_due_soon(world: World, signed_in: Any) -> None:
    case = world.case
    take_step(case, "receive", world)
    take_step(case, "assign", world)
    db.session.commit()
    db.session.get(Case, case.id).due_at = utcnow() + timedelta(minutes=30)
    db.session.commit()
    html = signed_in("coordinator").get("/desk/board?studio=all").get_data(as_text=True)
    item = html[html.index(f'data-case="{case.id}"'):]
    item = item[:item.index("</a>")]
    assert world.team.name in item and 'data-testid="due-soon"' in item


def _shift_now(user: Any, studio: Any, *, until: str = "23:59") -> None:
    moment = local(utcnow())
    db.session.add(DutyShift(studio=studio, user=user, weekday=moment.weekday(),
                             starts="00:00", ends=until))


def test_free_now_lists_who_is_on_duty_with_load_skills_and_distance(
        world: World, app: Any) -> None:
    world.category.skills = ["repair"]
    off = gen_user(Role.VOLUNTEER, display_name="下班的人")
    off.profile.on_duty = False
    rota_only = gen_user(Role.VOLUNTEER, display_name="轮值的人")
    rota_only.profile.on_duty = False
    rota_only.profile.skills = ["cleaning"]
    db.session.flush()
    _shift_now(rota_only, world.studio)
    # The team already has one case in hand.
    busy = gen_case(world.category, world.studio, title="另一件")
    take_step(busy, "receive", world)
    take_step(busy, "assign", world)
    db.session.commit()
    with app.test_request_context():
        rows = {row.key: row for row in free_now(db.session.get(Case, world.case.id), utcnow())}
    assert f"user:{off.id}" not in rows  # said off duty and not on the rota
    assert rows[f"user:{rota_only.id}"].rota_until == "23:59"
    assert rows[f"user:{rota_only.id}"].skills == ()  # cleaning is not what is needed
    team = rows[f"team:{world.team.id}"]
    assert team.open_work == 1 and team.members_on_duty == 2 and team.skills == ("repair",)
    member = rows[f"user:{world.member.id}"]
    assert member.said_on_duty and member.skills == ("repair",)
    assert 300 < member.distance_m < 1000  # the factories' base and case are ~570 m apart


def test_the_case_page_has_the_panel_and_its_assign_forms_work(
        world: World, signed_in: Any) -> None:
    take_step(world.case, "receive", world)
    db.session.commit()
    client = signed_in("coordinator")
    html = client.get(f"/desk/cases/{world.case.id}").get_data(as_text=True)
    panel = html[html.index('id="free-now"'):]
    panel = panel[:panel.index("</section>")]
    assert f'data-key="user:{world.member.id}"' in panel and 'name="assign-assignee"' in panel
    row = panel[panel.index(f'data-key="user:{world.member.id}"'):]
    form = row[row.index("<form"):row.index("</form>")]
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
    action = re.search(r'action="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    done = client.post(action, fields, token=False)  # the page's own token and version
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, world.case.id).assigned_volunteer_id == world.member.id
    assert db.session.get(Case, world.case.id).events[-1].note.startswith("从“谁现在有空”派单")
