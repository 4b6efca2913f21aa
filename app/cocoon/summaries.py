"""Account summaries, read from the sealed token sets they describe, once per worker.

A session keeps its sealed tokens and nothing that repeats them: what pages show and the
refresh decision needs (user name, authorities, scopes, expiry) is read from the tokens. Opening
a seal and checking the claims of a platform token takes about 0.3 ms, so each summary is kept,
by the sealed bytes it came from, in a bounded LRU. A sealed set never changes (a refresh seals
a new one), so an entry never goes stale and needs no invalidation; a session that signs out
simply stops asking for it.

The authority and scope lists, which most users share, are kept once per worker however many
sessions hold them (`shared` returns the first equal tuple it was given).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from app.cocoon.sealing import TokenSealer

MAX_SUMMARIES = 4096  # per worker: about 2 kB each (the sealed bytes, a few small fields)
MAX_SHARED_LISTS = 1024


@lru_cache(maxsize=MAX_SHARED_LISTS)
def shared(items: tuple[str, ...]) -> tuple[str, ...]:
    """The one tuple equal to items this worker keeps (content-addressed: equal lists of
    authorities or scopes are stored once)."""
    return items


class AccountSummaries:
    """The read-only AccountSummary (as a mapping, see TokenSet.summary) of a sealed set."""

    def __init__(self, sealer: TokenSealer, maxsize: int = MAX_SUMMARIES):
        self.sealer = sealer
        self._summaries = lru_cache(maxsize=maxsize)(self._read)

    def of(self, sealed: bytes) -> Mapping[str, Any]:
        """The summary of the set sealed in `sealed`. Raises SealError, and InvalidTokenResponse
        for a set stored by a release that did not check its tokens."""
        return self._summaries(sealed)

    def _read(self, sealed: bytes) -> Mapping[str, Any]:
        summary = self.sealer.open(sealed).summary()
        for name in ("roles", "permissions", "scopes"):
            summary[name] = shared(tuple(summary[name]))
        return MappingProxyType(summary)
