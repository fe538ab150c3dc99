"""The policy table says what issue 13 asks of each role (the routes enforcing it: tests/integration/web/test_role_policy.py)."""

from __future__ import annotations

import pytest

from signaling.policy import POLICY, Action, allowed, roles_for
from signaling.tokens import STAFF_ROLES, Role, TokenError, TokenService

REVIEW = {Action.LIBRARY_SEARCH, Action.TICKETS_READ, Action.MEDIA_READ, Action.EXPORT}
MANAGE = {Action.CATALOG_EDIT, Action.STICKERS_MANAGE, Action.RETENTION_MANAGE}


def test_reviewers_search_watch_and_export_but_never_join_calls_or_change_tickets() -> None:
    assert POLICY[Role.REVIEWER] >= REVIEW
    for action in (Action.CALL_JOIN, Action.TICKETS_WRITE, *MANAGE):
        assert not allowed(Role.REVIEWER, action), action


def test_supervisors_also_manage_catalogs_stickers_and_retention_but_do_not_run_calls() -> None:
    assert POLICY[Role.REVIEWER] | MANAGE <= POLICY[Role.SUPERVISOR]
    assert not allowed(Role.SUPERVISOR, Action.CALL_JOIN) and not allowed(Role.SUPERVISOR, Action.TICKETS_WRITE)


def test_customers_only_join_their_call_and_send_its_stills() -> None:
    assert POLICY[Role.CUSTOMER] == {Action.WHOAMI, Action.SESSION_READ, Action.CALL_JOIN, Action.SCAN_UPLOAD}
    assert roles_for(Action.RETENTION_MANAGE) == [Role.SUPERVISOR]


def test_technicians_keep_what_they_had() -> None:
    for action in (Action.CALL_JOIN, Action.TICKETS_WRITE, Action.TICKETS_READ, Action.MEDIA_READ,
                   Action.CATALOG_EDIT, Action.OUTBOX, Action.METRICS):
        assert allowed(Role.TECHNICIAN, action), action
    assert not allowed(Role.TECHNICIAN, Action.RETENTION_MANAGE)


@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_staff_tokens_carry_their_role_through_refresh(role: Role) -> None:
    tokens = TokenService("policy-test-secret-policy-test-secret")
    claims = tokens.verify(tokens.issue_staff(role, "ann"))
    assert claims.role is role and claims.session_id is None
    assert tokens.verify(tokens.refresh(claims)).role is role


def test_a_customer_role_is_no_staff_sign_in() -> None:
    tokens = TokenService("policy-test-secret-policy-test-secret")
    with pytest.raises(ValueError):
        tokens.issue_staff(Role.CUSTOMER, "ann")
    with pytest.raises(TokenError):
        tokens.refresh(tokens.verify(tokens.issue_customer("s-1")))
