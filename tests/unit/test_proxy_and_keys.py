"""Forwarded headers only from trusted proxies; the token key cache and its refetch limit."""

import json
import time

import pytest
import requests
from joserfc.jwk import RSAKey
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from app.cocoon.errors import AccessServiceUnavailable
from app.cocoon.keys import TokenVerificationError, TokenVerifier, parse_key_response
from app.web.security import TrustedProxyFix
from tests.support.clock import Clock
from tests.support.tokens import make_jwt

TIMEOUT = (3.05, 10.0)


@Request.application
def echo(request: Request) -> Response:
    return Response(json.dumps({"addr": request.remote_addr, "scheme": request.scheme}))


def call(app, remote_addr: str) -> dict:
    response = Client(app).get(
        "/",
        headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
        environ_overrides={"REMOTE_ADDR": remote_addr},
    )
    return json.loads(response.get_data())


def test_forwarded_headers_honoured_from_a_trusted_proxy():
    app = TrustedProxyFix(echo, ["10.0.0.0/8"], hops=1)
    assert call(app, "10.1.2.3") == {"addr": "203.0.113.9", "scheme": "https"}


def test_forwarded_headers_ignored_from_anyone_else():
    app = TrustedProxyFix(echo, ["10.0.0.0/8"], hops=1)
    assert call(app, "192.0.2.50") == {"addr": "192.0.2.50", "scheme": "http"}
    assert call(TrustedProxyFix(echo, [], hops=1), "10.1.2.3")["addr"] == "10.1.2.3"


class KeyServer(requests.Session):
    """Stands in for the access-service's token_key endpoint, counting fetches."""

    def __init__(self, key: RSAKey):
        super().__init__()
        self.key, self.fetches = key, 0

    def get(self, url, **kwargs):
        self.fetches += 1
        response = requests.Response()
        response.status_code = 200
        pem = self.key.as_pem(private=False).decode()
        response._content = json.dumps({"alg": "SHA256withRSA", "value": pem}).encode()
        return response


def test_valid_token_verifies_with_one_fetch():
    key = RSAKey.generate_key(2048)
    server = KeyServer(key)
    verifier = TokenVerifier("http://as/api/oauth/token_key", TIMEOUT, http=server)
    for _ in range(3):
        assert verifier.verify(make_jwt(time.time() + 60, key=key))["user_name"]
    assert server.fetches == 1


def test_rotated_key_is_fetched_again_but_at_most_once_a_minute():
    old, new = RSAKey.generate_key(2048), RSAKey.generate_key(2048)
    server, clock = KeyServer(old), Clock(start=1000.0)
    verifier = TokenVerifier("http://as/k", TIMEOUT, http=server, clock=clock)
    verifier.verify(make_jwt(time.time() + 60, key=old))
    server.key = new  # the access-service rotates its key
    clock.advance(61)
    assert verifier.verify(make_jwt(time.time() + 60, key=new))
    assert server.fetches == 2
    forged = make_jwt(time.time() + 60, key=RSAKey.generate_key(2048))
    for _ in range(5):  # a stream of forged tokens makes no further fetch within the minute
        with pytest.raises(TokenVerificationError):
            verifier.verify(forged)
    assert server.fetches == 2


def test_expired_token_fails_verification():
    key = RSAKey.generate_key(2048)
    verifier = TokenVerifier("http://as/k", TIMEOUT, http=KeyServer(key))
    with pytest.raises(TokenVerificationError):
        verifier.verify(make_jwt(time.time() - 3600, key=key))


def test_unreachable_key_endpoint_is_unavailable_not_invalid():
    verifier = TokenVerifier("http://127.0.0.1:9/k", (0.5, 0.5))
    with pytest.raises(AccessServiceUnavailable):
        verifier.verify(make_jwt(time.time() + 60))


def test_a_jwks_gives_its_keys_and_one_without_keys_is_refused():
    key = RSAKey.generate_key(2048)
    keys = parse_key_response({"keys": [key.as_dict(private=False)]}, jwks=True)
    assert [k.thumbprint() for k in keys.keys] == [key.thumbprint()]
    for body in ({}, {"keys": "not a list"}):
        with pytest.raises(TokenVerificationError):
            parse_key_response(body, jwks=True)
