"""The signaling connection without a socket: frames in, actions out (the rules web/ws.py carries out)."""

from __future__ import annotations

import json

import pytest

from signaling import messages as m
from signaling.connection import (
    JOIN_TIMEOUT_S,
    MAX_VIOLATIONS,
    Action,
    Admit,
    Close,
    Deliver,
    Send,
    SignalingConnection,
    WsLimits,
)
from signaling.revocation import Revocation
from signaling.tokens import Role, TokenService


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def tokens() -> TokenService:
    return TokenService("k" * 40)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def connection(tokens: TokenService, clock: Clock, limits: WsLimits | None = None) -> SignalingConnection:
    return SignalingConnection(tokens, limits or WsLimits(), clock)


def frame(**fields: object) -> str:
    return json.dumps(fields)


def sent(actions: list[Action]) -> list[m.ServerMessage]:
    return [a.message for a in actions if isinstance(a, Send)]


def only_error(actions: list[Action]) -> m.ErrorMessage:
    [error] = sent(actions)
    assert isinstance(error, m.ErrorMessage)
    return error


def join(conn: SignalingConnection, token: str, session: str = "s1", participant: str = "p1") -> list[Action]:
    [admit] = conn.receive(frame(type="join", token=token, session_id=session))
    assert isinstance(admit, Admit) and admit.join.session_id == session and not conn.joined
    return conn.joined_as(participant)


def test_a_customer_joins_gets_a_rejoin_token_and_a_pong(tokens, clock):
    conn = connection(tokens, clock)
    [rejoin] = sent(join(conn, tokens.issue_customer("s1")))
    assert isinstance(rejoin, m.RejoinToken) and tokens.verify(rejoin.token).role is Role.CUSTOMER
    assert conn.joined and conn.session_id == "s1" and conn.participant_id == "p1" and conn.seconds_to_join() is None
    assert conn.claims is not None and conn.claims.role is Role.CUSTOMER
    assert conn.receive(frame(type="ping")) == [Send(m.Pong())]


def test_a_technician_gets_no_rejoin_token_and_messages_go_to_the_call_service(tokens, clock):
    conn = connection(tokens, clock)
    assert join(conn, tokens.issue_technician("t1")) == []
    [deliver] = conn.receive(frame(type="video_request"))
    assert isinstance(deliver, Deliver) and isinstance(deliver.message, m.VideoRequest)
    assert conn.delivered() == []
    assert isinstance(conn.receive(frame(type="bye"))[0], Deliver)
    assert conn.delivered() == [Close()] and conn.closed
    assert conn.receive(frame(type="ping")) == []


@pytest.mark.parametrize(("text", "code"), [
    (None, "unsupported_frame"), ("{nope", "malformed_json"), ("[1]", "malformed_message"),
    (frame(type="ping"), "not_joined"), (frame(type="ping", v=2), "unsupported_version"),
    (frame(type="teleport"), "unknown_type"), ("x" * 70_000, "message_too_large"),
])
def test_refusals_before_joining_answer_and_count_as_violations(tokens, clock, text, code):
    conn = connection(tokens, clock)
    error = only_error(conn.receive(text))
    assert error.code == code and error.message.endswith(".") and not error.fatal
    assert conn.violations == 1 and not conn.closed


@pytest.mark.parametrize(("token", "code"), [("garbage", "token_invalid"), ("customer-of-s2", "token_wrong_session")])
def test_a_bad_token_ends_the_connection(tokens, clock, token, code):
    conn = connection(tokens, clock)
    token = tokens.issue_customer("s2") if token == "customer-of-s2" else token
    actions = conn.receive(frame(type="join", token=token, session_id="s1"))
    assert only_error(actions).code == code and only_error(actions).fatal and actions[-1] == Close()
    assert conn.closed and not conn.joined


def test_a_reviewer_token_cannot_join_calls(tokens, clock):
    conn = connection(tokens, clock)
    actions = conn.receive(frame(type="join", token=tokens.issue_staff(Role.REVIEWER, "r1"), session_id="s1"))
    error = only_error(actions)
    assert error.code == "role_not_allowed" and error.message == "A reviewer token cannot join calls." and error.fatal
    assert actions[-1] == Close()


def test_a_join_the_call_service_refuses_ends_the_connection_and_a_failure_does_not(tokens, clock):
    conn = connection(tokens, clock)
    conn.receive(frame(type="join", token=tokens.issue_technician("t1"), session_id="s1"))
    actions = conn.join_refused(RuntimeError("boom"))
    assert only_error(actions).code == "message_failed" and not conn.closed and not conn.joined
    conn.receive(frame(type="join", token=tokens.issue_technician("t1"), session_id="s1"))
    actions = conn.join_refused(m.ProtocolError("room_full", "This call is full."))
    assert only_error(actions) == m.ErrorMessage(code="room_full", message="This call is full.", fatal=True)
    assert actions[-1] == Close() and conn.session_id is None


def test_a_token_revoked_while_joining_closes_the_joined_connection(tokens, clock):
    conn = connection(tokens, clock)
    token = tokens.issue_customer("s1")
    conn.receive(frame(type="join", token=token, session_id="s1"))
    tokens.revocations.add(Revocation("session", "s1", expires_at=clock.now + 3600 * 1e6))
    actions = conn.joined_as("p1")
    assert only_error(actions).code == "token_revoked" and actions[-1] == Close()
    assert conn.joined  # the adapter still tells the call service the participant left


def test_after_joining_a_second_join_and_refused_messages_are_violations(tokens, clock):
    conn = connection(tokens, clock)
    join(conn, tokens.issue_technician("t1"))
    assert only_error(conn.receive(frame(type="join", token="x", session_id="s1"))).code == "already_joined"
    conn.receive(frame(type="video_request"))
    assert only_error(conn.delivery_failed(m.ProtocolError("no_customer", "No customer here."))).code == "no_customer"
    conn.receive(frame(type="video_request"))
    error = only_error(conn.delivery_failed(KeyError("unforeseen")))
    assert error.code == "message_failed" and error.message.endswith("the call goes on.")
    assert conn.violations == 3 and not conn.closed


def test_the_violation_budget_closes_an_abusive_connection(tokens, clock):
    conn = connection(tokens, clock)
    for _ in range(MAX_VIOLATIONS):
        assert not any(isinstance(a, Close) for a in conn.receive("{nope"))
    actions = conn.receive("{nope")
    assert only_error(actions).code == "malformed_json" and actions[-1] == Close() and conn.closed


def test_the_rate_limit_refuses_beyond_the_burst_and_refills(tokens, clock):
    conn = connection(tokens, clock, WsLimits(rate_per_s=2.0, burst=3))
    join(conn, tokens.issue_technician("t1"))  # the join took one token
    assert conn.receive(frame(type="ping")) == [Send(m.Pong())]
    assert conn.receive(frame(type="ping")) == [Send(m.Pong())]
    error = only_error(conn.receive(frame(type="ping")))
    assert error.code == "rate_limited" and not error.fatal and conn.violations == 1
    clock.now += 0.5
    assert conn.receive(frame(type="ping")) == [Send(m.Pong())]


def test_the_join_window_is_absolute(tokens, clock):
    conn = connection(tokens, clock)
    clock.now += JOIN_TIMEOUT_S - 1
    conn.receive("{nope")  # invalid frames do not extend it
    assert conn.seconds_to_join() == pytest.approx(1.0) and conn.expire() == []
    clock.now += 1
    actions = conn.expire()
    assert only_error(actions).code == "join_timeout" and only_error(actions).fatal and actions[-1] == Close()


def test_a_joined_connection_never_expires(tokens, clock):
    conn = connection(tokens, clock)
    join(conn, tokens.issue_technician("t1"))
    clock.now += 10 * JOIN_TIMEOUT_S
    assert conn.expire() == [] and conn.seconds_to_join() is None
