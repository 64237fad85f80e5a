"""Notifications delivered per second by one RQ worker, as a ratio to no-op jobs, and the
time from a ledger event to its delivery.

Run ``python -m bench.notify --help``; bench/README.md explains the output. One worker
process (``AppWorker`` from worker.py: a forked work horse per job, as in production) drains,
in burst mode and one after the other on the same embedded Redis:

* ``no-op``: ``--events`` jobs that call :func:`noop`;
* ``webhook``: ``--events`` outbox rows of team assignments, each POSTed to a local webhook
  receiver (an HTTP server in this process) by ``dispatch.jobs.delivery.deliver``;
* ``inbox``: the in-app inbox rows of the same assignments (one for the team's captain each);
* ``no-op, again``: the baseline once more; the ratios use the mean of its two runs.

Then a worker runs as ``python worker.py`` does (waiting for jobs, with the scheduler) while
``--events`` further assignments are committed at ``--rate`` a second, each queued after
commit as the web app does; the time from each ledger event to its delivery gives p50/p99.
``--cold-worker`` and ``--simple-worker`` add the burst drains with other kinds of worker
process (:data:`WORKER_KINDS`), labelled: what-ifs, not what production runs.

It prints rates, ratios and percentiles and says whether the issue's targets (webhook
deliveries at least half the no-op rate; p99 from event to delivery under 2 s) were met;
speed never makes it fail. It exits 1 only when delivery was not correct: the receiver did not
get every webhook row's idempotency key exactly once, an outbox row has no ``sent_at``, an
inbox row has no message, or a worker process failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import redis
from flask import Flask
from rq import SimpleWorker, Worker
from rq.job import Job, JobStatus
from sqlalchemy import delete, func, select
from sqlalchemy.orm import configure_mappers

from bench.common import SPOT, percentile_ms, throwaway_stack
from bench.results import result as report_result
from dispatch import create_app
from dispatch.config import PROJECT_ROOT
from dispatch.extensions import db, get_queue, get_redis
from dispatch.jobs import outbox
from dispatch.models import (
    Case,
    CaseKind,
    Category,
    Channel,
    InboxMessage,
    Notification,
    Team,
    User,
    utcnow,
)
from dispatch.services.cases import lifecycle
from dispatch.services.cases.lifecycle import Actor
from worker import AppWorker

PG_SCHEMA = "bench_notify"  # the only schema this script creates, fills and drops
COORDINATOR = "coordinator"  # a demo studio coordinator: registers, receives and assigns
TEAM = "syl_wish"  # a demo team of that studio; its captain is the inbox recipient
CATEGORY = "elder_help"  # the demo data's micro-wish category
TARGET_RATIO = 0.5  # webhook deliveries per second, at least half the no-op rate
TARGET_P99_MS = 2000.0  # from the ledger event to the delivery
QUICK_RUNS = [["--events", "50"]]  # what `make bench` runs
WORKER_START_TIMEOUT_S = 60
COMMIT_EVERY = 100  # cases registered per transaction during the setup
WARMUP_JOBS = 20  # no-op jobs drained, not timed, before each kind of worker is measured


def noop() -> None:
    """The baseline job: RQ's own cost per job (dequeue, fork, app context, result)."""


# --- the worker process ------------------------------------------------------------------------

# The kinds of worker process, by the name passed to it. Only "fork" is what production runs.
WORKER_KINDS = {
    "fork": "worker.py as its main() sets it up: AppWorker, a forked work horse per job, "
            "the jobs imported and the ORM configured once before forking",
    "cold": "AppWorker without that set-up: every horse imports dispatch.jobs.delivery and "
            "configures the ORM for itself (not what worker.py does)",
    "simple": "rq's SimpleWorker: jobs in the worker process itself, no fork, database "
              "connections pooled from job to job (not what production runs)",
}


class AppSimpleWorker(SimpleWorker):
    """For ``--simple-worker`` only: jobs in the worker process itself, no fork, so the
    database pool is kept from job to job. Not what production runs."""

    app: Flask

    def perform_job(self, job: Any, queue: Any, execution: Any) -> bool:
        with self.app.app_context():
            try:
                return super().perform_job(job, queue, execution)
            finally:
                db.session.remove()


def worker_main(argv: list[str]) -> int:
    """Run in the worker process: ``<kind> [burst|serve] <instance folder>``, the kind one of
    :data:`WORKER_KINDS`.

    Set up as worker.py's ``main()`` (``create_app()`` reads DATABASE_URL, REDIS_URL and
    SECRET_KEY from the environment; the jobs imported and the ORM configured before any
    fork), except that ``cold`` skips the latter; only the instance folder is the
    benchmark's own.
    ``burst`` drains the queue and stops; ``serve`` waits for jobs, with the scheduler, until
    SIGTERM. Prints one JSON line: when ``work()`` began and ended (``time.time()``)."""
    kind, mode, instance = argv
    app = create_app({"INSTANCE_PATH": instance})
    with app.app_context():
        connection = get_redis()
    if kind != "cold":  # as worker.py's main(): done once, not in every forked horse
        import dispatch.jobs.delivery  # noqa: F401

        configure_mappers()
    worker_class: type[Worker] | type[SimpleWorker] = (
        AppSimpleWorker if kind == "simple" else AppWorker)
    worker_class.app = app  # type: ignore[union-attr]
    worker = worker_class(list(app.config["RQ_QUEUES"]), connection=connection)
    began = time.time()
    worker.work(burst=mode == "burst", with_scheduler=mode == "serve",
                logging_level="WARNING")
    print(json.dumps({"began": began, "ended": time.time()}), flush=True)
    return 0


WORKER_CODE = ("import sys; from bench.notify import worker_main; "
               "sys.exit(worker_main(sys.argv[1:]))")


class WorkerFailed(Exception):
    pass


class Workers:
    """Starts worker processes (each in a session of its own, with the project as working
    folder so that ``bench`` and ``worker`` import) and stops every one it started."""

    def __init__(self, env: dict[str, str], instance: Path, logs: Path) -> None:
        self.env, self.instance, self.logs = env, instance, logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, kind: str, mode: str) -> subprocess.Popen[bytes]:
        log = self.logs / f"worker-{len(self.started) + 1}-{kind}-{mode}.log"
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-c", WORKER_CODE, kind, mode, str(self.instance)],
                cwd=PROJECT_ROOT, env=self.env, stdout=subprocess.PIPE, stderr=stderr,
                start_new_session=True)
        self.started.append(process)
        return process

    def finish(self, process: subprocess.Popen[bytes], timeout: float) -> float:
        """Wait for the worker to end; the seconds its ``work()`` ran."""
        try:
            out, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as error:
            self.kill(process)
            raise WorkerFailed(f"the worker did not finish within {timeout:.0f} s") from error
        lines = out.decode().strip().splitlines()
        if process.returncode != 0 or not lines:
            raise WorkerFailed(f"the worker exited with {process.returncode}; the end of its "
                               f"log:\n{self.tail(process)}")
        times = json.loads(lines[-1])
        return float(times["ended"] - times["began"])

    def burst(self, kind: str, timeout: float) -> float:
        return self.finish(self.start(kind, "burst"), timeout)

    def stop(self, process: subprocess.Popen[bytes]) -> float:
        """Warm shutdown, as RQ does on SIGTERM: the job at hand ends first."""
        process.send_signal(signal.SIGTERM)
        return self.finish(process, timeout=60)

    def tail(self, process: subprocess.Popen[bytes]) -> str:
        number = self.started.index(process) + 1
        logs = sorted(self.logs.glob(f"worker-{number}-*.log"))
        return logs[0].read_text(errors="replace")[-2000:] if logs else ""

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # its own session: worker, scheduler
            process.wait(timeout=10)

    def close(self) -> None:
        for process in self.started:
            self.kill(process)
            if process.stdout is not None:
                process.stdout.close()


def worker_environment(database_url: str, redis_url: str, secret_key: str,
                       workdir: Path) -> dict[str, str]:
    """What worker.py reads, pointing at the benchmark's database and Redis. Bytecode is
    cached (as in a deployment) under ``workdir``, never in the project, even where
    PYTHONDONTWRITEBYTECODE is set: otherwise every work horse would compile
    ``dispatch.jobs.delivery`` from source when its first job imports it."""
    env = {name: value for name, value in os.environ.items()
           if name != "PYTHONDONTWRITEBYTECODE"}
    env.update({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": secret_key,
                "PYTHONPYCACHEPREFIX": str(workdir / "pycache"),
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    return env


def wait_for_worker(connection: redis.Redis, process: subprocess.Popen[bytes]) -> None:
    """Until the worker has registered with Redis, i.e. listens to the queue."""
    deadline = time.monotonic() + WORKER_START_TIMEOUT_S
    while Worker.count(connection=connection) < 1:
        if process.poll() is not None or time.monotonic() > deadline:
            raise WorkerFailed("the waiting worker did not start")
        time.sleep(0.05)


# --- the webhook receiver ----------------------------------------------------------------------

@dataclass
class Receiver:
    url: str
    arrivals: list[tuple[str, float]]  # (Idempotency-Key, time.time() when the POST arrived)


@contextlib.contextmanager
def receiving() -> Iterator[Receiver]:
    """A group-chat robot on 127.0.0.1: records each POST's key and arrival, answers 200."""
    arrivals: list[tuple[str, float]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the name http.server calls
            arrived = time.time()
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            arrivals.append((self.headers.get("Idempotency-Key") or "", arrived))
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
    thread = threading.Thread(target=server.serve_forever, name="receiver", daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_port}/hook", arrivals)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- setup -------------------------------------------------------------------------------------

def received_cases(count: int, webhook_url: str) -> list[int]:
    """``count`` micro-wishes registered and received by the demo coordinator, ready to be
    assigned to the demo team, whose group-chat webhook now points at the receiver. The
    outbox rows the setup (and the demo data) planned are deleted, never queued: the outbox
    then holds only what the measured events plan."""
    coordinator = db.session.scalar(select(User).where(User.username == COORDINATOR))
    category = db.session.scalar(select(Category).where(Category.code == CATEGORY))
    team = db.session.scalar(select(Team).where(Team.code == TEAM))
    assert coordinator is not None and category is not None and team is not None, \
        "demo data is missing"
    captain = db.session.get(User, team.captain_id) if team.captain_id else None
    assert captain is not None and captain.active, f"the demo team {TEAM} has no captain"
    team.webhook_kind, team.webhook_url = "wecom", webhook_url
    captain.notify_by_email = False  # so each assignment plans one inbox and one webhook row
    desk = Actor.of(coordinator)
    ids: list[int] = []
    for number in range(count):
        case = lifecycle.register(
            kind=CaseKind.WISH, title=f"帮独居老人换灯泡 #{number + 1}",
            description="楼道灯坏了，老人晚上下楼看不见。", latitude=SPOT[0] + number * 1e-5,
            longitude=SPOT[1], category=category, studio=coordinator.studio, actor=desk)
        lifecycle.receive(case, desk)
        ids.append(case.id)
        if (number + 1) % COMMIT_EVERY == 0:
            db.session.commit()
    db.session.execute(delete(Notification))
    db.session.commit()
    db.session.remove()
    return ids


# --- events and drains -------------------------------------------------------------------------

@dataclass
class Event:
    at: float  # the ledger event's created_at, as time.time()
    committed: float  # time.time() right after its commit returned


def assign_all(case_ids: list[int], rate: float | None = None) -> dict[int, Event]:
    """Assign each case to the team, one transaction each (as the desk's button does), back
    to back or at ``rate`` a second on a fixed schedule (no catching up in bursts)."""
    coordinator = db.session.scalar(select(User).where(User.username == COORDINATOR))
    assert coordinator is not None
    team_id = db.session.scalar(select(Team.id).where(Team.code == TEAM))
    events: dict[int, Event] = {}
    started = time.perf_counter()
    for number, case_id in enumerate(case_ids):
        if rate:
            delay = started + number / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        case, team = db.session.get(Case, case_id), db.session.get(Team, team_id)
        assert case is not None and team is not None
        at = utcnow()
        lifecycle.assign(case, Actor.of(coordinator), team=team, at=at)
        db.session.commit()  # in the latency phase, the after-commit hook queues the rows
        events[case_id] = Event(at.timestamp(), time.time())
    db.session.remove()
    return events


def outbox_rows(case_ids: list[int]) -> list[Notification]:
    rows = list(db.session.scalars(select(Notification).where(
        Notification.case_id.in_(case_ids)).order_by(Notification.id)))
    db.session.expunge_all()
    db.session.remove()
    return rows


@dataclass
class Drain:
    label: str
    jobs: int
    seconds: float  # wall time of the worker's work() in burst mode
    finished: int  # jobs RQ reports finished afterwards

    @property
    def rate(self) -> float:
        return self.jobs / self.seconds if self.seconds else 0.0


def drain(workers: Workers, kind: str, label: str, enqueue: Callable[[], list[str]],
          connection: redis.Redis) -> Drain:
    """Queue the jobs, then time one worker draining them in burst mode."""
    job_ids = enqueue()
    queued = get_queue().count
    if queued != len(job_ids):
        raise WorkerFailed(f"{label}: {queued} jobs in the queue, {len(job_ids)} expected")
    seconds = workers.burst(kind, timeout=600 + 2 * len(job_ids))
    jobs = Job.fetch_many(job_ids, connection=connection)
    finished = sum(1 for job in jobs
                   if job is not None and job.get_status(refresh=False) == JobStatus.FINISHED)
    return Drain(label, len(job_ids), seconds, finished)


def queue_noops(count: int, tag: str) -> Callable[[], list[str]]:
    def enqueue() -> list[str]:
        queue = get_queue()
        # By name: this module runs as __main__ here, but the worker imports bench.notify.
        # The same options as a notification's job (dispatch.jobs.outbox.enqueue).
        return [queue.enqueue("bench.notify.noop", job_id=f"noop-{tag}-{number}",
                              retry=outbox.RETRY, job_timeout=30).id
                for number in range(count)]
    return enqueue


def queue_rows(rows: list[Notification]) -> Callable[[], list[str]]:
    def enqueue() -> list[str]:
        for row in rows:
            if not outbox.enqueue(row.id):  # the app's own function: notify-<id>
                raise WorkerFailed(f"notification {row.id} could not be queued")
        return [f"notify-{row.id}" for row in rows]
    return enqueue


# --- latency -----------------------------------------------------------------------------------

@dataclass
class Latency:
    label: str
    seconds: list[float] = field(default_factory=list)


def wait_until_sent(case_ids: list[int], expected: int, timeout: float) -> int:
    """Poll the outbox until ``expected`` rows of these cases have ``sent_at``."""
    deadline = time.monotonic() + timeout
    sent = 0
    while time.monotonic() < deadline:
        sent = db.session.scalar(select(func.count(Notification.id)).where(
            Notification.case_id.in_(case_ids), Notification.sent_at.is_not(None))) or 0
        db.session.remove()
        if sent >= expected:
            break
        time.sleep(0.1)
    return sent


def latencies(rows: list[Notification], events: dict[int, Event],
              arrivals: dict[str, float]) -> list[Latency]:
    webhook_event = Latency("webhook: receiver arrival − ledger event")
    webhook_commit = Latency("webhook: receiver arrival − commit")
    inbox = Latency("inbox: sent_at − ledger event")
    for row in rows:
        event = events[row.case_id]
        if row.channel == Channel.WEBHOOK and row.key in arrivals:
            webhook_event.seconds.append(arrivals[row.key] - event.at)
            webhook_commit.seconds.append(arrivals[row.key] - event.committed)
        elif row.channel == Channel.INBOX and row.sent_at is not None:
            inbox.seconds.append(row.sent_at.timestamp() - event.at)
    both = Latency("all deliveries: arrival or sent_at − ledger event",
                   webhook_event.seconds + inbox.seconds)
    return [webhook_event, webhook_commit, inbox, both]


# --- checking the outcome ----------------------------------------------------------------------

def check(events: int, arrivals: list[tuple[str, float]]) -> tuple[list[str], list[str]]:
    """(what was found, problems): every outbox row sent, every webhook key received exactly
    once, every inbox row in the inbox once; one row of each kind per event."""
    rows = list(db.session.scalars(select(Notification)))
    messages = Counter(db.session.scalars(select(InboxMessage.notification_id)))
    db.session.remove()
    webhook = {row.key for row in rows if row.channel == Channel.WEBHOOK}
    inbox = {row.id for row in rows if row.channel == Channel.INBOX}
    received = Counter(key for key, _ in arrivals)
    missing = webhook - received.keys()
    repeated = {key: n for key, n in received.items() if key in webhook and n > 1}
    unexpected = received.keys() - webhook
    unsent = [row for row in rows if row.sent_at is None]
    failed = [row for row in rows if row.failed_at is not None or row.attempts != 1]
    no_message = inbox - messages.keys()
    problems = []
    if len(webhook) != events or len(inbox) != events or len(rows) != 2 * events:
        problems.append(f"the outbox holds {len(webhook)} webhook and {len(inbox)} inbox rows "
                        f"({len(rows)} in all) for {events} events, not one of each per event")
    if missing:
        problems.append(f"{len(missing)} webhook keys never reached the receiver, e.g. "
                        f"{sorted(missing)[:3]}")
    if repeated:
        problems.append(f"{len(repeated)} webhook keys reached the receiver more than once, "
                        f"e.g. {sorted(repeated.items())[:3]}")
    if unexpected:
        problems.append(f"the receiver got {len(unexpected)} keys that are not webhook rows, "
                        f"e.g. {sorted(unexpected)[:3]}")
    if unsent:
        problems.append(f"{len(unsent)} outbox rows have no sent_at, e.g. ids "
                        f"{[row.id for row in unsent[:5]]}")
    if no_message:
        problems.append(f"{len(no_message)} inbox rows have no inbox message")
    once = sum(1 for key in webhook if received[key] == 1)
    found = [f"{len(rows)} outbox rows for {events} events ({len(webhook)} webhook, "
             f"{len(inbox)} inbox); {len(rows) - len(unsent)} have sent_at",
             f"receiver: {len(arrivals)} POSTs, {once} of {len(webhook)} webhook keys exactly "
             f"once, {len(unexpected)} unknown keys",
             f"inbox: {len(inbox) - len(no_message)} of {len(inbox)} rows delivered as a "
             f"message; {len(failed)} rows needed a retry or failed"]
    return found, problems


# --- the run -----------------------------------------------------------------------------------

@dataclass
class Throughput:
    kind: str
    warmup: Drain  # not reported: the worker kind's first drain, whatever it costs
    noop_first: Drain
    webhook: Drain
    inbox: Drain
    noop_last: Drain

    @property
    def drains(self) -> list[Drain]:
        return [self.warmup, self.noop_first, self.webhook, self.inbox, self.noop_last]

    @property
    def both(self) -> Drain:
        return Drain("all deliveries", self.webhook.jobs + self.inbox.jobs,
                     self.webhook.seconds + self.inbox.seconds,
                     self.webhook.finished + self.inbox.finished)

    @property
    def noop_rate(self) -> float:
        """The baseline for the ratios: the mean of the two no-op runs."""
        return (self.noop_first.rate + self.noop_last.rate) / 2

    @property
    def ratio(self) -> float:
        return self.webhook.rate / self.noop_rate if self.noop_rate else 0.0


def throughput(workers: Workers, kind: str, case_ids: list[int], connection: redis.Redis,
               app: Flask) -> Throughput:
    """Burst drains by one worker of ``kind``, one after the other: no-op jobs, the webhook
    rows of ``case_ids``' assignments, their inbox rows, no-op jobs again; after a short
    warm-up drain of no-op jobs that is not reported."""
    with app.app_context():
        warmup = drain(workers, kind, "warm-up", queue_noops(WARMUP_JOBS, f"{kind}-0"),
                       connection)
        noop_first = drain(workers, kind, "no-op", queue_noops(len(case_ids), f"{kind}-1"),
                           connection)
        assign_all(case_ids)  # NOTIFY_AFTER_COMMIT is off: the rows wait in the outbox
        rows = outbox_rows(case_ids)
        webhook = drain(workers, kind, "webhook", queue_rows(
            [row for row in rows if row.channel == Channel.WEBHOOK]), connection)
        inbox = drain(workers, kind, "inbox", queue_rows(
            [row for row in rows if row.channel == Channel.INBOX]), connection)
        noop_last = drain(workers, kind, "no-op, again",
                          queue_noops(len(case_ids), f"{kind}-2"), connection)
    return Throughput(kind, warmup, noop_first, webhook, inbox, noop_last)


def print_throughput(result: Throughput) -> None:
    print(f"throughput, one worker draining the queue in burst mode: {result.kind}: "
          f"{WORKER_KINDS[result.kind]}")
    header = (f"{'jobs':<16} {'count':>6} {'seconds':>8} {'jobs/s':>7} {'ms/job':>7} "
              f"{'+ms vs no-op':>12} {'× no-op':>7}")
    print(header)
    print("─" * len(header))
    noop_rate = result.noop_rate
    for item in [result.noop_first, result.webhook, result.inbox, result.both,
                 result.noop_last]:
        per_job = 1000 / item.rate if item.rate else float("nan")
        extra = per_job - 1000 / noop_rate if noop_rate else float("nan")
        ratio = item.rate / noop_rate if noop_rate else float("nan")
        print(f"{item.label:<16} {item.jobs:>6} {item.seconds:>8.2f} {item.rate:>7.1f} "
              f"{per_job:>7.1f} {extra:>+12.1f} {ratio:>7.2f}")
    first, last = result.noop_first.rate, result.noop_last.rate
    spread = abs(first - last) / noop_rate if noop_rate else 0.0
    print(f"no-op rate for the ratios: {noop_rate:.1f} jobs/s, the mean of its two runs "
          f"({spread:.0%} apart{'; the machine was not steady' if spread > 0.15 else ''})")
    print(f"webhook deliveries {result.webhook.rate:.1f}/s = {result.ratio:.2f} × no-op; all "
          f"deliveries (webhook + inbox) {result.both.rate:.1f}/s = "
          f"{result.both.rate / noop_rate if noop_rate else 0.0:.2f} × no-op")


def measure_latency(app: Flask, workers: Workers, connection: redis.Redis,
                    receiver: Receiver, case_ids: list[int], rate: float,
                    capacity: float) -> float:
    """A worker waiting for jobs, as worker.py runs it, while the cases are assigned at
    ``rate`` a second, each queued by the after-commit hook as in the app. Prints the
    percentiles; returns the p99 in ms from the ledger event to the webhook's arrival."""
    expected = 2 * len(case_ids)
    app.config["NOTIFY_AFTER_COMMIT"] = True
    try:
        with app.app_context():
            process = workers.start("fork", "serve")
            wait_for_worker(connection, process)
            started = time.perf_counter()
            events = assign_all(case_ids, rate)
            created_s = time.perf_counter() - started
            sent = wait_until_sent(case_ids, expected,
                                   timeout=120 + 4 * expected / max(capacity, 1.0))
            drained_s = time.perf_counter() - started
            workers.stop(process)
            rows = outbox_rows(case_ids)
    finally:
        app.config["NOTIFY_AFTER_COMMIT"] = False
    achieved = (len(events) - 1) / created_s if len(events) > 1 else rate  # first to last
    offered = 2 * achieved
    print(f"latency: {len(events)} events committed at {achieved:.1f}/s "
          f"(asked {rate:g}/s) over {created_s:.1f} s, each queued after commit, while one "
          f"worker waits for jobs as worker.py runs it (fork, with the scheduler); "
          f"{sent} of {expected} deliveries done {drained_s:.1f} s after the first event")
    print(f"offered {offered:.1f} deliveries/s; the burst drain managed {capacity:.1f}/s"
          + ("; the queue grows, so the latency is mostly the backlog" if offered > capacity
             else ""))
    header = f"{'from → to':<52} {'count':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    print(header)
    print("─" * len(header))
    # A repeated key would keep its last arrival here; check() reports repeats.
    measured = latencies(rows, events, dict(receiver.arrivals))
    for item in measured:
        print(f"{item.label:<52} {len(item.seconds):>5} "
              f"{percentile_ms(item.seconds, 50):>8.1f} "
              f"{percentile_ms(item.seconds, 99):>8.1f} "
              f"{max(item.seconds, default=float('nan')) * 1000:>8.1f}")
    return percentile_ms(measured[0].seconds, 99)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.notify", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--events", type=int, default=500,
                        help="ledger events (team assignments) per phase, each planning one "
                             "webhook and one inbox row; also the no-op jobs per baseline run")
    parser.add_argument("--rate", type=float, default=50.0,
                        help="events a second in the latency phase")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL URL; its schema bench_notify is dropped and "
                             "recreated. Default: SQLite in a temporary directory")
    parser.add_argument("--cold-worker", action="store_true",
                        help="also drain with an AppWorker that leaves importing "
                             "dispatch.jobs.delivery and configuring the ORM to every forked horse "
                             "(labelled 'cold')")
    parser.add_argument("--simple-worker", action="store_true",
                        help="also drain with an rq SimpleWorker, no fork per job "
                             "(labelled 'simple')")
    args = parser.parse_args(argv)
    if args.events < 1 or args.rate <= 0:
        parser.error("--events and --rate must be positive")
    extra = [kind for kind, wanted in (("cold", args.cold_worker),
                                       ("simple", args.simple_worker)) if wanted]

    try:
        with throwaway_stack(PG_SCHEMA, args.database_url) as stack, receiving() as receiver:
            logs = stack.workdir / "logs"
            logs.mkdir()
            secret_key = secrets.token_hex(16)  # the app's and the worker processes'
            began = time.perf_counter()
            app = stack.demo_app(
                SECRET_KEY=secret_key,
                NOTIFY_AFTER_COMMIT=False)  # queued by the script, except in the latency phase
            groups = 2 + len(extra)  # burst drains, latency, one burst set per extra kind
            with app.app_context():
                case_ids = received_cases(groups * args.events, receiver.url)
                connection = get_redis()
                if get_queue().count:
                    raise WorkerFailed("the queue is not empty after the setup")
            os.sync()  # the setup's writes, flushed now, would otherwise slow the first drains
            parts = [case_ids[n * args.events:(n + 1) * args.events] for n in range(groups)]
            workers = Workers(worker_environment(stack.database.url, stack.redis_url, secret_key,
                                                 stack.workdir), stack.workdir / "instance", logs)
            stack.cleanup.callback(workers.close)  # at the end, before what they use goes
            print(f"{stack.database.kind}, embedded Redis, {os.cpu_count()} cores; {args.events} "
                  "events per phase, each a team assignment that plans one webhook row (POST "
                  "to a receiver in this process) and one inbox row; one worker process at a "
                  f"time; setup {time.perf_counter() - began:.1f} s", flush=True)

            results = [throughput(workers, "fork", parts[0], connection, app)]
            print()
            print_throughput(results[0])
            ratio = results[0].ratio
            print(f"target: webhook deliveries ≥ {TARGET_RATIO} × no-op rate: "
                  f"{'met' if ratio >= TARGET_RATIO else 'not met'} ({ratio:.2f}; "
                  "informational)", flush=True)
            report_result(f"webhook deliveries/s, one forking worker, {stack.database.kind}",
                          figure=results[0].webhook.rate, baseline=results[0].webhook.rate
                          / ratio if ratio else 0.0, unit="jobs/s", ratio=ratio,
                          target=f"≥ {TARGET_RATIO} × no-op jobs/s", met=ratio >= TARGET_RATIO)

            print()
            p99 = measure_latency(app, workers, connection, receiver, parts[1], args.rate,
                                  results[0].both.rate)
            print(f"target: p99 from ledger event to webhook delivery < {TARGET_P99_MS:.0f} ms: "
                  f"{'met' if p99 < TARGET_P99_MS else 'not met'} ({p99:.0f} ms; "
                  "informational)", flush=True)

            for kind, ids in zip(extra, parts[2:], strict=True):
                results.append(throughput(workers, kind, ids, connection, app))
                print()
                print_throughput(results[-1])

            print()
            with app.app_context():
                found, problems = check(len(case_ids), receiver.arrivals)
        problems += [f"{result.kind} {item.label}: {item.jobs - item.finished} of {item.jobs} "
                     "jobs did not finish" for result in results for item in result.drains
                     if item.finished != item.jobs]
        for line in found:
            print(f"check: {line}")
        for problem in problems:
            print(f"WRONG: {problem}", file=sys.stderr)
        print("correct: every notification delivered exactly once" if not problems
              else f"NOT correct: {len(problems)} problems")
        return 1 if problems else 0
    except WorkerFailed as error:
        print(f"WRONG: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
