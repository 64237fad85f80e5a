"""The spatial index: every backend this database offers gives the same answers on the same
data (SQLite: R*Tree and a scan; PostgreSQL: PostGIS, cube + earthdistance and a scan), the
index follows every write, and the database really uses it."""

from __future__ import annotations

import math
import os
import random
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text, update

from dispatch import create_app
from dispatch.extensions import db
from dispatch.geo import spatial
from dispatch.models import Case, Role, User, VolunteerProfile
from dispatch.models.spatial_index import CASE_POINTS, VOLUNTEER_POINTS
from tests.factories import World, build_world, gen_case

CENTRE = (27.862, 112.952)


def _offset(metres_north: float, metres_east: float) -> tuple[float, float]:
    return (CENTRE[0] + metres_north / 111_320,
            CENTRE[1] + metres_east / (111_320 * math.cos(math.radians(CENTRE[0]))))


def _backends() -> list[str]:
    """What this database can run: the detected backend, the scan, and on PostgreSQL the
    other extension's path too when it is installed."""
    names = {spatial.backend_of(db.session), "scan"}
    if db.engine.dialect.name == "postgresql":
        installed = set(db.session.scalars(text("SELECT extname FROM pg_extension")))
        if "earthdistance" in installed:
            names.add("earth")
        if "postgis" in installed:
            names.add("postgis")
    return sorted(names)


def _crowd(world: World, count: int = 300) -> list[User]:
    """Volunteers scattered over ~40 km around the centre (a tight knot in the middle, so
    that small radii find some), a fifth off duty, a few without a base."""
    rng = random.Random(17)
    people = []
    for number in range(count):
        spread = 300 if number < 60 else 12_000
        lat, lon = _offset(rng.gauss(0, spread), rng.gauss(0, spread))
        user = User(username=f"crowd{number}", display_name=f"群众{number}",
                    role=Role.VOLUNTEER, password_hash="!")
        user.profile = VolunteerProfile(skills=["repair"], on_duty=rng.random() < 0.8,
                                        latitude=None if number % 50 == 7 else lat,
                                        longitude=None if number % 50 == 7 else lon)
        people.append(user)
    db.session.add_all(people)
    db.session.commit()
    return people


def _on_duty_query():  # type: ignore[no-untyped-def]
    return (select(VolunteerProfile.user_id, User.display_name)
            .join(User, User.id == VolunteerProfile.user_id)
            .where(VolunteerProfile.on_duty.is_(True)))


def _by_hand(lat: float, lon: float) -> list[tuple[int, float]]:
    """Every on-duty volunteer with a base, by the haversine written out, nearest first."""
    rows = db.session.execute(select(VolunteerProfile).where(
        VolunteerProfile.on_duty.is_(True), VolunteerProfile.latitude.is_not(None))).scalars()
    return sorted(((p.user_id, spatial.sphere_m(lat, lon, p.latitude, p.longitude))
                   for p in rows), key=lambda pair: (pair[1], pair[0]))


def test_every_backend_finds_the_same_nearest_and_the_same_within_a_radius(
        world: World) -> None:
    _crowd(world)
    backends = _backends()
    assert len(backends) >= 2, backends
    rng = random.Random(3)
    for _ in range(6):
        lat, lon = _offset(rng.gauss(0, 3000), rng.gauss(0, 3000))
        expected = _by_hand(lat, lon)
        for limit in (1, 7, 40):
            answers = {name: [(h.id, round(h.distance_m, 3)) for h in spatial.nearest(
                db.session, VOLUNTEER_POINTS, _on_duty_query(), lat, lon, limit=limit,
                using=name)] for name in backends}
            wanted = [(i, round(d, 3)) for i, d in expected[:limit]]
            assert all(found == wanted for found in answers.values()), (limit, answers)
        for radius in (150.0, 2000.0):
            answers = {name: [h.id for h in spatial.nearest(
                db.session, VOLUNTEER_POINTS, _on_duty_query(), lat, lon, within_m=radius,
                using=name)] for name in backends}
            wanted_ids = [i for i, d in expected if d <= radius]
            assert all(found == wanted_ids for found in answers.values()), (radius, answers)


def test_a_moved_or_cleared_base_moves_in_the_index(world: World) -> None:
    people = _crowd(world, count=20)
    mover = people[0]
    far = _offset(50_000, 0)
    db.session.execute(update(VolunteerProfile).where(VolunteerProfile.user_id == mover.id)
                       .values(latitude=far[0], longitude=far[1], on_duty=True))
    db.session.commit()
    for name in _backends():
        found = spatial.nearest(db.session, VOLUNTEER_POINTS, _on_duty_query(), *far,
                                limit=1, using=name)
        assert found[0].id == mover.id and found[0].distance_m < 1, name
    mover.profile.latitude = mover.profile.longitude = None  # type: ignore[union-attr]
    db.session.commit()
    for name in _backends():
        found = spatial.nearest(db.session, VOLUNTEER_POINTS, _on_duty_query(), *far,
                                within_m=1000, using=name)
        assert found == [], name


def test_cases_filed_after_the_index_was_built_are_found(world: World) -> None:
    near = gen_case(world.category, world.studio, latitude=_offset(100, 0)[0],
                    longitude=CENTRE[1])
    gen_case(world.category, world.studio, latitude=_offset(400, 0)[0], longitude=CENTRE[1])
    db.session.commit()
    for name in _backends():
        found = spatial.nearest(db.session, CASE_POINTS, select(Case.id), *CENTRE,
                                within_m=150, using=name)
        assert [h.id for h in found] == [near.id], name


def test_the_database_uses_its_spatial_index(world: World) -> None:
    backend = spatial.backend_of(db.session)
    if db.engine.dialect.name == "sqlite":
        assert backend == "rtree"
        plan = " ".join(str(r[-1]) for r in db.session.execute(text(
            "EXPLAIN QUERY PLAN SELECT id FROM volunteer_profiles_rtree "
            "WHERE min_lat <= 28 AND max_lat >= 27 AND min_lon <= 113 AND max_lon >= 112")))
        assert "VIRTUAL TABLE INDEX" in plan, plan
        return
    available = set(db.session.scalars(text("SELECT name FROM pg_available_extensions")))
    if "postgis" not in available:
        pytest.skip("PostGIS is not installed on this PostgreSQL server")
    assert backend == "postgis"  # CI installs postgresql-15-postgis-3: this path every run
    # The planner's choice on a handful of rows depends on the table's history (how many
    # dead rows earlier tests left in it); what must hold is that this query can walk the
    # index in distance order, as it does on a city's volunteers: no scan, no sort instead.
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        db.session.execute(text(f"SET LOCAL {setting} = off"))
    query = spatial._prepared(VOLUNTEER_POINTS, select(VolunteerProfile.user_id), "postgis",
                              True).params(here_lat=CENTRE[0], here_lon=CENTRE[1], k=14)
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = "\n".join(r[0] for r in db.session.execute(text(f"EXPLAIN {compiled}")))
    assert "ix_volunteer_profiles_geography" in plan, plan


def test_migrations_fall_back_to_earthdistance_where_postgis_cannot_be_created(
        app: Flask, tmp_path: Path, redis_url: str) -> None:
    """PostgreSQL without PostGIS, as a DBA would leave it: the app's role owns its database
    and may not create PostGIS (a superuser's extension); cube and earthdistance were created
    for it. The migration takes the earthdistance path and its queries run."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    name = f"spatial_plain_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE ROLE "{name}" LOGIN'))
        connection.execute(text(f'CREATE DATABASE "{name}" OWNER "{name}"'))
    dba = create_engine(db.engine.url.set(database=name), isolation_level="AUTOCOMMIT")
    with dba.connect() as connection:
        connection.execute(text("CREATE EXTENSION cube"))
        connection.execute(text("CREATE EXTENSION earthdistance"))
    dba.dispose()
    url = db.engine.url.set(username=name, database=name).render_as_string(False)
    plain = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "SECRET_KEY": "x",
                        "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url,
                        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    try:
        with plain.app_context():
            upgrade()
            assert spatial.backend_of(db.session) == "earth"
            indexes = set(db.session.scalars(text(
                "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_%_earth'")))
            assert indexes == {"ix_cases_earth", "ix_volunteer_profiles_earth"}
            world = build_world()
            db.session.commit()
            found = spatial.nearest(db.session, CASE_POINTS, select(Case.id),
                                    world.case.latitude, world.case.longitude, limit=1)
            assert [hit.id for hit in found] == [world.case.id]
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
        admin.dispose()
