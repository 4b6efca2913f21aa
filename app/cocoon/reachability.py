"""Whether the platform's sign-in and sign-out pages can be reached, known cheaply: a TCP
connection to its host (the name the portal itself reaches it by: COCOON_BACKCHANNEL_URL's
when set), at most once per PLATFORM_PROBE_INTERVAL seconds per worker, whatever the number of
requests asking (no Flask here).

Sending a browser to a platform that is down shows it the browser's own "This site can't be
reached", and a sign-out sent there never comes back to the signed-out page. /login and
/logout ask `reachable()` first and answer with the portal's own pages instead
(app/auth/views.py). A connection refused, reset or timed out (HTTP_CONNECT_TIMEOUT, at most
one second here) is "down"; the verdict is kept for the interval, and threads that ask while
one probe runs wait for its answer rather than probing again.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

MAX_PROBE_SECONDS = 1.0  # a probe never holds a sign-in or sign-out longer than this


def host_and_port(url: str) -> tuple[str, int]:
    """The host and port a URL's connection goes to (80 or 443 by default).

    Raises ValueError for a URL without a host or with a bad port."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"no host in {url!r}")
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


class Reachability:
    """The last verdict on `url`'s host and when it was reached (epoch seconds of `clock`);
    `interval` is in seconds (0: probe every time), `timeout` the probe's, in seconds."""

    def __init__(
        self,
        url: str,
        *,
        interval: float,
        timeout: float,
        clock: Callable[[], float] = time.monotonic,
        connect: Callable[[tuple[str, int], float], socket.socket] = socket.create_connection,
    ):
        self.address = host_and_port(url)
        self.interval = interval
        self.timeout = min(timeout, MAX_PROBE_SECONDS)
        self.clock = clock
        self.connect = connect
        self.lock = threading.Lock()
        self.checked_at: float | None = None
        self.up = True
        self.probes = 0  # how many probes this worker made (for tests and metrics)

    def reachable(self) -> bool:
        """Whether the host answered its last probe, probing first when the verdict is older
        than the interval. Never raises."""
        with self.lock:
            now = self.clock()
            if self.checked_at is not None and now - self.checked_at < self.interval:
                return self.up
            self.probes += 1
            try:
                self.connect(self.address, self.timeout).close()
            except OSError as exc:
                if self.up:
                    log.warning("the platform's %s:%s cannot be reached: %s", *self.address, exc)
                self.up = False
            else:
                if not self.up:
                    log.info("the platform's %s:%s can be reached again", *self.address)
                self.up = True
            self.checked_at = self.clock()
            return self.up
