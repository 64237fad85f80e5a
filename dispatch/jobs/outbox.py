"""From the outbox to the queue: the rows of one ledger event get one delivery job, queued
after the transaction that wrote them commits, and again by the relay if that could not
happen (Redis was down, the process died between commit and enqueue). A row of no event (the
morning digest) and the desk's "try again" get a job of their own.

A job's id is ``notify-<the event's first row id>``: the hook and the relay derive the same
one (an event's rows are written by one transaction, ``services/cases/notifications.py``),
so a second enqueue of a job still waiting, running or scheduled for a retry is a no-op.

The after-commit hooks are registered on SQLAlchemy's Session class when this module is
imported; the app factory imports ``dispatch.jobs``, so every app has them.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

import redis
from flask import current_app, has_app_context
from rq import Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from rq.utils import now
from rq.worker import Worker
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import logs
from dispatch.extensions import db, get_queue
from dispatch.jobs.delivery import deliver
from dispatch.models import Notification

log = logging.getLogger(__name__)
PENDING_KEY = "dispatch.new_notifications"
RETRY = Retry(max=3, interval=[10, 60, 300])  # growing back-off; then listed as failed
# A running job's heartbeat comes every 10 s (worker.py), and a delivery times out after
# 30 s: a heartbeat older than this means nobody runs it any more (even under a SimpleWorker,
# which sends none). RQ's own cleanup would notice only 7 to 14 minutes later.
STALE_HEARTBEAT = timedelta(seconds=35)
OVERDUE_RETRY = timedelta(seconds=30)  # a live worker's scheduler moves a due retry within 1 s
OVER = (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, JobStatus.FINISHED)


def enqueue(notification_id: int, again: bool = False, *, more: Sequence[int] = ()) -> bool:
    """One job for the row ``notification_id`` and the rows ``more`` of the same event; the
    job id makes a second enqueue of a waiting job a no-op. ``again`` (a coordinator's
    retry) starts a new job beside any retry RQ has scheduled; the job itself skips a row
    already sent."""
    job_id = f"notify-{notification_id}" + (f"-again-{secrets.token_hex(4)}" if again else "")
    queue = get_queue()
    try:
        queue.enqueue(deliver, notification_id, *more, job_id=job_id, retry=RETRY,
                      job_timeout=30, unique=True,
                      meta=logs.job_meta())  # the request id, for the logs
    except DuplicateJobError:
        # A job of that id exists. Waiting, running or scheduled for a retry: leave it.
        # Over while the row is still unsent: start a new one, or the row would never go
        # out. Abandoned (its worker was killed mid-job): the same, now, not when RQ's
        # cleanup gets to it minutes later; the row's key lets the receiver drop a repeat.
        job = Job.fetch(job_id, connection=queue.connection)
        status = job.get_status(refresh=True)
        if (status in OVER or _abandoned(job, status)) and not again:
            return enqueue(notification_id, again=True, more=more)
    except redis.RedisError as error:
        log.warning("notification %s stays in the outbox: %s", notification_id, error)
        return False
    return True


def _abandoned(job: Job, status: JobStatus | None) -> bool:
    """Started, but the worker running it is gone: its entry has expired, it was on this
    host and its process no longer exists, or the job's heartbeat has stopped. Or a retry
    long overdue: the worker whose scheduler held RQ's lock was killed, and the others
    take the lock over only after minutes (its 61 s expiry, checked every 120 s)."""
    if status == JobStatus.SCHEDULED:
        return _overdue_retry(job)
    if status != JobStatus.STARTED:
        return False
    if job.last_heartbeat and now() - job.last_heartbeat > STALE_HEARTBEAT:
        return True
    if not job.worker_name:
        return False
    key = Worker.redis_worker_namespace_prefix + job.worker_name
    hostname, pid = job.connection.hmget(key, ["hostname", "pid"])
    if hostname is None:
        return True  # the worker's entry has expired: nobody is running it
    if hostname.decode() == socket.gethostname() and pid:
        return not _process_exists(int(pid))
    return False


def _overdue_retry(job: Job) -> bool:
    registry = ScheduledJobRegistry(job.origin, connection=job.connection)
    try:
        due = registry.get_scheduled_time(job)
    except NoSuchJobError:
        return False
    return now() - due > OVERDUE_RETRY


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process of that id
    return True


def by_event(rows: Iterable[tuple[int, int | None, str]]) -> list[list[int]]:
    """(id, case id, key) of outbox rows → their ids, one list per ledger event, each in
    order. The key is ``<case>:<seq>:<channel>:<recipient>``; a row without a case is
    alone."""
    groups: dict[object, list[int]] = {}
    for row_id, case_id, key in sorted(rows):
        event = (case_id, key.rsplit(":", 2)[0]) if case_id is not None else row_id
        groups.setdefault(event, []).append(row_id)
    return list(groups.values())


def relay_pending(limit: int = 500) -> int:
    """Queue every row not yet sent nor failed (what a Redis outage left behind), under the
    id of its event's job. Returns how many rows it queued."""
    pending = list(db.session.execute(select(Notification.id, Notification.case_id,
                                             Notification.key).where(
        Notification.sent_at.is_(None), Notification.failed_at.is_(None))
        .order_by(Notification.id).limit(limit)))
    if not pending:
        return 0
    # Each event's first row names its job, whether that row is still pending or not.
    cases = {case_id for _, case_id, _ in pending if case_id is not None}
    first = {group[0]: group[0] for group in by_event(pending)}
    if cases:
        every = db.session.execute(select(Notification.id, Notification.case_id,
                                          Notification.key).where(
            Notification.case_id.in_(cases)))
        for group in by_event(every):
            for row_id in group:
                first[row_id] = group[0]
    queued = 0
    for group in by_event(pending):
        head = first[group[0]]
        if enqueue(head, more=[row_id for row_id in group if row_id != head]):
            queued += len(group)
    return queued


@sa_event.listens_for(Session, "after_flush")
def _remember_new(session: Session, _context: Any) -> None:
    # The ids and keys now, not the objects: after the commit they are expired, and reading
    # ``row.id`` then would cost a SELECT a row.
    new = [(obj.id, obj.case_id, obj.key) for obj in session.new
           if isinstance(obj, Notification)]
    if new:
        session.info.setdefault(PENDING_KEY, []).extend(new)


@sa_event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    """Side effects after commit: the rows exist before any worker looks for them."""
    rows = session.info.pop(PENDING_KEY, [])
    if rows and has_app_context() and current_app.config.get("NOTIFY_AFTER_COMMIT", True):
        for head, *more in by_event(rows):
            enqueue(head, more=more)


@sa_event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
