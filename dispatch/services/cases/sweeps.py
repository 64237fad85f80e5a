"""Periodic sweeps run by RQ's cron scheduler (``dispatch/jobs/schedule.py``). Each is safe to run
twice and alongside people's own steps: a case someone else moved meanwhile is skipped."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import OPEN_STATUSES, Case, CaseStatus, utcnow
from dispatch.services.cases.ledger import amend, apply_transition
from dispatch.services.errors import Conflict, IllegalTransition
from dispatch.services.permissions import Actor


def auto_confirm(now: datetime | None = None) -> list[int]:
    """Replies left without feedback for AUTO_CONFIRM_DAYS count as confirmed."""
    now = now or utcnow()
    days = current_app.config["AUTO_CONFIRM_DAYS"]
    due = list(db.session.scalars(select(Case).where(
        Case.status == CaseStatus.REPLIED, Case.replied_at <= now - timedelta(days=days))))
    done = []
    for case in due:
        try:
            apply_transition(case, Actor.system(), "auto_confirm", at=now,
                             note_code="auto_confirmed", note_params={"days": days})
        except (Conflict, IllegalTransition):
            continue
        done.append(case.id)
    return done


def escalate_overdue(now: datetime | None = None) -> list[int]:
    """Open cases past their deadline go to the studio's lead coordinator, once each."""
    now = now or utcnow()
    due = list(db.session.scalars(select(Case).where(
        Case.status.in_(OPEN_STATUSES), Case.due_at < now, Case.escalated_at.is_(None))))
    done = []
    for case in due:
        try:
            amend(case, Actor.system(), "escalate", {"escalated_at": now}, at=now,
                  note_code="past_deadline", note_params={"due": case.due_at.isoformat()
                                                          if case.due_at else ""})
        except Conflict:
            continue
        done.append(case.id)
    return done
