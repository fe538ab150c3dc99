"""Catalog routes: browse and search the code catalog, add, edit and delete entries, list uncatalogued codes."""

import re
from datetime import datetime
from typing import Annotated, Literal, Protocol

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from diagnostics.catalog import SEVERITIES, Catalog, CatalogEntry
from signaling.policy import Action
from signaling.tokens import Claims
from tickets.catalog_edits import UncataloguedSort
from tickets.records import CatalogEditRecord, UncataloguedCode
from web.auth import TokenAuth
from web.problems import invalid, not_found

Severity = Literal["info", "warning", "error", "critical"]
assert set(SEVERITIES) == set(Severity.__args__)  # type: ignore[attr-defined]
NEW_FAMILY = re.compile(r"[a-z0-9][a-z0-9._-]*")  # ids of families a technician starts (files may use others)
MAX_PAGE = 200


class CatalogBackend(Protocol):
    """What the routes need from the node's live catalog (nodesync.catalogs.CatalogService)."""

    current: Catalog
    version: int

    def edit(self, family: str, code: str) -> CatalogEditRecord | None:
        """The technician's edit behind an entry, if any."""

    async def save(self, entry: CatalogEntry, *, actor: str, mode: Literal["create", "update"]) -> CatalogEntry:
        """Add or change an entry."""

    async def delete(self, family: str, code: str, *, actor: str) -> None:
        """Remove an entry."""

    async def uncatalogued(self, *, sort: UncataloguedSort, limit: int, offset: int
                           ) -> tuple[list[UncataloguedCode], int]:
        """Codes found that no entry explains."""


class CatalogFields(BaseModel):
    """What a technician writes about a code."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    vendor: str = Field("", max_length=200)
    device: str = Field("", max_length=100, description="printer, washer, air-conditioner, boiler, pc, network, ...")
    title: str = Field(min_length=1, max_length=300)
    cause: str = Field(min_length=1, max_length=4000)
    remedy: str = Field(min_length=1, max_length=4000)
    severity: Severity


class CatalogEntryIn(CatalogFields):
    """A new catalog entry; the code is written as the device shows it."""

    family: str = Field(min_length=1, max_length=100, description="e.g. samsung-washer; a new one is lower-case")
    code: str = Field(min_length=1, max_length=100, examples=["E-204", "0x80073712", "4E"])


class CatalogEntryOut(BaseModel):
    """A catalog entry and where it comes from (a file name, or "technician" with who and when)."""

    family: str
    code: str
    vendor: str
    device: str
    title: str
    cause: str
    remedy: str
    severity: Severity
    origin: str
    updated_by: str | None = None
    updated_at: datetime | None = None

    @classmethod
    def of(cls, e: CatalogEntry, edit: CatalogEditRecord | None) -> "CatalogEntryOut":
        """From the catalog's record."""
        return cls(family=e.family, code=e.code, vendor=e.vendor, device=e.device, title=e.title, cause=e.cause,
                   remedy=e.remedy, severity=e.severity, origin=e.origin,  # type: ignore[arg-type]
                   updated_by=edit.updated_by if edit else None, updated_at=edit.updated_at if edit else None)


class CatalogPage(BaseModel):
    """A page of entries (sorted by family and code); pass next_offset as ?offset= for the next one."""

    items: list[CatalogEntryOut]
    total: int
    next_offset: int | None
    version: int = Field(description="Newest technician edit this node has applied")


class FamilyOut(BaseModel):
    """A device family of the catalog."""

    family: str
    vendor: str
    device: str
    codes: int


class UncataloguedOut(BaseModel):
    """A code findings reported that no catalog entry explains yet."""

    code: str
    count: int
    sessions: int
    first_seen: datetime
    last_seen: datetime
    snapshot_url: str
    family_guess: str | None

    @classmethod
    def of(cls, u: UncataloguedCode) -> "UncataloguedOut":
        """From the store's record."""
        return cls(code=u.code, count=u.count, sessions=u.sessions, first_seen=u.first_seen, last_seen=u.last_seen,
                   snapshot_url=f"/api/snapshots/{u.snapshot_id}", family_guess=u.family_guess or None)


class UncataloguedPage(BaseModel):
    """A page of uncatalogued codes; pass next_offset as ?offset= for the next one."""

    items: list[UncataloguedOut]
    total: int
    next_offset: int | None


def _next(offset: int, limit: int, total: int) -> int | None:
    return offset + limit if offset + limit < total else None


def build_catalog_router(catalog: CatalogBackend, auth: TokenAuth) -> APIRouter:
    """The /api/catalog routes (technicians only; every change is audited by the store)."""
    router = APIRouter(prefix="/api/catalog", tags=["catalog"])
    Reader = Annotated[Claims, Depends(auth.allow(Action.CATALOG_READ))]
    Editor = Annotated[Claims, Depends(auth.allow(Action.CATALOG_EDIT))]
    Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
    Offset = Annotated[int, Query(ge=0, le=1_000_000)]

    def out(entry: CatalogEntry) -> CatalogEntryOut:
        return CatalogEntryOut.of(entry, catalog.edit(entry.family, entry.code))

    def existing(family: str, code: str) -> CatalogEntry:
        entry = catalog.current.get(family, code)
        if entry is None:
            raise not_found("catalog entry")
        return entry

    @router.get("")
    async def list_entries(
        claims: Reader,
        q: Annotated[str, Query(max_length=200, description="Matches code, title, cause, remedy, vendor, family")] = "",
        family: Annotated[str | None, Query(max_length=100)] = None,
        device: Annotated[str | None, Query(max_length=100)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> CatalogPage:
        """Entries matching every filter, by family and code."""
        found = catalog.current.search(q, family=family or None, device=device or None)
        return CatalogPage(items=[out(e) for e in found[offset:offset + limit]], total=len(found),
                           next_offset=_next(offset, limit, len(found)), version=catalog.version)

    @router.get("/families")
    async def families(claims: Reader) -> list[FamilyOut]:
        """Every family with its vendor, device kind and number of codes."""
        return [FamilyOut(family=name, vendor=next((e.vendor for e in entries if e.vendor), ""),
                          device=next((e.device for e in entries if e.device), ""), codes=len(entries))
                for name, entries in catalog.current.families().items()]

    @router.get("/uncatalogued")
    async def uncatalogued(claims: Reader, sort: UncataloguedSort = "count", limit: Limit = 50,
                           offset: Offset = 0) -> UncataloguedPage:
        """Codes read on calls that no entry explains, most frequent (or most recent) first."""
        items, total = await catalog.uncatalogued(sort=sort, limit=limit, offset=offset)
        return UncataloguedPage(items=[UncataloguedOut.of(u) for u in items], total=total,
                                next_offset=_next(offset, limit, total))

    @router.get("/{family}/{code:path}")
    async def get_entry(family: str, code: str, claims: Reader) -> CatalogEntryOut:
        """One entry."""
        return out(existing(family, code))

    @router.post("", status_code=201)
    async def create_entry(body: CatalogEntryIn, claims: Editor, response: Response) -> CatalogEntryOut:
        """Add an entry; analysis on every node uses it from its next frame. 409 if the code is in that family."""
        is_new_family = not catalog.current.search(family=body.family)
        if is_new_family and not NEW_FAMILY.fullmatch(body.family):
            raise invalid("family", "a new family id is lower-case letters, digits, '.', '_' or '-'")
        saved = await catalog.save(CatalogEntry(**body.model_dump()), actor=claims.subject, mode="create")
        response.headers["Location"] = f"/api/catalog/{saved.family}/{saved.code}"
        return out(saved)

    @router.put("/{family}/{code:path}")
    async def update_entry(family: str, code: str, body: CatalogFields, claims: Editor) -> CatalogEntryOut:
        """Change an entry (also one from a catalog file: the edit overrides it)."""
        existing(family, code)
        return out(await catalog.save(CatalogEntry(family=family, code=code, **body.model_dump()),
                                      actor=claims.subject, mode="update"))

    @router.delete("/{family}/{code:path}", status_code=204)
    async def delete_entry(family: str, code: str, claims: Editor) -> Response:
        """Remove an entry (one from a file stays hidden until added again)."""
        existing(family, code)
        await catalog.delete(family, code, actor=claims.subject)
        return Response(status_code=204)

    return router
