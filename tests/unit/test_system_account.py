"""SystemAccount's renewal decisions, with a scripted stand-in for the access-service client.

The real token calls are covered against the emulator in tests/integration; these cover what
the emulator cannot easily stage: outages and servers that issue no refresh token.
"""

from __future__ import annotations

import pytest

from app.cocoon.errors import AccessServiceUnavailable
from app.cocoon.system_account import SystemAccount
from app.cocoon.tokens import TokenSet
from tests.support.clock import Clock

LIFETIME = 600.0


class ScriptedClient:
    """Issues numbered tokens valid for LIFETIME seconds; refresh can be made to fail."""

    def __init__(self, clock, refresh_token: str | None = "r") -> None:
        self.clock = clock
        self.refresh_token = refresh_token
        self.calls: list[str] = []
        self.refresh_error: Exception | None = None

    def _issue(self) -> TokenSet:
        now = self.clock()
        number = len(self.calls)
        return TokenSet(
            f"a{number}", self.refresh_token, obtained_at=now, expires_at=now + LIFETIME
        )

    def password_grant(self, username: str, password: str) -> TokenSet:
        self.calls.append("password")
        return self._issue()

    def refresh(self, tokens: TokenSet) -> TokenSet:
        self.calls.append("refresh")
        if self.refresh_error:
            raise self.refresh_error
        return self._issue()


@pytest.fixture()
def clock() -> Clock:
    return Clock(start=1_000_000.0)


def account_for(client: ScriptedClient, clock: Clock) -> SystemAccount:
    return SystemAccount(client, "job@xy-company.com", "s3cret", clock=clock, max_leeway=60)


def test_refreshes_inside_the_leeway_not_before(clock):
    client = ScriptedClient(clock)
    account = account_for(client, clock)
    assert account.access_token() == "a1"
    clock.advance(LIFETIME - 61)
    assert account.access_token() == "a1"
    clock.advance(2)
    assert account.access_token() == "a2"
    assert client.calls == ["password", "refresh"]


def test_outage_inside_the_leeway_keeps_the_current_token(clock):
    client = ScriptedClient(clock)
    account = account_for(client, clock)
    account.access_token()
    client.refresh_error = AccessServiceUnavailable("down")
    clock.advance(LIFETIME - 30)
    assert account.access_token() == "a1"
    clock.advance(31)  # expired now: nothing usable is left
    with pytest.raises(AccessServiceUnavailable):
        account.access_token()


def test_without_a_refresh_token_signs_in_again_before_expiry(clock):
    client = ScriptedClient(clock, refresh_token=None)
    account = account_for(client, clock)
    account.access_token()
    clock.advance(LIFETIME - 30)
    assert account.access_token() == "a2"
    assert client.calls == ["password", "password"]


def test_repr_hides_the_password(clock):
    assert "s3cret" not in repr(account_for(ScriptedClient(clock), clock))
