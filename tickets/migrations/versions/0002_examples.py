"""examples: labelled images kept from technicians' corrections

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('examples',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('finding_id', sa.String(length=64), nullable=False),
    sa.Column('ticket_id', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('truth', sa.String(length=100), nullable=False),
    sa.Column('not_code', sa.String(length=100), nullable=False),
    sa.Column('image_path', sa.String(length=500), nullable=False),
    sa.Column('image_type', sa.String(length=50), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_examples_finding_id_findings')),
    sa.ForeignKeyConstraint(['session_id'], ['support_sessions.id'], name=op.f('fk_examples_session_id_support_sessions')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_examples_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_examples')),
    sa.UniqueConstraint('image_path', name=op.f('uq_examples_image_path'))
    )
    with op.batch_alter_table('examples', schema=None) as batch_op:
        batch_op.create_index('ix_examples_created', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_examples_finding_id'), ['finding_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_examples_ticket_id'), ['ticket_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('examples', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_examples_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_examples_finding_id'))
        batch_op.drop_index('ix_examples_created')

    op.drop_table('examples')
