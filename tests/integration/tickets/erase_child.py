"""Child process for the SIGKILL test: erases a ticket slowly (a pause between files) so the parent can kill it
in the middle of removing the files."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tickets.store import TicketStore


async def main(db_url: str, data_dir: Path, ticket_id: str) -> None:
    store = TicketStore(db_url, data_dir)
    store.lifecycle.pause_between_files_s = 0.5
    await store.lifecycle.erase_ticket(ticket_id, actor="dpo", reason="customer request")
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3]))
