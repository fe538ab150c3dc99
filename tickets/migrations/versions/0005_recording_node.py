"""recordings carry the node that writes them (start-up recovery touches only its own)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('recordings') as batch:
        batch.add_column(sa.Column('node_id', sa.String(length=100), nullable=True))
        batch.create_index('ix_recordings_node_id', ['node_id'])


def downgrade() -> None:
    with op.batch_alter_table('recordings') as batch:
        batch.drop_index('ix_recordings_node_id')
        batch.drop_column('node_id')
