"""spatial index on the points of cases and volunteer profiles

SQLite: an R*Tree virtual table per table (cases_rtree, volunteer_profiles_rtree), filled
from the rows and kept in step by triggers. PostgreSQL: PostGIS when the server has it
(CREATE EXTENSION postgis, a GiST index on the point as geography), else cube +
earthdistance (a GiST index on ll_to_earth(latitude, longitude)); when neither extension can
be created the spatial part is left out and the queries scan (dispatch/geo/spatial.py says
which backend it found). The statements are the ones dispatch/models/spatial_index.py gives
create_all, copied so that this revision never changes.

Also three indexes for counting open work in hand per responder (the suggestions read it for
every shortlist): (assigned_team_id, status), (handled_by_id, status),
(assigned_volunteer_id, status).

Revision ID: 0011_spatial_index
Revises: 0010_api_tokens
Create Date: 2026-12-01 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_spatial_index'
down_revision = "0010_api_tokens"
branch_labels = None
depends_on = None

TABLES = {"cases": "id", "volunteer_profiles": "user_id"}
GEOGRAPHY_SQL = "(ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)::geography)"
EARTH_SQL = "ll_to_earth(latitude, longitude)"


def _sqlite(table, key):
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


def _try_extensions(bind, names):
    """CREATE EXTENSION each of ``names`` in a savepoint; True when all exist afterwards
    (a role without the right to create one leaves the transaction usable)."""
    available = set(bind.execute(sa.text(
        "SELECT name FROM pg_available_extensions")).scalars())
    if not set(names) <= available:
        return False
    savepoint = bind.begin_nested()
    try:
        for name in names:
            bind.execute(sa.text(f"CREATE EXTENSION IF NOT EXISTS {name}"))
    except sa.exc.DBAPIError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


OPEN_WORK_INDEXES = {"ix_cases_team_status": "assigned_team_id",
                     "ix_cases_handler_status": "handled_by_id",
                     "ix_cases_volunteer_status": "assigned_volunteer_id"}


def upgrade():
    bind = op.get_bind()
    for name, column in OPEN_WORK_INDEXES.items():
        op.create_index(name, "cases", [column, "status"], unique=False)
    if bind.dialect.name == "sqlite":
        for table, key in TABLES.items():
            for statement in _sqlite(table, key):
                op.execute(statement)
    elif bind.dialect.name == "postgresql":
        if _try_extensions(bind, ["postgis"]):
            for table in TABLES:
                op.execute(f"CREATE INDEX ix_{table}_geography ON {table} "
                           f"USING gist ({GEOGRAPHY_SQL})")
        elif _try_extensions(bind, ["cube", "earthdistance"]):
            for table in TABLES:
                op.execute(f"CREATE INDEX ix_{table}_earth ON {table} USING gist ({EARTH_SQL})")


def downgrade():
    bind = op.get_bind()
    for name in OPEN_WORK_INDEXES:
        op.drop_index(name, table_name="cases")
    if bind.dialect.name == "sqlite":
        for table in TABLES:
            for suffix in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_rtree_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {table}_rtree")
    elif bind.dialect.name == "postgresql":
        # The extensions stay: other schemas or tools may use them.
        for table in TABLES:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_geography")
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_earth")
