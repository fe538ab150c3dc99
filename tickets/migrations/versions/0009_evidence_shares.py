"""evidence shares: signed, expiring, revocable links to one session's evidence bundle

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evidence_shares',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.String(length=64), nullable=False),
    sa.Column('ticket_id', sa.String(length=64), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=200), nullable=True),
    sa.Column('downloads', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['support_sessions.id'],
                            name=op.f('fk_evidence_shares_session_id_support_sessions')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_evidence_shares_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_shares'))
    )
    with op.batch_alter_table('evidence_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_shares_session_id'), ['session_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('evidence_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_shares_session_id'))
    op.drop_table('evidence_shares')
