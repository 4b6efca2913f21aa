"""The same requests to the emulator and to a real Spring Security OAuth2 2.4.0 server
(tests/fidelity/spring-server/), compared as a client reads them.

Each case makes its requests against one server and hands back the answer that matters; both
answers are reduced to what a client reads (`view`): the status, WWW-Authenticate,
Content-Type, Cache-Control, Pragma, Location with its parameters, the keys of a JSON body and
its `error` and `error_description`. Values that differ by nature (tokens, codes, timestamps,
seconds left) become placeholders. A case listed in tests/fidelity/deviations.py must differ;
every other case must agree. The count is printed at the end of the run.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
import requests

from tests.fidelity.deviations import DEVIATIONS
from tests.support.agent import SignInAgent, parse_forms
from tests.support.processes import ROOT
from tests.support.reference_server import SHORT_REFRESH

EXAMPLE = ("exampleClientApplication", "exampleClientApplicationSecret")
APPROVAL = ("approvalClientApplication", "approvalClientApplicationSecret")
SYSTEM = ("systemServiceClient", "systemServiceClientSecret")
SHORT = (SHORT_REFRESH.client_id, SHORT_REFRESH.secret)
ALEX = ("alex.originator@xy-company.com", "password1")
SAM = ("sam.viewer@xy-company.com", "password2")
REDIRECT = "http://127.0.0.1:5000/authcallback"
TIMEOUT = 15
# Headers a client reads; everything else (Date, X-XSS-Protection, ...) is not compared.
READ_HEADERS = ("WWW-Authenticate", "Cache-Control", "Pragma")
# Location parameters whose values differ by nature between two servers.
VARYING = {"code", "access_token", "jti", "expires_in"}
JWT = re.compile(r"[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Server:
    """One of the two servers, and the values a case met there (to replace by their names)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.values: dict[str, str] = {}

    def remember(self, value: str, name: str) -> str:
        self.values[value] = f"<{name}>"
        return value

    def post(self, path: str, data=None, auth=EXAMPLE, **kwargs) -> requests.Response:
        return requests.post(
            self.url + path, data=data, auth=auth, allow_redirects=False, timeout=TIMEOUT, **kwargs
        )

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, allow_redirects=False, timeout=TIMEOUT, **kwargs)

    def token(self, data=None, auth=EXAMPLE, **kwargs) -> requests.Response:
        return self.post("/api/oauth/token", data, auth, **kwargs)

    def password_grant(self, client=EXAMPLE, user=ALEX, **extra: str) -> dict:
        """A successful password grant's tokens, remembered as <access_token>, <refresh_token>."""
        data = {"grant_type": "password", "username": user[0], "password": user[1], **extra}
        response = self.token(data, auth=client)
        assert response.status_code == 200, response.text
        tokens = response.json()
        self.remember(tokens["access_token"], "access_token")
        self.remember(tokens["refresh_token"], "refresh_token")
        return tokens


# Signed-in browsers, one per server and user, kept for the session.
_AGENTS: dict[tuple[str, str], SignInAgent] = {}


def signed_in(server: Server, user=ALEX) -> SignInAgent:
    """A browser signed in to server as user (through its sign-in page)."""
    key = (server.url, user[0])
    if key not in _AGENTS:
        agent = SignInAgent(*user)
        agent.authorize(authorize_url(server))
        _AGENTS[key] = agent
    return _AGENTS[key]


def authorize_url(server: Server, query: str | None = None, **params: str) -> str:
    """The authorize URL with params (default: a code for the example client) or a raw query."""
    if query is None:
        params = {
            "response_type": "code",
            "client_id": EXAMPLE[0],
            "redirect_uri": REDIRECT,
            **params,
        }
        query = urlencode(params)
    return f"{server.url}/api/oauth/authorize?{query}"


def authorize(server: Server, query: str | None = None, user=ALEX, approve=True, **params: str):
    """A signed-in user's authorize request, through the approval page when there is one; the
    answer that leaves the server (a redirect) or its error page."""
    agent = signed_in(server, user)
    agent.approve = approve
    response = agent.http.get(
        authorize_url(server, query, **params), allow_redirects=False, timeout=TIMEOUT
    )
    if response.status_code == 200 and _is_approval_page(response):
        response = agent.submit(response)
    return response


def _is_approval_page(response: requests.Response) -> bool:
    return any(
        name == "user_oauth_approval"
        for form in parse_forms(response.text)
        for name, _ in form["buttons"]
    )


def code_for(server: Server, client=EXAMPLE, user=ALEX, **params: str) -> str:
    """A fresh authorization code for client and user."""
    response = authorize(server, user=user, client_id=client[0], **params)
    query = dict(
        part.split("=", 1) for part in urlsplit(response.headers["Location"]).query.split("&")
    )
    return server.remember(query["code"], "code")


# ---------------------------------------------------------------------------------------------
# Reducing an answer to what a client reads


def _text(server: Server, value: str | None) -> str | None:
    if value is None:
        return None
    for known, name in server.values.items():
        value = value.replace(known, name)
    value = JWT.sub("<jwt>", value)
    return UUID.sub("<uuid>", value)


def _params(server: Server, encoded: str) -> list[tuple[str, str]]:
    """Parameters as sent (still percent-encoded: how `state` is escaped matters), sorted."""
    pairs = []
    for part in filter(None, encoded.split("&")):
        name, _, value = part.partition("=")
        pairs.append((name, f"<{name}>" if name in VARYING else _text(server, value)))
    return sorted(pairs)


def _location(server: Server, value: str | None) -> dict | None:
    if value is None:
        return None
    absolute = urljoin(server.url + "/", value)
    parts = urlsplit(absolute)
    origin = "<server>" if absolute.startswith(server.url) else f"{parts.scheme}://{parts.netloc}"
    return {
        "to": origin + parts.path,
        "query": _params(server, parts.query),
        "fragment": _params(server, parts.fragment),
    }


def _content_type(value: str | None) -> str | None:
    return value.lower().replace(" ", "") if value else None


def _body(server: Server, response: requests.Response) -> object:
    if not response.content:
        return ""
    media = _content_type(response.headers.get("Content-Type")) or ""
    if media.startswith("application/json"):
        body = response.json()
        if not isinstance(body, dict):
            return type(body).__name__
        seen: dict[str, object] = {"keys": sorted(body)}
        for name in ("error", "error_description", "status", "path", "alg", "token_type"):
            if name in body:
                seen[name] = _text(server, str(body[name]))
        return seen
    return media.split(";")[0]  # an HTML page or other text: its kind only


def view(server: Server, response: requests.Response) -> dict:
    """What a client reads of response."""
    return {
        "status": response.status_code,
        **{name: _text(server, response.headers.get(name)) for name in READ_HEADERS},
        "Content-Type": _content_type(response.headers.get("Content-Type")),
        "Location": _location(server, response.headers.get("Location")),
        "body": _body(server, response),
    }


# ---------------------------------------------------------------------------------------------
# The cases: name -> what to do against one server

CASES: dict[str, Callable[[Server], requests.Response]] = {}


def case(name: str):
    def register(function: Callable[[Server], requests.Response]):
        assert name not in CASES, name
        CASES[name] = function
        return function

    return register


PASSWORD = {"grant_type": "password", "username": ALEX[0], "password": ALEX[1]}

# Client authentication, on /token and /check_token: Spring Security's filter answers.
case("token: no client credentials")(lambda s: s.token(PASSWORD, auth=None))
case("token: wrong client secret")(lambda s: s.token(PASSWORD, auth=(EXAMPLE[0], "wrong")))
case("token: unknown client")(lambda s: s.token(PASSWORD, auth=("nobody", "x")))
case("token: empty client secret")(lambda s: s.token(PASSWORD, auth=(EXAMPLE[0], "")))
case("token: Basic credentials not base64")(
    lambda s: s.token(PASSWORD, auth=None, headers={"Authorization": "Basic %%%"})
)
case("token: Basic credentials without a colon")(
    lambda s: s.token(PASSWORD, auth=None, headers={"Authorization": "Basic ZXhhbXBsZQ=="})
)
case("token: Bearer instead of Basic")(
    lambda s: s.token(PASSWORD, auth=None, headers={"Authorization": "Bearer abc"})
)
case("token: client_secret in the form")(
    lambda s: s.token({**PASSWORD, "client_id": EXAMPLE[0], "client_secret": EXAMPLE[1]}, auth=None)
)
case("token: GET without credentials")(lambda s: s.get("/api/oauth/token", params=PASSWORD))
case("token: GET with credentials")(
    lambda s: s.get("/api/oauth/token", params=PASSWORD, auth=EXAMPLE)
)
case("token: PUT with credentials")(
    lambda s: requests.put(s.url + "/api/oauth/token", data=PASSWORD, auth=EXAMPLE, timeout=TIMEOUT)
)
case("check_token: no client credentials")(
    lambda s: s.post("/api/oauth/check_token", {"token": "x"}, auth=None)
)
case("check_token: wrong client secret")(
    lambda s: s.post("/api/oauth/check_token", {"token": "x"}, auth=(EXAMPLE[0], "wrong"))
)

# Token endpoint parameters, the client authenticated.
case("token: no grant_type")(lambda s: s.token({"username": ALEX[0], "password": ALEX[1]}))
case("token: empty grant_type")(lambda s: s.token({**PASSWORD, "grant_type": ""}))
case("token: unknown grant_type")(lambda s: s.token({**PASSWORD, "grant_type": "magic"}))
case("token: grant_type=implicit")(lambda s: s.token({**PASSWORD, "grant_type": "implicit"}))
case("token: client_credentials for a client without it")(
    lambda s: s.token({"grant_type": "client_credentials"})
)
case("token: authorization_code for a client without it")(
    lambda s: s.token({"grant_type": "authorization_code", "code": "abc"}, auth=SYSTEM)
)
case("token: client_id differs from the Basic user")(
    lambda s: s.token({**PASSWORD, "client_id": APPROVAL[0]})
)
case("token: client_id same as the Basic user")(
    lambda s: s.token({**PASSWORD, "client_id": EXAMPLE[0]})
)
case("token: password grant")(lambda s: s.token(PASSWORD))
case("token: password grant, system client")(lambda s: s.token(PASSWORD, auth=SYSTEM))
case("token: password grant, wrong password")(lambda s: s.token({**PASSWORD, "password": "nope"}))
case("token: password grant, unknown user")(
    lambda s: s.token({**PASSWORD, "username": "nobody@xy-company.com"})
)
case("token: password grant, no username")(
    lambda s: s.token({"grant_type": "password", "password": "x"})
)
case("token: password grant, no password")(
    lambda s: s.token({"grant_type": "password", "username": ALEX[0]})
)
case("token: password grant, narrower scope")(
    lambda s: s.token({**PASSWORD, "scope": "SCOPE_VIEW SCOPE_PRINT"})
)
case("token: password grant, unknown scope")(
    lambda s: s.token({**PASSWORD, "scope": "SCOPE_VIEW SCOPE_NOPE"})
)
case("token: scope separated by a comma")(
    lambda s: s.token({**PASSWORD, "scope": "SCOPE_VIEW,SCOPE_PRINT"})
)
case("token: scope separated by a plus")(
    lambda s: s.token({**PASSWORD, "scope": "SCOPE_VIEW+SCOPE_PRINT"})
)
case("token: password grant for a two-factor user")(
    lambda s: s.token(
        {**PASSWORD, "username": "morgan.twofactor@xy-company.com", "password": "password3"}
    )
)
case("token: parameters in the query string")(
    lambda s: s.post("/api/oauth/token?" + urlencode(PASSWORD))
)
case("token: JSON body")(lambda s: s.post("/api/oauth/token", json=PASSWORD))
case("token: grant_type given twice, the same")(
    lambda s: s.token(
        urlencode(PASSWORD) + "&grant_type=password",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
)
case("token: grant_type given twice, different")(
    lambda s: s.token(
        urlencode(PASSWORD) + "&grant_type=refresh_token",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
)
case("token: scope given twice")(
    lambda s: s.token(
        urlencode(PASSWORD) + "&scope=SCOPE_SHARE&scope=SCOPE_PRINT",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
)


def _form(charset: str | None, body: bytes):
    content_type = "application/x-www-form-urlencoded" + (f"; charset={charset}" if charset else "")
    return lambda s: s.token(body, headers={"Content-Type": content_type})


_SCOPE_E_ACUTE = "SCOPE_CAF\u00c9"
for _charset, _encoding in ((None, "utf-8"), ("UTF-8", "utf-8"), ("ISO-8859-1", "latin-1")):
    case(f"token: non-ASCII scope, {_charset or 'no'} charset")(
        _form(
            _charset, urlencode({**PASSWORD, "scope": _SCOPE_E_ACUTE}, encoding=_encoding).encode()
        )
    )


@case("token: authorization_code grant")
def _code_grant(s: Server):
    return s.token(
        {"grant_type": "authorization_code", "code": code_for(s), "redirect_uri": REDIRECT}
    )


@case("token: authorization_code, no code")
def _no_code(s: Server):
    return s.token({"grant_type": "authorization_code", "redirect_uri": REDIRECT})


@case("token: authorization_code, unknown code")
def _unknown_code(s: Server):
    return s.token({"grant_type": "authorization_code", "code": "AbC123", "redirect_uri": REDIRECT})


@case("token: authorization_code used twice")
def _code_twice(s: Server):
    data = {"grant_type": "authorization_code", "code": code_for(s), "redirect_uri": REDIRECT}
    assert s.token(data).status_code == 200
    return s.token(data)


@case("token: authorization_code, another redirect_uri")
def _code_other_uri(s: Server):
    data = {
        "grant_type": "authorization_code",
        "code": code_for(s),
        "redirect_uri": "http://localhost:5000/authcallback",
    }
    return s.token(data)


@case("token: authorization_code, no redirect_uri")
def _code_no_uri(s: Server):
    return s.token({"grant_type": "authorization_code", "code": code_for(s)})


@case("token: authorization_code of another client")
def _code_other_client(s: Server):
    data = {"grant_type": "authorization_code", "code": code_for(s), "redirect_uri": REDIRECT}
    return s.token(data, auth=APPROVAL)


@case("token: authorization_code, narrower scope at authorize")
def _code_narrow(s: Server):
    code = code_for(s, scope="SCOPE_VIEW SCOPE_PRINT")
    return s.token({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT})


@case("token: PKCE code_verifier that does not match")
def _pkce_wrong(s: Server):
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 appendix B
    code = code_for(s, code_challenge=challenge, code_challenge_method="S256")
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": "x" * 43,
    }
    return s.token(data)


@case("token: PKCE code_verifier that matches")
def _pkce_right(s: Server):
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    code = code_for(s, code_challenge=challenge, code_challenge_method="S256")
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    return s.token(data)


# Refresh.
@case("token: refresh")
def _refresh(s: Server):
    refresh = s.password_grant()["refresh_token"]
    return s.token({"grant_type": "refresh_token", "refresh_token": refresh})


case("token: refresh, no refresh_token")(lambda s: s.token({"grant_type": "refresh_token"}))
case("token: refresh, unknown refresh_token")(
    lambda s: s.token({"grant_type": "refresh_token", "refresh_token": "not-a-token"})
)


@case("token: refresh, another client's refresh_token")
def _refresh_other(s: Server):
    refresh = s.password_grant(client=APPROVAL)["refresh_token"]
    return s.token({"grant_type": "refresh_token", "refresh_token": refresh})


@case("token: refresh, narrower scope")
def _refresh_narrow(s: Server):
    refresh = s.password_grant()["refresh_token"]
    return s.token(
        {"grant_type": "refresh_token", "refresh_token": refresh, "scope": "SCOPE_RENAME"}
    )


@case("token: refresh narrowing to a scope the user holds a token for")
def _refresh_narrow_taken(s: Server):
    s.password_grant(client=SYSTEM, scope="SCOPE_DOWNLOAD")
    refresh = s.password_grant(client=SYSTEM)["refresh_token"]
    data = {"grant_type": "refresh_token", "refresh_token": refresh, "scope": "SCOPE_DOWNLOAD"}
    return s.token(data, auth=SYSTEM)


@case("token: refresh, wider scope")
def _refresh_wide(s: Server):
    refresh = s.password_grant(scope="SCOPE_MOVE")["refresh_token"]
    return s.token(
        {"grant_type": "refresh_token", "refresh_token": refresh, "scope": "SCOPE_MOVE SCOPE_COPY"}
    )


@case("token: refresh, expired refresh_token")
def _refresh_expired(s: Server):
    refresh = s.remember(aged(s, "refresh")["refresh_token"], "refresh_token")
    return s.token({"grant_type": "refresh_token", "refresh_token": refresh}, auth=SHORT)


@case("check_token: old access token after a refresh")
def _check_after_refresh(s: Server):
    tokens = s.password_grant(client=SYSTEM, user=SAM)
    refreshed = s.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, auth=SYSTEM
    )
    assert refreshed.status_code == 200, refreshed.text
    return s.post("/api/oauth/check_token", {"token": tokens["access_token"]}, auth=SYSTEM)


# check_token and token_key.
@case("check_token: a valid access token")
def _check_valid(s: Server):
    return s.post("/api/oauth/check_token", {"token": s.password_grant()["access_token"]})


case("check_token: no token parameter")(lambda s: s.post("/api/oauth/check_token", {}))
case("check_token: an unknown token")(lambda s: s.post("/api/oauth/check_token", {"token": "abc"}))
case("check_token: GET")(
    lambda s: s.get("/api/oauth/check_token", params={"token": "abc"}, auth=EXAMPLE)
)


@case("check_token: an expired access token")
def _check_expired(s: Server):
    return s.post(
        "/api/oauth/check_token",
        {"token": s.remember(aged(s, "check_token")["access_token"], "access_token")},
        auth=SHORT,
    )


case("token_key: GET")(lambda s: s.get("/api/oauth/token_key"))
case("token_key: POST")(lambda s: s.post("/api/oauth/token_key", auth=None))

# Authorize, not signed in: the sign-in page first, whatever the request.
case("authorize: not signed in")(
    lambda s: s.get("/api/oauth/authorize?" + urlsplit(authorize_url(s)).query)
)
case("authorize: not signed in, unknown client")(
    lambda s: s.get("/api/oauth/authorize?response_type=code&client_id=nobody")
)
case("authorize: not signed in, no parameters")(lambda s: s.get("/api/oauth/authorize"))

# Authorize, signed in.
case("authorize: code, auto-approved client")(lambda s: authorize(s, state="xyz"))
case("authorize: code, no state")(lambda s: authorize(s))
case("authorize: code, approved on the page")(
    lambda s: authorize(s, user=SAM, client_id=APPROVAL[0], state="xyz")
)
case("authorize: code, denied on the page")(
    lambda s: authorize(s, user=SAM, approve=False, client_id=APPROVAL[0], state="xyz")
)
case("authorize: implicit, denied on the page")(
    lambda s: authorize(
        s, user=SAM, approve=False, client_id=APPROVAL[0], response_type="token", state="xyz"
    )
)
case("authorize: the approval page")(
    lambda s: signed_in(s, SAM).http.get(
        authorize_url(s, client_id=APPROVAL[0]), allow_redirects=False, timeout=TIMEOUT
    )
)


@case("authorize: approval client while the user holds its token")
def _approval_again(s: Server):
    s.password_grant(client=APPROVAL)
    url = authorize_url(s, client_id=APPROVAL[0], state="xyz")
    return signed_in(s).http.get(url, allow_redirects=False, timeout=TIMEOUT)


case("authorize: implicit")(lambda s: authorize(s, response_type="token", state="xyz"))
case("authorize: response_type=code token")(
    lambda s: authorize(s, response_type="code token", state="xyz")
)
case("authorize: response_type=token code")(
    lambda s: authorize(s, response_type="token code", state="xyz")
)
case("authorize: unknown response_type")(lambda s: authorize(s, response_type="magic", state="xyz"))
case("authorize: no response_type")(
    lambda s: authorize(s, f"client_id={EXAMPLE[0]}&redirect_uri={REDIRECT}&state=xyz")
)
case("authorize: unknown client")(lambda s: authorize(s, client_id="nobody"))
case("authorize: no client_id")(
    lambda s: authorize(s, f"response_type=code&redirect_uri={REDIRECT}")
)
case("authorize: client without redirect URIs")(lambda s: authorize(s, client_id=SYSTEM[0]))
case("authorize: unregistered redirect URI")(
    lambda s: authorize(s, redirect_uri="https://evil.example/authcallback", state="xyz")
)
case("authorize: registered redirect URI with another path")(
    lambda s: authorize(s, redirect_uri="http://127.0.0.1:5000/other", state="xyz")
)
case("authorize: loopback redirect URI on another port")(
    lambda s: authorize(s, redirect_uri="http://127.0.0.1:5999/authcallback", state="xyz")
)
case("authorize: no redirect_uri")(
    lambda s: authorize(s, f"response_type=code&client_id={EXAMPLE[0]}&state=xyz")
)
case("authorize: unknown scope")(lambda s: authorize(s, scope="SCOPE_VIEW SCOPE_NOPE", state="xyz"))
case("authorize: unknown scope, implicit")(
    lambda s: authorize(s, response_type="token", scope="SCOPE_NOPE", state="xyz")
)
case("authorize: narrower scope")(
    lambda s: authorize(s, scope="SCOPE_VIEW SCOPE_PRINT", state="xyz")
)
for _label, _state in (
    ("spaces and plus", "a b+c"),
    ("reserved characters", "x/y?z&w=v#f"),
    ("percent and non-ASCII", "100% caf\u00e9"),
    ("quotes and brackets", "\"'<>[]{}"),
):
    case(f"authorize: state with {_label}")(lambda s, state=_state: authorize(s, state=state))
case("authorize: state with a raw plus")(
    lambda s: authorize(
        s, f"response_type=code&client_id={EXAMPLE[0]}&redirect_uri={REDIRECT}&state=a+b%2Bc"
    )
)
case("authorize: state that is not UTF-8")(
    lambda s: authorize(
        s, f"response_type=code&client_id={EXAMPLE[0]}&redirect_uri={REDIRECT}&state=caf%E9"
    )
)
case("authorize: PKCE challenge")(
    lambda s: authorize(
        s,
        code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method="S256",
    )
)

# The resource server's own behaviour at GET /api/v1/users/me.
case("users/me: no token")(lambda s: s.get("/api/v1/users/me"))
case("users/me: a token that is not one")(
    lambda s: s.get("/api/v1/users/me", headers={"Authorization": "Bearer not-a-token"})
)
case("users/me: Basic credentials")(lambda s: s.get("/api/v1/users/me", auth=EXAMPLE))
case("users/me: a valid token")(
    lambda s: s.get(
        "/api/v1/users/me",
        headers={"Authorization": "Bearer " + s.password_grant()["access_token"]},
    )
)
case("users/me: a valid token as access_token parameter")(
    lambda s: s.get("/api/v1/users/me", params={"access_token": s.password_grant()["access_token"]})
)


@case("users/me: an expired token")
def _me_expired(s: Server):
    token = s.remember(aged(s, "users/me")["access_token"], "access_token")
    return s.get("/api/v1/users/me", headers={"Authorization": "Bearer " + token})


# ---------------------------------------------------------------------------------------------
# Tokens that have run out: taken from both servers at once, then one wait for both.

# One token set per use, each of its own scope: with a token store, one user, client and scope
# share one token, and using one (a refresh, a resource request) may remove it.
AGED_SCOPES = {"refresh": "SCOPE_COPY", "check_token": "SCOPE_VIEW", "users/me": "SCOPE_PRINT"}
_AGED: dict[tuple[str, str], dict] = {}
_AGED_AT: list[float] = []


@pytest.fixture(scope="module")
def servers(fidelity_emulator, reference_server) -> tuple[Server, Server]:
    return Server(fidelity_emulator.url), Server(reference_server.url)


def aged(server: Server, use: str) -> dict:
    """Tokens of SHORT_REFRESH (1 s access, 2 s refresh) for sam, for `use`, both run out."""
    wait = SHORT_REFRESH.refresh_token_validity + 0.5 - (time.monotonic() - _AGED_AT[0])
    if wait > 0:
        time.sleep(wait)
    return _AGED[server.url, use]


@pytest.fixture(scope="module")
def aged_tokens(servers) -> None:
    """Take the tokens `aged` hands out, from both servers at once."""
    for server in servers:
        for use, scope in AGED_SCOPES.items():
            _AGED[server.url, use] = server.password_grant(client=SHORT, user=SAM, scope=scope)
    _AGED_AT.append(time.monotonic())


@pytest.mark.parametrize("name", list(CASES))
def test_same_answer_from_both_servers(name, servers, aged_tokens):
    emulator, spring = Server(servers[0].url), Server(servers[1].url)
    ours = view(emulator, CASES[name](emulator))
    theirs = view(spring, CASES[name](spring))
    if name in DEVIATIONS:
        assert ours != theirs, "listed as a deviation, yet both agree: take it out of deviations.py"
    else:
        assert ours == theirs


def test_every_deviation_is_a_case():
    assert set(DEVIATIONS) <= set(CASES)


def test_the_emulator_page_gives_the_count():
    readme = (ROOT / "docs" / "emulator.md").read_text()
    agree = len(CASES) - len(DEVIATIONS)
    assert (
        f"**{len(CASES)} cases**: {agree} agree, {len(DEVIATIONS)} are deliberate deviations"
        in readme
    )
