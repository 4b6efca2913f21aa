"""The access line the portal writes for every request (app/web/logs.py: AccessLog), around plain
WSGI apps: what it logs, what it echoes, and that a failing app is still logged."""

import io
import json
import logging
import select
import subprocess
import sys
import time

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from app.web.logs import ACCESS_LOGGER, ROUTE_KEY, USER_KEY, AccessLines, AccessLog

SECRET = "unit-secret-key-0123456789abcdef0123456789"


@Request.application
def page(request: Request) -> Response:
    request.environ[ROUTE_KEY] = "/profile"
    request.environ[USER_KEY] = "alex"
    return Response("ok")


def failing(environ, start_response):
    raise RuntimeError("the app broke")


class Written(io.StringIO):
    """A stream that keeps each write apart."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


@pytest.fixture()
def lines(caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)  # as LOG_LEVEL=INFO sets it
    return AccessLines(Written())


def logged(app, lines: AccessLines) -> Client:
    return Client(AccessLog(app, SECRET, lines))


def access_lines(lines: AccessLines) -> list[dict]:
    lines.flush()
    assert isinstance(lines.stream, Written)
    return [json.loads(line) for line in lines.stream.getvalue().splitlines()]


def test_a_request_is_one_line_with_its_id_echoed(lines):
    response = logged(page, lines).get("/profile?tab=roles")
    [line] = access_lines(lines)
    assert line["logger"] == ACCESS_LOGGER and line["level"] == "INFO"
    assert response.headers["X-Request-ID"] == line["request_id"]
    assert len(line["request_id"]) == 32
    assert line["path"] == "/profile?tab=roles" and line["status"] == 200
    assert line["method"] == "GET" and line["duration_ms"] >= 0
    assert line["user_ref"] and "alex" not in json.dumps(line)


@pytest.mark.parametrize(
    ("incoming", "honoured"),
    [("req-abc-123", True), ("evil\tforged\x7fline", False), ("x" * 129, False), ("", False)],
)
def test_a_proxy_request_id_is_honoured_only_when_it_looks_like_one(lines, incoming, honoured):
    response = logged(page, lines).get("/", headers={"X-Request-ID": incoming})
    assert (response.headers["X-Request-ID"] == incoming) is honoured
    assert access_lines(lines)[0]["request_id"] == response.headers["X-Request-ID"]


def test_the_callback_query_is_never_logged(lines):
    logged(page, lines).get("/authcallback?code=secret-code&state=secret-state")
    [line] = access_lines(lines)
    assert line["path"] == "/authcallback?[redacted]"
    assert "secret" not in json.dumps(line)


def test_an_app_that_fails_is_still_logged_as_a_500(lines):
    with pytest.raises(RuntimeError):
        logged(failing, lines).get("/profile")
    [line] = access_lines(lines)
    assert line["status"] == 500 and line["path"] == "/profile"


def test_no_line_when_the_access_logger_is_off(lines):
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.setLevel(logging.WARNING)
    try:
        logged(page, lines).get("/profile")
    finally:
        logger.setLevel(logging.INFO)
    assert access_lines(lines) == []
    logged(page, lines).get("/profile")
    assert len(access_lines(lines)) == 1


@pytest.mark.parametrize("length", [10, 300, 5000])
def test_batches_end_on_a_line_and_fit_a_pipe_write(lines, length):
    # Workers share one stdout pipe: a write of at most PIPE_BUF bytes is never interleaved.
    sent = [f"{number:04d}" + "é" * length for number in range(40)]
    for line in sent:
        lines.write(line)
    lines.flush()
    writes = lines.stream.writes
    assert len(writes) > 1 or length == 10
    for text in writes:
        assert text.endswith("\n")
        assert len(text.encode()) <= select.PIPE_BUF or text.count("\n") == 1
    assert "".join(writes).splitlines() == sent


def test_lines_are_written_without_a_flush_call(lines):
    lines.write("soon")
    deadline = time.monotonic() + 5
    while not lines.stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert lines.stream.getvalue() == "soon\n"


def test_lines_left_are_written_when_the_process_exits():
    program = (
        "import sys; from app.web.logs import AccessLines\n"
        "lines = AccessLines(); lines.FLUSH_EVERY = 3600\n"
        "lines.write('last words'); sys.exit(0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout == "last words\n"


def test_lines_the_log_does_not_take_are_bounded_and_counted(lines):
    lines.MAX_PENDING = 3
    for number in range(5):
        lines.write(f'{{"n":{number}}}')
    written = access_lines(lines)
    assert [line.get("n") for line in written[:3]] == [0, 1, 2]
    assert written[3]["level"] == "WARNING" and written[3]["message"].startswith("2 access lines")
    lines.write('{"n":5}')
    again = access_lines(lines)
    assert again[-1] == {"n": 5}
    assert len([line for line in again if line.get("level") == "WARNING"]) == 1  # then cleared
