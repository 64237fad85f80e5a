"""The spatial indexes on the points of cases and of volunteers, one per database:

* SQLite: an R*Tree virtual table per point table (``cases_rtree``,
  ``volunteer_profiles_rtree``), kept in step by triggers on the table itself, so every writer
  (ORM, bulk INSERT, raw SQL) keeps it true;
* PostgreSQL with PostGIS: a GiST index on the point as ``geography`` (an expression index:
  the model keeps its two plain columns, on every database);
* PostgreSQL without PostGIS: a GiST index on ``ll_to_earth(latitude, longitude)`` (the
  ``cube`` and ``earthdistance`` extensions that ship with PostgreSQL).

``db.create_all()`` builds them with the tables (the events below); the Alembic migration
``0011_spatial_index`` builds the same on an existing database. ``dispatch/geo/spatial.py``
queries them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, Table, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from dispatch.models.case import Case
from dispatch.models.people import VolunteerProfile

# The R*Tree tables are not the ORM's (create_all must not make them plain tables): their
# own metadata, used only to write queries against them.
RTREE_METADATA = MetaData()


@dataclass(frozen=True)
class PointTable:
    """A table whose rows are points: its id and coordinate columns and its R*Tree."""

    table: str
    id: ColumnElement[int]
    latitude: ColumnElement[float]
    longitude: ColumnElement[float]
    rtree: Table


def _rtree(name: str) -> Table:
    return Table(name, RTREE_METADATA, Column("id", Integer, primary_key=True),
                 Column("min_lat", Float), Column("max_lat", Float),
                 Column("min_lon", Float), Column("max_lon", Float))


CASE_POINTS = PointTable("cases", Case.id, Case.latitude, Case.longitude,  # type: ignore[arg-type]
                         _rtree("cases_rtree"))
VOLUNTEER_POINTS = PointTable("volunteer_profiles", VolunteerProfile.user_id,  # type: ignore[arg-type]
                              VolunteerProfile.latitude,  # type: ignore[arg-type]
                              VolunteerProfile.longitude,  # type: ignore[arg-type]
                              _rtree("volunteer_profiles_rtree"))
POINT_TABLES = {p.table: p for p in (CASE_POINTS, VOLUNTEER_POINTS)}
ID_COLUMN = {"cases": "id", "volunteer_profiles": "user_id"}

# The PostGIS expression: queries must spell it exactly so (geo/spatial.py builds the same).
GEOGRAPHY_SQL = "(ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)::geography)"
EARTH_SQL = "ll_to_earth(latitude, longitude)"


def sqlite_statements(table: str) -> list[str]:
    """The R*Tree, filled from the table, and its triggers (a point may be missing: a
    volunteer without a base is not in the tree)."""
    key = ID_COLUMN[table]
    tree = f"{table}_rtree"
    row = (f"SELECT new.{key}, new.latitude, new.latitude, new.longitude, new.longitude "
           "WHERE new.latitude IS NOT NULL AND new.longitude IS NOT NULL")
    return [
        f"CREATE VIRTUAL TABLE {tree} USING rtree(id, min_lat, max_lat, min_lon, max_lon)",
        f"INSERT INTO {tree} SELECT {key}, latitude, latitude, longitude, longitude "
        f"FROM {table} WHERE latitude IS NOT NULL AND longitude IS NOT NULL",
        f"CREATE TRIGGER {tree}_insert AFTER INSERT ON {table} "
        f"BEGIN INSERT INTO {tree} {row}; END",
        f"CREATE TRIGGER {tree}_update AFTER UPDATE OF {key}, latitude, longitude ON {table} "
        f"BEGIN DELETE FROM {tree} WHERE id = old.{key}; INSERT INTO {tree} {row}; END",
        f"CREATE TRIGGER {tree}_delete AFTER DELETE ON {table} "
        f"BEGIN DELETE FROM {tree} WHERE id = old.{key}; END",
    ]


def postgresql_statements(table: str, extension: str) -> list[str]:
    if extension == "postgis":
        return [f"CREATE INDEX ix_{table}_geography ON {table} USING gist ({GEOGRAPHY_SQL})"]
    return [f"CREATE INDEX ix_{table}_earth ON {table} USING gist ({EARTH_SQL})"]


def installed_extension(connection: Connection) -> str | None:
    """"postgis", else "earthdistance" when installed in this PostgreSQL database in a schema
    on the search path (its functions must resolve, unqualified), else None."""
    names = set(connection.execute(text(
        "SELECT e.extname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname IN ('postgis', 'earthdistance') "
        "AND n.nspname = ANY(current_schemas(false))")).scalars())
    return next((name for name in ("postgis", "earthdistance") if name in names), None)


def not_spatial(name: str | None, type_: str, _parent_names: Any = None) -> bool:
    """Alembic's ``include_name``: the spatial index's own objects are built by hand (the
    R*Tree's shadow tables, the expression indexes), and PostGIS owns ``spatial_ref_sys``:
    autogenerate leaves them alone."""
    if name is None:
        return True
    if type_ == "table":
        return "_rtree" not in name and name != "spatial_ref_sys"
    if type_ == "index":
        return not name.endswith(("_geography", "_earth"))
    return True


def _after_create(target: Table, connection: Connection, **_kw: Any) -> None:
    dialect = connection.dialect.name
    if dialect == "sqlite":
        statements = sqlite_statements(target.name)
    elif dialect == "postgresql":
        extension = installed_extension(connection)
        statements = postgresql_statements(target.name, extension) if extension else []
    else:
        statements = []
    for statement in statements:
        connection.execute(text(statement))


def _before_drop(target: Table, connection: Connection, **_kw: Any) -> None:
    if connection.dialect.name == "sqlite":
        connection.execute(text(f"DROP TABLE IF EXISTS {target.name}_rtree"))


for _table in (Case.__table__, VolunteerProfile.__table__):
    event.listen(_table, "after_create", _after_create)
    event.listen(_table, "before_drop", _before_drop)
