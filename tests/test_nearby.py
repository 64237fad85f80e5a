"""Issue 13 item 9: "near me" and the assignment list stay near. The volunteer's list keeps
to a radius (``NEARBY_KM``), the coordinator's dropdown lists teams and volunteers of the
case's own city nearest first, and the demo volunteer has open wishes within reach."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.geo.spatial import sphere_m
from dispatch.models import Case, CaseKind, User
from dispatch.services.responders import suggest as dispatching
from tests.conftest import WebClient
from tests.factories import World, gen_case, gen_team, take_step

HAIKOU_LIKE = (24.48, 118.03)  # ~630 km from the world's studio (Xiamen's latitude)
CARD = re.compile(r'<article class="work-card claimable" data-case="(\d+)">')


def _open_wish(world: World, lat: float, lon: float) -> Case:
    wish = gen_case(world.category, world.studio, kind=CaseKind.WISH, latitude=lat,
                    longitude=lon, title="帮忙买菜")
    take_step(wish, "receive", world)
    return wish


def _listed(client: WebClient, path: str = "/v/") -> list[int]:
    return [int(n) for n in CARD.findall(client.get(path).get_data(as_text=True))]


def test_near_me_leaves_out_work_beyond_the_radius_and_says_how_far_it_looks(
        app: Flask, world: World, signed_in) -> None:  # type: ignore[no-untyped-def]
    base = (world.member.profile.latitude, world.member.profile.longitude)
    near = _open_wish(world, base[0] + 0.01, base[1])  # ~1.1 km
    middle = _open_wish(world, base[0] + 0.03, base[1])  # ~3.3 km
    far = _open_wish(world, *HAIKOU_LIKE)
    db.session.commit()
    client = signed_in("member")
    assert _listed(client) == [near.id, middle.id]
    assert far.id not in _listed(client)
    app.config["NEARBY_KM"] = 2
    page = client.get("/v/").get_data(as_text=True)
    assert _listed(client) == [near.id] and "2 公里以内" in page
    app.config["NEARBY_KM"] = 0.5
    page = client.get("/v/").get_data(as_text=True)
    assert _listed(client) == [] and "目前 0.5 公里内没有可认领的微心愿或任务" in page


def test_the_assignment_dropdown_offers_no_team_in_another_city(world: World) -> None:
    elsewhere = gen_team(world.region, latitude=HAIKOU_LIKE[0], longitude=HAIKOU_LIKE[1])
    nearer = gen_team(world.region, latitude=world.case.latitude + 0.002,
                      longitude=world.case.longitude)
    take_step(world.case, "receive", world)
    db.session.commit()
    choices = dispatching.candidates(world.case)
    keys = [c.key for c in choices]
    assert f"team:{elsewhere.id}" not in keys
    assert f"team:{nearer.id}" in keys and f"team:{world.team.id}" in keys
    distances = [c.distance_m for c in choices]
    assert distances == sorted(distances)  # nearest first, teams and volunteers together
    assert all(d is not None and d <= 30_000 for d in distances)  # no far team to pad it
    suggested = [s.key for s in dispatching.suggest(world.case, limit=10)]
    assert f"team:{elsewhere.id}" not in suggested


def test_a_case_far_from_every_team_still_offers_the_nearest_few(world: World) -> None:
    lonely = gen_case(world.category, world.studio, latitude=HAIKOU_LIKE[0] + 1,
                      longitude=HAIKOU_LIKE[1])
    take_step(lonely, "receive", world)
    db.session.commit()
    teams = [c for c in dispatching.candidates(lonely) if c.is_team]
    assert 1 <= len(teams) <= dispatching.MIN_TEAMS  # never an empty list
    local = gen_team(world.region, latitude=lonely.latitude + 0.01, longitude=lonely.longitude)
    db.session.commit()
    teams = [c.key for c in dispatching.candidates(lonely) if c.is_team]
    assert teams == [f"team:{local.id}"]  # one team near: no far one to pad the list


def test_the_demo_volunteer_lives_near_open_wishes(app: Flask) -> None:
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    volunteer = db.session.scalar(select(User).where(User.username == "volunteer"))
    assert volunteer is not None and volunteer.profile is not None
    base = (volunteer.profile.latitude, volunteer.profile.longitude)
    client = WebClient(app)
    assert client.login("volunteer").status_code == 302
    listed = _listed(client)
    cases = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_(listed)))}
    wishes = [cases[i] for i in listed if cases[i].kind == CaseKind.WISH]
    assert len(wishes) >= 2, "the demo volunteer should have open wishes to claim"
    radius_m = app.config["NEARBY_KM"] * 1000
    assert all(sphere_m(*base, c.latitude, c.longitude) <= radius_m for c in cases.values())
