"""Every member of a token response, and every claim the portal reads, is untrusted input: an
absent one gets a fallback, an unusable one refuses the sign-in, and nothing a token says can
break a later page (a 500 on every /profile until the cookie goes)."""

from __future__ import annotations

import math
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cocoon.errors import InvalidTokenResponse
from app.cocoon.refresh import refresh_due, tokens_due
from app.cocoon.tokens import MAX_EPOCH, TokenSet
from app.pages.views import _utc as format_expiry
from tests.support.tokens import jwt_with_claims

NOW = 1_800_000_000.0
JAVA_LONG_MAX = 9_223_372_036_854_775_807
CLIENT_ID = "exampleClientApplication"

GOOD_CLAIMS = {
    "exp": int(NOW + 3600),
    "user_name": "alex.originator@xy-company.com",
    "authorities": ["ROLE_ORIGINATOR", "PERM_VIEW"],
    "jti": str(uuid.uuid4()),
    "client_id": CLIENT_ID,
    "scope": ["SCOPE_VIEW"],
}

# Values of every JSON type, and the absurd ones people have met: huge, negative, NaN,
# Java's "never expires", empty, very long, control characters.
ANY_JSON_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([JAVA_LONG_MAX, -1, 0, 2**63, 10**20, 1e308, -1e308]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", " ", "3600", "-5", "1e9", "\r\nX: y", "x" * 20_000]),
    st.lists(st.one_of(st.text(max_size=10), st.integers()), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
CLAIMS = ["exp", "iat", "user_name", "sub", "authorities", "scope", "client_id"]
MEMBERS = ["expires_in", "token_type", "refresh_token", "scope", "jti", "access_token"]


def response_with(claims: dict, **members) -> dict:
    body = {
        "access_token": jwt_with_claims(claims),
        "token_type": "bearer",
        "refresh_token": str(uuid.uuid4()),
        "jti": claims.get("jti", "j"),
    }
    body.update(members)
    return {key: value for key, value in body.items() if value is not ABSENT}


ABSENT = object()


def assert_names_no_value(exc: InvalidTokenResponse, value: object) -> None:
    """A refusal names what was wrong and never repeats a value (it may be a secret)."""
    message = str(exc)
    assert message.split()[0] in {*CLAIMS, *MEMBERS, "the", "iat"} | {"access_token"}
    if isinstance(value, str) and len(value) >= 4:
        assert value not in message


def assert_every_page_can_use(tokens: TokenSet) -> None:
    """What later requests do with a stored token set: summarise it, decide on a refresh,
    show the expiry."""
    summary = tokens.summary()
    expires_at = summary["expires_at"]
    assert expires_at is None or (math.isfinite(expires_at) and expires_at <= MAX_EPOCH)
    if expires_at is not None:
        format_expiry(expires_at)
    for later in (NOW, NOW + 10**6, MAX_EPOCH):
        tokens_due(tokens, later, 60)
        refresh_due(
            expires_at=expires_at,
            obtained_at=summary["obtained_at"],
            refreshable=summary["refreshable"],
            now=later,
            max_leeway=60,
        )
    assert all(
        isinstance(name, str) for key in ("roles", "permissions", "scopes") for name in summary[key]
    )
    assert summary["user_name"] is None or isinstance(summary["user_name"], str)
    assert TokenSet.from_dict(tokens.to_dict()) == tokens


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(name=st.sampled_from(CLAIMS), value=st.one_of(ANY_JSON_VALUE, st.just(ABSENT)))
def test_any_claim_value_signs_in_usably_or_is_refused(name, value):
    claims = dict(GOOD_CLAIMS)
    if value is ABSENT:
        claims.pop(name, None)
    else:
        claims[name] = value
    try:
        tokens = TokenSet.from_response(response_with(claims), NOW, client_id=CLIENT_ID)
    except InvalidTokenResponse as exc:
        assert_names_no_value(exc, value)
        return
    assert_every_page_can_use(tokens)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(name=st.sampled_from(MEMBERS), value=st.one_of(ANY_JSON_VALUE, st.just(ABSENT)))
def test_any_response_member_signs_in_usably_or_is_refused(name, value):
    try:
        tokens = TokenSet.from_response(
            response_with(GOOD_CLAIMS, **{name: value}), NOW, client_id=CLIENT_ID
        )
    except InvalidTokenResponse as exc:
        assert_names_no_value(exc, value)
        return
    assert_every_page_can_use(tokens)


def test_java_never_expires_signs_in_as_a_token_without_expiry():
    claims = {**GOOD_CLAIMS, "exp": JAVA_LONG_MAX}
    tokens = TokenSet.from_response(response_with(claims), NOW, client_id=CLIENT_ID)
    assert tokens.expires_at is None
    assert tokens.user_name == GOOD_CLAIMS["user_name"]
    assert_every_page_can_use(tokens)


@pytest.mark.parametrize(
    ("claims", "members", "named"),
    [
        ({"exp": "soon"}, {}, "exp"),
        ({"exp": -1}, {}, "exp"),
        ({"exp": NOW - 3600}, {}, "expired"),
        ({"user_name": 42}, {}, "user_name"),
        ({"user_name": "x" * 10_000}, {}, "user_name"),
        ({"user_name": "evil\r\nSet-Cookie: a=b"}, {}, "user_name"),
        ({"authorities": {"ROLE_ADMIN": True}}, {}, "authorities"),
        ({"authorities": ["ROLE_A", 7]}, {}, "authorities"),
        ({"client_id": "anotherClient"}, {}, "client_id"),
        ({}, {"expires_in": -5}, "expires_in"),
        ({}, {"expires_in": {"a": 1}}, "expires_in"),
        ({}, {"expires_in": float("inf")}, "expires_in"),
        ({}, {"token_type": "mac"}, "token_type"),
        ({}, {"refresh_token": 12345}, "refresh_token"),
        ({}, {"access_token": "a b"}, "access_token"),
        ({}, {"access_token": "x" * 100_000}, "access_token"),
    ],
)
def test_unusable_members_are_refused_naming_the_member(claims, members, named):
    body = response_with({**GOOD_CLAIMS, **claims}, **members)
    with pytest.raises(InvalidTokenResponse, match=named):
        TokenSet.from_response(body, NOW, client_id=CLIENT_ID)


def test_the_refusal_never_repeats_the_value():
    secret = "s3cr3t-refresh-token\x00"
    with pytest.raises(InvalidTokenResponse) as refused:
        TokenSet.from_response(response_with(GOOD_CLAIMS, refresh_token=secret), NOW)
    assert "s3cr3t" not in str(refused.value)


def test_a_summary_stored_by_an_older_release_with_an_absurd_expiry_still_renders():
    stored = TokenSet.from_response(response_with(GOOD_CLAIMS), NOW).to_dict()
    stored["expires_at"] = float(JAVA_LONG_MAX)
    tokens = TokenSet.from_dict(stored)
    assert tokens.expires_at is None
    assert_every_page_can_use(tokens)
