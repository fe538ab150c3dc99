"""session sort keys: the ticket's customer and title and "has a playable recording" on the session row

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29

The library sorts by a ticket's customer or title and filters on "has a recording". Read through a join, the keyset
cursor's row comparison `(customer, created_at, id) < (...)` spans two tables, so PostgreSQL walked the customer
index from its start for every deep page; and "has a recording" was an EXISTS per candidate session (300 ms of CPU
for an exact count of 17,500 matches in 100,000). Both now live on the session row, kept by triggers; the sort keys
each with an index that ends in (created_at, id) like every library order. The flag has no index: one on
(recorded, created_at, id) led SQLite to walk the 70 % of recorded sessions in start order for "recorded and active"
(340 ms of CPU against 27 ms through the partial index of active sessions); a flag read on the row is cheap.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

_PLAYABLE = "('finalised', 'recovered')"  # vocabulary.PLAYABLE_RECORDINGS as of 0013, frozen here: the states with a file to watch
_SQLITE_RECORDED = ("UPDATE support_sessions SET recorded = EXISTS (SELECT 1 FROM recordings r WHERE "
                    f"r.session_id = support_sessions.id AND r.status IN {_PLAYABLE}) WHERE id = {{row}}.session_id;")
_SQLITE_TICKET = ("UPDATE support_sessions SET ticket_customer = coalesce((SELECT customer FROM tickets WHERE id = "
                  "new.ticket_id), ''), ticket_title = coalesce((SELECT title FROM tickets WHERE id = new.ticket_id), "
                  "'') WHERE id = new.id;")

SQLITE = [
    f"CREATE TRIGGER session_keys_session_insert AFTER INSERT ON support_sessions BEGIN {_SQLITE_TICKET} END",
    f"CREATE TRIGGER session_keys_session_moved AFTER UPDATE OF ticket_id ON support_sessions BEGIN {_SQLITE_TICKET} END",
    "CREATE TRIGGER session_keys_ticket_update AFTER UPDATE OF title, customer ON tickets BEGIN "
    "UPDATE support_sessions SET ticket_customer = new.customer, ticket_title = new.title WHERE ticket_id = new.id; END",
    f"CREATE TRIGGER session_keys_recording_insert AFTER INSERT ON recordings BEGIN {_SQLITE_RECORDED.format(row='new')} END",
    "CREATE TRIGGER session_keys_recording_update AFTER UPDATE OF status, session_id ON recordings BEGIN "
    f"{_SQLITE_RECORDED.format(row='old')} {_SQLITE_RECORDED.format(row='new')} END",
    f"CREATE TRIGGER session_keys_recording_delete AFTER DELETE ON recordings BEGIN {_SQLITE_RECORDED.format(row='old')} END",
    # what is there already
    "UPDATE support_sessions SET ticket_customer = coalesce((SELECT customer FROM tickets t WHERE t.id = "
    "support_sessions.ticket_id), ''), ticket_title = coalesce((SELECT title FROM tickets t WHERE t.id = "
    "support_sessions.ticket_id), ''), recorded = EXISTS (SELECT 1 FROM recordings r WHERE "
    f"r.session_id = support_sessions.id AND r.status IN {_PLAYABLE})",
]
SQLITE_TRIGGERS = ["session_keys_session_insert", "session_keys_session_moved", "session_keys_ticket_update",
                   "session_keys_recording_insert", "session_keys_recording_update", "session_keys_recording_delete"]

PG = [
    "CREATE FUNCTION session_keys_session() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE support_sessions s SET ticket_customer = t.customer, ticket_title = t.title FROM tickets t "
    "WHERE s.id = NEW.id AND t.id = NEW.ticket_id; RETURN NULL; END $$",
    "CREATE TRIGGER session_keys_session AFTER INSERT OR UPDATE OF ticket_id ON support_sessions FOR EACH ROW "
    "EXECUTE FUNCTION session_keys_session()",
    "CREATE FUNCTION session_keys_ticket() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE support_sessions SET ticket_customer = NEW.customer, ticket_title = NEW.title WHERE ticket_id = NEW.id; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER session_keys_ticket AFTER UPDATE OF title, customer ON tickets FOR EACH ROW "
    "EXECUTE FUNCTION session_keys_ticket()",
    "CREATE FUNCTION session_keys_recorded(session varchar) RETURNS void LANGUAGE sql AS $$ "
    "UPDATE support_sessions SET recorded = EXISTS (SELECT 1 FROM recordings r WHERE r.session_id = session "
    f"AND r.status IN {_PLAYABLE}) WHERE id = session $$",
    "CREATE FUNCTION session_keys_recording() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP <> 'INSERT' THEN PERFORM session_keys_recorded(OLD.session_id); END IF; "
    "IF TG_OP <> 'DELETE' THEN PERFORM session_keys_recorded(NEW.session_id); END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER session_keys_recording AFTER INSERT OR DELETE OR UPDATE OF status, session_id ON recordings "
    "FOR EACH ROW EXECUTE FUNCTION session_keys_recording()",
    # what is there already
    "UPDATE support_sessions s SET ticket_customer = t.customer, ticket_title = t.title FROM tickets t "
    "WHERE t.id = s.ticket_id",
    "UPDATE support_sessions s SET recorded = true WHERE EXISTS (SELECT 1 FROM recordings r WHERE "
    f"r.session_id = s.id AND r.status IN {_PLAYABLE})",
]
PG_DROP = ["DROP TRIGGER IF EXISTS session_keys_recording ON recordings",
           "DROP TRIGGER IF EXISTS session_keys_ticket ON tickets",
           "DROP TRIGGER IF EXISTS session_keys_session ON support_sessions",
           "DROP FUNCTION IF EXISTS session_keys_recording()", "DROP FUNCTION IF EXISTS session_keys_recorded(varchar)",
           "DROP FUNCTION IF EXISTS session_keys_ticket()", "DROP FUNCTION IF EXISTS session_keys_session()"]

INDEXES = {"ix_support_sessions_customer": ["ticket_customer", "created_at", "id"],
           "ix_support_sessions_title": ["ticket_title", "created_at", "id"]}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    with op.batch_alter_table('support_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ticket_customer', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('ticket_title', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('recorded', sa.Boolean(), nullable=False, server_default='0'))
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    for statement in SQLITE if sqlite else PG:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for statement in PG_DROP:
            op.execute(statement)
    for name in INDEXES:
        op.drop_index(name, table_name='support_sessions')
    # ALTER TABLE ... DROP COLUMN on both (SQLite >= 3.35): a batch copy of the table would drop 0011's triggers on it
    for column in ('recorded', 'ticket_title', 'ticket_customer'):
        op.execute(f"ALTER TABLE support_sessions DROP COLUMN {column}")
