"""Error pages a person may have to report: a server error shows the request's id, the same id
as in the response's X-Request-ID and in the log lines of that request."""

from __future__ import annotations

import json

import pytest

from app import create_app
from app.web.logs import ACCESS_LINES
from config import Settings


@pytest.fixture()
def failing_client(environ, redis_client, clock):
    app = create_app(Settings.from_env(environ), clock=clock, testing=True)

    def broken() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/broken", view_func=broken)
    return app.test_client()


def test_the_500_page_shows_the_request_id_that_the_logs_carry(failing_client, caplog, capsys):
    response = failing_client.get("/broken")
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    page = response.get_data(as_text=True)
    assert f'<code id="request-id">{request_id}</code>' in page
    assert "Traceback" not in page and "a bug" not in page
    errors = [record for record in caplog.records if record.exc_info]
    assert [record.request_id for record in errors] == [request_id]  # logged once, with the id
    ACCESS_LINES.flush()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    access = [line for line in lines if line["logger"] == "portal.access"]
    assert [line["request_id"] for line in access] == [request_id]


def test_the_proxys_request_id_is_the_one_shown(failing_client):
    response = failing_client.get("/broken", headers={"X-Request-ID": "nginx-0123456789abcdef"})
    assert 'id="request-id">nginx-0123456789abcdef<' in response.get_data(as_text=True)


def test_a_page_that_is_simply_missing_shows_no_reference(failing_client):
    response = failing_client.get("/no-such-page")
    assert response.status_code == 404
    assert "request-id" not in response.get_data(as_text=True)
