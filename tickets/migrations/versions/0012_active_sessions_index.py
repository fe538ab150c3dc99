"""active sessions index: the few running sessions, newest first, without walking every session

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29

A partial index: SQLite's planner (no STAT4 histograms) took status = 'active' for half of the sessions and walked
100,000 of them in start order to find the ~1 % that run; a partial index's own row count tells it otherwise.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_support_sessions_active', 'support_sessions', ['created_at', 'id'], unique=False,
                    sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))


def downgrade() -> None:
    op.drop_index('ix_support_sessions_active', table_name='support_sessions')
