"""Which RQ worker set-up delivers notifications fastest: the forking ``Worker`` (a work
horse per job, as worker.py ran until now), ``SimpleWorker`` (jobs in the worker process),
and several processes of each, against a webhook receiver that waits ``--delay-ms`` before
answering, as an outside group-chat robot or SMS gateway does.

    python -m bench.workers                        # SQLite, 200 deliveries a set-up
    python -m bench.workers --database-url postgresql://postgres@127.0.0.1:5432/test

For each set-up, in one run on one embedded Redis: ``--events`` no-op jobs drained by the
set-up's processes in burst mode (the baseline: RQ's own cost per job), then ``--events``
webhook deliveries (outbox rows of team assignments, ``dispatch.jobs.delivery.deliver``)
drained the same way. The figure is deliveries/s; its ratio is to the no-op rate of the same
set-up (the issue's target: ≥ 0.8), and to the one forking worker's delivery rate. Each
receiver key must arrive exactly once, or the script exits 1 (speed never makes it fail).
bench/README.md ("Workers") has the figures and the choice made from them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from rq import Worker
from rq.job import Job, JobStatus

from bench.common import throwaway_stack
from bench.notify import (
    Receiver,
    WorkerFailed,
    Workers,
    assign_all,
    outbox_rows,
    queue_noops,
    queue_rows,
    received_cases,
    worker_environment,
)
from dispatch.extensions import get_redis
from dispatch.models import Channel

PG_SCHEMA = "bench_workers"
# (label, kind for bench.notify.worker_main, processes)
SETUPS = [("fork ×1", "fork", 1), ("simple ×1", "simple", 1), ("fork ×2", "fork", 2),
          ("simple ×2", "simple", 2), ("fork ×4", "fork", 4), ("simple ×4", "simple", 4)]
TARGET = 0.8  # deliveries/s at least this × the no-op rate of the chosen set-up


def result(name: str, *, figure: float, baseline: float, unit: str, ratio: float,
           target: str = "", met: bool | None = None) -> None:
    """The ``RESULT {json}`` line ``make bench`` reads (the format of bench/results.py)."""
    print("RESULT " + json.dumps({"name": name, "figure": figure, "baseline": baseline,
                                  "unit": unit, "ratio": ratio, "target": target, "met": met},
                                 ensure_ascii=False), flush=True)


@contextlib.contextmanager
def waiting_receiver(delay_s: float) -> Iterator[Receiver]:
    arrivals: list[tuple[str, float]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the name http.server calls
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(delay_s)  # the outside service thinking
            with lock:
                arrivals.append((self.headers.get("Idempotency-Key") or "", time.time()))
            body = b'{"errcode": 0, "errmsg": "ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_port}/hook", arrivals)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class Measured:
    label: str
    noop_rate: float
    delivery_rate: float

    @property
    def ratio(self) -> float:
        return self.delivery_rate / self.noop_rate if self.noop_rate else 0.0


def drain_with(workers: Workers, kind: str, processes: int,
               enqueue: Callable[[], list[str]]) -> float:
    """Jobs/s of ``processes`` workers of ``kind``, all started and listening first (their
    start-up is not counted): from queueing the jobs to the last one's end."""
    connection = get_redis()
    running = [workers.start(kind, "serve") for _ in range(processes)]
    deadline = time.monotonic() + 120
    while Worker.count(connection=connection) < processes:
        if time.monotonic() > deadline or any(p.poll() is not None for p in running):
            raise WorkerFailed("the workers did not start")
        time.sleep(0.05)
    started = time.time()
    job_ids = enqueue()
    deadline = time.monotonic() + 600 + 2 * len(job_ids)
    while True:
        jobs = Job.fetch_many(job_ids, connection=connection)
        if all(job is not None and job.get_status(refresh=False) in (
                JobStatus.FINISHED, JobStatus.FAILED) for job in jobs):
            break
        if time.monotonic() > deadline:
            raise WorkerFailed("the jobs did not finish")
        time.sleep(0.05)
    ended = max(job.ended_at.timestamp() for job in jobs if job and job.ended_at)
    if any(job.get_status(refresh=False) != JobStatus.FINISHED for job in jobs if job):
        raise WorkerFailed("a job failed")
    for process in running:
        workers.stop(process)
    return len(job_ids) / (ended - started)


def measure(workers: Workers, label: str, kind: str, processes: int, case_ids: list[int],
            tag: str) -> Measured:
    drain_with(workers, kind, processes, queue_noops(20, f"{tag}-warm"))  # not reported
    noop = drain_with(workers, kind, processes, queue_noops(len(case_ids), tag))
    assign_all(case_ids)  # NOTIFY_AFTER_COMMIT is off: the rows wait in the outbox
    # The webhook rows only: the inbox rows (a database insert) are not what is measured.
    rows = [row for row in outbox_rows(case_ids) if row.channel == Channel.WEBHOOK]
    delivered = drain_with(workers, kind, processes, queue_rows(rows))
    return Measured(label, noop, delivered)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.workers",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200, help="deliveries per set-up")
    parser.add_argument("--delay-ms", type=float, default=100.0,
                        help="how long the receiver waits before it answers")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--only", default="", help="comma-separated set-up labels")
    args = parser.parse_args(argv)
    setups = [s for s in SETUPS if not args.only or s[0] in args.only.split(",")]
    with throwaway_stack(PG_SCHEMA, args.database_url) as stack, \
            waiting_receiver(args.delay_ms / 1000) as receiver:
        (stack.workdir / "logs").mkdir()
        secret_key = secrets.token_hex(16)
        app = stack.demo_app(SECRET_KEY=secret_key, NOTIFY_AFTER_COMMIT=False)
        with app.app_context():
            case_ids = received_cases(len(setups) * args.events, receiver.url)
            get_redis()
        workers = Workers(worker_environment(stack.database.url, stack.redis_url, secret_key,
                                             stack.workdir), stack.workdir / "instance",
                          stack.workdir / "logs")
        stack.cleanup.callback(workers.close)
        print(f"{stack.database.kind}; {args.events} webhook deliveries per set-up to a "
              f"receiver that waits {args.delay_ms:g} ms", flush=True)
        measured = []
        with app.app_context():
            for number, (label, kind, processes) in enumerate(setups):
                part = case_ids[number * args.events:(number + 1) * args.events]
                measured.append(measure(workers, label, kind, processes, part, f"s{number}"))
                item = measured[-1]
                print(f"{label:<10} no-op {item.noop_rate:7.1f} jobs/s  deliveries "
                      f"{item.delivery_rate:6.1f}/s  = {item.ratio:.2f} × no-op", flush=True)
        keys = Counter(key for key, _ in receiver.arrivals)
    fork = next((m for m in measured if m.label == "fork ×1"), measured[0])
    for item in measured:
        result(f"notify workers: {item.label}, deliveries/s vs its no-op jobs/s",
               figure=round(item.delivery_rate, 1), baseline=round(item.noop_rate, 1),
               unit="jobs/s", ratio=round(item.ratio, 2), target=f"≥ {TARGET} × no-op",
               met=item.ratio >= TARGET)
        print(json.dumps({"setup": item.label, "× fork ×1 deliveries":
                          round(item.delivery_rate / fork.delivery_rate, 2)}))
    repeats = [key for key, count in keys.items() if count != 1]
    expected = len(setups) * args.events
    if repeats or len(keys) != expected:
        print(f"WRONG: {len(keys)} keys received ({expected} expected), {len(repeats)} "
              "more than once", file=sys.stderr)
        return 1
    print("correct: every webhook delivered exactly once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
