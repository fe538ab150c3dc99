"""Alembic environment: runs on the connection the store hands over (see tickets/migrate.py)."""

from __future__ import annotations

from alembic import context

from tickets.schema import described_here, metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("lensdesk migrations run through TicketStore.migrate(), which passes a connection")

# batch mode lets later migrations alter columns on SQLite too
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True,
                  include_name=described_here)
with context.begin_transaction():
    context.run_migrations()
