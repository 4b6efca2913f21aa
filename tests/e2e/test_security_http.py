"""Security controls checked black-box: gunicorn, the emulator and Redis over HTTP."""

import base64
import json
import time
from urllib.parse import parse_qs, urlsplit

import msgspec
import redis
import requests

from app.cocoon.sealing import TokenSealer
from tests.support.agent import SignInAgent
from tests.support.auth import sign_in


def sealed_tokens(store: redis.Redis, cookie: str, key_b64: str):
    """The token set of a session (in its grant), opened with the portal's own key (as only it
    can)."""
    raw = store.get(f"portal:session:{cookie}")
    grant = msgspec.msgpack.decode(raw)["grant"]
    sealed = store.get(f"portal:grant:{grant}")
    return TokenSealer([base64.urlsafe_b64decode(key_b64)]).open(sealed)


def test_no_secret_reaches_the_logs_or_a_redis_dump(
    start_redis, start_access_service, start_portal
):
    store_server = start_redis()
    emulator = start_access_service("--access-token-validity", "3")
    portal = start_portal(store_server.url, emulator.url)
    browser = requests.Session()
    login = browser.get(portal.url + "/login", allow_redirects=False, timeout=10)
    callback = SignInAgent().authorize(login.headers["Location"])
    query = parse_qs(urlsplit(callback).query)
    code, state = query["code"][0], query["state"][0]
    assert browser.get(callback, allow_redirects=False, timeout=10).status_code == 302
    cookie = browser.cookies.get("portal_session")
    store = redis.Redis.from_url(store_server.url)
    tokens = sealed_tokens(store, cookie, portal.env["TOKEN_ENCRYPTION_KEYS"])
    time.sleep(3.2)  # expire the access token so a refresh happens and is logged too
    refreshing = browser.get(portal.url + "/profile", headers={"X-Request-ID": "refresh"})
    assert refreshing.status_code == 200
    refreshed = sealed_tokens(store, cookie, portal.env["TOKEN_ENCRYPTION_KEYS"])
    assert refreshed.access_token != tokens.access_token

    # A Redis dump reveals no token.
    store.save()
    dump = (store_server.workdir / "dump.rdb").read_bytes()
    secrets = [tokens.access_token, refreshed.access_token, tokens.refresh_token]
    for secret in secrets:
        for piece in secret.split("."):
            assert piece.encode()[:32] not in dump

    # Nor does any log line, after sign-in, a refresh and a sign-out.
    html = browser.get(portal.url + "/profile", headers={"X-Request-ID": "page"}).text
    csrf = html.split('name="csrf_token" value="')[1].split('"')[0]
    browser.post(portal.url + "/logout", data={"csrf_token": csrf}, headers={"X-Request-ID": "out"})
    # Every request's line is in (each worker writes its own in batches).
    ids = ("refresh", "page", "out")
    logs = portal.logs_once(*[f'"message":"request","request_id":"{id_}"' for id_ in ids])
    paths = [json.loads(line).get("path") for line in logs.splitlines() if line.startswith("{")]
    assert "/authcallback?[redacted]" in paths
    for secret in [
        *secrets,
        code,
        state,
        cookie,
        "exampleClientApplicationSecret",
        portal.env["SECRET_KEY"],
    ]:
        assert secret not in logs, "a secret reached the portal's log"
        for piece in secret.split("."):
            assert len(piece) < 12 or piece not in logs


def test_a_token_signed_with_another_key_is_refused(
    start_access_service, start_portal, redis_server
):
    issuer = start_access_service()
    impostor = start_access_service()  # its own, different signing key
    portal = start_portal(
        redis_server.url, issuer.url, COCOON_TOKEN_KEY_URL=impostor.url + "/api/oauth/token_key"
    )
    browser = requests.Session()
    login = browser.get(portal.url + "/login", allow_redirects=False, timeout=10)
    callback = SignInAgent().authorize(login.headers["Location"])
    response = browser.get(callback, allow_redirects=False, timeout=10)
    assert response.status_code == 502
    assert "could not be verified" in response.text
    assert (
        browser.get(portal.url + "/profile", allow_redirects=False, timeout=10).status_code == 302
    )


def test_jwks_verification_signs_in(start_portal, redis_server, access_service):
    portal = start_portal(
        redis_server.url,
        access_service.url,
        COCOON_TOKEN_KEY_URL="",
        COCOON_JWKS_URL=access_service.url + "/api/oauth/jwks",
    )
    browser = sign_in(portal.url)
    assert browser.get(portal.url + "/profile", timeout=10).status_code == 200


def test_open_redirect_tricks_land_on_the_portal(portal):
    for trick in (
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "/%2F%2Fevil.example",
        "javascript:alert(1)",
    ):
        assert sign_in(portal.url, next_path=trick).landed_on == "/profile", trick
