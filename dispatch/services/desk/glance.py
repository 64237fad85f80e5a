"""The desk at a glance: what the case list and the board mark beside each case (due within
two hours, distinct from overdue) and the teams a bulk assignment offers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import case as when
from sqlalchemy import literal, select

from dispatch.extensions import db
from dispatch.models import OPEN_STATUSES, Case, Team, utcnow

DUE_SOON = timedelta(hours=2)


def due_soon(case: Case, now: datetime) -> bool:
    """The current stage's deadline (set by the working-day clock) falls within the next
    two hours; an overdue case is not "soon", it is late."""
    return bool(case.due_at and case.status in OPEN_STATUSES
                and now <= case.due_at < now + DUE_SOON)


def due_soon_test(now: datetime | None = None) -> Callable[[Case], bool]:
    """``due_soon`` with one moment for a whole page, so two rows cannot disagree."""
    moment = now or utcnow()
    return lambda case: due_soon(case, moment)


def bulk_teams(studio_id: int | None = None) -> list[Team]:
    """The active teams a bulk assignment offers: the coordinator's own studio's first (the
    demo spans five cities; a studio's cases go to its own teams)."""
    own = when((Team.studio_id == studio_id, 0), else_=1) if studio_id else literal(1)
    return list(db.session.scalars(select(Team).where(Team.active.is_(True))
                                   .order_by(own, Team.code)))
