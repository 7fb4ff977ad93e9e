"""events: the organisations that run an event (with logos), and the executive summary

An event's one ``host_organisation`` becomes its first row in ``event_host``, the one list
the privacy notice and the proceedings name; the column goes. Downgrading writes the names
back, joined, as far as the old column holds them (logos have nowhere to go: their files stay
in the event's upload folder until the event is deleted).

Revision ID: d8e0f2a4c6b8
Revises: c6e8a0b2d4f6
Create Date: 2026-12-05 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'd8e0f2a4c6b8'
down_revision: str | None = 'c6e8a0b2d4f6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HOST_NAME_MAX = 160


def upgrade() -> None:
    op.create_table('event_host',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=HOST_NAME_MAX), nullable=False),
    sa.Column('logo_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('event_host', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_host_event_id'), ['event_id'], unique=False)
    op.execute(
        "INSERT INTO event_host (event_id, name, logo_key, position)"
        " SELECT id, host_organisation, '', 0 FROM event WHERE host_organisation <> ''"
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'report_summary',
                sqlmodel.sql.sqltypes.AutoString(length=20000),
                nullable=False,
                server_default='',
            )
        )
        batch_op.drop_column('host_organisation')


def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'host_organisation',
                sqlmodel.sql.sqltypes.AutoString(length=HOST_NAME_MAX),
                nullable=False,
                server_default='',
            )
        )
        batch_op.drop_column('report_summary')
    connection = op.get_bind()
    names: dict[int, list[str]] = {}
    for event_id, name in connection.execute(
        sa.text("SELECT event_id, name FROM event_host ORDER BY event_id, position, id")
    ):
        names.setdefault(event_id, []).append(name)
    for event_id, listed in names.items():
        joined = ", ".join(listed)
        if len(joined) > HOST_NAME_MAX:
            joined = joined[: HOST_NAME_MAX - 1].rstrip(", ") + "…"
        connection.execute(
            sa.text("UPDATE event SET host_organisation = :name WHERE id = :id"),
            {"name": joined, "id": event_id},
        )
    with op.batch_alter_table('event_host', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_host_event_id'))
    op.drop_table('event_host')
