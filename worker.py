"""Runs one RQ worker for the app, on the queues named in the config.

    python worker.py            # what `make run` starts beside the web server
    python worker.py --burst    # run what is queued now, then exit (operations, tests)

Every job runs in a fresh app context (its own database session, removed afterwards), in
the worker process itself (``SimpleWorker``, the default) or, with ``RQ_WORKER_CLASS=fork``,
in a work horse RQ forks for it, which opens its own database connections rather than
sharing the parent's sockets. bench/README.md ("Workers") says why the default.

RQ's worker waits out a Redis outage while it listens for jobs, but quits when Redis goes away
at any other moment (a heartbeat after a job, its maintenance, its start). ``main`` then builds
a new worker and starts again after a short pause, until a signal asks it to stop; ``make
run``'s launcher restarts the process itself if it dies anyway.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import time
from types import FrameType
from typing import Any

import redis
from flask import Flask
from rq import SimpleWorker, Worker
from sqlalchemy.orm import configure_mappers

import dispatch.jobs.delivery  # noqa: F401  (imported in the parent, not in every horse)
from dispatch import create_app, logs
from dispatch.extensions import db, get_redis

log = logging.getLogger("dispatch.worker")
JOB_MONITORING_INTERVAL = 10  # s between heartbeats of a running job (RQ's default is 30):
# ``jobs/outbox.py`` counts a delivery as abandoned when its heartbeat is this stale.
OUTAGE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class _AppJobs:
    """An app context around every job, the request id in its log lines, one log line with
    its outcome. Mixed into RQ's worker classes below."""

    app: Flask
    max_connection_wait_time = 10.0  # RQ waits up to 60 s between tries while Redis is away
    forks = True

    def perform_job(self, job: Any, queue: Any, execution: Any) -> bool:
        # The id of the request that queued the job: in every line the job logs, and in the
        # meta of the jobs it queues in turn.
        token = logs.set_job_request_id((job.meta or {}).get("request_id"))
        started = time.monotonic()
        try:
            with self.app.app_context():
                if self.forks:  # a forked horse must not reuse the parent's pooled sockets
                    db.engine.dispose(close=False)
                try:
                    ok = super().perform_job(job, queue, execution)  # type: ignore[misc]
                finally:
                    db.session.remove()
            log.info("job %s %s", job.id, "done" if ok else "failed", extra={
                "job_id": job.id, "job": job.func_name, "ok": ok,
                "duration_ms": round((time.monotonic() - started) * 1000, 1)})
            return ok
        finally:
            logs.reset_job_request_id(token)


class AppWorker(_AppJobs, Worker):
    """RQ's forking worker: a work horse per job (``RQ_WORKER_CLASS=fork``)."""


class AppSimpleWorker(_AppJobs, SimpleWorker):
    """Jobs in the worker process itself, its database pool kept from job to job: the
    default. Deliveries are short network waits, and a fork per job cost more than the wait
    (bench/README.md, "Workers"). Still safe: a job's timeout is RQ's SIGALRM in this very
    process; a worker that dies is noticed by the relay (its pid is gone, or its entry
    expired, ``jobs/outbox.py``); a job never outlives its 30 s timeout, so the heartbeat
    this worker does not send during a job is never missed for long."""

    forks = False


WORKER_CLASSES: dict[str, type[AppWorker] | type[AppSimpleWorker]] = {
    "simple": AppSimpleWorker, "fork": AppWorker}


def _stop_listening(worker: AppWorker | AppSimpleWorker) -> None:
    """RQ's teardown stops at the first Redis error, before it stops the worker's command
    listener; stop it here, or each outage would leave one more thread retrying forever."""
    thread = getattr(worker, "pubsub_thread", None)
    if thread is not None:
        thread.stop()
        thread.join(timeout=5)
    with contextlib.suppress(*OUTAGE, AttributeError):
        worker.pubsub.close()


def main(argv: list[str] | None = None) -> None:
    burst = "--burst" in (sys.argv[1:] if argv is None else argv)
    logs.configure()
    app = create_app()
    with app.app_context():
        connection = get_redis()
    configure_mappers()  # once here, not in every forked horse (the jobs are imported above)
    worker_class = WORKER_CLASSES[os.environ.get("RQ_WORKER_CLASS", "simple")]
    worker_class.app = app
    if burst:
        worker_class(list(app.config["RQ_QUEUES"]), connection=connection,
                     job_monitoring_interval=JOB_MONITORING_INTERVAL).work(burst=True)
        return
    run(list(app.config["RQ_QUEUES"]), connection, worker_class)


def run(queues: list[str], connection: redis.Redis,
        worker_class: type[AppWorker] | type[AppSimpleWorker] = AppSimpleWorker) -> None:
    """One worker after another, until a signal says stop."""
    stop = {"requested": False}
    pause = 1.0

    def _stop_between_workers(signum: int, _frame: FrameType | None) -> None:
        stop["requested"] = True

    while not stop["requested"]:
        worker, started = None, time.monotonic()
        try:
            worker = worker_class(queues, connection=connection,
                                  job_monitoring_interval=JOB_MONITORING_INTERVAL)
            worker.work(with_scheduler=True)
        except OUTAGE as error:
            log.error("worker: Redis unreachable (%s)", error)
        if worker is not None and (worker._stop_requested
                                   or worker._shutdown_requested_date is not None):
            # RQ's own signal handlers saw SIGINT/SIGTERM: a warm shutdown. (An idle worker
            # stops by raising StopRequested inside work(), which leaves _stop_requested
            # False; the date is set in both cases.)
            break
        if worker is not None:
            _stop_listening(worker)
        if time.monotonic() - started > 60:
            pause = 1.0  # it had been working: this is a new outage
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _stop_between_workers)
        log.warning("worker: stopped unasked (Redis away?); a new one in %.0f s", pause)
        deadline = time.monotonic() + pause
        while not stop["requested"] and time.monotonic() < deadline:
            time.sleep(0.2)
        pause = min(pause * 2, 10.0)


if __name__ == "__main__":
    main()
