"""RQ entry points. Thin: they take ids, re-read state, and are safe to run twice.

Each job runs inside an app context: the one ``worker.py`` pushes around every job (and
removes with its session afterwards), or in tests the test app's. Called with no app
context at all, a job builds one from the environment.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import has_app_context
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import Case, utcnow

P = ParamSpec("P")
R = TypeVar("R")


def job(func_: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(func_)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if has_app_context():
            return func_(*args, **kwargs)
        from dispatch import create_app

        with create_app().app_context():
            return func_(*args, **kwargs)

    return wrapper


@job
def check_health() -> dict[str, Any]:
    """Proves a worker can reach the database from its app context."""
    cases = db.session.scalar(select(func.count()).select_from(Case))
    return {"database": "ok", "cases": int(cases or 0)}


@job
def release_expired_claims() -> list[int]:
    """Every few minutes (``dispatch/jobs/schedule.py``): claims past their time go back to the
    open list. Safe to run twice: a claim already released is skipped."""
    from dispatch.services.cases.claims import release_expired

    released = release_expired()
    db.session.commit()
    return released


@job
def relay_notifications() -> int:
    """Queue outbox rows still waiting (a Redis outage, a crash before enqueue)."""
    from dispatch.services.cases.notifications import relay_pending

    return relay_pending()


@job
def auto_confirm_replied() -> list[int]:
    from dispatch.services.cases.sweeps import auto_confirm

    confirmed = auto_confirm()
    db.session.commit()
    return confirmed


@job
def escalate_overdue_cases() -> list[int]:
    from dispatch.services.cases.sweeps import escalate_overdue

    escalated = escalate_overdue()
    db.session.commit()
    return escalated


@job
def daily_digest() -> int:
    from dispatch.services.cases.notifications import plan_digests

    added = plan_digests(utcnow().date().isoformat())
    db.session.commit()  # after commit, the rows are queued like any other
    return added


@job
def export_ledger(export_id: int) -> str:
    """Write a ledger export's file. queued → running by a conditional UPDATE, so a second
    run (or a second worker) finds it taken and writes nothing; progress is committed after
    every batch so the desk's progress bar moves; done or failed at the end."""
    from flask import current_app
    from flask_babel import force_locale

    from dispatch.models.desk import LedgerExport
    from dispatch.services.desk import exports

    if not exports.start(export_id):
        db.session.rollback()
        return "skipped"
    db.session.commit()

    def progress(written: int, total: int) -> None:
        exports.set_progress(export_id, written=written, total=total)
        db.session.commit()

    row = db.session.get(LedgerExport, export_id)
    language = (row.requested_by.language if row else None) \
        or current_app.config["BABEL_DEFAULT_LOCALE"]
    try:
        with force_locale(language):
            name, written = exports.write_file(export_id, progress)
    except Exception as error:  # the row says what went wrong; the desk may queue it again
        db.session.rollback()
        current_app.logger.exception("ledger export %s failed", export_id)
        exports.fail(export_id, f"{type(error).__name__}: {error}")
        db.session.commit()
        return "failed"
    exports.finish(export_id, name, written)
    db.session.commit()
    return "done"
