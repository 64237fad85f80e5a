"""Open311 speed: ``requests.json`` listing 1,000 of 100,000 cases, and POST throughput,
each as a ratio to a bare Flask endpoint doing one query, measured in the same run.

Run ``python -m bench.api --help``; bench/README.md explains the output. As in
``bench/report.py`` every variant is served over real HTTP by werkzeug's threaded server and
driven by concurrent ``requests`` sessions, one after the other:

* ``bare read``: a tiny Flask app on the same database whose one GET runs one query (the
  newest 1,000 rows of ``cases``, the same columns the listing reads) and answers them as
  JSON, each row as it comes;
* ``requests.json``: GET /open311/v2/requests.json, the specification's default (the newest
  1,000 requests of the last 90 days), with the limiter on;
* ``bare write``: the same tiny app's POST, which inserts one row and commits;
* ``POST requests``: POST /open311/v2/requests.json with an API key, form-encoded;
* each bare variant runs again after its Open311 one; the ratios use the mean of both runs.

It asserts nothing about speed. It exits non-zero only when the measurement is invalid: a
request that failed, a listing without 1,000 requests, or cases in the database that do not
match the POSTs that succeeded.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from datetime import UTC, datetime, timedelta

import requests
from flask import Flask, Response
from sqlalchemy import func, insert, select, text

from bench.common import SPOT, Stack, throwaway_stack
from bench.report import (
    BareRow,
    RequestFailed,
    Result,
    bare_db,
    create_bare_app,
    drive,
    print_table,
    serving,
)
from bench.results import result
from dispatch.extensions import db
from dispatch.models import Case, CaseKind, CaseStatus, Category, Studio
from dispatch.services.cases.lifecycle import new_tracking_code
from dispatch.services.open_data import api_keys

PG_SCHEMA = "bench_api"  # the only schema this script creates, fills and drops
CATEGORY = "facility_hazard"  # from the demo data
LISTED = 1000
TARGET_RATIO = 0.5
QUICK_RUNS = [["--cases", "20000", "--seconds", "4"]]  # what `make bench` runs
TIMEOUT_S = 60
# The same rows and columns requests.json reads, as one query a bare endpoint would write.
NEWEST = text("SELECT id, tracking_code, kind, title, status, assignment_status, description, "
              "address, latitude, longitude, created_at, updated_at, due_at, reply_text, "
              "closing_reason, category_id, studio_id, assigned_team_id, duplicate_of_id, "
              "support_count FROM cases ORDER BY created_at DESC LIMIT 1000")


def create_open311_app(stack: Stack) -> Flask:
    return stack.demo_app(OPEN311_READ_LIMITS="100000000 per minute",  # runs, never bites
                          OPEN311_KEY_LIMITS="100000000 per minute", RATELIMIT_ENABLED=True)


def seed_cases(app: Flask, count: int) -> str:
    """``count`` registered cases over the last 80 days (every tenth a micro-wish), in bulk;
    returns a fresh API key."""
    now = datetime.now(UTC)
    with app.app_context():
        category = db.session.scalar(select(Category).where(Category.code == CATEGORY))
        studio = db.session.scalar(select(Studio).order_by(Studio.id))
        assert category is not None and studio is not None
        for start in range(0, count, 5000):
            rows = []
            for n in range(start, min(start + 5000, count)):
                at = now - timedelta(seconds=n * 80 * 86400 / count)
                rows.append({
                    "tracking_code": new_tracking_code(),
                    "kind": CaseKind.WISH if n % 10 == 0 else CaseKind.HAZARD,
                    "title": f"车棚顶棚松动 {n}",
                    "description": "天鹤村小区车棚顶棚松动，大风天很危险。",
                    "latitude": SPOT[0] + (n % 100) * 1e-4, "longitude": SPOT[1],
                    "address": "天鹤村小区3栋旁", "category_id": category.id,
                    "studio_id": studio.id, "status": CaseStatus.REGISTERED, "version": 1,
                    "created_at": at, "updated_at": at, "stage_entered_at": at,
                    "due_at": at + timedelta(hours=category.receive_hours)})
            db.session.execute(insert(Case), rows)
        key = api_keys.issue("bench").key
        db.session.commit()
        db.session.remove()
    return key


def add_bare_read(app: Flask) -> None:
    @app.get("/cases")
    def newest() -> Response:
        rows = bare_db.session.execute(NEWEST).mappings().all()
        return Response(json.dumps([dict(row) for row in rows], default=str,
                                   ensure_ascii=False), mimetype="application/json")


def getter(path: str) -> object:
    checked: list[bool] = []

    def send(session: requests.Session, base: str, _token: str) -> None:
        response = session.get(f"{base}{path}", timeout=TIMEOUT_S)
        if response.status_code != 200:
            raise RequestFailed(f"GET {path}: HTTP {response.status_code}: "
                                f"{response.text[:300]}")
        if not checked:  # once: the listing really holds 1,000 entries
            if len(response.json()) != LISTED:
                raise RequestFailed(f"GET {path}: not {LISTED} entries")
            checked.append(True)
    return send


def send_bare_write(session: requests.Session, base: str, token: str) -> None:
    response = session.post(f"{base}/rows", timeout=TIMEOUT_S, data={
        "submission_token": token, "description": "天鹤村车棚顶棚松动"})
    if response.status_code != 201:
        raise RequestFailed(f"bare write: HTTP {response.status_code}")


def poster(key: str) -> object:
    def send(session: requests.Session, base: str, _token: str) -> None:
        response = session.post(f"{base}/open311/v2/requests.json", timeout=TIMEOUT_S, data={
            "api_key": key, "service_code": CATEGORY, "lat": str(SPOT[0]),
            "long": str(SPOT[1]), "description": "车棚顶棚松动，风一吹就响",
            "first_name": "王", "phone": "13812345678"})
        if response.status_code != 200:
            raise RequestFailed(f"POST requests: HTTP {response.status_code}: "
                                f"{response.text[:300]}")
    return send


def counts(app: Flask, bare: Flask) -> tuple[int, int]:
    with app.app_context():
        cases = db.session.scalar(select(func.count(Case.id))) or 0
        db.session.remove()
    with bare.app_context():
        rows = bare_db.session.scalar(select(func.count(BareRow.id))) or 0
        bare_db.session.remove()
    return cases, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.api", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--seconds", type=float, default=6.0, help="measured time per variant")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--cases", type=int, default=100_000, help="cases in the database")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL URL; its schema bench_api is dropped and recreated. "
                             "Default: SQLite in a temporary directory")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or args.cases < LISTED:
        parser.error(f"--clients and --seconds must be positive, --cases at least {LISTED}")

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with throwaway_stack(PG_SCHEMA, args.database_url) as stack:
        app = create_open311_app(stack)
        began = time.perf_counter()
        key = seed_cases(app, args.cases)
        bare = stack.dispose_at_end(create_bare_app(stack.database.url), bare_db)
        add_bare_read(bare)
        cases_before, rows_before = counts(app, bare)
        print(f"{stack.database.kind}, embedded Redis, {args.clients} clients, "
              f"{args.seconds:g} s per variant; {cases_before} cases "
              f"(seeded in {time.perf_counter() - began:.0f} s)", flush=True)
        run = {"clients": args.clients, "seconds": args.seconds}
        with serving(bare) as bare_base, serving(app) as base:
            reads = [drive("bare read", bare_base, getter("/cases"), **run),
                     drive("requests.json", base,
                           getter("/open311/v2/requests.json"), **run),
                     drive("bare read, again", bare_base, getter("/cases"), **run)]
            writes = [drive("bare write", bare_base, send_bare_write, **run),
                      drive("POST requests", base, poster(key), **run),
                      drive("bare write, again", bare_base, send_bare_write, **run)]
        problems = report(reads, "listing") + report(writes, "POST")
        cases, rows = counts(app, bare)
        posted = writes[1].sent_ok
        bare_written = writes[0].sent_ok + writes[2].sent_ok
        print(f"database: {cases - cases_before} new cases for {posted} POSTs answered 200, "
              f"{rows - rows_before} bare rows for {bare_written} bare writes "
              "(warm-ups included)")
        if (cases - cases_before, rows - rows_before) != (posted, bare_written):
            problems.append("the database disagrees with the requests that succeeded")
        for problem in problems:
            print(f"INVALID: {problem}", file=sys.stderr)
        return 1 if problems else 0


def report(results: list[Result], what: str) -> list[str]:
    bare_rate = (results[0].rate + results[2].rate) / 2
    print()
    print_table(results, bare_rate)
    ratio = results[1].rate / bare_rate if bare_rate else 0.0
    drift = abs(results[0].rate - results[2].rate) / bare_rate if bare_rate else 0.0
    print(f"{what}: {ratio:.2f} × bare (bare runs {drift:.0%} apart); target ≥ "
          f"{TARGET_RATIO}: {'met' if ratio >= TARGET_RATIO else 'not met'} (informational)")
    errors = [f"{r.variant}: {e}" for r in results for e in r.errors]
    if not errors:
        result(f"Open311 {what} ({results[1].variant}) vs a bare endpoint", figure=results[1].rate,
               baseline=bare_rate, unit="req/s", ratio=ratio, target=f"≥ {TARGET_RATIO} × bare",
               met=ratio >= TARGET_RATIO)
    return errors


if __name__ == "__main__":
    sys.exit(main())
