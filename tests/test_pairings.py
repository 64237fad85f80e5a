"""Pairings: who may see a household, one member at a time, visits, due dates, hand-over
with the history, and a need found on a visit filed as a case without private data."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch.extensions import db
from dispatch.models import CaseKind, CaseStatus, utcnow
from dispatch.services.errors import InvalidInput, NotPermitted
from dispatch.services.standing import pairings
from tests.factories import World
from tests.pairing_factories import gen_household, gen_pairing


def test_only_coordinators_and_the_paired_member_see_the_household(world: World) -> None:
    pairing = gen_pairing(world.coordinator, world.member)
    household = pairing.household
    assert pairings.may_see(household, world.coordinator)
    assert pairings.may_see(household, world.member)
    for other in (world.volunteer, world.captain, world.outsider_captain):
        assert not pairings.may_see(household, other)
    with pytest.raises(NotPermitted):
        pairings.ensure_may_see(household, world.volunteer)


def test_a_household_has_one_member_at_a_time(world: World) -> None:
    pairing = gen_pairing(world.coordinator, world.member)
    household_id = pairing.household_id
    db.session.commit()
    household = db.session.get(type(pairing.household), household_id)
    with pytest.raises(InvalidInput):
        pairings.pair(household, world.volunteer, 7, world.coordinator)


def test_visits_move_the_due_date_and_overdue_comes_first(world: World) -> None:
    now = utcnow()
    late = gen_pairing(world.coordinator, world.member, rhythm_days=7)
    late.started_at = now - timedelta(days=10)
    fresh = gen_pairing(world.coordinator, world.member, rhythm_days=14)
    db.session.flush()
    mine = pairings.pairings_of(world.member)
    assert [d.pairing.id for d in mine] == [late.id, fresh.id]
    assert mine[0].overdue(now) and not mine[1].overdue(now)
    pairings.log_visit(late.household, world.member, now - timedelta(hours=1),
                       "药快吃完了", "陪同去社区医院开药")
    assert not pairings.due_of(late).overdue(now)


def test_only_the_paired_member_logs_a_visit(world: World) -> None:
    pairing = gen_pairing(world.coordinator, world.member)
    with pytest.raises(NotPermitted):
        pairings.log_visit(pairing.household, world.volunteer, utcnow(), "x", "y")
    with pytest.raises(InvalidInput):
        pairings.log_visit(pairing.household, world.member, utcnow() + timedelta(days=1),
                           "x", "y")


def test_hand_over_keeps_the_history_and_moves_the_access(world: World) -> None:
    pairing = gen_pairing(world.coordinator, world.member)
    household = pairing.household
    pairings.log_visit(household, world.member, utcnow(), "楼道灯坏了", "已登记")
    successor = pairings.hand_over(pairing, world.volunteer, world.coordinator)
    db.session.commit()
    assert successor.member_id == world.volunteer.id
    assert not pairings.may_see(household, world.member)
    assert pairings.may_see(household, world.volunteer)
    assert [v.found for v in household.visits] == ["楼道灯坏了"]
    with pytest.raises(InvalidInput):
        pairings.hand_over(pairing, world.captain, world.coordinator)  # already handed over


def test_a_need_found_becomes_a_wish_case_without_private_data(world: World) -> None:
    pairing = gen_pairing(world.coordinator, world.member)
    visit = pairings.log_visit(pairing.household, world.member, utcnow(),
                               "卫生间扶手松动，老人起身困难", "")
    case = pairings.raise_case(visit, world.member, world.category, "")
    db.session.commit()
    assert case.kind == CaseKind.WISH and case.status == CaseStatus.REGISTERED
    assert case.description == "卫生间扶手松动，老人起身困难"
    assert case.address == "燕庄小区 3号楼"
    assert case.reporter_name is None and case.reporter_phone is None
    assert "502" not in case.description + case.address + case.title
    assert pairings.visit_of_case(case.id).household == pairing.household
    again = pairings.raise_case(db.session.get(type(visit), visit.id), world.member,
                                world.category, "")
    assert again.id == case.id
    with pytest.raises(NotPermitted):
        pairings.raise_case(visit, world.volunteer, world.category, "x")


def test_only_coordinators_add_households(world: World) -> None:
    with pytest.raises(NotPermitted):
        gen_household(world.captain)
    with pytest.raises(InvalidInput):
        gen_household(world.coordinator, contact_phone="12")
