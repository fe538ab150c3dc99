"""session library: the ticket's device, indexes for the library's filters, full-text search

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

SQLite gets an FTS5 table (search_index) kept by triggers over ticket titles, findings and chat; PostgreSQL gets
GIN indexes over the same text as `to_tsvector('simple', ...)` expressions (tickets/library.py queries both).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The text a search sees of each row (the library's queries repeat these expressions for PostgreSQL).
TICKET_TEXT = "coalesce(title, '') || ' ' || coalesce(customer, '')"
FINDING_TEXT = "coalesce(code, '') || ' ' || coalesce(title, '') || ' ' || coalesce(text, '') || ' ' || coalesce(note, '')"
SQLITE_CHAT_TEXT = "coalesce(json_extract(payload, '$.text'), '')"
PG_CHAT_TEXT = "coalesce(payload ->> 'text', '')"

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE search_index USING fts5(body, kind UNINDEXED, ref UNINDEXED, ticket_id UNINDEXED, "
    "session_id UNINDEXED, tokenize = 'unicode61')",
    # ticket rows have no session: a match finds every session of the ticket
    f"CREATE TRIGGER search_ticket_insert AFTER INSERT ON tickets BEGIN INSERT INTO search_index "
    f"(body, kind, ref, ticket_id, session_id) VALUES ({TICKET_TEXT.replace('title', 'new.title').replace('customer', 'new.customer')}, "
    f"'ticket', new.id, new.id, NULL); END",
    f"CREATE TRIGGER search_ticket_update AFTER UPDATE OF title, customer ON tickets BEGIN "
    f"DELETE FROM search_index WHERE kind = 'ticket' AND ref = old.id; INSERT INTO search_index "
    f"(body, kind, ref, ticket_id, session_id) VALUES ({TICKET_TEXT.replace('title', 'new.title').replace('customer', 'new.customer')}, "
    f"'ticket', new.id, new.id, NULL); END",
    "CREATE TRIGGER search_ticket_delete AFTER DELETE ON tickets BEGIN "
    "DELETE FROM search_index WHERE kind = 'ticket' AND ref = old.id; END",
    "CREATE TRIGGER search_finding_insert AFTER INSERT ON findings BEGIN INSERT INTO search_index "
    "(body, kind, ref, ticket_id, session_id) VALUES (coalesce(new.code, '') || ' ' || coalesce(new.title, '') || ' ' "
    "|| coalesce(new.text, '') || ' ' || coalesce(new.note, ''), 'finding', new.id, new.ticket_id, new.session_id); END",
    "CREATE TRIGGER search_finding_update AFTER UPDATE OF code, title, text, note ON findings BEGIN "
    "DELETE FROM search_index WHERE kind = 'finding' AND ref = old.id; INSERT INTO search_index "
    "(body, kind, ref, ticket_id, session_id) VALUES (coalesce(new.code, '') || ' ' || coalesce(new.title, '') || ' ' "
    "|| coalesce(new.text, '') || ' ' || coalesce(new.note, ''), 'finding', new.id, new.ticket_id, new.session_id); END",
    "CREATE TRIGGER search_finding_delete AFTER DELETE ON findings BEGIN "
    "DELETE FROM search_index WHERE kind = 'finding' AND ref = old.id; END",
    "CREATE TRIGGER search_chat_insert AFTER INSERT ON session_events WHEN new.kind = 'chat' BEGIN "
    "INSERT INTO search_index (body, kind, ref, ticket_id, session_id) VALUES "
    "(coalesce(json_extract(new.payload, '$.text'), ''), 'chat', CAST(new.id AS TEXT), new.ticket_id, new.session_id); END",
    "CREATE TRIGGER search_chat_update AFTER UPDATE OF payload ON session_events WHEN new.kind = 'chat' BEGIN "
    "DELETE FROM search_index WHERE kind = 'chat' AND ref = CAST(old.id AS TEXT); "
    "INSERT INTO search_index (body, kind, ref, ticket_id, session_id) VALUES "
    "(coalesce(json_extract(new.payload, '$.text'), ''), 'chat', CAST(new.id AS TEXT), new.ticket_id, new.session_id); END",
    "CREATE TRIGGER search_chat_delete AFTER DELETE ON session_events WHEN old.kind = 'chat' BEGIN "
    "DELETE FROM search_index WHERE kind = 'chat' AND ref = CAST(old.id AS TEXT); END",
    # what was there before this migration
    f"INSERT INTO search_index (body, kind, ref, ticket_id, session_id) SELECT {TICKET_TEXT}, 'ticket', id, id, NULL "
    f"FROM tickets",
    f"INSERT INTO search_index (body, kind, ref, ticket_id, session_id) SELECT {FINDING_TEXT}, 'finding', id, "
    f"ticket_id, session_id FROM findings",
    f"INSERT INTO search_index (body, kind, ref, ticket_id, session_id) SELECT {SQLITE_CHAT_TEXT}, 'chat', "
    f"CAST(id AS TEXT), ticket_id, session_id FROM session_events WHERE kind = 'chat'",
]
SQLITE_FTS_DROP = ["DROP TRIGGER IF EXISTS " + name for name in (
    "search_ticket_insert", "search_ticket_update", "search_ticket_delete", "search_finding_insert",
    "search_finding_update", "search_finding_delete", "search_chat_insert", "search_chat_update",
    "search_chat_delete")] + ["DROP TABLE IF EXISTS search_index"]

PG_FTS = [
    f"CREATE INDEX ix_tickets_search ON tickets USING gin (to_tsvector('simple', {TICKET_TEXT}))",
    f"CREATE INDEX ix_findings_search ON findings USING gin (to_tsvector('simple', {FINDING_TEXT}))",
    f"CREATE INDEX ix_session_events_chat_search ON session_events USING gin (to_tsvector('simple', {PG_CHAT_TEXT})) "
    f"WHERE kind = 'chat'",
]
PG_FTS_DROP = ["DROP INDEX IF EXISTS ix_tickets_search", "DROP INDEX IF EXISTS ix_findings_search",
               "DROP INDEX IF EXISTS ix_session_events_chat_search"]


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_family', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('device_model', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('device_serial', sa.String(length=200), nullable=True))
        batch_op.create_index('ix_tickets_device_model', ['device_model'], unique=False)
        batch_op.create_index('ix_tickets_device_family', ['device_family'], unique=False)
    with op.batch_alter_table('support_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_support_sessions_created', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_support_sessions_created_by', ['created_by', 'created_at'], unique=False)
        batch_op.create_index('ix_support_sessions_status', ['status', 'created_at'], unique=False)
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index('ix_findings_code_session', ['code', 'session_id'], unique=False)
        batch_op.create_index('ix_findings_created', ['created_at'], unique=False)
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.create_index('ix_recordings_status_session', ['status', 'session_id'], unique=False)
    for statement in SQLITE_FTS if op.get_bind().dialect.name == 'sqlite' else PG_FTS:
        op.execute(statement)


def downgrade() -> None:
    for statement in SQLITE_FTS_DROP if op.get_bind().dialect.name == 'sqlite' else PG_FTS_DROP:
        op.execute(statement)
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index('ix_recordings_status_session')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index('ix_findings_created')
        batch_op.drop_index('ix_findings_code_session')
    with op.batch_alter_table('support_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_support_sessions_status')
        batch_op.drop_index('ix_support_sessions_created_by')
        batch_op.drop_index('ix_support_sessions_created')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_device_family')
        batch_op.drop_index('ix_tickets_device_model')
        batch_op.drop_column('device_serial')
        batch_op.drop_column('device_model')
        batch_op.drop_column('device_family')
