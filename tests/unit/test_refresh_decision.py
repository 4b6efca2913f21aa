"""The refresh decision, with an injected clock: early by a leeway capped at lifetime / 10."""

from app.cocoon.refresh import tokens_due
from app.cocoon.tokens import TokenSet
from tests.support.tokens import token_response

NOW = 1_800_000_000.0


def tokens_living(seconds: float, refresh_token: str | None = "r") -> TokenSet:
    return TokenSet.from_response(token_response(NOW + seconds, refresh_token=refresh_token), NOW)


def test_long_token_is_refreshed_60_seconds_early():
    tokens = tokens_living(43_200)
    assert not tokens_due(tokens, NOW + 43_200 - 61, 60)
    assert tokens_due(tokens, NOW + 43_200 - 60, 60)


def test_five_second_token_is_not_refreshed_on_every_request():
    tokens = tokens_living(5)
    assert not tokens_due(tokens, NOW, 60)
    assert not tokens_due(tokens, NOW + 4.4, 60)
    assert tokens_due(tokens, NOW + 4.5, 60)


def test_expired_token_tokens_due():
    assert tokens_due(tokens_living(30), NOW + 3600, 60)


def test_token_without_expiry_or_refresh_token_is_used_as_is():
    opaque = TokenSet.from_response({"access_token": "opaque", "refresh_token": "r"}, NOW)
    assert not tokens_due(opaque, NOW + 10**9, 60)
    assert not tokens_due(tokens_living(5, refresh_token=None), NOW + 100, 60)
