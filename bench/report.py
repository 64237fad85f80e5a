"""Cases filed per second through the resident's HTTP form, as a ratio to a bare endpoint.

Run ``python -m bench.report --help``; bench/README.md explains the output. One gunicorn
(``gunicorn.conf.py``, as deployed) serves the app and the bare endpoint (``bench.served``),
one RQ worker process (worker.py's) makes the thumbnails and delivers the notifications the
filings queue, and concurrent ``requests`` sessions drive each variant, one after the other
in the same run:

* ``bare``: a tiny Flask app whose one POST endpoint inserts one row and commits, on the
  same kind of database (its own SQLite file, or its own table in the PostgreSQL schema),
  mounted at ``/bare`` in the same gunicorn;
* ``form, no photo``: POST /report/details exactly as a phone's browser sends it
  (multipart, CSRF token from the same session, a fresh submission token every time);
* ``form, 1 photo``: the same with one phone-sized JPEG attached;
* ``bare, again``: the baseline once more, after the worker has caught up; the ratios use
  the mean of its two runs.

It prints numbers and ratios and asserts nothing about speed. It exits non-zero only when the
measurement itself is invalid: a request that did not succeed, or rows in the database that do
not match the requests that succeeded.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import random
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import requests
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from PIL import Image
from sqlalchemy import String, Text, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.serving import BaseWSGIServer, make_server

from bench.common import SPOT, Stack, percentile_ms, throwaway_stack
from bench.results import result as report_result
from bench.served import BARE_PREFIX, Server, gunicorn, rq_worker
from dispatch.extensions import db, get_queue
from dispatch.models import Case, CasePhoto, Category
from dispatch.services.intake.filing import LOOKALIKE_RADIUS_M, lookalikes

PG_SCHEMA = "bench_report"  # the only schema this script creates, fills and drops
CATEGORY = "facility_hazard"  # from the demo data
CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
TARGET_RATIO = 0.5  # the target: without a photo, at least half the bare rate
QUICK_RUNS = [["--seconds", "4", "--spread-m", "1000"]]  # what `make bench` runs
WARMUP_PER_CLIENT = 3
# Before each variant's clock, this many requests on fresh connections, one after the other:
# gunicorn hands each new connection to any of its workers, so every worker has served the
# variant (its SQL compiled, its templates loaded) before it is measured, not only those the
# clients' kept-alive connections happen to reach (3 workers: (2/3)**24 < 1e-4 to miss one).
WARMUP_CONNECTIONS = 24
TIMEOUT_S = 60


# --- the baseline: a bare Flask endpoint that writes one row -------------------------------

class BareBase(DeclarativeBase):
    pass


bare_db = SQLAlchemy(model_class=BareBase)


class BareRow(bare_db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bench_bare_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)  # as cases.submission_token
    description: Mapped[str] = mapped_column(Text)


def create_bare_app(database_url: str) -> Flask:
    """One endpoint: read the posted form, insert one row, commit, answer 201.

    On SQLite its engine gets the same pragmas as the app's (WAL, busy timeout): the app's
    connect listener in ``dispatch.extensions`` is registered on every Engine.
    """
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    bare_db.init_app(app)

    @app.post("/rows")
    def add_row() -> tuple[str, int]:
        bare_db.session.add(BareRow(token=request.form["submission_token"],
                                    description=request.form["description"]))
        bare_db.session.commit()
        return "", 201

    with app.app_context():
        bare_db.create_all()
    return app


# --- the app, set up as in production but in a temporary directory -------------------------

def create_form_app(stack: Stack) -> Flask:
    return stack.demo_app(
        REPORT_LIMITS="1000000 per hour",  # the limiter still runs, on Redis; it never bites
        RATELIMIT_ENABLED=True)


def phone_photo() -> bytes:
    """A 1600x1200 JPEG that compresses like a photo: gradients under noise, ~0.5 MB."""
    size = (1600, 1200)
    noise = Image.effect_noise(size, 20)
    gradient = Image.linear_gradient("L").resize(size)
    channels = [Image.blend(gradient, noise, 0.5),
                Image.blend(gradient.rotate(90).resize(size), noise, 0.35),
                noise]
    buffer = io.BytesIO()
    Image.merge("RGB", channels).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


# --- serving and driving over real HTTP ----------------------------------------------------

@contextlib.contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app on 127.0.0.1 (a free port), one thread per request, until the block ends."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"serve-{app.name}",
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# One request: (session, base URL, fresh submission token) -> None, raising on failure.
Send = Callable[[requests.Session, str, str], None]


class RequestFailed(Exception):
    pass


def near_spot(spread_m: float) -> tuple[float, float]:
    """The spot itself, or a random point at most ``spread_m`` metres from it."""
    if spread_m <= 0:
        return SPOT
    distance, bearing = spread_m * math.sqrt(random.random()), random.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / 111_320
    dlon = distance * math.sin(bearing) / (111_320 * math.cos(math.radians(SPOT[0])))
    return round(SPOT[0] + dlat, 6), round(SPOT[1] + dlon, 6)


def text_fields(token: str, point: tuple[float, float] = SPOT) -> dict[str, str]:
    return {"kind": "hazard", "category": CATEGORY, "lat": str(point[0]), "lon": str(point[1]),
            "address": "天鹤村小区7栋旁", "submission_token": token,
            "description": "车棚顶棚松动，风一吹就响", "name": "王阿姨",
            "phone": "138 1234 5678"}


def no_file() -> dict[str, tuple[str, bytes, str]]:
    """What a browser sends for a multipart form whose file input was left empty."""
    return {"photos": ("", b"", "application/octet-stream")}


def send_bare(session: requests.Session, base: str, token: str) -> None:
    response = session.post(f"{base}{BARE_PREFIX}/rows", data=text_fields(token), files=no_file(),
                            timeout=TIMEOUT_S)
    if response.status_code not in (200, 201):
        raise RequestFailed(f"bare: HTTP {response.status_code}: {response.text[:300]}")


def form_sender(photo: bytes | None, spread_m: float = 0.0) -> Send:
    def send(session: requests.Session, base: str, token: str) -> None:
        data = text_fields(token, near_spot(spread_m))
        data["csrf_token"] = session.csrf_token  # type: ignore[attr-defined]
        files = ({"photos": ("IMG_0001.jpg", photo, "image/jpeg")} if photo is not None
                 else no_file())
        response = session.post(f"{base}/report/details", data=data, files=files,
                                allow_redirects=False, timeout=TIMEOUT_S)
        location = response.headers.get("Location", "")
        if response.status_code != 302 or "filed=1" not in location:
            page = "html" in response.headers.get("Content-Type", "")
            raise RequestFailed(f"form: HTTP {response.status_code}, Location {location!r}"
                                + ("" if page else f": {response.text[:300]}"))
    return send


def open_form_session(session: requests.Session, base: str) -> None:
    """GET step 2 in this session, as the phone does, and keep its CSRF token."""
    response = session.get(f"{base}/report/details", timeout=TIMEOUT_S, params={
        "kind": "hazard", "category": CATEGORY, "lat": SPOT[0], "lon": SPOT[1]})
    match = CSRF_PATTERN.search(response.text)
    if response.status_code != 200 or match is None:
        raise RequestFailed(f"step 2: HTTP {response.status_code}, no CSRF token")
    session.csrf_token = match.group(1)  # type: ignore[attr-defined]


@dataclass
class Result:
    variant: str
    latencies: list[float] = field(default_factory=list)  # seconds, measured requests only
    sent_ok: int = 0  # every successful request, warm-up included
    seconds: float = 0.0
    client_cpu: float = 0.0  # CPU seconds the client threads used during the measurement
    server_cpu: float = 0.0  # CPU seconds gunicorn (master and workers) used meanwhile
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_ms(self) -> float:
        """gunicorn's CPU per request (its master and workers, from /proc)."""
        served = len(self.latencies)
        return self.server_cpu / served * 1000 if served else float("nan")

    def percentile_ms(self, p: float) -> float:
        return percentile_ms(self.latencies, p)


def drive(variant: str, server: Server | str, send: Send, *, clients: int, seconds: float,
          prepare: Callable[[requests.Session, str], None] | None = None) -> Result:
    """``clients`` threads, each with its own session, sending back to back for ``seconds``
    after a short warm-up. A thread stops at its first failure."""
    result = Result(variant)
    lock = threading.Lock()
    clock: dict[str, float] = {}
    base = server if isinstance(server, str) else server.base

    def server_cpu() -> float:  # gunicorn's; or, in-process (werkzeug), this process's
        return time.process_time() if isinstance(server, str) else server.cpu_seconds()

    def start_clock() -> None:  # run by the barrier once all have arrived, before any leaves
        clock["started"], clock["cpu"] = time.perf_counter(), server_cpu()
        clock["deadline"] = clock["started"] + seconds

    start_line = threading.Barrier(clients + 1, action=start_clock)
    if not isinstance(server, str):  # one gunicorn, several workers
        for _ in range(WARMUP_CONNECTIONS):
            with requests.Session() as session:
                session.trust_env = False
                if prepare is not None:
                    prepare(session, base)
                send(session, base, secrets.token_urlsafe(24))
                result.sent_ok += 1

    def client() -> None:
        latencies: list[float] = []
        ok = 0
        cpu = 0.0
        with requests.Session() as session:
            session.trust_env = False  # no proxy from the environment for 127.0.0.1
            try:
                try:
                    if prepare is not None:
                        prepare(session, base)
                    for _ in range(WARMUP_PER_CLIENT):
                        send(session, base, secrets.token_urlsafe(24))
                        ok += 1
                finally:
                    start_line.wait()
                cpu_start = time.thread_time()
                while time.perf_counter() < clock["deadline"]:
                    began = time.perf_counter()
                    send(session, base, secrets.token_urlsafe(24))
                    latencies.append(time.perf_counter() - began)
                    ok += 1
                cpu = time.thread_time() - cpu_start
            except Exception as error:  # recorded: the run is then reported invalid
                with lock:
                    result.errors.append(f"{type(error).__name__}: {error}")
        with lock:
            result.latencies.extend(latencies)
            result.sent_ok += ok
            result.client_cpu += cpu

    threads = [threading.Thread(target=client, name=f"client-{i}") for i in range(clients)]
    for thread in threads:
        thread.start()
    start_line.wait()  # everyone warmed up: the clock starts now
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - clock["started"]
    result.server_cpu = server_cpu() - clock["cpu"]
    if isinstance(server, str):  # in-process: the clients' CPU is in the process's
        result.server_cpu -= result.client_cpu
    if not result.latencies and not result.errors:
        result.errors.append("no request was measured")
    return result


# --- databases -------------------------------------------------------------------------------

def bare_database_url(stack: Stack) -> str:
    """The bare app's: a SQLite file of its own next to the app's, or the app's PostgreSQL
    schema ``bench_report`` (its own table there)."""
    if stack.database.kind == "SQLite":
        return f"sqlite:///{stack.workdir / 'bare.db'}"
    return stack.database.url


def database_counts(form_app: Flask, bare_app: Flask) -> tuple[int, int, int]:
    with form_app.app_context():
        cases = db.session.scalar(select(func.count(Case.id))) or 0
        photos = db.session.scalar(select(func.count(CasePhoto.id))) or 0
        db.session.remove()
    with bare_app.app_context():
        rows = bare_db.session.scalar(select(func.count(BareRow.id))) or 0
        bare_db.session.remove()
    return cases, photos, rows


def open_nearby(form_app: Flask) -> int:
    """Open cases of the category within the look-alike radius of the spot: what step 2
    finds, and what the POST looks up again, for a report at the spot."""
    with form_app.app_context():
        category = db.session.scalar(select(Category).where(Category.code == CATEGORY))
        assert category is not None, f"no category {CATEGORY} in the demo data"
        count = len(lookalikes(category.id, *SPOT, limit=1_000_000))
        db.session.remove()
        return count


def wait_for_worker(app: Flask, limit_s: float = 120) -> tuple[int, float]:
    """Until the queue is empty and nothing runs: (jobs waiting at first, seconds taken)."""
    began = time.perf_counter()
    with app.app_context():
        queue = get_queue()
        waiting = queue.count
        deadline = began + limit_s
        while (queue.count or queue.started_job_registry.count) and \
                time.perf_counter() < deadline:
            time.sleep(0.1)
    return waiting, time.perf_counter() - began


# --- the run ---------------------------------------------------------------------------------

def print_table(results: list[Result], bare_rate: float) -> None:
    header = (f"{'variant':<15} {'requests':>8} {'seconds':>7} {'req/s':>7} {'p50 ms':>7} "
              f"{'p99 ms':>7} {'× bare':>6} │ {'server CPU ms/req':>17} "
              f"{'client CPU ms/req':>17}")
    print(header)
    print("─" * len(header))
    for result in results:
        ratio = result.rate / bare_rate if bare_rate else float("nan")
        served = len(result.latencies)
        client = result.client_cpu / served * 1000 if served else float("nan")
        print(f"{result.variant:<15} {len(result.latencies):>8} {result.seconds:>7.2f} "
              f"{result.rate:>7.1f} {result.percentile_ms(50):>7.1f} "
              f"{result.percentile_ms(99):>7.1f} {ratio:>6.2f} │ "
              f"{result.server_cpu_ms:>17.1f} {client:>17.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.report", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0,
                        help="measured time per variant, after a short warm-up")
    parser.add_argument("--clients", type=int, default=4,
                        help="concurrent client threads, each with its own session")
    parser.add_argument("--spread-m", type=float, default=0.0,
                        help="file each report at a random point within this many metres of "
                             "the spot; 0: all at the spot, so every case filed becomes a "
                             f"look-alike ({LOOKALIKE_RADIUS_M} m) of the next")
    parser.add_argument("--worker", choices=("during", "after"), default="during",
                        help="the RQ worker runs during the form variants, as deployed "
                             "(competing for the same cores), or starts only after them")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL URL; its schema bench_report is dropped and "
                             "recreated. Default: SQLite files in a temporary directory")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0:
        parser.error("--clients and --seconds must be positive")

    with throwaway_stack(PG_SCHEMA, args.database_url) as stack:
        form_app = create_form_app(stack)
        bare_url = bare_database_url(stack)
        bare_app = stack.dispose_at_end(create_bare_app(bare_url), bare_db)  # its table
        photo = phone_photo()
        cases_before, photos_before, rows_before = database_counts(form_app, bare_app)
        print(f"{stack.database.kind}, embedded Redis, {args.clients} clients, "
              f"{args.seconds:g} s per variant; photo {len(photo) / 1024:.0f} KB "
              "(1600x1200 JPEG); one gunicorn (gunicorn.conf.py) serves the form and the bare "
              f"endpoint ({BARE_PREFIX}); one RQ worker process beside it, {args.worker} the "
              "form variants", flush=True)

        results: list[Result] = []
        nearby = [open_nearby(form_app)]
        os.sync()  # the setup's writes, flushed now, would otherwise slow the first commits
        with gunicorn(stack, form_app, bare="bench.report:create_bare_app",
                      bare_database_url=bare_url) as server, contextlib.ExitStack() as worker:
            if args.worker == "during":
                worker.enter_context(rq_worker(stack, form_app))
            # The baseline runs first and last: the ratio uses the mean of both, and a
            # difference between them shows that the machine's load changed during the run.
            results.append(drive("bare", server, send_bare, clients=args.clients,
                                 seconds=args.seconds))
            for variant, upload in (("form, no photo", None), ("form, 1 photo", photo)):
                results.append(drive(variant, server, form_sender(upload, args.spread_m),
                                     clients=args.clients, seconds=args.seconds,
                                     prepare=open_form_session))
                nearby.append(open_nearby(form_app))
            if args.worker == "after":
                worker.enter_context(rq_worker(stack, form_app))
            backlog = wait_for_worker(form_app)
            results.append(drive("bare, again", server, send_bare, clients=args.clients,
                                 seconds=args.seconds))
        bare_first, no_photo, with_photo, bare_last = results
        bare_rate = (bare_first.rate + bare_last.rate) / 2

        print()
        print_table(results, bare_rate)
        drift = abs(bare_first.rate - bare_last.rate) / bare_rate if bare_rate else 0.0
        print(f"\nbare rate for the ratios: {bare_rate:.1f} req/s, the mean of its two runs "
              f"({drift:.0%} apart{'; the machine was not steady' if drift > 0.15 else ''})")
        ratio = no_photo.rate / bare_rate if bare_rate else 0.0
        print(f"target: without photo ≥ {TARGET_RATIO} × bare: "
              f"{'met' if ratio >= TARGET_RATIO else 'not met'} ({ratio:.2f}; informational)")
        for variant, target in ((no_photo, TARGET_RATIO), (with_photo, 0.2)):
            report_result(
                f"filings/s through the form, {variant.variant}, {stack.database.kind}",
                figure=variant.rate, baseline=bare_rate, unit="req/s",
                ratio=variant.rate / bare_rate if bare_rate else 0.0,
                target=f"≥ {target} × a bare endpoint",
                met=bare_rate > 0 and variant.rate / bare_rate >= target)
        print(f"the worker's backlog when the form variants ended: {backlog[0]} jobs, done "
              f"{backlog[1]:.1f} s later (before 'bare, again')")
        print(f"open look-alikes within {LOOKALIKE_RADIUS_M} m of the spot, which each "
              f"form POST loads: {' → '.join(map(str, nearby))} (before, after no photo, "
              f"after 1 photo; --spread-m {args.spread_m:g})")

        cases, photos, rows = database_counts(form_app, bare_app)
        new_cases, new_photos, new_rows = (cases - cases_before, photos - photos_before,
                                           rows - rows_before)
        filed = no_photo.sent_ok + with_photo.sent_ok
        bare_sent = bare_first.sent_ok + bare_last.sent_ok
        uploads = len(list((stack.workdir / "uploads").glob("*.jpg")))
        print(f"database: {new_cases} new cases for {filed} form posts answered 302, "
              f"{new_photos} photos for {with_photo.sent_ok} posts with one "
              f"({uploads} files: full + thumbnail), {new_rows} bare rows for "
              f"{bare_sent} bare posts (warm-ups included)")
        problems = [f"{r.variant}: {e}" for r in results for e in r.errors]
        if (new_cases, new_photos, new_rows, uploads) != (
                filed, with_photo.sent_ok, bare_sent, 2 * with_photo.sent_ok):
            problems.append("the database disagrees with the requests that succeeded")
        for problem in problems:
            print(f"INVALID: {problem}", file=sys.stderr)
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
