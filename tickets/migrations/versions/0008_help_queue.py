"""help links (device QR stickers) and the requests of the help queue

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('help_links',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('family', sa.String(length=100), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('serial', sa.String(length=200), nullable=False),
    sa.Column('site', sa.String(length=200), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_links'))
    )
    op.create_table('queue_requests',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('help_link_id', sa.String(length=64), nullable=False),
    sa.Column('ticket_id', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.String(length=64), nullable=False),
    sa.Column('customer_name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('media', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=20), nullable=False),
    sa.Column('photo', sa.String(length=200), nullable=True),
    sa.Column('callback_number', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('technician_id', sa.String(length=200), nullable=False),
    sa.Column('enqueued_at', sa.Float(), nullable=False),
    sa.Column('answered_at', sa.Float(), nullable=True),
    sa.Column('ended_at', sa.Float(), nullable=True),
    sa.Column('breached', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['help_link_id'], ['help_links.id'],
                            name=op.f('fk_queue_requests_help_link_id_help_links')),
    sa.ForeignKeyConstraint(['session_id'], ['support_sessions.id'],
                            name=op.f('fk_queue_requests_session_id_support_sessions')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_queue_requests_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_requests')),
    sa.UniqueConstraint('session_id', name=op.f('uq_queue_requests_session_id'))
    )
    with op.batch_alter_table('queue_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_requests_help_link_id'), ['help_link_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_queue_requests_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index('ix_queue_requests_state', ['state'], unique=False)


def downgrade() -> None:
    op.drop_table('queue_requests')
    op.drop_table('help_links')
