"""Exactly-once refresh under load: one expired session hit 40 times at once over two portals,
also when the server rotates refresh tokens and when it takes seconds to answer."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import requests

from tests.support.auth import sign_in
from tests.support.emulator import token_requests
from tests.support.processes import ROOT, http_server_in_thread

VALIDITY = 3  # seconds an access token lives; the refresh leeway is then 0.3 s
STORM = 40


def rotating_data(directory: Path) -> Path:
    """The emulator's demo data with the portal's client rotating its refresh tokens."""
    data = json.loads((ROOT / "access_service" / "demo_data.json").read_text())
    for client in data["clients"]:
        if client["client_id"] == "exampleClientApplication":
            client["reuse_refresh_token"] = False
    path = directory / "rotating-data.json"
    path.write_text(json.dumps(data))
    return path


@contextmanager
def slow_refreshes(access_service_url: str, delay: float) -> Iterator[str]:
    """A proxy to the access-service that holds each refresh for delay seconds; yields its URL.

    The refresh lock must outlive such a call: if it expired meanwhile, a second request would
    take it and spend the same refresh token again.
    """

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if b"grant_type=refresh_token" in body:
                time.sleep(delay)
            headers = {name: self.headers[name] for name in ("Authorization", "Content-Type")}
            upstream = requests.post(
                access_service_url + self.path, data=body, headers=headers, timeout=10
            )
            self.send_response(upstream.status_code)
            self.send_header("Content-Type", upstream.headers.get("Content-Type", "text/plain"))
            self.send_header("Content-Length", str(len(upstream.content)))
            self.end_headers()
            self.wfile.write(upstream.content)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet

    with http_server_in_thread(Handler) as url:
        yield url


def storm(urls: list[str], cookie: dict[str, str]) -> list[int]:
    """STORM simultaneous GET /profile with one cookie, spread over urls; their statuses."""
    start = threading.Barrier(STORM)

    def hit(index: int) -> int:
        start.wait(timeout=10)
        response = requests.get(
            urls[index % len(urls)] + "/profile", cookies=cookie, allow_redirects=False, timeout=30
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=STORM) as pool:
        return list(pool.map(hit, range(STORM)))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rotating", "delay"),
    [(False, 0), (True, 0), (True, 2)],
    ids=["reused", "rotated", "rotated-slow-server"],
)
def test_concurrent_requests_over_two_instances_refresh_once(
    rotating, delay, tmp_path, start_redis, start_access_service, start_portal
):
    args = ["--access-token-validity", str(VALIDITY)]
    if rotating:
        args += ["--data", str(rotating_data(tmp_path))]
    emulator = start_access_service(*args)
    with slow_refreshes(emulator.url, delay) as token_service_url:
        run_storm(emulator.url, token_service_url, start_redis().url, start_portal)


def run_storm(access_service_url: str, token_service_url: str, redis_url: str, start_portal):
    """Sign in, let the token expire, storm, then check the kept refresh token still works."""
    settings = {
        # Shared by every instance, so either can open the session's tokens.
        "TOKEN_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "COCOON_BACKCHANNEL_URL": token_service_url,
        # A refresh lock lives connect + read timeout + 5 s = 11 s here, the calls up to 2 s.
        "HTTP_READ_TIMEOUT": "3",
    }
    portals = [start_portal(redis_url, access_service_url, workers=2, **settings) for _ in range(2)]
    urls = [portal.url for portal in portals]

    browser = sign_in(urls[0])
    signed_in_at = time.monotonic()
    cookie = {"portal_session": browser.cookies.get("portal_session")}
    time.sleep(max(0.0, signed_in_at + VALIDITY + 0.2 - time.monotonic()))

    started = time.monotonic()
    statuses = storm(urls, cookie)
    print(f"storm of {STORM} over 2 instances: {time.monotonic() - started:.2f}s")
    assert statuses == [200] * STORM, statuses
    assert token_requests(access_service_url, "refresh_token") == 1

    # After the next expiry the kept refresh token still works: with rotation it must be the
    # new one, or the emulator refuses it and the user is signed out (a 302 to /login).
    time.sleep(VALIDITY + 0.2)
    page = requests.get(urls[1] + "/profile", cookies=cookie, allow_redirects=False, timeout=10)
    assert page.status_code == 200
    assert token_requests(access_service_url, "refresh_token") == 2
