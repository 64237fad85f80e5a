"""``python -m bench.served.worker``: worker.py's loop and worker class (SimpleWorker, as
deployed) on the app built from ``BENCH_APP_SETTINGS`` (see the package's docstring)."""

from __future__ import annotations

import json
import os

import worker
from bench.served import SETTINGS_ENV
from dispatch import create_app, logs
from dispatch.extensions import get_redis


def main() -> None:
    logs.configure()
    app = create_app(json.loads(os.environ[SETTINGS_ENV]))
    with app.app_context():
        connection = get_redis()
    worker.AppSimpleWorker.app = app
    worker.run(list(app.config["RQ_QUEUES"]), connection, worker.AppSimpleWorker)


if __name__ == "__main__":
    main()
