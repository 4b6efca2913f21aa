"""Sign-out never waits on the platform's revocation (issue 23, item 5): with a revocation
endpoint that hangs, the browser has its redirect to the platform's sign-out while the
revocation is still unanswered; the revocation then finishes, or gives up and says so."""

from __future__ import annotations

import pytest

from tests.support.auth import sign_in
from tests.support.environment import portal_environment
from tests.support.hung import TOKEN_WAIT, HungRevocation
from tests.support.processes import Portal


@pytest.fixture()
def hung():
    endpoint = HungRevocation()
    yield endpoint
    endpoint.close()


# answers-later: the portal would wait 120 s for the revocation, the browser's sign-out does
# not (it fails at TOKEN_WAIT if it waits); never-answers: the portal gives up after 2 s.
@pytest.mark.parametrize(
    ("answers", "read_timeout"),
    [(True, "120"), (False, "2")],
    ids=["answers-later", "never-answers"],
)
def test_sign_out_is_sent_on_while_the_revocation_hangs(
    answers, read_timeout, hung, redis_server, redis_client, access_service, tmp_path
):
    environ = portal_environment(
        redis_server.url,
        access_service.url,
        COCOON_REVOCATION_URL=hung.url,
        HTTP_READ_TIMEOUT=read_timeout,
    )
    portal = Portal(tmp_path / "portal", environ).start()
    try:
        browser = sign_in(portal.url)
        html = browser.get(portal.url + "/profile", timeout=10).text
        token = html.split('name="csrf_token" value="')[1].split('"')[0]
        response = browser.post(
            portal.url + "/logout",
            data={"csrf_token": token},
            headers={"Origin": portal.url},
            allow_redirects=False,
            timeout=TOKEN_WAIT,
        )
        # The browser has its answer, and the revocation has had none yet.
        assert not hung.release.is_set()
        assert response.status_code == 303
        assert response.headers["Location"].startswith(access_service.url + "/logout?")
        assert browser.get(portal.url + "/profile", allow_redirects=False).status_code == 302
        # The revocation still goes out, after the response.
        assert hung.arrived.wait(TOKEN_WAIT)
        assert len(hung.tokens) == 1
        if answers:
            hung.release.set()
        else:  # the portal gives up after its read timeout, and logs it
            portal.logs_once("token revocation failed", timeout=TOKEN_WAIT)
            assert hung.tokens[0] not in portal.logs()
    finally:
        portal.stop()
