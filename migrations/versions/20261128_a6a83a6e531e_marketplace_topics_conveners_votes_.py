"""marketplace: topics, conveners, votes, pitch queue, announcements

Revision ID: a6a83a6e531e
Revises: 4fc8842453b7
Create Date: 2026-11-28 02:17:25.673406
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'a6a83a6e531e'
down_revision: str | None = '4fc8842453b7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('announcement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=280), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcement_event_id'), ['event_id'], unique=False)

    op.create_table('idempotency_key',
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('participant_id', 'key')
    )
    op.create_table('topic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('hidden_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('proposed_by', sa.Integer(), nullable=True),
    sa.Column('entered_by_user', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entered_by_user'], ['user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['topic.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposed_by'], ['participant.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('topic', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_topic_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_topic_status'), ['status'], unique=False)

    op.create_table('pitch_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'topic_id')
    )
    with op.batch_alter_table('pitch_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pitch_entry_event_id'), ['event_id'], unique=False)

    op.create_table('topic_convener',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('topic_id', 'participant_id')
    )
    with op.batch_alter_table('topic_convener', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_topic_convener_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_topic_convener_topic_id'), ['topic_id'], unique=False)

    op.create_table('vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vote_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vote_topic_id'), ['topic_id'], unique=False)

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dots_per_participant', sa.Integer(), nullable=False, server_default='5'))
        batch_op.add_column(sa.Column('max_dots_per_topic', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('blind_voting', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('board_hides_tallies', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('proposals_while_voting', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('pitch_seconds', sa.Integer(), nullable=False, server_default='45'))



def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('pitch_seconds')
        batch_op.drop_column('proposals_while_voting')
        batch_op.drop_column('board_hides_tallies')
        batch_op.drop_column('blind_voting')
        batch_op.drop_column('max_dots_per_topic')
        batch_op.drop_column('dots_per_participant')

    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_topic_id'))
        batch_op.drop_index(batch_op.f('ix_vote_participant_id'))
        batch_op.drop_index(batch_op.f('ix_vote_event_id'))

    op.drop_table('vote')
    with op.batch_alter_table('topic_convener', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_topic_convener_topic_id'))
        batch_op.drop_index(batch_op.f('ix_topic_convener_participant_id'))

    op.drop_table('topic_convener')
    with op.batch_alter_table('pitch_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pitch_entry_event_id'))

    op.drop_table('pitch_entry')
    with op.batch_alter_table('topic', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_topic_status'))
        batch_op.drop_index(batch_op.f('ix_topic_event_id'))

    op.drop_table('topic')
    op.drop_table('idempotency_key')
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcement_event_id'))

    op.drop_table('announcement')
