"""/api/v1 speed as a ratio to bare Flask endpoints doing the same database work once.

Run ``python -m bench.api_v1 --help``. Over real HTTP (werkzeug's threaded server, as in
bench/report.py), with ``--clients`` concurrent ``requests`` sessions, in one run:

* ``bare list``: a tiny Flask app whose GET reads the newest ``--limit`` cases' columns with
  one query and answers JSON, on the same database;
* ``api list``: ``GET /api/v1/cases?limit=N`` with a personal token: the token check, the
  query, masking, and spectree validating the query and the response;
* ``bare file``: the tiny app's POST inserting one row and committing;
* ``api file``: ``POST /api/v1/cases`` (JSON, a fresh idempotency key each time): the
  filing service with its ledger and outbox rows.

It prints rates and ratios (the issue's goal is ≥ 0.5 × bare) and asserts nothing about
speed; it exits 1 only if a request failed.
"""

from __future__ import annotations

import argparse
import logging
import sys

import requests
from flask import Flask, jsonify, request
from sqlalchemy import select, text

from bench.common import SPOT, throwaway_stack
from bench.report import BareRow, bare_db, drive, print_table, serving
from bench.results import result
from dispatch.extensions import db
from dispatch.models import CaseKind, Category, Role, User
from dispatch.services.cases import lifecycle
from dispatch.services.responders import tokens

PG_SCHEMA = "bench_api_v1"  # the only schema this script creates, fills and drops
CATEGORY = "facility_hazard"
TIMEOUT_S = 60


def create_bare_app(database_url: str, limit: int) -> Flask:
    app = Flask("bare")
    app.config.update(SQLALCHEMY_DATABASE_URI=database_url)
    bare_db.init_app(app)
    with app.app_context():
        bare_db.create_all()

    @app.get("/cases")
    def cases() -> object:
        rows = bare_db.session.execute(text(
            "SELECT id, tracking_code, title, status, latitude, longitude, created_at "
            "FROM cases ORDER BY id DESC LIMIT :n"), {"n": limit}).mappings()
        return jsonify(items=[{**row, "created_at": str(row["created_at"])} for row in rows])

    @app.post("/cases")
    def file() -> tuple[object, int]:
        body = request.get_json()
        bare_db.session.add(BareRow(token=body["idempotency_key"],
                                    description=body["description"]))
        bare_db.session.commit()
        return jsonify(ok=True), 201

    return app


def seed_cases(app: Flask, count: int) -> str:
    """``count`` more cases registered through the lifecycle; a coordinator's token."""
    with app.app_context():
        category = db.session.scalar(select(Category).where(Category.code == CATEGORY))
        assert category is not None
        for n in range(count):
            lifecycle.register(kind=CaseKind.HAZARD, title=f"压测 {n}", description="压测用事项",
                               latitude=SPOT[0], longitude=SPOT[1], category=category)
            if n % 200 == 199:
                db.session.commit()
        user = db.session.scalar(select(User).where(User.role == Role.COORDINATOR))
        assert user is not None
        _row, token = tokens.issue(user, "bench")
        db.session.commit()
        db.session.remove()
        return token


def body(category_id: int, key: str) -> dict[str, object]:
    return {"kind": "hazard", "category_id": category_id, "description": "路灯不亮",
            "latitude": SPOT[0], "longitude": SPOT[1], "idempotency_key": key}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_v1",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--cases", type=int, default=1000, help="cases added to the demo's")
    parser.add_argument("--limit", type=int, default=100, help="cases per listed page")
    parser.add_argument("--database-url", default=None,
                        help=f"PostgreSQL URL (its schema {PG_SCHEMA} is dropped and "
                             "recreated); default: SQLite in a temporary directory")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with throwaway_stack(PG_SCHEMA, args.database_url) as stack:
        app = stack.demo_app()
        token = seed_cases(app, args.cases)
        with app.app_context():
            category_id = db.session.scalar(select(Category.id).where(
                Category.code == CATEGORY))
            db.session.remove()
        bare = stack.dispose_at_end(create_bare_app(stack.database.url, args.limit), bare_db)
        auth = {"Authorization": f"Bearer {token}"}

        def get(path: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
            def send(session: requests.Session, base: str, _key: str) -> None:
                session.get(base + path, headers=headers, timeout=TIMEOUT_S) \
                    .raise_for_status()
            return send

        def post(path: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
            def send(session: requests.Session, base: str, key: str) -> None:
                session.post(base + path, json=body(category_id or 0, key), headers=headers,
                             timeout=TIMEOUT_S).raise_for_status()
            return send

        print(f"{stack.database.kind}, {args.clients} clients, {args.seconds:g} s per "
              f"variant, pages of {args.limit} of ~{args.cases} cases", flush=True)
        options = {"clients": args.clients, "seconds": args.seconds}
        with serving(bare) as bare_base, serving(app) as api_base:
            bare_list = drive("bare list", bare_base, get("/cases", {}), **options)
            api_list = drive("api list", api_base,
                             get(f"/api/v1/cases?limit={args.limit}", auth), **options)
            bare_file = drive("bare file", bare_base, post("/cases", {}), **options)
            api_file = drive("api file", api_base, post("/api/v1/cases", auth), **options)
        for label, api, baseline in (("list", api_list, bare_list),
                                     ("file", api_file, bare_file)):
            print()
            print_table([baseline, api], baseline.rate)
            ratio = api.rate / baseline.rate if baseline.rate else 0.0
            print(f"{label}: {ratio:.2f} × bare (goal ≥ 0.5; informational)")
            if not api.errors and not baseline.errors:  # a failed variant has no figure
                result(f"JSON API {label} ({api.variant}) vs a bare endpoint, "
                       f"{stack.database.kind}", figure=api.rate, baseline=baseline.rate,
                       unit="req/s", ratio=ratio, target="≥ 0.5 × bare (goal)",
                       met=ratio >= 0.5)
        problems = [f"{r.variant}: {e}" for r in (bare_list, api_list, bare_file, api_file)
                    for e in r.errors]
        for problem in problems:
            print(f"INVALID: {problem}", file=sys.stderr)
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
