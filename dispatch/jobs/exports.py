"""The ledger export's job, and the queue side of an export: one job per export, of a
stable id, queued after the row commits; whether a stuck export may be queued again."""

from __future__ import annotations

import redis
from flask import current_app
from flask_babel import force_locale
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from dispatch import logs
from dispatch.extensions import db, get_queue
from dispatch.jobs.base import job
from dispatch.models.desk import LedgerExport
from dispatch.services.desk import exports

JOB_TIMEOUT = 3600
OVER = (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)


@job
def export_ledger(export_id: int) -> str:
    """Write a ledger export's file. queued → running by a conditional UPDATE, so a second
    run (or a second worker) finds it taken and writes nothing; progress is committed after
    every batch so the desk's progress bar moves; done or failed at the end."""
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


def enqueue(export_id: int, again: bool = True) -> bool:
    """One job per export, always of id ``ledger-export-<id>``: a second enqueue while it
    waits is a no-op (and the job's own queued→running UPDATE makes a second run a no-op).
    A finished or failed job of that id is replaced (``again``). False when Redis is down:
    the row stays queued and the page offers "queue again"."""
    job_id = f"ledger-export-{export_id}"
    queue = get_queue()
    try:
        queue.enqueue(export_ledger, export_id, job_id=job_id, job_timeout=JOB_TIMEOUT,
                      unique=True, result_ttl=3600, failure_ttl=7 * 86400,
                      meta=logs.job_meta())
    except DuplicateJobError:
        job = Job.fetch(job_id, connection=queue.connection)
        if job.get_status(refresh=True) in OVER and again:
            job.delete()  # that job is over while the row waits: start a new one
            return enqueue(export_id, again=False)
    except redis.RedisError as error:
        current_app.logger.warning("export %s stays queued: %s", export_id, error)
        return False
    return True


def may_queue_again(export: LedgerExport) -> bool:
    """Failed, or queued or running with no live job for it in Redis (Redis was down, the
    job was lost, or the worker running it was killed): the desk may queue it again."""
    if export.state == "failed":
        return True
    if export.state not in ("queued", "running"):
        return False
    try:
        job = Job.fetch(f"ledger-export-{export.id}", connection=get_queue().connection)
        return job.get_status(refresh=True) in OVER
    except NoSuchJobError:
        return True
    except redis.RedisError:
        return True
