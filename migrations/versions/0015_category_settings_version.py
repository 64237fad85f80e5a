"""categories.version: the settings page's check for concurrent edits

Revision ID: 0015_category_settings_version
Revises: 0014_joining_leaving
Create Date: 2026-12-01 12:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_category_settings_version'
down_revision = "0014_joining_leaving"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('categories', sa.Column('version', sa.Integer(), nullable=False,
                                          server_default='1'))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE categories DROP COLUMN version")
    else:
        op.drop_column('categories', 'version')
