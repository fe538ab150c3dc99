"""The one access policy: which role may take which action. REST routes, pages and the WebSocket ask it.

Each REST route names its action (web/auth.py `TokenAuth.allow`); a test walks every route of the app and tries
every role against it, so a route without an action, or a role given too much, fails there. Scoping below the
action (a customer sees only their own session) stays with the route.
"""

from __future__ import annotations

from enum import StrEnum

from .tokens import Role


class Action(StrEnum):
    """Something a token holder asks to do."""

    WHOAMI = "whoami"  # read one's own token claims
    TOKEN_REFRESH = "token.refresh"  # swap a staff sign-in token for a fresh one
    TOKEN_REVOKE = "token.revoke"  # revoke a join link or one's own token
    SESSION_READ = "session.read"  # one session's state (customers: only their own)
    CALL_JOIN = "call.join"  # join a call over the WebSocket
    SCAN_UPLOAD = "scan.upload"  # the customer's camera sends a still for a scan
    TICKETS_READ = "tickets.read"  # tickets, sessions, findings, events, transcripts, audit: watch a session
    TICKETS_WRITE = "tickets.write"  # open/close tickets, start/end sessions, join links, add/dismiss findings
    MEDIA_READ = "media.read"  # recordings, posters, snapshots
    LIBRARY_SEARCH = "library.search"  # the session library, its filters and trends
    EXPORT = "export"  # evidence bundles, clips, share links
    CATALOG_READ = "catalog.read"
    CATALOG_EDIT = "catalog.edit"
    STICKERS_MANAGE = "stickers.manage"  # device help stickers: issue and revoke
    QUEUE_READ = "queue.read"  # the live help queue and its service levels
    QUEUE_TAKE = "queue.take"  # be online in the help queue and take its requests
    RETENTION_MANAGE = "retention.manage"  # retention policy, legal holds, erase on request
    OUTBOX = "outbox"  # connector deliveries: list, retry
    METRICS = "metrics"  # Prometheus metrics
    API_DOCS = "api.docs"  # the OpenAPI description


_REVIEW = frozenset({Action.WHOAMI, Action.TOKEN_REFRESH, Action.SESSION_READ, Action.TICKETS_READ,
                     Action.MEDIA_READ, Action.LIBRARY_SEARCH, Action.EXPORT, Action.CATALOG_READ, Action.API_DOCS})

POLICY: dict[Role, frozenset[Action]] = {
    Role.CUSTOMER: frozenset({Action.WHOAMI, Action.SESSION_READ, Action.CALL_JOIN, Action.SCAN_UPLOAD}),
    Role.REVIEWER: _REVIEW,
    Role.SUPERVISOR: _REVIEW | {Action.CATALOG_EDIT, Action.STICKERS_MANAGE, Action.RETENTION_MANAGE, Action.OUTBOX,
                                Action.METRICS, Action.QUEUE_READ},
    Role.TECHNICIAN: _REVIEW | {Action.TOKEN_REVOKE, Action.CALL_JOIN, Action.TICKETS_WRITE, Action.CATALOG_EDIT,
                                Action.OUTBOX, Action.METRICS, Action.QUEUE_READ, Action.QUEUE_TAKE},
}


def allowed(role: Role, action: Action) -> bool:
    """Whether a holder of this role may take this action."""
    return action in POLICY.get(role, frozenset())


def roles_for(action: Action) -> list[Role]:
    """The roles that may take an action (for error messages and docs)."""
    return [role for role in Role if allowed(role, action)]
