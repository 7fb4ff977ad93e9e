"""notes: plenary items of the programme have notes and photos like sessions

Notes, who is editing them and flipchart photos are about a session (``topic_id``) or a
plenary item (``block_id``, a time block): exactly one of the two.

Revision ID: d8f0a2c4e6b8
Revises: d8e0f2a4c6b8
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'd8f0a2c4e6b8'
down_revision: str | None = 'd8e0f2a4c6b8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_SUBJECT = '(topic_id IS NULL) != (block_id IS NULL)'


def upgrade() -> None:
    for table, unique in (('session_notes', True), ('notes_presence', False), ('photo', False)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('block_id', sa.Integer(), nullable=True))
            batch_op.alter_column('topic_id', existing_type=sa.Integer(), nullable=True)
            batch_op.create_foreign_key(
                f'fk_{table}_block_id', 'time_block', ['block_id'], ['id'], ondelete='CASCADE'
            )
            if unique:
                batch_op.create_unique_constraint(f'uq_{table}_block_id', ['block_id'])
            else:
                batch_op.create_index(f'ix_{table}_block_id', ['block_id'], unique=False)
            if table == 'notes_presence':
                batch_op.create_unique_constraint(
                    'uq_notes_presence_block_id_editor', ['block_id', 'editor']
                )
            batch_op.create_check_constraint(f'ck_{table}_one_subject', ONE_SUBJECT)


def downgrade() -> None:
    # Plenary notes and photos have no place in the older schema: they go.
    for table, unique in (('photo', False), ('notes_presence', False), ('session_notes', True)):
        op.execute(sa.text(f'DELETE FROM {table} WHERE topic_id IS NULL'))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'ck_{table}_one_subject', type_='check')
            if table == 'notes_presence':
                batch_op.drop_constraint('uq_notes_presence_block_id_editor', type_='unique')
            if unique:
                batch_op.drop_constraint(f'uq_{table}_block_id', type_='unique')
            else:
                batch_op.drop_index(f'ix_{table}_block_id')
            batch_op.drop_constraint(f'fk_{table}_block_id', type_='foreignkey')
            batch_op.drop_column('block_id')
            batch_op.alter_column('topic_id', existing_type=sa.Integer(), nullable=False)
