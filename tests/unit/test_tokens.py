"""Token parsing and expiry: the platform sends no expires_in, so exp dates the token."""

from app.cocoon.tokens import TokenSet, unverified_claims
from tests.support.tokens import make_jwt, token_response

NOW = 1_800_000_000.0

# The document's example token, verbatim (its exp is 1467016666).
DOC_TOKEN_HEAD = "eyJhbGciOiJSUzI1NiJ9"


def test_expiry_comes_from_the_jwt_exp_when_no_expires_in():
    tokens = TokenSet.from_response(token_response(NOW + 300), now=NOW)
    assert tokens.expires_at == NOW + 300
    assert tokens.lifetime == 300
    assert not tokens.is_expired(NOW + 299)
    assert tokens.is_expired(NOW + 300)


def test_expires_in_is_honoured_when_a_server_sends_it():
    tokens = TokenSet.from_response(token_response(NOW + 300, expires_in=60), now=NOW)
    assert tokens.expires_at == NOW + 60


def test_expires_in_zero_is_a_token_due_now():
    # Spring truncates expires_in to whole seconds: a token in its last second says 0.
    tokens = TokenSet.from_response(token_response(NOW + 1, expires_in=0), now=NOW)
    assert tokens.expires_at == NOW
    assert tokens.is_expired(NOW)


def test_claims_give_user_authorities_and_scopes():
    body = token_response(NOW + 10)
    tokens = TokenSet.from_response(body, now=NOW)
    assert tokens.user_name == "alex.originator@xy-company.com"
    assert tokens.authorities == ["ROLE_ORIGINATOR", "PERM_VIEW"]
    assert tokens.scopes == ["SCOPE_VIEW"]
    assert tokens.jti == body["jti"]


def test_an_opaque_access_token_is_still_a_sign_in():
    tokens = TokenSet.from_response(
        {"access_token": "opaque-123", "token_type": "bearer", "scope": "read write"}, now=NOW
    )
    assert tokens.claims.exp is None and tokens.authorities == []
    assert tokens.expires_at is None
    assert tokens.user_name is None
    assert tokens.scopes == ["read", "write"]
    assert not tokens.is_expired(NOW + 10**9)


def test_refresh_response_without_refresh_token_keeps_the_old_one():
    body = token_response(NOW + 10, refresh_token=None)
    assert TokenSet.from_response(body, NOW, previous_refresh_token="old").refresh_token == "old"
    body = token_response(NOW + 10, refresh_token="new")
    assert TokenSet.from_response(body, NOW, previous_refresh_token="old").refresh_token == "new"


def test_malformed_jwts_give_no_claims():
    assert unverified_claims("a.b.c") == {}
    assert unverified_claims("not-a-jwt") == {}
    assert unverified_claims(DOC_TOKEN_HEAD + ".bm90IGpzb24.sig") == {}
    assert unverified_claims(make_jwt(NOW))["exp"] == int(NOW)


def test_round_trip_through_dict_and_repr_hides_tokens():
    tokens = TokenSet.from_response(token_response(NOW + 10), now=NOW)
    assert TokenSet.from_dict(tokens.to_dict()) == tokens
    assert tokens.access_token not in repr(tokens)
    assert "r-1" not in repr(tokens)
