"""Verifying tokens (token_key, JWKS, check_token), revocation, and a key that survives restarts."""

from __future__ import annotations

import json
import os
import signal
import stat

import requests
from joserfc import jws, jwt
from joserfc.jwk import KeySet, RSAKey

from tests.access_service.helpers import (
    ALEX,
    APPROVAL,
    EXAMPLE,
    SPRING_SECURITY_NO_CACHE,
    assert_boot_error,
    assert_client_authentication_failed,
    token,
)
from tests.support.processes import AccessService


def password_grant(url: str) -> dict:
    """Tokens for the demo user."""
    return token(url, grant_type="password", username=ALEX[0], password=ALEX[1]).json()


def verify_with_token_key(url: str, access_token: str) -> dict:
    """The claims, verified with the key from Spring's token_key endpoint."""
    key_info = requests.get(url + "/api/oauth/token_key", timeout=10).json()
    assert key_info["alg"] == "SHA256withRSA"
    assert key_info["value"].startswith("-----BEGIN PUBLIC KEY-----\n")
    assert key_info["value"].endswith("\n-----END PUBLIC KEY-----")
    key = RSAKey.import_key(key_info["value"])
    return json.loads(jws.deserialize_compact(access_token, key, algorithms=["RS256"]).payload)


def test_token_key_verifies_access_tokens(url):
    issued = password_grant(url)
    assert verify_with_token_key(url, issued["access_token"])["jti"] == issued["jti"]


def test_jwks_verifies_access_tokens(url):
    issued = password_grant(url)
    key_set = requests.get(url + "/api/oauth/jwks", timeout=10).json()
    (jwk,) = key_set["keys"]
    assert jwk["kty"] == "RSA" and jwk["alg"] == "RS256" and jwk["use"] == "sig" and jwk["kid"]
    assert "d" not in jwk
    decoded = jwt.decode(
        issued["access_token"], KeySet.import_key_set(key_set), algorithms=["RS256"]
    )
    assert decoded.header == {"alg": "RS256"}
    assert decoded.claims["user_name"] == ALEX[0]


def test_check_token_returns_the_claims_and_active(url):
    issued = password_grant(url)
    response = requests.post(
        url + "/api/oauth/check_token",
        data={"token": issued["access_token"]},
        auth=EXAMPLE,
        timeout=10,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["active"] is True and body["jti"] == issued["jti"]
    assert body["user_name"] == ALEX[0]


def test_check_token_refuses_garbage_and_needs_a_client(url):
    garbage = requests.post(
        url + "/api/oauth/check_token", data={"token": "not.a.jwt"}, auth=EXAMPLE, timeout=10
    )
    assert garbage.status_code == 400
    assert garbage.json() == {
        "error": "invalid_token",
        "error_description": "Token was not recognised",
    }
    anonymous = requests.post(url + "/api/oauth/check_token", data={"token": "x"}, timeout=10)
    assert anonymous.status_code == 401


def revoke(url: str, value: str, client=EXAMPLE, **extra: str) -> requests.Response:
    """POST the RFC 7009 revocation endpoint."""
    return requests.post(
        url + "/api/oauth/revoke", data={"token": value, **extra}, auth=client, timeout=10
    )


def test_revoking_a_refresh_token(url):
    issued = password_grant(url)
    assert revoke(url, issued["refresh_token"], token_type_hint="refresh_token").status_code == 200
    refresh = token(url, grant_type="refresh_token", refresh_token=issued["refresh_token"])
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"
    # RFC 7009 section 2.1: access tokens of the same grant go too.
    checked = requests.post(
        url + "/api/oauth/check_token",
        auth=EXAMPLE,
        timeout=10,
        data={"token": issued["access_token"]},
    )
    assert checked.status_code == 400


def test_revoking_an_access_token(url):
    issued = password_grant(url)
    assert revoke(url, issued["access_token"], token_type_hint="access_token").status_code == 200
    checked = requests.post(
        url + "/api/oauth/check_token",
        auth=EXAMPLE,
        timeout=10,
        data={"token": issued["access_token"]},
    )
    assert checked.json()["error"] == "invalid_token"
    # the refresh token still works
    refresh = token(url, grant_type="refresh_token", refresh_token=issued["refresh_token"])
    assert refresh.status_code == 200


def test_revocation_of_unknown_or_foreign_tokens_is_200_and_harmless(url):
    assert revoke(url, "no-such-token").status_code == 200
    issued = password_grant(url)
    assert revoke(url, issued["refresh_token"], client=APPROVAL).status_code == 200
    refresh = token(url, grant_type="refresh_token", refresh_token=issued["refresh_token"])
    assert refresh.status_code == 200


def test_revocation_needs_client_credentials(url):
    response = requests.post(url + "/api/oauth/revoke", data={"token": "x"}, timeout=10)
    assert_client_authentication_failed(response, "/api/oauth/revoke")


def test_check_token_without_token_is_spring_boots_400(url):
    """A missing `@RequestParam("token")` fails in Spring MVC, not in the endpoint."""
    response = requests.post(url + "/api/oauth/check_token", auth=EXAMPLE, timeout=10)
    assert_boot_error(response, 400, "Bad Request", "/api/oauth/check_token")


def test_answers_that_set_no_caching_get_spring_securitys_default(url):
    access = password_grant(url)["access_token"]
    checked = requests.post(
        url + "/api/oauth/check_token", auth=EXAMPLE, data={"token": access}, timeout=10
    )
    key = requests.get(url + "/api/oauth/token_key", timeout=10)
    me = requests.get(
        url + "/api/v1/users/me", headers={"Authorization": f"Bearer {access}"}, timeout=10
    )
    for response in (checked, key, me):
        assert response.status_code == 200
        for name, value in SPRING_SECURITY_NO_CACHE.items():
            assert response.headers[name] == value


def test_restart_keeps_the_key_and_signals_stop_cleanly(tmp_path):
    workdir = tmp_path / "nested" / "dir"
    service = AccessService(workdir).start()
    issued = password_grant(service.url)
    service.signal(signal.SIGTERM)
    assert service.proc.wait(timeout=10) == 0
    service.stop()
    key_file = workdir / "signing-key.pem"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    service = AccessService(workdir).start()
    try:
        assert verify_with_token_key(service.url, issued["access_token"])["jti"] == issued["jti"]
        checked = requests.post(
            service.url + "/api/oauth/check_token",
            auth=EXAMPLE,
            timeout=10,
            data={"token": issued["access_token"]},
        )
        assert checked.status_code == 200
        service.signal(signal.SIGINT)
        assert service.proc.wait(timeout=10) == 0
    finally:
        service.stop()
