"""Technicians' catalog edits (versioned, audited) and the codes findings reported that no catalog explains."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import distinct, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from tickets.errors import ConflictError, InvalidInputError
from tickets.records import CatalogAction, CatalogEditRecord, UncataloguedCode
from tickets.schema import audit_log, catalog_edits, findings, utcnow

UncataloguedSort = Literal["count", "recent"]
_VERSION_RETRIES = 5  # should two saves still pick the same next version, the unique index makes one retry
_VERSION_LOCK = 0x1E45_CA7A  # PostgreSQL advisory lock serialising version allocation (SQLite serialises writers)


class CatalogEdits:
    """The catalog_edits table and the uncatalogued-codes view of the findings; same database as the tickets."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def since(self, version: int) -> list[CatalogEditRecord]:
        """Edits newer than `version`, oldest first (0 = all)."""
        query = select(catalog_edits).where(catalog_edits.c.version > version).order_by(catalog_edits.c.version)
        async with self._engine.connect() as conn:
            return [CatalogEditRecord(**r) for r in (await conn.execute(query)).mappings()]

    async def latest_version(self) -> int:
        """Version of the newest edit (0 if none): a cheap check whether anything changed."""
        async with self._engine.connect() as conn:
            return int((await conn.execute(select(func.coalesce(func.max(catalog_edits.c.version), 0)))).scalar_one())

    async def save(self, *, family: str, code: str, vendor: str, device: str, title: str, cause: str, remedy: str,
                   severity: str, deleted: bool, action: CatalogAction, actor: str) -> CatalogEditRecord:
        """Store an edit (or a tombstone) with the next version; the audit line commits with it."""
        if not family or not code:
            raise InvalidInputError("code" if family else "family", "must not be empty")
        for attempt in range(_VERSION_RETRIES):
            now = utcnow()
            try:
                async with self._engine.begin() as conn:
                    if conn.dialect.name == "postgresql":  # held until this transaction ends
                        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _VERSION_LOCK})
                    version = 1 + int((await conn.execute(
                        select(func.coalesce(func.max(catalog_edits.c.version), 0)))).scalar_one())
                    values = dict(vendor=vendor, device=device, title=title, cause=cause, remedy=remedy,
                                  severity=severity, deleted=deleted, version=version, updated_by=actor,
                                  updated_at=now)
                    changed = await conn.execute(update(catalog_edits).where(
                        catalog_edits.c.family == family, catalog_edits.c.code == code).values(**values))
                    if changed.rowcount == 0:
                        await conn.execute(insert(catalog_edits).values(family=family, code=code, **values))
                    await conn.execute(insert(audit_log).values(
                        at=now, actor=actor, action=f"catalog_{action}", ticket_id=None, session_id=None,
                        target=f"catalog:{family}/{code}",
                        detail={"family": family, "code": code, "version": version,
                                **({} if deleted else {"title": title, "severity": severity})}))
                return CatalogEditRecord(family=family, code=code, **values)  # type: ignore[arg-type]
            except IntegrityError:
                if attempt == _VERSION_RETRIES - 1:
                    raise ConflictError("the catalog is being edited elsewhere at this moment; try again") from None
        raise AssertionError("unreachable")

    async def uncatalogued(self, is_catalogued: Callable[[str], bool], *, sort: UncataloguedSort = "count",
                           limit: int = 50, offset: int = 0) -> tuple[list[UncataloguedCode], int]:
        """Codes of live/re-analysis findings (not dismissed) the catalog lacks, and how many there are in all."""
        counted = (findings.c.dismissed.is_(False), findings.c.source != "manual", findings.c.code != "")
        query = (select(findings.c.code, func.count().label("n"), func.count(distinct(findings.c.session_id)),
                        func.min(findings.c.created_at), func.max(findings.c.created_at))
                 .where(*counted).group_by(findings.c.code))
        async with self._engine.connect() as conn:
            rows = [r for r in (await conn.execute(query)).all() if not is_catalogued(r[0])]
            if sort == "recent":
                rows.sort(key=lambda r: (r[4], r[1]), reverse=True)
            else:
                rows.sort(key=lambda r: (r[1], r[4]), reverse=True)
            page = rows[offset:offset + limit]
            latest: dict[str, tuple[str, str]] = {}  # code -> (snapshot id, family) of its newest finding
            if page:
                newest = (select(findings.c.code, findings.c.snapshot_id, findings.c.family)
                          .where(*counted, findings.c.code.in_([r[0] for r in page]))
                          .order_by(findings.c.created_at.desc(), findings.c.id.desc()))
                for code, snapshot_id, family in (await conn.execute(newest)).all():
                    latest.setdefault(code, (snapshot_id, family))
        items = [UncataloguedCode(code=code, count=int(n), sessions=int(s), first_seen=_aware(first),
                                  last_seen=_aware(last), snapshot_id=latest[code][0], family_guess=latest[code][1])
                 for code, n, s, first, last in page]
        return items, len(rows)


def _aware(value: datetime) -> datetime:
    # min()/max() over the UTC column come back through its type on both SQLite and PostgreSQL; be sure anyway
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
