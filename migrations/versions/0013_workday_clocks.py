"""categories.clock_unit: a category's clocks count hours or working days

Every category so far counted hours.

Revision ID: 0013_workday_clocks
Revises: 0012_studio_intake_reception
Create Date: 2026-12-01 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_workday_clocks'
down_revision = "0012_studio_intake_reception"
branch_labels = None
depends_on = None


def upgrade():
    # In place on SQLite (no table rebuild: cases refer to categories); the CHECK of the
    # values is added where the database can add one to a table.
    op.add_column('categories', sa.Column('clock_unit', sa.String(length=20), nullable=False,
                                          server_default='hours'))
    if op.get_bind().dialect.name != "sqlite":
        op.create_check_constraint(op.f('ck_categories_clock_unit'), 'categories',
                                   "clock_unit IN ('hours', 'workdays')")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE categories DROP COLUMN clock_unit")
    else:
        op.drop_constraint(op.f('ck_categories_clock_unit'), 'categories', type_='check')
        op.drop_column('categories', 'clock_unit')
