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
set-up, and to the one forking worker's delivery rate (the RESULT lines). Each
receiver key must arrive exactly once, or the script exits 1 (speed never makes it fail).
bench/README.md ("Workers") has the figures and the choice made from them.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from collections import Counter
from dataclasses import dataclass

from bench.common import receiving, throwaway_stack
from bench.notify import (
    Workers,
    assign_all,
    drain,
    outbox_rows,
    queue_noops,
    queue_rows,
    received_cases,
    serving,
    worker_environment,
)
from bench.results import result
from dispatch.extensions import get_redis
from dispatch.models import Channel

PG_SCHEMA = "bench_workers"
# (label, kind for bench.notify.worker_main, processes)
SETUPS = [("fork ×1", "fork", 1), ("simple ×1", "simple", 1), ("fork ×2", "fork", 2),
          ("simple ×2", "simple", 2), ("fork ×4", "fork", 4), ("simple ×4", "simple", 4)]
# `make bench`: the forking worker against the chosen set-up and twice its processes.
QUICK_RUNS = [["--events", "60", "--delay-ms", "20", "--only", "fork ×1,simple ×2,simple ×4"]]


@dataclass
class Measured:
    label: str
    noop_rate: float
    delivery_rate: float

    @property
    def ratio(self) -> float:
        return self.delivery_rate / self.noop_rate if self.noop_rate else 0.0


def measure(workers: Workers, label: str, kind: str, processes: int, case_ids: list[int],
            tag: str) -> Measured:
    """Jobs/s of ``processes`` workers of ``kind``, all started and listening first (their
    start-up is not counted): from queueing the jobs to the last one's end."""
    with serving(workers, kind, processes):
        drain("warm-up", queue_noops(20, f"{tag}-warm"))  # not reported
        noop = drain("no-op", queue_noops(len(case_ids), tag)).rate
        assign_all(case_ids)  # NOTIFY_AFTER_COMMIT is off: the rows wait in the outbox
        # The webhook rows only: the inbox rows (a database insert) are not what is measured.
        rows = [row for row in outbox_rows(case_ids) if row.channel == Channel.WEBHOOK]
        delivered = drain("webhook", queue_rows(rows)).rate
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
            receiving(args.delay_ms / 1000) as receiver:
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
        # Against the one forking worker of the same run: which set-up is fastest. (Against
        # its own no-op rate, a receiver that waits is the bound; bench/notify.py measures
        # the 0.8 × no-op target with a receiver that answers at once.)
        result(f"notify workers, {stack.database.kind}, receiver waiting {args.delay_ms:g} ms: "
               f"{item.label} deliveries/s vs fork ×1 ({item.ratio:.2f} × its no-op "
               f"{item.noop_rate:.0f} jobs/s)",
               figure=item.delivery_rate, baseline=fork.delivery_rate, unit="jobs/s",
               ratio=item.delivery_rate / fork.delivery_rate if fork.delivery_rate else 0.0,
               target="informational: the fastest set-up", met=None)
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
