"""Revocable, bounded credentials: token ids and families, refresh and rejoin limits, the revocation list."""

from __future__ import annotations

import time

import jwt
import pytest

from signaling.revocation import Revocation, RevocationList, covers
from signaling.tokens import Role, TokenError, TokenService

SECRET = "k" * 40


@pytest.fixture
def tokens() -> TokenService:
    return TokenService(SECRET, technician_ttl_s=60, join_ttl_s=600, technician_max_s=3600, rejoin_max_s=1800)


def test_every_token_has_its_own_id_and_starts_a_family(tokens):
    a, b = (tokens.verify(tokens.issue_technician("t-1")) for _ in range(2))
    assert a.token_id and a.token_id != b.token_id
    assert a.family == a.token_id and a.kind == "technician"
    link = tokens.verify(tokens.issue_customer("s-1"))
    assert link.family == link.token_id and link.kind == "join" and link.not_after == link.expires_at


def test_tokens_without_an_id_are_refused(tokens):
    bare = jwt.encode({"sub": "t", "role": "technician", "exp": int(time.time()) + 60}, SECRET, algorithm="HS256")
    with pytest.raises(TokenError) as exc:
        tokens.verify(bare)
    assert exc.value.code == "token_invalid"


def test_technician_tokens_are_short_and_refresh_within_the_sign_in(tokens):
    first = tokens.verify(tokens.issue_technician("t-1", "Tess"))
    assert first.expires_at - time.time() <= 60
    assert 3590 < first.not_after - time.time() <= 3600
    second = tokens.verify(tokens.refresh(first))
    assert second.family == first.family and second.token_id != first.token_id
    assert second.not_after == first.not_after and second.name == "Tess"
    # near the sign-in's end a refresh is cut to it, and past it there is none
    ending = TokenService(SECRET, technician_ttl_s=600, technician_max_s=5)
    near = ending.verify(ending.issue_technician("t-2"))
    assert ending.verify(ending.refresh(near)).expires_at <= near.not_after
    with pytest.raises(TokenError) as exc:
        ending.refresh(type(near)(**{**{f: getattr(near, f) for f in near.__slots__}, "not_after": time.time() - 1}))
    assert exc.value.code == "token_expired"


def test_customer_tokens_cannot_be_refreshed(tokens):
    with pytest.raises(TokenError) as exc:
        tokens.refresh(tokens.verify(tokens.issue_customer("s-1")))
    assert exc.value.code == "token_not_refreshable"


def test_rejoin_tokens_have_an_absolute_end_that_rejoining_never_moves(tokens):
    link = tokens.verify(tokens.issue_customer("s-1"))
    rejoin = tokens.verify(tokens.issue_rejoin(link))
    assert rejoin.kind == "rejoin" and rejoin.family == link.family and rejoin.session_id == "s-1"
    assert 1790 < rejoin.expires_at - time.time() <= 1800
    again = tokens.verify(tokens.issue_rejoin(rejoin))
    assert again.expires_at == rejoin.expires_at == again.not_after  # no self-renewal
    assert tokens.stay_deadline(rejoin) == rejoin.not_after


def test_revoking_a_family_kills_the_link_and_every_rejoin_token(tokens):
    link_token = tokens.issue_customer("s-1")
    link = tokens.verify(link_token)
    rejoin_token = tokens.issue_rejoin(link)
    other = tokens.issue_customer("s-1")
    tokens.revocations.add(Revocation("token", link.family, time.time() + 3600, "new_link"))
    for dead in (link_token, rejoin_token):
        with pytest.raises(TokenError) as exc:
            tokens.verify(dead)
        assert exc.value.code == "token_revoked" and "ask the technician" in exc.value.message
    assert tokens.verify(other).session_id == "s-1"


def test_a_session_revocation_kills_its_customer_tokens_only(tokens):
    customer = tokens.issue_customer("s-1")
    elsewhere = tokens.issue_customer("s-2")
    technician = tokens.issue_technician("t-1")
    tokens.revocations.add(Revocation("session", "s-1", time.time() + 3600, "session_ended"))
    with pytest.raises(TokenError):
        tokens.verify(customer)
    assert tokens.verify(elsewhere).session_id == "s-2"
    assert tokens.verify(technician).role is Role.TECHNICIAN


def test_inspect_reads_expired_and_revoked_tokens_but_not_forged_ones(tokens):
    expired = tokens.issue_customer("s-1", ttl_s=-5)
    assert tokens.inspect(expired).session_id == "s-1"
    with pytest.raises(TokenError):
        tokens.inspect(TokenService("z" * 40).issue_technician("mallory"))


def test_the_list_keeps_the_longest_entry_and_prunes_expired_ones():
    revocations = RevocationList()
    assert revocations.add(Revocation("token", "f-1", 100.0))
    assert not revocations.add(Revocation("token", "f-1", 50.0))
    assert revocations.knows(Revocation("token", "f-1", 80.0))
    assert revocations.add(Revocation("token", "f-1", 200.0))
    assert revocations.add(Revocation("session", "s-1", 10.0))
    assert revocations.find("x", "f-1", None) is not None
    assert revocations.find("x", "y", "s-1") is not None and revocations.find("x", "y", None) is None
    assert revocations.prune(now=150.0) == 1 and len(revocations) == 1


@pytest.mark.parametrize(("revocation", "token_id", "family", "session", "hit"), [
    (Revocation("token", "a", 1.0), "a", "b", None, True),
    (Revocation("token", "b", 1.0), "a", "b", None, True),
    (Revocation("token", "c", 1.0), "a", "b", "s", False),
    (Revocation("session", "s", 1.0), "a", "b", "s", True),
    (Revocation("session", "s", 1.0), "a", "b", None, False),  # technician tokens have no customer session
])
def test_covers(revocation, token_id, family, session, hit):
    assert covers(revocation, token_id, family, session) is hit
