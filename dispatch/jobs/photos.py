"""Photos are processed by the worker after the filing that accepted them commits.

The request only checks an upload by its content and keeps it, unserved
(``services/photos.py``); every new ``CasePhoto`` row, whichever path added it (a resident's
report, the desk's intake, a volunteer's "after" photos), is remembered at flush and gets
one job after commit, its id derived from the photo's key, so a second enqueue of a waiting
job is a no-op. When Redis is down the filing still succeeds: the page shows a placeholder,
each request for a pending photo queues its job again (``views/public/report.py``), and a
sweep every few minutes queues any photo still pending (``schedule.py``).
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from flask import current_app, has_app_context
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from dispatch import logs
from dispatch.extensions import db, get_queue
from dispatch.jobs.base import job
from dispatch.models import CasePhoto
from dispatch.services import photo_processing

log = logging.getLogger(__name__)
PENDING_KEY = "dispatch.new_photos"
OVER = (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, JobStatus.FINISHED)


@job
def process_photo(key: str) -> str:
    """Idempotent: a photo already processed (or refused, or gone) is left alone."""
    state = photo_processing.process_photo(key)
    db.session.commit()
    return state


@job
def requeue_waiting_photos() -> int:
    """Every few minutes: a pending photo whose job was lost is queued again (a waiting
    job is left alone; the job skips a photo already processed)."""
    keys = photo_processing.waiting_too_long()
    return sum(enqueue_processing(key) for key in keys)


def enqueue_processing(key: str, *, again: bool = True) -> bool:
    job_id = f"photo-{key}"
    queue = get_queue()
    try:
        queue.enqueue(process_photo, key, job_id=job_id, unique=True, job_timeout=60,
                      result_ttl=60, meta=logs.job_meta())
    except DuplicateJobError:
        # Waiting or running: leave it. Over (failed; or finished, and asked for again):
        # clear it and queue once more; the job itself skips a photo already processed.
        try:
            previous: Job | None = Job.fetch(job_id, connection=queue.connection)
        except NoSuchJobError:
            previous = None
        if again and (previous is None or previous.get_status(refresh=True) in OVER):
            if previous is not None:
                previous.delete()
            return enqueue_processing(key, again=False)
    except redis.RedisError as error:
        log.warning("photo %s waits unprocessed: %s", key, error)
        return False
    return True


@sa_event.listens_for(Session, "after_flush")
def _remember_new(session: Session, _context: Any) -> None:
    keys = [obj.key for obj in session.new
            if isinstance(obj, CasePhoto) and obj.state != "ready"]
    if keys:
        session.info.setdefault(PENDING_KEY, []).extend(keys)


@sa_event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    keys = session.info.pop(PENDING_KEY, [])
    if keys and has_app_context() and current_app.config.get("PHOTOS_AFTER_COMMIT", True):
        for key in keys:
            enqueue_processing(key)


@sa_event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
