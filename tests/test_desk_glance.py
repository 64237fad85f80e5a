"""The desk at a glance: the board remembers the coordinator's filters (and forgets them on
request or when they no longer make sense), and the case page's "who is free now" panel."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dispatch.extensions import db
from dispatch.models import Case, utcnow
from tests.factories import World, gen_category, take_step


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
