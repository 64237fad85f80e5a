"""Reception days (接待日): sessions on the rota, who was received in each and what each
matter became, and the month's reception figures.

A session is a studio, a local date, its hours and the representatives on duty (any of the
people who may be on the studio's rota). The unique constraint on (studio, day, starts)
decides duplicates. Functions flush; the caller commits (and rolls back after an
``InvalidInput`` raised by a failed flush).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.models import (
    Case,
    ReceptionSession,
    ReceptionVisit,
    Studio,
    User,
    VisitOutcome,
)
from dispatch.services.clock import local
from dispatch.services.desk.figures import Month
from dispatch.services.errors import InvalidInput
from dispatch.services.phones import normalise_phone
from dispatch.services.responders import rota
from dispatch.services.text import xml_safe


def _time(value: str, field: str) -> str:
    value = (value or "").strip()
    if not rota.TIME_PATTERN.match(value):
        raise InvalidInput(field, _("Enter a time as HH:MM, for example 08:30."))
    return value


def create_session(studio: Studio, day: date, starts: str, ends: str,
                   representatives: list[User], created_by: User,
                   topic: str = "") -> ReceptionSession:
    """Put a reception session on the rota, with the representatives on duty."""
    starts, ends = _time(starts, "starts"), _time(ends, "ends")
    if starts >= ends:
        raise InvalidInput("ends", _("The session must end after it starts."))
    if not representatives:
        raise InvalidInput("representatives", _("Choose who receives in this session."))
    allowed = {person.id for person in rota.candidates(studio)}
    if any(person.id not in allowed for person in representatives):
        raise InvalidInput("representatives",
                           _("This person cannot be on this studio's rota."))
    session = ReceptionSession(studio_id=studio.id, day=day, starts=starts, ends=ends,
                               topic=xml_safe(topic).strip()[:120],
                               created_by_id=created_by.id,
                               representatives=list(representatives))
    db.session.add(session)
    try:
        db.session.flush()
    except IntegrityError as error:
        raise InvalidInput("day", _(
            "This studio already has a reception session starting at %(time)s on that day.",
            time=starts)) from error
    return session


def sessions_of(studio: Studio, today: date, days_back: int = 14,
                days_ahead: int = 60) -> list[ReceptionSession]:
    """The studio's sessions from two weeks ago to two months ahead, soonest first."""
    return list(db.session.scalars(
        select(ReceptionSession).where(
            ReceptionSession.studio_id == studio.id,
            ReceptionSession.day.between(today - timedelta(days=days_back),
                                         today + timedelta(days=days_ahead)))
        .order_by(ReceptionSession.day, ReceptionSession.starts)))


def todays_sessions(studio_id: int | None, now: datetime) -> list[ReceptionSession]:
    """Today's sessions (local date) at the studio, for the desk's intake form."""
    if studio_id is None:
        return []
    return list(db.session.scalars(
        select(ReceptionSession).where(ReceptionSession.studio_id == studio_id,
                                       ReceptionSession.day == local(now).date())
        .order_by(ReceptionSession.starts)))


def record_visit(session: ReceptionSession, outcome: VisitOutcome, recorded_by: User, *,
                 case: Case | None = None, name: str | None = None,
                 phone: str | None = None, note: str = "") -> ReceptionVisit:
    """Someone received in the session, and what the matter became. A note (no case)
    needs its text; a case is linked once (a unique index on the case)."""
    note = xml_safe(note or "").strip()
    if outcome is VisitOutcome.NOTE and not note:
        raise InvalidInput("note", _("Please write what was said."))
    visit = ReceptionVisit(session_id=session.id, outcome=outcome,
                           case_id=case.id if case else None,
                           visitor_name=xml_safe(name or "").strip()[:60] or None,
                           visitor_phone=normalise_phone(phone), note=note[:2000],
                           recorded_by_id=recorded_by.id)
    db.session.add(visit)
    db.session.flush()
    return visit


def visit_of_case(case_id: int) -> ReceptionVisit | None:
    return db.session.scalar(select(ReceptionVisit).where(ReceptionVisit.case_id == case_id))


@dataclass(frozen=True)
class ReceptionFigures:
    """每月接待: sessions held, people received, matters answered on the spot."""

    sessions: int
    received: int
    answered: int
    by_outcome: dict[VisitOutcome, int]


def month_figures(month: Month, studio_id: int | None = None) -> ReceptionFigures:
    """Sessions whose local date is in the month, and the visits recorded in them."""
    first = date(month.year, month.month, 1)
    following = month.next()
    after = date(following.year, following.month, 1)
    in_month = [ReceptionSession.day >= first, ReceptionSession.day < after]
    if studio_id is not None:
        in_month.append(ReceptionSession.studio_id == studio_id)
    sessions = db.session.scalar(select(func.count()).select_from(ReceptionSession)
                                 .where(*in_month)) or 0
    rows = db.session.execute(
        select(ReceptionVisit.outcome, func.count()).join(ReceptionVisit.session)
        .where(*in_month).group_by(ReceptionVisit.outcome)).all()
    by_outcome = {outcome: 0 for outcome in VisitOutcome}
    by_outcome.update({VisitOutcome(outcome): n for outcome, n in rows})
    return ReceptionFigures(sessions=sessions, received=sum(by_outcome.values()),
                            answered=by_outcome[VisitOutcome.ANSWERED],
                            by_outcome=by_outcome)
