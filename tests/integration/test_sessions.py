"""The session interface (app/sessions/interface.py) on its own: a bare Flask app and a real
Redis."""

from __future__ import annotations

import msgspec
import pytest
from flask import Flask, session
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.sessions.interface import SESSION_ID, PortalSessionInterface, SessionStoreUnavailable
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


def make_app(client: Redis, clock) -> Flask:
    """Routes that read, write, empty and rotate the session."""
    app = Flask(__name__)
    app.config.update(TESTING=True, SESSION_COOKIE_NAME=COOKIE)
    interface = PortalSessionInterface(make_store(client, clock))
    app.session_interface = interface

    @app.get("/read")
    def read():
        return {"user": session.get("user"), "unavailable": session.unavailable}

    @app.get("/untouched")
    def untouched():
        return "no session here"

    @app.get("/write")
    def write():
        session["user"] = "alex"
        return ""

    @app.get("/clear")
    def clear():
        session.clear()
        return ""

    @app.get("/sign-in")
    def sign_in():
        session.update({STARTED_AT: clock(), "tokens": SEALED, "user": "alex"})
        interface.regenerate(session)
        return ""

    return app


@pytest.fixture()
def client(redis_client, clock):
    return make_app(redis_client, clock).test_client()


def sid(client) -> str:
    return client.get_cookie(COOKIE).value


def calls(redis_client: Redis, command: str) -> int:
    return redis_client.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0)


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
    "cookie", ["not-an-id", "A" * 21, "A" * 23, "A" * 42, "A" * 44, "A" * 42 + "=", "A" * 21 + "="]
)
def test_a_cookie_that_is_not_an_id_is_ignored_without_a_redis_call(client, redis_client, cookie):
    client.set_cookie(COOKIE, cookie)
    getex = calls(redis_client, "getex")
    assert client.get("/read").json["user"] is None
    assert calls(redis_client, "getex") == getex


def test_a_session_of_the_previous_release_still_opens_under_its_256_bit_id(client, redis_client):
    previous = "E" * 43  # secrets.token_urlsafe(32), as that release made them
    redis_client.set(PREFIX + previous, msgspec.msgpack.encode({"user": "sam"}), ex=IDLE)
    client.set_cookie(COOKIE, previous)
    assert client.get("/read").json["user"] == "sam"
    client.get("/write")  # written back under its own id
    assert sid(client) == previous
    assert msgspec.msgpack.decode(redis_client.get(PREFIX + previous)) == {"user": "alex"}


def test_an_unknown_id_starts_a_new_session_under_another_id(client):
    unknown = "A" * 43
    client.set_cookie(COOKIE, unknown)
    assert client.get("/read").json["user"] is None
    client.get("/write")
    assert sid(client) != unknown


def test_emptying_a_session_deletes_the_key_and_the_cookie(client, redis_client):
    client.get("/write")
    key = PREFIX + sid(client)
    response = client.get("/clear")
    assert redis_client.exists(key) == 0
    assert client.get_cookie(COOKIE) is None
    assert "Max-Age=0" in response.headers["Set-Cookie"]


def test_regenerate_moves_a_non_empty_session_to_a_new_id(client, redis_client):
    client.get("/write")
    old = sid(client)
    client.get("/sign-in")
    assert sid(client) != old and SESSION_ID.fullmatch(sid(client))
    assert redis_client.exists(PREFIX + old) == 0
    stored = msgspec.msgpack.decode(redis_client.get(PREFIX + sid(client)))
    assert stored["tokens"] == SEALED and isinstance(stored["tokens"], bytes)


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
    sid = "B" * 43
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
    client.set_cookie(COOKIE, "C" * 43)
    redis_client.set(PREFIX + "C" * 43, b"\xc1 not msgpack")
    assert client.get("/read").json["user"] is None


def test_adopt_takes_values_without_marking_the_session_modified(client):
    client.get("/write")
    with client.application.test_request_context(headers={"Cookie": f"{COOKIE}={sid(client)}"}):
        client.application.preprocess_request()
        session.adopt({"user": "sam"})
        assert session["user"] == "sam" and not session.modified


def test_an_unreachable_redis_gives_an_unavailable_session_and_a_failed_save(clock):
    dead = Redis(port=free_port(), socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    client = make_app(dead, clock).test_client()
    client.set_cookie(COOKIE, "D" * 43)
    assert client.get("/read").json == {"user": None, "unavailable": True}
    client.delete_cookie(COOKIE)
    with pytest.raises(SessionStoreUnavailable):
        client.get("/write")
