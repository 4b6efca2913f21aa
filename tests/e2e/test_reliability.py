"""Outages with real processes: Redis killed and hung, the access-service stopped or hung, and
gunicorn workers recycled, reloaded, crashed and stopped under a request."""

from __future__ import annotations

import base64
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from app.sessions.invalidations import STALE_AFTER
from tests.support.agent import SignInAgent
from tests.support.auth import sign_in
from tests.support.processes import RedisServer
from tests.support.sentinel import crash

# Generous bounds on a loaded machine, in seconds: an answer during an outage (the tests assert
# the answer, not how fast it came: tests/integration/test_hung_redis.py counts the timeouts a
# hung Redis costs), and a restarted server's return.
OUTAGE_BOUND = 30
RECOVERY_BOUND = 60
# What a portal error page must never show.
INTERNALS = ("Traceback", "ConnectionError", "redis.exceptions", 'File "')


class SilentServer:
    """A hung access-service: accepts TCP connections and never answers them."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections.append(connection)  # held open, never read or answered

    def wait_for_connection(self, timeout: float = 10.0) -> None:
        """Block until someone has connected (a token call is in flight), or raise."""
        deadline = time.monotonic() + timeout
        while not self.connections:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nobody connected to the silent server in {timeout}s")
            time.sleep(0.02)

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self.sock.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture()
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def shared_secrets() -> dict[str, str]:
    """Settings every instance of one portal must share (SECRET_KEY is fixed by the fixture)."""
    return {"TOKEN_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode()}


def begin_sign_in(portal_url: str) -> tuple[requests.Session, str]:
    """Go through /login and the emulator's sign-in; return the browser and its callback URL."""
    browser = requests.Session()
    response = browser.get(portal_url + "/login", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    return browser, SignInAgent().authorize(response.headers["Location"])


def get(
    url: str, cookie: dict[str, str], timeout: float = OUTAGE_BOUND
) -> tuple[requests.Response, float]:
    """GET url on a fresh connection with the session cookie; the response and its seconds."""
    started = time.monotonic()
    response = requests.get(url, cookies=cookie, allow_redirects=False, timeout=timeout)
    return response, time.monotonic() - started


def session_cookie(browser: requests.Session) -> dict[str, str]:
    return {"portal_session": browser.cookies.get("portal_session")}


def assert_unavailable_page(response: requests.Response) -> None:
    """The portal's own 503 page, with Retry-After and no internals."""
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert int(response.headers["Retry-After"]) > 0
    assert "Temporarily unavailable" in response.text
    for leak in INTERNALS:
        assert leak not in response.text


def worker_pids(master_pid: int) -> set[int]:
    """The pids of the gunicorn workers of master_pid (its children), read from /proc."""
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited while we looked
        if int(fields[1]) == master_pid and fields[0] != "Z":
            pids.add(int(stat.parent.name))
    return pids


def wait_for_new_workers(master_pid: int, old: set[int], count: int, timeout: float = 20) -> None:
    """Block until master_pid runs count workers, none of them in old, or raise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = worker_pids(master_pid)
        if len(current) >= count and not current & old:
            return
        time.sleep(0.1)
    raise TimeoutError(f"workers {old} were not replaced after {timeout}s")


# Redis ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_redis_hung_or_dead_answers_503_and_sessions_survive_a_restart(
    start_redis, start_portal, access_service
):
    redis = start_redis(persistence=True)
    # One worker of 4 threads: the concurrent requests below need new pooled connections.
    portal = start_portal(redis.url, access_service.url, workers=1)
    browser = sign_in(portal.url)
    cookie = session_cookie(browser)
    assert get(portal.url + "/profile", cookie)[0].status_code == 200

    # Hung (SIGSTOP): connections are accepted and never answered, so only timeouts help. At
    # most one request reuses the pooled connection; the others open new ones, whose handshake
    # once nested redis-py's health-check retries inside its connect retries (10 s).
    redis.signal(signal.SIGSTOP)
    try:
        # For up to STALE_AFTER seconds after its last PONG a worker may still serve the
        # sessions it has cached (nothing can change in a stopped Redis); then it reads Redis.
        time.sleep(STALE_AFTER + 0.2)
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(lambda _: get(portal.url + "/profile", cookie), range(4)))
    finally:
        redis.signal(signal.SIGCONT)
    slowest = max(seconds for _, seconds in answers)
    print(f"Redis hung: 4 concurrent requests, slowest 503 in {slowest:.2f}s")
    for page, _ in answers:
        assert_unavailable_page(page)
    assert get(portal.url + "/profile", cookie)[0].status_code == 200

    # Dead (SIGKILL): every page that reads the session answers 503.
    crash(redis)
    slowest = 0.0
    for path in ("/profile", "/", "/login"):
        page, seconds = get(portal.url + path, cookie)
        assert_unavailable_page(page)  # never an anonymous page instead of the session
        slowest = max(slowest, seconds)
    print(f"Redis dead: slowest 503 in {slowest:.2f}s")
    assert requests.get(portal.url + "/healthz", timeout=5).status_code == 200
    ready = requests.get(portal.url + "/readyz", timeout=5)
    assert ready.status_code == 503 and ready.headers["Retry-After"]

    # Back on the same port with its append-only file: the portal reconnects by itself and the
    # user is still signed in.
    restarted = RedisServer(redis.workdir, port=redis.port, persistence=True).start()
    try:
        back = time.monotonic()
        statuses = []
        while time.monotonic() - back < RECOVERY_BOUND:
            page, _ = get(portal.url + "/profile", cookie)
            statuses.append(page.status_code)
            if page.status_code == 200:
                break
            time.sleep(0.1)
        print(f"Redis back: /profile answered {statuses} within {time.monotonic() - back:.2f}s")
        assert statuses[-1] == 200, statuses
        assert "alex.originator@xy-company.com" in page.text
        assert get(portal.url + "/", cookie)[0].status_code == 200
        assert requests.get(portal.url + "/readyz", timeout=5).status_code == 200
    finally:
        restarted.stop()


# The access-service ---------------------------------------------------------------------------


@pytest.mark.slow
def test_access_service_stopped_sign_in_fails_clearly_and_sessions_keep_working(
    start_redis, start_access_service, start_portal
):
    emulator = start_access_service()
    portal = start_portal(start_redis().url, emulator.url)
    signed_in = session_cookie(sign_in(portal.url))
    browser, callback = begin_sign_in(portal.url)
    emulator.stop()

    login = browser.get(portal.url + "/login", allow_redirects=False, timeout=5)
    assert login.status_code == 302  # no call needed to send the browser away
    assert login.headers["Location"].startswith(emulator.url + "/api/oauth/authorize")

    started = time.monotonic()
    page = browser.get(callback, allow_redirects=False, timeout=OUTAGE_BOUND)
    seconds = time.monotonic() - started
    print(f"access-service stopped: callback answered {page.status_code} in {seconds:.2f}s")
    assert page.status_code in (502, 503, 504)
    for leak in INTERNALS:
        assert leak not in page.text
    # A signed-in page whose token is still valid needs no call.
    assert get(portal.url + "/profile", signed_in)[0].status_code == 200


@pytest.mark.slow
def test_hung_token_endpoint_times_out_without_blocking_the_worker(
    start_redis, start_portal, access_service, silent_server
):
    """Default timeouts: the callback answers (the portal's timeout, not gunicorn's killing the
    worker), and the one worker keeps serving meanwhile."""
    redis_url = start_redis().url
    secrets = shared_secrets()
    healthy = start_portal(redis_url, access_service.url, **secrets)
    # One worker (4 threads): a page served meanwhile proves the hung call blocks one thread only.
    hung = start_portal(
        redis_url,
        access_service.url,
        workers=1,
        COCOON_BACKCHANNEL_URL=silent_server.url,
        **secrets,
    )
    workers_before = worker_pids(hung.pid)
    # Signed in through the healthy instance, served by the hung one: they share Redis and keys.
    other = session_cookie(sign_in(healthy.url))
    # Its profile page once where the platform answers: the person's name is then kept in the
    # session, and the hung instance's profile pages call nothing (its COCOON_BACKCHANNEL_URL,
    # the silent server, serves the user API too).
    assert get(healthy.url + "/profile", other)[0].status_code == 200
    browser, callback = begin_sign_in(hung.url)
    outcome: dict[str, object] = {}

    def finish_sign_in() -> None:
        started = time.monotonic()
        try:
            outcome["response"] = browser.get(callback, allow_redirects=False, timeout=60)
        except requests.RequestException as exc:
            outcome["response"] = exc
        outcome["seconds"] = time.monotonic() - started

    waiting = threading.Thread(target=finish_sign_in)
    waiting.start()
    silent_server.wait_for_connection(timeout=OUTAGE_BOUND)
    hanging_after = []  # after each page: was the token call still hanging?
    for _ in range(5):
        page, _ = get(hung.url + "/profile", other)
        assert page.status_code == 200
        hanging_after.append(waiting.is_alive())
        time.sleep(0.2)
    # Pages were served while it hung (it hangs for HTTP_READ_TIMEOUT, 10 s: a loaded machine
    # may see it end after some of the five, not before the first).
    assert hanging_after[0], hanging_after
    waiting.join(timeout=90)

    response = outcome["response"]
    print(f"access-service hung: callback answered {response} in {outcome['seconds']:.2f}s")
    assert isinstance(response, requests.Response), response
    assert response.status_code in (502, 503, 504)
    assert "WORKER TIMEOUT" not in hung.logs()
    assert worker_pids(hung.pid) == workers_before  # no worker killed or replaced


# gunicorn workers -----------------------------------------------------------------------------


@pytest.mark.slow
def test_sessions_survive_worker_recycling_reload_and_crash(
    start_redis, start_portal, access_service
):
    portal = start_portal(
        start_redis().url, access_service.url, extra_args="--max-requests 5 --max-requests-jitter 0"
    )
    cookie = session_cookie(sign_in(portal.url))

    def all_profiles_ok(count: int) -> None:
        for _ in range(count):
            page, _ = get(portal.url + "/profile", cookie)
            assert page.status_code == 200, page.status_code

    all_profiles_ok(24)
    assert portal.logs().count("Autorestarting worker") >= 3  # each worker recycled at least once

    before = worker_pids(portal.pid)
    os.kill(portal.pid, signal.SIGHUP)  # the master only: reload config, replace the workers
    wait_for_new_workers(portal.pid, before, 2)
    all_profiles_ok(4)

    before = worker_pids(portal.pid)
    for pid in before:
        os.kill(pid, signal.SIGKILL)  # workers crash; the master starts new ones
    wait_for_new_workers(portal.pid, before, 2)
    all_profiles_ok(4)
    assert portal.proc.poll() is None


@pytest.mark.slow
def test_sigterm_lets_an_in_flight_request_finish(
    start_redis, start_portal, access_service, silent_server
):
    portal = start_portal(
        start_redis().url,
        access_service.url,
        COCOON_BACKCHANNEL_URL=silent_server.url,
        HTTP_READ_TIMEOUT="3",
    )
    browser, callback = begin_sign_in(portal.url)
    outcome: dict[str, object] = {}

    def finish_sign_in() -> None:
        try:
            outcome["response"] = browser.get(callback, allow_redirects=False, timeout=60)
        except requests.RequestException as exc:
            outcome["response"] = exc

    waiting = threading.Thread(target=finish_sign_in)
    waiting.start()
    silent_server.wait_for_connection()  # the callback now waits on the token endpoint
    os.kill(portal.pid, signal.SIGTERM)  # the master only, as a deploy or `docker stop` would
    waiting.join(timeout=90)
    exit_code = portal.proc.wait(timeout=25)

    response = outcome["response"]
    assert isinstance(response, requests.Response), response  # answered, not dropped
    assert response.status_code == 503
    assert exit_code == 0
