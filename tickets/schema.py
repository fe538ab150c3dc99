"""Table definitions (SQLAlchemy Core); the Alembic migrations create exactly these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.engine import Dialect

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        # SQLite compares datetimes as text: store one naive UTC format so ordering holds.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The store's clock."""
    return datetime.now(UTC)


ID = String(64)

tickets = Table(
    "tickets",
    metadata,
    Column("id", ID, primary_key=True),
    Column("title", String(300), nullable=False),
    Column("customer", String(300), nullable=False, default=""),
    Column("external_ref", String(200), nullable=True),
    Column("status", String(20), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # the device the ticket is about, when known (the session library filters on it)
    Column("device_family", String(100), nullable=True),
    Column("device_model", String(200), nullable=True),
    Column("device_serial", String(200), nullable=True),
    Column("legal_hold", Boolean, nullable=False, default=False, server_default="0"),  # nothing of it is deleted
    Index("ix_tickets_created", "created_at", "id"),
    Index("ix_tickets_status", "status"),
    Index("ix_tickets_device_model", "device_model"),
    Index("ix_tickets_device_family", "device_family"),
    Index("ix_tickets_customer", "customer", "id"),
    Index("ix_tickets_title", "title", "id"),
)

sessions = Table(
    "support_sessions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("ticket_id", ID, ForeignKey("tickets.id"), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    # SQLite: the rowid of the session's full-text document (set by a trigger, migration 0011); unused on PostgreSQL
    Column("search_key", Integer, nullable=True),
    # the ticket's customer and title and "has a playable recording", kept by triggers (migration 0013) so the
    # library's sorts and filter are one index range on this table
    Column("ticket_customer", String(300), nullable=False, server_default=""),
    Column("ticket_title", String(300), nullable=False, server_default=""),
    Column("recorded", Boolean, nullable=False, server_default="0"),
    Index("ix_support_sessions_created", "created_at", "id"),
    Index("ix_support_sessions_customer", "ticket_customer", "created_at", "id"),
    Index("ix_support_sessions_title", "ticket_title", "created_at", "id"),
    Index("ix_support_sessions_search_key", "search_key", unique=True),
    # the running sessions (a few) in start order; queries must say status = 'active' as a literal to use it
    Index("ix_support_sessions_active", "created_at", "id", sqlite_where=text("status = 'active'"),
          postgresql_where=text("status = 'active'")),
    Index("ix_support_sessions_created_by", "created_by", "created_at"),
    Index("ix_support_sessions_status", "status", "created_at"),
)

participants = Table(
    "participants",
    metadata,
    Column("session_id", ID, ForeignKey("support_sessions.id"), primary_key=True),
    Column("participant_id", String(200), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("joined_at", UTCDateTime(), nullable=False),
    Column("token_family", String(64), nullable=True),  # the credential it joined with, to revoke on removal
)

# Revoked token families and sessions; every node loads them and polls for new ones (ids only grow).
revocations = Table(
    "revocations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("value", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("reason", String(50), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_revocations_expires_at", "expires_at"),
)

# The session's current customer join link (issuing a new one revokes the previous one).
join_links = Table(
    "join_links",
    metadata,
    Column("session_id", ID, ForeignKey("support_sessions.id"), primary_key=True),
    Column("token_id", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("issued_by", String(200), nullable=False),
    Column("issued_at", UTCDateTime(), nullable=False),
)

findings = Table(
    "findings",
    metadata,
    Column("id", ID, primary_key=True),
    Column("ticket_id", ID, ForeignKey("tickets.id"), nullable=False, index=True),
    Column("session_id", ID, ForeignKey("support_sessions.id"), nullable=False, index=True),
    Column("code", String(100), nullable=False, index=True),
    Column("family", String(100), nullable=False),
    Column("title", String(300), nullable=False),
    Column("cause", Text, nullable=False),
    Column("remedy", Text, nullable=False),
    Column("severity", String(20), nullable=False),
    Column("known", Boolean, nullable=False),
    Column("text", Text, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("frame_time", Float, nullable=True),
    Column("offset_s", Float, nullable=True),
    Column("snapshot_id", String(100), nullable=False, unique=True),
    Column("snapshot_path", String(500), nullable=False),
    Column("snapshot_type", String(50), nullable=False),
    Column("source", String(20), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("dismissed", Boolean, nullable=False, default=False),
    Column("dismissed_by", String(200), nullable=True),
    Column("dismissed_reason", Text, nullable=True),
    Column("dismissed_at", UTCDateTime(), nullable=True),
    Index("ix_findings_code_session", "code", "session_id"),
    Index("ix_findings_created", "created_at"),
)

examples = Table(
    "examples",
    metadata,
    Column("id", ID, primary_key=True),
    Column("finding_id", ID, ForeignKey("findings.id"), nullable=False, index=True),
    Column("ticket_id", ID, ForeignKey("tickets.id"), nullable=False, index=True),
    Column("session_id", ID, ForeignKey("support_sessions.id"), nullable=False),
    Column("source", String(20), nullable=False),
    Column("truth", String(100), nullable=False),
    Column("not_code", String(100), nullable=False),
    Column("image_path", String(500), nullable=False, unique=True),
    Column("image_type", String(50), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_examples_created", "created_at", "id"),
)

recordings = Table(
    "recordings",
    metadata,
    Column("id", ID, primary_key=True),
    Column("session_id", ID, ForeignKey("support_sessions.id"), nullable=False, index=True),
    Column("ticket_id", ID, ForeignKey("tickets.id"), nullable=False, index=True),
    Column("path", String(1000), nullable=False),
    Column("status", String(20), nullable=False),
    Column("duration_s", Float, nullable=True),
    Column("size_bytes", BigInteger, nullable=True),
    Column("poster_path", String(1000), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("finalised_at", UTCDateTime(), nullable=True),
    Column("node_id", String(100), nullable=True, index=True),  # the node writing it; NULL: before 0005
    Index("ix_recordings_status_session", "status", "session_id"),
)

# Signed links sharing one session's evidence bundle: they expire, can be revoked; every download is audited.
evidence_shares = Table(
    "evidence_shares",
    metadata,
    Column("id", ID, primary_key=True),
    Column("session_id", ID, ForeignKey("support_sessions.id"), nullable=False, index=True),
    Column("ticket_id", ID, ForeignKey("tickets.id"), nullable=False),
    Column("note", String(300), nullable=False),  # who it is for, e.g. "vendor support case 1234"
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("revoked_by", String(200), nullable=True),
    Column("downloads", Integer, nullable=False),
)

# Deletions (retention, erasure on request), crash-safe: the database changes and the list of files to remove
# commit together in the job's row; the files are removed after; a job still "pending" after a crash is finished
# at the next start (removing a file is idempotent).
erasure_jobs = Table(
    "erasure_jobs",
    metadata,
    Column("id", ID, primary_key=True),
    Column("kind", String(20), nullable=False),  # retention | ticket | customer
    Column("target", String(300), nullable=False),  # ticket id, customer name, or the retention cut-off
    Column("requested_by", String(200), nullable=False),
    Column("reason", String(300), nullable=False),
    Column("requested_at", UTCDateTime(), nullable=False),
    Column("state", String(20), nullable=False),  # pending | done
    Column("files", JSON, nullable=False),  # absolute paths still to remove
    Column("finished_at", UTCDateTime(), nullable=True),
    Index("ix_erasure_jobs_state", "state"),
)

# Findings (not dismissed) per day, code and device, kept by triggers on findings and tickets (migration 0011):
# the library's trends read these instead of joining every finding to its ticket.
finding_counts = Table(
    "finding_counts",
    metadata,
    Column("day", Date, primary_key=True),  # UTC
    Column("week", Date, nullable=False),  # the Monday of its week
    Column("code", String(100), primary_key=True),
    Column("device_family", String(100), primary_key=True),  # "" when unknown
    Column("device_model", String(200), primary_key=True),  # "" when unknown
    Column("n", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# Full text: one document per session (ticket title and customer, findings, chat), kept by triggers: an FTS5 table
# keyed by support_sessions.search_key on SQLite, a tsvector table with a GIN index on PostgreSQL (migration 0011,
# outside this metadata; tickets/library.py queries them).
SEARCH_TABLES = frozenset({"session_search", "session_search_data", "session_search_idx", "session_search_content",
                           "session_search_docsize", "session_search_config"})
SEARCH_INDEXES = frozenset({"ix_session_search_doc"})


def described_here(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's include_name: compare only what this metadata describes (not the search tables and indexes)."""
    return name not in SEARCH_TABLES | SEARCH_INDEXES

# What was said, drawn, frozen and changed in a call (tickets/session_events.py validates each payload).
session_events = Table(
    "session_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", ID, ForeignKey("support_sessions.id"), nullable=False),
    Column("ticket_id", ID, ForeignKey("tickets.id"), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("actor_role", String(20), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("actor_name", String(200), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("offset_ms", BigInteger, nullable=True),
    Index("ix_session_events_session", "session_id", "id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(50), nullable=False),
    Column("ticket_id", ID, nullable=True, index=True),
    Column("session_id", ID, nullable=True, index=True),
    Column("target", String(200), nullable=True),
    Column("detail", JSON, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", ID, primary_key=True),
    Column("type", String(50), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("delivered_to", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Index("ix_outbox_due", "status", "next_attempt_at"),
)

catalog_edits = Table(
    "catalog_edits",
    metadata,
    # Technicians' catalog entries, layered over the catalog files; one row per (family, code), the latest edit.
    Column("family", String(100), primary_key=True),
    Column("code", String(100), primary_key=True),
    Column("vendor", String(200), nullable=False),
    Column("device", String(100), nullable=False),
    Column("title", String(300), nullable=False),
    Column("cause", Text, nullable=False),
    Column("remedy", Text, nullable=False),
    Column("severity", String(20), nullable=False),
    Column("deleted", Boolean, nullable=False),  # a tombstone hides the entry, also one from a file
    Column("version", Integer, nullable=False, unique=True),  # catalog-wide, increasing: nodes fetch what is newer
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Device help links printed as QR stickers (issue 12): what device a request is for; revoked ones refuse requests.
help_links = Table(
    "help_links",
    metadata,
    Column("id", ID, primary_key=True),
    Column("family", String(100), nullable=False),  # vendor family: routes requests to technicians skilled for it
    Column("model", String(200), nullable=False),
    Column("serial", String(200), nullable=False),  # empty: a link for the whole product line
    Column("site", String(200), nullable=False),  # the site or customer reference it hangs at
    Column("label", String(200), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("revoked_by", String(200), nullable=True),
)

# Customers' requests for help and their way through the queue (restored into the queue after a restart).
queue_requests = Table(
    "queue_requests",
    metadata,
    Column("id", ID, primary_key=True),
    Column("help_link_id", ID, ForeignKey("help_links.id"), nullable=False, index=True),
    Column("ticket_id", ID, ForeignKey("tickets.id"), nullable=False, index=True),
    Column("session_id", ID, ForeignKey("support_sessions.id"), nullable=False, unique=True),
    Column("customer_name", String(100), nullable=False),
    Column("description", Text, nullable=False),
    Column("media", String(10), nullable=False),
    Column("language", String(20), nullable=False),
    Column("photo", String(200), nullable=True),  # file name under data_dir/help_photos
    Column("callback_number", String(40), nullable=False),
    Column("state", String(20), nullable=False),
    Column("technician_id", String(200), nullable=False),
    Column("enqueued_at", Float, nullable=False),  # epoch seconds: the queue's clock
    Column("answered_at", Float, nullable=True),
    Column("ended_at", Float, nullable=True),
    Column("breached", Boolean, nullable=False),
    Index("ix_queue_requests_state", "state"),
)
