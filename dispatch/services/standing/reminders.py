"""Reminders for the standing arrangements, planned by a periodic sweep as outbox rows
(delivered like every notification): a shift tomorrow and an hour before it for each
volunteer signed up, a visit coming due for the paired member, and the evening before, a
shift still short of people for its captain. Each is keyed by what it is about, and the
notification key is unique: however often the sweep runs, each reminder goes once."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Shift, ShiftSignup, ShiftState, SignupState, User, utcnow
from dispatch.services.clock import local
from dispatch.services.standing import pairings
from dispatch.services.standing.notices import notify, when

DAY_AHEAD = timedelta(hours=24)
HOUR_AHEAD = timedelta(hours=1)
VISIT_AHEAD = timedelta(days=1)
EVENING = time(18, 0)  # local: when a captain hears that tomorrow's shift is short


def _shift_reminders(now: datetime) -> int:
    sent = 0
    rows = db.session.execute(select(ShiftSignup, Shift).join(Shift).where(
        ShiftSignup.state == SignupState.SIGNED_UP, ShiftSignup.checked_in_at.is_(None),
        Shift.state == ShiftState.OPEN, Shift.starts_at > now,
        Shift.starts_at <= now + DAY_AHEAD))
    for signup, shift in list(rows):
        user = db.session.get(User, signup.user_id)
        if user is None or not user.active:
            continue
        if shift.starts_at <= now + HOUR_AHEAD:
            sent += notify(user, f"shift-hour:{signup.id}", lambda s=shift: _(
                "In an hour: your shift at %(site)s (%(when)s).", site=s.site_name,
                when=when(s)), "/v/shifts")
        else:
            sent += notify(user, f"shift-day:{signup.id}", lambda s=shift: _(
                "Tomorrow: your shift at %(site)s (%(when)s).", site=s.site_name,
                when=when(s)), "/v/shifts")
    return sent


def _short_shifts(now: datetime) -> int:
    """From 18:00 local, the captain of each shift tomorrow that still has free places."""
    today = local(now)
    if today.time() < EVENING:
        return 0
    tomorrow = today.date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(0), tzinfo=today.tzinfo)
    sent = 0
    for shift in db.session.scalars(select(Shift).where(
            Shift.state == ShiftState.OPEN, Shift.captain_id.is_not(None),
            Shift.starts_at >= start, Shift.starts_at < start + timedelta(days=1),
            Shift.taken < Shift.places)):
        captain = db.session.get(User, shift.captain_id)
        if captain is None or not captain.active:
            continue
        sent += notify(captain, f"shift-short:{shift.id}", lambda s=shift: _(
            "Tomorrow's shift at %(site)s (%(when)s) is still short: %(taken)d of "
            "%(places)d places taken.", site=s.site_name, when=when(s), taken=s.taken,
            places=s.places), f"/v/shifts/{shift.id}/roster")
    return sent


def _visits_due(now: datetime) -> int:
    sent = 0
    for due in pairings.board():
        if due.due_at > now + VISIT_AHEAD:
            continue
        member = due.pairing.member
        if not member.active:
            continue
        day = local(due.due_at).date().isoformat()  # a new due date is a new reminder
        household = due.pairing.household
        sent += notify(member, f"visit-due:{due.pairing.id}:{day}", lambda h=household, d=due: _(
            "A visit to %(household)s is due on %(day)s.", household=h.label,
            day=local(d.due_at).strftime("%m-%d")), f"/v/households/{household.id}")
    return sent


def plan_reminders(now: datetime | None = None) -> int:
    """One sweep: the outbox rows of every reminder due now and not yet sent."""
    now = now or utcnow()
    return _shift_reminders(now) + _short_shifts(now) + _visits_due(now)
