"""The duty rota: shifts added and removed on the desk with CSRF, duplicates refused, today
in the display time zone, the public duty page, and new cases told to who is on duty."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import Notification, Role, utcnow
from dispatch.models.desk import DutyShift
from dispatch.services.clock import local
from dispatch.services.responders import rota
from tests.factories import World, gen_case, gen_studio, gen_user


def shifts(world: World) -> list[tuple[int, int, str, str]]:
    db.session.expire_all()
    return [(s.user_id, s.weekday, s.starts, s.ends) for s in db.session.scalars(
        select(DutyShift).where(DutyShift.studio_id == world.studio.id).order_by(DutyShift.id))]


def today() -> int:
    return local(utcnow()).weekday()


def add(world: World, user_id: int, weekday: int, starts: str = "08:30",
        ends: str = "17:30") -> DutyShift:
    shift = DutyShift(studio_id=world.studio.id, user_id=user_id, weekday=weekday,
                      starts=starts, ends=ends)
    db.session.add(shift)
    db.session.commit()
    return shift


def test_a_coordinator_adds_and_removes_a_shift(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    page = desk.get(f"/desk/rota?studio={world.studio.id}")
    assert page.status_code == 200 and world.coordinator2.display_name in page.get_data(True)
    response = desk.post(f"/desk/rota?studio={world.studio.id}", {
        "user_id": world.coordinator2.id, "weekday": 2, "starts": "09:00", "ends": "12:00"})
    assert response.status_code == 302
    assert shifts(world) == [(world.coordinator2.id, 2, "09:00", "12:00")]
    week = desk.get("/desk/rota").get_data(as_text=True)  # the coordinator's own studio
    assert "09:00–12:00" in week
    shift_id = db.session.scalar(select(DutyShift.id))
    assert desk.post(f"/desk/rota/remove?studio={world.studio.id}",
                     {"shift_id": shift_id}).status_code == 302
    assert shifts(world) == []


def test_rota_changes_need_the_csrf_token(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    response = desk.post(f"/desk/rota?studio={world.studio.id}", {
        "user_id": world.coordinator.id, "weekday": 0, "starts": "09:00", "ends": "12:00"},
        token=False)
    assert response.status_code == 400 and shifts(world) == []
    shift = add(world, world.coordinator.id, 0)
    assert desk.post(f"/desk/rota/remove?studio={world.studio.id}", {"shift_id": shift.id},
                     token=False).status_code == 400
    assert len(shifts(world)) == 1


def test_a_second_shift_the_same_day_is_refused_with_a_message(signed_in, world: World
                                                               ) -> None:
    desk = signed_in("coordinator")
    add(world, world.coordinator2.id, 4, "08:30", "12:00")
    response = desk.post(f"/desk/rota?studio={world.studio.id}", {
        "user_id": world.coordinator2.id, "weekday": 4, "starts": "14:00", "ends": "17:00"})
    assert response.status_code == 422
    assert "已在该工作室" in response.get_data(as_text=True) or \
        "already on the rota" in response.get_data(as_text=True)
    assert shifts(world) == [(world.coordinator2.id, 4, "08:30", "12:00")]
    # The page still works after the refused insert was rolled back.
    assert desk.post(f"/desk/rota?studio={world.studio.id}", {
        "user_id": world.coordinator2.id, "weekday": 5, "starts": "14:00", "ends": "17:00"}
    ).status_code == 302


def test_a_shift_must_end_after_it_starts_and_only_studio_people_may_be_put_on(
        signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    backwards = desk.post(f"/desk/rota?studio={world.studio.id}", {
        "user_id": world.coordinator.id, "weekday": 1, "starts": "17:00", "ends": "09:00"})
    assert backwards.status_code == 422
    outsider = desk.post(f"/desk/rota?studio={world.studio.id}", {
        "user_id": world.outsider_captain.id, "weekday": 1, "starts": "09:00", "ends": "12:00"})
    assert outsider.status_code == 422 and shifts(world) == []
    world.team.studio = world.studio  # the team's captain and members belong to the studio
    db.session.commit()
    assert desk.post(f"/desk/rota?studio={world.studio.id}", {
        "user_id": world.captain.id, "weekday": 1, "starts": "09:00", "ends": "12:00"}
    ).status_code == 302


def test_on_duty_today_follows_shanghai_across_midnight_utc(world: World) -> None:
    add(world, world.coordinator.id, 1)  # Tuesday
    monday_late_utc = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)  # Tuesday 00:30 in Shanghai
    monday_evening_utc = datetime(2026, 11, 23, 15, 59, tzinfo=UTC)  # Monday 23:59 there
    assert rota.on_duty_user_ids(world.studio, monday_late_utc) == {world.coordinator.id}
    assert [s.user.display_name for s in rota.on_duty_today(world.studio, monday_late_utc)] \
        == [world.coordinator.display_name]
    assert rota.on_duty_user_ids(world.studio, monday_evening_utc) == set()


def test_the_duty_page_names_todays_people_without_their_phones(web, world: World) -> None:
    world.coordinator.phone = "+8613812345678"
    world.coordinator2.phone = "+8613887654321"
    world.studio.phone = "0731-58261234"
    world.studio.address = "书院路街道党群服务中心二楼"
    db.session.commit()
    add(world, world.coordinator.id, today(), "08:30", "12:00")
    add(world, world.coordinator2.id, (today() + 1) % 7)
    page = web.get("/duty").get_data(as_text=True)
    assert world.coordinator.display_name in page and "08:30–12:00" in page
    assert world.coordinator2.display_name not in page  # on duty tomorrow, not today
    assert "0731-58261234" in page and "书院路街道党群服务中心二楼" in page
    assert "13812345678" not in page and "138****5678" not in page
    assert "/report" in page  # a way to report a problem


def recipients() -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(select(Notification.user_id).where(
        Notification.text.like("%" + "车棚" + "%"))))


def test_a_new_case_is_told_to_the_coordinator_on_duty_only(world: World) -> None:
    db.session.execute(Notification.__table__.delete())
    add(world, world.coordinator2.id, today())
    gen_case(world.category, world.studio)
    db.session.commit()
    assert recipients() == {world.coordinator2.id}


def test_with_nobody_on_duty_every_studio_coordinator_is_told(world: World) -> None:
    db.session.execute(Notification.__table__.delete())
    add(world, world.coordinator2.id, (today() + 3) % 7)
    captain_on_duty = gen_user(Role.CAPTAIN, team=world.team)
    db.session.flush()
    add(world, captain_on_duty.id, today())  # on the rota but not a desk user
    gen_case(world.category, world.studio)
    db.session.commit()
    assert recipients() == {world.coordinator.id, world.coordinator2.id}
    assert db.session.scalar(select(func.count()).select_from(DutyShift)) == 2


def test_only_desk_users_see_or_change_the_rota(signed_in, world: World) -> None:
    field = signed_in("captain")
    assert field.get("/desk/rota").status_code == 403
    assert field.post(f"/desk/rota?studio={world.studio.id}", {
        "user_id": world.captain.id, "weekday": 1, "starts": "09:00", "ends": "12:00"}
    ).status_code == 403
    assert field.get("/desk/import").status_code == 403
    assert shifts(world) == []


def test_the_studio_pickers_offer_only_studios_still_run(signed_in, world: World) -> None:
    retired = gen_studio(world.region, name_zh="已撤销工作室", active=False)
    running = gen_studio(world.region, name_zh="新开工作室")
    db.session.commit()
    desk = signed_in("coordinator")
    for path in ("/desk/rota", "/desk/reception"):
        page = desk.get(path).get_data(as_text=True)
        assert running.name_zh in page and retired.name_zh not in page, path
