"""The help queue's connection without a socket: frames in, actions out (the rules web/queue_ws.py carries out)."""

from __future__ import annotations

import json

import pytest

from signaling import messages as m
from signaling import queue_messages as qm
from signaling.connection import JOIN_TIMEOUT_S, MAX_VIOLATIONS, Close, Send, WsLimits
from signaling.queue_connection import (
    ConnectCustomer,
    ConnectTechnician,
    ConnectWatcher,
    FindRequest,
    FromCustomer,
    FromTechnician,
    QueueAction,
    QueueConnection,
)
from signaling.revocation import Revocation
from signaling.tokens import Role, TokenService


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def tokens() -> TokenService:
    return TokenService("q" * 40)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def connection(tokens: TokenService, clock: Clock, limits: WsLimits | None = None) -> QueueConnection:
    return QueueConnection(tokens, limits or WsLimits(), clock)


def frame(**fields: object) -> str:
    return json.dumps(fields)


def hello(token: str, **fields: object) -> str:
    return frame(type="queue_hello", token=token, **fields)


def only_error(actions: list[QueueAction]) -> m.ErrorMessage:
    [error] = [a.message for a in actions if isinstance(a, Send)]
    assert isinstance(error, m.ErrorMessage)
    return error


def closes_with(actions: list[QueueAction], code: str) -> None:
    assert isinstance(actions[-1], Close)
    error = only_error(actions)
    assert error.code == code and error.fatal


def test_a_technician_says_hello_then_sets_presence_and_picks(tokens, clock):
    conn = connection(tokens, clock)
    [connect] = conn.receive(hello(tokens.issue_technician("t1", "Tia"), families=["printer"], limit=2))
    assert isinstance(connect, ConnectTechnician) and connect.claims.subject == "t1"
    assert connect.hello.families == ["printer"] and connect.hello.limit == 2
    assert conn.joined and conn.technician_id == "t1" and conn.seconds_to_join() is None
    [said] = conn.receive(frame(type="queue_presence", presence="away"))
    assert said == FromTechnician("t1", qm.QueuePresence(presence="away"))
    [picked] = conn.receive(frame(type="queue_pick", request_id="r9"))
    assert picked == FromTechnician("t1", qm.QueuePick(request_id="r9"))
    error = only_error(conn.receive(frame(type="queue_cancel")))
    assert error.code == "not_allowed" and not error.fatal and not conn.closed


def test_a_customer_waits_for_its_request_then_calls_back_or_cancels(tokens, clock):
    conn = connection(tokens, clock)
    [find] = conn.receive(hello(tokens.issue_customer("s1")))
    assert isinstance(find, FindRequest) and find.claims.role is Role.CUSTOMER and not conn.joined
    assert conn.request_found("r1") == [ConnectCustomer("r1")]
    assert conn.joined and conn.request_id == "r1" and conn.technician_id is None
    [number] = conn.receive(frame(type="queue_callback", number="+44 113 496 0000"))
    assert number == FromCustomer("r1", qm.QueueCallback(number="+44 113 496 0000"))
    assert conn.receive(frame(type="queue_cancel")) == [FromCustomer("r1", qm.QueueCancel())]
    assert only_error(conn.receive(frame(type="queue_pick", request_id="r1"))).code == "not_allowed"


def test_a_customer_whose_request_is_gone_is_told_and_closed(tokens, clock):
    conn = connection(tokens, clock)
    conn.receive(hello(tokens.issue_customer("s1")))
    closes_with(conn.request_found(None), "no_request")
    assert conn.closed and conn.request_id is None and conn.receive(frame(type="ping")) == []


def test_a_supervisor_watches_and_takes_nothing_a_reviewer_is_refused(tokens, clock):
    watcher = connection(tokens, clock)
    assert watcher.receive(hello(tokens.issue_staff(Role.SUPERVISOR, "sup1"))) == [ConnectWatcher()]
    assert watcher.watching and watcher.joined
    error = only_error(watcher.receive(frame(type="queue_presence", presence="available")))
    assert error.code == "not_allowed" and not watcher.closed
    reviewer = connection(tokens, clock)
    closes_with(reviewer.receive(hello(tokens.issue_staff(Role.REVIEWER, "rev1"))), "role_not_allowed")
    assert not reviewer.joined


def test_bad_revoked_and_help_tokens_end_the_connection(tokens, clock):
    closes_with(connection(tokens, clock).receive(hello("not-a-jwt")), "token_invalid")
    revoked = tokens.issue_technician("t2")
    tokens.revocations.add(Revocation("token", tokens.inspect(revoked).token_id, expires_at=4e9))
    closes_with(connection(tokens, clock).receive(hello(revoked)), "token_revoked")
    help_conn = connection(tokens, clock)  # a sticker's help token opens /api/help only
    actions = help_conn.receive(hello(tokens.issue_help("link1")))
    assert isinstance(actions[-1], Close) and not help_conn.joined


def test_ping_is_answered_before_and_after_hello_and_a_second_hello_is_refused(tokens, clock):
    conn = connection(tokens, clock)
    assert conn.receive(frame(type="ping")) == [Send(m.Pong())]
    assert only_error(conn.receive(frame(type="queue_pick", request_id="r1"))).code == "not_joined"
    conn.receive(hello(tokens.issue_technician("t1")))
    assert conn.receive(frame(type="ping")) == [Send(m.Pong())]
    assert only_error(conn.receive(hello(tokens.issue_technician("t1")))).code == "already_joined"


@pytest.mark.parametrize(("text", "code"), [
    (None, "unsupported_frame"),
    ("{", "malformed_json"),
    ("[1]", "malformed_message"),
    (frame(type="queue_shout"), "unknown_type"),
    (frame(type="queue_hello", token=""), "invalid_message"),
    (frame(type="ping", pad="x" * 70_000), "message_too_large"),
])
def test_bad_frames_get_their_error_and_the_connection_stays(tokens, clock, text, code):
    conn = connection(tokens, clock)
    error = only_error(conn.receive(text))
    assert error.code == code and not error.fatal and not conn.closed and conn.violations == 1


def test_too_many_refusals_or_messages_close_it(tokens, clock):
    conn = connection(tokens, clock)
    for _ in range(MAX_VIOLATIONS):
        assert only_error(conn.receive("{")).code == "malformed_json"
    last = conn.receive("{")
    assert isinstance(last[-1], Close) and conn.closed
    fast = connection(tokens, clock, WsLimits(rate_per_s=1.0, burst=2))
    fast.receive(frame(type="ping"))
    fast.receive(frame(type="ping"))
    assert only_error(fast.receive(frame(type="ping"))).code == "rate_limited"
    clock.now += 1.0
    assert fast.receive(frame(type="ping")) == [Send(m.Pong())]


def test_the_hello_deadline_is_one_deadline(tokens, clock):
    conn = connection(tokens, clock)
    clock.now += JOIN_TIMEOUT_S - 1
    conn.receive("{")  # invalid frames do not extend it
    assert conn.expire() == [] and conn.seconds_to_join() == pytest.approx(1.0)
    clock.now += 1
    actions = conn.expire()
    closes_with(actions, "join_timeout")
    assert "queue_hello" in only_error(actions).message and conn.expire() == []
    joined = connection(tokens, clock)
    joined.receive(hello(tokens.issue_technician("t1")))
    clock.now += 10 * JOIN_TIMEOUT_S
    assert joined.expire() == [] and joined.seconds_to_join() is None
