"""place settings: studios' area, retiring and version; service points' version; reply templates as a table

The reply templates table is seeded with the five texts that were constants.

studios.service_radius_km: the area a studio serves is its region and this radius around
it. studios.active: a studio is retired, never deleted. studios.version and
service_points.version: the settings pages' check for concurrent edits.
reply_templates: the ready replies (code, labels, texts in zh/en, sort order, active,
version, studio_id NULL for every studio's), edited on the desk.

Revision ID: 0020_place_settings
Revises: 0019_fieldwork
Create Date: 2026-12-01 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_place_settings'
down_revision = "0019_fieldwork"
branch_labels = None
depends_on = None

# Added in place (SQLite too): a table rebuild would trip the references to studios.
COLUMNS = [
    ("studios", sa.Column("service_radius_km", sa.Float(), nullable=False, server_default="3")),
    ("studios", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())),
    ("studios", sa.Column("version", sa.Integer(), nullable=False, server_default="1")),
    ("service_points", sa.Column("version", sa.Integer(), nullable=False, server_default="1")),
]

# A copy of dispatch/services/cases/replies.py DEFAULTS at this revision (a migration
# must not change when the code does).
TEMPLATES = [
    ("fixed", "已修复", "Fixed",
     "您好！您反映的“{title}”已由{assignee}处理完毕，感谢您对社区的关心。"
     "如仍有问题，请在本页反馈，我们会再次跟进。——{studio}",
     "Hello! The problem you reported, “{title}”, has been fixed by {assignee}. "
     "Thank you for caring about the neighbourhood. If anything is still wrong, "
     "tell us on this page and we will follow up. — {studio}"),
    ("temporary", "已临时处置", "Made safe for now",
     "您好！“{title}”已由{assignee}先行做了临时处置，彻底修复需要协调相关单位，"
     "我们会继续跟进并在本页更新进展（查询码 {code}）。——{studio}",
     "Hello! {assignee} has made “{title}” safe for now. A lasting repair needs "
     "other bodies to act; we are following it up and will post progress on this "
     "page (tracking code {code}). — {studio}"),
    ("referred", "已转交职能部门", "Passed to the responsible body",
     "您好！经核实，“{title}”属于相关职能部门的职责范围，我们已转交并督促办理，"
     "结果会在本页告知您。——{studio}",
     "Hello! We checked “{title}”: it is the responsibility of another public "
     "body. We have passed it on and will press for it to be handled; the result "
     "will be posted on this page. — {studio}"),
    ("wish_done", "微心愿已实现", "Micro-wish fulfilled",
     "您好！您的微心愿“{title}”已由{assignee}帮您实现，祝您生活愉快！——{studio}",
     "Hello! Your micro-wish “{title}” has been fulfilled by {assignee}. "
     "All the best! — {studio}"),
    ("thanks", "感谢反映", "Thanks for reporting",
     "感谢您反映“{title}”！问题已处理，欢迎继续通过“码上办”反映身边的问题。——{studio}",
     "Thank you for reporting “{title}”! It has been dealt with; please keep "
     "telling us about problems around you. — {studio}"),
]


def upgrade():
    for table, column in COLUMNS:
        op.add_column(table, column)
    templates = op.create_table(
        'reply_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('studio_id', sa.Integer(), nullable=True),
        sa.Column('label_zh', sa.String(length=60), nullable=False),
        sa.Column('label_en', sa.String(length=120), nullable=False),
        sa.Column('text_zh', sa.Text(), nullable=False),
        sa.Column('text_en', sa.Text(), nullable=False),
        sa.Column('sort_order', sa.Integer(), server_default='0', nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.ForeignKeyConstraint(['studio_id'], ['studios.id'],
                                name=op.f('fk_reply_templates_studio_id_studios')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_templates')),
        sa.UniqueConstraint('code', name=op.f('uq_reply_templates_code')),
    )
    op.create_index(op.f('ix_reply_templates_studio_id'), 'reply_templates', ['studio_id'])
    op.bulk_insert(templates, [
        {"code": code, "label_zh": label_zh, "label_en": label_en, "text_zh": zh,
         "text_en": en, "sort_order": order * 10, "active": True, "version": 1}
        for order, (code, label_zh, label_en, zh, en) in enumerate(TEMPLATES, start=1)])


def downgrade():
    op.drop_index(op.f('ix_reply_templates_studio_id'), table_name='reply_templates')
    op.drop_table('reply_templates')
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column in reversed(COLUMNS):
        if sqlite:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column.name}")
        else:
            op.drop_column(table, column.name)
