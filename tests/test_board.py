"""The dispatch board: its filters, its order, what it leaves out, and how it stays small."""

from __future__ import annotations

import gzip
import json
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from dispatch.extensions import db
from dispatch.models import Case, CaseKind, CaseStatus, Role, utcnow
from dispatch.services.cases.queries import CaseFilter
from dispatch.services.desk import board
from tests.factories import (
    World,
    gen_case,
    gen_category,
    gen_region,
    gen_studio,
    gen_team,
    gen_user,
    take_step,
    walk,
)

ROW = re.compile(r'data-case="(\d+)"')
PROJECT = Path(__file__).parent.parent


def listed(page: Any) -> list[int]:
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return [int(n) for n in ROW.findall(page.get_data(as_text=True))]


def mapped(response: Any) -> list[int]:
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    collection = json.loads(response.get_data(as_text=True))
    assert collection["type"] == "FeatureCollection"
    return sorted(feature["properties"]["id"] for feature in collection["features"])


def both(client: Any, query: str = "") -> tuple[list[int], list[int]]:
    return (listed(client.get(f"/desk/board?{query}")),
            mapped(client.get(f"/desk/board/cases.geojson?{query}")))


def overdue_case(world: World, hours_late: int = 1, **kw: Any) -> Case:
    at = utcnow() - timedelta(hours=world.category.receive_hours + hours_late)
    return gen_case(world.category, world.studio, at=at, **kw)


def test_filters_reduce_the_list_and_the_geojson_alike(world: World, signed_in: Any) -> None:
    other_category = gen_category(code="lights", name_zh="路灯", receive_hours=24)
    region2 = gen_region()
    studio2 = gen_studio(region2)
    wish = gen_case(other_category, world.studio, kind=CaseKind.WISH, title="帮老人换灯泡")
    received = gen_case(world.category, world.studio, title="楼道堆放杂物")
    take_step(received, "receive", world)
    elsewhere = gen_case(world.category, studio2, title="别处的井盖松动")
    late = overdue_case(world, title="路灯不亮很久了")
    db.session.commit()
    desk = signed_in("coordinator")
    own = sorted([world.case.id, wish.id, received.id, late.id])

    list_ids, map_ids = both(desk)
    assert sorted(list_ids) == map_ids == own  # the coordinator's own studio by default
    assert sorted(both(desk, "studio=all")[1]) == sorted(own + [elsewhere.id])
    assert both(desk, f"studio={studio2.id}") == ([elsewhere.id], [elsewhere.id])
    assert both(desk, f"studio=all&region={region2.id}") == ([elsewhere.id], [elsewhere.id])
    assert both(desk, "kind=wish") == ([wish.id], [wish.id])
    assert both(desk, f"category={other_category.id}") == ([wish.id], [wish.id])
    assert both(desk, "status=received") == ([received.id], [received.id])
    assert both(desk, "overdue=y") == ([late.id], [late.id])
    assert both(desk, "q=杂物") == ([received.id], [received.id])
    assert both(desk, f"q={late.tracking_code.lower()}") == ([late.id], [late.id])


def test_overdue_cases_come_first_then_the_oldest_waiting(world: World, signed_in: Any) -> None:
    newer_late = overdue_case(world, hours_late=1)
    older_late = overdue_case(world, hours_late=30)
    fresh = gen_case(world.category, world.studio, at=utcnow() - timedelta(hours=2))
    db.session.commit()
    # world.case was registered just now: the newest of the cases still in time.
    assert listed(signed_in("coordinator").get("/desk/board")) == [
        older_late.id, newer_late.id, fresh.id, world.case.id]


def test_closed_cases_are_not_on_the_board(world: World, signed_in: Any) -> None:
    replied = walk(gen_case(world.category, world.studio), world, "reply")
    archived = walk(gen_case(world.category, world.studio), world, "archive")
    assert replied.status == CaseStatus.REPLIED and archived.status == CaseStatus.ARCHIVED
    db.session.commit()
    desk = signed_in("coordinator")
    assert both(desk) == ([world.case.id], [world.case.id])
    # Asking for a closed status is not a choice on the board: it is ignored, not obeyed.
    assert both(desk, "status=archived") == ([world.case.id], [world.case.id])


def test_a_script_in_a_title_is_text_in_the_list_and_a_json_string_in_the_geojson(
        world: World, signed_in: Any) -> None:
    title = '<script>alert("x")</script>`${1}` \u2028 \\ 完'
    case = gen_case(world.category, world.studio, title=title)
    db.session.commit()
    desk = signed_in("coordinator")
    page = desk.get("/desk/board").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    geojson = desk.get("/desk/board/cases.geojson").get_data(as_text=True)
    features = {f["properties"]["id"]: f for f in json.loads(geojson)["features"]}
    assert features[case.id]["properties"]["title"] == title  # raw: the browser makes it text
    script = (PROJECT / "static/js/board.js").read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "textContent" in script


def test_only_the_desk_sees_the_board(world: World, signed_in: Any, web: Any) -> None:
    volunteer = signed_in("member")
    for path in ("/desk/board", "/desk/board/cases.geojson", "/desk/board/heat.json"):
        assert volunteer.get(path).status_code == 403
        response = web.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert signed_in("admin").get("/desk/board").status_code == 200


def test_bad_filter_values_are_ignored(world: World, signed_in: Any) -> None:
    region2 = gen_region()
    elsewhere = gen_case(world.category, gen_studio(region2))
    db.session.commit()
    desk = signed_in("coordinator")
    query = "status=nonsense&kind=x&category=abc&region=-1&studio=999999&q=" + "长" * 61
    assert both(desk, query + "&page=zz") == ([world.case.id], [world.case.id])
    # An admin without a studio sees every studio unless one is chosen.
    admin = signed_in("admin")
    assert sorted(both(admin)[1]) == sorted([world.case.id, elsewhere.id])


def test_the_list_is_paginated_by_fifty(world: World, signed_in: Any) -> None:
    for number in range(60):
        gen_case(world.category, world.studio, title=f"第{number}个问题")
    db.session.commit()
    desk = signed_in("coordinator")
    first, second = listed(desk.get("/desk/board")), listed(desk.get("/desk/board?page=2"))
    assert len(first) == 50 and len(second) == 11 and not set(first) & set(second)
    assert len(mapped(desk.get("/desk/board/cases.geojson"))) == 61


def test_heat_map_counts_recent_cases_per_cell(world: World, signed_in: Any) -> None:
    spot = {"latitude": 27.86541, "longitude": 112.94682}
    archived = walk(gen_case(world.category, world.studio, **spot), world, "archive")
    gen_case(world.category, world.studio, **{**spot, "latitude": 27.86549})
    gen_case(world.category, world.studio, at=utcnow() - timedelta(days=100),
             latitude=30.0, longitude=110.0)
    db.session.commit()
    assert archived.status == CaseStatus.ARCHIVED
    cells = signed_in("coordinator").get("/desk/board/heat.json").get_json()
    counts = {(lat, lon): n for lat, lon, n in cells}
    assert counts[(27.865, 112.947)] == 2  # the archived one counts: it was registered
    assert (27.866, 112.947) in counts  # world.case, at 27.8655
    assert all(lat < 29 for lat, _lon, _n in cells)  # 100 days old: left out


def test_teams_show_duty_and_open_load(world: World) -> None:
    idle = gen_team(world.region, code="idle")
    gen_user(Role.VOLUNTEER, team=idle).profile.on_duty = False  # type: ignore[union-attr]
    walk(world.case, world, "assign")  # world.team now holds one open case
    walk(gen_case(world.category, world.studio), world, "archive")  # closed: no load
    db.session.commit()
    pins = {pin.name: pin for pin in board.team_pins()}
    assert pins[world.team.name].load == 1 and pins[world.team.name].on_duty
    assert pins[idle.name].load == 0 and not pins[idle.name].on_duty
    volunteers, total = board.volunteer_pins()
    assert total == len(volunteers) >= 3  # the world's captains and members are on duty


def test_board_page_stays_small_with_thousands_of_open_cases(
        world: World, signed_in: Any) -> None:
    """One Folium marker with a popup per case would take ~1.5 kB each (3 MB here); the
    board sends the cases as GeoJSON instead, so its page does not grow with them."""
    now = utcnow()
    rows = [{"tracking_code": secrets.token_hex(6).upper(), "kind": CaseKind.HAZARD,
             "title": f"批量问题{n}", "description": "批量生成", "latitude": 27.8 + n * 1e-5,
             "longitude": 112.9, "address": "", "category_id": world.category.id,
             "studio_id": world.studio.id, "status": CaseStatus.REGISTERED, "version": 1,
             "due_at": now + timedelta(hours=24), "created_at": now, "updated_at": now}
            for n in range(2000)]
    db.session.execute(insert(Case), rows)
    db.session.commit()
    desk = signed_in("coordinator")
    page = desk.get("/desk/board")
    assert page.status_code == 200
    assert len(page.data) < 150_000, len(page.data)
    assert len(mapped(desk.get("/desk/board/cases.geojson"))) == 2001
    # A browser that takes gzip gets the same GeoJSON, many times smaller.
    plain = desk.get("/desk/board/cases.geojson").data
    zipped = desk.get("/desk/board/cases.geojson", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain and len(zipped.data) * 5 < len(plain)


def test_board_query_and_geojson_share_the_filter(world: World) -> None:
    late = overdue_case(world)
    db.session.commit()
    case_filter = CaseFilter(open_only=True, overdue_only=True)
    from dispatch.geo.coords import TileCRS

    collection = json.loads(board.cases_geojson(case_filter, TileCRS.WGS84,
                                                {world.category.id: "x"}))
    assert [f["properties"]["id"] for f in collection["features"]] == [late.id]
    assert collection["features"][0]["properties"]["overdue"] is True
    assert [c.id for c in db.session.scalars(board.board_query(case_filter))] == [late.id]


def test_names_on_the_map_layers_are_escaped(world: World, signed_in: Any) -> None:
    world.team.name_zh = '<script>alert(1)</script>`${team}`'
    world.member.display_name = "<img src=x onerror=alert(2)>"
    db.session.commit()
    page = signed_in("coordinator").get("/desk/board").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    map_part = page[:page.index('id="bulk-form"')]  # the list's team picker is plain HTML
    assert "`${team}`" not in map_part  # would end Folium's template literal
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#96;&#36;{team}&#96;" in page
    # The volunteers travel as JSON inside the script, escaped for the tooltip's HTML.
    assert r"\u0026lt;img src=x onerror=alert(2)\u0026gt;" in page


def test_template_syntax_in_user_text_stays_text_on_every_map(world: World,
                                                              signed_in: Any) -> None:
    """Folium's output was compiled and evaluated again as a Jinja template, so a title or a
    name holding ``{{ … }}`` ran on the server. It must reach the page as typed."""
    from dispatch.geo import maps

    world.team.name_zh = "队{{ 6*7 }}{% if true %}X{% endif %}"
    db.session.commit()
    page = signed_in("coordinator").get("/desk/board").get_data(as_text=True)
    assert "{{ 6*7 }}" in page and "队42" not in page and "{% if true %}" in page
    fmap = maps.base_map(world.case.latitude, world.case.longitude)
    maps.add_marker(fmap, world.case.latitude, world.case.longitude,
                    tooltip="A{{ 7*7 }}B", popup="{{ this.__class__ }}")
    maps.add_circle(fmap, world.case.latitude, world.case.longitude, 50, tooltip="C{{ 8*8 }}D")
    embedded = maps.embed(fmap)
    script = str(embedded.script)
    assert "A{{ 7*7 }}B" in script and "A49B" not in script
    assert "C{{ 8*8 }}D" in script and "C64D" not in script
    assert "{{ this.__class__ }}" in script and "class '" not in script
