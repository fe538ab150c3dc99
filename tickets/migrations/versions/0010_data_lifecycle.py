"""data lifecycle: legal holds on tickets, crash-safe erasure and retention jobs

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_hold', sa.Boolean(), server_default='0', nullable=False))
    op.create_table('erasure_jobs',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_jobs'))
    )
    with op.batch_alter_table('erasure_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_erasure_jobs_state', ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('erasure_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_erasure_jobs_state')
    op.drop_table('erasure_jobs')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('legal_hold')
