"""Grants: the tokens a sign-in received, sealed in Redis, shared by the user's sessions that the
platform gave the same refresh token.

Why not tokens per session: a platform with a token store (Spring's `JdbcTokenStore`, the
emulator's `--token-store shared`) gives one person signed in on two browsers the same access and
refresh token, and a refresh from one browser ends the access token the other holds. Sessions
holding copies would then spend the one refresh token in turn, each ending the other's access
token, and revoking it at one sign-out would end the other session. So a session holds the id
of a grant; two sessions with the same refresh token hold the same grant; the refresh lock
(app/cocoon/refresh.py) is the grant's; and a sign-out revokes the refresh token only when no
other live session holds its grant (app/sessions/endings.py). On a platform that issues tokens per
sign-in (the default), every session has a grant of its own and nothing is shared.

A worker may keep the grants it has read (`cache`, app/sessions/cache.py: Redis tells it of every
change), so a page whose session and grant it has read asks Redis nothing; the refresh lock
always reads Redis itself (`load`).

A grant is named by its first refresh token: its id is that token's keyed reference (a 128-bit
HMAC, app/sessions/references.py: Redis holds no token in the clear), so a sign-in finds the
grant its refresh token already belongs to by the name alone. A grant whose tokens came without
a refresh token gets 128 random bits. Either way 22 characters.

Keys, one fact each, single-key commands only (any Redis Cluster slot will do):
- `portal:grant:<id>`: the sealed TokenSet (app/cocoon/sealing.py);
- `portal:grant-by-refresh:<reference>`: only once a refresh has rotated the refresh token: the
  id of the grant holding the refresh token of that reference, when that token is not the one
  that names the grant. The next rotation replaces it, and it goes with its grant.
Both live `ttl` seconds (SESSION_ABSOLUTE_TIMEOUT) from the last sign-in that used them or the
last refresh, so no grant outlives the sessions holding it by more than that.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from app.cocoon.sealing import TokenSealer
from app.cocoon.tokens import TokenSet
from app.redis_client import RedisStore
from app.sessions.cache import SessionCache
from app.sessions.references import reference

PREFIX = "portal:"
CACHED_FOR = 60.0  # seconds a worker serves a grant it has read without asking Redis, at most


class Grants:
    """Load, save and delete grants; find the grant a refresh token already belongs to.

    Every method raises any of REDIS_DOWN (app/redis_client.py); load also SealError
    (app/cocoon/sealing.py). Times are epoch seconds of `clock`.
    """

    def __init__(
        self,
        redis: RedisStore,
        sealer: TokenSealer,
        fingerprint_key: bytes,
        ttl: float,
        prefix: str = PREFIX,
        cache: SessionCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.sealer = sealer
        self.fingerprint_key = fingerprint_key
        self.ttl = max(1, int(ttl))
        self.prefix = prefix
        self.cache = cache
        self.clock = clock

    def key(self, grant_id: str) -> str:
        """The Redis key of a grant's sealed tokens."""
        return f"{self.prefix}grant:{grant_id}"

    @staticmethod
    def key_prefix(prefix: str = PREFIX) -> str:
        """What every grant's key starts with."""
        return f"{prefix}grant:"

    def name(self, refresh_token: str) -> str:
        """The id of a grant whose first refresh token is refresh_token: the token's keyed
        reference (22 characters)."""
        return reference(self.fingerprint_key, refresh_token)

    def refresh_key(self, refresh_token: str) -> str:
        """The Redis key naming the grant that holds refresh_token after a rotation."""
        return f"{self.prefix}grant-by-refresh:{self.name(refresh_token)}"

    def create_or_join(self, tokens: TokenSet) -> str:
        """The id of the grant for a new sign-in's tokens: the live grant that already holds
        its refresh token (the platform shares tokens; that grant's tokens are the same or
        newer, and ours are dropped), else a new grant holding them."""
        if not tokens.refresh_token:
            grant_id = secrets.token_urlsafe(16)
            self.save(grant_id, tokens)
            return grant_id
        # A token that a refresh rotated in names its grant through an entry of its own.
        entry = self.refresh_key(tokens.refresh_token)
        named = self.redis.get(entry)
        if isinstance(named, bytes):
            if self.redis.expire(self.key(named.decode()), self.ttl):
                self.redis.expire(entry, self.ttl)
                return named.decode()
            self.redis.delete(entry)  # its grant has ended
        grant_id = self.name(tokens.refresh_token)
        key, sealed = self.key(grant_id), self.sealer.seal(tokens)
        created = self.redis.set(key, sealed, ex=self.ttl, nx=True)
        if not created and not self.redis.expire(key, self.ttl):
            self.redis.set(key, sealed, ex=self.ttl)  # it ended between the two calls: ours now
        self._forget(grant_id)
        return grant_id

    def load(self, grant_id: str) -> TokenSet | None:
        """The grant's tokens as Redis holds them now, None when it has ended (signed out, or
        timed out)."""
        sealed = self.redis.get(self.key(grant_id))
        return self.sealer.open(sealed) if isinstance(sealed, bytes) else None

    def load_sealed(self, grant_id: str) -> bytes | None:
        """The grant's sealed tokens, from this worker's cache when it may serve them; None when
        the grant has ended. For a request whose session was just opened (SessionStore.open
        applied Redis' invalidations: this lookup does not again)."""
        key, now = self.key(grant_id), self.clock()
        sealed, ticket = self.cache.lookup(key, now, sync=False) if self.cache else (None, None)
        if sealed is not None:
            return sealed
        read = self.redis.get(key)
        if not isinstance(read, bytes):
            return None
        if self.cache is not None and ticket is not None:
            self.cache.keep(key, ticket, read, now + CACHED_FOR)
        return read

    def save(self, grant_id: str, tokens: TokenSet, previous: TokenSet | None = None) -> None:
        """Store the grant's tokens (after a refresh: `previous` were the ones refreshed). A
        refresh token that does not name the grant gets its entry first, so a sign-in bringing
        it finds the grant from the moment it is stored; a rotated-out one loses its entry."""
        entry = self._entry(grant_id, tokens.refresh_token)
        if entry is not None:
            self.redis.set(entry, grant_id, ex=self.ttl)
        self.redis.set(self.key(grant_id), self.sealer.seal(tokens), ex=self.ttl)
        self._forget(grant_id)
        old = previous.refresh_token if previous else None
        old_entry = self._entry(grant_id, old) if old != tokens.refresh_token else None
        if old_entry is not None:
            self.redis.delete(old_entry)

    def delete(self, grant_id: str, tokens: TokenSet | None) -> None:
        """End the grant (its tokens, when known, were loaded from it) and the entry of its
        refresh token, if it has one."""
        self.redis.delete(self.key(grant_id))
        self._forget(grant_id)
        entry = self._entry(grant_id, tokens.refresh_token) if tokens else None
        if entry is not None:
            self.redis.delete(entry)

    def _entry(self, grant_id: str, refresh_token: str | None) -> str | None:
        """The key of the `grant-by-refresh` entry by which the grant's refresh_token names it;
        None when it needs none (no token, or the very token the grant is named by)."""
        if not refresh_token or self.name(refresh_token) == grant_id:
            return None
        return self.refresh_key(refresh_token)

    def _forget(self, grant_id: str) -> None:
        """This worker has just written or deleted the grant: its cached copy goes."""
        if self.cache is not None:
            self.cache.discard(self.key(grant_id))
