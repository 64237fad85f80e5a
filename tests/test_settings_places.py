"""The studios' and service points' settings pages: who may change which (admins any, a
coordinator their own studio and its region's points, field roles nothing), every change
audited with before and after, a stale form refused naming what changed, bad input kept
and explained in the user's language, retiring refused while a studio is in use."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import AuditEntry, Role, ServicePoint, ServicePointKind, Studio
from dispatch.services.desk import board
from tests.conftest import WebClient
from tests.factories import World, gen_region, gen_studio, gen_user


def _studio(world: World, **kw: Any) -> dict[str, Any]:
    studio = world.studio
    fields = {"version": studio.version, "name_zh": studio.name_zh, "name_en": studio.name_en,
              "region_id": str(studio.region_id), "address": "天鹤路1号",
              "phone": "0731-5555 1234", "latitude": "27.861", "longitude": "112.951",
              "service_radius_km": "2.5", **{f"hours_{d}": "09:00-12:00,14:30-17:30"
                                             for d in range(5)},
              "hours_5": "09:00-12:00", "hours_6": ""}
    fields.update(kw)
    return fields


def _point(world: World, **kw: Any) -> dict[str, Any]:
    fields = {"version": 1, "code": "rest-1", "kind": "rest_station", "name_zh": "暖蜂益站一号",
              "name_en": "Warm Bee 1", "region_id": str(world.region.id), "address": "天鹤路",
              "latitude": "27.862", "longitude": "112.952", "hours_0": "08:00-20:00"}
    fields.update(kw)
    return fields


def _fresh(model: Any, row_id: int) -> Any:
    db.session.expire_all()
    return db.session.get(model, row_id)


def test_a_coordinator_edits_their_studio_and_the_audit_log_says_so(signed_in, world: World
                                                                    ) -> None:
    desk = signed_in("coordinator")
    url = f"/desk/settings/studios/{world.studio.id}"
    assert desk.get(url).status_code == 200
    assert desk.post(url, _studio(world)).status_code == 302
    studio = _fresh(Studio, world.studio.id)
    assert studio.phone == "0731-5555 1234" and studio.service_radius_km == 2.5
    assert studio.opening_hours["0"] == "09:00-12:00,14:30-17:30"
    assert "6" not in studio.opening_hours and studio.version == 2
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "studio.update"))
    assert entry is not None and entry.actor_id == world.coordinator.id
    assert entry.before["phone"] == "" and entry.after["phone"] == "0731-5555 1234"
    assert "name_zh" not in entry.after  # only what changed
    page = desk.get("/desk/settings/studios").get_data(as_text=True)
    assert "0731-5555 1234" in page and 'data-testid="audit-log"' in page


def test_a_coordinator_of_another_studio_gets_403(app, world: World) -> None:
    other = gen_user(Role.COORDINATOR, studio=gen_studio(world.region))
    db.session.commit()
    client = WebClient(app)
    client.login(other.username)
    url = f"/desk/settings/studios/{world.studio.id}"
    assert client.get(url).status_code == 403
    assert client.post(url, _studio(world, phone="110")).status_code == 403
    assert client.get("/desk/settings/studios/new").status_code == 403
    assert _fresh(Studio, world.studio.id).phone == ""


@pytest.mark.parametrize("who", ["volunteer", "captain"])
def test_field_roles_cannot_reach_the_settings(signed_in, world: World, who: str) -> None:
    client = signed_in(who)
    for path in ("/desk/settings/studios", "/desk/settings/service-points",
                 f"/desk/settings/studios/{world.studio.id}"):
        assert client.get(path).status_code == 403
    assert client.post(f"/desk/settings/studios/{world.studio.id}", _studio(world)
                       ).status_code == 403


def test_a_second_editor_sees_what_changed_and_nothing_is_overwritten(signed_in,
                                                                      world: World) -> None:
    desk, admin = signed_in("coordinator"), signed_in("admin")
    url = f"/desk/settings/studios/{world.studio.id}"
    assert desk.post(url, _studio(world, phone="0731-1111111")).status_code == 302
    response = admin.post(url, _studio(world, address="别的地址"))  # shown at version 1
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and 'data-testid="stale"' in page
    assert 'data-field="phone"' in page and "0731-1111111" in page
    assert world.coordinator.display_name in page
    assert 'value="别的地址"' in page  # what the second editor typed stays
    studio = _fresh(Studio, world.studio.id)
    assert studio.phone == "0731-1111111" and studio.address == "天鹤路1号"


@pytest.mark.parametrize(("field", "value"), [
    ("latitude", "91"), ("latitude", "NaN"), ("longitude", "1e300"), ("latitude", "inf"),
    ("phone", "call me"), ("phone", "12"), ("hours_0", "9-5"), ("hours_1", "17:00-09:00"),
    ("hours_2", "09:00-12:00,11:00-13:00"), ("service_radius_km", "NaN"),
    ("service_radius_km", "1e300"), ("name_zh", "  "), ("region_id", "99999999999999"),
    ("version", "99999999999999999999"),
])
def test_bad_input_is_a_form_error_with_what_was_typed(signed_in, world: World, field: str,
                                                       value: str) -> None:
    desk = signed_in("coordinator")
    response = desk.post(f"/desk/settings/studios/{world.studio.id}",
                         _studio(world, address="保留的地址", **{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("invalid-feedback" if field != "version" else 'data-testid="form-damaged"') in page
    assert 'value="保留的地址"' in page
    assert _fresh(Studio, world.studio.id).version == 1


def test_errors_are_in_english_for_an_english_desk(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    desk.post("/language", {"lang": "en", "next": "/"})
    page = desk.post(f"/desk/settings/studios/{world.studio.id}",
                     _studio(world, phone="call me", hours_0="9 to 5")).get_data(as_text=True)
    assert "This is not a phone number." in page and "is not." in page
    desk.post("/language", {"lang": "zh", "next": "/"})
    page = desk.post(f"/desk/settings/studios/{world.studio.id}",
                     _studio(world, phone="call me")).get_data(as_text=True)
    assert "这不是电话号码" in page


def test_a_nul_byte_is_refused_with_a_message(signed_in, world: World) -> None:
    response = signed_in("coordinator").post(f"/desk/settings/studios/{world.studio.id}",
                                             _studio(world, address="a\x00b"))
    assert response.status_code == 400
    assert signed_in("admin").get("/desk/settings/studios/99999999999").status_code == 404


def test_an_admin_creates_a_studio_and_a_taken_code_is_refused(signed_in, world: World
                                                               ) -> None:
    admin = signed_in("admin")
    fields = _studio(world, code="north", name_zh="北区工作室", version=1)
    assert admin.post("/desk/settings/studios/new", fields).status_code == 302
    studio = db.session.scalar(select(Studio).where(Studio.code == "north"))
    assert studio is not None and studio.opening_hours["5"] == "09:00-12:00"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "studio.create"))
    again = admin.post("/desk/settings/studios/new", fields)
    assert again.status_code == 422 and "北区工作室" in again.get_data(as_text=True)
    assert signed_in("coordinator").post("/desk/settings/studios/new", fields
                                         ).status_code == 403


def test_retiring_a_studio_in_use_is_refused_with_the_reason(signed_in, world: World) -> None:
    admin = signed_in("admin")
    url = f"/desk/settings/studios/{world.studio.id}/retire"
    response = admin.post(url, {"version": world.studio.version})
    assert response.status_code == 409 and 'data-testid="refused"' in response.get_data(
        as_text=True)
    assert _fresh(Studio, world.studio.id).active
    empty = gen_studio(world.region)
    db.session.commit()
    assert signed_in("coordinator").post(f"/desk/settings/studios/{empty.id}/retire",
                                         {"version": 1}).status_code == 403
    assert admin.post(f"/desk/settings/studios/{empty.id}/retire", {"version": 1}
                      ).status_code == 302
    assert not _fresh(Studio, empty.id).active
    assert admin.post(f"/desk/settings/studios/{empty.id}/reactivate", {"version": 2}
                      ).status_code == 302
    assert _fresh(Studio, empty.id).active


def test_a_coordinator_adds_a_point_in_their_region_and_retires_it(signed_in, world: World
                                                                   ) -> None:
    desk = signed_in("coordinator")
    assert desk.get("/desk/settings/service-points/new").status_code == 200
    assert desk.post("/desk/settings/service-points/new", _point(world)).status_code == 302
    point = db.session.scalar(select(ServicePoint).where(ServicePoint.code == "rest-1"))
    assert point is not None and point.kind is ServicePointKind.REST_STATION
    assert point.opening_hours == {"0": "08:00-20:00"} and point in board.service_points()
    url = f"/desk/settings/service-points/{point.id}"
    assert desk.post(url, _point(world, version=1, open_24h="y", name_zh="暖蜂益站")
                     ).status_code == 302
    point = _fresh(ServicePoint, point.id)
    assert point.open_24h and point.opening_hours == {} and point.version == 2
    assert desk.post(f"{url}/retire", {"version": 2}).status_code == 302
    assert not _fresh(ServicePoint, point.id).active
    assert point.id not in {p.id for p in board.service_points()}
    listing = desk.get("/desk/settings/service-points").get_data(as_text=True)
    assert "暖蜂益站" in listing
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.target == f"service_point:{point.id}")).all()
    assert sorted(actions) == ["service_point.create", "service_point.update",
                               "service_point.update"]


def test_a_point_outside_the_coordinators_region_is_theirs_to_see_not_change(
        signed_in, world: World) -> None:
    elsewhere = gen_region()
    db.session.flush()
    point = ServicePoint(code="far", kind=ServicePointKind.CHARGING_PILE, region=elsewhere,
                         name_zh="远处充电桩", name_en="Far pile", latitude=27.9,
                         longitude=112.9)
    db.session.add(point)
    db.session.commit()
    desk = signed_in("coordinator")
    assert "远处充电桩" in desk.get("/desk/settings/service-points").get_data(as_text=True)
    assert desk.get(f"/desk/settings/service-points/{point.id}").status_code == 403
    assert desk.post(f"/desk/settings/service-points/{point.id}/retire", {"version": 1}
                     ).status_code == 403
    refused = desk.post("/desk/settings/service-points/new",
                        _point(world, region_id=str(elsewhere.id)))
    assert refused.status_code == 422
    assert signed_in("admin").post(f"/desk/settings/service-points/{point.id}",
                                   _point(world, version=1, region_id=str(elsewhere.id))
                                   ).status_code == 302


def test_a_stale_point_form_names_the_changed_fields(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    desk.post("/desk/settings/service-points/new", _point(world))
    point = db.session.scalar(select(ServicePoint).where(ServicePoint.code == "rest-1"))
    url = f"/desk/settings/service-points/{point.id}"
    assert desk.post(url, _point(world, version=1, hours_0="07:00-21:00")).status_code == 302
    response = signed_in("admin").post(url, _point(world, version=1, kind="elder_canteen"))
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and 'data-field="opening_hours"' in page
    assert _fresh(ServicePoint, point.id).kind is ServicePointKind.REST_STATION


@pytest.mark.parametrize(("field", "value"), [
    ("kind", "spaceship"), ("latitude", "-91"), ("longitude", "nan"), ("hours_3", "25:00-26:00"),
    ("code", "has space"), ("name_zh", ""),
])
def test_bad_point_input_is_a_form_error(signed_in, world: World, field: str, value: str
                                         ) -> None:
    response = signed_in("coordinator").post("/desk/settings/service-points/new",
                                             _point(world, address="留着", **{field: value}))
    assert response.status_code == 422 and 'value="留着"' in response.get_data(as_text=True)
    assert db.session.scalar(select(ServicePoint)) is None


def test_a_new_case_goes_to_the_studio_whose_area_holds_it_never_a_retired_one(
        world: World) -> None:
    from dispatch.services.responders.studios import serving_studio
    # world.studio is at (27.861, 112.951) with the default 3 km; a nearer one serving 100 m.
    near = gen_studio(world.region, latitude=27.8655, longitude=112.9470,
                      service_radius_km=0.1)
    db.session.flush()
    assert serving_studio(27.8655, 112.9470) is near  # inside both: the nearest
    assert serving_studio(27.8640, 112.9480) is world.studio  # outside near's 100 m
    near.active = False
    world.studio.active = False
    db.session.flush()
    assert serving_studio(27.8655, 112.9470) is None


def test_two_editors_at_the_same_moment_one_wins_and_one_is_told(app, world: World) -> None:
    """Two real connections read the studio at version 1 and save at once: the first
    UPDATE holds the row until it commits, the second then matches nothing."""
    import threading

    from dispatch.models import User
    from dispatch.services.desk import studio_settings
    from dispatch.services.desk.versioned import StaleSetting
    from dispatch.views.desk.studio_settings import form_data

    values = form_data(studio_settings.values_of(world.studio))
    read, go, hold = threading.Event(), threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def edit(name: str, user_id: int, phone: str, holding: bool) -> threading.Thread:
        def run() -> None:
            with app.app_context():
                try:
                    studio = db.session.get(Studio, world.studio.id)
                    user = db.session.get(User, user_id)
                    read.set()
                    go.wait(10)
                    studio_settings.update_studio(studio, user, 1, {**values, "phone": phone,
                                                                     "region_id": studio.region_id})
                    if holding:
                        hold.wait(2)
                    db.session.commit()
                    results[name] = "won"
                except StaleSetting as stale:
                    db.session.rollback()
                    results[name] = stale
                finally:
                    db.session.remove()
        thread = threading.Thread(target=run)
        thread.start()
        return thread

    first = edit("first", world.coordinator.id, "0731-1111111", holding=True)
    read.wait(10)
    go.set()
    second = edit("second", world.admin.id, "0731-2222222", holding=False)
    second.join(1)  # on PostgreSQL it waits for the first's row lock; SQLite is serialised
    hold.set()
    first.join(10)
    second.join(10)
    outcomes = sorted(type(r).__name__ if not isinstance(r, str) else r for r in results.values())
    assert outcomes == ["StaleSetting", "won"], results
    studio = _fresh(Studio, world.studio.id)
    assert studio.version == 2 and studio.phone in ("0731-1111111", "0731-2222222")
    assert len(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "studio.update")).all()) == 1


def test_the_desk_menu_marks_settings_on_every_settings_page(signed_in) -> None:
    desk = signed_in("admin")
    for path in ("/desk/settings/studios", "/desk/settings/service-points",
                 "/desk/settings/replies", "/desk/settings/teams", "/desk/settings/users"):
        page = desk.get(path).get_data(as_text=True)
        assert 'class="active" href="/desk/settings/categories" aria-current="true"' in page, path
    cases = desk.get("/desk/cases")
    assert cases.status_code == 200
    assert 'href="/desk/settings/categories" aria-current' not in cases.get_data(as_text=True)
