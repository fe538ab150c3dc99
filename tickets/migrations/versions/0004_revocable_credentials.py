"""revocable credentials: revocations, join links, the token family of each participant

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('revocations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.Column('reason', sa.String(length=50), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revocations'))
    )
    with op.batch_alter_table('revocations', schema=None) as batch_op:
        batch_op.create_index('ix_revocations_expires_at', ['expires_at'], unique=False)
    op.create_table('join_links',
    sa.Column('session_id', sa.String(length=64), nullable=False),
    sa.Column('token_id', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.Column('issued_by', sa.String(length=200), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['support_sessions.id'], name=op.f('fk_join_links_session_id_support_sessions')),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_join_links'))
    )
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_family', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_column('token_family')
    op.drop_table('join_links')
    with op.batch_alter_table('revocations', schema=None) as batch_op:
        batch_op.drop_index('ix_revocations_expires_at')
    op.drop_table('revocations')
