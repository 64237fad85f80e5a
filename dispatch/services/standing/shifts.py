"""Publishing shifts (班次) and reading them: a coordinator or a captain publishes one
shift or a recurring series at a site; volunteers see the ones they may take, each with
one ``Availability`` (the same one a refused sign-up gives as its reason)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, select, update

from dispatch.extensions import db
from dispatch.models import (
    Availability,
    Role,
    Shift,
    ShiftSignup,
    ShiftState,
    SignupState,
    Team,
    User,
    utcnow,
)
from dispatch.models.people import DESK_ROLES, SKILL_LABELS
from dispatch.services.errors import InvalidInput, NotPermitted
from dispatch.services.standing import notices
from dispatch.services.standing.recurrence import occurrences


@dataclass(frozen=True)
class ShiftPlan:
    """What the publish form says, already parsed."""

    site_name: str
    latitude: float
    longitude: float
    first_day: date
    starts: time
    ends: time
    places: int
    skills: tuple[str, ...] = ()
    note: str = ""
    rule: str | None = None
    opens_hours_before: int | None = None  # None: sign-up opens at once
    captain_id: int | None = None


def may_publish(user: User) -> bool:
    return user.active and (user.role in DESK_ROLES or user.role == Role.CAPTAIN)


def publish(plan: ShiftPlan, user: User, now: datetime | None = None) -> list[Shift]:
    """Every occurrence of the plan as a shift; a captain publishes for their own team."""
    if not may_publish(user):
        raise NotPermitted("publish_shift")
    if not plan.site_name.strip():
        raise InvalidInput("site_name", _("Please name the site."))
    if set(plan.skills) - set(SKILL_LABELS):
        raise InvalidInput("skills", _("Unknown skill."))
    now = now or utcnow()
    times = occurrences(plan.first_day, plan.starts, plan.ends, plan.rule)
    if times[0][0] <= now:
        raise InvalidInput("first_day", _("The first shift would start in the past."))
    team_id, captain_id = _crew(plan, user)
    series = secrets.token_hex(8) if plan.rule else None
    shifts = []
    for starts_at, ends_at in times:
        opens_at = (starts_at - timedelta(hours=plan.opens_hours_before)
                    if plan.opens_hours_before else None)
        shift = Shift(studio_id=user.studio_id or _team_studio(team_id), team_id=team_id,
                      captain_id=captain_id,
                      site_name=plan.site_name.strip(), latitude=plan.latitude,
                      longitude=plan.longitude, starts_at=starts_at, ends_at=ends_at,
                      opens_at=opens_at, places=plan.places, skills=sorted(set(plan.skills)),
                      note=plan.note.strip(), series=series, rule=plan.rule,
                      created_by_id=user.id, created_at=now)
        db.session.add(shift)
        shifts.append(shift)
    db.session.flush()
    return shifts


def _crew(plan: ShiftPlan, user: User) -> tuple[int | None, int | None]:
    if user.role == Role.CAPTAIN:
        team = db.session.scalar(select(Team).where(Team.captain_id == user.id))
        if team is None:
            raise NotPermitted("publish_shift")  # a captain publishes for their team
        return team.id, user.id
    if plan.captain_id is None:
        return None, None
    captain = db.session.get(User, plan.captain_id)
    if captain is None or captain.role != Role.CAPTAIN:
        raise InvalidInput("captain_id", _("Choose a captain."))
    team = db.session.scalar(select(Team).where(Team.captain_id == captain.id))
    return (team.id if team else None), captain.id


def _team_studio(team_id: int | None) -> int | None:
    team = db.session.get(Team, team_id) if team_id else None
    return team.studio_id if team else None


def may_lead(shift: Shift, user: User) -> bool:
    """The shift's captain, or the desk."""
    return user.active and (user.role in DESK_ROLES or shift.captain_id == user.id)


def cancel(shift: Shift, user: User, whole_series: bool = False,
           now: datetime | None = None) -> int:
    """Cancel one shift, or it and every later one of its series; past ones stay."""
    if not may_lead(shift, user):
        raise NotPermitted("cancel_shift")
    now = now or utcnow()
    which = Shift.id == shift.id
    if whole_series and shift.series:
        which = and_(Shift.series == shift.series, Shift.starts_at >= shift.starts_at)
    # RETURNING: exactly the shifts this call cancelled (not one a second editor did).
    cancelled = list(db.session.scalars(update(Shift).where(
        which, Shift.state == ShiftState.OPEN, Shift.starts_at > now)
        .values(state=ShiftState.CANCELLED).returning(Shift.id)
        .execution_options(synchronize_session=False)))
    db.session.expire_all()
    _tell_signed_up(cancelled)
    return len(cancelled)


def _tell_signed_up(shift_ids: list[int]) -> None:
    """Everyone signed up to a cancelled shift hears it once, in their own language."""
    if not shift_ids:
        return
    rows = db.session.execute(select(ShiftSignup, Shift).join(Shift).where(
        ShiftSignup.shift_id.in_(shift_ids), ShiftSignup.state == SignupState.SIGNED_UP))
    for signup, shift in list(rows):
        user = db.session.get(User, signup.user_id)
        if user is None or not user.active:
            continue
        notices.notify(user, f"shift-cancelled:{signup.id}", lambda s=shift: _(
            "Cancelled: your shift at %(site)s (%(when)s). You need not come.",
            site=s.site_name, when=notices.when(s)), "/v/shifts")


def upcoming(studio_id: int | None = None, now: datetime | None = None,
             days: int = 31) -> list[Shift]:
    """Shifts that have not ended yet, soonest first (the desk's list)."""
    now = now or utcnow()
    query = select(Shift).where(Shift.ends_at > now,
                                Shift.starts_at < now + timedelta(days=days))
    if studio_id is not None:
        query = query.where(Shift.studio_id == studio_id)
    return list(db.session.scalars(query.order_by(Shift.starts_at, Shift.id)))


def led_by(user: User, now: datetime | None = None) -> list[Shift]:
    """The captain's shifts from a day ago on (a finished dawn shift is still marked)."""
    now = now or utcnow()
    return list(db.session.scalars(select(Shift).where(
        Shift.captain_id == user.id, Shift.ends_at > now - timedelta(days=1))
        .order_by(Shift.starts_at)))


def active_signups(user_id: int) -> list[ShiftSignup]:
    return list(db.session.scalars(select(ShiftSignup).join(Shift).where(
        ShiftSignup.user_id == user_id, ShiftSignup.state == SignupState.SIGNED_UP)
        .order_by(Shift.starts_at)))


def availability(shift: Shift, user: User, now: datetime | None = None,
                 mine: list[ShiftSignup] | None = None) -> Availability:
    """Why this volunteer can or cannot sign up now. The sign-up itself decides in the
    database; this is what the page shows and what a refused sign-up explains."""
    now = now or utcnow()
    mine = active_signups(user.id) if mine is None else mine
    if any(s.shift_id == shift.id for s in mine):
        return Availability.SIGNED_UP
    if shift.state == ShiftState.CANCELLED:
        return Availability.CANCELLED
    if shift.starts_at <= now:
        return Availability.PAST
    if shift.opens_at is not None and shift.opens_at > now:
        return Availability.NOT_YET_OPEN
    if shift.skills and not set(shift.skills) & set(user.profile.skills if user.profile
                                                     else []):
        return Availability.SKILL_MISSING
    if any(s.shift.starts_at < shift.ends_at and shift.starts_at < s.shift.ends_at
           for s in mine):
        return Availability.OVERLAPS
    if shift.taken >= shift.places:
        return Availability.FULL
    return Availability.AVAILABLE


def for_volunteer(user: User, now: datetime | None = None, days: int = 14
                  ) -> list[tuple[Shift, Availability]]:
    """The coming shifts with this volunteer's status for each: the ones they hold and
    can take first, then the rest (so they see why)."""
    now = now or utcnow()
    mine = active_signups(user.id)
    shifts = db.session.scalars(select(Shift).where(
        Shift.ends_at > now, Shift.starts_at < now + timedelta(days=days))
        .order_by(Shift.starts_at, Shift.id))
    rows = [(shift, availability(shift, user, now, mine)) for shift in shifts]
    first = (Availability.SIGNED_UP, Availability.AVAILABLE)
    return sorted(rows, key=lambda row: row[1] not in first)
