"""Thumbnails, made by the worker after the filing that stored the photo commits.

The request stores only the checked, re-encoded image (``services/photos.py``); every new
``CasePhoto`` row, whichever path added it (a resident's report, the desk's intake, a
volunteer's "after" photos), is remembered at flush and gets one job after commit, its id
derived from the photo's key, so a second enqueue of a waiting job is a no-op. When Redis is
down the filing still succeeds: the photo's page shows the processed image instead, and the
first request for the missing thumbnail queues the job again (``views/public/report.py``).
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
from dispatch.extensions import get_queue
from dispatch.jobs.base import job
from dispatch.models import CasePhoto
from dispatch.services import photos

log = logging.getLogger(__name__)
PENDING_KEY = "dispatch.new_photos"


@job
def make_thumbnail(key: str) -> bool:
    """Idempotent: a thumbnail already made, or a photo since removed, is left alone."""
    return photos.make_thumbnail(photos.upload_dir(), key)


OVER = (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, JobStatus.FINISHED)


def enqueue_thumbnail(key: str, *, again: bool = True) -> bool:
    job_id = f"thumbnail-{key}"
    queue = get_queue()
    try:
        queue.enqueue(make_thumbnail, key, job_id=job_id, unique=True, job_timeout=60,
                      result_ttl=60, meta=logs.job_meta())
    except DuplicateJobError:
        # Waiting or running: leave it. Over (failed, or finished while the file has gone
        # missing since): clear it and queue once more.
        try:
            previous = Job.fetch(job_id, connection=queue.connection)
        except NoSuchJobError:
            previous = None
        if again and (previous is None or previous.get_status(refresh=True) in OVER):
            if previous is not None:
                previous.delete()
            return enqueue_thumbnail(key, again=False)
    except redis.RedisError as error:
        log.warning("thumbnail of photo %s not queued: %s", key, error)
        return False
    return True


@sa_event.listens_for(Session, "after_flush")
def _remember_new(session: Session, _context: Any) -> None:
    keys = [obj.key for obj in session.new if isinstance(obj, CasePhoto)]
    if keys:
        session.info.setdefault(PENDING_KEY, []).extend(keys)


@sa_event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    keys = session.info.pop(PENDING_KEY, [])
    if keys and has_app_context() and current_app.config.get("THUMBNAILS_AFTER_COMMIT", True):
        for key in keys:
            enqueue_thumbnail(key)


@sa_event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
