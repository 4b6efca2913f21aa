"""The stats endpoint, and several gunicorn workers sharing codes, tokens and counters in Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
import requests

from tests.access_service.helpers import ALEX, DOC_REDIRECT, Browser, token
from tests.support.processes import VENV_BIN, Process, free_port, wait_for_http


def stats(url: str) -> dict:
    """The emulator's counters."""
    return requests.get(url + "/emulator/stats", timeout=10).json()


@pytest.fixture()
def fresh_stats(rotating_service) -> str:
    """A private emulator with its counters at zero (the session one is shared by other tests)."""
    requests.post(rotating_service.url + "/emulator/stats/reset", timeout=10)
    return rotating_service.url


def test_stats_count_token_requests_by_grant_and_revocations(fresh_stats):
    url = fresh_stats
    assert stats(url) == {
        "token_requests": {"authorization_code": 0, "password": 0, "refresh_token": 0, "other": 0},
        "revocations": 0,
    }
    issued = token(url, grant_type="password", username=ALEX[0], password=ALEX[1]).json()
    token(url, grant_type="password", username=ALEX[0], password="wrong")
    token(url, grant_type="refresh_token", refresh_token=issued["refresh_token"])
    token(url, grant_type="authorization_code", code="nope00")
    token(url, grant_type="client_credentials")
    token(url)
    requests.post(
        url + "/api/oauth/revoke",
        data={"token": issued["refresh_token"]},
        auth=("exampleClientApplication", "exampleClientApplicationSecret"),
        timeout=10,
    )
    assert stats(url) == {
        "token_requests": {"authorization_code": 1, "password": 2, "refresh_token": 1, "other": 2},
        "revocations": 1,
    }
    reset = requests.post(url + "/emulator/stats/reset", timeout=10).json()
    assert reset["token_requests"]["password"] == 0 and reset["revocations"] == 0


EMULATOR_DB = 3


def emulator_db_url(redis_server) -> str:
    return redis_server.url.rsplit("/", 1)[0] + f"/{EMULATOR_DB}"


@pytest.fixture()
def own_db(redis_server) -> Iterator[redis.Redis]:
    """A database of the test Redis that only this emulator writes to (the session's portals
    write to database 0)."""
    client = redis.Redis.from_url(emulator_db_url(redis_server))
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture()
def gunicorn_service(tmp_path, redis_server, own_db) -> Iterator[str]:
    """`gunicorn 'access_service:create_app()'` with two workers sharing one Redis database."""
    port = free_port()
    env = {
        "REDIS_URL": emulator_db_url(redis_server),
        "ACCESS_SERVICE_SIGNING_KEY": str(tmp_path / "key.pem"),
    }
    process = Process(
        [
            str(VENV_BIN / "gunicorn"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "--graceful-timeout",
            "1",
            "access_service:create_app()",
        ],
        env=env,
        log_path=tmp_path / "gunicorn.log",
    ).start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/api/oauth/token_key", proc=process.proc)
        yield url
    finally:
        process.stop()


def test_two_workers_share_state_through_redis(gunicorn_service, own_db):
    url = gunicorn_service
    requests.post(url + "/emulator/stats/reset", timeout=10)
    # New connections each time, so requests land on both workers.
    for _ in range(3):
        browser = Browser(url)
        code = browser.code()
        browser.http.close()
        issued = token(url, grant_type="authorization_code", code=code, redirect_uri=DOC_REDIRECT)
        assert issued.status_code == 200, issued.text
        again = token(url, grant_type="refresh_token", refresh_token=issued.json()["refresh_token"])
        assert again.status_code == 200
    counted = stats(url)["token_requests"]
    assert counted["authorization_code"] == 3 and counted["refresh_token"] == 3
    # Per-user state of the user API too: changed through one worker, read through the other.
    access = again.json()["access_token"]
    me = url + "/api/v1/users/me"
    auth = {"Authorization": f"Bearer {access}"}
    changed = requests.put(me, json={"firstName": "Worker"}, headers=auth, timeout=10)
    assert changed.status_code == 200
    for _ in range(4):
        with requests.Session() as fresh:  # a new connection: either worker
            assert fresh.get(me, headers=auth, timeout=10).json()["firstName"] == "Worker"
    keys = {key.decode() for key in own_db.keys("*")}
    assert keys and all(key.startswith("access-service:") for key in keys)
    assert any(key.startswith("access-service:refresh:") for key in keys)
    assert any(key.startswith("access-service:account:") for key in keys)
