"""The sessions on flask-session (app/sessions/interface.py, backend.py, store.py) on their own:
a bare Flask app wired as the portal wires itself, and a real Redis."""

from __future__ import annotations

import json
import pathlib
import pickle

import msgspec
import pytest
from flask import Flask, request, session
from flask_session.redis import RedisSessionInterface
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from redis import Redis, RedisError
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.sessions import interface
from app.sessions.backend import SESSION_ID, store_down
from app.sessions.store import STARTED_AT, SessionStore
from tests.support.processes import free_port

IDLE = 600
ABSOLUTE = 3600
PREFIX = "test:session:"
COOKIE = "sid"
SEALED = b"\x00\xff sealed bytes"


def make_store(client: Redis, clock) -> SessionStore:
    """The store without a cache (tests/integration/test_session_cache.py has the cache)."""
    return SessionStore(
        client, idle_timeout=IDLE, absolute_timeout=ABSOLUTE, key_prefix=PREFIX, clock=clock
    )


def make_app(client: Redis, clock, **config) -> Flask:
    """Routes that read, write, empty and rotate the session."""
    app = Flask(__name__)
    app.config.update({"TESTING": True, "SESSION_COOKIE_NAME": COOKIE, **config})
    interface.init_app(app, make_store(client, clock))

    @app.get("/read")
    def read():
        return {"user": session.get("user"), "unavailable": store_down()}

    @app.get("/untouched")
    def untouched():
        return "no session here"

    @app.get("/write")
    def write():
        session["user"] = "alex"
        return ""

    @app.get("/ended-elsewhere-then-write")
    def ended_elsewhere_then_write():
        session.get("user")
        client.delete(PREFIX + interface.current_session().sid)  # a sign-out in another tab
        session["user"] = "sam"
        return ""

    @app.get("/clear")
    def clear():
        session.clear()
        return ""

    @app.get("/clear-then-write")
    def clear_then_write():
        session.clear()
        session["user"] = "sam"
        return ""

    @app.get("/sign-in")
    def sign_in():
        session.update({STARTED_AT: clock(), "tokens": SEALED, "user": "alex"})
        interface.regenerate()
        return ""

    @app.get("/sign-in-empty")
    def sign_in_empty():
        interface.regenerate()
        return ""

    return app


@pytest.fixture()
def client(redis_client, clock):
    return make_app(redis_client, clock).test_client()


def sid(client) -> str:
    return client.get_cookie(COOKIE).value


def calls(redis_client: Redis, command: str) -> int:
    return redis_client.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0)


def test_the_app_runs_on_flask_session(client):
    assert type(client.application.session_interface).__module__.startswith("flask_session.")


def test_a_write_stores_msgpack_under_a_128_bit_id_with_the_idle_ttl(client, redis_client):
    response = client.get("/write")
    assert SESSION_ID.fullmatch(sid(client)) and len(sid(client)) == 22
    assert (
        "HttpOnly" in response.headers["Set-Cookie"]
        and "Expires" not in response.headers["Set-Cookie"]
    )
    assert response.headers["Vary"] == "Cookie"
    key = PREFIX + sid(client)
    assert msgspec.msgpack.decode(redis_client.get(key)) == {"user": "alex"}
    assert IDLE - 5 <= redis_client.ttl(key) <= IDLE


def test_a_read_is_one_getex_that_slides_the_idle_timeout_and_writes_nothing(client, redis_client):
    client.get("/write")
    key = PREFIX + sid(client)
    redis_client.expire(key, 10)
    getex, sets = calls(redis_client, "getex"), calls(redis_client, "set")
    response = client.get("/read")
    assert response.json == {"user": "alex", "unavailable": False}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Vary"] == "Cookie"
    assert calls(redis_client, "getex") == getex + 1
    assert calls(redis_client, "set") == sets
    assert redis_client.ttl(key) > IDLE - 5


def test_a_page_that_never_touches_the_session_has_no_vary(client):
    assert "Vary" not in client.get("/untouched").headers


@pytest.mark.parametrize(
    "cookie", ["not-an-id", "A" * 21, "A" * 23, "A" * 43, "A" * 44, "A" * 21 + "=", "A/" * 11]
)
def test_a_cookie_that_is_not_an_id_is_ignored_without_a_redis_call(client, redis_client, cookie):
    client.set_cookie(COOKIE, cookie)
    getex = calls(redis_client, "getex")
    assert client.get("/read").json["user"] is None
    assert calls(redis_client, "getex") == getex


def test_a_session_of_an_earlier_development_build_is_not_opened(client, redis_client):
    """Those builds made 256-bit ids (43 characters): their sessions end at the upgrade."""
    earlier = "E" * 43
    redis_client.set(PREFIX + earlier, msgspec.msgpack.encode({"user": "sam"}), ex=IDLE)
    client.set_cookie(COOKIE, earlier)
    assert client.get("/read").json["user"] is None
    client.get("/write")
    assert sid(client) != earlier and len(sid(client)) == 22


def test_an_unknown_id_starts_a_new_session_under_another_id(client):
    unknown = "A" * 22
    client.set_cookie(COOKIE, unknown)
    assert client.get("/read").json["user"] is None
    client.get("/write")
    assert sid(client) != unknown


def test_a_session_ended_elsewhere_stays_ended_whatever_the_request_writes(client, redis_client):
    """flask-session #71: a request that read the session before another ended it must not
    write it back."""
    client.get("/write")
    ended = sid(client)
    client.get("/ended-elsewhere-then-write")
    assert redis_client.exists(PREFIX + ended) == 0
    assert client.get("/read").json["user"] is None


def test_emptying_a_session_deletes_the_key_and_the_cookie(client, redis_client):
    client.get("/write")
    key = PREFIX + sid(client)
    response = client.get("/clear")
    assert redis_client.exists(key) == 0
    assert client.get_cookie(COOKIE) is None
    assert "Max-Age=0" in response.headers["Set-Cookie"]


def test_a_host_prefixed_cookie_is_deleted_with_its_secure_flag(redis_client, clock):
    """A browser ignores a deletion of a `__Host-` cookie that does not say Secure."""
    app = make_app(
        redis_client, clock, SESSION_COOKIE_NAME="__Host-session", SESSION_COOKIE_SECURE=True
    )
    client = app.test_client()
    client.get("/write", base_url="https://localhost")
    deleted = client.get("/clear", base_url="https://localhost").headers["Set-Cookie"]
    assert deleted.startswith("__Host-session=;") and "Max-Age=0" in deleted
    assert "Secure" in deleted and "HttpOnly" in deleted and "Path=/" in deleted


def test_what_clear_leaves_is_not_stored(client, redis_client):
    client.get("/write")
    client.get("/clear-then-write")
    assert msgspec.msgpack.decode(redis_client.get(PREFIX + sid(client))) == {"user": "sam"}


def test_regenerate_moves_a_non_empty_session_to_a_new_id(client, redis_client):
    client.get("/write")
    old = sid(client)
    client.get("/sign-in")
    assert sid(client) != old and SESSION_ID.fullmatch(sid(client))
    assert redis_client.exists(PREFIX + old) == 0
    stored = msgspec.msgpack.decode(redis_client.get(PREFIX + sid(client)))
    assert stored["tokens"] == SEALED and isinstance(stored["tokens"], bytes)


def test_regenerate_refuses_an_empty_session(client):
    """flask-session leaves the id of an empty session as it is: a sign-in fills it first."""
    with pytest.raises(RuntimeError, match="empty session"):
        client.get("/sign-in-empty")


def test_the_absolute_timeout_caps_the_ttl_then_ends_the_session(client, redis_client, clock):
    client.get("/sign-in")
    key = PREFIX + sid(client)
    clock.advance(ABSOLUTE - 100)  # the last idle period: the TTL is cut at the absolute limit
    assert client.get("/read").json["user"] == "alex"
    assert 90 <= redis_client.ttl(key) <= 100
    clock.advance(101)
    assert client.get("/read").json["user"] is None
    assert redis_client.exists(key) == 0


def test_store_load_and_delete(redis_client, clock):
    store = make_store(redis_client, clock)
    sid = "B" * 22
    assert store.store(sid, {STARTED_AT: clock() - (ABSOLUTE - 50), "tokens": SEALED})
    assert 40 <= redis_client.ttl(PREFIX + sid) <= 50  # cut at the absolute limit
    redis_client.expire(PREFIX + sid, 20)
    assert store.load(sid)["tokens"] == SEALED
    assert redis_client.ttl(PREFIX + sid) <= 20  # load does not slide the TTL
    store.delete(sid)
    assert store.load(sid) is None
    # A write that only updates does not bring a deleted session back (a refresh racing a
    # sign-out elsewhere).
    assert not store.store(sid, {"tokens": SEALED}, existing_only=True)
    assert redis_client.exists(PREFIX + sid) == 0


def test_a_record_that_cannot_be_decoded_is_no_session(client, redis_client):
    client.set_cookie(COOKIE, "C" * 22)
    redis_client.set(PREFIX + "C" * 22, b"\xc1 not msgpack")
    assert client.get("/read").json["user"] is None


class RunsCode:
    """Unpickled, touches `marker`: what a forged session key would do in every worker."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (self.marker,)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_session_key_holding_a_pickle_is_refused_and_runs_nothing(
    protocol, client, redis_client, tmp_path
):
    """Whoever can write a session key in Redis must not run code in the portal: the key is
    read as msgpack only, and a pickle is no session. flask-session's own Redis interface,
    given the same key, runs it (its decoder falls back to pickle.loads): the test can fail."""
    marker = tmp_path / "ran"
    sid = "P" * 22
    redis_client.set(PREFIX + sid, pickle.dumps({"user": RunsCode(marker)}, protocol), ex=IDLE)
    client.set_cookie(COOKIE, sid)
    response = client.get("/read")
    assert response.status_code == 200 and response.json["user"] is None
    assert not marker.exists()

    app = Flask(__name__)
    app.config.update(SESSION_COOKIE_NAME=COOKIE)
    theirs = RedisSessionInterface(app, client=redis_client, key_prefix=PREFIX)
    with app.test_request_context(headers={"Cookie": f"{COOKIE}={sid}"}):
        theirs.open_session(app, request)
    assert marker.exists()


@pytest.mark.parametrize(
    "stored",
    [json.dumps({"user": "sam"}).encode(), msgspec.msgpack.encode(["user", "sam"]), b""],
    ids=["json", "a msgpack array", "empty"],
)
def test_what_is_not_a_msgpack_map_is_no_session(stored, client, redis_client):
    sid = "J" * 22
    redis_client.set(PREFIX + sid, stored, ex=IDLE)
    client.set_cookie(COOKIE, sid)
    assert client.get("/read").json["user"] is None


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=st.binary(max_size=200))
@example(stored=b"\xa1\x80")  # a string that is not UTF-8: msgspec's UnicodeDecodeError
@example(stored=b"\x81\xa4user\xa1\x80")  # the same, as a value
def test_whatever_bytes_a_session_key_holds_the_request_is_answered(stored, client, redis_client):
    """Any value under a session key is a session only when it is a msgpack map of strings;
    anything else is no session, and no request fails over it."""
    sid = "H" * 22
    redis_client.set(PREFIX + sid, stored, ex=IDLE)
    client.set_cookie(COOKIE, sid)
    response = client.get("/read")
    assert response.status_code == 200
    try:
        decoded = msgspec.msgpack.decode(stored)
    except (msgspec.DecodeError, UnicodeDecodeError):
        decoded = None
    is_session = isinstance(decoded, dict) and all(isinstance(key, str) for key in decoded)
    if not is_session:
        assert response.json["user"] is None


def test_an_unreachable_redis_leaves_the_request_without_a_session_and_fails_its_save(clock):
    dead = Redis(port=free_port(), socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    client = make_app(dead, clock).test_client()
    client.set_cookie(COOKIE, "D" * 22)
    assert client.get("/read").json == {"user": None, "unavailable": True}
    client.delete_cookie(COOKIE)
    with pytest.raises(RedisError):
        client.get("/write")
