"""One help-queue WebSocket (/ws/queue), sans-I/O: frames in, actions out, like `signaling/connection.py`.

The same rules as the signaling socket (`BrowserConnection`: hello within the deadline, rate limit, refusal
budget), then the queue's own: a ping is answered at any time; the hello's token says who connects (a technician
takes requests, a supervisor's console only watches, a customer waits for its request; any other role is
refused); after it, technicians set presence and pick, customers leave a call-back number or cancel. `web/queue_ws.py`
carries out the actions on the socket and the queue desk, and reports the one outcome the connection waits for
(`request_found`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from . import messages as m
from . import queue_messages as qm
from .connection import BrowserConnection, Close, Send, WsLimits
from .policy import Action, allowed
from .tokens import Claims, Role, TokenError, TokenService


@dataclass(frozen=True, slots=True)
class ConnectTechnician:
    """A technician's console opened the queue: add it to the desk."""

    claims: Claims
    hello: qm.QueueHello


@dataclass(frozen=True, slots=True)
class ConnectWatcher:
    """A supervisor's console watches the queue (snapshots and breaches, no requests)."""


@dataclass(frozen=True, slots=True)
class FindRequest:
    """Look up the open request of this customer token; report `request_found`."""

    claims: Claims


@dataclass(frozen=True, slots=True)
class ConnectCustomer:
    """A waiting page opened its socket for this request."""

    request_id: str


@dataclass(frozen=True, slots=True)
class FromTechnician:
    """A technician's presence or pick, for the desk."""

    technician_id: str
    message: qm.QueuePresence | qm.QueuePick


@dataclass(frozen=True, slots=True)
class FromCustomer:
    """A waiting customer's call-back number or cancellation, for the desk."""

    request_id: str
    message: qm.QueueCallback | qm.QueueCancel


QueueAction = (Send | Close | ConnectTechnician | ConnectWatcher | FindRequest | ConnectCustomer | FromTechnician
               | FromCustomer)
# FindRequest is always the last action of a list: what follows depends on its outcome.


class QueueConnection(BrowserConnection[qm.QueueClientMessage, ConnectTechnician | ConnectWatcher | FindRequest
                                        | ConnectCustomer | FromTechnician | FromCustomer]):
    """The protocol state of one help-queue WebSocket, from accept to close."""

    hello_type = "queue_hello"

    def __init__(self, tokens: TokenService, limits: WsLimits, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(limits, clock)
        self._tokens = tokens
        self._finding = False  # a customer's hello waits for its request
        self.technician_id: str | None = None
        self.request_id: str | None = None
        self.watching = False

    @property
    def joined(self) -> bool:
        """The hello was accepted: a technician, a watching console or a waiting customer."""
        return self.technician_id is not None or self.request_id is not None or self.watching

    def request_found(self, request_id: str | None) -> list[QueueAction]:
        """The desk's answer to `FindRequest`: the customer's open request, or None (it is no longer waiting)."""
        assert self._finding, "request_found without a FindRequest"
        self._finding = False
        if request_id is None:
            return self._close(m.ErrorMessage(code="no_request", fatal=True,
                                              message="This request is no longer in the queue."))
        self.request_id = request_id
        return [ConnectCustomer(request_id)]

    # -- internals --------------------------------------------------------------------------------------------

    def _parse(self, text: str, max_bytes: int) -> qm.QueueClientMessage:
        return qm.parse_queue_message(text, max_bytes)

    def _handle(self, message: qm.QueueClientMessage) -> list[QueueAction]:
        if isinstance(message, qm.QueuePing):
            return [Send(m.Pong())]
        if not self.joined:
            return self._hello(message)
        if isinstance(message, qm.QueueHello):
            raise m.ProtocolError("already_joined", "This connection has already said hello.")
        if self.watching:
            raise m.ProtocolError("not_allowed", "A supervisor's console watches the queue; it takes nothing.")
        if self.technician_id is not None:
            if not isinstance(message, qm.QueuePresence | qm.QueuePick):
                raise m.ProtocolError("not_allowed", "Technicians set presence and pick requests.")
            return [FromTechnician(self.technician_id, message)]
        assert self.request_id is not None
        if not isinstance(message, qm.QueueCallback | qm.QueueCancel):
            raise m.ProtocolError("not_allowed", "Customers leave a call-back number or cancel.")
        return [FromCustomer(self.request_id, message)]

    def _hello(self, message: qm.QueueClientMessage) -> list[QueueAction]:
        if not isinstance(message, qm.QueueHello) or self._finding:
            raise m.ProtocolError("not_joined", "Send 'queue_hello' with your token first.")
        try:
            claims = self._tokens.verify(message.token)
        except TokenError as exc:
            return self._close(m.ErrorMessage(code=exc.code, message=exc.message, fatal=True))
        if allowed(claims.role, Action.QUEUE_TAKE):
            self.technician_id = claims.subject
            return [ConnectTechnician(claims, message)]
        if allowed(claims.role, Action.QUEUE_READ):
            self.watching = True
            return [ConnectWatcher()]
        if claims.role is not Role.CUSTOMER:
            return self._close(m.ErrorMessage(code="role_not_allowed", fatal=True,
                                              message="This token may not open the help queue."))
        self._finding = True
        return [FindRequest(claims)]

    def _where(self) -> str:
        return "help queue"

    def _who(self) -> str | None:
        return self.technician_id or self.request_id
