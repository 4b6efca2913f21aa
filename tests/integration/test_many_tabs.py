"""Several tabs signing in at once in one browser (issue 23, item 3): every pending sign-in
survives until used or expired, each single use, at most MAX_PENDING per browser.

"At once" is made exact: every tab's /login is sent with the cookies the browser had before
any of them answered, and the browser then takes their Set-Cookie headers in some order, as
it does with concurrent responses (the previous design kept them in the session, whose last
write won: 2 of 4 tabs ended on "This sign-in link is not valid")."""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.auth.pending import MAX_PENDING
from tests.support.agent import SignInAgent
from tests.support.auth import portal_client

FIXTURES_KEPT = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def cookieless(app):
    """A test client on the portal's origin that keeps no cookies: the test's Jar does."""
    portal_client(app)
    return app.test_client(use_cookies=False)


class Jar:
    """The browser's cookies for the portal: what it sends, and each response applied."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def take(self, response) -> None:
        for line in response.headers.getlist("Set-Cookie"):
            for name, morsel in SimpleCookie(line).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value


def start_tabs_at_once(client, jar: Jar, nexts: list[str], order: list[int]):
    """Each tab's /login sent with the same cookies; the answers taken in `order`."""
    sent = jar.header()
    responses = [client.get("/login", query_string={"next": n}, headers=sent) for n in nexts]
    for index in order:
        jar.take(responses[index])
    return [response.headers["Location"] for response in responses]


def finish(client, jar: Jar, authorize_url: str):
    callback = urlsplit(SignInAgent().authorize(authorize_url))
    response = client.get(callback.path, query_string=callback.query, headers=jar.header())
    jar.take(response)
    return response, callback


def test_the_issues_input_four_tabs_at_once_all_sign_in(app):
    client = cookieless(app)
    jar = Jar()
    nexts = ["/profile", "/account", "/account/notifications", "/account/sessions"]
    urls = start_tabs_at_once(client, jar, nexts, order=[0, 1, 2, 3])
    for url, next_path in zip(urls, nexts, strict=True):
        response, _ = finish(client, jar, url)
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        assert response.headers["Location"] == next_path


@FIXTURES_KEPT
@given(data=st.data(), tabs=st.integers(2, MAX_PENDING), signed_in_before=st.booleans())
def test_tabs_at_once_each_sign_in_once(app, data, tabs, signed_in_before):
    client = cookieless(app)
    jar = Jar()
    if signed_in_before:  # a restored browser whose session ended, or a live one
        [url] = start_tabs_at_once(client, jar, ["/profile"], [0])
        finish(client, jar, url)
    nexts = [f"/profile?tab={n}" for n in range(tabs)]
    order = data.draw(st.permutations(range(tabs)))
    urls = start_tabs_at_once(client, jar, nexts, order)
    finishing = data.draw(st.permutations(range(tabs)))
    for index in finishing:
        response, callback = finish(client, jar, urls[index])
        assert response.status_code == 302
        assert response.headers["Location"] == nexts[index]
        # Single use: the same callback again is refused, and makes no token request.
        again = client.get(callback.path, query_string=callback.query, headers=jar.header())
        assert again.status_code == 400
    assert client.get("/profile", headers=jar.header()).status_code == 200


def test_a_browser_keeps_at_most_max_pending_sign_ins(app):
    client = cookieless(app)
    jar = Jar()
    urls = []
    for n in range(MAX_PENDING + 3):  # one after another: each sees the cookies before it
        urls += start_tabs_at_once(client, jar, [f"/profile?n={n}"], [0])
    assert sum(name.startswith("portal_sign_in_") for name in jar.cookies) == MAX_PENDING
    for url in urls[:3]:  # the oldest were dropped
        response, _ = finish(client, jar, url)
        assert response.status_code == 400
    for url in urls[3:]:
        response, _ = finish(client, jar, url)
        assert response.status_code == 302


def test_another_browsers_state_is_refused(app):
    client = cookieless(app)
    mine, theirs = Jar(), Jar()
    [url] = start_tabs_at_once(client, theirs, ["/profile"], [0])
    state = parse_qs(urlsplit(url).query)["state"][0]
    assert state
    response, _ = finish(client, mine, url)  # their sign-in link, opened in my browser
    assert response.status_code == 400
    assert "not valid for this browser" in response.get_data(as_text=True)


def test_pending_sign_ins_expire(app, clock):
    client = cookieless(app)
    jar = Jar()
    [url] = start_tabs_at_once(client, jar, ["/profile"], [0])
    clock.advance(3600)
    response, _ = finish(client, jar, url)
    assert response.status_code == 400
