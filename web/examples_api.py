"""Labelled example routes: what technicians' dismissals and typed codes taught, and each example's image."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel

from signaling.policy import Action
from signaling.tokens import Claims
from tickets.records import ExampleRecord, ExampleSource
from web.common_api import ApiContext
from web.problems import not_found
from web.sealed_media import private_image


class ExampleOut(BaseModel):
    """An image with what it shows (truth, "" if unknown) and a code it does not show (not_code)."""

    id: str
    finding_id: str
    ticket_id: str
    session_id: str
    source: ExampleSource
    truth: str
    not_code: str
    image_url: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, r: ExampleRecord) -> "ExampleOut":
        """From a store record."""
        return cls(id=r.id, finding_id=r.finding_id, ticket_id=r.ticket_id, session_id=r.session_id,
                   source=r.source, truth=r.truth, not_code=r.not_code, image_url=f"/api/examples/{r.id}/image",
                   created_by=r.created_by, created_at=r.created_at)


class ExamplePage(BaseModel):
    """A page of examples; pass next_cursor as ?cursor= for the next one."""

    items: list[ExampleOut]
    next_cursor: str | None


def add_routes(router: APIRouter, ctx: ApiContext) -> None:
    """Register the example routes on the /api router."""
    store = ctx.store
    Reader = Annotated[Claims, Depends(ctx.auth.allow(Action.CATALOG_READ))]
    MediaReader = Annotated[Claims, Depends(ctx.auth.allow(Action.CATALOG_READ, media=True))]

    @router.get("/examples", tags=["examples"])
    async def list_examples(
        claims: Reader,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Query(max_length=500)] = None,
    ) -> ExamplePage:
        """Labelled examples from dismissed findings and coded manual snapshots, newest first."""
        page = await store.list_examples(limit=limit, cursor=cursor)
        return ExamplePage(items=[ExampleOut.of(e) for e in page.items], next_cursor=page.next_cursor)

    @router.get("/examples/{example_id}/image", tags=["examples"], response_class=FileResponse,
                responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}})
    async def example_image(example_id: str, claims: MediaReader) -> Response:
        """The example's image (technician token in the header or ?token=); the view is audited."""
        found = await store.example_image(example_id)
        if found is None:
            raise not_found("example")
        example, path = found
        await store.audit(actor=claims.subject, action="viewed", ticket_id=example.ticket_id,
                          session_id=example.session_id, target=f"example:{example.id}")
        return await private_image(path, store.at_rest_key, example.image_type)
