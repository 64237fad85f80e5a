"""Suggested responders among 1,000 / 10,000 / 100,000 volunteers, against a full scan.

Run ``python -m bench.suggest --help``; bench/README.md explains the output. The volunteers
(users with a profile, 80 % on duty, with one or two skills) are bulk-inserted at random
points of a city-sized square (``--area-km`` wide) around the demo spot, with a few teams
and some open work in hand. For each size, ``--cases`` random case positions in that square
are timed through ``dispatching.suggest`` (the box search: SQL prefilter, geodesic and
scoring on the shortlist, one grouped COUNT), and a few of them through the baseline: load
every on-duty profile, geodesic distance to each, sort, take the first five.

It prints p50/p95 per size, the ratio of the baseline's p50 to the box search's, and whether
the issue's target (under 20 ms at 10,000 volunteers, p95) was met. Speed never makes it
fail; it exits 1 only when a size returned no suggestion at all.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from collections.abc import Callable

from sqlalchemy import insert, select, text

from bench.common import SPOT, percentile, throwaway_stack
from dispatch.extensions import db
from dispatch.geo.distance import distance_m
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
from dispatch.models.vocabulary import AssignmentStatus
from dispatch.services.responders.suggest import suggest

SKILLS = ["repair", "traffic", "cleaning", "greening", "electrical", "elder_care", "road"]
TARGET_MS, TARGET_SIZE = 20.0, 10_000
TEAMS = 30
PG_SCHEMA = "bench_suggest"  # the only schema this script creates, fills and drops


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


def full_scan(case: Case, limit: int = 5) -> list[str]:
    """The baseline: every on-duty profile from the database, geodesic to each, sorted."""
    rows = db.session.execute(select(User, VolunteerProfile).join(VolunteerProfile).where(
        User.active.is_(True), VolunteerProfile.on_duty.is_(True))).all()
    ranked = sorted(rows, key=lambda r: distance_m(case.latitude, case.longitude,
                                                   r[1].latitude, r[1].longitude))
    return [f"user:{user.id}" for user, _profile in ranked[:limit]]


def timed(run: Callable[[Case], object], cases: list[Case]) -> list[float]:
    times = []
    for case in cases:
        db.session.expire_all()
        start = time.perf_counter()
        found = run(case)
        times.append((time.perf_counter() - start) * 1000)
        if not found:
            raise RuntimeError("no suggestion found")
    return times


def measure(sizes: list[int], cases: int, baseline_cases: int, area_km: float,
            seed: int) -> dict[int, tuple[float, float, float]]:
    rng = random.Random(seed)
    category = seed_base(rng, area_km)
    team_ids = list(db.session.scalars(select(Team.id)))
    results: dict[int, tuple[float, float, float]] = {}
    have = 0
    for size in sizes:
        add_volunteers(rng, have, size - have, area_km, team_ids)
        add_open_work(rng, category, have // 20, (size - have) // 20, size, area_km)
        have = size
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))  # as autovacuum would after a bulk load
            db.session.commit()
        probes = [Case(latitude=lat, longitude=lon, category=category)
                  for lat, lon in (random_point(rng, area_km) for _ in range(cases + 5))]
        timed(suggest, probes[:5])  # warm-up: the first query plans and caches
        fast = timed(suggest, probes[5:])
        slow = timed(full_scan, probes[5:5 + baseline_cases])
        results[size] = (percentile(fast, 50), percentile(fast, 95), statistics.median(slow))
        print(f"{size:>8,} volunteers  suggest p50 {results[size][0]:7.2f} ms  "
              f"p95 {results[size][1]:7.2f} ms  | full scan p50 {results[size][2]:9.1f} ms "
              f"({len(slow)} cases)  | ratio {results[size][2] / results[size][0]:7.1f}×",
              flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.suggest", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--database-url", default="sqlite",
                        help="'sqlite' for a file in a temporary directory, or a PostgreSQL "
                             "URL (its schema bench_suggest is dropped and recreated)")
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="volunteer counts, ascending, comma-separated")
    parser.add_argument("--cases", type=int, default=200, help="random cases timed per size")
    parser.add_argument("--baseline-cases", type=int, default=5,
                        help="random cases timed through the full scan per size")
    parser.add_argument("--area-km", type=float, default=30.0,
                        help="side of the square the volunteers are spread over")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    sizes = sorted({int(size) for size in args.sizes.split(",")})
    if min(sizes) < 1 or args.cases < 1 or args.baseline_cases < 1:
        parser.error("sizes and case counts must be positive")

    # No Redis: nothing is queued, and the app's REDIS_URL is never connected to.
    with throwaway_stack(PG_SCHEMA, args.database_url, redis=False) as stack:
        app = stack.app()  # its tables only: no demo data among the volunteers
        print(f"{stack.database.kind}: volunteers over a {args.area_km:g} km square, 80 % on "
              f"duty, {TEAMS} teams; {args.cases} random cases per size "
              f"({args.baseline_cases} through the full scan)")
        with app.app_context():
            try:
                results = measure(sizes, args.cases, args.baseline_cases, args.area_km,
                                  args.seed)
            except RuntimeError as error:
                print(f"invalid: {error}")
                return 1
            db.session.remove()
        if TARGET_SIZE in results:
            p95 = results[TARGET_SIZE][1]
            verdict = "met" if p95 < TARGET_MS else "not met"
            print(f"target: under {TARGET_MS:g} ms among {TARGET_SIZE:,} volunteers "
                  f"(p95 {p95:.2f} ms): {verdict}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
