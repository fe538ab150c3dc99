"""The chat of one call without I/O: message rules, numbering and delivery state (sent -> delivered -> read)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vocabulary import ChatReceiptState, ParticipantRole

from . import messages as m

MAX_KEPT = 500  # messages a live room keeps for rejoining pages; all of them are on the record
MAX_LINES = 40
CHAT_RATE_PER_S = 1.0  # sustained messages per participant (every one is stored): far above typing speed
CHAT_BURST = 8  # a few pasted lines at once
_RANK: dict[str, int] = {"sent": 0, "delivered": 1, "read": 2}
# Control characters (other than newline and tab), bidi overrides and zero-width marks: they could disguise
# a link or a number in someone else's message.
_INVISIBLE = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class ChatRefused(Exception):
    """A message that breaks the chat's rules, with a code and a sentence for its sender."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def clean_text(text: str) -> str:
    """The text as it is kept: invisible and control characters dropped, line ends unified, trimmed."""
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        raise ChatRefused("empty_message", "The message is empty.")
    if len(text) > m.MAX_CHAT_CHARS:
        raise ChatRefused("message_too_long", f"A chat message may be at most {m.MAX_CHAT_CHARS} characters.")
    if text.count("\n") >= MAX_LINES:
        raise ChatRefused("message_too_long", f"A chat message may have at most {MAX_LINES} lines.")
    return text


@dataclass
class ChatLog:
    """The messages of a call, numbered from 1 in the order the server accepted them."""

    entries: dict[int, m.ChatEntry] = field(default_factory=dict)
    last_id: int = 0

    def seed(self, history: list[m.ChatEntry]) -> None:
        """Start from the session's stored chat (a call restarting, or moving to another node)."""
        for entry in history[-MAX_KEPT:]:
            self.entries[entry.message_id] = entry
        self.last_id = max([self.last_id, *(e.message_id for e in history)])

    def history(self) -> list[m.ChatEntry]:
        """The kept messages, oldest first."""
        return list(self.entries.values())

    def post(self, from_id: str, role: ParticipantRole, name: str, text: str,
             at: float) -> m.ChatEntry:
        """Accept a message (ChatRefused if it breaks a rule)."""
        kept = clean_text(text)
        self.last_id += 1
        entry = m.ChatEntry(message_id=self.last_id, from_id=from_id, role=role, name=name, text=kept, state="sent",
                            at=at)
        self.entries[entry.message_id] = entry
        while len(self.entries) > MAX_KEPT:
            del self.entries[next(iter(self.entries))]
        return entry

    def forget(self, message_id: int) -> None:
        """Drop a message that could not be put on the record (it was never relayed)."""
        self.entries.pop(message_id, None)

    def receipt(self, reader_role: ParticipantRole, message_ids: list[int],
                state: ChatReceiptState) -> list[m.ChatEntry]:
        """Apply a page's receipt; returns the messages whose state moved on.

        Only the other side's receipts count (a technician reading a colleague's message does not make it read
        for the customer); unknown ids, repeats and steps back are ignored: receipts cross in flight."""
        moved: list[m.ChatEntry] = []
        for message_id in dict.fromkeys(message_ids):
            entry = self.entries.get(message_id)
            if entry is None or entry.role == reader_role or _RANK[state] <= _RANK[entry.state]:
                continue
            entry = entry.model_copy(update={"state": state})
            self.entries[message_id] = entry
            moved.append(entry)
        return moved
