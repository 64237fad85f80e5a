"""The case lifecycle: every legal step, every illegal one, and who may take them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import AssignmentStatus, Case, CaseEvent, CaseStatus, Outcome
from dispatch.models.vocabulary import TRANSITIONS
from dispatch.services.cases import lifecycle
from dispatch.services.errors import Conflict, IllegalTransition, InvalidInput, NotPermitted
from dispatch.services.permissions import Actor, allowed_actions
from tests.factories import World, gen_case, take_step, walk

S, A = CaseStatus, AssignmentStatus

# Every state a case can be in, and how to reach it from a fresh case.
STATES: dict[str, tuple[str | None, dict[str, Any]]] = {
    "registered": (None, {}),
    "received": ("receive", {}),
    "assigned": ("assign", {}),
    "accepted": ("accept", {}),
    "on_site": ("arrive", {}),
    "done": ("finish", {}),
    "checked": ("check_work", {}),
    "replied": ("reply", {}),
    "feedback_satisfied": ("give_feedback", {}),
    "feedback_unsatisfied": ("give_feedback", {"satisfied": False, "rating": 2}),
    "archived": ("archive", {}),
}


def reach(world: World, state: str) -> Case:
    until, feedback = STATES[state]
    case = world.case
    if until:
        walk(case, world, until, **feedback)
    db.session.commit()
    return case


def legal_in(state: str) -> set[str]:
    case_status = {"registered": (S.REGISTERED, None), "received": (S.RECEIVED, None),
                   "assigned": (S.HANDLING, A.ASSIGNED), "accepted": (S.HANDLING, A.ACCEPTED),
                   "on_site": (S.HANDLING, A.ON_SITE), "done": (S.HANDLING, A.DONE),
                   "checked": (S.HANDLING, A.DONE),
                   "replied": (S.REPLIED, None), "feedback_satisfied": (S.FEEDBACK, None),
                   "feedback_unsatisfied": (S.FEEDBACK, None),
                   "archived": (S.ARCHIVED, None)}[state]
    legal = {a for a, t in TRANSITIONS.items() if t.applies_to(*case_status)}
    if state == "feedback_satisfied":
        legal.discard("reopen")
    if state == "done":
        legal.discard("reply")  # not before a second person checked the work
    if state == "checked":
        legal.discard("check_work")  # once is enough
        legal.discard("return_work")  # and a passed check is not failed afterwards
    return legal - CLAIM_STEPS


# Claims need a micro-wish, a claim, or a claim that ran out: tests/test_claims.py.
CLAIM_STEPS = {"claim", "release", "expire_claim"}
STATUS_OF = {"registered": (S.REGISTERED, None), "received": (S.RECEIVED, None),
             "assigned": (S.HANDLING, A.ASSIGNED), "accepted": (S.HANDLING, A.ACCEPTED),
             "on_site": (S.HANDLING, A.ON_SITE), "done": (S.HANDLING, A.DONE),
             "checked": (S.HANDLING, A.DONE), "replied": (S.REPLIED, None),
             "feedback_satisfied": (S.FEEDBACK, None),
             "feedback_unsatisfied": (S.FEEDBACK, None), "archived": (S.ARCHIVED, None)}


def snapshot(case: Case) -> tuple[Any, ...]:
    db.session.expire_all()
    fresh = db.session.get(Case, case.id)
    assert fresh is not None
    events = db.session.scalar(select(func.count()).where(CaseEvent.case_id == case.id))
    return (fresh.status, fresh.assignment_status, fresh.version, fresh.assigned_team_id,
            fresh.outcome, fresh.reply_text, events)


def test_register_writes_the_first_ledger_line(world: World) -> None:
    case = world.case
    assert case.status == S.REGISTERED and case.version == 1
    assert len(case.tracking_code) == 10
    assert case.reporter_phone == "+8613812345678"  # stored normalised
    assert [(e.seq, e.action, e.from_status, e.to_status) for e in case.events] == [
        (1, "register", None, S.REGISTERED)]
    assert case.due_at == case.created_at + __import__("datetime").timedelta(
        hours=world.category.receive_hours)  # the clock of the first stage: receiving


def test_tracking_codes_are_unguessable_and_distinct(world: World) -> None:
    codes = {gen_case(world.category).tracking_code for _ in range(50)}
    assert len(codes) == 50
    assert all(set(code) <= set(lifecycle.TRACKING_ALPHABET) for code in codes)


def test_walking_the_six_steps_writes_one_event_per_step(world: World) -> None:
    case = walk(world.case, world, "archive")
    db.session.commit()
    assert (case.status, case.outcome) == (S.ARCHIVED, Outcome.RESOLVED)
    trail = [(e.seq, e.action, e.from_status, e.to_status, e.to_assignment)
             for e in case.events]
    assert trail == [
        (1, "register", None, S.REGISTERED, None),
        (2, "receive", S.REGISTERED, S.RECEIVED, None),
        (3, "assign", S.RECEIVED, S.HANDLING, A.ASSIGNED),
        (4, "accept", S.HANDLING, S.HANDLING, A.ACCEPTED),
        (5, "arrive", S.HANDLING, S.HANDLING, A.ON_SITE),
        (6, "finish", S.HANDLING, S.HANDLING, A.DONE),
        (7, "check_work", S.HANDLING, S.HANDLING, A.DONE),
        (8, "reply", S.HANDLING, S.REPLIED, None),
        (9, "give_feedback", S.REPLIED, S.FEEDBACK, None),
        (10, "archive", S.FEEDBACK, S.ARCHIVED, None),
    ]
    assert case.version == 10
    checker = world.coordinator2.id  # the second person
    assert [e.actor_id for e in case.events[1:]] == [
        world.coordinator.id] * 5 + [checker] + [world.coordinator.id] * 3


LEGAL = sorted((state, action) for state in STATES for action in legal_in(state))


@pytest.mark.parametrize(("state", "action"), LEGAL)
def test_every_legal_transition_moves_the_case_and_writes_one_event(
        world: World, state: str, action: str) -> None:
    case = reach(world, state)
    before = snapshot(case)
    actor = Actor.of(world.captain) if action == "decline" else None
    take_step(case, action, world, actor=actor,
              **({"team": world.outsider_team} if action == "reassign" else {}))
    db.session.commit()
    after = snapshot(case)
    transition = TRANSITIONS[action]
    assert (after[0], after[1]) == (transition.to_status, transition.to_assignment)
    assert after[2] == before[2] + 1  # version
    # mark_duplicate also writes one line on the original case, not on this one
    assert after[-1] == before[-1] + 1
    last = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                              .order_by(CaseEvent.seq.desc())).first()
    assert last is not None and (last.action, last.seq) == (action, after[2])


ILLEGAL = sorted((state, action) for state in STATES for action in TRANSITIONS
                 if action not in legal_in(state)
                 and not (action in CLAIM_STEPS
                          and TRANSITIONS[action].applies_to(*STATUS_OF[state])))


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_every_illegal_transition_is_refused_and_changes_nothing(
        world: World, state: str, action: str) -> None:
    case = reach(world, state)
    before = snapshot(case)
    with pytest.raises(IllegalTransition) as raised:
        take_step(case, action, world)
    db.session.rollback()
    assert raised.value.http_status == 409
    assert raised.value.message()  # a sentence for the user, not a code
    assert snapshot(case) == before


# Who may take each step, beyond the coordinator (actors named as World attributes).
PERMITTED = {
    "auto_confirm": set(),  # only the system, never a person
    "accept": {"coordinator", "admin", "captain"},
    "decline": {"captain"},
    "arrive": {"coordinator", "admin", "captain", "member"},
    "finish": {"coordinator", "admin", "captain", "member"},
    "give_feedback": {"coordinator", "admin", "resident"},
    # the coordinator recorded the work as done, so someone else checks it (see below)
    "check_work": {"admin", "captain"},
    "return_work": {"coordinator", "admin", "captain"},
}
ACTORS = ["coordinator", "admin", "captain", "member", "volunteer", "outsider_captain",
          "resident"]
STATE_FOR = {"receive": "registered", "assign": "received", "mark_duplicate": "received",
             "mark_not_ours": "received", "reassign": "assigned", "accept": "assigned",
             "decline": "assigned", "arrive": "accepted", "finish": "on_site", "reply": "checked",
             "check_work": "done", "return_work": "done",
             "give_feedback": "replied", "reopen": "feedback_unsatisfied",
             "archive": "feedback_satisfied", "auto_confirm": "replied", "answer": "received"}


def actor_named(world: World, name: str) -> Actor:
    return Actor.resident() if name == "resident" else Actor.of(getattr(world, name))


@pytest.mark.parametrize(("action", "who"), [(a, w) for a in TRANSITIONS for w in ACTORS
                                             if a not in CLAIM_STEPS])
def test_roles_are_checked_on_every_step(world: World, action: str, who: str) -> None:
    case = reach(world, STATE_FOR[action])
    allowed = PERMITTED.get(action, {"coordinator", "admin"})
    before = snapshot(case)
    kw = {"team": world.outsider_team} if action == "reassign" else {}
    if action == "check_work" and who == "coordinator":  # the one who recorded it done
        with pytest.raises(IllegalTransition):
            take_step(case, action, world, actor=actor_named(world, who), **kw)
        db.session.rollback()
        assert snapshot(case) == before
    elif who in allowed:
        take_step(case, action, world, actor=actor_named(world, who), **kw)
        db.session.commit()
        assert snapshot(case)[2] == before[2] + 1
    else:
        with pytest.raises(NotPermitted):
            take_step(case, action, world, actor=actor_named(world, who), **kw)
        db.session.rollback()
        assert snapshot(case) == before


def test_a_volunteer_assigned_alone_takes_their_own_steps(world: World) -> None:
    case = walk(world.case, world, "receive")
    lifecycle.assign(case, world.desk(), volunteer=world.volunteer)
    me = Actor.of(world.volunteer)
    lifecycle.accept(case, me)
    lifecycle.arrive(case, me)
    lifecycle.finish(case, me, note="扶手已安装")
    assert case.assignment_status == A.DONE
    with pytest.raises(NotPermitted):
        lifecycle.reply(case, me, "好了")


def test_allowed_actions_match_what_the_service_accepts(world: World) -> None:
    case = reach(world, "assigned")
    assert {t.action for t in allowed_actions(case, world.desk())} == {
        "reassign", "accept"}
    assert {t.action for t in allowed_actions(case, Actor.of(world.captain))} == {
        "accept", "decline"}
    assert allowed_actions(case, Actor.of(world.member)) == []
    assert allowed_actions(case, Actor.resident()) == []


def test_reopen_only_after_an_unsatisfied_resident(world: World) -> None:
    case = reach(world, "feedback_satisfied")
    with pytest.raises(IllegalTransition) as raised:
        lifecycle.reopen(case, world.desk(), note="再看看")
    assert "居民不满意" in raised.value.message()


def test_reopen_goes_back_to_the_same_team_with_a_new_deadline(world: World) -> None:
    case = reach(world, "feedback_unsatisfied")
    assert case.due_at is None  # after the reply it was the resident's turn: no clock
    lifecycle.reopen(case, world.desk(), note="用了两天又坏了")
    assert (case.status, case.assignment_status) == (S.HANDLING, A.ASSIGNED)
    assert case.assigned_team_id == world.team.id
    assert case.due_at == case.events[-1].created_at + timedelta(
        hours=world.category.handle_hours)
    assert case.work_checked_at is None  # the new work will need a new check
    assert case.feedback_satisfied is None


def test_decline_returns_the_case_to_the_desk_without_an_assignee(world: World) -> None:
    case = reach(world, "assigned")
    lifecycle.decline(case, Actor.of(world.captain), note="本周人手不足")
    assert (case.status, case.assigned_team_id) == (S.RECEIVED, None)


def test_a_duplicate_links_to_the_first_report_and_both_ledgers_say_so(world: World) -> None:
    first = world.case
    second = gen_case(world.category, world.studio)
    third = gen_case(world.category, world.studio)
    for case in (second, third):
        lifecycle.receive(case, world.desk())
    lifecycle.mark_duplicate(second, world.desk(), first)
    lifecycle.mark_duplicate(third, world.desk(), second)  # a copy of a copy
    db.session.commit()
    assert (second.outcome, second.duplicate_of_id) == (Outcome.DUPLICATE, first.id)
    assert third.duplicate_of_id == first.id
    linked = [e for e in first.events if e.action == "duplicate_linked"]
    assert len(linked) == 2 and second.tracking_code in linked[0].text
    assert first.status == S.REGISTERED  # the original's status is untouched


def test_a_case_cannot_duplicate_itself(world: World) -> None:
    case = reach(world, "received")
    with pytest.raises(InvalidInput):
        lifecycle.mark_duplicate(case, world.desk(), case)


@pytest.mark.parametrize(("action", "kwargs"), [
    ("mark_not_ours", {"reason": "  "}),
    ("reply", {"text": ""}),
])
def test_required_text_is_required(world: World, action: str, kwargs: dict[str, str]) -> None:
    case = reach(world, "received" if action == "mark_not_ours" else "done")
    before = snapshot(case)
    with pytest.raises(InvalidInput):
        getattr(lifecycle, action)(case, world.desk(), *kwargs.values())
    db.session.rollback()
    assert snapshot(case) == before


def test_finish_needs_a_note_of_what_was_done(world: World) -> None:
    case = reach(world, "on_site")
    with pytest.raises(InvalidInput):
        lifecycle.finish(case, Actor.of(world.member), note="")


@pytest.mark.parametrize("rating", [0, 6])
def test_feedback_rating_must_be_one_to_five(world: World, rating: int) -> None:
    case = reach(world, "replied")
    with pytest.raises(InvalidInput):
        lifecycle.give_feedback(case, Actor.resident(), satisfied=True, rating=rating)


def test_assigning_needs_exactly_one_active_assignee(world: World) -> None:
    case = reach(world, "received")
    with pytest.raises(InvalidInput):
        lifecycle.assign(case, world.desk())
    with pytest.raises(InvalidInput):
        lifecycle.assign(case, world.desk(), team=world.team, volunteer=world.volunteer)
    world.team.active = False
    with pytest.raises(InvalidInput):
        lifecycle.assign(case, world.desk(), team=world.team)
    with pytest.raises(InvalidInput):
        lifecycle.assign(case, world.desk(), volunteer=world.coordinator2)


def test_a_stale_page_is_a_conflict_not_an_overwrite(world: World) -> None:
    case = reach(world, "received")
    seen_version = case.version
    lifecycle.add_note(case, Actor.of(world.coordinator2), "已电话联系居民")
    db.session.commit()
    with pytest.raises(Conflict):
        lifecycle.assign(case, world.desk(), team=world.team, expected_version=seen_version)
    db.session.rollback()
    assert snapshot(case)[0] == S.RECEIVED


def test_internal_notes_keep_the_status_and_are_marked_internal(world: World) -> None:
    case = reach(world, "received")
    event = lifecycle.add_note(case, world.desk(), "居民情绪激动，注意沟通")
    assert (event.internal, event.from_status, event.to_status) == (True, S.RECEIVED,
                                                                     S.RECEIVED)
    assert case.version == 3 and event.seq == 3
    with pytest.raises(NotPermitted):
        lifecycle.add_note(case, Actor.of(world.captain), "队长备注")


def test_register_refuses_bad_input(world: World) -> None:
    with pytest.raises(InvalidInput) as raised:
        gen_case(world.category, reporter_phone="12345")
    assert raised.value.field == "phone"
    with pytest.raises(InvalidInput):
        gen_case(world.category, description="   ")
    with pytest.raises(InvalidInput):
        gen_case(world.category, latitude=123.0)
    with pytest.raises(NotPermitted):
        gen_case(world.category, actor=Actor.of(world.member))


def test_a_case_lands_at_the_nearest_studio_when_none_is_given(world: World) -> None:
    from tests.factories import gen_studio

    far = gen_studio(world.region, latitude=24.48, longitude=118.03)
    db.session.flush()
    case = gen_case(world.category, latitude=24.481, longitude=118.031)
    assert case.studio_id == far.id
