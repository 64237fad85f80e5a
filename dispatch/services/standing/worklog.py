"""The studio's work log (工作日志) and talk notes (谈心谈话本): writing an entry, finding
entries by text, and the month's counts.

An entry linked to a case also goes into that case's ledger as an internal note (through
the ledger's own API), so the ledger export carries it with the case. Entries are the
desk's: coordinators write and read them; a household linked here is one they may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from dispatch.extensions import db
from dispatch.models import Case, Household, LogKind, User, WorkLogEntry, utcnow
from dispatch.models.people import DESK_ROLES
from dispatch.services.cases import lifecycle
from dispatch.services.clock import local
from dispatch.services.errors import InvalidInput, NotPermitted
from dispatch.services.permissions import Actor
from dispatch.services.text import xml_safe


@dataclass(frozen=True)
class NewEntry:
    kind: LogKind
    happened_at: datetime
    text: str
    with_whom: str = ""
    hours: float | None = None
    case: Case | None = None
    household: Household | None = None


def write(entry: NewEntry, user: User) -> WorkLogEntry:
    if user.role not in DESK_ROLES or not user.active:
        raise NotPermitted("work_log")
    text = xml_safe(entry.text or "").strip()
    if not text:
        raise InvalidInput("text", _("Please write what happened."))
    if entry.happened_at > utcnow():
        raise InvalidInput("happened_at", _("This cannot be in the future."))
    if entry.hours is not None and not 0 < entry.hours <= 24:
        raise InvalidInput("hours", _("Hours between 0 and 24."))
    if entry.kind == LogKind.TALK and not entry.with_whom.strip():
        raise InvalidInput("with_whom", _("Who was the talk with?"))
    row = WorkLogEntry(
        studio_id=user.studio_id, author_id=user.id, kind=entry.kind,
        happened_at=entry.happened_at, with_whom=xml_safe(entry.with_whom).strip()[:120],
        text=text[:4000], hours=entry.hours, case_id=entry.case.id if entry.case else None,
        household_id=entry.household.id if entry.household else None)
    db.session.add(row)
    db.session.flush()
    if entry.case is not None:  # into the case's ledger, so into the ledger export
        label = _("Talk note") if entry.kind == LogKind.TALK else _("Work log")
        # The ledger line is dated when it is written; the entry's own time is in it.
        when = format_datetime(local(entry.happened_at), "yyyy-MM-dd HH:mm")
        lifecycle.add_note(entry.case, Actor.of(user), f"{label} ({when}): {text}"[:2000])
    return row


def search(q: str = "", kind: LogKind | None = None, studio_id: int | None = None,
           case_id: int | None = None, household_id: int | None = None,
           limit: int = 100) -> list[WorkLogEntry]:
    query = select(WorkLogEntry)
    words = [w for w in (q or "").split() if w][:5]
    for word in words:  # every word somewhere in the text or the person talked with
        pattern = f"%{word.lower()}%"
        query = query.where(or_(func.lower(WorkLogEntry.text).like(pattern),
                                func.lower(WorkLogEntry.with_whom).like(pattern)))
    if kind is not None:
        query = query.where(WorkLogEntry.kind == kind)
    if studio_id is not None:
        query = query.where(WorkLogEntry.studio_id == studio_id)
    if case_id is not None:
        query = query.where(WorkLogEntry.case_id == case_id)
    if household_id is not None:
        query = query.where(WorkLogEntry.household_id == household_id)
    return list(db.session.scalars(query.order_by(WorkLogEntry.happened_at.desc(),
                                                  WorkLogEntry.id.desc()).limit(limit)))


@dataclass(frozen=True)
class MonthLog:
    entries: int
    talks: int
    hours: float


def month_counts(start: datetime, end: datetime, studio_id: int | None = None) -> MonthLog:
    query = select(WorkLogEntry.kind, func.count(), func.coalesce(func.sum(
        WorkLogEntry.hours), 0)).where(WorkLogEntry.happened_at >= start,
                                       WorkLogEntry.happened_at < end)
    if studio_id is not None:
        query = query.where(WorkLogEntry.studio_id == studio_id)
    counts = {kind: (n, float(h)) for kind, n, h in db.session.execute(
        query.group_by(WorkLogEntry.kind))}
    entries, entry_hours = counts.get(LogKind.ENTRY, (0, 0.0))
    talks, talk_hours = counts.get(LogKind.TALK, (0, 0.0))
    return MonthLog(entries, talks, round(entry_hours + talk_hours, 1))
