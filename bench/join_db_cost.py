"""What a join costs the database path, cut by cut: N joins' participant rows and "joined" audit lines written
through TicketStore on a throwaway PostgreSQL 15, 8 at a time (a node's join gate), in one process.

Variants, each on a fresh engine in the same run: `before` (every pooled checkout pinged, as pool_pre_ping did: 3
round trips; the session read inside the join's transaction), `idle ping` (only connections idle > 10 s pinged),
`+ ticket known` (no session read), `+ grouped` (joins arriving during a commit share the next one). Per join:
CPU of this process (the node's share: SQLAlchemy, asyncpg) and of the PostgreSQL server, and wall time.

    .venv/bin/python bench/join_db_cost.py [--joins 800]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from bench.cluster_signaling import postmaster_pids, tree_cpu_s  # noqa: E402
from signaling.join_gate import JoinGate, JoinLimits  # noqa: E402
from testkit.servers import running_postgres  # noqa: E402
from tickets.participant_rows import ParticipantRow, ParticipantRows  # noqa: E402
from tickets.schema import utcnow  # noqa: E402
from tickets.store import TicketStore  # noqa: E402

VARIANTS = ("before", "idle ping", "+ ticket known", "+ grouped")


async def measure(url: str, variant: str, joins: int, pg: list[int]) -> tuple[float, float, float]:
    store = TicketStore(url, Path(tempfile.mkdtemp()))
    if variant == "before":
        await store._engine.dispose()
        store._engine = create_async_engine(url, pool_pre_ping=True)
    ticket = await store.create_ticket("bench", created_by="bench")
    sessions = [await store.create_session(ticket.id, created_by="bench") for _ in range(joins // 2)]
    gate = JoinGate(JoinLimits(in_flight=8, depth=joins, max_wait_s=600))
    rows = ParticipantRows(store._engine)  # its statements, for one transaction per join

    async def join(i: int) -> None:
        async with gate.turn():
            session = sessions[i // 2]
            if variant in ("before", "idle ping"):
                await store.add_participant(session.id, participant_id=f"p-{i}", role="customer", name="N")
            elif variant == "+ grouped":
                await store.add_participant(session.id, participant_id=f"p-{i}", role="customer", name="N",
                                            ticket_id=ticket.id)
            else:  # the grouped statements, one transaction per join
                async with store._engine.begin() as conn:
                    await rows._insert(conn, [ParticipantRow(session.id, ticket.id, f"p-{i}", "customer", "N",
                                                             None, utcnow())])

    await asyncio.gather(*(join(i) for i in range(20)))  # warm: connections, statement caches
    cpu0, pg0, t0 = time.process_time(), tree_cpu_s(pg), time.perf_counter()
    await asyncio.gather(*(join(i) for i in range(20, joins)))
    n = joins - 20
    result = ((time.process_time() - cpu0) * 1000 / n, (tree_cpu_s(pg) - pg0) * 1000 / n,
              (time.perf_counter() - t0) * 1000 / n)
    await store.close()
    return result


async def migrate(url: str) -> None:
    store = TicketStore(url, Path(tempfile.mkdtemp()))
    await store.migrate()
    await store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--joins", type=int, default=800)
    args = parser.parse_args()
    with running_postgres() as url:
        pg = postmaster_pids(int(url.rsplit(":", 1)[1].split("/")[0]))
        asyncio.run(migrate(url))
        print(f"{args.joins - 20} joins per variant, 8 at a time, PostgreSQL 15 on loopback")
        print("| variant | node CPU ms/join | PostgreSQL CPU ms/join | wall ms/join |")
        print("| --- | --- | --- | --- |")
        for variant in VARIANTS:
            node, server, wall = asyncio.run(measure(url, variant, args.joins, pg))
            print(f"| {variant} | {node:.2f} | {server:.2f} | {wall:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
