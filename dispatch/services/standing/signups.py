"""Signing up for a shift, dropping out, the captain's release and no-show, and check-in
and check-out on site.

A sign-up is decided in the database: the volunteer's own row is locked first (their
sign-ups queue behind each other, so the overlap check sees what the previous one
committed), then one conditional UPDATE takes a place only where the shift is still open,
started neither, open for sign-up, not full and not overlapping a shift the volunteer holds.
Under PostgreSQL's READ COMMITTED, concurrent UPDATEs of one shift wait for each other and
re-check ``taken < places`` on the row the winner left, so the last place goes once; a
CHECK on the row is the backstop.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import aliased

from dispatch.extensions import db
from dispatch.models import (
    Availability,
    Shift,
    ShiftSignup,
    ShiftState,
    SignupState,
    User,
    utcnow,
)
from dispatch.models.people import FIELD_ROLES
from dispatch.services import checkin
from dispatch.services.clock import local
from dispatch.services.errors import DomainError, InvalidInput, NotFound, NotPermitted
from dispatch.services.standing.shifts import availability, may_lead

# Check-in opens this long before the start (volunteers arrive early at a dawn checkpoint).
CHECKIN_EARLY = timedelta(hours=1)


class SignupRefused(DomainError):
    """The shift cannot be taken now; ``status`` says why (the page shows the same)."""

    http_status = 409

    def __init__(self, status: Availability, shift: Shift) -> None:
        super().__init__(status, shift.id)
        self.status, self.shift = status, shift

    def message(self) -> str:
        return _("Not signed up for %(site)s on %(when)s: %(why)s.",
                 site=self.shift.site_name, when=format_datetime(
                     local(self.shift.starts_at), "MM-dd HH:mm"), why=self.status.label)


class ShiftStepRefused(DomainError):
    http_status = 409

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def message(self) -> str:
        return self.text


def _lock(user: User) -> None:
    # SQLite serialises writers and ignores FOR UPDATE; PostgreSQL queues this user here.
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())


def sign_up(shift: Shift, user: User, now: datetime | None = None) -> ShiftSignup:
    if user.role not in FIELD_ROLES or not user.active:
        raise NotPermitted("sign_up")
    now = now or utcnow()
    _lock(user)
    # What needs Python (the skills listed on the profile) is checked here; everything
    # that other people can change at the same moment is decided by the UPDATE below.
    status = availability(shift, user, now)
    if status == Availability.SKILL_MISSING:
        raise SignupRefused(status, shift)
    held, other = aliased(ShiftSignup), aliased(Shift)
    overlapping = exists().where(
        held.user_id == user.id, held.state == SignupState.SIGNED_UP,
        other.id == held.shift_id, other.starts_at < Shift.ends_at,
        Shift.starts_at < other.ends_at)
    took = db.session.execute(update(Shift).where(
        Shift.id == shift.id, Shift.state == ShiftState.OPEN, Shift.starts_at > now,
        or_(Shift.opens_at.is_(None), Shift.opens_at <= now),
        Shift.taken < Shift.places, ~overlapping)
        .values(taken=Shift.taken + 1).execution_options(synchronize_session=False))
    if took.rowcount != 1:  # type: ignore[attr-defined]
        db.session.refresh(shift)
        status = availability(shift, user, now)
        raise SignupRefused(Availability.FULL if status == Availability.AVAILABLE
                            else status, shift)
    signup = ShiftSignup(shift_id=shift.id, user_id=user.id, created_at=now)
    db.session.add(signup)
    db.session.flush()
    db.session.refresh(shift)
    return signup


def _end(signup: ShiftSignup, user: User, state: SignupState, now: datetime,
         *conditions: object) -> None:
    """Give the place back: one conditional UPDATE on the sign-up, then the counter."""
    ended = db.session.execute(update(ShiftSignup).where(
        ShiftSignup.id == signup.id, ShiftSignup.state == SignupState.SIGNED_UP,
        ShiftSignup.checked_in_at.is_(None), *conditions)
        .values(state=state, ended_at=now, ended_by_id=user.id)
        .execution_options(synchronize_session=False))
    if ended.rowcount != 1:  # type: ignore[attr-defined]
        raise ShiftStepRefused(_("This sign-up has already ended or was checked in."))
    db.session.execute(update(Shift).where(Shift.id == signup.shift_id, Shift.taken > 0)
                       .values(taken=Shift.taken - 1)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    db.session.expire_all()


def drop_cutoff(shift: Shift) -> datetime:
    return shift.starts_at - timedelta(hours=current_app.config["SHIFT_DROP_HOURS"])


def drop_out(signup: ShiftSignup, user: User, now: datetime | None = None) -> None:
    """The volunteer's own drop-out, until SHIFT_DROP_HOURS before the start."""
    if signup.user_id != user.id:
        raise NotPermitted("drop_out")
    now = now or utcnow()
    if now >= drop_cutoff(signup.shift):
        raise ShiftStepRefused(_("Too close to the start to drop out: ask your captain "
                                 "to release you."))
    _end(signup, user, SignupState.DROPPED, now)


def release(signup: ShiftSignup, user: User, now: datetime | None = None) -> None:
    """The captain (or the desk) releases a volunteer at any time before check-in."""
    if not may_lead(signup.shift, user):
        raise NotPermitted("release_signup")
    _end(signup, user, SignupState.RELEASED, now or utcnow())


def mark_no_show(signup: ShiftSignup, user: User, now: datetime | None = None) -> None:
    """The captain marks someone who did not come; counted in their record."""
    if not may_lead(signup.shift, user):
        raise NotPermitted("no_show")
    now = now or utcnow()
    if now < signup.shift.starts_at:
        raise ShiftStepRefused(_("A no-show can be marked only once the shift has started."))
    marked = db.session.execute(update(ShiftSignup).where(
        ShiftSignup.id == signup.id, ShiftSignup.state == SignupState.SIGNED_UP,
        ShiftSignup.checked_in_at.is_(None), ShiftSignup.no_show.is_(False))
        .values(no_show=True).execution_options(synchronize_session=False))
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        raise ShiftStepRefused(_("This volunteer checked in, or is already marked."))
    db.session.flush()
    db.session.expire_all()


def check_in(signup: ShiftSignup, user: User, latitude: float | None,
             longitude: float | None, now: datetime | None = None) -> ShiftSignup:
    """On site, with the phone's position when it gives one; far check-ins are flagged."""
    if signup.user_id != user.id:
        raise NotPermitted("check_in")
    now = now or utcnow()
    shift = signup.shift
    if now < shift.starts_at - CHECKIN_EARLY or now >= shift.ends_at:
        raise ShiftStepRefused(_("Check-in opens an hour before the start and closes at "
                                 "the end of the shift."))
    values: dict[str, object] = {"checked_in_at": now, "no_show": False}
    if latitude is not None and longitude is not None:
        place = checkin.measure(latitude, longitude, shift.latitude, shift.longitude)
        values.update(checkin_distance_m=place.distance_m, checkin_far=place.far)
    done = db.session.execute(update(ShiftSignup).where(
        ShiftSignup.id == signup.id, ShiftSignup.state == SignupState.SIGNED_UP,
        ShiftSignup.checked_in_at.is_(None)).values(**values)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise ShiftStepRefused(_("Already checked in."))
    db.session.flush()
    db.session.refresh(signup)
    return signup


def check_out(signup: ShiftSignup, user: User, now: datetime | None = None) -> ShiftSignup:
    if signup.user_id != user.id:
        raise NotPermitted("check_out")
    now = now or utcnow()
    done = db.session.execute(update(ShiftSignup).where(
        ShiftSignup.id == signup.id, ShiftSignup.checked_in_at.is_not(None),
        ShiftSignup.checked_in_at < now, ShiftSignup.checked_out_at.is_(None))
        .values(checked_out_at=now).execution_options(synchronize_session=False))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise ShiftStepRefused(_("Check in first; a shift is checked out once."))
    db.session.flush()
    db.session.refresh(signup)
    return signup


def signup_of(signup_id: int) -> ShiftSignup:
    signup = db.session.get(ShiftSignup, signup_id)
    if signup is None:
        raise NotFound()
    return signup


def active_signup(shift: Shift, user: User) -> ShiftSignup | None:
    return db.session.scalar(select(ShiftSignup).where(and_(
        ShiftSignup.shift_id == shift.id, ShiftSignup.user_id == user.id,
        ShiftSignup.state == SignupState.SIGNED_UP)))


def parse_position(latitude: float | None, longitude: float | None
                   ) -> tuple[float | None, float | None]:
    if (latitude is None) != (longitude is None):
        raise InvalidInput("latitude", _("The position is incomplete."))
    return latitude, longitude
