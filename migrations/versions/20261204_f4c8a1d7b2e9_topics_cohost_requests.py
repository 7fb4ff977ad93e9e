"""topics: co-hosting becomes a request that a convener (or staff) accepts

Revision ID: f4c8a1d7b2e9
Revises: 7c1e5a9d3b20
Create Date: 2026-12-04 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'f4c8a1d7b2e9'
down_revision: str | None = '7c1e5a9d3b20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cohost_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('topic_id', 'participant_id')
    )
    with op.batch_alter_table('cohost_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cohost_request_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cohost_request_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cohost_request_topic_id'), ['topic_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cohost_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cohost_request_topic_id'))
        batch_op.drop_index(batch_op.f('ix_cohost_request_participant_id'))
        batch_op.drop_index(batch_op.f('ix_cohost_request_event_id'))

    op.drop_table('cohost_request')
