"""people settings: per-category claiming, version checks on teams and users

categories.claimable: whether volunteers may claim the category's micro-wishes and
published tasks (true for every existing category: claims are allowed today by the case's
kind alone). categories.claim_hours: how long a claim lasts (72, the former CLAIM_HOURS).
teams.version / users.version: raised by every change on their settings pages, so that a
second editor's stale form is refused.

Revision ID: 0022_people_settings
Revises: 0021_photo_processing
Create Date: 2026-12-01 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_people_settings'
down_revision = "0021_photo_processing"
branch_labels = None
depends_on = None

# Added in place (SQLite too): a table rebuild would trip the ledger's references.
COLUMNS = [
    ("categories", sa.Column("claimable", sa.Boolean(), nullable=False,
                             server_default=sa.true())),
    ("categories", sa.Column("claim_hours", sa.Integer(), nullable=False,
                             server_default="72")),
    ("teams", sa.Column("version", sa.Integer(), nullable=False, server_default="1")),
    ("users", sa.Column("version", sa.Integer(), nullable=False, server_default="1")),
]


def upgrade():
    for table, column in COLUMNS:
        op.add_column(table, column)


def downgrade():
    for table, column in reversed(COLUMNS):
        if op.get_bind().dialect.name == "sqlite":
            # SQLite (3.35+) drops a plain column in place; Alembic only offers the rebuild.
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column.name}")
        else:
            op.drop_column(table, column.name)
