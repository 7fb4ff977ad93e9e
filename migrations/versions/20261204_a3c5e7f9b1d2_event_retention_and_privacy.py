"""events: how long participants' data is kept, and who answers for it (the privacy notice)

Revision ID: a3c5e7f9b1d2
Revises: f4c1d9a7b2e3
Create Date: 2026-12-04 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'a3c5e7f9b1d2'
down_revision: str | None = 'f4c1d9a7b2e3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Events that exist already get the default: kept 180 days after their last day.
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'host_organisation',
                sqlmodel.sql.sqltypes.AutoString(length=160),
                nullable=False,
                server_default='',
            )
        )
        batch_op.add_column(
            sa.Column(
                'privacy_contact',
                sqlmodel.sql.sqltypes.AutoString(length=254),
                nullable=False,
                server_default='',
            )
        )
        batch_op.add_column(
            sa.Column('retention_days', sa.Integer(), nullable=False, server_default='180')
        )


def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('retention_days')
        batch_op.drop_column('privacy_contact')
        batch_op.drop_column('host_organisation')
