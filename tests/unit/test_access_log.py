"""The access line the portal writes for every request (app/logs.py: AccessLog), around plain
WSGI apps: what it logs, what it echoes, and that a failing app is still logged."""

import json
import logging

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from app.logs import ACCESS_LOGGER, ROUTE_KEY, USER_KEY, AccessLog
from config.log_format import JsonFormatter

SECRET = "unit-secret-key-0123456789abcdef0123456789"


@Request.application
def page(request: Request) -> Response:
    request.environ[ROUTE_KEY] = "/profile"
    request.environ[USER_KEY] = "alex"
    return Response("ok")


def failing(environ, start_response):
    raise RuntimeError("the app broke")


def access_lines(caplog) -> list[dict]:
    return [
        json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == ACCESS_LOGGER
    ]


def test_a_request_is_one_line_with_its_id_echoed(caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    response = Client(AccessLog(page, SECRET)).get("/profile?tab=roles")
    [line] = access_lines(caplog)
    assert response.headers["X-Request-ID"] == line["request_id"]
    assert len(line["request_id"]) == 32
    assert line["path"] == "/profile?tab=roles" and line["status"] == 200
    assert line["method"] == "GET" and line["duration_ms"] >= 0
    assert line["user_ref"] and "alex" not in json.dumps(line)


@pytest.mark.parametrize(
    ("incoming", "honoured"),
    [("req-abc-123", True), ("evil\tforged\x7fline", False), ("x" * 129, False), ("", False)],
)
def test_a_proxy_request_id_is_honoured_only_when_it_looks_like_one(caplog, incoming, honoured):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    response = Client(AccessLog(page, SECRET)).get("/", headers={"X-Request-ID": incoming})
    assert (response.headers["X-Request-ID"] == incoming) is honoured
    assert access_lines(caplog)[0]["request_id"] == response.headers["X-Request-ID"]


def test_the_callback_query_is_never_logged(caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    Client(AccessLog(page, SECRET)).get("/authcallback?code=secret-code&state=secret-state")
    [line] = access_lines(caplog)
    assert line["path"] == "/authcallback?[redacted]"
    assert "secret" not in json.dumps(line)


def test_an_app_that_fails_is_still_logged_as_a_500(caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    with pytest.raises(RuntimeError):
        Client(AccessLog(failing, SECRET)).get("/profile")
    [line] = access_lines(caplog)
    assert line["status"] == 500 and line["path"] == "/profile"
