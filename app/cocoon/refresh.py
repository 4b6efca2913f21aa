"""When to refresh an access token, and doing it exactly once per session across workers.

Two traps shape this module:
- a fixed refresh margin refreshes short tokens on every request, so the margin is capped at a
  tenth of the token's lifetime;
- concurrent requests on one session must not both spend the refresh token (a rotating server
  then refuses the second one and the user is signed out), so a Redis lock serialises refreshes
  and the stored tokens are read again under it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from redis.exceptions import LockError

from app.cocoon.client import AccessServiceClient
from app.cocoon.errors import AccessServiceUnavailable
from app.cocoon.tokens import TokenSet
from app.redis_client import RedisStore

log = logging.getLogger(__name__)


def refresh_due(
    *,
    expires_at: float | None,
    obtained_at: float,
    refreshable: bool,
    now: float,
    max_leeway: float,
) -> bool:
    """The refresh decision: True when a token obtained at `obtained_at` and expiring at
    `expires_at` (epoch seconds) should be renewed at `now`, `max_leeway` seconds early at
    most, and never earlier than a tenth of its lifetime before it expires. A token that
    cannot be dated (expires_at None) or renewed (not refreshable) is used as it is."""
    if expires_at is None or not refreshable:
        return False
    lifetime = max(0.0, expires_at - obtained_at)
    return now >= expires_at - min(max_leeway, lifetime / 10)


def tokens_due(tokens: TokenSet, now: float, max_leeway: float) -> bool:
    """refresh_due for a token set."""
    return refresh_due(
        expires_at=tokens.expires_at,
        obtained_at=tokens.obtained_at,
        refreshable=bool(tokens.refresh_token),
        now=now,
        max_leeway=max_leeway,
    )


class TokenStore(Protocol):
    """Where one session's tokens are kept: its grant, which the user's sessions holding the
    same refresh token share (app/cocoon/grants.py, app/sessions/tokens.py).
    """

    @property
    def key(self) -> str:
        """Names the tokens' refresh lock: `{<the grant's Redis key>}`, a hash tag that keeps
        the lock in its grant's Redis Cluster slot, so both live on one primary."""

    def load(self) -> TokenSet | None:
        """The tokens as stored now (None: they are gone, signed out)."""

    def save(self, tokens: TokenSet) -> None:
        """Store tokens at once (before the lock is released)."""


class SessionGone(Exception):
    """The session was deleted (signed out elsewhere) while this request waited."""


@dataclass
class RefreshCoordinator:
    """Refreshes a session's tokens under a Redis lock named by their store (the grant, so
    every session holding the same refresh token waits on the same lock).

    The lock's timeout (seconds) outlives the longest token call (connect + read timeout), or
    a second worker could take the lock while the first still waits on the server and spend
    the same refresh token again.
    """

    redis: RedisStore
    client: AccessServiceClient
    max_leeway: float = 60.0
    clock: Callable[[], float] = time.time
    key_prefix: str = "portal:refresh-lock:"

    @property
    def lock_timeout(self) -> float:
        return self.client.max_call_seconds + 5

    def ensure_fresh(self, store: TokenStore, tokens: TokenSet) -> TokenSet:
        """Return usable tokens for the session, refreshing them if they are about to expire.

        Raises SessionGone when the session was deleted meanwhile, any error of
        AccessServiceClient.refresh (app/cocoon/errors.py), AccessServiceUnavailable when
        another request's refresh holds the lock too long, and any of REDIS_DOWN
        (app/redis_client.py).
        """
        if not tokens_due(tokens, self.clock(), self.max_leeway):
            return tokens
        with self.locked(store) as current:
            if not tokens_due(current, self.clock(), self.max_leeway):
                return current  # another request refreshed while we waited
            return self._refresh(store, current)

    def renew(self, store: TokenStore, rejected: str) -> TokenSet:
        """New tokens after a resource server refused the access token `rejected` (RFC 6750
        section 3.1, 401 `invalid_token`): under the same lock, the stored tokens when another
        request has renewed them meanwhile, else a refresh now, due or not. Raises what
        ensure_fresh raises."""
        with self.locked(store) as current:
            if current.access_token != rejected:
                return current
            return self._refresh(store, current)

    @contextmanager
    def locked(self, store: TokenStore) -> Iterator[TokenSet]:
        """Hold the store's refresh lock and yield its tokens as stored now. Raises
        SessionGone, AccessServiceUnavailable (the lock is held too long) or RedisError."""
        lock = self.redis.lock(
            self.key_prefix + store.key,
            timeout=self.lock_timeout,
            blocking_timeout=self.lock_timeout,
        )
        if not lock.acquire():
            raise AccessServiceUnavailable("timed out waiting for another refresh of this session")
        try:
            current = store.load()
            if current is None:
                raise SessionGone()
            yield current
        finally:
            try:
                lock.release()
            except LockError:  # expired under us: the next holder re-reads anyway
                log.warning("refresh lock expired before release")

    def _refresh(self, store: TokenStore, current: TokenSet) -> TokenSet:
        fresh = self.client.refresh(current)
        store.save(fresh)
        log.info("refreshed access token", extra={"event": "token_refreshed"})
        return fresh
