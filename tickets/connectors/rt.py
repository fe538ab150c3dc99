"""Request Tracker 5 connector (REST2): each event becomes a comment on the linked RT ticket.

A lensdesk ticket links to RT with external_ref "rt:<number>"; events of other tickets are skipped.
finding.attached comments carry the snapshot as an attachment. Each comment ends with a marker line
holding the idempotency key, and the connector searches for that marker before commenting, so an
event delivered twice (at-least-once) still yields one comment.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from tickets.connectors.base import Delivery, DeliveryError
from tickets.connectors.http_status import raise_for_delivery

MARKER_PREFIX = "lensdesk-event:"
_REF = re.compile(r"^rt:(\d+)$")


def rt_ticket_number(external_ref: str | None) -> int | None:
    """The RT ticket number of an external_ref like "rt:123", or None when it is not an RT link."""
    if not external_ref or not external_ref.startswith("rt:"):
        return None
    match = _REF.match(external_ref.strip())
    if match is None:
        raise DeliveryError(f"external_ref {external_ref!r} is not rt:<number>", permanent=True)
    return int(match.group(1))


def _fmt_offset(offset_s: float | None) -> str:
    if offset_s is None:
        return "not recorded"
    minutes, seconds = divmod(int(offset_s), 60)
    return f"{minutes:02d}:{seconds:02d} into the recording"


def comment_text(delivery: Delivery) -> tuple[str, str]:
    """(subject, plain-text body) of the comment for an event, ending with the idempotency marker."""
    event = delivery.event
    data: dict[str, Any] = event.payload
    if event.type == "finding.attached":
        f = data["finding"]
        subject = f"lensdesk finding {f['code'] or 'manual snapshot'}: {f['title']}".strip()
        lines = [
            f"Finding on the support session {data['session_id']}.",
            f"Code: {f['code']} ({f['family']}), severity {f['severity']}, confidence {f['confidence']:.2f}",
            f"Title: {f['title']}", f"Cause: {f['cause']}", f"Remedy: {f['remedy']}",
            f"Screen text: {f['text']}", f"When: {_fmt_offset(f['offset_s'])}",
        ]
        if f.get("note"):
            lines.append(f"Note from {f['created_by']}: {f['note']}")
    elif event.type == "session.ended":
        s = data["session"]
        subject = "lensdesk support session ended"
        lines = [f"Support session {s['id']} ended at {s['ended_at']} with {data['findings_count']} finding(s)."]
    elif event.type == "recording.ready":
        r = data["recording"]
        subject = "lensdesk recording ready"
        lines = [f"Recording {r['id']} of session {data['session_id']} is {r['status']}: "
                 f"{r['duration_s']} s, {r['size_bytes']} bytes."]
    elif event.type == "session.transcript":
        subject = "lensdesk chat transcript"
        lines = [f"Chat of support session {data['session_id']}:"]
        lines += [f"[{_fmt_offset(msg['offset_ms'] / 1000 if msg['offset_ms'] is not None else None)}] "
                  f"{msg['name'] or msg['role']} ({msg['role']}): {msg['text']}" for msg in data["messages"]]
    elif event.type == "queue.breach":
        subject = "lensdesk: help request past its target time to answer"
        lines = [f"The customer's help request {data['request_id']} has waited {data['waited_s']:.0f} s for a "
                 f"technician, past the target of {data['target_s']:.0f} s."]
    elif event.type == "ticket.erased":
        subject = "lensdesk: personal data erased on request"
        lines = [f"On request ({data.get('reason') or 'no reason given'}), lensdesk erased this ticket's recordings, "
                 "snapshots, chat and personal fields. Please erase the copies this ticket holds "
                 "(comments and attachments lensdesk sent)."]
    else:
        subject = f"lensdesk event {event.type}"
        lines = [f"Event {event.type}."]
    lines += ["", f"{MARKER_PREFIX} {event.idempotency_key}"]
    return subject, "\n".join(lines)


def refuse_plain_http_credentials(base_url: str, allow_insecure_http: bool) -> None:
    """Basic auth over http:// hands the password to anyone on the path: only https, loopback, or when allowed."""
    parts = urlsplit(base_url)
    if parts.scheme == "https" or allow_insecure_http:
        return
    if parts.scheme != "http":
        raise ValueError(f"LENSDESK_RT_URL must be an https:// URL, not {base_url!r}.")
    host = (parts.hostname or "").strip("[]")
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"LENSDESK_RT_URL {base_url!r} is plain http: the RT password would cross the network "
                         "unencrypted. Use https://, or set LENSDESK_RT_ALLOW_INSECURE_HTTP=true if you must.")


class RequestTrackerConnector:
    """Comments on RT tickets through REST2 with HTTP basic auth."""

    def __init__(self, base_url: str, user: str, password: str, *, timeout_s: float = 20.0,
                 name: str = "rt", allow_insecure_http: bool = False) -> None:
        refuse_plain_http_credentials(base_url, allow_insecure_http)
        self.name = name
        self._api = base_url.rstrip("/") + "/REST/2.0"
        self._client = httpx.AsyncClient(auth=(user, password), timeout=timeout_s,
                                         headers={"Accept": "application/json"})

    async def deliver(self, delivery: Delivery) -> None:
        """Comment on the linked RT ticket (once per idempotency key); skip unlinked tickets."""
        number = rt_ticket_number(delivery.event.payload.get("ticket", {}).get("external_ref"))
        if number is None:
            return
        try:
            if await self._already_commented(delivery.event.idempotency_key):
                return
            subject, content = comment_text(delivery)
            body: dict[str, Any] = {"Subject": subject, "Content": content, "ContentType": "text/plain"}
            if delivery.snapshot is not None:
                body["Attachments"] = [{
                    "FileName": delivery.snapshot.file_name,
                    "FileType": delivery.snapshot.content_type,
                    "FileContent": base64.b64encode(delivery.snapshot.data).decode(),
                }]
            response = await self._client.post(f"{self._api}/ticket/{number}/comment", json=body)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"rt: {type(exc).__name__}: {exc}") from exc
        raise_for_delivery(response, f"rt ticket {number}")

    async def _already_commented(self, idempotency_key: str) -> bool:
        query = [{"field": "Content", "operator": "LIKE", "value": f"{MARKER_PREFIX} {idempotency_key}"},
                 {"field": "ContentType", "value": "text/plain"}]
        response = await self._client.post(f"{self._api}/attachments", json=query)
        raise_for_delivery(response, "rt attachment search")
        return int(response.json().get("count", 0)) > 0

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()
