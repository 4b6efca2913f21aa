"""Grants named by their first refresh token (app/cocoon/grants.py), against a real Redis: a
`grant-by-refresh` entry only after a refresh rotated the token, sign-ins that bring the same
token (the first one, or one rotated in) joining the one grant, nothing left when it ends."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import uuid

import pytest

from app.cocoon.grants import Grants
from app.cocoon.sealing import TokenSealer
from app.cocoon.tokens import TokenSet
from tests.support.tokens import token_response

NOW = 1_800_000_000.0
TTL = 600


@pytest.fixture()
def grants(redis_client) -> Grants:
    return Grants(redis_client, TokenSealer([os.urandom(32)]), os.urandom(32), ttl=TTL)


def issued(refresh_token: str | None, at: float = NOW) -> TokenSet:
    """Tokens as the platform issues them at `at`, with that refresh token."""
    return TokenSet.from_response(token_response(at + 3600, refresh_token=refresh_token), at)


def keys(redis_client) -> set[str]:
    return {key.decode() for key in redis_client.scan_iter("portal:*")}


def entries(redis_client) -> dict[str, str]:
    """Every `grant-by-refresh` entry: its key, and the grant id it names."""
    return {
        key.decode(): redis_client.get(key).decode()
        for key in redis_client.scan_iter("portal:grant-by-refresh:*")
    }


def refresh(grants: Grants, grant_id: str, rotated_to: str | None) -> TokenSet:
    """A refresh of the grant, as app/cocoon/refresh.py saves it (rotating its refresh token
    to `rotated_to`, or reusing it)."""
    previous = grants.load(grant_id)
    assert previous is not None
    fresh = issued(rotated_to or previous.refresh_token, NOW + 60)
    grants.save(grant_id, fresh, previous=previous)
    return fresh


def test_a_grant_is_named_by_its_refresh_token_and_keeps_no_entry(grants, redis_client):
    first = grants.create_or_join(issued("refresh-1"))
    assert first == grants.name("refresh-1") and len(first) == 22
    assert keys(redis_client) == {grants.key(first)}
    assert "refresh-1" not in first and b"refresh-1" not in redis_client.get(grants.key(first))
    # A second sign-in with the same tokens (a platform with a token store) joins it.
    assert grants.create_or_join(issued("refresh-1", NOW + 5)) == first
    assert keys(redis_client) == {grants.key(first)}
    # A refresh that keeps the refresh token adds no entry either.
    refresh(grants, first, rotated_to=None)
    assert keys(redis_client) == {grants.key(first)}
    # Another refresh token, another grant.
    assert grants.create_or_join(issued("refresh-2")) != first


def test_joining_keeps_the_newer_tokens_and_renews_the_grant(grants, redis_client):
    grant_id = grants.create_or_join(issued("refresh-1"))
    newer = refresh(grants, grant_id, rotated_to=None)
    redis_client.expire(grants.key(grant_id), 5)
    # A sign-in that got the same refresh token before the refresh arrives after it.
    assert grants.create_or_join(issued("refresh-1")) == grant_id
    assert grants.load(grant_id) == newer
    assert redis_client.ttl(grants.key(grant_id)) > TTL - 5


def test_a_rotated_refresh_token_names_its_grant_through_one_entry(grants, redis_client):
    grant_id = grants.create_or_join(issued("refresh-1"))
    refresh(grants, grant_id, rotated_to="refresh-2")
    assert entries(redis_client) == {grants.refresh_key("refresh-2"): grant_id}
    assert 0 < redis_client.ttl(grants.refresh_key("refresh-2")) <= TTL
    # A sign-in that the platform gave the rotated token joins the grant, as does one that
    # brings the first token (spent now: the grant's own tokens are newer).
    assert grants.create_or_join(issued("refresh-2", NOW + 90)) == grant_id
    assert grants.create_or_join(issued("refresh-1", NOW + 90)) == grant_id
    assert grants.load(grant_id).refresh_token == "refresh-2"
    # The next rotation moves the entry: one at a time, for the token the grant holds now.
    rotated = refresh(grants, grant_id, rotated_to="refresh-3")
    assert entries(redis_client) == {grants.refresh_key("refresh-3"): grant_id}
    assert grants.create_or_join(issued("refresh-3", NOW + 120)) == grant_id
    assert keys(redis_client) == {grants.key(grant_id), grants.refresh_key("refresh-3")}
    # Its end leaves nothing.
    grants.delete(grant_id, rotated)
    assert keys(redis_client) == set()


def test_an_entry_whose_grant_has_ended_is_not_joined(grants, redis_client):
    grant_id = grants.create_or_join(issued("refresh-1"))
    refresh(grants, grant_id, rotated_to="refresh-2")
    redis_client.delete(grants.key(grant_id))  # timed out, say, before its entry
    joined = grants.create_or_join(issued("refresh-2", NOW + 90))
    assert joined == grants.name("refresh-2") != grant_id
    assert keys(redis_client) == {grants.key(joined)}


def test_a_grant_without_a_refresh_token_has_a_random_id(grants, redis_client):
    first, second = (grants.create_or_join(issued(None)) for _ in range(2))
    assert first != second and len(first) == len(second) == 22
    assert keys(redis_client) == {grants.key(first), grants.key(second)}
    grants.delete(first, grants.load(first))
    grants.delete(second, None)
    assert keys(redis_client) == set()


def test_a_grant_of_an_earlier_development_build_is_not_joined(grants, redis_client):
    """Earlier development builds named grants at random (43 characters) and kept an entry for
    every refresh token under its whole HMAC in hex: this build reads no such entry, so a
    sign-in bringing that token gets a grant of its own (the old one ends with its TTL)."""
    grant_id, token = secrets.token_urlsafe(32), str(uuid.uuid4())
    old_entry = (
        "portal:grant-by-refresh:"
        + hmac.new(grants.fingerprint_key, token.encode(), hashlib.sha256).hexdigest()
    )
    redis_client.set(grants.key(grant_id), grants.sealer.seal(issued(token)), ex=TTL)
    redis_client.set(old_entry, grant_id, ex=TTL)
    signed_in = issued(token, NOW + 5)
    joined = grants.create_or_join(signed_in)
    assert joined == grants.name(token) != grant_id
    assert grants.load(joined) == signed_in
