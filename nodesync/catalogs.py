"""The live code catalog of a node: catalog files + technicians' edits from the database, kept current everywhere.

An edit is written to the database (versioned), applied here, shipped to this node's analysis workers and
announced on the bus; other nodes fetch the edits newer than their version on that announcement, when the bus is
back after an outage, or on a slow database poll should an announcement be lost (nodesync/follower.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Literal

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from diagnostics.catalog import Catalog, CatalogEntry, Key, check_entry
from diagnostics.errors import CatalogError
from signaling.bus import Bus
from tickets.catalog_edits import CatalogEdits, UncataloguedSort
from tickets.errors import ConflictError, InvalidInputError, NotFoundError
from tickets.records import CatalogEditRecord, UncataloguedCode
from tickets.store import TicketStore

from .follower import Follower

log = logging.getLogger(__name__)

CHANNEL = "catalog"
POLL_S = 5.0  # fallback only: the bus announces edits within milliseconds
TECHNICIAN = "technician"

CatalogListener = Callable[[Catalog, int], None]


def _entry(edit: CatalogEditRecord) -> CatalogEntry:
    return CatalogEntry(family=edit.family, code=edit.code, title=edit.title, cause=edit.cause, remedy=edit.remedy,
                        severity=edit.severity, vendor=edit.vendor, device=edit.device, origin=TECHNICIAN)


def with_edits(files: Catalog, latest: Iterable[CatalogEditRecord]) -> Catalog:
    """The files' catalog with technicians' edits (one per key, the latest) laid over it."""
    edits = list(latest)
    return files.overlaid([_entry(e) for e in edits if not e.deleted], [(e.family, e.code) for e in edits if e.deleted])


async def catalog_of_database(database_url: str, data_dir: Path, files: Catalog) -> Catalog:
    """What a running server's catalog holds: the files plus the edits stored in its database (for the CLI);
    data_dir: the server's data directory, resolved."""
    store = TicketStore(database_url, data_dir)
    try:
        await store.migrate()
        latest: dict[Key, CatalogEditRecord] = {(e.family, e.code): e for e in await store.catalog.since(0)}
    finally:
        await store.close()
    return with_edits(files, latest.values())


class CatalogService:
    """The node's current catalog (files, then edits) and the way to change it."""

    def __init__(self, files: Catalog, edits: CatalogEdits, bus: Bus, on_change: CatalogListener, *,
                 poll_s: float = POLL_S) -> None:
        self._files = files
        self._edits = edits
        self._on_change = on_change
        self._overrides: dict[Key, CatalogEditRecord] = {}
        self._lock = asyncio.Lock()
        self.current = files
        self.version = 0
        self.follower = Follower("catalog", bus, CHANNEL, self._catch_up, self._announced, poll_s=poll_s)

    async def start(self) -> None:
        """Load the edits so far and follow new ones."""
        await self.follower.start()

    async def stop(self) -> None:
        """Stop following edits."""
        await self.follower.stop()

    async def refresh(self) -> bool:
        """Apply edits newer than ours from the database; True if the catalog changed."""
        async with self._lock:
            edits = await self._edits.since(self.version)
            if not edits:
                return False
            for edit in edits:
                self._overrides[(edit.family, edit.code)] = edit
            self.version = edits[-1].version
            self.current = with_edits(self._files, self._overrides.values())
            log.info("catalog version %d: %d entries", self.version, len(self.current))
            self._on_change(self.current, self.version)
            return True

    def edit(self, family: str, code: str) -> CatalogEditRecord | None:
        """The technician's edit behind an entry, if it has one."""
        found = self._overrides.get((family, code))
        return found if found is not None and not found.deleted else None

    async def save(self, entry: CatalogEntry, *, actor: str, mode: Literal["create", "update"]) -> CatalogEntry:
        """Add (mode create: 409 if it exists) or change (mode update: 404 if missing) an entry."""
        try:
            check_entry(entry)
        except CatalogError as exc:
            raise InvalidInputError("entry", str(exc)) from exc
        exists = self.current.get(entry.family, entry.code) is not None
        if mode == "create" and exists:
            raise ConflictError(f"{entry.family}/{entry.code} is already in the catalog; edit it instead")
        if mode == "update" and not exists:
            raise NotFoundError("catalog entry", f"{entry.family}/{entry.code}")
        await self._edits.save(family=entry.family, code=entry.code, vendor=entry.vendor, device=entry.device,
                               title=entry.title, cause=entry.cause, remedy=entry.remedy, severity=entry.severity,
                               deleted=False, action="created" if mode == "create" else "updated", actor=actor)
        await self._changed()
        saved = self.current.get(entry.family, entry.code)
        assert saved is not None
        return saved

    async def delete(self, family: str, code: str, *, actor: str) -> None:
        """Remove an entry (also one from a file: a tombstone hides it); 404 if missing."""
        old = self.current.get(family, code)
        if old is None:
            raise NotFoundError("catalog entry", f"{family}/{code}")
        await self._edits.save(family=family, code=code, vendor=old.vendor, device=old.device, title=old.title,
                               cause=old.cause, remedy=old.remedy, severity=old.severity, deleted=True,
                               action="deleted", actor=actor)
        await self._changed()

    async def uncatalogued(self, *, sort: UncataloguedSort, limit: int, offset: int
                           ) -> tuple[list[UncataloguedCode], int]:
        """Codes findings reported that the current catalog lacks, and how many there are."""
        catalog = self.current
        return await self._edits.uncatalogued(catalog.__contains__, sort=sort, limit=limit, offset=offset)

    async def _changed(self) -> None:
        await self.refresh()
        await self.follower.announce(str(self.version))

    async def _announced(self, data: str) -> None:
        if data.isdigit() and int(data) > self.version:
            await self.refresh()

    async def _catch_up(self) -> None:
        # the cheap question first: the poll asks it every few seconds
        if await self._edits.latest_version() > self.version:
            await self.refresh()

    def collector(self, worker_versions: Callable[[], list[int | None]]) -> Collector:
        """Prometheus gauges: this node's catalog version and size, and each analysis worker's version."""
        service = self

        class _Collector(Collector):
            def collect(self) -> Iterator[Metric]:
                yield GaugeMetricFamily("lensdesk_catalog_version", "Newest catalog edit applied on this node.",
                                        value=service.version)
                yield GaugeMetricFamily("lensdesk_catalog_entries", "Entries in this node's catalog.",
                                        value=len(service.current))
                workers = GaugeMetricFamily("lensdesk_catalog_worker_version",
                                            "Catalog version each analysis worker reads with.", labels=["worker"])
                for i, version in enumerate(worker_versions()):
                    if version is not None:
                        workers.add_metric([str(i)], version)
                yield workers

        return _Collector()
