"""The emulator's pure pieces, without a server: data, PKCE, the store, keys and the grants."""

from __future__ import annotations

import subprocess
import sys

import pytest
from joserfc.jwk import RSAKey
from werkzeug.security import check_password_hash

from access_service import create_app
from access_service.approvals import Approvals
from access_service.data import Directory, DirectoryFile, load_directory
from access_service.errors import OAuthError
from access_service.grants import parse_scope, token_response
from access_service.keys import Signer, load_or_create_key
from access_service.pkce import s256, verifier_matches
from access_service.store import MemoryStore
from access_service.tokens import InvalidToken, TokenServices
from access_service.users import Users
from tests.support.clock import Clock
from tests.support.processes import ROOT


@pytest.fixture(scope="module")
def signer() -> Signer:
    """A throwaway signing key."""
    return Signer(RSAKey.generate_key(2048, private=True))


@pytest.fixture(scope="module")
def directory() -> Directory:
    """The built-in demo data."""
    return load_directory()


def test_demo_data_matches_the_document(directory):
    example = directory.client("exampleClientApplication")
    assert example.auto_approve and example.reuse_refresh_token
    assert example.access_token_validity_seconds == 43200
    assert example.refresh_token_validity_seconds == 2592000
    assert len(example.scope) == 37
    assert directory.client("approvalClientApplication").auto_approve is False
    assert directory.client("systemServiceClient").authorized_grant_types == [
        "password",
        "refresh_token",
    ]
    assert len(directory.user("alex.originator@xy-company.com").authorities) == 39


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        ("http://127.0.0.1:5000/authcallback", True),
        ("http://127.0.0.1:61234/authcallback", True),
        ("http://localhost:1/authcallback", True),
        ("http://127.0.0.1:61234/other", False),
        ("https://127.0.0.1:61234/authcallback", False),
        ("http://127.0.0.1.evil.example:80/authcallback", False),
        ("http://user@127.0.0.1:5000/authcallback", False),
        ("http://127.0.0.1:5000/authcallback?x=1", False),
        ("https://my-application-url/authcallback", True),
        ("https://my-application-url:444/authcallback", False),
        ("http://127.0.0.1:61234/auth\ncallback", False),  # urlsplit drops the newline
        ("http://127.0.0.1:5000/authcallback\t", False),
    ],
)
def test_redirect_resolution_and_the_loopback_rule(directory, requested, expected):
    assert (
        directory.client("exampleClientApplication").resolve_redirect(requested) is not None
    ) is expected


def test_loopback_rule_is_only_for_clients_that_opt_in(directory):
    client = directory.client("exampleClientApplication")
    strict = type(client)(
        **{
            **{f: getattr(client, f) for f in client.__struct_fields__},
            "loopback_redirect_any_port": False,
        }
    )
    assert strict.resolve_redirect("http://127.0.0.1:61234/authcallback") is None


def test_pkce_s256_matches_rfc_7636_appendix_b():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert verifier_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert not verifier_matches("short", s256("short"))


def test_memory_store_expiry_take_and_counters():
    clock = Clock(start=1_000_000.0)
    store = MemoryStore(clock)
    store.put("a", {"x": 1}, ttl=10)
    assert store.get("a") == {"x": 1}
    assert store.take("a") == {"x": 1} and store.take("a") is None
    store.put("b", {}, ttl=10)
    clock.advance(10)
    assert store.get("b") is None and store.delete("b") is False
    assert store.incr("n") == 1 and store.incr("n") == 2 and store.counter("n") == 2
    store.reset_counters(["n"])
    assert store.counter("n") == 0


def test_signing_key_is_created_once_with_mode_0600(tmp_path):
    path = tmp_path / "a" / "b" / "key.pem"
    first = load_or_create_key(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert load_or_create_key(path).thumbprint() == first.thumbprint()


def test_signer_keeps_claim_order_and_rejects_tampering(signer):
    token = signer.sign({"exp": 1, "user_name": "u", "scope": ["a"]})
    assert token.startswith("eyJhbGciOiJSUzI1NiJ9.")
    assert list(signer.verify(token)) == ["exp", "user_name", "scope"]
    header, payload, signature = token.split(".")
    assert signer.verify(f"{header}.{payload[:-2]}xx.{signature}") is None
    other = Signer(RSAKey.generate_key(2048, private=True))
    assert other.verify(token) is None


@pytest.mark.parametrize(
    ("value", "scopes"),
    [
        ("b a", ["a", "b"]),  # a sorted set, as Spring's TreeSet
        ("a+b", ["a", "b"]),  # the regex [\\s+] splits on a plus sign too
        ("a\tb\na", ["a", "b"]),
        ("SCOPE_A,SCOPE_B", ["SCOPE_A,SCOPE_B"]),  # never on a comma: one unknown scope
        ("a  b", ["", "a", "b"]),  # two separators make an empty scope between them
        (" a", ["", "a"]),
        ("a  ", ["a"]),  # trailing empty strings are dropped, as Java's String.split does
        ("a\u00a0b", ["a\u00a0b"]),  # Java's \\s is ASCII whitespace only
        ("   ", []),
        (None, []),
    ],
)
def test_parse_scope_splits_as_spring_does(value, scopes):
    assert parse_scope(value) == scopes


def services(signer: Signer, clock: Clock) -> TokenServices:
    """Token services over a memory store."""
    store = MemoryStore(clock)
    return TokenServices(store, signer, Approvals(store, clock), clock=clock)


def users(tokens: TokenServices) -> Users:
    """The built-in demo users, over the token services' store."""
    return Users(DirectoryFile(), tokens.store, tokens.clock)


def test_grants_order_client_id_check_before_grant_type(directory, signer):
    client = directory.client("exampleClientApplication")
    tokens = services(signer, Clock(start=1_000_000.0))
    with pytest.raises(OAuthError) as raised:
        token_response({"client_id": "other"}, client, users(tokens), tokens)
    assert (raised.value.status, raised.value.error) == (401, "invalid_client")


def test_access_token_expiry_and_revocation(directory, signer):
    clock = Clock(start=1_000_000.0)
    tokens = services(signer, clock)
    client = directory.client("exampleClientApplication")
    body = token_response(
        {
            "grant_type": "password",
            "username": "sam.viewer@xy-company.com",
            "password": "password2",
        },
        client,
        users(tokens),
        tokens,
    )
    claims = tokens.check_access_token(body["access_token"])
    assert claims["exp"] == int(clock.now) + 43200
    tokens.revoke_access_token(claims["jti"], claims["exp"])
    with pytest.raises(InvalidToken, match="not recognised"):
        tokens.check_access_token(body["access_token"])
    fresh = tokens.access_token(client, {"user_name": "u", "authorities": [], "scope": ["s"]})
    clock.advance(43200)
    with pytest.raises(InvalidToken, match="expired"):
        tokens.check_access_token(fresh["value"])


def test_refresh_token_expiry_uses_the_clock(directory, signer):
    clock = Clock(start=1_000_000.0)
    tokens = services(signer, clock)
    client = directory.client("exampleClientApplication")
    auth = {"client_id": client.client_id, "user_name": "sam.viewer@xy-company.com"}
    body = tokens.grant(client, {**auth, "authorities": [], "scope": ["s"]})
    clock.advance(2_592_000)
    with pytest.raises(OAuthError) as raised:
        token_response(
            {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
            client,
            users(tokens),
            tokens,
        )
    assert (raised.value.status, raised.value.error) == (401, "invalid_token")


def test_app_uses_its_own_cookie_name_and_json_order(tmp_path):
    app = create_app({"SIGNING_KEY_FILE": str(tmp_path / "k.pem"), "REDIS_URL": None})
    assert app.config["SESSION_COOKIE_NAME"] == "access_service_session"
    response = app.test_client().get("/login")
    assert response.headers["Set-Cookie"].startswith("access_service_session=")
    assert "script-src" not in response.headers["Content-Security-Policy"]


def test_hash_password_command_reads_stdin():
    result = subprocess.run(
        [sys.executable, "-m", "access_service", "hash-password"],
        input="s3cret\n",
        capture_output=True,
        text=True,
        check=True,
    )
    assert check_password_hash(result.stdout.strip(), "s3cret")


def test_every_demo_scope_has_words_and_the_approval_page_loses_none():
    import json

    from access_service.scopes import OTHER, by_topic, in_words

    data = json.loads((ROOT / "access_service" / "demo_data.json").read_text())
    scopes = sorted({scope for client in data["clients"] for scope in client["scope"]})
    assert len(scopes) >= 30
    assert [scope for scope in scopes if in_words(scope)[0] == OTHER] == []
    grouped = by_topic(scopes)
    assert sorted(code for _, items in grouped for _, code in items) == scopes
    assert all("SCOPE_" not in words for _, items in grouped for words, _ in items)
    assert in_words("SCOPE_MY_OWN_THING") == (OTHER, "My own thing")


def test_a_return_address_wraps_only_between_its_parts():
    from access_service.authorize import breakable

    assert str(breakable("http://127.0.0.1:5000/authcallback?a=1&b=2")) == (
        "http://<wbr>127.<wbr>0.<wbr>0.<wbr>1:5000/<wbr>authcallback?<wbr>a=1&amp;<wbr>b=2"
    )
    assert str(breakable("https://x/<script>")) == "https://<wbr>x/<wbr>&lt;script&gt;"
