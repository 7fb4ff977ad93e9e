"""maps: mapping workshop, categories, places, cards, +1s, clusters

Revision ID: c3f1a9d2e7b4
Revises: b5d2e8f4a1c7
Create Date: 2026-11-28 04:45:45.367141
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'c3f1a9d2e7b4'
down_revision: str | None = 'b5d2e8f4a1c7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('map',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('question', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('uses_places', sa.Boolean(), nullable=False),
    sa.Column('uses_org_type', sa.Boolean(), nullable=False),
    sa.Column('layout', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('frozen', sa.Boolean(), nullable=False),
    sa.Column('on_board', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('map', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_map_event_id'), ['event_id'], unique=False)

    op.create_table('map_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('map_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('colour', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['map_id'], ['map.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('map_category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_map_category_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_map_category_map_id'), ['map_id'], unique=False)

    op.create_table('map_place',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('map_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['map_id'], ['map.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('map_place', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_map_place_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_map_place_map_id'), ['map_id'], unique=False)

    op.create_table('map_cluster',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('map_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['map_category.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['map_id'], ['map.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('map_cluster', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_map_cluster_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_map_cluster_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_map_cluster_map_id'), ['map_id'], unique=False)

    op.create_table('map_card',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('map_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=True),
    sa.Column('cluster_id', sa.Integer(), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=280), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('hidden_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('entered_by_user', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['map_category.id'], ),
    sa.ForeignKeyConstraint(['cluster_id'], ['map_cluster.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entered_by_user'], ['user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['map_id'], ['map.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['map_card.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['place_id'], ['map_place.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('map_card', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_map_card_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_map_card_cluster_id'), ['cluster_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_map_card_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_map_card_map_id'), ['map_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_map_card_participant_id'), ['participant_id'], unique=False)

    op.create_table('map_plus_one',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['map_card.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('card_id', 'participant_id')
    )
    with op.batch_alter_table('map_plus_one', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_map_plus_one_card_id'), ['card_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_map_plus_one_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_map_plus_one_participant_id'), ['participant_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('map_plus_one', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_map_plus_one_participant_id'))
        batch_op.drop_index(batch_op.f('ix_map_plus_one_event_id'))
        batch_op.drop_index(batch_op.f('ix_map_plus_one_card_id'))

    op.drop_table('map_plus_one')
    with op.batch_alter_table('map_card', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_map_card_participant_id'))
        batch_op.drop_index(batch_op.f('ix_map_card_map_id'))
        batch_op.drop_index(batch_op.f('ix_map_card_event_id'))
        batch_op.drop_index(batch_op.f('ix_map_card_cluster_id'))
        batch_op.drop_index(batch_op.f('ix_map_card_category_id'))

    op.drop_table('map_card')
    with op.batch_alter_table('map_cluster', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_map_cluster_map_id'))
        batch_op.drop_index(batch_op.f('ix_map_cluster_event_id'))
        batch_op.drop_index(batch_op.f('ix_map_cluster_category_id'))

    op.drop_table('map_cluster')
    with op.batch_alter_table('map_place', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_map_place_map_id'))
        batch_op.drop_index(batch_op.f('ix_map_place_event_id'))

    op.drop_table('map_place')
    with op.batch_alter_table('map_category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_map_category_map_id'))
        batch_op.drop_index(batch_op.f('ix_map_category_event_id'))

    op.drop_table('map_category')
    with op.batch_alter_table('map', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_map_event_id'))

    op.drop_table('map')
