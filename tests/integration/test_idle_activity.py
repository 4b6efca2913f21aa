"""Only what a person does slides the idle timeout (issue 23, item 8): probes, the metrics
scraper, static files, 404s, HEAD and OPTIONS carrying the session's cookie leave the session's
TTL in Redis as it was."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.pages import session_id

NOT_ACTIVITY = [
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/static/portal.css"),
    ("GET", "/favicon.ico"),
    ("GET", "/no-such-page"),
    ("GET", "/account/no-such-page"),
    ("POST", "/healthz"),  # 405
    ("HEAD", "/profile"),
    ("OPTIONS", "/account"),
    ("GET", "/account/"),  # no such route (a slash too many)
]
LOWERED_TTL = 100  # seconds: well below SESSION_IDLE_TIMEOUT (1800) less the slide step


def ttl(redis_client, client) -> int:
    return redis_client.ttl(f"portal:session:{session_id(client)}")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(requests=st.lists(st.sampled_from(NOT_ACTIVITY), min_size=1, max_size=6))
def test_requests_that_are_no_persons_activity_do_not_slide(signed_in_once, redis_client, requests):
    client = signed_in_once
    redis_client.expire(f"portal:session:{session_id(client)}", LOWERED_TTL)
    for method, path in requests:
        client.open(path, method=method)
    assert 0 < ttl(redis_client, client) <= LOWERED_TTL


def test_a_page_the_person_opens_slides(signed_in_once, redis_client):
    client = signed_in_once
    redis_client.expire(f"portal:session:{session_id(client)}", LOWERED_TTL)
    assert client.get("/metrics").status_code == 200
    assert ttl(redis_client, client) <= LOWERED_TTL
    assert client.get("/profile").status_code == 200
    assert ttl(redis_client, client) > 1700
