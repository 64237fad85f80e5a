"""Runs one RQ worker for the app, on the queues named in the config.

    python worker.py            # what `make run` starts beside the web server

Every job runs in a fresh app context (its own database session, removed afterwards) in
the work horse that RQ forks for it; the horse opens its own database connections rather
than sharing the parent's sockets.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from rq import Worker

from dispatch import create_app
from dispatch.extensions import db, get_redis


class AppWorker(Worker):
    app: Flask

    def perform_job(self, job: Any, queue: Any, execution: Any) -> bool:
        with self.app.app_context():
            db.engine.dispose(close=False)  # a forked horse must not reuse pooled sockets
            try:
                return super().perform_job(job, queue, execution)
            finally:
                db.session.remove()


def main() -> None:
    app = create_app()
    with app.app_context():
        connection = get_redis()
    # Done once here, not in every forked horse: import the jobs and set up the ORM.
    from sqlalchemy.orm import configure_mappers

    import dispatch.jobs.delivery  # noqa: F401

    configure_mappers()
    AppWorker.app = app
    AppWorker(list(app.config["RQ_QUEUES"]), connection=connection).work(with_scheduler=True)


if __name__ == "__main__":
    main()
