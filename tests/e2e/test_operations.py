"""Operations: JSON logs and Prometheus metrics from the portal under gunicorn."""

import json
import re

import requests

from tests.support.auth import sign_in


def counter(text: str, name: str, labels: str = "") -> float:
    """The value of a sample in Prometheus exposition text (0 when absent)."""
    prefix = f"{name}{{{labels}}} " if labels else f"{name} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.split()[-1])
    return 0.0


def test_request_logs_are_json_lines_with_the_request_id(portal):
    response = requests.get(
        portal.url + "/healthz", headers={"X-Request-ID": "req-abc-123"}, timeout=5
    )
    assert response.headers["X-Request-ID"] == "req-abc-123"
    browser = sign_in(portal.url)
    profile = browser.get(portal.url + "/profile", headers={"X-Request-ID": "req-profile-456"})
    assert profile.status_code == 200
    logs = portal.logs_once(
        '"message":"request","request_id":"req-abc-123"',
        '"message":"request","request_id":"req-profile-456"',
        '"path":"/authcallback',
    )
    entries = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    requests_logged = [e for e in entries if e.get("logger") == "portal.access"]
    assert requests_logged, "no request lines"
    for entry in requests_logged:
        assert {
            "time",
            "level",
            "request_id",
            "method",
            "path",
            "status",
            "duration_ms",
            "user_ref",
        } <= entry.keys()
    assert any(
        e["request_id"] == "req-abc-123" and e["path"] == "/healthz" for e in requests_logged
    )
    profile_lines = [e for e in requests_logged if e["path"] == "/profile"]
    callback_lines = [e for e in requests_logged if e["path"].startswith("/authcallback")]
    assert callback_lines and profile_lines
    assert all(e["path"] == "/authcallback?[redacted]" for e in callback_lines)
    # A signed-in page names its user by a keyed hash, never by the user name.
    assert all(re.fullmatch(r"[0-9a-f]{16}", e["user_ref"] or "") for e in profile_lines)
    assert "alex.originator" not in portal.logs()
    # Every line of the portal's output is JSON, gunicorn's own included.
    lines = [line for line in portal.logs().splitlines() if line.strip()]
    assert len(lines) > 5
    assert all(line.startswith("{") for line in lines), [
        line for line in lines if not line.startswith("{")
    ][:3]


def test_metrics_count_sign_ins_across_workers(portal):
    before = requests.get(portal.url + "/metrics", timeout=5)
    assert before.status_code == 200
    assert before.headers["Content-Type"].startswith("text/plain")
    sign_ins = counter(before.text, "portal_sign_ins_total")
    for _ in range(3):
        sign_in(portal.url)
    after = requests.get(portal.url + "/metrics", timeout=5).text
    assert counter(after, "portal_sign_ins_total") == sign_ins + 3
    assert 'portal_http_request_duration_seconds_bucket{le="+Inf",route="/login"}' in after
    assert (
        counter(after, "portal_http_requests_total", 'method="GET",route="/login",status="302"')
        >= 3
    )


def test_metrics_refused_to_addresses_not_allowed(start_portal, redis_server, access_service):
    portal = start_portal(redis_server.url, access_service.url, METRICS_ALLOWED_IPS="10.9.9.9")
    assert requests.get(portal.url + "/metrics", timeout=5).status_code == 404
