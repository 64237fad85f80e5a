"""Shifts: signing up and why not, dropping out, the captain's release and no-show,
check-in and check-out, and the hours in the record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from dispatch.extensions import db
from dispatch.models import Availability, Role, ShiftState, SignupState, utcnow
from dispatch.services.errors import NotPermitted
from dispatch.services.standing import rosters, shifts, signups
from dispatch.services.standing.signups import ShiftStepRefused, SignupRefused
from tests.factories import World, gen_user
from tests.shift_factories import gen_shift


def refused_for(shift, user) -> Availability:  # type: ignore[no-untyped-def]
    with pytest.raises(SignupRefused) as refused:
        signups.sign_up(shift, user)
    db.session.rollback()
    return refused.value.status


def test_sign_up_takes_a_place(world: World) -> None:
    shift = gen_shift(places=2)
    signup = signups.sign_up(shift, world.volunteer)
    db.session.commit()
    assert signup.state == SignupState.SIGNED_UP
    assert shift.taken == 1 and shift.free_places == 1
    assert shifts.availability(shift, world.volunteer) == Availability.SIGNED_UP


def test_last_place_goes_once_and_then_full(world: World) -> None:
    shift = gen_shift(places=1)
    signups.sign_up(shift, world.volunteer)
    db.session.commit()
    assert refused_for(shift, world.member) == Availability.FULL
    assert shift.taken == 1


def test_second_sign_up_by_the_same_volunteer_is_refused(world: World) -> None:
    shift = gen_shift()
    signups.sign_up(shift, world.volunteer)
    db.session.commit()
    assert refused_for(shift, world.volunteer) == Availability.SIGNED_UP
    assert shift.taken == 1


def test_past_cancelled_not_yet_open_overlapping_and_skill_are_refused(world: World) -> None:
    now = utcnow()
    past = gen_shift(starts_at=now - timedelta(hours=1))
    cancelled = gen_shift(state=ShiftState.CANCELLED)
    not_open = gen_shift(opens_at=now + timedelta(hours=5))
    skilled = gen_shift(starts_in=timedelta(days=5), skills=["elder_care"])
    held = gen_shift(starts_in=timedelta(days=3))
    overlapping = gen_shift(starts_at=held.starts_at + timedelta(hours=1))
    signups.sign_up(held, world.volunteer)
    db.session.commit()
    assert refused_for(past, world.volunteer) == Availability.PAST
    assert refused_for(cancelled, world.volunteer) == Availability.CANCELLED
    assert refused_for(not_open, world.volunteer) == Availability.NOT_YET_OPEN
    assert refused_for(skilled, world.volunteer) == Availability.SKILL_MISSING
    assert refused_for(overlapping, world.volunteer) == Availability.OVERLAPS
    for shift in (past, cancelled, not_open, skilled, overlapping):
        assert shift.taken == 0


def test_desk_staff_cannot_sign_up(world: World) -> None:
    with pytest.raises(NotPermitted):
        signups.sign_up(gen_shift(), world.coordinator)


def test_drop_out_before_the_cutoff_gives_the_place_back(world: World) -> None:
    shift = gen_shift(starts_in=timedelta(days=2), places=1)
    signup = signups.sign_up(shift, world.volunteer)
    signups.drop_out(signup, world.volunteer)
    db.session.commit()
    assert signup.state == SignupState.DROPPED and shift.taken == 0
    signups.sign_up(shift, world.member)  # the place is free again
    db.session.commit()


def test_after_the_cutoff_only_the_captain_releases(app: Flask, world: World) -> None:
    shift = gen_shift(starts_in=timedelta(hours=app.config["SHIFT_DROP_HOURS"] - 1),
                      captain_id=world.captain.id)
    signup = signups.sign_up(shift, world.member)
    db.session.commit()
    with pytest.raises(ShiftStepRefused):
        signups.drop_out(signup, world.member)
    with pytest.raises(NotPermitted):
        signups.release(signup, world.outsider_captain)
    signups.release(signup, world.captain)
    db.session.commit()
    assert signup.state == SignupState.RELEASED and shift.taken == 0


def test_check_in_far_is_flagged_and_hours_count(world: World) -> None:
    now = utcnow()
    shift = gen_shift(starts_in=timedelta(minutes=30), hours=2)
    signup = signups.sign_up(shift, world.volunteer, now=now)
    signups.check_in(signup, world.volunteer, 24.9, 118.58, now=now + timedelta(minutes=25))
    signups.check_out(signup, world.volunteer, now=now + timedelta(hours=2, minutes=55))
    db.session.commit()
    assert signup.checkin_far and signup.checkin_distance_m > 9000
    assert signup.hours == pytest.approx(2.5)
    record = rosters.record_of(world.volunteer)
    assert record.shifts_served == 1 and record.hours == 2.5 and record.no_shows == 0
    with pytest.raises(ShiftStepRefused):
        signups.check_out(signup, world.volunteer)


def test_check_in_is_refused_long_before_the_start(world: World) -> None:
    signup = signups.sign_up(gen_shift(starts_in=timedelta(days=1)), world.volunteer)
    with pytest.raises(ShiftStepRefused):
        signups.check_in(signup, world.volunteer, None, None)


def test_no_show_is_marked_by_the_captain_and_counted(world: World) -> None:
    now = utcnow()
    shift = gen_shift(starts_in=timedelta(hours=1), captain_id=world.captain.id)
    signup = signups.sign_up(shift, world.member, now=now)
    db.session.commit()
    with pytest.raises(ShiftStepRefused):
        signups.mark_no_show(signup, world.captain, now=now)  # not started yet
    later = now + timedelta(hours=1, minutes=20)
    assert rosters.roster(shift, later).missing == [signup]
    signups.mark_no_show(signup, world.captain, now=later)
    db.session.commit()
    assert rosters.record_of(world.member).no_shows == 1
    with pytest.raises(ShiftStepRefused):
        signups.mark_no_show(signup, world.captain, now=later)


def test_ask_free_members_tells_each_once(world: World) -> None:
    shift = gen_shift(captain_id=world.captain.id, team_id=world.team.id)
    busy = gen_user(Role.VOLUNTEER, team=world.team)
    db.session.flush()
    signups.sign_up(gen_shift(starts_at=shift.starts_at), busy)  # overlapping: not free
    assert rosters.ask_free_members(shift, world.captain) == 1  # the member only
    assert rosters.ask_free_members(shift, world.captain) == 0
    with pytest.raises(NotPermitted):
        rosters.ask_free_members(shift, world.outsider_captain)
