"""privacy: anonymous dots of forgotten voters, and who saved each notes revision

Revision ID: b4d6f8a0c2e4
Revises: a3c5e7f9b1d2
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'b4d6f8a0c2e4'
down_revision: str | None = 'a3c5e7f9b1d2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOTS = ('vote', 'proposal_vote', 'map_plus_one')


def upgrade() -> None:
    for table in DOTS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('participant_id', existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table('notes_revision', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'editor',
                sqlmodel.sql.sqltypes.AutoString(length=24),
                nullable=False,
                server_default='',
            )
        )
    with op.batch_alter_table('notes_revision', schema=None) as batch_op:
        batch_op.alter_column('editor', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('notes_revision', schema=None) as batch_op:
        batch_op.drop_column('editor')
    for table in DOTS:
        # Anonymous dots have no voter to keep them under: they go.
        op.execute(sa.text(f'DELETE FROM {table} WHERE participant_id IS NULL'))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('participant_id', existing_type=sa.Integer(), nullable=False)
