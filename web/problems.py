"""RFC 9457 problem responses (application/problem+json) and the app-wide exception handlers."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tickets.errors import ConflictError, InvalidInputError, NotFoundError

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:lensdesk:problem:"


class Problem(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    def __init__(self, status: int, slug: str, title: str, detail: str = "", *,
                 headers: dict[str, str] | None = None, **extensions: Any) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.type = f"{TYPE_PREFIX}{slug}"
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions


def problem_response(problem: Problem, instance: str | None = None) -> JSONResponse:
    """The JSON response for a Problem."""
    body: dict[str, Any] = {"type": problem.type, "title": problem.title, "status": problem.status,
                            "detail": problem.detail}
    if instance:
        body["instance"] = instance
    body.update(problem.extensions)
    return JSONResponse(body, status_code=problem.status, headers=problem.headers, media_type=PROBLEM_JSON)


def not_found(kind: str) -> Problem:
    """404 that reads the same whether the thing is missing or just not yours."""
    return Problem(404, "not-found", "Not found", f"No {kind} with this id is available to you.")


def session_ended() -> Problem:
    """409 for anything added to a session after it ended."""
    return Problem(409, "session-ended", "Conflict", "The session has ended; nothing more can be added to it.")


def invalid(field: str, message: str) -> Problem:
    """422 for one bad field."""
    return Problem(422, "invalid-input", "Invalid input", f"{field}: {message}",
                   errors=[{"field": field, "message": message}])


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc, request.url.path)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")),
               "in": str(err.get("loc", ("?",))[0]), "message": str(err.get("msg", ""))}
              for err in exc.errors()]
    detail = "; ".join(f"{e['field'] or e['in']}: {e['message']}" for e in errors)
    return problem_response(Problem(422, "invalid-input", "Invalid input", detail, errors=errors),
                            request.url.path)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    try:
        title = HTTPStatus(exc.status_code).phrase
    except ValueError:
        title = "Error"
    slug = "not-found" if exc.status_code == 404 else f"http-{exc.status_code}"
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else ""
    return problem_response(Problem(exc.status_code, slug, title, detail, headers=dict(exc.headers or {})),
                            request.url.path)


async def _on_store_not_found(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NotFoundError)
    return problem_response(not_found(exc.kind), request.url.path)


async def _on_store_invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidInputError)
    return problem_response(invalid(exc.field, exc.message), request.url.path)


async def _on_store_conflict(request: Request, exc: Exception) -> JSONResponse:
    return problem_response(Problem(409, "conflict", "Conflict", str(exc)), request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of the app answer application/problem+json."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(NotFoundError, _on_store_not_found)
    app.add_exception_handler(InvalidInputError, _on_store_invalid)
    app.add_exception_handler(ConflictError, _on_store_conflict)
