"""Claims (认领): exclusive, visible, fair; released with a reason or when they run out."""

from __future__ import annotations

import io
import re
import threading
from datetime import timedelta

import pytest
import redis
from flask import Flask
from PIL import Image
from rq import Queue, SimpleWorker
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.jobs.periodic import release_expired_claims
from dispatch.models import (
    AssignmentStatus,
    Case,
    CaseEvent,
    CaseKind,
    CaseStatus,
    PhotoStage,
    Role,
    User,
    utcnow,
)
from dispatch.services.cases import claims, lifecycle
from dispatch.services.cases.claims import AlreadyClaimed, ClaimLimitReached
from dispatch.services.errors import IllegalTransition, InvalidInput, NotPermitted
from dispatch.services.permissions import Actor
from tests.conftest import WebClient
from tests.factories import World, gen_case, gen_user


def open_wish(world: World, **kw: object) -> Case:
    wish = gen_case(world.category, kind=CaseKind.WISH, title="帮独居老人换灯泡", **kw)
    lifecycle.receive(wish, world.desk())
    db.session.commit()
    return wish


def actions_of(case: Case) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id)
                                   .order_by(CaseEvent.seq)))


def test_a_volunteer_claims_an_open_wish(world: World) -> None:
    wish = open_wish(world)
    claims.claim(wish, Actor.of(world.volunteer))
    db.session.commit()
    assert (wish.status, wish.assignment_status) == (CaseStatus.HANDLING,
                                                     AssignmentStatus.ACCEPTED)
    assert wish.assigned_volunteer_id == world.volunteer.id
    assert wish.claim_expires_at - wish.claimed_at == timedelta(hours=72)
    assert actions_of(wish)[-1] == "claim"


def test_a_second_claim_is_told_who_holds_it_and_since_when(world: World) -> None:
    wish = open_wish(world)
    claims.claim(wish, Actor.of(world.volunteer))
    db.session.commit()
    before = actions_of(wish)
    with pytest.raises(AlreadyClaimed) as taken:
        claims.claim(wish, Actor.of(world.member))
    db.session.rollback()
    assert world.volunteer.display_name in taken.value.message()
    assert taken.value.http_status == 409 and actions_of(wish) == before


def test_hazards_are_dispatched_not_claimed(world: World) -> None:
    lifecycle.receive(world.case, world.desk())
    with pytest.raises(IllegalTransition) as refused:
        claims.claim(world.case, Actor.of(world.volunteer))
    assert "安全隐患由工作室派单" in refused.value.message()


def test_nobody_hoards_more_than_the_claim_limit(app: Flask, world: World) -> None:
    app.config["MAX_OPEN_CLAIMS"] = 2
    wishes = [open_wish(world) for _ in range(3)]
    me = Actor.of(world.volunteer)
    claims.claim(wishes[0], me)
    claims.claim(wishes[1], me)
    db.session.commit()
    with pytest.raises(ClaimLimitReached):
        claims.claim(wishes[2], me)
    db.session.rollback()
    assert wishes[2].status == CaseStatus.RECEIVED and actions_of(wishes[2])[-1] == "receive"
    claims.release(wishes[0], me, "临时出差")
    claims.claim(wishes[2], me)  # a slot is free again
    assert claims.open_claims_of(world.volunteer.id) == 2


def test_release_needs_a_reason_and_reopens_the_wish(world: World) -> None:
    wish = open_wish(world)
    me = Actor.of(world.volunteer)
    claims.claim(wish, me)
    with pytest.raises(InvalidInput):
        claims.release(wish, me, "  ")
    claims.release(wish, me, "家里有事，这周去不了")
    db.session.commit()
    assert (wish.status, wish.assigned_volunteer_id, wish.claimed_at) == (
        CaseStatus.RECEIVED, None, None)
    assert actions_of(wish)[-1] == "release"
    with pytest.raises(NotPermitted):
        claims.claim(wish, Actor.of(world.member))
        claims.release(wish, Actor.of(world.volunteer), "不是我的")


def test_a_claim_can_be_extended_once(world: World) -> None:
    wish = open_wish(world)
    me = Actor.of(world.volunteer)
    claims.claim(wish, me)
    first_deadline = wish.claim_expires_at
    claims.extend(wish, me)
    db.session.commit()
    assert wish.claim_expires_at - first_deadline == timedelta(hours=72)
    with pytest.raises(IllegalTransition):
        claims.extend(wish, me)
    with pytest.raises(NotPermitted):
        claims.extend(wish, Actor.of(world.member))


def test_expired_claims_are_released_by_a_real_worker(app: Flask, world: World,
                                                      redis_url: str) -> None:
    wish, fresh = open_wish(world), open_wish(world)
    claims.claim(wish, Actor.of(world.volunteer), at=utcnow() - timedelta(days=4))
    claims.claim(fresh, Actor.of(world.member))
    db.session.commit()
    queue = Queue("default", connection=redis.Redis.from_url(redis_url))
    job = queue.enqueue(release_expired_claims)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert job.return_value() == [wish.id]
    db.session.expire_all()
    assert wish.status == CaseStatus.RECEIVED and fresh.status == CaseStatus.HANDLING
    last = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == wish.id)
                              .order_by(CaseEvent.seq.desc())).first()
    assert last is not None and (last.action, last.actor_role) == ("expire_claim", "system")
    assert claims.release_expired() == []  # running it again changes nothing


def test_a_far_check_in_is_recorded_and_flagged_not_refused(world: World) -> None:
    wish = open_wish(world)
    me = Actor.of(world.volunteer)
    claims.claim(wish, me)
    lifecycle.arrive(wish, me, latitude=wish.latitude + 0.02, longitude=wish.longitude)
    db.session.commit()
    assert wish.assignment_status == AssignmentStatus.ON_SITE
    assert wish.checkin_distance_m is not None and wish.checkin_distance_m > 2000
    assert "已标记" in wish.events[-1].text
    near = open_wish(world)
    claims.claim(near, Actor.of(world.member))
    lifecycle.arrive(near, Actor.of(world.member), latitude=near.latitude + 0.001,
                     longitude=near.longitude)
    assert "已标记" not in near.events[-1].text


def test_concurrent_claims_from_real_connections_have_one_winner(app: Flask,
                                                                 world: World) -> None:
    wish = open_wish(world)
    extra = [gen_user(Role.VOLUNTEER) for _ in range(3)]
    db.session.commit()
    volunteers = [world.volunteer.id, world.member.id, world.captain.id]
    volunteers += [user.id for user in extra]
    barrier = threading.Barrier(len(volunteers))
    outcomes: list[str] = []

    def try_claim(user_id: int) -> None:
        with app.app_context():
            case = db.session.get(Case, wish.id)
            actor = Actor.of(db.session.get(User, user_id))  # type: ignore[arg-type]
            barrier.wait(10)
            try:
                claims.claim(case, actor)  # type: ignore[arg-type]
                db.session.commit()
                outcomes.append("won")
            except AlreadyClaimed:
                db.session.rollback()
                outcomes.append("taken")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=try_claim, args=(uid,)) for uid in volunteers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["taken"] * (len(volunteers) - 1) + ["won"]
    assert actions_of(wish).count("claim") == 1


def test_concurrent_http_claims_one_wins_the_others_see_the_holder(app: Flask, signed_in,
                                                                   world: World) -> None:
    wish = open_wish(world)
    clients = [signed_in(name) for name in ("volunteer", "member", "captain",
                                             "outsider_captain")]
    tokens = [client.csrf("/v/") for client in clients]
    barrier = threading.Barrier(len(clients))
    responses: list[tuple[int, str]] = []

    def post(client: WebClient, token: str) -> None:
        barrier.wait(10)
        with app.app_context():
            response = client.client.post(f"/v/cases/{wish.id}/actions/claim", data={
                "csrf_token": token, "claim-version": str(wish.version)})
        responses.append((response.status_code, response.get_data(as_text=True)))

    threads = [threading.Thread(target=post, args=pair) for pair in zip(clients, tokens,
                                                                         strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    codes = sorted(code for code, _ in responses)
    assert codes == [302, 409, 409, 409], codes
    db.session.expire_all()
    holder = db.session.get(User, wish.assigned_volunteer_id)
    assert holder is not None
    assert all(holder.display_name in body for code, body in responses if code == 409)
    assert actions_of(wish).count("claim") == 1


def test_finishing_on_the_phone_with_an_after_photo(signed_in, world: World) -> None:
    wish = open_wish(world)
    claims.claim(wish, Actor.of(world.volunteer))
    lifecycle.arrive(wish, Actor.of(world.volunteer))
    db.session.commit()
    phone = signed_in("volunteer")
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 160, 90)).save(buffer, "JPEG")
    response = phone.post(f"/v/cases/{wish.id}/actions/finish", {
        "finish-version": str(wish.version), "finish-note": "灯泡已换好，老人试过开关。",
        "finish-photos": [(io.BytesIO(buffer.getvalue()), "after.jpg")]},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert wish.assignment_status == AssignmentStatus.DONE and wish.done_at is not None
    assert [p.stage for p in wish.photos] == [PhotoStage.AFTER]


def test_a_volunteer_sees_the_residents_phone_only_on_accepted_work(signed_in,
                                                                     world: World) -> None:
    lifecycle.receive(world.case, world.desk())
    lifecycle.assign(world.case, world.desk(), team=world.team)
    db.session.commit()
    captain = signed_in("captain")
    page = captain.get("/v/").get_data(as_text=True)
    assert "138****5678" in page and "13812345678" not in page
    captain.post(f"/v/cases/{world.case.id}/actions/accept",
                 {"accept-version": str(world.case.version)})
    page = captain.get("/v/").get_data(as_text=True)
    assert "13812345678" in page


def test_volunteers_cannot_act_on_others_work_or_take_desk_steps(signed_in,
                                                                world: World) -> None:
    wish = open_wish(world)
    claims.claim(wish, Actor.of(world.volunteer))
    db.session.commit()
    other = signed_in("member")
    assert other.post(f"/v/cases/{wish.id}/actions/release",
                      {"release-version": str(wish.version),
                       "release-note": "抢过来"}).status_code == 403
    assert other.post(f"/v/cases/{wish.id}/actions/reply",
                      {"reply-version": str(wish.version)}).status_code == 403
    assert other.post(f"/v/cases/{wish.id}/extend").status_code == 403


def test_the_volunteer_page_lists_open_wishes_nearest_first(signed_in, world: World) -> None:
    far = open_wish(world, latitude=27.90, longitude=112.95)
    near = open_wish(world, latitude=27.8625, longitude=112.9525)
    page = signed_in("volunteer").get("/v/?lat=27.862&lon=112.952").get_data(as_text=True)
    positions = [m.start() for m in re.finditer(r'class="work-card claimable" data-case="(\d+)"',
                                                page)]
    ids = re.findall(r'class="work-card claimable" data-case="(\d+)"', page)
    assert ids[:2] == [str(near.id), str(far.id)] and len(positions) == 2
