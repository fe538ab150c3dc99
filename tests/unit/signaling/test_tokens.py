"""Role tokens: expiry, tampering, and a customer token bound to one session."""

import pytest

from signaling.tokens import Role, TokenError, TokenService


@pytest.fixture
def tokens():
    return TokenService("k" * 40)


def test_technician_token_acts_in_any_session(tokens):
    claims = tokens.verify_for_session(tokens.issue_technician("t-1", "Tess"), "any")
    assert claims.role is Role.TECHNICIAN and claims.name == "Tess"


def test_customer_token_is_bound_to_its_session(tokens):
    tok = tokens.issue_customer("room-a")
    assert tokens.verify_for_session(tok, "room-a").session_id == "room-a"
    with pytest.raises(TokenError) as exc:
        tokens.verify_for_session(tok, "room-b")
    assert exc.value.code == "token_wrong_session"


@pytest.mark.parametrize("bad", [None, "", "abc", "a.b.c"])
def test_garbage_tokens(tokens, bad):
    with pytest.raises(TokenError) as exc:
        tokens.verify(bad)
    assert exc.value.code in ("token_missing", "token_invalid")


def test_expired_and_foreign_tokens(tokens):
    with pytest.raises(TokenError) as exc:
        tokens.verify(tokens.issue_customer("s", ttl_s=-5))
    assert exc.value.code == "token_expired"
    other = TokenService("z" * 40).issue_technician("t")
    with pytest.raises(TokenError) as exc:
        tokens.verify(other)
    assert exc.value.code == "token_invalid"


def test_a_help_token_is_only_a_help_token() -> None:
    from signaling.tokens import TokenError, TokenService

    tokens = TokenService("k" * 40)
    help_token = tokens.issue_help("link1")
    assert tokens.verify_help(help_token) == "link1"
    assert tokens.issue_help("link1") == help_token  # a reprinted sticker carries the same URL
    with pytest.raises(TokenError) as refused:
        tokens.verify(help_token)
    assert refused.value.code == "token_invalid"
    for other in (tokens.issue_technician("t1"), tokens.issue_customer("s1"),
                  TokenService("x" * 40).issue_help("link1")):
        with pytest.raises(TokenError):
            tokens.verify_help(other)
