"""GET /api/sessions/{id}/events and /api/tickets/{id}/transcript over a real SQLite store."""

from __future__ import annotations

from tests.unit.web.conftest import Api, assert_problem


async def test_events_listing_filters_and_is_technician_only(api: Api) -> None:
    ticket = await api.ticket()
    session_id = (await api.session(ticket["id"]))["session"]["id"]
    log = api.store.session_events
    chat = await log.add(session_id, "chat", {"message_id": 1, "text": "<img src=x onerror=alert(1)>"},
                         actor_role="customer", actor="c-1", actor_name="Ann", offset_ms=1500)
    mark = await log.add(session_id, "annotation", {"mark_id": "m1", "shape": "arrow",
                                                    "points": [[0.1, 0.1], [0.4, 0.5]]},
                         actor_role="technician", actor="t-1", actor_name="Tina", offset_ms=3000)
    response = await api.client.get(f"/api/sessions/{session_id}/events", headers=api.tech)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(e["id"], e["kind"], e["offset_ms"], e["actor_role"]) for e in body] == [
        (chat.id, "chat", 1500, "customer"), (mark.id, "annotation", 3000, "technician")]
    assert body[0]["payload"]["text"] == "<img src=x onerror=alert(1)>"  # stored verbatim; pages render text
    only = await api.client.get(f"/api/sessions/{session_id}/events?kind=annotation", headers=api.tech)
    assert [e["id"] for e in only.json()] == [mark.id]
    after = await api.client.get(f"/api/sessions/{session_id}/events?after={chat.id}", headers=api.tech)
    assert [e["id"] for e in after.json()] == [mark.id]
    assert_problem(await api.client.get(f"/api/sessions/{session_id}/events?kind=teleport", headers=api.tech), 422)
    assert_problem(await api.client.get(f"/api/sessions/{session_id}/events", headers=api.customer(session_id)), 403)
    assert_problem(await api.client.get(f"/api/sessions/{session_id}/events"), 401)
    assert_problem(await api.client.get("/api/sessions/nope/events", headers=api.tech), 404)
    audit = await api.store.list_audit(session_id=session_id)
    assert any(a.action == "viewed" and a.target == f"session_events:{session_id}" for a in audit)


async def test_ticket_transcript_lists_each_sessions_chat_with_states(api: Api) -> None:
    ticket = await api.ticket()
    first = (await api.session(ticket["id"]))["session"]["id"]
    second = (await api.session(ticket["id"]))["session"]["id"]
    log = api.store.session_events
    await log.add(first, "chat", {"message_id": 1, "text": "Serial?"}, actor_role="technician", actor="t-1",
                  actor_name="Tina")
    await log.add(first, "chat_status", {"message_id": 1, "state": "read"}, actor_role="customer", actor="c-1")
    await log.add(first, "chat", {"message_id": 2, "text": "SN-4411"}, actor_role="customer", actor="c-1",
                  actor_name="Ann")
    await api.client.post(f"/api/sessions/{first}/end", headers=api.tech)
    response = await api.client.get(f"/api/tickets/{ticket['id']}/transcript", headers=api.tech)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(s["session_id"], s["status"]) for s in body] == [(first, "ended"), (second, "active")]
    assert [(msg["id"], msg["role"], msg["name"], msg["text"], msg["state"]) for msg in body[0]["messages"]] == [
        (1, "technician", "Tina", "Serial?", "read"), (2, "customer", "Ann", "SN-4411", "sent")]
    assert body[1]["messages"] == []
    assert_problem(await api.client.get("/api/tickets/nope/transcript", headers=api.tech), 404)
