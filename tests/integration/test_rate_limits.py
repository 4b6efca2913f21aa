"""The sign-in rate limit (LOGIN_RATE_LIMIT): a sign-in counts once, the 429 page and its
Retry-After say truly when the next one is let through, and an unreachable Redis skips it."""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

import redis

from app import create_app
from config import Settings
from tests.support.agent import SignInAgent
from tests.support.auth import portal_client
from tests.support.processes import free_port


def portal(environ, clock, limit: str):
    """The portal's app with limit; its client's requests arrive on the redirect URI's origin."""
    environ["LOGIN_RATE_LIMIT"] = limit
    return portal_client(create_app(Settings.from_env(environ), clock=clock, testing=True))


def full_sign_in(client) -> int:
    """/login, the emulator's pages, then /authcallback: the callback's status."""
    start = client.get("/login")
    assert start.status_code == 302, start.status_code
    callback = urlsplit(SignInAgent().authorize(start.headers["Location"]))
    return client.get(callback.path, query_string=callback.query).status_code


def test_a_sign_in_is_counted_once_not_at_login_and_callback(environ, redis_client, clock):
    client = portal(environ, clock, "2/minute")
    # Two whole sign-ins fit a limit of two (counting the callbacks too, the second would not).
    assert [full_sign_in(client), full_sign_in(client)] == [302, 302]
    assert client.get("/login").status_code == 429


def test_the_hop_to_the_redirect_uris_origin_is_not_counted(environ, redis_client, clock):
    environ["LOGIN_RATE_LIMIT"] = "1/minute"
    settings = Settings.from_env(environ)
    on_origin = portal_client(create_app(settings, clock=clock, testing=True))
    elsewhere = create_app(settings, clock=clock, testing=True).test_client()  # another host
    hops = [elsewhere.get("/login") for _ in range(3)]
    assert [hop.status_code for hop in hops] == [302, 302, 302], hops[0].get_data(as_text=True)
    origin = environ["COCOON_REDIRECT_URI"].removesuffix("/authcallback")
    assert [hop.location.split("?")[0] for hop in hops] == [origin + "/login"] * 3
    assert [on_origin.get("/login").status_code for _ in range(2)] == [302, 429]


def test_the_429_page_names_the_limit_and_the_true_wait(environ, redis_client, clock):
    client = portal(environ, clock, "3/10 minutes")
    for _ in range(3):
        assert client.get("/login").status_code == 302
    refused = client.get("/login")
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    # The rest of the 10-minute window (a second more: Redis rounds TTLs), not a fixed 5 s.
    assert 540 < wait <= 601
    text = refused.get_data(as_text=True)
    assert "allows 3 every 10 minutes from one address" in text
    assert f"try again in {-(-wait // 60)} minutes" in text


COUNTER = "LIMITS:LIMITER/portal:ratelimit/127.0.0.1/auth.login/1/30/second"


def counter_ttl(redis_client) -> int:
    """Milliseconds left of the counter's window, as Redis counts them."""
    left = redis_client.pttl(COUNTER)
    assert left > 0, f"no counter {COUNTER}: {sorted(redis_client.keys('LIMITS:*'))}"
    return left


def test_retry_after_is_not_before_the_window_ends(environ, redis_client, clock):
    # The window is Redis' (the counter's TTL), so the test reads it there rather than timing
    # it: 30 s is far more than two requests take, however loaded the machine.
    client = portal(environ, clock, "1/30 seconds")
    assert client.get("/login").status_code == 302
    # Ask when a fraction of about 0.3 s is left over the window's whole seconds: Redis gives
    # TTLs rounded to whole seconds, so a Retry-After taken from the TTL alone would be early.
    while not 200 <= counter_ttl(redis_client) % 1000 <= 450:
        time.sleep(0.05)
    refused = client.get("/login")
    left = counter_ttl(redis_client) / 1000  # read after the answer: it was at least this
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert left <= wait <= 31
    assert f"try again in {wait} seconds" in refused.get_data(as_text=True)
    # When the window ends (Redis ends it here, rather than the test waiting 30 s for it), the
    # next sign-in goes through.
    redis_client.pexpire(COUNTER, 1)
    while redis_client.exists(COUNTER):
        time.sleep(0.01)
    assert client.get("/login").status_code == 302


def test_the_counters_are_per_address_and_rate(environ, redis_client, clock):
    client = portal(environ, clock, "2/minute;3/hour")
    assert [client.get("/login").status_code for _ in range(3)] == [302, 302, 429]
    # The refused request went no further than the minute's counter.
    keys = {key.decode(): int(redis_client.get(key)) for key in redis_client.scan_iter("LIMITS:*")}
    prefix = "LIMITS:LIMITER/portal:ratelimit/127.0.0.1/auth.login/"
    assert keys == {prefix + "2/1/minute": 3, prefix + "3/1/hour": 2}
    other = {"REMOTE_ADDR": "192.0.2.7"}
    assert client.get("/login", environ_overrides=other).status_code == 302


def rate_limit_lines(output: str) -> list[dict]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "app.web.rate_limits"]


def test_an_unreachable_redis_skips_the_limit_with_one_line_each_time(
    environ, redis_server, redis_client, clock, capsys
):
    # The portal's own client reaches Redis; the counters' store (REDIS_URL) does not.
    environ["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    environ["LOGIN_RATE_LIMIT"] = "1/minute"
    live = redis.Redis.from_url(redis_server.url)
    app = create_app(Settings.from_env(environ), redis=live, clock=clock, testing=True)
    client = portal_client(app)
    capsys.readouterr()
    assert [client.get("/login").status_code for _ in range(3)] == [302, 302, 302]
    output = capsys.readouterr().out
    lines = rate_limit_lines(output)
    assert len(lines) == 3, lines
    assert all(line["level"] == "ERROR" and "unreachable" in line["message"] for line in lines)
    assert "Traceback" not in output and "exception" not in lines[0]
    # Other views never touch the limit's store.
    assert client.get("/healthz").status_code == 200 and client.get("/").status_code == 200
    assert rate_limit_lines(capsys.readouterr().out) == []
    live.close()
