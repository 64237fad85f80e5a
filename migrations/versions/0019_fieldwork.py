"""fieldwork: ledger notes as codes, texts the team reads as written, "on my way" once, category kinds

cases.original_title/original_description: moderation replaces what the public reads;
the team doing the work keeps reading the resident's own words (kept at the first
moderation). cases.on_the_way_at: "on my way" is recorded once per round of work.
categories.kind: "hazard", "wish" or NULL (both): what a resident may file under it.
case_events.note_code/note_params: what the software says about a step, as a code with
parameters worded in the reader's language; older lines keep their text in `note`.
notifications/inbox_messages.message_code/message_params: the inbox the same way.

Revision ID: 0019_fieldwork
Revises: 0018_worklog
Create Date: 2026-12-01 11:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_fieldwork'
down_revision = "0018_worklog"
branch_labels = None
depends_on = None

# Added in place (SQLite too): a table rebuild would trip the ledger's references.
COLUMNS = [
    ("cases", sa.Column("original_title", sa.String(length=120), nullable=True)),
    ("cases", sa.Column("original_description", sa.Text(), nullable=True)),
    ("cases", sa.Column("on_the_way_at", sa.DateTime(timezone=True), nullable=True)),
    ("categories", sa.Column("kind", sa.String(length=16), nullable=True)),
    ("case_events", sa.Column("note_code", sa.String(length=40), nullable=True)),
    ("case_events", sa.Column("note_params", sa.JSON(), nullable=True)),
    ("notifications", sa.Column("message_code", sa.String(length=40), nullable=True)),
    ("notifications", sa.Column("message_params", sa.JSON(), nullable=True)),
    ("inbox_messages", sa.Column("message_code", sa.String(length=40), nullable=True)),
    ("inbox_messages", sa.Column("message_params", sa.JSON(), nullable=True)),
]
# The demo's categories and what a resident may file under each (others: both kinds).
CATEGORY_KINDS = {
    "wish": ("elder_help",),
    "hazard": ("facility_hazard", "traffic_safety", "road_defect", "environment",
               "greening", "rest_station", "charging", "illegal_building"),
}


def upgrade():
    for table, column in COLUMNS:
        op.add_column(table, column)
    categories = sa.table("categories", sa.column("code", sa.String), sa.column("kind", sa.String))
    for kind, codes in CATEGORY_KINDS.items():
        op.execute(categories.update().where(categories.c.code.in_(codes)).values(kind=kind))


def downgrade():
    for table, column in reversed(COLUMNS):
        if op.get_bind().dialect.name == "sqlite":
            # SQLite (3.35+) drops a plain column in place; Alembic only offers the rebuild.
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column.name}")
        else:
            op.drop_column(table, column.name)
