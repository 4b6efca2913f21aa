"""When to refresh an access token, and doing it exactly once per session across workers.

Two traps shape this module (see PITFALLS.md):
- a fixed refresh margin refreshes short tokens on every request, so the margin is capped at a
  tenth of the token's lifetime;
- concurrent requests on one session must not both spend the refresh token (a rotating server
  then refuses the second one and the user is signed out), so a Redis lock serialises refreshes
  and the session is read again under it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import LockError

from app.cocoon.client import AccessServiceClient, AccessServiceUnavailable
from app.cocoon.tokens import TokenSet

log = logging.getLogger(__name__)


def leeway(lifetime: float | None, max_leeway: float) -> float:
    """How early to refresh: max_leeway, but never more than a tenth of the token's lifetime."""
    return 0.0 if lifetime is None else min(max_leeway, lifetime / 10)


def refresh_leeway(tokens: TokenSet, max_leeway: float) -> float:
    """The leeway for tokens (see leeway)."""
    return leeway(tokens.lifetime, max_leeway)


def refresh_due(
    expires_at: float | None, obtained_at: float, refreshable: bool, now: float, max_leeway: float
) -> bool:
    """True when a token obtained at obtained_at and expiring at expires_at should be renewed."""
    if expires_at is None or not refreshable:
        return False  # a token we cannot date, or cannot renew, is used as it is
    return now >= expires_at - leeway(max(0.0, expires_at - obtained_at), max_leeway)


def needs_refresh(tokens: TokenSet, now: float, max_leeway: float) -> bool:
    """True when the access token expires within the leeway and can be refreshed."""
    return refresh_due(
        tokens.expires_at, tokens.obtained_at, bool(tokens.refresh_token), now, max_leeway
    )


@dataclass
class RefreshCoordinator:
    """Refreshes a session's tokens under a per-session Redis lock.

    `lock_timeout` must outlive the longest token call (connect + read timeout), or a second
    worker could take the lock while the first still waits on the server and spend the same
    refresh token again.
    """

    redis: Redis
    client: AccessServiceClient
    max_leeway: float = 60.0
    clock: Callable[[], float] = time.time
    key_prefix: str = "portal:refresh-lock:"

    @property
    def lock_timeout(self) -> float:
        return self.client.max_call_seconds + 5

    def ensure_fresh(
        self,
        session_key: str,
        tokens: TokenSet,
        reload: Callable[[], TokenSet | None],
        save: Callable[[TokenSet], None],
    ) -> TokenSet:
        """Return usable tokens for the session, refreshing them if they are about to expire.

        reload: reads the session's tokens again from the store (None: the session is gone).
        save: writes the new tokens to the store *before* the lock is released.
        Raises TokenRefused (sign the user out) or AccessServiceUnavailable.
        """
        if not needs_refresh(tokens, self.clock(), self.max_leeway):
            return tokens
        lock = self.redis.lock(
            self.key_prefix + session_key,
            timeout=self.lock_timeout,
            blocking_timeout=self.lock_timeout,
        )
        if not lock.acquire():
            raise AccessServiceUnavailable("timed out waiting for another refresh of this session")
        try:
            current = reload()
            if current is None:
                raise SessionGone()
            if not needs_refresh(current, self.clock(), self.max_leeway):
                return current  # another request refreshed while we waited
            fresh = self.client.refresh(current)
            save(fresh)
            log.info("refreshed access token", extra={"event": "token_refreshed"})
            return fresh
        finally:
            try:
                lock.release()
            except LockError:  # expired under us: the next holder re-reads anyway
                log.warning("refresh lock expired before release")


class SessionGone(Exception):
    """The session was deleted (signed out elsewhere) while this request waited."""
