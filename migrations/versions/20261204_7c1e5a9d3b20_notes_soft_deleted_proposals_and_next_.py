"""notes: soft-deleted proposals and next steps, one open conflict per editor

Proposals and next steps record who added them (so only they or staff may delete them) and,
when deleted, when and by whom: the row stays and can be restored. Conflicts record the editor
("p<participant id>" / "u<user id>"), so each editor keeps at most one open conflict per field.
Rows from before have no adder and an empty editor: only staff may delete them, and the
unique index leaves them out.

Revision ID: 7c1e5a9d3b20
Revises: d7a4c2e9f1b3
Create Date: 2026-12-04 13:59:56.608135
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '7c1e5a9d3b20'
down_revision: str | None = 'd7a4c2e9f1b3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_OPEN = "resolved_at IS NULL AND editor != ''"


def _removable(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column('added_by_participant', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('added_by_user', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                'deleted_by',
                sqlmodel.sql.sqltypes.AutoString(length=120),
                nullable=False,
                server_default='',
            )
        )
        batch_op.add_column(
            sa.Column('deleted_by_staff', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_foreign_key(
            f'fk_{table}_added_by_participant',
            'participant',
            ['added_by_participant'],
            ['id'],
            ondelete='SET NULL',
        )
        batch_op.create_foreign_key(
            f'fk_{table}_added_by_user', 'user', ['added_by_user'], ['id'], ondelete='SET NULL'
        )


def _unremovable(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(f'fk_{table}_added_by_user', type_='foreignkey')
        batch_op.drop_constraint(f'fk_{table}_added_by_participant', type_='foreignkey')
        batch_op.drop_column('deleted_by_staff')
        batch_op.drop_column('deleted_by')
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('added_by_user')
        batch_op.drop_column('added_by_participant')


def upgrade() -> None:
    _removable('proposal')
    _removable('next_step')
    with op.batch_alter_table('notes_conflict', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'editor',
                sqlmodel.sql.sqltypes.AutoString(length=24),
                nullable=False,
                server_default='',
            )
        )
        batch_op.create_index(
            'uq_notes_conflict_open',
            ['notes_id', 'field', 'editor'],
            unique=True,
            sqlite_where=sa.text(ONE_OPEN),
            postgresql_where=sa.text(ONE_OPEN),
        )


def downgrade() -> None:
    with op.batch_alter_table('notes_conflict', schema=None) as batch_op:
        batch_op.drop_index('uq_notes_conflict_open')
        batch_op.drop_column('editor')
    _unremovable('next_step')
    _unremovable('proposal')
