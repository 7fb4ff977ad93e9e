"""people: a device binding remembers the personal link's version, a label and when it was made

A reset personal link ends every binding made under the old link's version; the profile
page lists the devices signed in, by label and time.

Revision ID: f4c1d8a9b2e6
Revises: f4c8a1d7b2e9
Create Date: 2026-12-04 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'f4c1d8a9b2e6'
down_revision: str | None = 'f4c8a1d7b2e9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('participant_device', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('link_nonce', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                'label',
                sqlmodel.sql.sqltypes.AutoString(length=40),
                nullable=False,
                server_default='',
            )
        )
        batch_op.add_column(
            sa.Column('bound_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    # Devices signed in before this revision keep their binding: they were bound under the
    # link that is current now (a reset before never signed anyone out).
    op.execute(
        'UPDATE participant_device SET link_nonce = ('
        'SELECT participant.link_nonce FROM participant'
        ' WHERE participant.id = participant_device.participant_id)'
    )
    participant_device = sa.table('participant_device', sa.column('bound_at'))
    op.execute(participant_device.update().values(bound_at=sa.func.now()))
    with op.batch_alter_table('participant_device', schema=None) as batch_op:
        batch_op.alter_column(
            'link_nonce', existing_type=sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False
        )
        batch_op.alter_column(
            'bound_at', existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table('participant_device', schema=None) as batch_op:
        batch_op.drop_column('bound_at')
        batch_op.drop_column('label')
        batch_op.drop_column('link_nonce')
