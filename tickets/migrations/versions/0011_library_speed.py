"""library speed: one search document per session, a daily rollup of findings for the trends

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29

Full text: 0007 indexed every ticket, finding and chat line as its own row; a common word then matched ~60,000
rows whose session ids had to be read one by one. Now each session has one document (its ticket's title and
customer, its findings, its chat), kept by triggers: an FTS5 row keyed by the session's integer `search_key` on
SQLite (a match yields integers straight from the index), a tsvector row with a GIN index on PostgreSQL.
Trends: `finding_counts` holds the findings (not dismissed) per day, code and device, kept by triggers, so 12 weeks
are ~30,000 small rows instead of a join of every finding to its ticket.
"""
from __future__ import annotations

import importlib
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# --- SQLite: the session's document, as an INSERT ... SELECT over the sessions `where` picks
_SQLITE_DOC = (
    "coalesce(t.title, '') || ' ' || coalesce(t.customer, '') || ' ' || coalesce((SELECT group_concat("
    "coalesce(f.code, '') || ' ' || coalesce(f.title, '') || ' ' || coalesce(f.text, '') || ' ' || coalesce(f.note, ''),"
    " ' ') FROM findings f WHERE f.session_id = s.id), '') || ' ' || coalesce((SELECT group_concat("
    "coalesce(json_extract(e.payload, '$.text'), ''), ' ') FROM session_events e WHERE e.session_id = s.id "
    "AND e.kind = 'chat'), '')")


def _sqlite_refresh(where: str) -> str:
    return (f"DELETE FROM session_search WHERE rowid IN (SELECT s.search_key FROM support_sessions s WHERE {where}); "
            f"INSERT INTO session_search (rowid, body) SELECT s.search_key, {_SQLITE_DOC} FROM support_sessions s "
            f"JOIN tickets t ON t.id = s.ticket_id WHERE {where} AND s.search_key IS NOT NULL;")


_SQLITE_DAY = "date({0}.created_at)"
_SQLITE_WEEK = "date({0}.created_at, '-6 days', 'weekday 1')"


def _sqlite_count(row: str, sign: str) -> str:
    """Add (+) or take (-) one finding `row` (new/old) to/from its day's count, if it is not dismissed."""
    if sign == "+":
        return (f"INSERT INTO finding_counts (day, week, code, device_family, device_model, n) SELECT "
                f"{_SQLITE_DAY.format(row)}, {_SQLITE_WEEK.format(row)}, {row}.code, coalesce(t.device_family, ''), "
                f"coalesce(t.device_model, ''), 1 FROM tickets t WHERE t.id = {row}.ticket_id AND {row}.dismissed = 0 "
                f"ON CONFLICT (day, code, device_family, device_model) DO UPDATE SET n = n + 1;")
    return (f"UPDATE finding_counts SET n = n - 1 WHERE {row}.dismissed = 0 AND day = {_SQLITE_DAY.format(row)} "
            f"AND code = {row}.code AND (device_family, device_model) = (SELECT coalesce(device_family, ''), "
            f"coalesce(device_model, '') FROM tickets WHERE id = {row}.ticket_id);")


SQLITE = [
    "CREATE VIRTUAL TABLE session_search USING fts5(body, tokenize = 'unicode61')",
    # a new session takes the next key, then its document
    "CREATE TRIGGER session_search_session_insert AFTER INSERT ON support_sessions BEGIN "
    "UPDATE support_sessions SET search_key = (SELECT coalesce(max(search_key), 0) + 1 FROM support_sessions) "
    f"WHERE id = new.id; {_sqlite_refresh('s.id = new.id')} END",
    "CREATE TRIGGER session_search_session_delete AFTER DELETE ON support_sessions BEGIN "
    "DELETE FROM session_search WHERE rowid = old.search_key; END",
    "CREATE TRIGGER session_search_ticket_update AFTER UPDATE OF title, customer ON tickets BEGIN "
    f"{_sqlite_refresh('s.ticket_id = new.id')} END",
    f"CREATE TRIGGER session_search_finding_insert AFTER INSERT ON findings BEGIN {_sqlite_refresh('s.id = new.session_id')} END",
    "CREATE TRIGGER session_search_finding_update AFTER UPDATE OF code, title, text, note, session_id ON findings BEGIN "
    f"{_sqlite_refresh('s.id = old.session_id')} {_sqlite_refresh('s.id = new.session_id AND new.session_id IS NOT old.session_id')} END",
    f"CREATE TRIGGER session_search_finding_delete AFTER DELETE ON findings BEGIN {_sqlite_refresh('s.id = old.session_id')} END",
    "CREATE TRIGGER session_search_chat_insert AFTER INSERT ON session_events WHEN new.kind = 'chat' BEGIN "
    f"{_sqlite_refresh('s.id = new.session_id')} END",
    "CREATE TRIGGER session_search_chat_update AFTER UPDATE OF payload ON session_events WHEN new.kind = 'chat' BEGIN "
    f"{_sqlite_refresh('s.id = new.session_id')} END",
    "CREATE TRIGGER session_search_chat_delete AFTER DELETE ON session_events WHEN old.kind = 'chat' BEGIN "
    f"{_sqlite_refresh('s.id = old.session_id')} END",
    # the daily counts
    f"CREATE TRIGGER finding_counts_insert AFTER INSERT ON findings BEGIN {_sqlite_count('new', '+')} END",
    "CREATE TRIGGER finding_counts_update AFTER UPDATE OF dismissed, code, created_at, ticket_id ON findings BEGIN "
    f"{_sqlite_count('old', '-')} {_sqlite_count('new', '+')} END",
    f"CREATE TRIGGER finding_counts_delete AFTER DELETE ON findings BEGIN {_sqlite_count('old', '-')} END",
    "CREATE TRIGGER finding_counts_ticket_device AFTER UPDATE OF device_family, device_model ON tickets "
    "WHEN coalesce(old.device_family, '') IS NOT coalesce(new.device_family, '') "
    "OR coalesce(old.device_model, '') IS NOT coalesce(new.device_model, '') BEGIN "
    "UPDATE finding_counts SET n = n - (SELECT count(*) FROM findings f WHERE f.ticket_id = old.id AND f.dismissed = 0 "
    "AND date(f.created_at) = finding_counts.day AND f.code = finding_counts.code) "
    "WHERE device_family = coalesce(old.device_family, '') AND device_model = coalesce(old.device_model, '') "
    "AND (day, code) IN (SELECT date(created_at), code FROM findings WHERE ticket_id = old.id); "
    "INSERT INTO finding_counts (day, week, code, device_family, device_model, n) SELECT date(f.created_at), "
    "date(f.created_at, '-6 days', 'weekday 1'), f.code, coalesce(new.device_family, ''), "
    "coalesce(new.device_model, ''), count(*) FROM findings f WHERE f.ticket_id = new.id AND f.dismissed = 0 "
    "GROUP BY date(f.created_at), f.code ON CONFLICT (day, code, device_family, device_model) "
    "DO UPDATE SET n = n + excluded.n; END",
    # what is there already
    "UPDATE support_sessions SET search_key = rowid",
    f"INSERT INTO session_search (rowid, body) SELECT s.search_key, {_SQLITE_DOC} FROM support_sessions s "
    "JOIN tickets t ON t.id = s.ticket_id",
    "INSERT INTO finding_counts (day, week, code, device_family, device_model, n) SELECT date(f.created_at), "
    "date(f.created_at, '-6 days', 'weekday 1'), f.code, coalesce(t.device_family, ''), coalesce(t.device_model, ''), "
    "count(*) FROM findings f JOIN tickets t ON t.id = f.ticket_id WHERE f.dismissed = 0 "
    "GROUP BY date(f.created_at), f.code, coalesce(t.device_family, ''), coalesce(t.device_model, '')",
]
SQLITE_TRIGGERS = ["session_search_session_insert", "session_search_session_delete", "session_search_ticket_update",
                   "session_search_finding_insert", "session_search_finding_update", "session_search_finding_delete",
                   "session_search_chat_insert", "session_search_chat_update", "session_search_chat_delete",
                   "finding_counts_insert", "finding_counts_update", "finding_counts_delete",
                   "finding_counts_ticket_device"]

# --- PostgreSQL
_PG_DAY = "({0}.created_at AT TIME ZONE 'UTC')::date"
_PG_WEEK = "date_trunc('week', {0}.created_at AT TIME ZONE 'UTC')::date"
PG = [
    "CREATE TABLE session_search (session_id varchar(64) PRIMARY KEY, doc tsvector NOT NULL)",
    "CREATE INDEX ix_session_search_doc ON session_search USING gin (doc)",
    "CREATE FUNCTION session_search_refresh(sid varchar) RETURNS void LANGUAGE sql AS $$ "
    "INSERT INTO session_search (session_id, doc) SELECT s.id, to_tsvector('simple', coalesce(t.title, '') || ' ' || "
    "coalesce(t.customer, '') || ' ' || coalesce((SELECT string_agg(coalesce(f.code, '') || ' ' || coalesce(f.title, '') "
    "|| ' ' || coalesce(f.text, '') || ' ' || coalesce(f.note, ''), ' ') FROM findings f WHERE f.session_id = s.id), '') "
    "|| ' ' || coalesce((SELECT string_agg(coalesce(e.payload ->> 'text', ''), ' ') FROM session_events e "
    "WHERE e.session_id = s.id AND e.kind = 'chat'), '')) FROM support_sessions s JOIN tickets t ON t.id = s.ticket_id "
    "WHERE s.id = sid ON CONFLICT (session_id) DO UPDATE SET doc = excluded.doc $$",
    "CREATE FUNCTION session_search_track() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_TABLE_NAME = 'support_sessions' THEN "
    "  IF TG_OP = 'DELETE' THEN DELETE FROM session_search WHERE session_id = OLD.id; "
    "  ELSE PERFORM session_search_refresh(NEW.id); END IF; "
    "ELSIF TG_TABLE_NAME = 'tickets' THEN "
    "  PERFORM session_search_refresh(s.id) FROM support_sessions s WHERE s.ticket_id = NEW.id; "
    "ELSE "
    "  IF TG_OP <> 'INSERT' THEN PERFORM session_search_refresh(OLD.session_id); END IF; "
    "  IF TG_OP <> 'DELETE' THEN PERFORM session_search_refresh(NEW.session_id); END IF; "
    "END IF; RETURN NULL; END $$",
    "CREATE TRIGGER session_search_session AFTER INSERT OR DELETE ON support_sessions FOR EACH ROW "
    "EXECUTE FUNCTION session_search_track()",
    "CREATE TRIGGER session_search_ticket AFTER UPDATE OF title, customer ON tickets FOR EACH ROW "
    "EXECUTE FUNCTION session_search_track()",
    "CREATE TRIGGER session_search_finding AFTER INSERT OR DELETE OR UPDATE OF code, title, text, note, session_id "
    "ON findings FOR EACH ROW EXECUTE FUNCTION session_search_track()",
    "CREATE TRIGGER session_search_chat_insert AFTER INSERT OR UPDATE OF payload ON session_events FOR EACH ROW "
    "WHEN (NEW.kind = 'chat') EXECUTE FUNCTION session_search_track()",
    "CREATE TRIGGER session_search_chat_delete AFTER DELETE ON session_events FOR EACH ROW WHEN (OLD.kind = 'chat') "
    "EXECUTE FUNCTION session_search_track()",
    "CREATE FUNCTION finding_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP <> 'INSERT' AND NOT OLD.dismissed THEN "
    "  UPDATE finding_counts c SET n = c.n - 1 FROM tickets t WHERE t.id = OLD.ticket_id "
    f"  AND c.day = {_PG_DAY.format('OLD')} AND c.code = OLD.code "
    "  AND c.device_family = coalesce(t.device_family, '') AND c.device_model = coalesce(t.device_model, ''); "
    "END IF; "
    "IF TG_OP <> 'DELETE' AND NOT NEW.dismissed THEN "
    "  INSERT INTO finding_counts (day, week, code, device_family, device_model, n) "
    f"  SELECT {_PG_DAY.format('NEW')}, {_PG_WEEK.format('NEW')}, NEW.code, coalesce(t.device_family, ''), "
    "  coalesce(t.device_model, ''), 1 FROM tickets t WHERE t.id = NEW.ticket_id "
    "  ON CONFLICT (day, code, device_family, device_model) DO UPDATE SET n = finding_counts.n + 1; "
    "END IF; RETURN NULL; END $$",
    "CREATE TRIGGER finding_counts_finding AFTER INSERT OR DELETE OR UPDATE OF dismissed, code, created_at, ticket_id "
    "ON findings FOR EACH ROW EXECUTE FUNCTION finding_counts_track()",
    "CREATE FUNCTION finding_counts_device() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE finding_counts c SET n = c.n - x.n FROM (SELECT (f.created_at AT TIME ZONE 'UTC')::date AS day, f.code, "
    "count(*) AS n FROM findings f WHERE f.ticket_id = OLD.id AND NOT f.dismissed GROUP BY 1, 2) x "
    "WHERE c.day = x.day AND c.code = x.code AND c.device_family = coalesce(OLD.device_family, '') "
    "AND c.device_model = coalesce(OLD.device_model, ''); "
    "INSERT INTO finding_counts (day, week, code, device_family, device_model, n) "
    "SELECT (f.created_at AT TIME ZONE 'UTC')::date, date_trunc('week', f.created_at AT TIME ZONE 'UTC')::date, f.code, "
    "coalesce(NEW.device_family, ''), coalesce(NEW.device_model, ''), count(*) FROM findings f "
    "WHERE f.ticket_id = NEW.id AND NOT f.dismissed GROUP BY 1, 2, 3 "
    "ON CONFLICT (day, code, device_family, device_model) DO UPDATE SET n = finding_counts.n + excluded.n; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER finding_counts_ticket_device AFTER UPDATE OF device_family, device_model ON tickets FOR EACH ROW "
    "WHEN (coalesce(OLD.device_family, '') IS DISTINCT FROM coalesce(NEW.device_family, '') "
    "OR coalesce(OLD.device_model, '') IS DISTINCT FROM coalesce(NEW.device_model, '')) "
    "EXECUTE FUNCTION finding_counts_device()",
    # what is there already
    "SELECT session_search_refresh(id) FROM support_sessions",
    "INSERT INTO finding_counts (day, week, code, device_family, device_model, n) SELECT "
    "(f.created_at AT TIME ZONE 'UTC')::date, date_trunc('week', f.created_at AT TIME ZONE 'UTC')::date, f.code, "
    "coalesce(t.device_family, ''), coalesce(t.device_model, ''), count(*) FROM findings f "
    "JOIN tickets t ON t.id = f.ticket_id WHERE NOT f.dismissed GROUP BY 1, 2, 3, 4, 5",
]
PG_DROP = ["DROP TRIGGER IF EXISTS finding_counts_ticket_device ON tickets",
           "DROP TRIGGER IF EXISTS finding_counts_finding ON findings",
           "DROP TRIGGER IF EXISTS session_search_chat_delete ON session_events",
           "DROP TRIGGER IF EXISTS session_search_chat_insert ON session_events",
           "DROP TRIGGER IF EXISTS session_search_finding ON findings",
           "DROP TRIGGER IF EXISTS session_search_ticket ON tickets",
           "DROP TRIGGER IF EXISTS session_search_session ON support_sessions",
           "DROP FUNCTION IF EXISTS finding_counts_device()", "DROP FUNCTION IF EXISTS finding_counts_track()",
           "DROP FUNCTION IF EXISTS session_search_track()", "DROP FUNCTION IF EXISTS session_search_refresh(varchar)",
           "DROP TABLE IF EXISTS session_search"]


def _previous_search() -> Any:
    """0007's search structures (replaced here; restored by the downgrade)."""
    return importlib.import_module("tickets.migrations.versions.0007_session_library")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.create_table('finding_counts',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('device_family', sa.String(length=100), nullable=False),
    sa.Column('device_model', sa.String(length=200), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'code', 'device_family', 'device_model', name=op.f('pk_finding_counts')),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('support_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_key', sa.Integer(), nullable=True))
        batch_op.create_index('ix_support_sessions_search_key', ['search_key'], unique=True)
    with op.batch_alter_table('tickets', schema=None) as batch_op:  # sorting the library by customer or title
        batch_op.create_index('ix_tickets_customer', ['customer', 'id'], unique=False)
        batch_op.create_index('ix_tickets_title', ['title', 'id'], unique=False)
    old = _previous_search()
    for statement in old.SQLITE_FTS_DROP + SQLITE if sqlite else old.PG_FTS_DROP + PG:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS session_search")
    else:
        for statement in PG_DROP:
            op.execute(statement)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_title')
        batch_op.drop_index('ix_tickets_customer')
    with op.batch_alter_table('support_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_support_sessions_search_key')
        batch_op.drop_column('search_key')
    op.drop_table('finding_counts')
    old = _previous_search()  # 0007's index, refilled from the rows by its own statements
    for statement in old.SQLITE_FTS if sqlite else old.PG_FTS:
        op.execute(statement)
