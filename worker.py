"""Runs one RQ worker inside the app context, on the queues named in the config.

    python worker.py            # what `make run` starts beside the web server
"""

from __future__ import annotations

from rq import Worker

from dispatch import create_app
from dispatch.extensions import get_redis


def main() -> None:
    app = create_app()
    with app.app_context():
        worker = Worker(list(app.config["RQ_QUEUES"]), connection=get_redis())
        worker.work(with_scheduler=True)


if __name__ == "__main__":
    main()
