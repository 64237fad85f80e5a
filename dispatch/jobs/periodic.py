"""The periodic jobs (``schedule.py`` says when each runs) and the health check.

Thin: each calls one service, commits, and returns what it did; each is safe to run twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.jobs.base import job
from dispatch.jobs.outbox import relay_pending
from dispatch.models import Case, utcnow
from dispatch.services.cases.claims import release_expired
from dispatch.services.cases.notifications import plan_digests
from dispatch.services.cases.sweeps import auto_confirm, escalate_overdue
from dispatch.services.desk.retention import anonymise
from dispatch.services.standing.reminders import plan_reminders


@job
def check_health() -> dict[str, Any]:
    """Proves a worker can reach the database from its app context."""
    cases = db.session.scalar(select(func.count()).select_from(Case))
    return {"database": "ok", "cases": int(cases or 0)}


@job
def release_expired_claims() -> list[int]:
    """Every few minutes: claims past their time go back to the
    open list. Safe to run twice: a claim already released is skipped."""
    released = release_expired()
    db.session.commit()
    return released


@job
def relay_notifications() -> int:
    """Queue outbox rows still waiting (a Redis outage, a crash before enqueue)."""
    return relay_pending()


@job
def auto_confirm_replied() -> list[int]:
    confirmed = auto_confirm()
    db.session.commit()
    return confirmed


@job
def escalate_overdue_cases() -> list[int]:
    escalated = escalate_overdue()
    db.session.commit()
    return escalated


@job
def daily_digest() -> int:
    added = plan_digests(utcnow().date().isoformat())
    db.session.commit()  # after commit, the rows are queued like any other
    return added


@job
def anonymise_expired() -> dict[str, int]:
    """Daily: personal data past RETENTION_MONTHS is anonymised; the counts are audited."""
    counts = anonymise()
    db.session.commit()
    return counts


def standing_reminders() -> int:
    """Every ten minutes: shift, short-shift and visit reminders, each once (keyed)."""
    planned = plan_reminders()
    db.session.commit()  # after commit, the rows are queued like any other
    return planned
