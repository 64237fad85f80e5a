"""Nearest 10 suitable responders among 100,000 volunteers, on the spatial index, against a
full scan in Python, in the same run.

Run ``python -m bench.spatial --help``; bench/README.md explains the output. The volunteers
(users with a profile, 80 % on duty, with one or two skills) are bulk-inserted at random
points of a city-sized square (``--area-km`` wide) around the demo spot, with a few teams
and some open work in hand. ``--cases`` random case positions in that square are timed
through ``suggest(case, limit=10)`` (the spatial index: R*Tree on SQLite, PostGIS or
earthdistance on PostgreSQL; one grouped COUNT of open work), and a few of them through the
baseline: every suitable profile read from the database, its distance and score computed in
Python, sorted, the first ten.

PostgreSQL: the script works in its own database ``bench_spatial`` (dropped if a previous
run left it, created with the spatial extensions the server has, dropped at the end).

It prints p50/p95, the ratio of the baseline's p50 to the index's, the targets (p95 under
5 ms, ratio at least 50×) as met/not met, and one ``RESULT`` line for ``make bench``. Speed
never makes it fail; it exits 1 when a case got no suggestion or the index and the scan
disagree.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator

from flask import current_app
from sqlalchemy import create_engine, func, insert, make_url, select, text

from bench.common import SPOT, percentile, throwaway_stack
from bench.results import result
from dispatch.config import normalise_database_url
from dispatch.extensions import db
from dispatch.geo import spatial
from dispatch.geo.spatial import sphere_m
from dispatch.models import (
    Case,
    CaseKind,
    CaseStatus,
    Category,
    Region,
    Role,
    Team,
    User,
    VolunteerProfile,
)
from dispatch.models.people import FIELD_ROLES
from dispatch.models.vocabulary import AssignmentStatus
from dispatch.services.responders import suggest as dispatching
from dispatch.services.responders.suggest import _Found, _score, suggest

SKILLS = ["repair", "traffic", "cleaning", "greening", "electrical", "elder_care", "road"]
TARGET_MS, TARGET_RATIO = 5.0, 50.0
LIMIT = 10
# `make bench` (bench/run.py) runs these, briefly; the full run is the default.
QUICK_RUNS = [["--cases", "100", "--baseline-cases", "3"],
              ["--cases", "100", "--baseline-cases", "3",
               "--database-url", "postgresql://postgres@127.0.0.1:5432/test"]]
TEAMS = 30
PG_DATABASE = "bench_spatial"  # the only database this script creates, fills and drops


def random_point(rng: random.Random, area_km: float) -> tuple[float, float]:
    half = area_km / 2
    north, east = rng.uniform(-half, half), rng.uniform(-half, half)
    return (SPOT[0] + north / 111.32,
            SPOT[1] + east / (111.32 * math.cos(math.radians(SPOT[0]))))


def seed_base(rng: random.Random, area_km: float) -> Category:
    region = Region(code="bench", name_zh="测试区", name_en="Bench", latitude=SPOT[0],
                    longitude=SPOT[1])
    category = Category(code="bench_repair", name_zh="设施维修", name_en="Repairs",
                        skills=["repair", "road"])
    db.session.add_all([region, category])
    db.session.flush()
    for number in range(TEAMS):
        lat, lon = random_point(rng, area_km)
        db.session.add(Team(code=f"bench{number}", name_zh=f"第{number}队",
                            name_en=f"Team {number}", region_id=region.id, latitude=lat,
                            longitude=lon, skills=rng.sample(SKILLS, 2)))
    db.session.commit()
    return category


def add_volunteers(rng: random.Random, first: int, count: int, area_km: float,
                   team_ids: list[int]) -> None:
    """Users and profiles in batches of 5,000 rows, with Core INSERTs."""
    for start in range(first, first + count, 5000):
        numbers = range(start, min(start + 5000, first + count))
        users = [{"id": 1000 + n, "username": f"bench.v{n}", "display_name": f"志愿者{n}",
                  "role": Role.VOLUNTEER, "password_hash": "!", "active": rng.random() > 0.02}
                 for n in numbers]
        profiles = []
        for n in numbers:
            lat, lon = random_point(rng, area_km)
            profiles.append({"user_id": 1000 + n, "latitude": lat, "longitude": lon,
                             "team_id": rng.choice(team_ids) if rng.random() < 0.3 else None,
                             "skills": rng.sample(SKILLS, rng.choice((1, 2))),
                             "on_duty": rng.random() < 0.8})
        db.session.execute(insert(User), users)
        db.session.execute(insert(VolunteerProfile), profiles)
    db.session.commit()


def add_open_work(rng: random.Random, category: Category, first: int, count: int,
                  volunteers: int, area_km: float) -> None:
    """Open work in hand for about 1 volunteer in 20, so the COUNT has rows to find."""
    rows = []
    for n in range(first, first + count):
        lat, lon = random_point(rng, area_km)
        rows.append({"tracking_code": f"B{n:09d}", "kind": CaseKind.HAZARD, "title": "bench",
                     "description": "bench", "latitude": lat, "longitude": lon,
                     "category_id": category.id, "status": CaseStatus.HANDLING,
                     "assignment_status": AssignmentStatus.ASSIGNED,
                     "assigned_volunteer_id": 1000 + rng.randrange(volunteers), "version": 3})
    if rows:  # under 20 new volunteers, none; an empty list would INSERT one row of defaults
        db.session.execute(insert(Case), rows)
    db.session.commit()


def full_scan(case: Case, limit: int = LIMIT) -> list[str]:
    """The baseline: every suitable profile read from the database, its open work from one
    grouped COUNT over all open cases, distance and score computed in Python, sorted."""
    rows = db.session.execute(
        select(User.id, User.display_name, VolunteerProfile.latitude,
               VolunteerProfile.longitude, VolunteerProfile.skills)
        .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .where(User.active.is_(True), VolunteerProfile.on_duty.is_(True),
               User.role.in_(FIELD_ROLES), VolunteerProfile.latitude.is_not(None))).all()
    person = func.coalesce(Case.handled_by_id, Case.assigned_volunteer_id)
    counts = dict(db.session.execute(select(person, func.count())
                                     .where(Case.status == CaseStatus.HANDLING)
                                     .group_by(person)).all())
    radius_m = current_app.config["ASSIGN_RADIUS_KM"] * 1000
    people = []
    for r in rows:
        metres = sphere_m(case.latitude, case.longitude, r.latitude, r.longitude)
        if metres <= radius_m:
            people.append(_Found(f"user:{r.id}", r.id, r.display_name, False, r.latitude,
                                 r.longitude, tuple(r.skills or ()), True, metres))
    teams = dispatching._teams(case)
    loads = {f"user:{k}": n for k, n in counts.items() if k is not None}
    loads.update(dispatching.open_work([t.id for t in teams], []))
    return [s.key for s in _score(case, [*teams, *people], loads)[:limit]]


def indexed(case: Case) -> list[str]:
    return [s.key for s in suggest(case, limit=LIMIT)]


CPU_MS: list[float] = []  # this thread's CPU per indexed call (SQLite's work included)


def timed(run: Callable[[Case], list[str]], cases: list[Case]) -> tuple[list[float],
                                                                       list[list[str]]]:
    times, answers = [], []
    CPU_MS.clear()
    for case in cases:
        db.session.expire_all()
        start, cpu = time.perf_counter(), time.thread_time()
        found = run(case)
        times.append((time.perf_counter() - start) * 1000)
        CPU_MS.append((time.thread_time() - cpu) * 1000)
        if not found:
            raise RuntimeError("no suggestion found")
        answers.append(found)
    return times, answers


def measure(size: int, cases: int, baseline_cases: int, area_km: float,
            seed: int) -> tuple[float, float, float]:
    rng = random.Random(seed)
    category = seed_base(rng, area_km)
    team_ids = list(db.session.scalars(select(Team.id)))
    add_volunteers(rng, 0, size, area_km, team_ids)
    add_open_work(rng, category, 0, size // 20, size, area_km)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))  # as autovacuum would after a bulk load
        db.session.commit()
    probes = [Case(latitude=lat, longitude=lon, category=category)
              for lat, lon in (random_point(rng, area_km) for _ in range(cases + 5))]
    timed(indexed, probes[:5])  # warm-up: the first query plans and caches
    fast, answers = timed(indexed, probes[5:])
    cpu = percentile(CPU_MS, 50), percentile(CPU_MS, 95)
    slow, expected = timed(full_scan, probes[5:5 + baseline_cases])
    if answers[:baseline_cases] != expected:
        raise RuntimeError(f"the index and the full scan disagree: {answers[:baseline_cases]} "
                           f"!= {expected}")
    p50, p95, scan = percentile(fast, 50), percentile(fast, 95), statistics.median(slow)
    print(f"{size:>8,} volunteers ({spatial.backend_of(db.session)})  nearest {LIMIT} "
          f"p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  | full scan p50 {scan:8.1f} ms "
          f"({len(slow)} cases, same answers)  | ratio {scan / p50:7.1f}×\n"
          f"{'':>8} this process's CPU per call: p50 {cpu[0]:6.2f} ms  p95 {cpu[1]:6.2f} ms "
          f"(the wall time less waiting for a core or, on PostgreSQL, for the server)",
          flush=True)
    return p50, p95, scan


@contextlib.contextmanager
def own_database(url: str) -> Iterator[str]:
    """PostgreSQL: the database ``bench_spatial`` beside the one named, with the spatial
    extensions the server has, dropped at the end."""
    admin = create_engine(make_url(normalise_database_url(url)), isolation_level="AUTOCOMMIT")
    target = make_url(normalise_database_url(url)).set(database=PG_DATABASE)

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))

    drop()
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
        available = set(connection.execute(text(
            "SELECT name FROM pg_available_extensions")).scalars())
    setup = create_engine(target, isolation_level="AUTOCOMMIT")
    with setup.connect() as connection:
        for name in ("postgis", "cube", "earthdistance"):
            if name in available:
                connection.execute(text(f"CREATE EXTENSION IF NOT EXISTS {name}"))
    setup.dispose()
    try:
        yield target.render_as_string(hide_password=False)
    finally:
        drop()
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.spatial", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--database-url", default="sqlite",
                        help="'sqlite' for a file in a temporary directory, or a PostgreSQL "
                             f"URL (its database {PG_DATABASE} is dropped and recreated)")
    parser.add_argument("--volunteers", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=200, help="random cases timed")
    parser.add_argument("--baseline-cases", type=int, default=5,
                        help="of them, how many also go through the full scan")
    parser.add_argument("--area-km", type=float, default=30.0,
                        help="side of the square the volunteers are spread over")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if min(args.volunteers, args.cases, args.baseline_cases) < 1 \
            or args.baseline_cases > args.cases:
        parser.error("counts must be positive, baseline cases at most the cases")

    with contextlib.ExitStack() as stack:
        url = "sqlite"
        if args.database_url != "sqlite":
            url = stack.enter_context(own_database(args.database_url))
        # No Redis: nothing is queued, and the app's REDIS_URL is never connected to.
        bench = stack.enter_context(throwaway_stack("unused", "sqlite", redis=False))
        app = bench.app(**({} if url == "sqlite" else {"SQLALCHEMY_DATABASE_URI": url}))
        kind = "SQLite" if url == "sqlite" else "PostgreSQL"
        print(f"{kind}: {args.volunteers:,} volunteers over a {args.area_km:g} km square, 80 % "
              f"on duty, {TEAMS} teams; {args.cases} random cases "
              f"({args.baseline_cases} through the full scan)")
        with app.app_context():
            try:
                p50, p95, scan = measure(args.volunteers, args.cases, args.baseline_cases,
                                         args.area_km, args.seed)
            except RuntimeError as error:
                print(f"invalid: {error}")
                return 1
            db.session.remove()
            db.engine.dispose()
    ratio = scan / p50
    print(f"targets: p95 under {TARGET_MS:g} ms ({p95:.2f} ms): "
          f"{'met' if p95 < TARGET_MS else 'not met'}; at least {TARGET_RATIO:g}x a full scan "
          f"({ratio:.0f}x): {'met' if ratio >= TARGET_RATIO else 'not met'}")
    result(f"nearest {LIMIT} responders among {args.volunteers:,} volunteers, {kind}",
           figure=p50, baseline=scan, unit="ms", ratio=ratio,
           target=f"p95 {p95:.2f} ms < {TARGET_MS:g} ms; ≥ {TARGET_RATIO:g}× full scan",
           met=p95 < TARGET_MS and ratio >= TARGET_RATIO)
    return 0


if __name__ == "__main__":
    sys.exit(main())
