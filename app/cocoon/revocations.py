"""Revocations (RFC 7009) made beside the requests that ask for them, never in them (no Flask).

A sign-out must not wait on the platform: with a revocation endpoint that hangs, the browser
would wait HTTP_CONNECT_TIMEOUT + HTTP_READ_TIMEOUT (13 s by default) for its redirect to the
platform's sign-out, and a person who closes the tab meanwhile stays signed in there. So the
request hands the token to a few threads of its worker and goes on at once; each revocation
finishes, or gives up after those timeouts, and a failure is logged (AccessServiceClient.revoke:
never the token). The sessions have ended before: a revocation that fails keeps no one signed in
to the portal. At most MAX_PENDING wait per worker; beyond that a revocation is dropped, logged
(the token then lives until it expires). The threads start in the worker that first asks, never
in a process that forks afterwards; a worker that exits lets the queued ones finish first.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from app.cocoon.client import AccessServiceClient

log = logging.getLogger(__name__)

THREADS = 2  # revocations at once per worker
MAX_PENDING = 1000  # revocations queued per worker (a hung platform, many sign-outs)


class Revocations:
    """Revoke refresh tokens with `client`, beside the requests."""

    def __init__(self, client: AccessServiceClient, max_pending: int = MAX_PENDING):
        self.client = client
        self.max_pending = max_pending
        self.pending = 0
        self.idle = threading.Condition()
        self.executor: ThreadPoolExecutor | None = None
        self.pid = 0

    def revoke(self, refresh_token: str) -> bool:
        """Queue the revocation of `refresh_token` and return at once; False when it was
        dropped (MAX_PENDING already waiting) or there is no revocation endpoint."""
        if not self.client.revocation_endpoint:
            return False
        with self.idle:
            if self.pending >= self.max_pending:
                log.warning("revocation dropped: %d already waiting", self.pending)
                return False
            if self.executor is None or self.pid != os.getpid():  # none yet in this process
                self.executor = ThreadPoolExecutor(THREADS, thread_name_prefix="revocation")
                self.pid = os.getpid()
            self.pending += 1
            self.executor.submit(self._revoke, refresh_token)
        return True

    def _revoke(self, refresh_token: str) -> None:
        try:
            self.client.revoke(refresh_token)  # logs a failure itself, never raises for one
        except Exception:  # a local bug: logged, and the queue goes on
            log.exception("revocation failed")
        finally:
            with self.idle:
                self.pending -= 1
                self.idle.notify_all()

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds until none is waiting or running; True when none is
        (for tests, and for a job that must see its revocations done)."""
        with self.idle:
            return self.idle.wait_for(lambda: self.pending == 0, timeout)
