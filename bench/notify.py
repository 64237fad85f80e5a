"""Notifications with the production worker set-up: deliveries per second as a ratio to
no-op jobs, and the time from a ledger event to its delivery at a steady rate.

Run ``python -m bench.notify --help``; bench/README.md explains the output. The set-up is
the one production runs (``--kind simple --workers 2``): two ``worker.py`` processes with
RQ's ``SimpleWorker`` (``AppSimpleWorker``: each job in the worker process, in a fresh app
context, its database pool kept from job to job), as ``make serve`` (``RQ_WORKERS=2``) and
``deploy/`` start them. They are started once, listen (their start-up is not counted), and
serve, on the same embedded Redis, one after the other:

* ``no-op``: ``--events`` jobs that call :func:`noop` (RQ's own cost per job);
* ``one job an event``: the outbox rows of ``--events`` team assignments queued as the app
  queues them, one job for each event's rows: its webhook row, POSTed to a local webhook
  receiver (an HTTP server in this process), and its inbox row (one for the team's
  captain), both sent by ``dispatch.jobs.delivery.deliver``;
* ``webhook row``, ``inbox row``: the rows of another ``--events`` assignments, one job a
  row (the desk's "try again"; every row's job until 2026-12-01);
* ``no-op, again``: the baseline once more; the ratios use the mean of its two runs.

Each drain is timed from queueing its first job to the end of its last, and the worker
processes' CPU over it is divided by its jobs. The target's figure is outbox rows delivered
a second, one job an event, against no-op jobs a second. Then, with the same
workers serving, further assignments are committed at ``--rate`` a second for ``--seconds``,
each queued after commit as the web app does; the time from each ledger event to its
delivery gives p50/p95/p99. ``--kind fork`` (a forked work horse per job) or ``cold`` and
``--workers N`` measure other set-ups, labelled as what-ifs.

It prints rates, ratios and percentiles and says whether the issue's targets (deliveries
at least 0.8 × the no-op job rate; p99 from event to delivery under 2 s at 50
events/s) were met; speed never makes it fail. It exits 1 only when delivery was not
correct: the receiver did not get every webhook row's idempotency key exactly once, an
outbox row has no ``sent_at``, an inbox row has no message, or a worker process failed.
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
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from rq import Worker
from rq.job import Job, JobStatus
from sqlalchemy import delete, func, select
from sqlalchemy.orm import configure_mappers

from bench.common import SPOT, Receiver, percentile_ms, receiving, throwaway_stack
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
from worker import JOB_MONITORING_INTERVAL, AppSimpleWorker, AppWorker

PG_SCHEMA = "bench_notify"  # the only schema this script creates, fills and drops
COORDINATOR = "coordinator"  # a demo studio coordinator: registers, receives and assigns
TEAM = "syl_wish"  # a demo team of that studio; its captain is the inbox recipient
CATEGORY = "elder_help"  # the demo data's micro-wish category
TARGET_RATIO = 0.8  # webhook deliveries per second, at least this × the no-op rate
TARGET_P99_MS = 2000.0  # from the ledger event to the delivery, at 50 events/s
# What `make bench` runs: the production set-up on SQLite and on PostgreSQL.
QUICK_RUNS = [["--events", "100", "--seconds", "6"],
              ["--events", "100", "--seconds", "6",
               "--database-url", "postgresql://postgres@127.0.0.1:5432/test"]]
WORKER_START_TIMEOUT_S = 60
COMMIT_EVERY = 100  # cases registered per transaction during the setup
WARMUP_JOBS = 20  # no-op jobs served, not timed, before anything is measured


def noop() -> None:
    """The baseline job: RQ's own cost per job (dequeue, app context, result)."""


# --- the worker processes ----------------------------------------------------------------------

# The kinds of worker process, by the name passed to it. "simple" is what production runs.
WORKER_KINDS = {
    "simple": "worker.py's default: AppSimpleWorker, each job in the worker process in a "
              "fresh app context, the database pool kept from job to job",
    "fork": "worker.py with RQ_WORKER_CLASS=fork: AppWorker, a forked work horse per job, "
            "the jobs imported and the ORM configured once before forking",
    "cold": "AppWorker without that set-up: every horse imports dispatch.jobs.delivery and "
            "configures the ORM for itself (not what worker.py does)",
}


def worker_main(argv: list[str]) -> int:
    """Run in the worker process: ``<kind> [burst|serve] <instance folder>``, the kind one of
    :data:`WORKER_KINDS`.

    Set up as worker.py's ``main()`` (``create_app()`` reads DATABASE_URL, REDIS_URL and
    SECRET_KEY from the environment; the jobs imported and the ORM configured before any
    job), except that ``cold`` skips the latter; only the instance folder is the
    benchmark's own. ``burst`` drains the queue and stops; ``serve`` waits for jobs, with the
    scheduler, until SIGTERM. Prints one JSON line: when ``work()`` began and ended."""
    kind, mode, instance = argv
    app = create_app({"INSTANCE_PATH": instance})
    with app.app_context():
        connection = get_redis()
    if kind != "cold":  # as worker.py's main(): done once, not in every forked horse
        import dispatch.jobs.delivery  # noqa: F401

        configure_mappers()
    worker_class: type[AppWorker] | type[AppSimpleWorker] = (
        AppSimpleWorker if kind == "simple" else AppWorker)
    worker_class.app = app
    worker = worker_class(list(app.config["RQ_QUEUES"]), connection=connection,
                          job_monitoring_interval=JOB_MONITORING_INTERVAL)
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


@contextlib.contextmanager
def serving(workers: Workers, kind: str, processes: int) -> Iterator[list[Any]]:
    """``processes`` workers of ``kind`` waiting for jobs (registered with Redis) for the
    block; stopped (warm shutdown) after it."""
    connection = get_redis()
    before = Worker.count(connection=connection)
    running = [workers.start(kind, "serve") for _ in range(processes)]
    deadline = time.monotonic() + WORKER_START_TIMEOUT_S
    while Worker.count(connection=connection) < before + processes:
        if time.monotonic() > deadline or any(p.poll() is not None for p in running):
            raise WorkerFailed("the workers did not start")
        time.sleep(0.05)
    try:
        yield running
    finally:
        for process in running:
            workers.stop(process)


@dataclass
class Drain:
    label: str
    jobs: int
    seconds: float  # from queueing the first job to the end of the last
    deliveries: int = 0  # the outbox rows the jobs sent (none for no-op jobs)
    cpu_s: float = float("nan")  # CPU the worker processes spent meanwhile (user + system)

    @property
    def rate(self) -> float:
        """Jobs a second."""
        return self.jobs / self.seconds if self.seconds else 0.0

    @property
    def delivery_rate(self) -> float:
        """Outbox rows sent a second."""
        return self.deliveries / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_job(self) -> float:
        return self.cpu_s * 1000 / self.jobs if self.jobs else float("nan")


def worker_cpu(processes: list[subprocess.Popen[bytes]]) -> float:
    """Seconds of CPU (user + system) the processes have used, from /proc; NaN without it."""
    total = 0.0
    for process in processes:
        try:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def drain(label: str, enqueue: Callable[[], list[str]], deliveries: int = 0,
          workers: list[subprocess.Popen[bytes]] | None = None) -> Drain:
    """Queue the jobs for the workers serving; wait until every one has finished. With
    ``workers``, the CPU those processes spent from queueing to the end is measured too (it
    includes what they spend polling Redis while idle, nearly nothing)."""
    connection = get_redis()
    cpu_before = worker_cpu(workers) if workers else float("nan")
    started = time.time()
    job_ids = enqueue()
    deadline = time.monotonic() + 600 + 2 * len(job_ids)
    while True:
        jobs = Job.fetch_many(job_ids, connection=connection)
        states = [job.get_status(refresh=False) if job else None for job in jobs]
        if all(state in (JobStatus.FINISHED, JobStatus.FAILED) for state in states):
            break
        if time.monotonic() > deadline:
            raise WorkerFailed(f"{label}: the jobs did not finish")
        time.sleep(0.05)
    if any(state != JobStatus.FINISHED for state in states):
        raise WorkerFailed(f"{label}: {states.count(JobStatus.FAILED)} jobs failed")
    ended = max(job.ended_at.timestamp() for job in jobs if job and job.ended_at)
    cpu = worker_cpu(workers) - cpu_before if workers else float("nan")
    return Drain(label, len(job_ids), ended - started, deliveries, cpu)


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


def queue_noops(count: int, tag: str) -> Callable[[], list[str]]:
    def enqueue() -> list[str]:
        queue = get_queue()
        # By name: this module runs as __main__ here, but the worker imports bench.notify.
        # The same options as a notification's job (dispatch.jobs.outbox.enqueue).
        return [queue.enqueue("bench.notify.noop", job_id=f"noop-{tag}-{number}",
                              retry=outbox.RETRY, job_timeout=30).id
                for number in range(count)]
    return enqueue


def queue_events(rows: list[Notification]) -> Callable[[], list[str]]:
    """The rows queued as the after-commit hook queues them: one job for each event's rows
    (jobs/outbox.py), named by its first row."""
    def enqueue() -> list[str]:
        events = outbox.by_event((row.id, row.case_id, row.key) for row in rows)
        for first, *more in events:
            if not outbox.enqueue(first, more=more):
                raise WorkerFailed(f"notification {first} could not be queued")
        return [f"notify-{first}" for first, *_ in events]
    return enqueue


def queue_rows(rows: list[Notification]) -> Callable[[], list[str]]:
    """One job a row, as the desk's "try again" queues one."""
    def enqueue() -> list[str]:
        for row in rows:
            if not outbox.enqueue(row.id):  # the app's own function: notify-<id>
                raise WorkerFailed(f"notification {row.id} could not be queued")
        return [f"notify-{row.id}" for row in rows]
    return enqueue


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
    setup: str
    noop_first: Drain
    events: Drain  # one job an event: its webhook and inbox rows
    webhook: Drain  # one job a row
    inbox: Drain  # one job a row
    noop_last: Drain

    @property
    def one_a_row(self) -> Drain:
        return Drain("one job a row", self.webhook.jobs + self.inbox.jobs,
                     self.webhook.seconds + self.inbox.seconds,
                     self.webhook.deliveries + self.inbox.deliveries,
                     self.webhook.cpu_s + self.inbox.cpu_s)

    @property
    def noop_rate(self) -> float:
        """The baseline for the ratios: the mean of the two no-op runs."""
        return (self.noop_first.rate + self.noop_last.rate) / 2

    @property
    def ratio(self) -> float:
        """The target's figure: outbox rows delivered a second (as the app queues them, one
        job an event) ÷ no-op jobs a second."""
        return self.events.delivery_rate / self.noop_rate if self.noop_rate else 0.0


def throughput(setup: str, case_ids: list[int], per_row_ids: list[int],
               running: list[subprocess.Popen[bytes]]) -> Throughput:
    """No-op jobs; the webhook and inbox rows of ``case_ids``' assignments, one job an event
    as the app queues them; the rows of ``per_row_ids``' assignments one job a row (webhook
    rows, then inbox rows); no-op jobs again. Each drained by the workers serving, after a
    warm-up that is not reported. ``running``: the worker processes, whose CPU is measured."""
    drain("warm-up", queue_noops(WARMUP_JOBS, "0"))
    noop_first = drain("no-op", queue_noops(len(case_ids), "1"), workers=running)
    assign_all(case_ids + per_row_ids)  # NOTIFY_AFTER_COMMIT is off: the rows wait
    rows = outbox_rows(case_ids)
    events = drain("one job an event", queue_events(rows), len(rows), running)
    rows = outbox_rows(per_row_ids)
    hooks = [r for r in rows if r.channel == Channel.WEBHOOK]
    webhook = drain("webhook row", queue_rows(hooks), len(hooks), running)
    inboxes = [r for r in rows if r.channel == Channel.INBOX]
    inbox = drain("inbox row", queue_rows(inboxes), len(inboxes), running)
    noop_last = drain("no-op, again", queue_noops(len(case_ids), "2"), workers=running)
    return Throughput(setup, noop_first, events, webhook, inbox, noop_last)


def print_throughput(result: Throughput) -> None:
    print(f"throughput: {result.setup}")
    header = (f"{'jobs':<18} {'jobs':>5} {'rows':>5} {'seconds':>8} {'jobs/s':>7} "
              f"{'rows/s':>7} {'ms/job':>7} {'+ms vs no-op':>12} {'rows/s ÷ no-op':>14} "
              f"{'CPU ms/job':>10}")
    print(header)
    print("─" * len(header))
    noop_rate = result.noop_rate
    for item in [result.noop_first, result.events, result.webhook, result.inbox,
                 result.one_a_row, result.noop_last]:
        per_job = 1000 / item.rate if item.rate else float("nan")
        extra = per_job - 1000 / noop_rate if noop_rate else float("nan")
        ratio = (item.delivery_rate / noop_rate if noop_rate and item.deliveries
                 else float("nan"))
        print(f"{item.label:<18} {item.jobs:>5} {item.deliveries:>5} {item.seconds:>8.2f} "
              f"{item.rate:>7.1f} {item.delivery_rate:>7.1f} {per_job:>7.1f} {extra:>+12.1f} "
              f"{ratio:>14.2f} {item.cpu_ms_per_job:>10.2f}")
    first, last = result.noop_first.rate, result.noop_last.rate
    spread = abs(first - last) / noop_rate if noop_rate else 0.0
    print(f"no-op rate for the ratios: {noop_rate:.1f} jobs/s, the mean of its two runs "
          f"({spread:.0%} apart{'; the machine was not steady' if spread > 0.15 else ''})")
    cpu_noop = (result.noop_first.cpu_ms_per_job + result.noop_last.cpu_ms_per_job) / 2
    per_row = result.one_a_row
    for item in (result.events, per_row):
        cpu_row = item.cpu_s * 1000 / item.deliveries if item.deliveries else float("nan")
        print(f"by the workers' CPU, {item.label}: {cpu_row:.2f} ms a row against "
              f"{cpu_noop:.2f} ms a no-op job = {cpu_noop / cpu_row:.2f} × (steadier than "
              "the rates on a shared machine)")
    print(f"deliveries (webhook + inbox rows), one job an event as the app queues them: "
          f"{result.events.delivery_rate:.1f}/s = {result.ratio:.2f} × the no-op jobs/s "
          f"({result.events.rate:.1f} jobs/s = "
          f"{result.events.rate / noop_rate if noop_rate else 0.0:.2f} × no-op); one job a "
          f"row: {per_row.delivery_rate:.1f}/s = "
          f"{per_row.delivery_rate / noop_rate if noop_rate else 0.0:.2f} × no-op (webhook "
          f"rows {result.webhook.rate / noop_rate if noop_rate else 0.0:.2f} ×)")


def measure_latency(app: Flask, receiver: Receiver, case_ids: list[int], rate: float,
                    capacity: float) -> list[Latency]:
    """The workers serving while the cases are assigned at ``rate`` a second, each queued by
    the after-commit hook as in the app. Prints and returns the percentiles."""
    expected = 2 * len(case_ids)
    app.config["NOTIFY_AFTER_COMMIT"] = True
    try:
        started = time.perf_counter()
        events = assign_all(case_ids, rate)
        created_s = time.perf_counter() - started
        sent = wait_until_sent(case_ids, expected,
                               timeout=120 + 4 * expected / max(capacity, 1.0))
        drained_s = time.perf_counter() - started
        rows = outbox_rows(case_ids)
    finally:
        app.config["NOTIFY_AFTER_COMMIT"] = False
    achieved = (len(events) - 1) / created_s if len(events) > 1 else rate  # first to last
    print(f"latency: {len(events)} events committed at {achieved:.1f}/s (asked {rate:g}/s) "
          f"over {created_s:.1f} s, each queued after commit; {sent} of {expected} deliveries "
          f"done {drained_s:.1f} s after the first event")
    offered = 2 * achieved
    print(f"offered {offered:.1f} deliveries/s; the drains managed {capacity:.1f}/s"
          + ("; the queue grows, so the latency is mostly the backlog" if offered > capacity
             else ""))
    header = (f"{'from → to':<52} {'count':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
              f"{'max ms':>8}")
    print(header)
    print("─" * len(header))
    # A repeated key would keep its last arrival here; check() reports repeats.
    arrivals = dict(receiver.arrivals)
    measured = latencies(rows, events, arrivals)
    # A backlog shows as a lag that grows from the first events to the last.
    by_event = [arrivals[row.key] - events[row.case_id].committed for row in
                sorted(rows, key=lambda r: events[r.case_id].committed)
                if row.channel == Channel.WEBHOOK and row.key in arrivals]
    tenth = max(1, len(by_event) // 10)
    print("webhook lag after commit, p50 of the first, middle and last tenth of the events: "
          + ", ".join(f"{percentile_ms(part, 50):.0f} ms" for part in (
              by_event[:tenth], by_event[len(by_event) // 2 - tenth // 2:][:tenth],
              by_event[-tenth:])))
    for item in measured:
        print(f"{item.label:<52} {len(item.seconds):>5} "
              + " ".join(f"{percentile_ms(item.seconds, p):>8.1f}" for p in (50, 95, 99))
              + f" {max(item.seconds, default=float('nan')) * 1000:>8.1f}")
    return measured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.notify", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--events", type=int, default=500,
                        help="assignments in the throughput phase, each planning one webhook "
                             "and one inbox row; also the no-op jobs per baseline run")
    parser.add_argument("--rate", type=float, default=50.0,
                        help="events a second in the latency phase")
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="length of the latency phase (rate × seconds events)")
    parser.add_argument("--kind", choices=sorted(WORKER_KINDS), default="simple")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL URL; its schema bench_notify is dropped and "
                             "recreated. Default: SQLite in a temporary directory")
    args = parser.parse_args(argv)
    if min(args.events, args.rate, args.seconds, args.workers) <= 0:
        parser.error("--events, --rate, --seconds and --workers must be positive")
    latency_events = max(2, round(args.rate * args.seconds))
    kind_name = {"simple": "SimpleWorker", "fork": "forking Worker", "cold": "cold fork"}
    setup = f"{kind_name[args.kind]} ×{args.workers}"

    try:
        with throwaway_stack(PG_SCHEMA, args.database_url) as stack, receiving() as receiver:
            logs = stack.workdir / "logs"
            logs.mkdir()
            secret_key = secrets.token_hex(16)  # the app's and the worker processes'
            began = time.perf_counter()
            app = stack.demo_app(
                SECRET_KEY=secret_key,
                NOTIFY_AFTER_COMMIT=False)  # queued by the script, except in the latency phase
            with app.app_context():
                case_ids = received_cases(2 * args.events + latency_events, receiver.url)
                if get_queue().count:
                    raise WorkerFailed("the queue is not empty after the setup")
            os.sync()  # the setup's writes, flushed now, would otherwise slow the first drains
            workers = Workers(worker_environment(stack.database.url, stack.redis_url, secret_key,
                                                 stack.workdir), stack.workdir / "instance", logs)
            stack.cleanup.callback(workers.close)  # at the end, before what they use goes
            kind = stack.database.kind
            print(f"{kind}, embedded Redis, {os.cpu_count()} cores, load average "
                  f"{os.getloadavg()[0]:.1f}; {setup} ({WORKER_KINDS[args.kind]}); "
                  f"{args.events} events for the throughput, {latency_events} at "
                  f"{args.rate:g}/s for the latency; each event a team assignment that plans "
                  "one webhook row (POST to a receiver in this process) and one inbox row; "
                  f"setup {time.perf_counter() - began:.1f} s", flush=True)
            with app.app_context(), serving(workers, args.kind, args.workers) as running:
                measured = throughput(setup, case_ids[:args.events],
                                      case_ids[args.events:2 * args.events], running)
                print()
                print_throughput(measured)
                ratio = measured.ratio
                print(f"target: deliveries ≥ {TARGET_RATIO} × no-op jobs/s: "
                      f"{'met' if ratio >= TARGET_RATIO else 'not met'} ({ratio:.2f}; "
                      "informational)", flush=True)
                print()
                latency = measure_latency(app, receiver, case_ids[2 * args.events:],
                                          args.rate, measured.events.delivery_rate)
            p99 = percentile_ms(latency[0].seconds, 99)
            print(f"target: p99 from ledger event to webhook delivery < {TARGET_P99_MS:.0f} ms "
                  f"at {args.rate:g} events/s: {'met' if p99 < TARGET_P99_MS else 'not met'} "
                  f"({p99:.0f} ms; informational)", flush=True)
            print()
            with app.app_context():
                found, problems = check(len(case_ids), receiver.arrivals)
        for line in found:
            print(f"check: {line}")
        for problem in problems:
            print(f"WRONG: {problem}", file=sys.stderr)
        print("correct: every notification delivered exactly once" if not problems
              else f"NOT correct: {len(problems)} problems")
        if not problems:
            report_result(f"deliveries/s (webhook + inbox rows, one job an event), {setup}, "
                          f"{kind}", figure=measured.events.delivery_rate,
                          baseline=measured.noop_rate, unit="/s", ratio=ratio,
                          target=f"≥ {TARGET_RATIO} × no-op jobs/s", met=ratio >= TARGET_RATIO)
            p50, p95 = (percentile_ms(latency[0].seconds, p) for p in (50, 95))
            report_result(f"event → webhook delivery p99 at {args.rate:g} events/s, {setup}, "
                          f"{kind} (p50 {p50:.0f} ms, p95 {p95:.0f} ms)", figure=p99,
                          baseline=TARGET_P99_MS, unit="ms", ratio=p99 / TARGET_P99_MS,
                          target=f"p99 < {TARGET_P99_MS:.0f} ms (baseline column: the budget; "
                                 "ratio p99 ÷ budget)", met=p99 < TARGET_P99_MS)
        return 1 if problems else 0
    except WorkerFailed as error:
        print(f"WRONG: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
