"""Child process for the crash test: attaches one finding, reports it, then waits to be SIGKILLed."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from tests.unit.tickets.factories import new_finding
from tickets.store import TicketStore


async def main(db_url: str, data_dir: Path) -> None:
    store = TicketStore(db_url, data_dir)
    await store.migrate()
    ticket = await store.create_ticket("crash test", created_by="tech")
    session = await store.create_session(ticket.id, created_by="tech")
    finding = await store.attach_finding(session.id, new_finding("E42", seed=42))
    # No close(), no flush of anything else: the parent kills us as soon as it reads this line.
    sys.stdout.write(json.dumps({"ticket": ticket.id, "finding": finding.id,
                                 "snapshot": finding.snapshot_id}) + "\n")
    sys.stdout.flush()
    await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
