"""The help queue as a state machine without I/O: customers' requests wait, technicians take them (events in,
actions out; tested without sockets).

A request waits from the moment a customer sends it from a device's help link. Technicians come online with
skills (device families, languages), a presence (available / busy / away) and a limit of calls at once. The
queue assigns by itself whenever something changes: the longest-waiting request that some available technician
is skilled for goes to the least-loaded such technician (never above a technician's limit); a technician may also
pick a request by hand. A customer whose page drops keeps their place; one who leaves a call-back number stays
assignable while away. While the node admits no new media sessions (admission control), nothing is assigned:
requests wait instead of joining an overloaded node.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace

from vocabulary import CallMedia, QueueRequestState, TechnicianPresence

ANY_SKILL = "*"  # a technician with this family skill takes every device family
DEFAULT_HANDLE_S = 300.0  # expected handle time before any call has ended (five minutes, a typical first guess)
RECENT_HANDLES = 20  # estimated waits follow the handle times of this many latest calls


# --- records --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Device:
    """What a help link was printed for."""

    family: str
    model: str = ""
    serial: str = ""
    site: str = ""


@dataclass(slots=True)
class Request:
    """A customer's request for help, with its place in the queue."""

    id: str
    session_id: str
    ticket_id: str
    device: Device
    customer_name: str
    enqueued_at: float
    description: str = ""
    media: CallMedia = "voice"
    language: str = ""
    has_photo: bool = False
    callback_number: str = ""
    state: QueueRequestState = "waiting"
    connected: bool = False  # the customer's page is open now
    technician_id: str = ""
    answered_at: float | None = None
    breached: bool = False  # waited past the target time to answer


@dataclass(slots=True)
class Technician:
    """A technician as the queue sees them."""

    id: str
    name: str
    families: frozenset[str] = frozenset({ANY_SKILL})
    languages: frozenset[str] = frozenset()  # empty: takes any language
    limit: int = 1
    presence: TechnicianPresence = "available"
    calls: set[str] = field(default_factory=set)  # request ids assigned and not ended
    idle_since: float = 0.0

    def skilled_for(self, request: Request) -> bool:
        """Knows the request's device family and speaks its language."""
        family_ok = ANY_SKILL in self.families or request.device.family in self.families
        language_ok = not request.language or not self.languages or request.language in self.languages
        return family_ok and language_ok

    def can_take(self) -> bool:
        """Available and below the call limit."""
        return self.presence == "available" and len(self.calls) < self.limit


# --- events ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestArrived:
    """A new request, or (restored) after a restart a stored one that keeps its enqueued_at and state."""

    request: Request
    restored: bool = False


@dataclass(frozen=True, slots=True)
class CustomerConnected:
    """The customer's waiting page is open (first time or back after a drop)."""

    request_id: str


@dataclass(frozen=True, slots=True)
class CustomerDisconnected:
    """The customer's page went away; the request keeps its place."""

    request_id: str


@dataclass(frozen=True, slots=True)
class CallbackLeft:
    """The customer left a number to be called back on."""

    request_id: str
    number: str


@dataclass(frozen=True, slots=True)
class CustomerCancelled:
    """The customer gave up waiting (abandonment)."""

    request_id: str


@dataclass(frozen=True, slots=True)
class TechnicianOnline:
    """A technician opened the console (again), with skills and limit."""

    technician: Technician


@dataclass(frozen=True, slots=True)
class TechnicianOffline:
    """The technician's console closed: they get no new requests (their calls go on)."""

    technician_id: str


@dataclass(frozen=True, slots=True)
class PresenceSet:
    """A technician changed availability."""

    technician_id: str
    presence: TechnicianPresence


@dataclass(frozen=True, slots=True)
class Picked:
    """A technician takes a request by hand."""

    technician_id: str
    request_id: str


@dataclass(frozen=True, slots=True)
class CallEnded:
    """The call of an assigned request ended (its technician has room again)."""

    request_id: str


@dataclass(frozen=True, slots=True)
class AdmissionChanged:
    """Whether this node admits new media sessions (admission control)."""

    admitting: bool


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed: refresh estimated waits, look for target breaches."""


Event = (RequestArrived | CustomerConnected | CustomerDisconnected | CallbackLeft | CustomerCancelled
         | TechnicianOnline | TechnicianOffline | PresenceSet | Picked | CallEnded | AdmissionChanged | Tick)


# --- actions --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assigned:
    """Connect the request's customer and the technician (their session is request.session_id)."""

    request: Request
    technician_id: str
    waited_s: float
    picked: bool  # by hand, not by automatic assignment


@dataclass(frozen=True, slots=True)
class PositionChanged:
    """Tell a waiting customer their place and estimated wait (None: no technician for it is online)."""

    request_id: str
    position: int
    eta_s: float | None


@dataclass(frozen=True, slots=True)
class QueueChanged:
    """The consoles' view of the queue changed."""


@dataclass(frozen=True, slots=True)
class Changed:
    """Store the request's new state (durable across a restart)."""

    request: Request


@dataclass(frozen=True, slots=True)
class Breached:
    """A waiting request passed the target time to answer."""

    request: Request
    waited_s: float
    target_s: float


@dataclass(frozen=True, slots=True)
class Refused:
    """A technician's pick or change was refused."""

    technician_id: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Abandoned:
    """A request was given up after waiting waited_s (service levels)."""

    request: Request
    waited_s: float


@dataclass(frozen=True, slots=True)
class Handled:
    """An assigned request's call ended after handle_s (service levels)."""

    request: Request
    handle_s: float


Action = Assigned | PositionChanged | QueueChanged | Changed | Breached | Refused | Abandoned | Handled


# --- the queue ------------------------------------------------------------------------------------


@dataclass
class HelpQueue:
    """Waiting requests and online technicians of one queue; `handle(event, now)` returns what to do."""

    target_answer_s: float = 60.0
    requests: dict[str, Request] = field(default_factory=dict)  # waiting and assigned ones
    technicians: dict[str, Technician] = field(default_factory=dict)
    admitting: bool = True
    handle_times: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT_HANDLES))
    _told: dict[str, tuple[int, float | None]] = field(default_factory=dict)  # last position/ETA sent per request

    def handle(self, event: Event, now: float) -> list[Action]:
        """Apply one event at time `now` (seconds) and return the actions that follow."""
        actions = self._apply(event, now)
        actions += self._assign(now)
        actions += self._positions(now)
        if isinstance(event, Tick):
            actions += self._breaches(now)
        if any(isinstance(a, Assigned | Changed | Abandoned | Handled) for a in actions) or isinstance(
                event, TechnicianOnline | TechnicianOffline | PresenceSet | CustomerConnected | CustomerDisconnected
                       | AdmissionChanged):
            actions.append(QueueChanged())
        return actions

    # -- views -------------------------------------------------------------------------------------

    def waiting(self) -> list[Request]:
        """Waiting requests, longest wait first."""
        return sorted((r for r in self.requests.values() if r.state == "waiting"), key=lambda r: (r.enqueued_at, r.id))

    def position(self, request_id: str) -> int:
        """1-based place among waiting requests (0 if not waiting)."""
        return next((i for i, r in enumerate(self.waiting(), 1) if r.id == request_id), 0)

    def expected_handle_s(self) -> float:
        """Mean handle time of the latest calls (a default before any ended)."""
        return sum(self.handle_times) / len(self.handle_times) if self.handle_times else DEFAULT_HANDLE_S

    def eta_s(self, request: Request, now: float) -> float | None:
        """Estimated seconds until this waiting request is answered; None if nobody online can take it.

        Requests ahead that the same technicians could take are served first; each of those technicians
        frees a slot every expected handle time (calls in progress are assumed half done)."""
        able = [t for t in self.technicians.values() if t.presence != "away" and t.skilled_for(request)]
        if not able:
            return None
        slots = sum(t.limit for t in able)
        free = sum(max(0, t.limit - len(t.calls)) for t in able if t.presence == "available")
        ahead = sum(1 for r in self.waiting() if (r.enqueued_at, r.id) < (request.enqueued_at, request.id)
                    and any(t.skilled_for(r) for t in able))
        if ahead < free and self.admitting:
            return 0.0
        rounds = math.floor((ahead - free) / slots) + 1 if ahead >= free else 1
        return round((rounds - 0.5) * self.expected_handle_s(), 1)

    # -- events ------------------------------------------------------------------------------------

    def _apply(self, event: Event, now: float) -> list[Action]:
        if isinstance(event, RequestArrived):
            req = event.request
            if req.state in ("abandoned", "ended"):
                return []
            self.requests[req.id] = req
            if req.state == "assigned" and req.technician_id:
                tech = self.technicians.get(req.technician_id)
                if tech is not None:
                    tech.calls.add(req.id)
            return [] if event.restored else [Changed(req)]
        if isinstance(event, TechnicianOnline):
            tech = event.technician
            known = self.technicians.get(tech.id)
            calls = known.calls if known is not None else {
                r.id for r in self.requests.values() if r.state == "assigned" and r.technician_id == tech.id}
            self.technicians[tech.id] = replace(tech, calls=set(calls), idle_since=tech.idle_since or now)
            return []
        if isinstance(event, TechnicianOffline):
            self.technicians.pop(event.technician_id, None)
            return []
        if isinstance(event, PresenceSet):
            tech = self.technicians.get(event.technician_id)
            if tech is None:
                return [Refused(event.technician_id, "not_online", "Open the queue first.")]
            tech.presence = event.presence
            return []
        if isinstance(event, AdmissionChanged):
            self.admitting = event.admitting
            return []
        if isinstance(event, Tick):
            return []
        if isinstance(event, Picked):
            return self._pick(event, now)
        req_or_none = self.requests.get(event.request_id)
        if req_or_none is None:
            return []
        req = req_or_none
        if isinstance(event, CustomerConnected):
            req.connected = True
            self._told.pop(req.id, None)  # a page that comes back is told its place again
            return []
        if isinstance(event, CustomerDisconnected):
            req.connected = False
            return []
        if isinstance(event, CallbackLeft):
            req.callback_number = event.number
            self._told.pop(req.id, None)  # told again: the page confirms the number with its place
            return [Changed(req)]
        if isinstance(event, CustomerCancelled):
            if req.state != "waiting":
                return []
            req.state = "abandoned"
            del self.requests[req.id]
            self._told.pop(req.id, None)
            return [Changed(req), Abandoned(req, now - req.enqueued_at)]
        # CallEnded
        del self.requests[req.id]
        self._told.pop(req.id, None)
        was_waiting = req.state == "waiting"
        req.state = "ended"
        tech = self.technicians.get(req.technician_id)
        if tech is not None:
            tech.calls.discard(req.id)
            tech.idle_since = now
        if was_waiting:  # ended before anyone answered (a technician closed the ticket): counts as abandoned
            return [Changed(req), Abandoned(req, now - req.enqueued_at)]
        handle_s = now - (req.answered_at if req.answered_at is not None else now)
        self.handle_times.append(handle_s)
        return [Changed(req), Handled(req, handle_s)]

    def _pick(self, event: Picked, now: float) -> list[Action]:
        tech = self.technicians.get(event.technician_id)
        req = self.requests.get(event.request_id)
        if tech is None:
            return [Refused(event.technician_id, "not_online", "Open the queue first.")]
        if req is None or req.state != "waiting":
            return [Refused(tech.id, "not_waiting", "This request is no longer waiting.")]
        if len(tech.calls) >= tech.limit:
            return [Refused(tech.id, "at_limit", f"You already have {len(tech.calls)} of your {tech.limit} calls.")]
        if not self.admitting:
            return [Refused(tech.id, "node_busy", "The server takes no new calls right now; try again shortly.")]
        return self._give(req, tech, now, picked=True)

    def _give(self, req: Request, tech: Technician, now: float, *, picked: bool) -> list[Action]:
        req.state = "assigned"
        req.technician_id = tech.id
        req.answered_at = now
        tech.calls.add(req.id)
        self._told.pop(req.id, None)
        return [Changed(req), Assigned(req, tech.id, now - req.enqueued_at, picked)]

    def _assign(self, now: float) -> list[Action]:
        """Longest wait first: each waiting request goes to the least-loaded, longest-idle able technician."""
        actions: list[Action] = []
        if not self.admitting:
            return actions
        for req in self.waiting():
            if not (req.connected or req.callback_number):
                continue  # away without a number: keeps its place, is assigned once back
            able = [t for t in self.technicians.values() if t.can_take() and t.skilled_for(req)]
            if not able:
                continue
            tech = min(able, key=lambda t: (len(t.calls) / t.limit, t.idle_since, t.id))
            actions += self._give(req, tech, now, picked=False)
        return actions

    def _positions(self, now: float) -> list[Action]:
        actions: list[Action] = []
        for position, req in enumerate(self.waiting(), 1):
            if not req.connected:
                continue
            eta = self.eta_s(req, now)
            told = self._told.get(req.id)
            # ETAs move a little with every handle time: tell again only on a change a customer would notice.
            if told is None or told[0] != position or (told[1] is None) != (eta is None) or (
                    eta is not None and told[1] is not None and abs(eta - told[1]) >= 15):
                self._told[req.id] = (position, eta)
                actions.append(PositionChanged(req.id, position, eta))
        return actions

    def _breaches(self, now: float) -> list[Action]:
        actions: list[Action] = []
        if self.target_answer_s <= 0:
            return actions
        for req in self.waiting():
            waited = now - req.enqueued_at
            if not req.breached and waited >= self.target_answer_s:
                req.breached = True
                actions += [Changed(req), Breached(req, waited, self.target_answer_s)]
        return actions
