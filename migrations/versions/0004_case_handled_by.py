"""Add the team member a captain shared a case out to

Revision ID: 5eb484d0f5a3
Revises: 7f9e662577c3
Create Date: 2026-11-23 23:39:53.523755

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5eb484d0f5a3'
down_revision = '7f9e662577c3'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # ADD COLUMN ... REFERENCES works in place on SQLite; a table rebuild would trip
        # the ledger's references to cases (see 0002). Alembic only offers the rebuild.
        op.execute("ALTER TABLE cases ADD COLUMN handled_by_id INTEGER "
                   "CONSTRAINT fk_cases_handled_by_id_users REFERENCES users (id)")
    else:
        op.add_column('cases', sa.Column('handled_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_cases_handled_by_id_users'), 'cases', 'users',
                              ['handled_by_id'], ['id'])
    op.create_index(op.f('ix_cases_handled_by_id'), 'cases', ['handled_by_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_cases_handled_by_id'), table_name='cases')
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot drop a column that carries a foreign key: rebuild the table with
        # foreign-key checks paused, so the ledger's references to cases are not tripped.
        op.execute("PRAGMA foreign_keys=OFF")
        with op.batch_alter_table('cases', recreate="always") as batch_op:
            batch_op.drop_column('handled_by_id')
        op.execute("PRAGMA foreign_keys=ON")
    else:
        op.drop_constraint(op.f('fk_cases_handled_by_id_users'), 'cases', type_='foreignkey')
        op.drop_column('cases', 'handled_by_id')
