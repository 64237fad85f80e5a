"""A clock on every stage: each category's hours set the deadline of the stage a case is in,
and the time spent in each stage adds up on the case."""

from __future__ import annotations

from datetime import timedelta

from dispatch.extensions import db
from dispatch.models import CaseStatus, utcnow
from dispatch.services.cases import lifecycle, sweeps
from dispatch.services.permissions import Actor
from tests.factories import World, gen_case


def test_each_stage_gets_its_own_deadline_from_the_category(world: World) -> None:
    category, desk = world.category, world.desk()
    category.receive_hours, category.handle_hours, category.reply_hours = 4, 48, 24
    start = utcnow() - timedelta(days=10)
    case = lifecycle.register(kind=world.case.kind, title="路灯不亮", description="天黑看不见",
                              latitude=24.5, longitude=118.0, category=category, at=start)
    assert case.due_at == start + timedelta(hours=4)  # to be received
    lifecycle.receive(case, desk, at=start + timedelta(hours=1))
    assert case.due_at == start + timedelta(hours=1 + 48)  # to be handled
    lifecycle.assign(case, desk, team=world.team, at=start + timedelta(hours=2))
    lifecycle.decline(case, Actor.of(world.captain), note="人手不足",
                      at=start + timedelta(hours=3))
    assert case.due_at == start + timedelta(hours=49)  # a decline buys no time
    lifecycle.assign(case, desk, team=world.team, at=start + timedelta(hours=4))
    for step, hours in (("accept", 5), ("arrive", 6)):
        getattr(lifecycle, step)(case, desk, at=start + timedelta(hours=hours))
    lifecycle.finish(case, desk, note="已修好", at=start + timedelta(hours=10))
    assert case.due_at == start + timedelta(hours=10 + 24)  # to be replied to
    lifecycle.check_work(case, Actor.of(world.captain), at=start + timedelta(hours=11))
    lifecycle.reply(case, desk, "已修好", at=start + timedelta(hours=12))
    assert case.due_at is None and not case.is_overdue  # the resident's turn
    db.session.commit()
    assert (case.seconds_registered, case.seconds_received, case.seconds_handling) == (
        3600, 1 * 3600 + 1 * 3600, 1 * 3600 + 8 * 3600)  # received and handling twice
    assert case.stage_entered_at == start + timedelta(hours=12)


def test_time_in_a_stage_adds_up_across_a_reopening(world: World) -> None:
    desk, start = world.desk(), utcnow() - timedelta(days=5)
    case = gen_case(world.category, world.studio)
    lifecycle.receive(case, desk, at=start)
    lifecycle.assign(case, desk, team=world.team, at=start)
    for step in ("accept", "arrive"):
        getattr(lifecycle, step)(case, desk, at=start)
    lifecycle.finish(case, desk, note="好了", at=start + timedelta(hours=2))
    lifecycle.check_work(case, Actor.of(world.captain), at=start + timedelta(hours=3))
    lifecycle.reply(case, desk, "好了", at=start + timedelta(hours=3))
    lifecycle.give_feedback(case, Actor.resident(), satisfied=False, rating=2,
                            at=start + timedelta(hours=5))
    lifecycle.reopen(case, desk, note="又坏了", at=start + timedelta(hours=6))
    assert case.due_at == start + timedelta(hours=6 + world.category.handle_hours)
    assert case.work_checked_at is None
    lifecycle.accept(case, desk, at=start + timedelta(hours=6))
    lifecycle.arrive(case, desk, at=start + timedelta(hours=6))
    lifecycle.finish(case, desk, note="换了新件", at=start + timedelta(hours=7))
    lifecycle.check_work(case, Actor.of(world.captain), at=start + timedelta(hours=8))
    lifecycle.reply(case, desk, "已换新件", at=start + timedelta(hours=8))
    db.session.commit()
    assert case.seconds_handling == 3 * 3600 + 2 * 3600  # both rounds, until each reply
    assert (case.seconds_replied, case.seconds_feedback) == (2 * 3600, 3600)


def test_a_failed_check_sends_the_work_back_with_a_fresh_handling_clock(world: World) -> None:
    desk, captain = world.desk(), Actor.of(world.captain)
    case = gen_case(world.category, world.studio)
    lifecycle.receive(case, desk)
    lifecycle.assign(case, desk, team=world.team)
    lifecycle.accept(case, captain)
    lifecycle.arrive(case, Actor.of(world.member))
    lifecycle.finish(case, Actor.of(world.member), note="拍了照片")
    lifecycle.return_work(case, captain, note="照片看不清护栏，请补拍")
    db.session.commit()
    assert case.status == CaseStatus.HANDLING and case.assignment_status.value == "accepted"
    assert case.done_at is None and case.done_by_id is None
    assert case.events[-1].note == "照片看不清护栏，请补拍" and not case.events[-1].internal
    assert case.due_at is not None and case.due_at > utcnow() + timedelta(
        hours=world.category.handle_hours - 1)


def test_an_escalated_case_can_escalate_again_in_its_next_stage(world: World) -> None:
    desk = world.desk()
    world.category.receive_hours = 1
    case = lifecycle.register(kind=world.case.kind, title="井盖缺失", description="危险",
                              latitude=24.5, longitude=118.0, category=world.category,
                              studio=world.studio, at=utcnow() - timedelta(days=30))
    assert sweeps.escalate_overdue() == [case.id]
    assert sweeps.escalate_overdue() == []  # once per deadline
    lifecycle.receive(case, desk, at=utcnow() - timedelta(days=20))
    assert case.escalated_at is None and case.is_overdue  # handling is late too
    assert sweeps.escalate_overdue() == [case.id]
    db.session.commit()
    assert [e.action for e in case.events].count("escalate") == 2
