"""A session's stored chat, as the room of a fresh call (restarted, or moved to this node) is seeded with it."""

from __future__ import annotations

from signaling import messages as m
from tickets.records import SessionEventRecord
from tickets.session_events import chat_states


def chat_history(events: list[SessionEventRecord]) -> list[m.ChatEntry]:
    """A session's stored chat and receipts as the room keeps them (a call restarting or moving nodes)."""
    states = chat_states([(int(e.payload["message_id"]), str(e.payload["state"]))
                          for e in events if e.kind == "chat_status"])
    return [m.ChatEntry(message_id=int(e.payload["message_id"]), from_id=e.actor,
                        role="customer" if e.actor_role == "customer" else "technician", name=e.actor_name,
                        text=str(e.payload["text"]), state=states.get(int(e.payload["message_id"]), "sent"),
                        at=e.at.timestamp())
            for e in events if e.kind == "chat"]
