"""From the outbox to the queue: every notification row gets one delivery job, queued after
the transaction that wrote it commits, and again by the relay if that could not happen
(Redis was down, the process died between commit and enqueue).

The after-commit hooks are registered on SQLAlchemy's Session class when this module is
imported; the app factory imports ``dispatch.jobs``, so every app has them.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import redis
from flask import current_app, has_app_context
from rq import Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job, JobStatus
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.extensions import db, get_queue
from dispatch.jobs.delivery import deliver
from dispatch.models import Notification

log = logging.getLogger(__name__)
PENDING_KEY = "dispatch.new_notifications"
RETRY = Retry(max=3, interval=[10, 60, 300])  # growing back-off; then listed as failed


def enqueue(notification_id: int, again: bool = False) -> bool:
    """One job per row; the job id makes a second enqueue of a waiting job a no-op.
    ``again`` (a coordinator's retry) starts a new job beside any retry RQ has scheduled;
    the job itself skips a row already sent."""
    job_id = f"notify-{notification_id}" + (f"-again-{secrets.token_hex(4)}" if again else "")
    queue = get_queue()
    try:
        queue.enqueue(deliver, notification_id, job_id=job_id, retry=RETRY, job_timeout=30,
                      unique=True)
    except DuplicateJobError:
        # A job of that id exists. Waiting, running or scheduled for a retry: leave it.
        # Over (a worker killed mid-job leaves it failed or stopped) while the row is still
        # unsent: start a new one, or the row would never go out.
        status = Job.fetch(job_id, connection=queue.connection).get_status(refresh=True)
        if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED,
                      JobStatus.FINISHED) and not again:
            return enqueue(notification_id, again=True)
    except redis.RedisError as error:
        log.warning("notification %s stays in the outbox: %s", notification_id, error)
        return False
    return True


def relay_pending(limit: int = 500) -> int:
    """Queue every row not yet sent nor failed: what a Redis outage left behind."""
    pending = db.session.scalars(select(Notification.id).where(
        Notification.sent_at.is_(None), Notification.failed_at.is_(None))
        .order_by(Notification.id).limit(limit))
    return sum(enqueue(nid) for nid in list(pending))


@sa_event.listens_for(Session, "after_flush")
def _remember_new(session: Session, _context: Any) -> None:
    new = [obj for obj in session.new if isinstance(obj, Notification)]
    if new:
        session.info.setdefault(PENDING_KEY, []).extend(new)


@sa_event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    """Side effects after commit: the rows exist before any worker looks for them."""
    rows = session.info.pop(PENDING_KEY, [])
    if rows and has_app_context() and current_app.config.get("NOTIFY_AFTER_COMMIT", True):
        for row in rows:
            enqueue(row.id)


@sa_event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
