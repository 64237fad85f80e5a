"""What the captain sees of a shift (coming, arrived, missing), the one tap that asks the
free on-duty members to come, each volunteer's shift record and the month's shift figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import (
    Shift,
    ShiftSignup,
    ShiftState,
    SignupState,
    User,
    VolunteerProfile,
    utcnow,
)
from dispatch.services.errors import NotPermitted
from dispatch.services.standing.notices import notify, when
from dispatch.services.standing.shifts import active_signups, may_lead


@dataclass
class Roster:
    coming: list[ShiftSignup] = field(default_factory=list)  # not yet there, not yet late
    arrived: list[ShiftSignup] = field(default_factory=list)  # checked in (and maybe out)
    missing: list[ShiftSignup] = field(default_factory=list)  # started, not checked in
    ended: list[ShiftSignup] = field(default_factory=list)  # dropped out or released


def roster(shift: Shift, now: datetime | None = None) -> Roster:
    now = now or utcnow()
    result = Roster()
    for signup in shift.signups:
        if signup.state != SignupState.SIGNED_UP:
            result.ended.append(signup)
        elif signup.checked_in_at is not None:
            result.arrived.append(signup)
        elif now >= shift.starts_at:
            result.missing.append(signup)
        else:
            result.coming.append(signup)
    return result


def free_members(shift: Shift) -> list[User]:
    """On-duty members of the shift's team (or, without a team, of the captain's studio's
    teams) who hold no overlapping shift and have a wanted skill."""
    query = select(User).join(VolunteerProfile).where(
        User.active.is_(True), VolunteerProfile.on_duty.is_(True), User.id != shift.captain_id)
    if shift.team_id is not None:
        query = query.where(VolunteerProfile.team_id == shift.team_id)
    free = []
    for user in db.session.scalars(query.order_by(User.id)):
        if shift.skills and not set(shift.skills) & set(user.profile.skills or []):
            continue
        if any(s.shift.starts_at < shift.ends_at and shift.starts_at < s.shift.ends_at
               for s in active_signups(user.id)):
            continue
        free.append(user)
    return free


def ask_free_members(shift: Shift, captain: User, now: datetime | None = None) -> int:
    """The captain's one tap: every free on-duty member hears of the shift once."""
    if not may_lead(shift, captain):
        raise NotPermitted("ask_members")
    if shift.state != ShiftState.OPEN or shift.starts_at <= (now or utcnow()):
        return 0
    told = 0
    for user in free_members(shift):
        told += notify(user, f"shift-ask:{shift.id}:u{user.id}", lambda: _(
            "%(site)s needs people on %(when)s (%(free)d places free). Can you come?",
            site=shift.site_name, when=when(shift), free=shift.free_places), "/v/shifts")
    return told


@dataclass(frozen=True)
class ShiftRecord:
    shifts_served: int
    hours: float
    no_shows: int


def record_of(user: User) -> ShiftRecord:
    signups = list(db.session.scalars(select(ShiftSignup).where(
        ShiftSignup.user_id == user.id, ShiftSignup.state == SignupState.SIGNED_UP)))
    served = [s for s in signups if s.checked_in_at is not None]
    return ShiftRecord(len(served), round(sum(s.hours for s in served), 1),
                       sum(1 for s in signups if s.no_show))


@dataclass(frozen=True)
class MonthShifts:
    shifts: int
    signups: int
    served: int
    hours: float
    no_shows: int


def month_figures(start: datetime, end: datetime, studio_id: int | None = None
                  ) -> MonthShifts:
    """Shifts held: not cancelled, started in [start, end) and by now (the current month
    leaves out shifts still to come), their sign-ups and no-shows. People who came and the
    hours they served (check-in to check-out): check-ins in the month."""
    held = select(Shift.id).where(Shift.starts_at >= start,
                                  Shift.starts_at < min(end, utcnow()),
                                  Shift.state == ShiftState.OPEN)
    came = select(ShiftSignup).join(Shift).where(
        ShiftSignup.state == SignupState.SIGNED_UP, ShiftSignup.checked_in_at >= start,
        ShiftSignup.checked_in_at < end)
    if studio_id is not None:
        held = held.where(Shift.studio_id == studio_id)
        came = came.where(Shift.studio_id == studio_id)
    count = db.session.scalar(select(func.count()).select_from(held.subquery())) or 0
    kept = list(db.session.scalars(select(ShiftSignup).where(
        ShiftSignup.shift_id.in_(held), ShiftSignup.state == SignupState.SIGNED_UP)))
    served = list(db.session.scalars(came))
    return MonthShifts(count, len(kept), len(served),
                       round(sum(s.hours for s in served), 1),
                       sum(1 for s in kept if s.no_show))
