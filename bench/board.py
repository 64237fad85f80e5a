"""The dispatch board's build time and size, as a ratio to a naive Folium map of the same cases.

Run ``python -m bench.board --help``. For each size (1,000 / 10,000 / 50,000 open cases by
default, bulk-inserted into the demo coordinator's studio) it times, through the app's own
request handling (Flask's test client, signed in as the demo coordinator):

* ``board page``: GET /desk/board, the HTML with the map, its small layers and the list;
* ``GeoJSON``: GET /desk/board/cases.geojson, the cases the page's script loads;

and, in the same run, a naive map: every open case of the studio read as an ORM object and
drawn as one ``folium.Marker`` with a popup and a tooltip, rendered to one HTML document.
Above ``--naive-max`` cases the naive map is not built but extrapolated linearly from the
largest size measured, and the output says so.

It prints times, sizes and ratios and whether the issue's targets are met; speed never makes
it fail. It exits 1 only when the measurement is wrong (a request that did not answer 200,
or a GeoJSON that does not hold exactly the studio's open cases).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import folium
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select
from sqlalchemy.orm import selectinload

from bench.common import throwaway_stack
from bench.results import result
from dispatch.extensions import db
from dispatch.geo import maps
from dispatch.models import (
    AssignmentStatus,
    Case,
    CaseKind,
    CaseStatus,
    Category,
    Team,
    User,
    utcnow,
)
from dispatch.services.cases.queries import OPEN_STATUSES

PG_SCHEMA = "bench_board"  # the only schema this script creates, fills and drops
COORDINATOR = "coordinator"  # the demo coordinator; the board opens on their studio
TARGET_RATIO = 50.0  # at 10,000 cases: at least 50 times faster than the naive map
TARGET_HTML_BYTES = 1_000_000  # and the page under 1 MB
TARGET_50K_SECONDS = 1.0  # 50,000 cases: page and GeoJSON within 1 s
QUICK_RUNS = [["--sizes", "1000,10000", "--naive-max", "1000", "--repeat", "1"]]  # make bench
TITLES = ["路灯不亮", "井盖松动", "楼道堆放杂物", "车棚顶棚松动", "人行道砖块破损",
          "树枝遮挡信号灯", "独居老人需要帮忙换灯泡", "垃圾桶满溢", "充电桩故障", "小区门口积水"]


@dataclass
class Timing:
    seconds: float
    size: int


@dataclass
class Row:
    cases: int
    page: Timing
    geojson: Timing
    naive: Timing | None  # None: extrapolated
    naive_estimate: Timing


def best_of(repeat: int, run: Callable[[], Timing]) -> Timing:
    return min((run() for _ in range(repeat)), key=lambda timing: timing.seconds)


def fill(studio_id: int, count: int, categories: list[int], teams: list[int],
         rng: random.Random, centre: tuple[float, float]) -> None:
    """Insert ``count`` open cases in one studio: registered, received and handling, about
    one in seven overdue, registered over the last 60 days within ~3 km of ``centre``."""
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for _ in range(count):
        status = rng.choices(OPEN_STATUSES, weights=(5, 3, 2))[0]
        created = now - timedelta(hours=rng.uniform(1, 60 * 24))
        rows.append({
            "tracking_code": secrets.token_hex(6).upper(), "kind": CaseKind.HAZARD,
            "title": f"{rng.choice(TITLES)} {rng.randrange(1, 300)}号",
            "description": "基准测试生成的问题", "address": "",
            "latitude": centre[0] + rng.uniform(-0.03, 0.03),
            "longitude": centre[1] + rng.uniform(-0.03, 0.03),
            "category_id": rng.choice(categories), "studio_id": studio_id, "status": status,
            "assignment_status": AssignmentStatus.ASSIGNED
            if status == CaseStatus.HANDLING else None,
            "assigned_team_id": rng.choice(teams) if status == CaseStatus.HANDLING else None,
            "version": 1, "created_at": created, "updated_at": created,
            "stage_entered_at": created,
            "due_at": now - timedelta(hours=1) if rng.random() < 1 / 7
            else now + timedelta(hours=rng.uniform(1, 72)),
        })
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Case), rows[start:start + 5000])
    db.session.commit()


def get(client: FlaskClient, path: str) -> Timing:
    began = time.perf_counter()
    response = client.get(path)
    body = response.get_data()
    seconds = time.perf_counter() - began
    if response.status_code != 200:
        raise Unexpected(f"GET {path}: HTTP {response.status_code}")
    return Timing(seconds, len(body))


def naive_map(app: Flask, studio_id: int, centre: tuple[float, float]) -> Timing:
    """One Folium marker with a popup and a tooltip per open case, as a first version might."""
    with app.test_request_context("/desk/board"):
        began = time.perf_counter()
        cases = db.session.scalars(
            select(Case).where(Case.studio_id == studio_id, Case.status.in_(OPEN_STATUSES))
            .options(selectinload(Case.category)))
        fmap = maps.base_map(*centre, zoom=14)
        for case in cases:
            popup = f"{case.title} · {case.status.label} · {case.category.name}"
            folium.Marker([case.latitude, case.longitude],
                          popup=folium.Popup(maps.safe_text(popup), max_width=260),
                          tooltip=folium.Tooltip(maps.safe_text(case.title)),
                          icon=folium.Icon(color="red" if case.is_overdue else "blue"),
                          ).add_to(fmap)
        html = fmap.get_root().render()
        seconds = time.perf_counter() - began
        db.session.remove()
    return Timing(seconds, len(html.encode()))


class Unexpected(Exception):
    pass


def measure(app: Flask, sizes: list[int], naive_max: int, repeat: int) -> list[Row]:
    rng = random.Random(5)
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.username == COORDINATOR))
        assert coordinator is not None and coordinator.studio is not None, "no demo data"
        studio_id = coordinator.studio.id
        centre = (coordinator.studio.latitude, coordinator.studio.longitude)
        categories = list(db.session.scalars(select(Category.id)))
        teams = list(db.session.scalars(select(Team.id).where(Team.active)))
        db.session.remove()
    client = app.test_client()
    client.post("/login", data={"username": COORDINATOR,
                                "password": app.config["DEMO_PASSWORD"]})
    rows: list[Row] = []
    last_naive: tuple[int, Timing] | None = None
    for size in sorted(sizes):
        with app.app_context():
            present = db.session.scalar(select(func.count()).where(
                Case.studio_id == studio_id, Case.status.in_(OPEN_STATUSES))) or 0
            fill(studio_id, max(0, size - present), categories, teams, rng, centre)
            expected = db.session.scalar(select(func.count()).where(
                Case.studio_id == studio_id, Case.status.in_(OPEN_STATUSES)))
            db.session.remove()
        get(client, "/desk/board")  # warm-up: templates compiled, caches filled
        page = best_of(repeat, lambda: get(client, "/desk/board"))
        geojson = best_of(repeat, lambda: get(client, "/desk/board/cases.geojson"))
        features = len(json.loads(client.get("/desk/board/cases.geojson").get_data())
                       ["features"])
        if features != expected:
            raise Unexpected(f"the GeoJSON holds {features} cases, the studio {expected}")
        naive = naive_map(app, studio_id, centre) if size <= naive_max else None
        if naive is not None:
            last_naive = (expected, naive)
        if last_naive is None:
            raise Unexpected("--naive-max is below the smallest size: nothing to extrapolate")
        measured_at, base = last_naive
        estimate = naive or Timing(base.seconds * expected / measured_at,
                                   int(base.size * expected / measured_at))
        rows.append(Row(expected, page, geojson, naive, estimate))
        print_row(rows[-1])
    return rows


def kb(size: int) -> str:
    return f"{size / 1e6:.2f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"


def print_header() -> None:
    print(f"{'open cases':>10} │ {'board page':>17} │ {'GeoJSON':>17} │ {'page+GeoJSON':>12} │ "
          f"{'naive map':>20} │ {'naive ÷ page':>12} │ {'naive ÷ both':>12}")
    print("─" * 118)


def print_row(row: Row) -> None:
    both = row.page.seconds + row.geojson.seconds
    mark = "" if row.naive else " ~"
    naive = f"{row.naive_estimate.seconds:7.2f} s {kb(row.naive_estimate.size):>8}{mark:2}"
    print(f"{row.cases:>10,} │ {row.page.seconds * 1000:6.0f} ms {kb(row.page.size):>8} │ "
          f"{row.geojson.seconds * 1000:6.0f} ms {kb(row.geojson.size):>8} │ "
          f"{both * 1000:9.0f} ms │ {naive:>20} │ "
          f"{row.naive_estimate.seconds / row.page.seconds:11.0f}× │ "
          f"{row.naive_estimate.seconds / both:11.0f}×", flush=True)


def verdicts(rows: list[Row]) -> None:
    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    at10k = min(rows, key=lambda row: abs(row.cases - 10_000))
    big = max(rows, key=lambda row: row.cases)
    both = at10k.page.seconds + at10k.geojson.seconds
    label = "" if at10k.naive else " (naive map extrapolated)"
    print(f"\ntargets (at {at10k.cases:,} open cases{label}):")
    print(f"  board ≥ {TARGET_RATIO:.0f}× faster than the naive map: page alone "
          f"{at10k.naive_estimate.seconds / at10k.page.seconds:.0f}×, page + GeoJSON "
          f"{at10k.naive_estimate.seconds / both:.0f}× → "
          f"{met(at10k.naive_estimate.seconds / both >= TARGET_RATIO)}")
    print(f"  board HTML < 1 MB: {kb(at10k.page.size)} → "
          f"{met(at10k.page.size < TARGET_HTML_BYTES)}")
    big_both = big.page.seconds + big.geojson.seconds
    print(f"  {big.cases:,} open cases within {TARGET_50K_SECONDS:.0f} s (page + GeoJSON): "
          f"{big_both:.2f} s → {met(big_both <= TARGET_50K_SECONDS)}"
          + ("" if big.cases >= 50_000 else " (fewer than 50,000 cases measured)"))
    result(f"board page + GeoJSON at {at10k.cases:,} open cases vs a naive Folium map",
           figure=both * 1000, baseline=at10k.naive_estimate.seconds * 1000, unit="ms",
           ratio=at10k.naive_estimate.seconds / both,
           target=f"≥ {TARGET_RATIO:.0f}× faster" + ("" if at10k.naive else " (extrapolated)"),
           met=at10k.naive_estimate.seconds / both >= TARGET_RATIO)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.board", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,50000",
                        help="comma-separated numbers of open cases")
    parser.add_argument("--naive-max", type=int, default=10_000,
                        help="build the naive map only up to this many cases; above it, "
                             "extrapolate linearly (marked ~)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="board requests per size; the fastest counts")
    parser.add_argument("--database-url", default="sqlite",
                        help="'sqlite' (a file in a temporary directory) or a PostgreSQL "
                             f"URL (its schema {PG_SCHEMA} is dropped and recreated)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    except ValueError:
        parser.error("--sizes: comma-separated whole numbers, e.g. 1000,10000")
    if not sizes or min(sizes) < 1 or args.repeat < 1:
        parser.error("--sizes and --repeat must be positive")

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with throwaway_stack(PG_SCHEMA, args.database_url) as stack:
        try:
            app = stack.demo_app(WTF_CSRF_ENABLED=False)
            print(f"{stack.database.kind}; the demo coordinator's studio; best of {args.repeat} "
                  f"requests for the board, one build of the naive map; ~ = extrapolated")
            print_header()
            rows = measure(app, sizes, args.naive_max, args.repeat)
            verdicts(rows)
            print("\nnote: server-side build only (the browser's work to draw the clusters is "
                  "not timed); the naive map is one folium.Marker with popup and tooltip per "
                  "case")
            return 0
        except Unexpected as error:
            print(f"\nmeasurement invalid: {error}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
